"""The audio plug-in: music priors (MSDM's networks, their loading and conversion), the mixing operator, MSDM's
Dirac separator and the audio preset, separation of files, discriminative separators, corpora, training and
evaluation.

Importing it registers with the core (:mod:`mgdm_audio.core.plugins`) the music prior types and networks, the
Dirac sampler and the folder of the ``audio`` preset.
"""

from importlib import resources

from mgdm_audio.core.samplers.base import register_presets

from . import dirac  # noqa: F401  (registers the Dirac sampler)
from .nets import spectral_mask, tasnet, unet1d  # noqa: F401  (register the networks with from_pretrained)
from .priors import isdm, music  # noqa: F401  (register MultiSourcePrior and the ISDM network with the loader)

register_presets(resources.files(__name__) / "presets")
