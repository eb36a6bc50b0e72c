"""Atomic file writes: a reader never sees a half-written file, an interrupted write leaves none."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[str]:
    """Yield a temporary path next to ``path`` (same directory and suffix, so format
    detection by extension still works); on normal exit it is renamed onto ``path``,
    on error it is removed."""
    path = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(path))
    suffix = os.path.splitext(name)[1]
    # A unique name rather than tempfile.mkstemp, whose 0600 mode would survive the rename.
    temporary = os.path.join(directory, f".{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp{suffix}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
