"""/api/docs: Swagger UI served from the swagger-ui-py package's files, under the pages' CSP.

FastAPI's default docs page loads Swagger UI from a CDN with an inline script, both of which the
app's Content-Security-Policy blocks, so the page was blank.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(swagger_ui.__file__).parent / "static"
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AcademicHub API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script></body></html>
"""
router = APIRouter(include_in_schema=False)


@router.get("/api/docs", response_class=HTMLResponse)
async def api_docs() -> HTMLResponse:
    """The interactive API reference."""
    return HTMLResponse(PAGE)


def mount(app: FastAPI) -> None:
    """Serve the docs page and Swagger UI's files."""
    app.mount("/api/docs/assets", StaticFiles(directory=ASSETS), name="api-docs-assets")
    app.include_router(router)
