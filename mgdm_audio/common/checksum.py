"""SHA-256 of files, streamed: the identity of inputs and models in resume keys and model cards."""

from __future__ import annotations

import hashlib
import os

#: Bytes per read: memory stays independent of the file's size.
BLOCK = 1 << 20


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()
