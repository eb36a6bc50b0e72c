"""Gaussian bridges of the VP forward process.

For table indices s < t < ℓ, q(x_t | x_s, x_ℓ) is Gaussian with mean c_ℓ x_ℓ + c_s x_s. With η = 1
it is the exact bridge; η < 1 shrinks its standard deviation DDIM-style. With s = 0 and x_s = x̂0
it is the DDPM (η = 1) or DDIM (η = 0) step. Coefficients are computed in float64 and returned as
Python floats so that callers keep their own dtype.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .noise import standard_normal_like


@dataclass(frozen=True)
class BridgeCoefficients:
    """mean = coef_lower · x_s + coef_upper · x_ℓ;  std: the scalar standard deviation."""

    coef_lower: float
    coef_upper: float
    std: float

    def mean(self, x_lower: torch.Tensor, x_upper: torch.Tensor) -> torch.Tensor:
        return self.coef_lower * x_lower + self.coef_upper * x_upper

    def sample(self, x_lower: torch.Tensor, x_upper: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        mean = self.mean(x_lower, x_upper)
        if self.std == 0.0:
            return mean
        return mean + self.std * standard_normal_like(mean, generator)


def bridge(alphas_cumprod: torch.Tensor, s: int, t: int, upper: int, eta: float = 1.0) -> BridgeCoefficients:
    """Coefficients of q(x_t | x_s, x_upper) for table indices s < t < upper (docs/method.md#gaussian-bridge)."""
    if not 0 <= s < t < upper < len(alphas_cumprod):
        raise ValueError(f"bridge needs 0 <= s < t < upper <= N, got s={s}, t={t}, upper={upper}")
    if not 0.0 <= eta <= 1.0:
        raise ValueError(f"eta must be in [0, 1], got {eta}")
    a_s, a_t, a_u = (float(alphas_cumprod[i]) for i in (s, t, upper))
    var_t_given_s = 1.0 - a_t / a_s
    var_u_given_t = 1.0 - a_u / a_t
    var_u_given_s = 1.0 - a_u / a_s
    std = eta * math.sqrt(max(var_u_given_t * var_t_given_s / var_u_given_s, 0.0))
    coef_upper = math.sqrt(max(var_t_given_s - std**2, 0.0) / var_u_given_s)
    coef_lower = math.sqrt(a_t / a_s) - coef_upper * math.sqrt(a_u / a_s)
    return BridgeCoefficients(coef_lower, coef_upper, std)
