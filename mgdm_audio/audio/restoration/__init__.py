"""Audio restoration: classical baselines for the restoration operators (:mod:`mgdm_audio.audio.operators`)."""

from .janssen import janssen_interpolate

__all__ = ["janssen_interpolate"]
