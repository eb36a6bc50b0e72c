"""The prior contract (:class:`Prior`, the variance-preserving view), the generic priors, and prior directories."""

from .base import Prior
from .gaussian_mixture import GaussianMixture
from .loading import load, register_layout, register_prior_type, save_prior
from .ve import VEDenoiserPrior

__all__ = [
    "Prior",
    "GaussianMixture",
    "VEDenoiserPrior",
    "load",
    "save_prior",
    "register_prior_type",
    "register_layout",
]
