"""Reader libraries: BibTeX, RIS, Zotero RDF, CSL-JSON, Better BibTeX JSON files and ORCID works."""
