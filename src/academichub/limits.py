"""Bounds that every interface checks the same way: the range of a stored row id."""

ROW_ID_MAX = 2**31 - 1  # the INTEGER primary keys' range on PostgreSQL (SQLite's is 64-bit, and larger overflows)
