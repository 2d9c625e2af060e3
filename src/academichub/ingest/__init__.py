"""Ingest: normalise, merge, sanitise last, upsert, report."""
