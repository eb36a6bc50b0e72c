"""Pixel-space image priors: a diffusers ``UNet2DModel`` and its scheduler's ᾱ table in the VP view."""

from __future__ import annotations

import torch

from mgdm_audio.core.priors import parametrization
from mgdm_audio.core.priors.base import Prior
from mgdm_audio.core.schedules import table_from_alphas_cumprod


class DiffusersPixelPrior(Prior):
    """p_0 over images x_0 [C, H, W] in [−1, 1] through a diffusers ``UNet2DModel``.

    Table index i ≥ 1 is the level after i noising steps, so the network is called with the diffusers
    timestep ``i − 1`` (:func:`mgdm_audio.core.schedules.table_from_alphas_cumprod`). The clean estimate is
    not clipped to [−1, 1] (clipping would zero the samplers' gradients outside that range); writers
    clip when they save.

    Args:
        unet: a ``diffusers.UNet2DModel``. With ``out_channels == 2 · in_channels`` (a learned
            variance, as guided-diffusion and diffusers' ``variance_type="learned_range"``) only the
            first ``in_channels`` outputs, the mean's parametrisation, are used.
        alphas_cumprod: the scheduler's ``alphas_cumprod`` [N] (level after k + 1 steps at k).
        prediction_type: what the UNet predicts: ``epsilon``, ``v_prediction`` or ``sample``.
        default_preset: sampler preset (default ``image_pixel``).

    Attributes:
        event_shape: (C, H, W) of the UNet's input.
        image_shape: (C, H, W) of the images the prior describes (here the event shape).
    """

    def __init__(
        self,
        unet: torch.nn.Module,
        alphas_cumprod: torch.Tensor,
        prediction_type: str = "epsilon",
        default_preset: str = "image_pixel",
    ):
        if prediction_type not in parametrization.PREDICTION_TYPES:
            raise ValueError(
                f"unknown prediction type {prediction_type!r}; expected one of {parametrization.PREDICTION_TYPES}"
            )
        config = unet.config
        size = config.sample_size
        if size is None:
            raise ValueError("the UNet's config has no sample_size: the image resolution is unknown")
        height, width = (size, size) if isinstance(size, int) else tuple(size)
        channels = int(config.in_channels)
        if int(config.out_channels) not in (channels, 2 * channels):
            raise ValueError(
                f"the UNet maps {channels} channels to {config.out_channels}; expected "
                f"{channels} (or {2 * channels} with a learned variance)"
            )
        super().__init__(table_from_alphas_cumprod(alphas_cumprod), (channels, int(height), int(width)), default_preset)
        self.unet = unet
        self.prediction_type = prediction_type

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return self.event_shape

    def predict(self, x: torch.Tensor, index: int) -> torch.Tensor:
        """The UNet's output [B, C, H, W] at table index 1 <= index <= N (diffusers timestep index − 1)."""
        self._check_index(index, allow_clean=False)
        timestep = torch.full((x.shape[0],), index - 1, dtype=torch.long, device=x.device)
        output = self.unet(x, timestep).sample
        return output[:, : self.event_shape[0]]
