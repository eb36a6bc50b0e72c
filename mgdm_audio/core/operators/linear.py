"""A dense matrix as a forward operator."""

from __future__ import annotations

import numpy as np
import torch

from .base import LinearOperator


class Linear(LinearOperator):
    """y = M x for x [B, d] (or [B, ..., d]: applied to the last dimension).

    Args:
        matrix: M [d_y, d], a numpy array or a tensor (kept in float64 unless a dtype is given).
    """

    def __init__(self, matrix: np.ndarray | torch.Tensor, dtype: torch.dtype = torch.float64):
        super().__init__()
        matrix = torch.as_tensor(matrix, dtype=dtype)
        if matrix.ndim != 2:
            raise ValueError(f"matrix must be 2-D [d_y, d], got shape {tuple(matrix.shape)}")
        self.register_buffer("matrix", matrix)

    @property
    def in_dim(self) -> int:
        return self.matrix.shape[1]

    @property
    def out_dim(self) -> int:
        return self.matrix.shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.in_dim:
            raise ValueError(
                f"Linear operator expects inputs of size {self.in_dim} in the last dimension, "
                f"got shape {tuple(x.shape)}"
            )
        return x @ self.matrix.to(x.dtype).T

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        if y.shape[-1] != self.out_dim:
            raise ValueError(
                f"Linear adjoint expects inputs of size {self.out_dim} in the last dimension, "
                f"got shape {tuple(y.shape)}"
            )
        return y @ self.matrix.to(y.dtype)

    def svd(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        U, S, Vh = torch.linalg.svd(self.matrix, full_matrices=False)
        return U, S, Vh.T
