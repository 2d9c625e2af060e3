"""The install's secret: signs CSRF tokens and unsubscribe links."""

from __future__ import annotations

import secrets
from pathlib import Path

from academichub.settings import Settings

SECRET_FILE = "secret_key"


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
