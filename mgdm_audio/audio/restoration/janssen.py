"""Gap filling by Janssen's autoregressive interpolation (Janssen, Veldhuis & Vries, IEEE TASSP 1986): the classical
baseline of audio inpainting.

Alternate two least-squares steps on a window around each gap: fit AR coefficients a (a_0 = 1, order p) to the
current signal (Yule–Walker, by Levinson's recursion, which keeps the filter stable), then choose the missing
samples x_M that minimise the energy of the prediction error e = a * x over the window, the known samples fixed:
(A_Mᵀ A_M) x_M = −A_Mᵀ A_K x_K, with A the (N − p) × N convolution matrix of a.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg

#: The fewest samples on each side of a gap that its AR model is estimated from.
CONTEXT = 512


def janssen_interpolate(
    signal: np.ndarray, keep: np.ndarray, order: int | None = None, iterations: int = 20
) -> np.ndarray:
    """``signal`` [N] with its samples where ``keep`` [N] is False filled in; the kept samples are returned as
    they are (float64).

    Each run of missing samples (a gap of h samples) is filled on a window of its own that reaches
    max(3 p, 4 h, 512) samples beyond it on both sides, from which the AR model is estimated (other gaps inside
    the window are filled with it). ``order`` p defaults to
    min(3 h + 2, 256), the usual choice for music (longer gaps need longer memories).

    Raises:
        ValueError: shapes that differ, or nothing known to fit an AR model to.
    """
    signal, keep = np.asarray(signal, np.float64), np.asarray(keep, bool)
    if signal.shape != keep.shape or signal.ndim != 1:
        raise ValueError(f"signal and mask must be [N] alike, got {signal.shape} and {keep.shape}")
    if not keep.any():
        raise ValueError("no known sample to fit an autoregressive model to")
    restored = np.where(keep, signal, 0.0)
    gaps = _gaps(keep)
    for start, stop in gaps:
        p = order or min(3 * (stop - start) + 2, 256)
        context = max(3 * p, 4 * (stop - start), CONTEXT)
        low, high = max(0, start - context), min(len(signal), stop + context)
        # A window holds its own gap only: two gaps solved together made ill-conditioned systems that blew up
        # (a 100 ms gap 0.3 s from the next filled with 10⁶-sized samples); each gap is filled in its own window.
        low = max([low, *(end for _, end in gaps if end <= start)])
        high = min([high, *(begin for begin, _ in gaps if begin >= stop)])
        window = restored[low:high]
        missing = ~keep[low:high]
        restored[low:high] = _fill(window, missing, p, iterations)
    return restored


def _gaps(keep: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of False in ``keep``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[1], keep.astype(np.int8), [1]])))
    return list(zip(edges[::2], edges[1::2]))


def _fill(x: np.ndarray, missing: np.ndarray, order: int, iterations: int) -> np.ndarray:
    """Janssen's iterations on one window ``x`` [N] (its missing samples' values are the starting guess)."""
    x = x.copy()
    n = len(x)
    order = min(order, n - 1 - int(missing.sum()) // 2, n // 3)
    if order < 1:
        return x
    where = np.flatnonzero(missing)
    # One run of missing samples, each at least p from the window's ends (so meeting all p + 1 rows of A): A_Mᵀ A_M
    # is then the Toeplitz matrix of a's autocorrelation, banded (bandwidth p) and solved by banded Cholesky.
    interior = where[0] >= order and where[-1] <= n - order - 1 and where[-1] - where[0] + 1 == len(where)
    if not interior:  # columns of A for the missing samples: A[r, j] = a[r + p − j], rows r = 0 … N − p − 1
        rows = [np.arange(max(0, j - order), min(n - order, j + 1)) for j in where]
        columns = np.concatenate([np.full(len(r), c) for c, r in enumerate(rows)])
        taps = np.concatenate([r + order - j for r, j in zip(rows, where)])
        rows = np.concatenate(rows)
    for _ in range(iterations):
        a = _ar_coefficients(x, order)
        residual = np.convolve(np.where(missing, 0.0, x), a, mode="valid")  # A x_K: the known samples' errors
        if interior:
            rhs = -np.convolve(residual, a[::-1])[where]  # −A_Mᵀ A x_K
            x[where] = scipy.linalg.solveh_banded(_banded_gram(a, len(where)), rhs)
        else:
            a_missing = scipy.sparse.csr_matrix((a[taps], (rows, columns)), shape=(n - order, len(where)))
            normal = (a_missing.T @ a_missing).tocsc()
            x[where] = scipy.sparse.linalg.spsolve(normal, -(a_missing.T @ residual))
    return x


def _banded_gram(a: np.ndarray, count: int) -> np.ndarray:
    """A_Mᵀ A_M for one run of ``count`` missing samples away from the window's ends, in upper banded storage
    [p + 1, count]: the Toeplitz matrix of R(d) = Σ_m a[m] a[m + d] (0 beyond p)."""
    order = len(a) - 1
    autocorrelation = np.correlate(a, a, mode="full")[order:]
    banded = np.zeros((order + 1, count))
    for offset in range(min(order, count - 1) + 1):
        banded[order - offset, offset:] = autocorrelation[offset]
    return banded


def _ar_coefficients(x: np.ndarray, order: int) -> np.ndarray:
    """a [order + 1] with a_0 = 1 by Yule–Walker on ``x``'s biased autocorrelation (a stable filter)."""
    spectrum = np.fft.rfft(x, n=2 * len(x))  # zero-padded: the circular autocorrelation is the linear one
    r = np.fft.irfft(np.abs(spectrum) ** 2, n=2 * len(x))[: order + 1] / len(x)
    if r[0] <= 0:
        return np.concatenate([[1.0], np.zeros(order)])
    r = r.copy()
    r[0] *= 1 + 1e-9  # a little diagonal loading: a pure tone's autocorrelation matrix is singular
    return np.concatenate([[1.0], -scipy.linalg.solve_toeplitz(r[:order], r[1 : order + 1])])
