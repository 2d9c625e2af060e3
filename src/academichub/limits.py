"""Bounds that every interface checks the same way: the range of a stored row id, a column's length."""

ROW_ID_MAX = 2**31 - 1  # the INTEGER primary keys' range on PostgreSQL (SQLite's is 64-bit, and larger overflows)


def fitting(value: str | None, length: int) -> str | None:
    """`value` if a column of `length` characters holds it, else None (PostgreSQL refuses a longer
    value, failing the whole statement; an identifier or validator that long is worth nothing)."""
    return value if value is None or len(value) <= length else None
