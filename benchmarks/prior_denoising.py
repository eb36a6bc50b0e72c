"""How well a multi-source prior denoises held-out stems, and what one denoiser call costs.

For each σ, draws x = x_0 + σ ε on random aligned chunks of a data dir's references and prints the
per-stem MSE of the prior's EDM denoiser D(x, σ) next to the identity's (σ²), and the per-stem SDR
10·log10(‖x_0‖² / ‖D − x_0‖²) (median over the chunks where the stem is active by MSDM's rule; below
0 dB the denoiser does worse than returning zero), then times one no-gradient call on a 10-second 4-stem input.

    python benchmarks/prior_denoising.py /data/synth4/data/test [--prior default] [--chunks 24]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import soundfile
import torch

from mgdm_audio.audio.corpora.kaldi import read_list, speaker_file
from mgdm_audio.audio.metrics import ACTIVITY_THRESHOLD
from mgdm_audio.priors import load

SIGMAS = (0.01, 0.1, 0.3, 0.5, 1.0)


def random_chunks(data_dir: str, num_stems: int, length: int, count: int, seed: int) -> torch.Tensor:
    """[count, S, length] aligned reference chunks at random offsets of random utterances."""
    references = [read_list(f"{data_dir}/{speaker_file(i + 1)}") for i in range(num_stems)]
    utts = sorted(references[0])
    rng = np.random.default_rng(seed)
    chunks = []
    for _ in range(count):
        utt = utts[rng.integers(len(utts))]
        frames = soundfile.info(references[0][utt]).frames
        start = int(rng.integers(0, frames - length))
        chunks.append([soundfile.read(ref[utt], start=start, frames=length, dtype="float32")[0] for ref in references])
    return torch.from_numpy(np.asarray(chunks))


def denoising(prior, clean: torch.Tensor, sigma: float, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(MSE per stem [S], median SDR per stem over active chunks [S], dB) of D(x_0 + σ ε, σ) on ``clean`` [n, S, L]."""
    with torch.no_grad():
        noisy = clean + sigma * torch.randn(clean.shape, generator=generator)
        denoised = torch.cat([prior.denoiser(batch, sigma) for batch in noisy.split(8)])
    squared_error = ((denoised - clean) ** 2).sum(dim=2)  # [chunks, stems]
    energy = clean.pow(2).sum(dim=2)
    active = energy.sqrt() / clean.shape[2] >= ACTIVITY_THRESHOLD
    sdr = torch.where(active, 10 * torch.log10(energy / squared_error), torch.nan).nanmedian(dim=0).values
    return squared_error.mean(dim=0) / clean.shape[2], sdr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("--prior", default="default")
    parser.add_argument("--chunks", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    prior = load(args.prior)
    clean = random_chunks(args.data_dir, len(prior.stems), prior.segment_length, args.chunks, args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    print(f"prior {args.prior}: {sum(p.numel() for p in prior.parameters()) / 1e6:.2f} M parameters; "
          f"{args.chunks} chunks of {prior.segment_length} samples from {args.data_dir}\n")
    print("| σ | identity MSE (σ²) | " + " | ".join(f"{stem} MSE" for stem in prior.stems) + " | all stems | "
          + " | ".join(f"{stem} SDR (dB)" for stem in prior.stems) + " |")
    print("|---|---|" + "---|" * (2 * len(prior.stems) + 1))
    for sigma in SIGMAS:
        per_stem, sdr = denoising(prior, clean, sigma, generator)
        print(f"| {sigma} | {sigma**2:.2e} | " + " | ".join(f"{float(v):.2e}" for v in per_stem)
              + f" | {float(per_stem.mean()):.2e} | " + " | ".join(f"{float(v):+.1f}" for v in sdr) + " |")
    with torch.no_grad():
        length = prior.valid_length(10 * prior.sample_rate)
        x = torch.randn(1, len(prior.stems), length, generator=generator)
        prior.denoiser(x, 0.5)  # warm-up
        seconds = []
        for _ in range(5):
            start = time.perf_counter()
            prior.denoiser(x, 0.5)
            seconds.append(time.perf_counter() - start)
    print(f"\none denoiser call on a 10 s, {len(prior.stems)}-stem input ({length} samples), "
          f"{torch.get_num_threads()} threads: median {statistics.median(seconds):.3f} s over 5 calls")


if __name__ == "__main__":
    main()
