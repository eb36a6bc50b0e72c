"""Variance-exploding (EDM) denoisers D(x, σ) seen as VP priors."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..schedules import sigmas_from_table, table_from_sigmas
from . import parametrization
from .base import Prior


class VEDenoiserPrior(Prior):
    """A VP prior around an EDM-style denoiser ``denoiser(x_VE, sigma: float) -> x̂0``.

    Level i has σ_i = sigmas[i − 1] and ᾱ_i = 1 / (1 + σ_i²); the VP input is rescaled to
    x_VE = x_VP / sqrt(ᾱ_i) before the call (docs/method.md#variance-exploding-priors).

    Args:
        denoiser: a module (or callable) taking x [B, *event_shape] and a Python float σ.
        sigmas: increasing noise levels [N] (e.g. :func:`mgdm_audio.core.schedules.karras_sigmas`).
    """

    prediction_type = "sample"
    network_method = "denoise"

    def __init__(
        self,
        denoiser: Callable[[torch.Tensor, float], torch.Tensor],
        sigmas: torch.Tensor,
        event_shape: tuple[int, ...],
        default_preset: str,
    ):
        super().__init__(table_from_sigmas(sigmas), event_shape, default_preset)
        self.denoiser = denoiser
        self._sigmas = sigmas_from_table(self.alphas_cumprod)

    def predict(self, x: torch.Tensor, index: int) -> torch.Tensor:
        x_ve = parametrization.vp_to_ve(x, self.alpha_bar(index))
        return self.denoise(x_ve, float(self._sigmas[index]))

    def denoise(self, x_ve: torch.Tensor, sigma: float) -> torch.Tensor:
        """The denoiser's clean estimate D(x_VE, σ) at any noise level σ (data units), shape of x_VE."""
        return self.denoiser(x_ve, sigma)
