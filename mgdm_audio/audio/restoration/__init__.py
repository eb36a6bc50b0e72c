"""Audio restoration: degraded recordings of music (gaps, low-pass, clipping, a codec) restored by posterior
sampling with the multi-source prior, the operator acting on the sum of the stems (:mod:`.pipeline`), and the
classical baselines of each task (:mod:`.classical`)."""

from .aspade import aspade_declip
from .classical import CLASSICAL, classical_restore
from .janssen import janssen_interpolate

__all__ = ["CLASSICAL", "aspade_declip", "classical_restore", "janssen_interpolate"]
