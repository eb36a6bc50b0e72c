"""Music source separation of whole files with a multi-source prior (the engine of ``mgdm separate``).

:mod:`.audio_io` reads, checks and resamples inputs block by block; :mod:`.segments` plans segments and
cross-fades them; :mod:`.separator` samples each segment through ``mgdm_audio.sample`` and projects it;
:mod:`.resume` keeps finished segments and locks a track; :mod:`.output` writes stems; :mod:`.report` records and
plots; :mod:`.engine` ties them to loaded models (:class:`.engine.StemSeparator`, behind ``mgdm separate`` and
``mgdm_audio.separate``).
"""
from .engine import StemSeparator
from .separator import SeparationSettings, TrackSeparator

__all__ = ["SeparationSettings", "StemSeparator", "TrackSeparator"]
