"""Radar service: subscriptions, periods and the feed with its batches."""
