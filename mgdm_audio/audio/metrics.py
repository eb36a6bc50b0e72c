"""Source-separation metrics of the MSDM / MGDM protocol: SI-SNR, windowed SI-SDRi, museval SDR.

Protocol (docs/method.md#separation-protocol, following MSDM's released ``evaluation/evaluate_separation.py``): test
tracks are cut into non-overlapping 262,144-sample chunks (:func:`msdm_chunks`), separated and
concatenated; each track is then scored on 4 s windows with a 2 s hop (:func:`windowed_si_sdri`)
and with BSS-Eval v4 SDR on 1 s frames (:func:`museval_sdr`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import torch

#: Regulariser of SI-SNR (docs/method.md#separation-protocol, as in MSDM's ``sisnr``).
EPS = 1e-8
#: Chunk length of MSDM's separation protocol, in samples (≈ 11.9 s at 22,050 Hz).
MSDM_CHUNK = 262_144
#: A stem counts as active in n samples when ‖s‖₂ / n reaches this (MSDM's window filter).
ACTIVITY_THRESHOLD = 1.5e-5

Array = TypeVar("Array", np.ndarray, torch.Tensor)


def si_snr(estimate: Array, reference: Array, zero_mean: bool = False) -> Array:
    """Scale-invariant SNR in dB over the last axis, batched over leading axes.

    SI-SNR(ŝ, s) = 10 log10((‖αs‖² + ε) / (‖αs − ŝ‖² + ε)),  α = (⟨ŝ, s⟩ + ε) / (‖s‖² + ε),  ε = 1e-8.

    The ε in the final ratio is MSDM's (its ``sisnr``): it keeps a perfect estimate finite
    (10 log10(‖s‖²/ε + 1), above 80 dB once ‖s‖² ≥ 1) and an all-zero reference finite; for
    any audible reference it changes the value by far less than 0.01 dB. ``zero_mean=True``
    removes each signal's mean first (Le Roux et al., "SDR – half-baked or well done?"); MSDM
    does not. ``estimate`` and ``reference``: same shape [..., N], numpy arrays or torch
    tensors (a tensor if either is one). Computed in float64; returns shape [...], float64.
    """
    if isinstance(estimate, torch.Tensor) or isinstance(reference, torch.Tensor):
        backend, estimate = torch, torch.as_tensor(estimate, dtype=torch.float64)
        reference = torch.as_tensor(reference, dtype=torch.float64, device=estimate.device)
    else:
        backend = np
        estimate, reference = np.asarray(estimate, np.float64), np.asarray(reference, np.float64)
    if estimate.shape != reference.shape:
        raise ValueError(f"estimate {tuple(estimate.shape)} and reference {tuple(reference.shape)} differ in shape")
    if zero_mean:
        estimate = estimate - estimate.mean(-1)[..., None]
        reference = reference - reference.mean(-1)[..., None]
    alpha = ((estimate * reference).sum(-1) + EPS) / ((reference * reference).sum(-1) + EPS)
    target = alpha[..., None] * reference
    error = target - estimate
    return 10 * backend.log10(((target * target).sum(-1) + EPS) / ((error * error).sum(-1) + EPS))


def chunk_starts(num_samples: int, chunk: int = MSDM_CHUNK) -> range:
    """First samples of the non-overlapping full chunks of a signal of ``num_samples`` samples, the last
    partial chunk dropped (so ``num_samples < chunk`` gives none)."""
    if chunk < 1:
        raise ValueError(f"chunk must be a positive number of samples, got {chunk}")
    return range(0, num_samples - chunk + 1, chunk)


def msdm_chunks(signal: np.ndarray, chunk: int = MSDM_CHUNK) -> list[np.ndarray]:
    """Non-overlapping chunks [..., chunk] of ``signal`` [..., N] along the last axis (:func:`chunk_starts`):
    the pieces MSDM separates one at a time."""
    return [signal[..., start : start + chunk] for start in chunk_starts(signal.shape[-1], chunk)]


def window_starts(num_samples: int, window: int, hop: int) -> range:
    """First samples of the scoring windows of a signal of ``num_samples`` samples.

    As MSDM: ⌈(N − overlap) / hop⌉ windows, overlap = window − hop, starting at multiples of
    ``hop``; so every window but the last is full, and the last one, ``[start, N)``, may be
    shorter than ``window`` (it still holds more than ``overlap`` samples, i.e. the part not
    already covered by the previous window). Needs 0 < hop ≤ window.
    """
    if not 0 < hop <= window:
        raise ValueError(f"need 0 < hop <= window, got hop {hop} and window {window} samples")
    return range(0, max(num_samples - (window - hop), 0), hop)


@dataclass(frozen=True)
class WindowedScores:
    """Scores of the kept windows of one track (W windows, S stems).

    starts, lengths: [W] first sample and length of each window (samples); active: [W, S]
    whether each stem is active there; scored: [W, S] which (window, stem) pairs count in the
    headline (every stem of a kept window, or only active stems with ``active_only``);
    si_sdr, si_sdri: [W, S] SI-SNR(est, ref) and SI-SNR(est, ref) − SI-SNR(mix, ref), dB,
    given for every pair (read them through ``scored``).
    """

    starts: np.ndarray
    lengths: np.ndarray
    active: np.ndarray
    scored: np.ndarray
    si_sdr: np.ndarray
    si_sdri: np.ndarray


def windowed_si_sdri(
    estimates: np.ndarray,
    references: np.ndarray,
    mixture: np.ndarray,
    sample_rate: int,
    window_s: float = 4.0,
    hop_s: float = 2.0,
    activity_threshold: float = ACTIVITY_THRESHOLD,
    zero_mean: bool = False,
    active_only: bool = False,
) -> WindowedScores:
    """SI-SDRi of one track by the MSDM protocol. estimates, references: [S, N]; mixture: [N].

    Windows are laid out by :func:`window_starts` (``window_s`` and ``hop_s`` in seconds,
    rounded to samples). Stem k is active in a window of n samples if ‖s_k‖₂ / n ≥
    ``activity_threshold`` (n is the window's own length, shorter for the last one); windows
    with at most one active stem are dropped (the mixture is then one source: nothing to
    separate).

    Which stems of a kept window are scored: MSDM's protocol uses activity only to drop windows,
    and MSDM's released ``evaluate_separations`` appends SI-SDRi of *every* stem of a kept
    window, silent ones included (its ε-regularised SI-SNR keeps them finite). That is the
    default, so the headline matches the published numbers' definition. ``active_only=True``
    scores each stem only in windows where it is active — on an inactive stem SI-SDRi mostly
    measures how quiet the estimate is, 10 log10((‖mix‖² + ε) / (‖est‖² + ε)) for a silent one.
    """
    estimates, references = np.asarray(estimates, np.float64), np.asarray(references, np.float64)
    mixture = np.asarray(mixture, np.float64)
    if estimates.ndim != 2 or estimates.shape != references.shape or mixture.shape != references.shape[1:]:
        raise ValueError(
            f"need estimates and references [S, N] and mixture [N]; got {estimates.shape}, "
            f"{references.shape} and {mixture.shape}"
        )
    window, hop = round(window_s * sample_rate), round(hop_s * sample_rate)
    kept = []
    for start in window_starts(mixture.shape[-1], window, hop):
        piece = slice(start, start + window)
        length = mixture[piece].shape[-1]
        active = np.linalg.norm(references[:, piece], axis=-1) / length >= activity_threshold
        if active.sum() <= 1:
            continue
        si_sdr = si_snr(estimates[:, piece], references[:, piece], zero_mean)
        baseline = si_snr(np.broadcast_to(mixture[piece], references[:, piece].shape), references[:, piece], zero_mean)
        kept.append((start, length, active, si_sdr, si_sdr - baseline))
    num_stems = references.shape[0]
    if not kept:
        empty = np.zeros((0, num_stems))
        return WindowedScores(np.zeros(0, int), np.zeros(0, int), empty.astype(bool), empty.astype(bool), empty, empty)
    starts, lengths, active, si_sdr, si_sdri = (np.array(column) for column in zip(*kept))
    scored = active.copy() if active_only else np.ones_like(active)
    return WindowedScores(starts, lengths, active, scored, si_sdr, si_sdri)


def museval_sdr(estimates: np.ndarray, references: np.ndarray, sample_rate: int) -> np.ndarray:
    """BSS-Eval v4 SDR per stem [S] (dB) of estimates, references [S, N] (mono).

    ``museval.evaluate`` on 1 s frames with a 1 s hop, then the nanmedian over frames (museval
    gives NaN on frames where some reference is silent). museval refuses an all-zero reference,
    so such stems are left out of the evaluation and get NaN; so does a stem with no valid frame.
    """
    import museval  # imported here: it pulls in musdb and stempeg, slow and needing ffmpeg/ffprobe

    estimates, references = np.asarray(estimates, np.float64), np.asarray(references, np.float64)
    if estimates.ndim != 2 or estimates.shape != references.shape:
        raise ValueError(f"need estimates and references [S, N]; got {estimates.shape} and {references.shape}")
    result = np.full(references.shape[0], np.nan)
    audible = np.flatnonzero(np.any(references != 0, axis=-1))
    if len(audible) == 0:
        return result
    sdr, _, _, _ = museval.evaluate(
        references[audible, :, None], estimates[audible, :, None], win=sample_rate, hop=sample_rate
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "All-NaN slice": a stem with no valid frame
        result[audible] = np.nanmedian(sdr, axis=1)
    return result
