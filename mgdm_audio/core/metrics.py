"""Distances between empirical distributions."""

from __future__ import annotations

import torch


def sliced_wasserstein(
    x: torch.Tensor, y: torch.Tensor, num_projections: int = 200, generator: torch.Generator | None = None
) -> float:
    """Sliced 2-Wasserstein distance between sample sets x [n, d] and y [m, d].

    SW₂ = sqrt(E_θ W₂²(θᵀx, θᵀy)) over θ uniform on the sphere, estimated with ``num_projections``
    random directions. One-dimensional W₂ compares quantiles: sorted values when n = m, otherwise
    both quantile functions on a common grid of max(n, m) levels.
    """
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"need sample sets [n, d] and [m, d]; got {tuple(x.shape)} and {tuple(y.shape)}")
    x, y = x.double(), y.double().to(x.device)
    directions = torch.randn(x.shape[1], num_projections, generator=generator, dtype=torch.float64)
    directions = (directions / directions.norm(dim=0, keepdim=True)).to(x.device)
    px, py = (x @ directions).sort(dim=0).values, (y @ directions).sort(dim=0).values
    if len(px) != len(py):
        levels = torch.linspace(0, 1, max(len(px), len(py)), dtype=torch.float64, device=x.device)
        px, py = torch.quantile(px, levels, dim=0), torch.quantile(py, levels, dim=0)
    return float(((px - py) ** 2).mean().sqrt())
