"""Audio restoration: classical baselines for the restoration operators (:mod:`mgdm_audio.audio.operators`)."""

from .aspade import aspade_declip
from .janssen import janssen_interpolate

__all__ = ["aspade_declip", "janssen_interpolate"]
