"""Delivering a radar where its reader is: e-mail digests and chat webhooks."""
