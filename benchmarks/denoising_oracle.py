"""What denoising SDR is within reach: two reference denoisers on the held-out chunks a prior is measured on.

- **Oracle ratio mask**: the STFT of x_0 + σ ε times |X_0|² / (|X_0|² + σ²‖w‖²), with X_0 the *clean* chunk's own
  STFT (it knows each time-frequency bin's clean energy: the best real mask, per STFT size).
- **Stationary Wiener filter**: the same with each stem's power spectrum averaged over the chunks and frames (a
  stationary Gaussian prior per stem, fitted on the very chunks it is scored on).

The same chunks and score as :func:`mgdm_audio.audio.training.denoising.denoising` (median per-stem SDR over the
chunks where the stem is active), so the rows compare with a prior's denoising table. A learned denoiser is not bound
by either (it may use phase and what an instrument sounds like), but a result well above the oracle mask would be
surprising.

    python benchmarks/denoising_oracle.py /work/synth4/data/valid [--chunks 24] [--seed 0]
"""

from __future__ import annotations

import argparse

import torch

from mgdm_audio.audio.metrics import ACTIVITY_THRESHOLD
from mgdm_audio.audio.training.denoising import random_chunks

SIGMAS = (0.1, 0.3, 1.0)
FFT_SIZES = (256, 1024, 4096, 8192)


def median_sdr(estimate: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
    """Median per-stem SDR (dB) over the chunks where the stem is active; estimate, clean [n, S, L]."""
    energy = clean.pow(2).sum(dim=2)
    active = energy.sqrt() / clean.shape[2] >= ACTIVITY_THRESHOLD
    sdr = 10 * torch.log10(energy / (estimate - clean).pow(2).sum(dim=2))
    return torch.where(active, sdr, torch.nan).nanmedian(dim=0).values


def masked(noisy: torch.Tensor, power: torch.Tensor, sigma: float, n_fft: int) -> torch.Tensor:
    """istft(STFT(noisy) · power / (power + σ²‖w‖²)); power broadcasts to the STFT [n·S, F, T]."""
    window = torch.hann_window(n_fft, dtype=noisy.dtype)
    spectrum = torch.stft(noisy.reshape(-1, noisy.shape[-1]), n_fft, n_fft // 4, window=window, return_complex=True)
    gain = power / (power + sigma**2 * window.pow(2).sum())
    return torch.istft(spectrum * gain, n_fft, n_fft // 4, window=window, length=noisy.shape[-1]).reshape(noisy.shape)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("--stems", type=int, default=4)
    parser.add_argument("--length", type=int, default=32768, help="chunk length in samples (default: the prior's)")
    parser.add_argument("--chunks", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    clean = random_chunks(args.data_dir, args.stems, args.length, args.chunks, args.seed).double()
    print(
        f"{args.chunks} chunks of {args.length} samples from {args.data_dir}; median per-stem SDR (dB), "
        f"stems spk1 … spk{args.stems}\n"
    )
    print("| σ | reference | STFT size | SDR per stem (dB) |\n|---|---|---|---|")
    for sigma in SIGMAS:
        noisy = clean + sigma * torch.randn(
            clean.shape, generator=torch.Generator().manual_seed(args.seed), dtype=clean.dtype
        )
        for n_fft in FFT_SIZES:
            window = torch.hann_window(n_fft, dtype=clean.dtype)
            clean_power = (
                torch.stft(clean.reshape(-1, args.length), n_fft, n_fft // 4, window=window, return_complex=True)
                .abs()
                .pow(2)
            )
            stationary = clean_power.reshape(args.chunks, args.stems, *clean_power.shape[1:]).mean(dim=(0, 3))
            stationary = stationary[None, :, :, None].expand(args.chunks, -1, -1, 1).reshape(-1, n_fft // 2 + 1, 1)
            for name, power in (("oracle ratio mask", clean_power), ("stationary Wiener", stationary)):
                sdr = median_sdr(masked(noisy, power, sigma, n_fft), clean)
                print(f"| {sigma:g} | {name} | {n_fft} | " + " / ".join(f"{float(v):+.1f}" for v in sdr) + " |")


if __name__ == "__main__":
    main()
