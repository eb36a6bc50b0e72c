"""Pixel-space image priors from guided-diffusion's ADM networks (:class:`~mgdm_audio.image.nets.adm.ADMUNet`).

The released ADM models predict ε on a DDPM schedule (the linear β schedule from 1e-4 to 0.02 over
1,000 steps for the FFHQ 256 and ImageNet 256 models); with a learned variance the network returns
6 channels, ε then the variance interpolation, and only ε is used. Prior directories of this type
are written by :mod:`mgdm_audio.image.priors.adm_checkpoint` (``mgdm convert-adm``).
"""

from __future__ import annotations

from typing import Any

import torch

from mgdm_audio.core.priors.base import Prior
from mgdm_audio.core.priors.loading import register_prior_type
from mgdm_audio.core.schedules import linear_beta_table

from ..nets.adm import ADMUNet

#: guided-diffusion's ``noise_schedule`` values this prior rebuilds.
NOISE_SCHEDULES = ("linear",)


@register_prior_type
class ADMPrior(Prior):
    """p_0 over images x_0 [C, H, W] in [−1, 1] through an ADM ε-network.

    Table index i ≥ 1 is the level after i noising steps, so the network is called with the DDPM
    timestep ``i − 1`` (guided-diffusion's ``t``, not rescaled). The clean estimate is not clipped.

    Args:
        net: an :class:`ADMUNet` with ``out_channels`` = ``in_channels`` (ε) or twice that (learned
            variance, ε first).
        diffusion_steps: T of the training schedule (guided-diffusion's ``diffusion_steps``).
        noise_schedule: guided-diffusion's ``noise_schedule`` (``linear``: β from 1e-4 · 1000/T to
            0.02 · 1000/T).
        default_preset: sampler preset (default ``image_pixel``).

    Attributes:
        event_shape, image_shape: (C, image_size, image_size).
    """

    prediction_type = "epsilon"

    def __init__(
        self,
        net: ADMUNet,
        diffusion_steps: int = 1000,
        noise_schedule: str = "linear",
        default_preset: str = "image_pixel",
    ):
        if noise_schedule not in NOISE_SCHEDULES:
            raise ValueError(f"unknown noise_schedule {noise_schedule!r}; expected one of {NOISE_SCHEDULES}")
        channels = net.in_channels
        if net.out_channels not in (channels, 2 * channels):
            raise ValueError(
                f"the network maps {channels} channels to {net.out_channels}; expected {channels} "
                f"(or {2 * channels} with a learned variance)"
            )
        scale = 1000 / diffusion_steps  # guided-diffusion's get_named_beta_schedule("linear", T)
        table = linear_beta_table(diffusion_steps, scale * 1e-4, scale * 0.02)
        size = int(net.config["image_size"])
        super().__init__(table, (channels, size, size), default_preset)
        self.net = net
        self.diffusion_steps, self.noise_schedule = int(diffusion_steps), noise_schedule

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return self.event_shape

    @property
    def config(self) -> dict[str, Any]:
        """The ``"prior"`` settings of a prior directory (see :mod:`mgdm_audio.core.priors.loading`)."""
        return {
            "diffusion_steps": self.diffusion_steps,
            "noise_schedule": self.noise_schedule,
            "default_preset": self.default_preset,
        }

    @classmethod
    def from_config(cls, net: torch.nn.Module, config: dict[str, Any]) -> ADMPrior:
        """Inverse of :attr:`config`, around a built network ``net``."""
        if not isinstance(net, ADMUNet):
            raise ValueError(f"an ADMPrior needs an ADMUNet, got a {type(net).__name__}")
        return cls(net, **config)

    def predict(self, x: torch.Tensor, index: int) -> torch.Tensor:
        """ε̂ [B, C, H, W] at table index 1 <= index <= N (the variance channels are dropped)."""
        self._check_index(index, allow_clean=False)
        timestep = torch.full((x.shape[0],), index - 1, dtype=torch.long, device=x.device)
        return self.net(x, timestep)[:, : self.event_shape[0]]
