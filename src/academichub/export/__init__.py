"""Citations out: BibTeX, RIS and CSL-JSON of stored works."""
