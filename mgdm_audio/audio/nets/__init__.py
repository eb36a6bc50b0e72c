"""Networks written in-project: the MSDM waveform UNet, its EDM wrapper, and their file format."""

from mgdm_audio.core.pretrained import from_pretrained, register_net, save_pretrained

from .edm import EDMDenoiser
from .msdm_keys import msdm_denoiser_kwargs, msdm_state_dict_to_unet, msdm_unet_config
from .unet1d import UNet1d

__all__ = [
    "EDMDenoiser",
    "UNet1d",
    "from_pretrained",
    "msdm_denoiser_kwargs",
    "msdm_state_dict_to_unet",
    "msdm_unet_config",
    "register_net",
    "save_pretrained",
]
