"""The training log: one CSV row ``step,loss,seconds`` per optimisation step."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from mgdm_audio.common.atomic import atomic_path

LOG_FILE = "train_log.csv"
_HEADER = ["step", "loss", "seconds"]


class LossLog:
    """Appends rows to a CSV file, flushed per row so that a crash loses nothing that was logged.

    Opening it for a run that (re)starts at ``start_step`` keeps the rows of steps ≤ start_step and
    drops later ones: after a crash they belong to steps the restart redoes.
    """

    def __init__(self, path: str | os.PathLike, start_step: int):
        self.path = Path(path)
        self.rows: list[tuple[int, float, float]] = []
        if self.path.is_file():
            with open(self.path, newline="", encoding="utf-8") as handle:
                for record in csv.DictReader(handle):
                    if int(record["step"]) <= start_step:
                        self.rows.append((int(record["step"]), float(record["loss"]), float(record["seconds"])))
        with atomic_path(self.path) as temporary, open(temporary, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(_HEADER)
            writer.writerows(self.rows)
        self._handle = open(self.path, "a", newline="", encoding="utf-8")
        self._writer = csv.writer(self._handle)

    def append(self, step: int, loss: float, seconds: float) -> None:
        """seconds: training time so far (cumulative over restarts)."""
        self.rows.append((step, loss, seconds))
        self._writer.writerow([step, repr(loss), f"{seconds:.3f}"])
        self._handle.flush()

    def mean_loss(self, last: int) -> float:
        """Mean loss of the last ``last`` logged steps (nan when nothing is logged)."""
        recent = [loss for _, loss, _ in self.rows[-last:]]
        return sum(recent) / len(recent) if recent else float("nan")

    def close(self) -> None:
        self._handle.close()
