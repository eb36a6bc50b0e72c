"""Declipping by A-SPADE, the analysis-sparse audio declipper (Kitić, Bertin & Gribonval, LVA/ICA 2015; in the
form of Záviška, Rajmic, Ozerov & Rencker, "A survey and an extensive evaluation of popular audio declipping
methods", IEEE JSTSP 2021): the classical baseline of declipping.

Per frame (Hann window, 75 % overlap), look for the signal whose DFT (twice oversampled, a Parseval frame) is
sparsest among those consistent with the clipped frame: equal to it where it is not clipped, beyond the threshold
(with its sign) where it is. ADMM alternates hard thresholding of the coefficients to their k largest and the
projection onto the consistent set, k growing by ``step`` every iteration, until the coefficients and the signal
agree within ``tolerance``. The frames are overlap-added with the window.
"""

from __future__ import annotations

import numpy as np


def aspade_declip(
    clipped: np.ndarray,
    threshold: float,
    frame: int = 1024,
    step: int = 1,
    tolerance: float = 0.1,
    max_iterations: int = 1000,
) -> np.ndarray:
    """``clipped`` [N] (clipped at ±``threshold``) declipped, float64; samples below the threshold are kept.

    Raises:
        ValueError: a non-positive threshold, or a frame length that is not a positive multiple of 4.
    """
    if not threshold > 0:
        raise ValueError(f"the clipping threshold must be positive, got {threshold}")
    if frame <= 0 or frame % 4:
        raise ValueError(f"the frame length must be a positive multiple of 4, got {frame}")
    clipped = np.asarray(clipped, np.float64)
    hop = frame // 4
    padded = np.pad(clipped, (frame, frame + (-len(clipped)) % hop))
    starts = np.arange(0, len(padded) - frame + 1, hop)
    frames = np.stack([padded[s : s + frame] for s in starts])
    restored = _aspade(frames, threshold, step, tolerance, max_iterations)
    window = np.hanning(frame + 1)[:frame]  # periodic Hann: shifted copies at 75 % overlap sum to a constant
    total, weight = np.zeros(len(padded)), np.zeros(len(padded))
    for start, piece in zip(starts, restored):
        total[start : start + frame] += window * piece
        weight[start : start + frame] += window
    result = total / np.maximum(weight, 1e-12)
    result = result[frame : frame + len(clipped)]
    reliable = np.abs(clipped) < threshold
    result[reliable] = clipped[reliable]  # overlap-adding consistent frames keeps them; exactly, not to rounding
    return result


def _aspade(y: np.ndarray, threshold: float, step: int, tolerance: float, max_iterations: int) -> np.ndarray:
    """A-SPADE on every frame of ``y`` [F, w] at once; each frame stops on its own."""
    count, width = y.shape
    high, low = y >= threshold, y <= -threshold
    reliable = ~(high | low)

    def project(x: np.ndarray, rows: np.ndarray) -> np.ndarray:  # onto the frames ``rows`` consistent with y
        x = np.where(reliable[rows], y[rows], x)
        return np.where(high[rows], np.maximum(x, threshold), np.where(low[rows], np.minimum(x, -threshold), x))

    def analysis(x: np.ndarray) -> np.ndarray:  # Parseval: synthesis(analysis(x)) = x
        return np.fft.fft(x, n=2 * width, axis=1) / np.sqrt(2 * width)

    def synthesis(z: np.ndarray) -> np.ndarray:
        return np.real(np.fft.ifft(z, axis=1))[:, :width] * np.sqrt(2 * width)

    x, u = y.copy(), np.zeros((count, 2 * width), complex)
    spectrum = analysis(x)  # analysis(x), kept: each iteration's last transform is the next one's first
    active = ~reliable.all(axis=1)  # a frame with nothing clipped is its own answer
    for iteration in range(max_iterations):
        rows = np.flatnonzero(active)
        if not len(rows):
            break
        # Every frame still running is at the same iteration, so keeps the same number k of coefficients.
        k = min(step * (iteration + 1), 2 * width)
        coefficients = spectrum[rows] + u[rows]
        magnitudes = np.abs(coefficients)
        kth = np.partition(magnitudes, 2 * width - k, axis=1)[:, 2 * width - k]  # the k-th largest
        sparse = np.where(magnitudes >= kth[:, None], coefficients, 0)
        x[rows] = project(synthesis(sparse - u[rows]), rows)
        spectrum[rows] = analysis(x[rows])
        residual = spectrum[rows] - sparse
        u[rows] += residual
        active[rows[np.linalg.norm(residual, axis=1) <= tolerance]] = False
    return x
