"""Conversions between what networks predict and the VP view used by the samplers.

All conversions live here. With ᾱ the level's table entry and x the VP-noised input:
- ``epsilon``:       x̂0 = (x − sqrt(1 − ᾱ) ε̂) / sqrt(ᾱ)
- ``v_prediction``:  v = sqrt(ᾱ) ε − sqrt(1 − ᾱ) x0, so x̂0 = sqrt(ᾱ) x − sqrt(1 − ᾱ) v̂
- ``sample``:        x̂0 is the output itself
Variance-exploding (EDM) denoisers D(x_VE, σ) reach the VP view through ᾱ = 1 / (1 + σ²) and
x_VE = x_VP / sqrt(ᾱ): then x̂0 = D(x_VE, σ).
"""

from __future__ import annotations

import math

import torch

PREDICTION_TYPES = ("epsilon", "v_prediction", "sample")


def to_x0(prediction_type: str, output: torch.Tensor, x: torch.Tensor, alpha_bar: float) -> torch.Tensor:
    """Clean estimate x̂0 from a network's ``output`` at the VP input ``x`` of level ᾱ."""
    a, b = math.sqrt(alpha_bar), math.sqrt(1.0 - alpha_bar)
    if prediction_type == "epsilon":
        return (x - b * output) / a
    if prediction_type == "v_prediction":
        return a * x - b * output
    if prediction_type == "sample":
        return output
    raise ValueError(f"unknown prediction type {prediction_type!r}; expected one of {PREDICTION_TYPES}")


def to_epsilon(prediction_type: str, output: torch.Tensor, x: torch.Tensor, alpha_bar: float) -> torch.Tensor:
    """Noise estimate ε̂ from a network's ``output`` at the VP input ``x`` of level ᾱ (ᾱ < 1)."""
    a, b = math.sqrt(alpha_bar), math.sqrt(1.0 - alpha_bar)
    if prediction_type == "epsilon":
        return output
    if prediction_type == "v_prediction":
        return a * output + b * x
    return epsilon_from_x0(to_x0(prediction_type, output, x, alpha_bar), x, alpha_bar)


def epsilon_from_x0(x0: torch.Tensor, x: torch.Tensor, alpha_bar: float) -> torch.Tensor:
    """ε̂ = (x − sqrt(ᾱ) x̂0) / sqrt(1 − ᾱ)."""
    return (x - math.sqrt(alpha_bar) * x0) / math.sqrt(1.0 - alpha_bar)


def sigma_from_alpha_bar(alpha_bar: float) -> float:
    """VE noise level of a VP level: σ = sqrt((1 − ᾱ) / ᾱ)."""
    return math.sqrt((1.0 - alpha_bar) / alpha_bar)


def vp_to_ve(x: torch.Tensor, alpha_bar: float) -> torch.Tensor:
    """x_VE = x_VP / sqrt(ᾱ)."""
    return x / math.sqrt(alpha_bar)
