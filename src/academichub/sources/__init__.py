"""Source providers: one module per provider, each a pure parser plus a fetch."""
