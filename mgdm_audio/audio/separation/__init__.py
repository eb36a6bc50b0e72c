"""Music source separation with a multi-source prior (the engine of ``mgdm separate`` and ``mgdm_audio.separate``).

From the user down: :mod:`.pipeline` (:class:`SeparationPipeline`, the loaded models and the API) → :mod:`.files`
(a file into a folder: resume, lock, atomic writes) or arrays in memory → :mod:`.track` (one track, segment by
segment: the core) → :mod:`.sampling` (posterior draws of one segment's stems). :mod:`.settings` holds the presets
and checks every setting; :mod:`.audio_io`, :mod:`.segments`, :mod:`.output`, :mod:`.resume` and :mod:`.report`
read, plan, write, keep and record.
"""

from .pipeline import SeparationPipeline, separate
from .settings import SeparationSettings

__all__ = ["SeparationPipeline", "SeparationSettings", "separate"]
