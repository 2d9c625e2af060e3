"""Web layer: FastAPI app factory, server-rendered pages and the /api/v1 JSON twins."""
