"""mgdm_audio: posterior sampling with diffusion priors by mixture-guided Gibbs sampling (MGDM).

The core sees a prior (:mod:`.priors`), a forward operator (:mod:`.operators`) and a likelihood
(:mod:`.likelihoods`); samplers (:mod:`.samplers`) know nothing of audio or images.
"""
from . import likelihoods, metrics, operators, priors, samplers, schedules, separators
from .api import sample, separate

__version__ = "0.1.0"

__all__ = ["sample", "separate", "priors", "operators", "likelihoods", "samplers", "schedules", "metrics", "separators",
           "__version__"]
