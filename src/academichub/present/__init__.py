"""Presentation: how a card reads (reason texts, the source label) and the feed's JSON contract, for web, CLI and deliveries."""
