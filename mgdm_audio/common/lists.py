"""``<id> <value>`` list files (Kaldi's ``wav.scp`` style): the data directories of audio corpora and the image
lists of image recipes."""

from __future__ import annotations

import os
from collections.abc import Mapping

from .atomic import atomic_path


class DataDirError(ValueError):
    """A data directory or list file is malformed; the message names the file and the problem."""


def read_list(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a ``<id> <value>`` list file into an ordered dict (file order).

    The value is the rest of the line after the first run of whitespace. Raises
    :class:`DataDirError` on a missing file, a line without a value, or a repeated id.
    """
    entries: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        raise DataDirError(f"{path}: file not found") from None
    for number, line in enumerate(lines, start=1):
        fields = line.strip().split(maxsplit=1)
        if len(fields) != 2:
            raise DataDirError(f"{path}:{number}: expected '<id> <value>', got {line!r}")
        key, value = fields
        if key in entries:
            raise DataDirError(f"{path}:{number}: id {key!r} repeated")
        entries[key] = value
    return entries


def write_list(path: str | os.PathLike[str], entries: Mapping[str, object]) -> None:
    """Write ``entries`` as ``<id> <value>`` lines sorted by id, atomically.

    Ids must be non-empty and free of whitespace; values (converted with ``str``) must be
    non-empty single lines.
    """
    lines = []
    for key in sorted(entries):
        value = str(entries[key])
        if not key or any(character.isspace() for character in key):
            raise ValueError(f"{path}: id {key!r} is empty or contains whitespace")
        if not value.strip() or "\n" in value or "\r" in value:
            raise ValueError(f"{path}: value {value!r} of id {key!r} is empty or multi-line")
        lines.append(f"{key} {value}\n")
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8") as handle:
        handle.writelines(lines)
