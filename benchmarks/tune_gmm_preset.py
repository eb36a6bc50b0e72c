"""How the `gmm` preset was chosen: sampler variants on tuning problems the benchmark never scores.

Runs every variant below on seeds 1000-1005 of each (d, d_y) of the Gaussian-mixture benchmark and
prints the mean sliced Wasserstein per variant and (d, d_y). Two worker processes, ~40 min on 2 cores.

    python benchmarks/tune_gmm_preset.py [--seeds 6] [--jobs 2]
"""
from __future__ import annotations

import argparse
import statistics
from concurrent.futures import ProcessPoolExecutor

import torch

from mgdm_audio.bench.gmm import make_problem, run_method

#: The published variational x_s update (Adam) and the derivative-free pCN one (Metropolis); G is the number
#: of Adam or Metropolis steps per x_s update, "G a/b" means ``a if k < 30 else b``.
VARIANTS = {
    "DPS ζ=0.01": ("dps", dict(zeta=0.01)),
    "DPS ζ=0.03": ("dps", dict(zeta=0.03)),
    "DPS ζ=0.1": ("dps", dict(zeta=0.1)),
    "DPS ζ=0.3": ("dps", dict(zeta=0.3)),
    **{f"MGDM variational, {rule[:3]}, lr {lr:g}, G {name}": (
        "mgdm", dict(intermediate_update="variational", index_rule=rule, lr=lr, grad_steps=steps))
       for rule, lr, name, steps in (("mix", 0.3, "20/5", "20 if k >= K - 30 else 5"), ("mix", 0.3, "20", 20),
                                     ("deterministic", 0.3, "20", 20), ("deterministic", 0.1, "20", 20),
                                     ("deterministic", 1.0, "20", 20))},
    **{f"MGDM pcn, det, G {name}": ("mgdm", dict(intermediate_update="pcn", index_rule="deterministic",
                                                  metropolis_steps=steps))
       for name, steps in (("20", 20), ("50", 50), ("10/50", "10 if k < 30 else 50"),
                           ("15/50", "15 if k < 30 else 50"), ("20/50", "20 if k < 30 else 50"),
                           ("20/100", "20 if k < 30 else 100"))},
}


def score_variants(dim: int, obs_dim: int, seed: int) -> dict[str, float]:
    torch.set_num_threads(1)
    problem = make_problem(dim, obs_dim, seed)
    reference = problem.posterior.sample(1000, torch.Generator().manual_seed(seed))
    scores = {name: run_method(problem, method, seed, 1000, reference, preset="gmm", **settings).sliced_wasserstein
              for name, (method, settings) in VARIANTS.items()}
    scores["exact (noise floor)"] = run_method(problem, "exact", seed, 1000, reference).sliced_wasserstein
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    cells = [(d, dy) for d in (8, 80) for dy in (1, 2, 4)]
    tasks = [(d, dy, seed) for d, dy in cells for seed in range(1000, 1000 + args.seeds)]
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(score_variants, *zip(*tasks)))
    print("| variant | " + " | ".join(f"d={d}, d_y={dy}" for d, dy in cells) + " |")
    print("|---|" + "---|" * len(cells))
    for name in results[0]:
        means = [statistics.fmean(r[name] for (d, dy, _), r in zip(tasks, results) if (d, dy) == cell) for cell in cells]
        print(f"| {name} | " + " | ".join(f"{m:.2f}" for m in means) + " |")


if __name__ == "__main__":
    main()
