"""The generic core: prior, operator and likelihood contracts, bridges, schedules, noise, the generic samplers with
their generic presets, and :func:`sample`. It imports no domain: audio and images plug in
(:mod:`mgdm_audio.core.plugins`)."""

from . import likelihoods, operators, priors, samplers, schedules
from .api import sample

__all__ = ["sample", "likelihoods", "operators", "priors", "samplers", "schedules"]
