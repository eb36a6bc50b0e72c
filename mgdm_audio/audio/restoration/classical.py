"""The classical restoration of each task, the baseline MGDM is measured against and the mixture its warm start
separates: Janssen's interpolation for gaps, A-SPADE for clipping; bandwidth extension and the codec have no
classical method here, so the degraded signal stands as it is."""

from __future__ import annotations

import numpy as np

from ..operators.tasks import Degradation
from .aspade import aspade_declip
from .janssen import janssen_interpolate

#: task -> the classical method's name (None: none; the degraded signal is kept).
CLASSICAL = {"gaps": "janssen", "clip": "aspade", "lowpass": None, "codec": None}


def classical_restore(degradation: Degradation, degraded: np.ndarray) -> np.ndarray:
    """The degraded track [..., samples] (each row a channel) restored by the task's classical method (float64;
    the degraded signal itself where the task has none)."""
    degraded = np.asarray(degraded, np.float64)
    rows = degraded.reshape(-1, degraded.shape[-1])
    if degradation.task == "gaps":
        keep = degradation.keep.numpy()
        rows = [janssen_interpolate(row, keep) if not keep.all() else row for row in rows]
    elif degradation.task == "clip":
        rows = [aspade_declip(row, degradation.threshold) for row in rows]
    return np.reshape(rows, degraded.shape)
