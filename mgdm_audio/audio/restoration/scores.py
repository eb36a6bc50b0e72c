"""How close a restoration is to the clean signal: SDR, SI-SDR and the log-spectral distance (all over every
channel and sample of a track at one rate)."""

from __future__ import annotations

import numpy as np
import torch

from ..metrics import si_snr

#: STFT of the log-spectral distance: frame and hop in samples, Hann window.
LSD_FRAME, LSD_HOP = 2048, 512


def sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """10 log10(‖reference‖² / ‖reference − estimate‖²) in dB over all samples (inf for an exact estimate)."""
    error = float(np.sum((np.asarray(reference, np.float64) - estimate) ** 2))
    energy = float(np.sum(np.asarray(reference, np.float64) ** 2))
    return float("inf") if error == 0 else 10 * np.log10(energy / error)


def si_sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Scale-invariant SDR in dB of the flattened signals (the estimate's best scaling of the reference)."""
    return float(si_snr(np.ravel(estimate), np.ravel(reference)))


def log_spectral_distance(estimate: np.ndarray, reference: np.ndarray) -> float:
    """The log-spectral distance, mean over frames of sqrt(mean over bins of (log10 P − log10 P̂)²), P the power
    spectrum (2048-sample Hann frames, hop 512; 1e-10 added to each power): 0 for equal spectra; the bandwidth
    extension literature's measure (NU-Wave, AudioSR)."""

    def power(x: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.asarray(x, np.float64).reshape(-1, np.shape(x)[-1]))
        frame = min(LSD_FRAME, x.shape[-1])
        window = torch.hann_window(frame, dtype=torch.float64)
        spectrum = torch.stft(x, frame, min(LSD_HOP, frame), window=window, center=True, return_complex=True)
        return spectrum.abs() ** 2 + 1e-10

    difference = torch.log10(power(reference)) - torch.log10(power(estimate))
    return float(difference.pow(2).mean(dim=-2).sqrt().mean())


def restoration_scores(estimate: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """SDR, SI-SDR (dB) and LSD of ``estimate`` against ``reference`` [channels, samples], rounded for records."""
    return {
        "sdr": round(sdr(estimate, reference), 4),
        "si_sdr": round(si_sdr(estimate, reference), 4),
        "lsd": round(log_spectral_distance(estimate, reference), 4),
    }
