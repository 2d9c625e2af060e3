"""Accounts: passwords, sign-in with rate limiting, sessions and tokens."""
