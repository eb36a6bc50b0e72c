"""Audio restoration operators: degradations of waveforms x [B, L] (float, any rate), each usable on the sum of a
multi-source prior's stems through :func:`on_mixture`.

``make_degradation(task, level, clean, sample_rate, seed)`` builds the operator of a named task at a level:
  gaps       gap filling: one gap of ``level`` ms per second, at seeded positions (:mod:`.gaps`)
  lowpass    bandwidth extension from a ``level`` Hz cut-off (:mod:`.lowpass`)
  clip       declipping: hard clipping whose output has an SDR of ``level`` dB against ``clean`` (:mod:`.clipping`)
  codec      an MP3 round trip at VBR quality ``level``, a black box with no gradient (:mod:`.codec`)
"""

from __future__ import annotations

from .clipping import HardClip, clipping_threshold
from .codec import CodecRoundTrip
from .gaps import SampleMask, gap_mask
from .lowpass import LowPass
from .mixture import LinearOnMixture, OnMixture, on_mixture
from .tasks import BLACK_BOX, TASKS, Degradation, make_degradation

__all__ = [
    "BLACK_BOX",
    "TASKS",
    "CodecRoundTrip",
    "Degradation",
    "HardClip",
    "LinearOnMixture",
    "LowPass",
    "OnMixture",
    "SampleMask",
    "clipping_threshold",
    "gap_mask",
    "make_degradation",
    "on_mixture",
]
