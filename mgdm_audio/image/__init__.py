"""The image plug-in: image forward operators, pixel- and latent-space priors (guided-diffusion's ADM networks
and the diffusers layout), the image presets, and restoration of image files.

Importing it registers with the core (:mod:`mgdm_audio.core.plugins`) the ADM prior type and network, the
diffusers directory layout and the folder of the ``image_*`` presets.
"""

from importlib import resources

from mgdm_audio.core.priors.loading import register_layout
from mgdm_audio.core.samplers.base import register_presets

from .priors import adm  # noqa: F401  (registers ADMPrior and its network with the loader)
from .priors.diffusers_layout import is_diffusers_directory, load_diffusers_prior

register_layout("diffusers", is_diffusers_directory, load_diffusers_prior)
register_presets(resources.files(__name__) / "presets")
