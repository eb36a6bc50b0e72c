"""Diffusion priors in the variance-preserving view (see :class:`Prior`)."""
from .base import Prior
from .diffusers_latent import DiffusersLatentPrior
from .diffusers_pixel import DiffusersPixelPrior
from .gaussian_mixture import GaussianMixture
from .isdm import StemwiseNets  # registers the ISDM network, so load() reads converted ISDM priors
from .loading import MultiSourcePrior, load
from .ve import VEDenoiserPrior

__all__ = ["Prior", "GaussianMixture", "VEDenoiserPrior", "MultiSourcePrior", "DiffusersPixelPrior",
           "DiffusersLatentPrior", "StemwiseNets", "load"]
