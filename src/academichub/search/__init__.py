"""Search service: full-text search over stored works with filters."""
