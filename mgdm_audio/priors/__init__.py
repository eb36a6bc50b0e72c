"""Diffusion priors in the variance-preserving view (see :class:`Prior`)."""
from .base import Prior
from .gaussian_mixture import GaussianMixture
from .loading import MultiSourcePrior, load
from .ve import VEDenoiserPrior

__all__ = ["Prior", "GaussianMixture", "VEDenoiserPrior", "MultiSourcePrior", "load"]
