"""Atomic file writes: write beside the target, rename over it only once complete.

A crash or an error while writing never leaves a half file at the target, and never destroys the
file that was there before.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's folder (created if needed); on a clean exit it is
    renamed to ``path``, on an error it is removed."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    # A fresh file of our own (O_EXCL), created with mode 0o666 under the umask as open() would:
    # mkstemp's 0o600 would leave the user's file unreadable to others once renamed over it.
    tmp = folder / f".{path.name}.{secrets.token_hex(8)}.tmp"
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
