"""The ``.partial/`` folder of a track being separated: finished segments survive a crash; and the track's lock.

``.partial`` holds ``settings.json`` (what the segments were made with), ``segment_<i>.npy`` (the segment's
projected outputs, float32 [outputs, channels, samples]) and ``segment_<i>.json`` (its statistics). A folder made
with other settings is discarded, never mixed in. ``.lock`` keeps a second process out of a track being written.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from mgdm_audio.common.atomic import atomic_path
from mgdm_audio.common.records import same_settings

PARTIAL_FOLDER = ".partial"
LOCK_FILE = ".lock"


class TrackBusy(OSError):
    """Another process holds the track folder's lock; the message names the folder and that process."""


class TrackLock:
    """An exclusive lock on a track folder (``flock`` on ``folder/.lock``, which records the holder's pid).

    The kernel drops the lock when its holder exits, killed or not, so a crash never leaves the track locked.
    Entering raises :class:`TrackBusy` at once when another process holds it (nothing in the folder is touched).
    """

    def __init__(self, folder: Path):
        self.path = folder / LOCK_FILE
        self.descriptor: int | None = None

    def __enter__(self) -> TrackLock:
        while True:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(descriptor, 32).decode(errors="replace").strip() or "unknown"
                os.close(descriptor)
                raise TrackBusy(
                    f"output folder {self.path.parent} is being written by another process (pid "
                    f"{holder}); left to it (rerun with --resume once it has finished)"
                ) from None
            # A holder that just finished removed the file it locked: hold the lock only on the file still there.
            try:
                current = os.stat(self.path).st_ino == os.fstat(descriptor).st_ino
            except FileNotFoundError:
                current = False
            if current:
                break
            os.close(descriptor)
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        self.descriptor = descriptor
        return self

    def __exit__(self, *exc_info) -> None:
        with contextlib.suppress(FileNotFoundError):  # the folder may have been removed meanwhile
            os.remove(self.path)  # before unlocking, so that a waiting process finds no stale file to lock
        os.close(self.descriptor)
        self.descriptor = None


class SegmentStore:
    """Finished segments of one track, on disk under ``track_folder/.partial``.

    Args:
        track_folder: the track's output folder. settings: the key the segments must have been made with.
        reuse: keep segments of an earlier run with equal settings (``--resume``); otherwise start afresh.
    """

    def __init__(self, track_folder: Path, settings: dict[str, Any], reuse: bool):
        self.folder = track_folder / PARTIAL_FOLDER
        key = self.folder / "settings.json"
        if self.folder.exists() and not (
            reuse and key.is_file() and same_settings(json.loads(key.read_text(encoding="utf-8")), settings)
        ):
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        _write_json(key, settings)

    def load(self, index: int) -> tuple[np.ndarray, dict[str, Any]] | None:
        """The stored outputs and statistics of segment ``index``, or None when it is not finished."""
        values, stats = self._paths(index)
        if not (values.is_file() and stats.is_file()):
            return None
        return np.load(values), json.loads(stats.read_text(encoding="utf-8"))

    def save(self, index: int, values: np.ndarray, stats: dict[str, Any]) -> None:
        """Store a finished segment; the statistics file, written last, marks it complete."""
        values_path, stats_path = self._paths(index)
        with atomic_path(values_path) as temporary:
            np.save(temporary, values.astype(np.float32))
        _write_json(stats_path, stats)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _paths(self, index: int) -> tuple[Path, Path]:
        return self.folder / f"segment_{index:05d}.npy", self.folder / f"segment_{index:05d}.json"


def _write_json(path: Path, document: dict[str, Any]) -> None:
    with atomic_path(path) as temporary:
        Path(temporary).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
