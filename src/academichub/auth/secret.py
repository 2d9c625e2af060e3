"""The install's secret: signs CSRF tokens and unsubscribe links."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from academichub.scratch import beside
from academichub.settings import Settings

SECRET_FILE = "secret_key"
MIN_LENGTH = 32  # characters of a usable secret (a generated one has 64)
log = logging.getLogger(__name__)


def load_secret(settings: Settings) -> bytes:
    """The configured secret, else one generated once into the data directory (mode 600).

    Several processes start at once on a new install (`serve --workers 4`): the first secret
    written is the one every process reads. It used to be each process writing its own, so a
    form signed by one was refused by another, and a process reading while another wrote read
    an empty secret."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path: Path = settings.home / SECRET_FILE
    if not path.exists():
        _write(path, replace=False)
    secret = path.read_text().strip()
    if len(secret) < MIN_LENGTH:  # emptied or cut short (a disk that was full): never sign with it
        log.warning("auth: %s holds no usable secret; a new one is generated (signed links so far stop working)",
                    path)
        _write(path, replace=True)
        secret = path.read_text().strip()
    return secret.encode()


def _write(path: Path, *, replace: bool) -> None:
    """A new secret at `path`, written whole to a private file first; unless `replace`, a secret
    another process put there meanwhile is kept (a hard link never overwrites)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = beside(path)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never readable by others
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        if replace:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process was first: its secret is the install's
    finally:
        temporary.unlink(missing_ok=True)
