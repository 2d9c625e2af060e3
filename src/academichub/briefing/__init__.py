"""Briefing service: themed, cross-field, cited briefings of a radar's period (issue #5)."""
