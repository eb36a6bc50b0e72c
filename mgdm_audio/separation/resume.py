"""The ``.partial/`` folder of a track being separated: finished segments survive a crash.

Holds ``settings.json`` (what the segments were made with), ``segment_<i>.npy`` (the segment's projected
outputs, float32 [outputs, channels, samples]) and ``segment_<i>.json`` (its statistics). A folder made
with other settings is discarded, never mixed in.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import atomic_path

PARTIAL_FOLDER = ".partial"


def same_settings(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Equal after a JSON round trip (tuples read back as lists, numbers as JSON numbers)."""
    return json.loads(json.dumps(first)) == json.loads(json.dumps(second))


class SegmentStore:
    """Finished segments of one track, on disk under ``track_folder/.partial``.

    Args:
        track_folder: the track's output folder. settings: the key the segments must have been made with.
        reuse: keep segments of an earlier run with equal settings (``--resume``); otherwise start afresh.
    """

    def __init__(self, track_folder: Path, settings: dict[str, Any], reuse: bool):
        self.folder = track_folder / PARTIAL_FOLDER
        key = self.folder / "settings.json"
        if self.folder.exists() and not (reuse and key.is_file()
                                         and same_settings(json.loads(key.read_text(encoding="utf-8")), settings)):
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
