"""Ranking service: rule matches with reasons, text similarity, ordering."""
