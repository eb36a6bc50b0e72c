"""How well an image prior denoises held-out images: the measurement its model card and
``mgdm train-image-prior --valid-scp`` report.

For each target noise level σ (data units: images in [−1, 1]), the prior's table level i whose
σ_i = sqrt((1 − ᾱ_i) / ᾱ_i) is nearest in log scale is used: the noisy image is x_0 + σ_i ε, the prior's
input its VP form x_i = sqrt(ᾱ_i) (x_0 + σ_i ε), and the estimate its denoiser D_i(x_i) = E[x_0 | x_i]
(:meth:`mgdm_audio.core.priors.base.Prior.x0`). PSNR per image is 10 log10(2² / MSE) (peak-to-peak 2 on
[−1, 1], so equal to the PSNR of the same images on [0, 1]); a row gives its mean with a 95 % interval
over the images, the mean MSE, and the same for the noisy image itself (the identity denoiser).
"""

from __future__ import annotations

import math

import torch

from mgdm_audio.core.schedules import sigmas_from_table

from .scores import mean_ci95

#: Target noise levels on the [−1, 1] scale; 0.05 is the restoration tasks' σ_y.
SIGMAS = (0.05, 0.1, 0.2, 0.5, 1.0)


def nearest_level(prior, sigma: float) -> int:
    """Table index 1 <= i <= N of ``prior`` whose σ_i is nearest to ``sigma`` > 0 in log scale."""
    if not sigma > 0:
        raise ValueError(f"noise level must be positive, got {sigma}")
    levels = sigmas_from_table(prior.alphas_cumprod)[1:]
    return 1 + int(torch.argmin((torch.log(levels) - math.log(sigma)).abs()))


def denoising_rows(
    prior, clean: torch.Tensor, sigmas: tuple[float, ...] = SIGMAS, seed: int = 0, batch_size: int = 64
) -> list[dict]:
    """One row per σ: ``{"sigma", "level", "level_sigma", "psnr", "psnr_ci95", "mse", "identity_psnr",
    "identity_mse"}`` (dB and squared units of [−1, 1]) of the prior's denoiser on ``clean`` [M, *event_shape]
    in [−1, 1]; the noise is drawn from ``seed`` (the same for the same seed, clean images and σ)."""
    generator = torch.Generator().manual_seed(seed)
    rows = []
    for sigma in sigmas:
        level = nearest_level(prior, sigma)
        alpha_bar = prior.alpha_bar(level)
        level_sigma = math.sqrt((1.0 - alpha_bar) / alpha_bar)
        noisy = clean + level_sigma * torch.randn(clean.shape, generator=generator, dtype=clean.dtype)
        with torch.no_grad():
            denoised = torch.cat(
                [
                    prior.x0((batch * math.sqrt(alpha_bar)).to(prior.device, prior.dtype), level).cpu()
                    for batch in noisy.split(batch_size)
                ]
            ).to(clean.dtype)
        mse = (denoised - clean).pow(2).flatten(1).mean(1)
        identity_mse = (noisy - clean).pow(2).flatten(1).mean(1)
        psnr, psnr_ci95, _ = mean_ci95((10 * torch.log10(4.0 / mse)).tolist())
        rows.append(
            {
                "sigma": sigma,
                "level": level,
                "level_sigma": round(level_sigma, 5),
                "psnr": psnr,
                "psnr_ci95": psnr_ci95,
                "mse": float(mse.mean()),
                "identity_psnr": float((10 * torch.log10(4.0 / identity_mse)).mean()),
                "identity_mse": float(identity_mse.mean()),
            }
        )
    return rows


def denoising_table(rows: list[dict]) -> str:
    """The rows of :func:`denoising_rows` as a Markdown table."""
    lines = [
        "| σ (level σ_i, index i) | noisy PSNR (dB) | denoised PSNR (dB) | gain (dB) | denoised MSE |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['sigma']:g} ({row['level_sigma']:.3f}, {row['level']}) | {row['identity_psnr']:.2f} | "
            f"{row['psnr']:.2f} ± {row['psnr_ci95']:.2f} | {row['psnr'] - row['identity_psnr']:+.2f} | "
            f"{row['mse']:.2e} |"
        )
    return "\n".join(lines)
