"""Batched image restoration: simulate observations of clean images, then sample the posterior.

Images are [B, C, H, W] in [−1, 1]. Several images go through one sampler call: their observations
are stacked, the Gaussian likelihood holds one observation per row, and the samplers treat rows
independently (so a batch of B images × n draws costs one run of B · n rows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from mgdm_audio.core.api import sample
from mgdm_audio.core.noise import standard_normal
from mgdm_audio.core.operators.base import LinearOperator, Operator
from mgdm_audio.core.priors.base import Prior
from mgdm_audio.core.samplers import make_sampler
from mgdm_audio.core.samplers.base import Sampler, SamplingResult


@dataclass
class RestoreSettings:
    """What a restoration is made with (recorded in every sidecar, compared on resume).

    sigma_y: observation noise std on the [−1, 1] scale. seed: observation i uses seed + i (its
    position in the inputs); a sampler call on a batch starting at position i uses seed + i.
    overrides: sampler settings replacing the preset's. preset: None for the prior's default.
    """

    task: str
    sampler: str = "mgdm"
    sigma_y: float = 0.05
    seed: int = 0
    num_samples: int = 1
    preset: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def observe(operator: Operator, images: torch.Tensor, sigma_y: float, seeds: list[int]) -> torch.Tensor:
    """y_i = A(x_i) + σ_y ε_i for images [B, C, H, W], ε_i drawn from a generator seeded with seeds[i].

    A non-differentiable operator's true forward (``operator.exact``, e.g. a real JPEG round trip)
    makes the observation when it has one; the samplers use its differentiable surrogate.
    """
    forward = getattr(operator, "exact", operator)
    with torch.no_grad():
        clean = forward(images)
    noise = torch.stack(
        [
            standard_normal(tuple(clean.shape[1:]), torch.Generator().manual_seed(seed), clean.dtype, clean.device)
            for seed in seeds
        ]
    )
    return clean + sigma_y * noise


def make_restorer(prior: Prior, settings: RestoreSettings) -> Sampler:
    """The sampler ``settings`` ask for (preset: theirs, or the prior's default), built once for every batch."""
    return make_sampler(settings.sampler, settings.preset or prior.default_preset, **settings.overrides)


def restore(
    prior: Prior,
    runner: Sampler,
    operator: Operator,
    y: torch.Tensor,
    settings: RestoreSettings,
    seed: int,
    progress: Callable[[], None] | None = None,
) -> SamplingResult:
    """Posterior draws for observations y [B, *out_shape]: a result whose samples are [B, n, C, H, W]
    (n = settings.num_samples; decoded images for latent priors), from one ``mgdm_audio.sample`` call seeded
    ``seed`` with ``runner`` (:func:`make_restorer`), one observation per row; ``progress``: called per outer
    step."""
    rows = torch.as_tensor(y).repeat_interleave(settings.num_samples, 0)
    result = sample(
        prior,
        operator,
        rows,
        settings.sigma_y,
        sampler=runner,
        num_samples=len(rows),
        seed=seed,
        return_result=True,
        progress=progress,
    )
    result.samples = result.samples.reshape(len(y), settings.num_samples, *result.samples.shape[1:])
    return result


def observation_picture(operator: Operator, y: torch.Tensor, image_shape: tuple[int, int, int]) -> torch.Tensor:
    """Observations y [B, *out_shape] shown as images [B, C, H, W] in about [−1, 1], for people only.

    Same shape as the image: y itself (masked, blurred, noisy, clipped images). A linear A otherwise:
    Aᵀy / Aᵀ(A 1) where Aᵀ(A 1) > 0 (a pixel's weighted mean of the measurements that see it: block
    averages come back as blocks), 0 elsewhere. Anything else (e.g. Fourier magnitudes): log(1 + |y|)
    scaled to [−1, 1] per image and resized to H × W.
    """
    if tuple(y.shape[1:]) == tuple(image_shape):
        return y
    if isinstance(operator, LinearOperator):
        with torch.no_grad():
            weight = operator.adjoint(operator(torch.ones((1, *image_shape), dtype=y.dtype, device=y.device)))
            back = operator.adjoint(y)
        return torch.where(weight > 1e-8, back / weight.clamp(min=1e-8), torch.zeros_like(back))
    magnitude = torch.log1p(y.abs()).reshape(len(y), -1, *y.shape[-2:])[:, : image_shape[0]]
    low = magnitude.flatten(1).min(1).values[:, None, None, None]
    high = magnitude.flatten(1).max(1).values[:, None, None, None]
    scaled = 2.0 * (magnitude - low) / (high - low).clamp(min=1e-12) - 1.0
    scaled = scaled.expand(-1, image_shape[0], -1, -1)
    return torch.nn.functional.interpolate(scaled, size=image_shape[1:], mode="bilinear", align_corners=False)
