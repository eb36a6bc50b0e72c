"""How well a multi-source prior denoises held-out stems, and what one denoiser call costs.

For each σ, draws x = x_0 + σ ε on random aligned chunks of a data dir's references and prints the
per-stem MSE of the prior's EDM denoiser D(x, σ) next to the identity's (σ²), and the per-stem SDR
10·log10(‖x_0‖² / ‖D − x_0‖²) (median over the chunks where the stem is active by MSDM's rule; below
0 dB the denoiser does worse than returning zero; :mod:`mgdm_audio.audio.training.denoising`), then times one
no-gradient call on a 10-second 4-stem input.

    python benchmarks/prior_denoising.py /data/synth4/data/test [--prior default] [--chunks 24] [--sigmas 0.05 0.2]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from mgdm_audio.audio.training.denoising import SIGMAS, denoising_table
from mgdm_audio.priors import load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("--prior", default="default")
    parser.add_argument("--chunks", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--sigmas", type=float, nargs="+", help=f"noise levels (default: {' '.join(f'{sigma:g}' for sigma in SIGMAS)})"
    )
    args = parser.parse_args()
    prior = load(args.prior)
    print(
        f"prior {args.prior}: {sum(p.numel() for p in prior.parameters()) / 1e6:.2f} M parameters; "
        f"{args.chunks} chunks of {prior.segment_length} samples from {args.data_dir}\n"
    )
    print(denoising_table(prior, args.data_dir, args.chunks, args.seed, tuple(args.sigmas or SIGMAS)))
    generator = torch.Generator().manual_seed(args.seed)
    with torch.no_grad():
        length = prior.valid_length(10 * prior.sample_rate)
        x = torch.randn(1, len(prior.stems), length, generator=generator)
        prior.denoiser(x, 0.5)  # warm-up
        seconds = []
        for _ in range(5):
            start = time.perf_counter()
            prior.denoiser(x, 0.5)
            seconds.append(time.perf_counter() - start)
    print(
        f"\none denoiser call on a 10 s, {len(prior.stems)}-stem input ({length} samples), "
        f"{torch.get_num_threads()} threads: median {statistics.median(seconds):.3f} s over 5 calls"
    )


if __name__ == "__main__":
    main()
