"""Reading the MSDM prior's published checkpoint layout (audio-diffusion-pytorch 0.0.43).

An MSDM checkpoint is a PyTorch-Lightning ``.ckpt`` whose ``state_dict`` belongs to a
LightningModule holding ``self.model = AudioDiffusionModel(...)``. ``AudioDiffusionModel`` (a
``Model1d``) registers its UNet twice, as ``self.unet`` and as ``self.diffusion.net`` (the EDM
wrapper, which has no parameters of its own), so every UNet tensor is stored under two keys:

    model.unet.<name>            and    model.diffusion.net.<name>

Nothing else is in the state dict. :func:`msdm_state_dict_to_unet` returns ``{<name>: tensor}``
for :class:`mgdm_audio.audio.nets.unet1d.UNet1d`; :func:`msdm_unet_config` and
:func:`msdm_denoiser_kwargs` turn the checkpoint's ``hyper_parameters`` into constructor
arguments of ``UNet1d`` and ``EDMDenoiser``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

UNET_PREFIX = "unet."
DIFFUSION_NET_PREFIX = "diffusion.net."

# UNet1d arguments that AudioDiffusionModel 0.0.43 fills in when a config leaves them out.
AUDIO_DIFFUSION_MODEL_DEFAULTS: dict[str, Any] = dict(
    channels=128,
    patch_blocks=4,
    patch_factor=2,
    kernel_sizes_init=[1, 3, 7],
    multipliers=[1, 2, 4, 4, 4, 4, 4],
    factors=[4, 4, 4, 2, 2, 2],
    num_blocks=[2, 2, 2, 2, 2, 2],
    attentions=[False, False, False, True, True, True],
    attention_heads=8,
    attention_features=64,
    attention_multiplier=2,
    use_attention_bottleneck=True,
    resnet_groups=8,
    kernel_multiplier_downsample=2,
    use_nearest_upsample=False,
    use_skip_scale=True,
    use_context_time=True,
)

# The published 4-stem Slakh2100 prior (MSDM exp/train_msdm.yaml), ≈ 405 M parameters;
# docs/method.md#msdm-priors-and-checkpoints.
MSDM_SLAKH_UNET_CONFIG: dict[str, Any] = dict(
    AUDIO_DIFFUSION_MODEL_DEFAULTS,
    in_channels=4,
    channels=256,
    patch_factor=16,
    patch_blocks=1,
    multipliers=[1, 2, 4, 4, 4, 4, 4],
    factors=[4, 4, 4, 2, 2, 2],
    num_blocks=[2, 2, 2, 2, 2, 2],
    attentions=[False, False, False, True, True, True],
    attention_heads=8,
    attention_features=128,
)

_UNET_ARGUMENTS = set(AUDIO_DIFFUSION_MODEL_DEFAULTS) | {"in_channels", "out_channels"}
_UNSUPPORTED_ARGUMENTS = (
    "context_features",
    "context_channels",
    "context_embedding_features",
    "use_classifier_free_guidance",
)


def _strip_lightning_prefix(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Drops the LightningModule's ``model.`` prefix when every key has it."""
    if state_dict and all(key.startswith("model.") for key in state_dict):
        return {key[len("model.") :]: value for key, value in state_dict.items()}
    return dict(state_dict)


def msdm_state_dict_to_unet(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The UNet's own state dict from an MSDM checkpoint's ``state_dict``.

    Accepts keys with the Lightning ``model.`` prefix or without it (a bare AudioDiffusionModel).
    When both copies are present they must hold the same names and identical values.

    Raises:
        ValueError: no UNet keys, keys of anything other than the UNet, or copies that differ.
    """
    keys = _strip_lightning_prefix(state_dict)
    unet = {k[len(UNET_PREFIX) :]: v for k, v in keys.items() if k.startswith(UNET_PREFIX)}
    copy = {k[len(DIFFUSION_NET_PREFIX) :]: v for k, v in keys.items() if k.startswith(DIFFUSION_NET_PREFIX)}
    others = sorted(k for k in keys if not k.startswith((UNET_PREFIX, DIFFUSION_NET_PREFIX)))
    if others:
        raise ValueError(
            f"not an MSDM AudioDiffusionModel state dict: {len(others)} keys outside "
            f"'unet.' and 'diffusion.net.', e.g. {others[:3]}"
        )
    if not unet and not copy:
        raise ValueError("not an MSDM AudioDiffusionModel state dict: no 'unet.' or 'diffusion.net.' keys")
    if unet and copy:
        if unet.keys() != copy.keys():
            only = sorted(unet.keys() ^ copy.keys())
            raise ValueError(
                f"the two UNet copies ('unet.' and 'diffusion.net.') hold different names, e.g. {only[:3]}"
            )
        differing = sorted(name for name in unet if not torch.equal(unet[name], copy[name]))
        if differing:
            raise ValueError(
                f"the two UNet copies ('unet.' and 'diffusion.net.') differ in "
                f"{len(differing)} tensors, e.g. {differing[:3]}; the checkpoint is inconsistent"
            )
    return unet or copy


def msdm_unet_config(hyper_parameters: Mapping[str, Any]) -> dict[str, Any]:
    """UNet1d kwargs from an MSDM checkpoint's ``hyper_parameters`` (package defaults filled in).

    Unrelated entries (learning rate, ``diffusion_*``) are ignored; conditioning options that
    UNet1d does not implement raise ValueError.
    """
    unsupported = [name for name in _UNSUPPORTED_ARGUMENTS if hyper_parameters.get(name)]
    if unsupported:
        raise ValueError(f"checkpoint uses conditioning UNet1d does not implement: {unsupported}")
    given = {key: value for key, value in hyper_parameters.items() if key in _UNET_ARGUMENTS}
    config = {**AUDIO_DIFFUSION_MODEL_DEFAULTS, **given}
    return {key: list(value) if isinstance(value, (list, tuple)) else value for key, value in config.items()}


def msdm_denoiser_kwargs(hyper_parameters: Mapping[str, Any]) -> dict[str, Any]:
    """EDMDenoiser kwargs (sigma_data, clamp, training σ distribution) from ``hyper_parameters``.

    Missing entries take AudioDiffusionModel's defaults (σ_d 0.1, threshold 0, LogNormal(−3, 1)).
    """
    threshold = float(hyper_parameters.get("diffusion_dynamic_threshold", 0.0))
    if threshold != 0.0:
        raise ValueError(f"diffusion_dynamic_threshold={threshold} is not implemented (only 0: clamp to [-1, 1])")
    distribution = hyper_parameters.get("diffusion_sigma_distribution")
    if isinstance(distribution, Mapping):  # a Hydra/OmegaConf node rather than the pickled object
        mean, std = distribution.get("mean", -3.0), distribution.get("std", 1.0)
    else:
        mean, std = getattr(distribution, "mean", -3.0), getattr(distribution, "std", 1.0)
    return dict(
        sigma_data=float(hyper_parameters.get("diffusion_sigma_data", 0.1)),
        clamp=True,
        log_sigma_mean=float(mean),
        log_sigma_std=float(std),
    )
