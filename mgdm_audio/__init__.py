"""mgdm_audio: posterior sampling with diffusion priors by mixture-guided Gibbs sampling (MGDM).

The core (:mod:`.core`) sees a prior (:mod:`.priors`), a forward operator (:mod:`.operators`) and a likelihood
(:mod:`.likelihoods`); its samplers (:mod:`.samplers`) know nothing of audio or images, which plug in
(:mod:`.audio`, :mod:`.image`) and load on first use.
"""

from . import metrics, operators, priors, samplers
from ._lazy import lazy_attributes
from .core import likelihoods, schedules
from .core.api import sample

__version__ = "0.1.0"

__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {
        "separate": "mgdm_audio.audio.separation.pipeline:separate",
        "restore": "mgdm_audio.audio.restoration.pipeline:restore",
        "separators": "mgdm_audio.audio.separators",
    },
)

__all__ = [
    "sample",
    "separate",
    "restore",
    "priors",
    "operators",
    "likelihoods",
    "samplers",
    "schedules",
    "metrics",
    "separators",
    "__version__",
]
