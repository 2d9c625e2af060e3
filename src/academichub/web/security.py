"""CSRF tokens for forms, the per-install secret, and security headers on every response."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response

from academichub.settings import Settings

SECRET_FILE = "secret_key"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; object-src 'none'")


def load_secret(settings: Settings) -> bytes:
    """The configured secret, else one generated once into the data directory (mode 600)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path: Path = settings.home / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


def csrf_token(secret: bytes, subject: str) -> str:
    """The form token bound to a subject (the user)."""
    return hmac.new(secret, f"csrf:{subject}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, subject: str, token: str | None) -> bool:
    """Constant-time check of a submitted form token."""
    return bool(token) and hmac.compare_digest(csrf_token(secret, subject), token or "")


class SecurityHeaders(BaseHTTPMiddleware):
    """Adds CSP and friends; pages load only the package's own assets."""

    async def dispatch(self, request: Request, call_next) -> Response:  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response
