"""Where a sampler's error on the Gaussian-mixture benchmark comes from: mode weights or mode shapes.

Each draw is assigned to the nearest component mean of the exact posterior. Printed per variant and
(d, d_y), averaged over the tuning problems (seeds 1000 on, never scored by `mgdm bench gmm`):
- SW: sliced Wasserstein to exact posterior draws, as in the benchmark;
- mode-weight TV: total variation between the fraction of draws per component and the exact weights
  (exact draws score ≈ 0.03 with 1,000 draws);
- within-mode spread: mean ‖x − nearest component mean‖² (exact draws: ≈ d minus what the observation
  pins down).

    python benchmarks/gmm_diagnostics.py [--cells 8x1 80x1 …] [--seeds 6] [--sigma-y 0.5]
        [--variant denoising_steps=50 --variant "index_rule=midpoint,gibbs_reps=2" …]
"""

from __future__ import annotations

import argparse
import statistics

import torch

from mgdm_audio.bench.gmm import distance_to, draw, make_problem
from mgdm_audio.cli.sampler_options import parse_setting

#: name -> (sampler, settings over the `gmm` preset): always run ...
BASELINES = {
    "DPS (preset)": ("dps", {}),
    "MGDM (preset)": ("mgdm", {}),
    "MGDM variational (published update: R 1, G 20, lr 0.1)": ("mgdm", dict(intermediate_update="variational")),
}
#: ... and, unless --variant names others, these MGDM variants.
MGDM_VARIANTS = {
    "MGDM variational R 2, G 10": ("mgdm", dict(intermediate_update="variational", gibbs_reps=2, grad_steps=10)),
    "MGDM variational R 4, G 5": ("mgdm", dict(intermediate_update="variational", gibbs_reps=4, grad_steps=5)),
}


def parse_variant(text: str) -> dict:
    """``"NAME=VALUE,NAME=VALUE"`` (as ``mgdm restore --set``) -> MGDM settings over the `gmm` preset."""
    try:
        return dict(parse_setting(item, "mgdm") for item in text.split(","))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def diagnose(problem, samples: torch.Tensor) -> tuple[float, float]:
    """(mode-weight TV, within-mode spread) of ``samples`` [n, d] against the exact posterior."""
    means = problem.posterior.means.double()
    nearest = torch.cdist(samples.double(), means).argmin(1)
    fractions = torch.bincount(nearest, minlength=len(means)).double() / len(samples)
    total_variation = 0.5 * (fractions - problem.posterior.weights.double()).abs().sum().item()
    spread = (samples.double() - means[nearest]).pow(2).sum(1).mean().item()
    return total_variation, spread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cells",
        nargs="+",
        default=["8x1", "8x2", "8x4", "80x1", "80x2", "80x4"],
        help="DxDY pairs (default: all six)",
    )
    parser.add_argument("--seeds", type=int, default=6, help="tuning problems per cell, seeds 1000 on")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--sigma-y", type=float, default=0.5)
    parser.add_argument(
        "--variant",
        type=parse_variant,
        action="append",
        default=[],
        help="MGDM settings over the gmm preset, NAME=VALUE joined by commas; replaces the "
        "built-in MGDM variants (DPS and the preset always run); repeatable",
    )
    args = parser.parse_args()
    chosen = {f"MGDM {_describe(v)}": ("mgdm", v) for v in args.variant} or MGDM_VARIANTS
    variants = {"exact": ("exact", {}), **BASELINES, **chosen}
    torch.set_num_threads(1)
    print("| d | d_y | variant | SW | mode-weight TV | within-mode spread |\n|---|---|---|---|---|---|")
    for cell in args.cells:
        dim, obs_dim = (int(v) for v in cell.split("x"))
        scores: dict[str, list[tuple[float, float, float]]] = {}
        for seed in range(1000, 1000 + args.seeds):
            problem = make_problem(dim, obs_dim, seed, args.sigma_y)
            reference = problem.posterior.sample(args.samples, torch.Generator().manual_seed(seed))
            for name, (method, settings) in variants.items():
                samples, _ = draw(problem, method, seed, args.samples, preset="gmm", **settings)
                scores.setdefault(name, []).append((distance_to(samples, reference, seed), *diagnose(problem, samples)))
        for name, rows in scores.items():
            means = [statistics.fmean(column) for column in zip(*rows)]
            print(f"| {dim} | {obs_dim} | {name} | {means[0]:.3f} | {means[1]:.3f} | {means[2]:.2f} |", flush=True)


def _describe(settings: dict) -> str:
    return ", ".join(f"{key} {value}" for key, value in settings.items())


if __name__ == "__main__":
    main()
