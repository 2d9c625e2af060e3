"""AcademicHub: a self-hosted research radar."""

__version__ = "0.1.0"
