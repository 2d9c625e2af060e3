"""The peer of bench/load.py: a bare FastAPI app answering the measured routes with fixed bodies.

It does no work besides FastAPI's and uvicorn's own, so load.py can report the real server's rate
as a share of what this machine serves at all in the same run (absolute rates here swing with load).
The bodies are the real server's answers, read from the files named by BARE_FEED and BARE_HOME.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Response

FEED = Path(os.environ["BARE_FEED"]).read_bytes()
HOME = Path(os.environ["BARE_HOME"]).read_bytes()
app = FastAPI()


@app.get("/api/v1/feed")
async def feed() -> Response:
    """The recorded batch's JSON, as the real server answered it."""
    return Response(FEED, media_type="application/json")


@app.get("/")
async def home() -> Response:
    """The feed page's HTML, as the real server answered it."""
    return Response(HOME, media_type="text/html; charset=utf-8")
