"""Seeded noise (standard normal, uniform), the same numbers on every device."""

from __future__ import annotations

import torch


def standard_normal(
    shape: tuple[int, ...], generator: torch.Generator | None, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """N(0, I) of ``shape``, drawn on the generator's device and moved to ``device``.

    Drawing where the generator lives keeps a seed's samples identical whatever device the
    sampler runs on (a CPU generator with a CUDA model gives the CPU numbers).
    """
    return torch.randn(shape, generator=generator, dtype=dtype, device=_source(generator, device)).to(device)


def standard_normal_like(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return standard_normal(tuple(x.shape), generator, x.dtype, x.device)


def uniform_like(x: torch.Tensor, shape: tuple[int, ...], generator: torch.Generator | None) -> torch.Tensor:
    """U[0, 1) of ``shape`` with ``x``'s dtype and device, drawn where the generator lives (as above)."""
    return torch.rand(shape, generator=generator, dtype=x.dtype, device=_source(generator, x.device)).to(x.device)


def _source(generator: torch.Generator | None, device: torch.device) -> torch.device:
    return generator.device if generator is not None else device
