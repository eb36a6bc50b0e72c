"""How the `gmm` preset was chosen: sampler variants on tuning problems the benchmark never scores.

Runs every variant below on seeds 1000-1005 of each (d, d_y) of the Gaussian-mixture benchmark and
prints the mean sliced Wasserstein per variant and (d, d_y). Two worker processes, ~40 min on 2 cores.
``--construction mgdm`` draws A with standard normal entries (an informative observation) instead of
MCGdiff's singular values on (0, 1); ``--variants`` picks variants by name prefix (e.g. "DPS ζ=0.03"
"MGDM pcn, det, G 20/50" "MGDM laplace"), ``--samples`` the draws per method.

    python benchmarks/tune_gmm_preset.py [--seeds 6] [--jobs 2] [--construction mcgdiff|mgdm]
        [--cells 8x1 80x4 …] [--variants PREFIX …] [--samples 1000]
"""

from __future__ import annotations

import argparse
import statistics
from concurrent.futures import ProcessPoolExecutor

import torch

from mgdm_audio.bench.gmm import CONSTRUCTIONS, make_problem, run_method

#: The published variational x_s update (Adam) and the derivative-free pCN one (Metropolis); G is the number
#: of Adam or Metropolis steps per x_s update, "G a/b" means ``a if k < 30 else b``.
VARIANTS = {
    "DPS ζ=0.01": ("dps", dict(zeta=0.01)),
    "DPS ζ=0.03": ("dps", dict(zeta=0.03)),
    "DPS ζ=0.1": ("dps", dict(zeta=0.1)),
    "DPS ζ=0.3": ("dps", dict(zeta=0.3)),
    **{
        f"MGDM variational, {rule[:3]}, lr {lr:g}, G {name}": (
            "mgdm",
            dict(intermediate_update="variational", index_rule=rule, lr=lr, grad_steps=steps),
        )
        for rule, lr, name, steps in (
            ("mix", 0.3, "20/5", "20 if k >= K - 30 else 5"),
            ("mix", 0.3, "20", 20),
            ("deterministic", 0.3, "20", 20),
            ("deterministic", 0.1, "20", 20),
            ("deterministic", 1.0, "20", 20),
        )
    },
    **{
        f"MGDM pcn, det, G {name}": (
            "mgdm",
            dict(intermediate_update="pcn", index_rule="deterministic", metropolis_steps=steps),
        )
        for name, steps in (
            ("20", 20),
            ("50", 50),
            ("10/50", "10 if k < 30 else 50"),
            ("15/50", "15 if k < 30 else 50"),
            ("20/50", "20 if k < 30 else 50"),
            ("20/100", "20 if k < 30 else 100"),
        )
    },
    # Metropolis from a Gauss–Newton fit of x_s's conditional (samplers/intermediate.py), 2 fit steps, and the
    # rule that runs it only where ρ_s = σ² ᾱ_s ‖A‖² / σ_y² exceeds a threshold (pcn elsewhere; samplers/mgdm.py).
    "MGDM laplace, det, G 20/50": (
        "mgdm",
        dict(intermediate_update="laplace", index_rule="deterministic", metropolis_steps="20 if k < 30 else 50"),
    ),
    **{
        f"MGDM auto ρ > {threshold:g}, det, G 20/50": (
            "mgdm",
            dict(
                intermediate_update="auto",
                sharpness_threshold=threshold,
                index_rule="deterministic",
                metropolis_steps="20 if k < 30 else 50",
            ),
        )
        for threshold in (1.0, 0.2)
    },
}


def score_variants(
    dim: int, obs_dim: int, seed: int, construction: str, names: list[str], samples: int
) -> dict[str, float]:
    torch.set_num_threads(1)
    problem = make_problem(dim, obs_dim, seed, construction=construction)
    reference = problem.posterior.sample(samples, torch.Generator().manual_seed(seed))
    scores = {
        name: run_method(
            problem, VARIANTS[name][0], seed, samples, reference, preset="gmm", **VARIANTS[name][1]
        ).sliced_wasserstein
        for name in names
    }
    scores["exact (noise floor)"] = run_method(problem, "exact", seed, samples, reference).sliced_wasserstein
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--construction", choices=list(CONSTRUCTIONS), default="mcgdiff")
    parser.add_argument(
        "--cells",
        nargs="+",
        default=[f"{d}x{dy}" for d in (8, 80) for dy in (1, 2, 4)],
        help="DxDY pairs (default: d ∈ {8, 80}, d_y ∈ {1, 2, 4})",
    )
    parser.add_argument("--variants", nargs="+", default=[""], help="run the variants whose names start so")
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    names = [name for name in VARIANTS if any(name.startswith(prefix) for prefix in args.variants)]
    if not names:
        parser.error(f"no variant starts with any of {args.variants}")
    cells = [tuple(int(v) for v in cell.split("x")) for cell in args.cells]
    tasks = [
        (d, dy, seed, args.construction, names, args.samples)
        for d, dy in cells
        for seed in range(1000, 1000 + args.seeds)
    ]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(score_variants, *zip(*tasks)))
    print("| variant | " + " | ".join(f"d={d}, d_y={dy}" for d, dy in cells) + " |")
    print("|---|" + "---|" * len(cells))
    for name in results[0]:
        means = [
            statistics.fmean(r[name] for (d, dy, *_), r in zip(tasks, results) if (d, dy) == cell) for cell in cells
        ]
        print(f"| {name} | " + " | ".join(f"{m:.2f}" for m in means) + " |")


if __name__ == "__main__":
    main()
