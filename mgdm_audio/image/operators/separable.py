"""Separable linear image maps: the same matrices along rows and columns of every channel."""

from __future__ import annotations

import torch

from mgdm_audio.core.operators.base import LinearOperator

from .dense_svd import kronecker_svd
from .geometry import check_image_shape, check_input


class SeparableLinear(LinearOperator):
    """y[b, c] = M_rows x[b, c] M_colsᵀ for images x [B, C, H, W] → y [B, C, H', W'].

    On row-major flattened images A = I_C ⊗ M_rows ⊗ M_cols, so the adjoint applies the
    transposes and the SVD follows from the two small matrices' SVDs.

    Args:
        rows: M_rows [H', H]. cols: M_cols [W', W]. channels: C. Stored in float64 and cast to
        the input's dtype and device when applied.
    """

    def __init__(self, rows: torch.Tensor, cols: torch.Tensor, channels: int):
        super().__init__()
        if rows.ndim != 2 or cols.ndim != 2:
            raise ValueError("the row and column matrices must be 2-D")
        self.image_shape = check_image_shape((channels, rows.shape[1], cols.shape[1]))
        self.register_buffer("rows", rows.to(torch.float64))
        self.register_buffer("cols", cols.to(torch.float64))

    @property
    def output_shape(self) -> tuple[int, int, int]:
        """(C, H', W') of one observation."""
        return self.image_shape[0], self.rows.shape[0], self.cols.shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.image_shape, type(self).__name__)
        rows, cols = self.rows.to(x.device, x.dtype), self.cols.to(x.device, x.dtype)
        return torch.einsum("ih,bchw,jw->bcij", rows, x, cols)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        check_input(y, self.output_shape, f"{type(self).__name__}.adjoint")
        rows, cols = self.rows.to(y.device, y.dtype), self.cols.to(y.device, y.dtype)
        return torch.einsum("ih,bcij,jw->bchw", rows, y, cols)

    def svd(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """SVD of I_C ⊗ M_rows ⊗ M_cols, singular values descending (dense: small images only)."""
        identity = torch.eye(self.image_shape[0], dtype=torch.float64, device=self.rows.device)
        return kronecker_svd([identity, self.rows, self.cols], type(self).__name__)
