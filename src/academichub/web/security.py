"""CSRF tokens for forms and security headers on every response (the secret lives in auth.secret)."""

from __future__ import annotations

import hashlib
import hmac

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; object-src 'none'")


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
