"""Diffusion priors in the variance-preserving view (see :class:`Prior`): the core's, and the plug-ins' on first use."""

from .._lazy import lazy_attributes
from ..core.priors import GaussianMixture, Prior, VEDenoiserPrior, load, save_prior

__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {
        "MultiSourcePrior": "mgdm_audio.audio.priors.music:MultiSourcePrior",
        "StemwiseNets": "mgdm_audio.audio.priors.isdm:StemwiseNets",
        "DiffusersPixelPrior": "mgdm_audio.image.priors.diffusers_pixel:DiffusersPixelPrior",
        "DiffusersLatentPrior": "mgdm_audio.image.priors.diffusers_latent:DiffusersLatentPrior",
        "ADMPrior": "mgdm_audio.image.priors.adm:ADMPrior",
    },
)

__all__ = [
    "Prior",
    "GaussianMixture",
    "VEDenoiserPrior",
    "MultiSourcePrior",
    "DiffusersPixelPrior",
    "DiffusersLatentPrior",
    "ADMPrior",
    "StemwiseNets",
    "load",
    "save_prior",
]
