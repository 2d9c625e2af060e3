"""Storage: the only place with SQL, plus the full-text index kept in step with it."""
