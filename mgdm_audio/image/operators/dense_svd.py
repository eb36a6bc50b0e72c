"""Dense SVD factors of structured image operators (the :meth:`LinearOperator.svd` contract).

The contract returns U [d_y, r], S [r], V [d, r] as dense matrices on flattened images, so these
factors are for small images only (a 32 × 32 RGB image has d = 3,072); a clear error stops the
build beyond :data:`MAX_DENSE_ENTRIES` instead of exhausting memory.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

#: Most entries U and V may hold together (2^26 float64 numbers = 512 MiB).
MAX_DENSE_ENTRIES = 2**26


def check_dense_size(out_dim: int, in_dim: int, rank: int, what: str) -> None:
    """ValueError if dense U [out_dim, rank] and V [in_dim, rank] would exceed the limit."""
    entries = (out_dim + in_dim) * rank
    if entries > MAX_DENSE_ENTRIES:
        raise ValueError(
            f"{what}: dense SVD factors would hold {entries:,} entries (limit {MAX_DENSE_ENTRIES:,}); "
            "the SVD is for small images only"
        )


def selection_svd(keep: torch.Tensor, what: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """SVD of the diagonal 0/1 projection diag(keep) on d = keep.numel() entries.

    Args:
        keep: bool tensor of any shape, True where an entry passes (flattened row-major).

    Returns:
        U = V = the kept columns of I_d [d, r], S = ones [r] (float64, on keep's device).
    """
    flat = keep.reshape(-1)
    kept = torch.nonzero(flat).squeeze(1)
    check_dense_size(flat.numel(), flat.numel(), len(kept), what)
    columns = torch.zeros(flat.numel(), len(kept), dtype=torch.float64, device=keep.device)
    columns[kept, torch.arange(len(kept), device=keep.device)] = 1.0
    return columns, torch.ones(len(kept), dtype=torch.float64, device=keep.device), columns.clone()


def kronecker_svd(factors: Sequence[torch.Tensor], what: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """SVD of M_1 ⊗ M_2 ⊗ … from the thin SVDs of the (small) factors, singular values descending.

    (A ⊗ B) = (U_A ⊗ U_B)(S_A ⊗ S_B)(V_A ⊗ V_B)ᵀ, so only the factors are decomposed.
    """
    parts = [torch.linalg.svd(m.to(torch.float64), full_matrices=False) for m in factors]
    rank = 1
    out_dim = in_dim = 1
    for m, (_, s, _) in zip(factors, parts):
        rank, out_dim, in_dim = rank * len(s), out_dim * m.shape[0], in_dim * m.shape[1]
    check_dense_size(out_dim, in_dim, rank, what)
    U, S, Vh = parts[0]
    V = Vh.T
    for u, s, vh in parts[1:]:
        U, S, V = torch.kron(U, u), torch.kron(S, s), torch.kron(V, vh.T)
    order = torch.argsort(S, descending=True, stable=True)
    return U[:, order], S[order], V[:, order]
