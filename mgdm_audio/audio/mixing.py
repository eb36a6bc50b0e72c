"""The mixing operator of source separation: the (weighted) sum of stems."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from mgdm_audio.core.operators.base import LinearOperator


class Mixing(LinearOperator):
    """y = Σ_s g_s x[:, s] for stems x [B, S, *rest] → mixture y [B, *rest].

    Without gains every g_s = 1 and any number of stems is accepted.

    Args:
        gains: per-stem gains g [S] (float64), not all zero; default: all ones.
        num_stems: S, needed by :meth:`adjoint` and :meth:`svd` when no gains are given.
        stem_shape: the shape of one stem (*rest), needed only by :meth:`svd`.
    """

    def __init__(
        self,
        gains: Sequence[float] | torch.Tensor | None = None,
        num_stems: int | None = None,
        stem_shape: Sequence[int] | None = None,
    ):
        super().__init__()
        if gains is not None:
            gains = torch.as_tensor(gains, dtype=torch.float64)
            if gains.ndim != 1 or len(gains) == 0 or not torch.isfinite(gains).all() or not gains.any():
                raise ValueError(f"gains must be a non-empty 1-D finite vector, not all zero; got {gains}")
            if num_stems is not None and num_stems != len(gains):
                raise ValueError(f"{len(gains)} gains given for num_stems={num_stems}")
        elif num_stems is not None:
            if num_stems < 1:
                raise ValueError(f"num_stems must be >= 1, got {num_stems}")
            gains = torch.ones(num_stems, dtype=torch.float64)
        # None: unit gains over however many stems the input has.
        self.register_buffer("gains", gains)
        self.stem_shape = None if stem_shape is None else tuple(int(n) for n in stem_shape)

    @property
    def num_stems(self) -> int | None:
        """S, or None when unit gains accept any number of stems."""
        return None if self.gains is None else len(self.gains)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim < 2:
            raise ValueError(f"Mixing expects stems [B, S, *rest], got shape {tuple(x.shape)}")
        if self.gains is None:
            return x.sum(1)
        if x.shape[1] != len(self.gains):
            raise ValueError(
                f"Mixing has {len(self.gains)} gains but the input has {x.shape[1]} stems (shape {tuple(x.shape)})"
            )
        return (x * self._broadcast_gains(x)).sum(1)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Aᵀ y = g_s y for every stem s: [B, *rest] → [B, S, *rest]."""
        self._require_gains("adjoint")
        stems = y.unsqueeze(1)
        return stems * self._broadcast_gains(stems)

    def svd(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """A = gᵀ ⊗ I_R on stem-major flattened inputs [S·R] (R = prod(stem_shape)): A Aᵀ = ‖g‖² I_R, so
        U = I_R, S = ‖g‖ (R times), V = (g / ‖g‖) ⊗ I_R [S·R, R]. Dense factors: for small stems only."""
        gains = self._require_gains("svd")
        if self.stem_shape is None:
            raise ValueError("Mixing.svd needs stem_shape (the shape of one stem)")
        size = math.prod(self.stem_shape)
        norm = gains.norm()
        identity = torch.eye(size, dtype=gains.dtype, device=gains.device)
        return identity, norm.expand(size).clone(), torch.kron((gains / norm).unsqueeze(1), identity)

    def _broadcast_gains(self, x: torch.Tensor) -> torch.Tensor:
        """Gains shaped [1, S, 1, …] to multiply stems x [B, S, *rest]."""
        return self.gains.to(x.dtype).view(1, -1, *([1] * (x.ndim - 2)))

    def _require_gains(self, what: str) -> torch.Tensor:
        if self.gains is None:
            raise ValueError(f"Mixing.{what} needs the number of stems: build it with num_stems or gains")
        return self.gains
