"""Stems made to fit the mixture at the output rate: panning of stems separated from the channels' mean, and the
projection that makes the stems sum to the mixture over its whole band.

The prior sees the mixture below its band limit (half its rate). Above it (a 44.1 kHz song separated by a 22.05 kHz
prior keeps 11–22 kHz) the sampler says nothing, so the projection gives that band to the stems in proportion to
their energy in the octave just below the limit, frame by frame: cymbals go to the drums, not equally to every stem.
Below the limit the residual is spread equally, the least-squares correction (docs/audio.md, "Stereo and full
band").
"""

from __future__ import annotations

import numpy as np
import torch

#: STFT frame of the high-band split, in seconds (2,048 samples at 44.1 kHz), hop a quarter of it.
FRAME_SECONDS = 0.046
#: Relative ridge on the pan gains: keeps a near-silent or near-duplicate stem's gain near 1.
PAN_RIDGE = 1e-6


def pan(stems: np.ndarray, mixture: np.ndarray) -> np.ndarray:
    """Stems separated from the channels' mean, given each channel's share of them.

    Args:
        stems: [N, S, 1, n] draws of S stems separated from the mean of the mixture's channels.
        mixture: [C, n] the mixture's channels at the same rate.

    Returns:
        [N, S, C, n]: stem s in channel c is g[s, c] · stems[:, s, 0], with gains fitted by least squares to the
        channels (x_c − mean ≈ Σ_s (g[s, c] − 1) · stem s), each in [0, C] and averaging 1 over the channels, so
        the channels' mean of every stem is the stem separated. A panned source's gains are its pan law's.
    """
    mean = mixture.mean(axis=0)
    columns = stems[:, :, 0]  # [N, S, n]
    channels = mixture.shape[0]
    panned = np.empty((stems.shape[0], stems.shape[1], channels, stems.shape[-1]))
    for draw, basis in enumerate(columns):
        gram = basis @ basis.T
        gram = gram + PAN_RIDGE * np.diag(np.diag(gram)) + 1e-12 * np.eye(len(gram))
        # Each channel's offsets solve the same normal equations; their targets sum to zero over channels, so
        # the offsets do too and the gains average 1.
        offsets = np.linalg.solve(gram, basis @ (mixture - mean).T)  # [S, C]
        gains = np.clip(1.0 + offsets, 0.0, channels)
        total = gains.sum(axis=1, keepdims=True)
        gains = np.where(total > 0, gains * channels / np.where(total > 0, total, 1.0), 1.0)
        panned[draw] = gains[:, :, None] * basis[:, None, :]
    return panned


def project(stems: np.ndarray, mixture: np.ndarray, rate: int, band_limit: float) -> np.ndarray:
    """Stems corrected to sum to the mixture, over its whole band.

    Args:
        stems: [N, S, C, n] draws of S stems at ``rate`` Hz. mixture: [C, n].
        rate: the arrays' rate (Hz). band_limit: the highest frequency the stems were separated at (Hz): the
            prior's Nyquist.

    Returns:
        [N, S, C, n] with Σ_s = mixture for every draw and channel (to rounding). The residual below
        ``band_limit`` is spread equally over the stems; above it, in each STFT frame, in proportion to each stem's
        energy between ``band_limit / 2`` and ``band_limit`` (equally where all are silent there).
    """
    count = stems.shape[1]
    residual = mixture - stems.sum(axis=1)  # [N, C, n]
    if band_limit >= rate / 2:
        return stems + residual[:, None] / count
    length = stems.shape[-1]
    n_fft = 2 ** round(np.log2(FRAME_SECONDS * rate))
    window = torch.hann_window(n_fft, dtype=torch.float64)

    def stft(values: np.ndarray) -> torch.Tensor:
        flat = torch.from_numpy(np.ascontiguousarray(values)).reshape(-1, length)
        spectra = torch.stft(flat, n_fft, n_fft // 4, window=window, pad_mode="constant", return_complex=True)
        return spectra.reshape(*values.shape[:-1], *spectra.shape[-2:])  # [..., bins, frames]

    frequencies = torch.fft.rfftfreq(n_fft, 1.0 / rate, dtype=torch.float64)
    high = frequencies >= band_limit
    below = (frequencies >= band_limit / 2) & ~high
    energy = stft(stems)[..., below, :].abs().square().sum(dim=-2)  # [N, S, C, frames]
    floor = 1e-12 * energy.sum(dim=1, keepdim=True).amax(dim=-1, keepdim=True) + 1e-30
    shares = (energy + floor) / (energy + floor).sum(dim=1, keepdim=True)
    weights = torch.where(high[:, None], shares[..., None, :], 1.0 / count)  # [N, S, C, bins, frames]
    parts = weights * stft(residual)[:, None]
    corrections = (
        torch.istft(parts.reshape(-1, *parts.shape[-2:]), n_fft, n_fft // 4, window=window, length=length)
        .reshape(stems.shape)
        .numpy()
    )
    # The parts sum to the residual's STFT, so the corrections sum to the residual; an equal share of what the
    # inverse transform rounds off closes the sum exactly.
    corrections = corrections + (residual - corrections.sum(axis=1))[:, None] / count
    return stems + corrections
