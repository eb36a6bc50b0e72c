"""How well a multi-source prior denoises held-out stems: the measurement its model card and the training
benchmarks print.

For each σ, x = x_0 + σ ε on random aligned chunks of a data dir's references; the per-stem MSE of the
prior's denoiser D(x, σ) (to compare with the identity's σ²) and the per-stem SDR 10·log10(‖x_0‖² / ‖D − x_0‖²),
median over the chunks where the stem is active by MSDM's rule (below 0 dB the denoiser does worse than
returning zero).
"""

from __future__ import annotations

import os

import numpy as np
import soundfile
import torch

from ..corpora.kaldi import read_list, speaker_file
from ..metrics import ACTIVITY_THRESHOLD

SIGMAS = (0.01, 0.1, 0.3, 0.5, 1.0)


def random_chunks(data_dir: str | os.PathLike, num_stems: int, length: int, count: int, seed: int) -> torch.Tensor:
    """[count, S, length] aligned reference chunks (spk1 … spkS) at random offsets of random utterances (those
    longer than ``length``).

    Raises:
        ValueError: no utterance is longer than ``length`` (the message names the directory).
    """
    references = [read_list(f"{data_dir}/{speaker_file(i + 1)}") for i in range(num_stems)]
    frames = {utt: soundfile.info(path).frames for utt, path in references[0].items()}
    utts = sorted(utt for utt in frames if frames[utt] > length)
    if not utts:
        raise ValueError(f"{data_dir}: no utterance is longer than {length} samples")
    rng = np.random.default_rng(seed)
    chunks = []
    for _ in range(count):
        utt = utts[rng.integers(len(utts))]
        start = int(rng.integers(0, frames[utt] - length))
        chunks.append([soundfile.read(ref[utt], start=start, frames=length, dtype="float32")[0] for ref in references])
    return torch.from_numpy(np.asarray(chunks))


def denoising(
    prior, clean: torch.Tensor, sigma: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """(MSE per stem [S], median SDR per stem over active chunks [S], dB) of D(x_0 + σ ε, σ) on ``clean`` [n, S, L]."""
    with torch.no_grad():
        noisy = clean + sigma * torch.randn(clean.shape, generator=generator)
        denoised = torch.cat([prior.denoiser(batch, sigma) for batch in noisy.split(8)])
    squared_error = ((denoised - clean) ** 2).sum(dim=2)  # [chunks, stems]
    energy = clean.pow(2).sum(dim=2)
    active = energy.sqrt() / clean.shape[2] >= ACTIVITY_THRESHOLD
    sdr = torch.where(active, 10 * torch.log10(energy / squared_error), torch.nan).nanmedian(dim=0).values
    return squared_error.mean(dim=0) / clean.shape[2], sdr


def denoising_table(
    prior, data_dir: str | os.PathLike, chunks: int = 24, seed: int = 0, sigmas: tuple[float, ...] = SIGMAS
) -> str:
    """Markdown table: per σ, the identity's MSE, each stem's MSE, all stems' MSE and each stem's SDR (dB) on
    ``chunks`` random chunks of ``data_dir`` (the same chunks and noise for the same seed)."""
    clean = random_chunks(data_dir, len(prior.stems), prior.segment_length, chunks, seed)
    generator = torch.Generator().manual_seed(seed)
    lines = [
        "| σ | identity MSE (σ²) | "
        + " | ".join(f"{stem} MSE" for stem in prior.stems)
        + " | all stems | "
        + " | ".join(f"{stem} SDR (dB)" for stem in prior.stems)
        + " |",
        "|---|---|" + "---|" * (2 * len(prior.stems) + 1),
    ]
    for sigma in sigmas:
        per_stem, sdr = denoising(prior, clean, sigma, generator)
        lines.append(
            f"| {sigma:g} | {sigma**2:.2e} | "
            + " | ".join(f"{float(v):.2e}" for v in per_stem)
            + f" | {float(per_stem.mean()):.2e} | "
            + " | ".join(f"{float(v):+.1f}" for v in sdr)
            + " |"
        )
    return "\n".join(lines)
