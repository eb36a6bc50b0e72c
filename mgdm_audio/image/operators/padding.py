"""Reflect padding of images as an index map, so that its exact adjoint is a scatter-add."""

from __future__ import annotations

import torch


def reflect_indices(size: int, before: int, after: int) -> torch.Tensor:
    """Source index of every position of a reflect-padded axis [before + size + after].

    Reflection without repeating the edge (as ``torch.nn.ReflectionPad2d`` and numpy's
    ``"reflect"``: …, x2, x1, x0, x1, x2, …), continued periodically for pads longer than the axis.
    """
    if size < 2 and before + after > 0:
        raise ValueError(f"reflect padding needs an axis of at least 2 pixels, got {size}")
    positions = torch.arange(-before, size + after)
    if size < 2:
        return positions
    folded = positions % (2 * size - 2)
    return torch.where(folded < size, folded, 2 * size - 2 - folded)


class ReflectPad2d(torch.nn.Module):
    """Pad the last two axes of x [..., H, W] → [..., H + 2p_h, W + 2p_w] by reflection; :meth:`adjoint` is exact."""

    def __init__(self, height: int, width: int, pad_rows: int, pad_cols: int):
        super().__init__()
        self.register_buffer("rows", reflect_indices(height, pad_rows, pad_rows), persistent=False)
        self.register_buffer("cols", reflect_indices(width, pad_cols, pad_cols), persistent=False)
        self.height, self.width = height, width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows, cols = self.rows.to(x.device), self.cols.to(x.device)
        return x.index_select(-2, rows).index_select(-1, cols)

    def adjoint(self, z: torch.Tensor) -> torch.Tensor:
        """Each padded entry added back onto the pixel it copies: [..., H + 2p_h, W + 2p_w] → [..., H, W]."""
        rows, cols = self.rows.to(z.device), self.cols.to(z.device)
        folded_cols = z.new_zeros((*z.shape[:-1], self.width)).index_add_(-1, cols, z)
        return folded_cols.new_zeros((*z.shape[:-2], self.height, self.width)).index_add_(-2, rows, folded_cols)
