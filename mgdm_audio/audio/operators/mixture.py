"""A degradation of the mixture seen from a multi-source prior: the operator acts on the sum of the stems."""

from __future__ import annotations

import torch

from mgdm_audio.core.operators.base import LinearOperator, Operator


class OnMixture(Operator):
    """A(x) = D(Σ_s x[:, s]) for stems x [B, S, L]: the degradation ``inner`` (D) of the mixture."""

    def __init__(self, inner: Operator, num_stems: int):
        super().__init__()
        self.inner, self.num_stems = inner, int(num_stems)
        self.differentiable = inner.differentiable

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim < 3 or x.shape[1] != self.num_stems:
            raise ValueError(f"OnMixture of {self.num_stems} stems expects [B, S, L], got shape {tuple(x.shape)}")
        return self.inner(x.sum(1))


class LinearOnMixture(OnMixture, LinearOperator):
    """:class:`OnMixture` of a linear D: Aᵀ y = Dᵀ y for every one of the S stems."""

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        back = self.inner.adjoint(y).unsqueeze(1)
        return back.expand(-1, self.num_stems, *back.shape[2:]).clone()


def on_mixture(inner: Operator, num_stems: int) -> OnMixture:
    """``inner`` acting on the sum of ``num_stems`` stems; linear (with its adjoint) when ``inner`` is."""
    return (LinearOnMixture if isinstance(inner, LinearOperator) else OnMixture)(inner, num_stems)
