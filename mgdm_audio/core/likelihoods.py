"""Likelihoods g(y | x) of an observation given the forward model's output A(x)."""

from __future__ import annotations

import torch


class GaussianLikelihood:
    """g(y | x) = N(y; A(x), σ_y² I).

    Args:
        y: the observation, [*out_shape] (one observation shared by the batch) or [B, *out_shape].
        sigma_y: noise standard deviation, > 0, in the data's units. Small values (down to 1e-4)
            are sound: residuals are divided by σ_y before squaring.
    """

    def __init__(self, y: torch.Tensor, sigma_y: float):
        sigma_y = float(sigma_y)
        if not sigma_y > 0:
            raise ValueError(f"sigma_y must be > 0, got {sigma_y}")
        if not torch.isfinite(y).all():
            raise ValueError("the observation y contains NaN or inf values")
        self.y = y
        self.sigma_y = sigma_y

    def residual(self, prediction: torch.Tensor) -> torch.Tensor:
        """y − A(x), [B, *out_shape]."""
        if self.y.shape not in (prediction.shape, prediction.shape[1:]):
            raise ValueError(
                f"forward model output {tuple(prediction.shape[1:])} does not match "
                f"the observation's shape {tuple(self.y.shape)}"
            )
        return self.y - prediction

    def neg_log(self, prediction: torch.Tensor) -> torch.Tensor:
        """−log g(y | x) up to a constant, per sample: ½ ‖(y − A(x)) / σ_y‖², [B]."""
        return 0.5 * (self.residual(prediction) / self.sigma_y).pow(2).flatten(1).sum(1)

    def residual_norm(self, prediction: torch.Tensor) -> torch.Tensor:
        """‖y − A(x)‖₂ per sample, [B]."""
        return self.residual(prediction).flatten(1).norm(dim=1)
