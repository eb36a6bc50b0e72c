"""The forward-operator contract: y = A(x) on batched tensors of any shape."""

from __future__ import annotations

import torch


class Operator(torch.nn.Module):
    """A forward model A mapping x [B, *in_shape] to y [B, *out_shape]; may be non-linear. ``differentiable`` is
    False for a black box (e.g. a codec round trip) that only derivative-free samplers can use."""

    linear: bool = False
    differentiable: bool = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class LinearOperator(Operator):
    """A linear A with its true adjoint Aᵀ (⟨A x, y⟩ = ⟨x, Aᵀ y⟩) and, where natural, an SVD."""

    linear = True

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        """Aᵀ y: [B, *out_shape] → [B, *in_shape]."""
        raise NotImplementedError

    def svd(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(U, S, V) with A = U diag(S) Vᵀ on flattened inputs; only where the operator has one."""
        raise NotImplementedError(f"{type(self).__name__} has no SVD")
