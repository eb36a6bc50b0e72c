"""The exact Gaussian-mixture benchmark: samplers against the exact posterior
(docs/method.md#gaussian-mixture-benchmark).

Prior: 25 unit-covariance components with means (8i, 8j), i, j ∈ {−2, …, 2}, repeated over the d/2
coordinate pairs, random weights (or one random full-covariance Gaussian). Observation y = A x* + σ_y ε
with x* drawn from the prior and A built by one of two constructions:

- ``mcgdiff`` (MCGdiff, Cardoso et al. 2024): A = U diag(s) Vᵀ, U, V random orthonormal, s ~ Uniform(0, 1)
  sorted. The observation says little; the posterior stays close to the prior.
- ``mgdm`` (the MGDM and MGPS code bases): A has standard normal entries, so its singular values are near
  √d and the observation is informative.

The exact posterior is again a mixture; each sampler's draws are compared to exact draws by sliced
Wasserstein distance.
"""

from __future__ import annotations

import csv
import math
import os
import statistics
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from mgdm_audio.common.atomic import atomic_path
from mgdm_audio.core import api
from mgdm_audio.core.metrics import sliced_wasserstein
from mgdm_audio.core.operators.linear import Linear
from mgdm_audio.core.priors.gaussian_mixture import GaussianMixture

#: Columns of the per-run CSV, in order.
FIELDS = (
    "construction",
    "dim",
    "obs_dim",
    "seed",
    "method",
    "intermediate_update",
    "gibbs_reps",
    "sliced_wasserstein",
    "forward_calls",
    "forward_backward_calls",
    "seconds",
)


@dataclass(frozen=True)
class Problem:
    prior: GaussianMixture
    operator: Linear
    y: torch.Tensor
    sigma_y: float
    posterior: GaussianMixture


def grid_mixture(dim: int, generator: torch.Generator, spacing: float = 8.0) -> GaussianMixture:
    """The 25-component benchmark prior in R^dim (dim even), random weights, identity covariances.

    Float32: the exact posterior is still computed in float64 (:meth:`GaussianMixture.posterior`).
    """
    if dim % 2:
        raise ValueError(f"the benchmark's dimension must be even, got {dim}")
    offsets = spacing * torch.arange(-2, 3, dtype=torch.float64)
    pairs = torch.cartesian_prod(offsets, offsets)  # [25, 2]
    means = pairs.repeat(1, dim // 2)
    weights = torch.rand(len(means), generator=generator, dtype=torch.float64)
    return GaussianMixture(weights, means, torch.ones_like(means), dtype=torch.float32)


def random_gaussian(dim: int, generator: torch.Generator) -> GaussianMixture:
    """One Gaussian in R^dim: mean ~ N(0, I), a random full covariance with eigenvalues >= 0.1."""
    factor = torch.randn(dim, dim, generator=generator, dtype=torch.float64)
    covariance = factor @ factor.T / dim + 0.1 * torch.eye(dim, dtype=torch.float64)
    mean = torch.randn(1, dim, generator=generator, dtype=torch.float64)
    return GaussianMixture([1.0], mean, covariance[None], dtype=torch.float32)


#: Benchmark priors by name. Each runs with its own default preset (``prior.default_preset``, ``gmm`` for a
#: GaussianMixture): the settings ``mgdm_audio.sample`` gives a user of that prior.
PRIORS = {"grid25": grid_mixture, "gaussian": random_gaussian}

#: The paper's other baselines that the benchmark runs besides DPS (sampler names).
BASELINES = ("pigdm", "ddnm", "reddiff", "daps", "pnpdm")

#: MGPS's Gaussian case (d, d_y), run with σ_y = 0.1.
MGPS_GAUSSIAN_CELL = (100, 50)


def random_observation_matrix(obs_dim: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    """A = U diag(s) Vᵀ [obs_dim, dim] with random orthonormal U, V and s ~ U(0, 1) sorted decreasing."""
    u, _ = torch.linalg.qr(torch.randn(obs_dim, obs_dim, generator=generator, dtype=torch.float64))
    v, _ = torch.linalg.qr(torch.randn(dim, obs_dim, generator=generator, dtype=torch.float64))
    s = torch.rand(obs_dim, generator=generator, dtype=torch.float64).sort(descending=True).values
    return u @ torch.diag(s) @ v.T


def gaussian_observation_matrix(obs_dim: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    """A [obs_dim, dim] with independent N(0, 1) entries (singular values near √dim)."""
    return torch.randn(obs_dim, dim, generator=generator, dtype=torch.float64)


#: How A is drawn, by construction name (see the module docstring).
CONSTRUCTIONS = {"mcgdiff": random_observation_matrix, "mgdm": gaussian_observation_matrix}


def make_problem(
    dim: int, obs_dim: int, seed: int, sigma_y: float = 0.5, prior: str = "grid25", construction: str = "mcgdiff"
) -> Problem:
    """A seeded problem on the prior named ``prior`` (see PRIORS) with A drawn by ``construction`` (see
    CONSTRUCTIONS): the same arguments give the same problem."""
    if construction not in CONSTRUCTIONS:
        raise ValueError(f"unknown construction {construction!r}; expected one of {', '.join(CONSTRUCTIONS)}")
    generator = torch.Generator().manual_seed(seed)
    prior = PRIORS[prior](dim, generator)
    matrix = CONSTRUCTIONS[construction](obs_dim, dim, generator)
    x_true = prior.sample(1, generator)[0].double()
    y = matrix @ x_true + sigma_y * torch.randn(obs_dim, generator=generator, dtype=torch.float64)
    return Problem(prior, Linear(matrix), y, sigma_y, prior.posterior(matrix, y, sigma_y))


@dataclass
class Run:
    construction: str
    dim: int
    obs_dim: int
    seed: int
    method: str
    intermediate_update: str  # MGDM's x_s update ("" for the other methods)
    gibbs_reps: int
    sliced_wasserstein: float
    forward_calls: int
    forward_backward_calls: int
    seconds: float


def draw(problem: Problem, method: str, seed: int, num_samples: int, **settings) -> tuple[torch.Tensor, Run]:
    """Draws [num_samples, d] of ``method`` (a sampler name, or "exact": fresh exact draws) and their
    :class:`Run` record, not yet scored (``sliced_wasserstein`` is NaN; ``construction`` is empty)."""
    gibbs_reps, update = 0, ""
    if method == "exact":
        samples = problem.posterior.sample(num_samples, torch.Generator().manual_seed(seed + 104729))
        calls, seconds = (0, 0), 0.0
    else:
        result = api.sample(
            problem.prior,
            problem.operator,
            problem.y,
            problem.sigma_y,
            sampler=method,
            num_samples=num_samples,
            seed=seed,
            return_result=True,
            **settings,
        )
        samples, seconds = result.samples, result.seconds
        calls = (result.calls.forward, result.calls.forward_backward)
        gibbs_reps = result.settings.get("gibbs_reps", 0)
        update = result.settings.get("intermediate_update", "")
    run = Run(
        "", problem.prior.dim, len(problem.y), seed, method, update, gibbs_reps, math.nan, calls[0], calls[1], seconds
    )
    return samples, run


def distance_to(samples: torch.Tensor, reference: torch.Tensor, seed: int) -> float:
    """The benchmark's sliced Wasserstein: 200 directions, seeded by the problem's seed."""
    return sliced_wasserstein(
        samples, reference, num_projections=200, generator=torch.Generator().manual_seed(seed + 7919)
    )


def run_method(
    problem: Problem,
    method: str,
    seed: int,
    num_samples: int,
    reference: torch.Tensor,
    gibbs_reps: int = 0,
    intermediate_update: str = "",
    **settings,
) -> Run:
    """Sample with ``method`` (see :func:`draw`) and score against ``reference``; for MGDM, a non-zero
    ``gibbs_reps`` and a non-empty ``intermediate_update`` override the preset's."""
    if method == "mgdm" and gibbs_reps:
        settings["gibbs_reps"] = gibbs_reps
    if method == "mgdm" and intermediate_update:
        settings["intermediate_update"] = intermediate_update
    samples, run = draw(problem, method, seed, num_samples, **settings)
    run.sliced_wasserstein = distance_to(samples, reference, seed)
    return run


def solve_problem(
    construction: str,
    dim: int,
    obs_dim: int,
    seed: int,
    jobs: list[tuple[str, str, int]],
    num_samples: int,
    sigma_y: float,
    prior: str,
) -> list[Run]:
    """Every (method, x_s update, R) of ``jobs`` on one seeded problem, scored against one set of exact draws."""
    torch.set_num_threads(1)  # these tensors are small: processes, not threads, use the cores
    problem = make_problem(dim, obs_dim, seed, sigma_y, prior, construction)
    reference = problem.posterior.sample(num_samples, torch.Generator().manual_seed(seed))
    preset = problem.prior.default_preset  # what ma.sample runs for this prior
    runs = [
        run_method(
            problem, method, seed, num_samples, reference, gibbs_reps=reps, intermediate_update=update, preset=preset
        )
        for method, update, reps in jobs
    ]
    for run in runs:
        run.construction = construction
    return runs


def benchmark(
    out_csv: Path,
    cells: Iterable[tuple[int, int]],
    seeds: Iterable[int],
    gibbs_reps: Iterable[int],
    num_samples: int,
    sigma_y: float,
    prior: str = "grid25",
    workers: int = 1,
    updates: Iterable[str] = ("auto", "pcn", "variational"),
    constructions: Iterable[str] = ("mcgdiff",),
    baselines: Iterable[str] = (),
    log=print,
) -> list[Run]:
    """Run every (construction, (d, d_y) of ``cells``, seed, method, MGDM x_s update, R) not already in
    ``out_csv`` (resumable), one problem per task over ``workers`` processes, appending rows as problems
    finish. Methods: the exact floor, DPS, each sampler of ``baselines`` with its preset settings, and MGDM
    with each x_s update of ``updates`` and each R of ``gibbs_reps``."""
    previous = read_runs(out_csv) if out_csv.exists() else []
    if out_csv.exists() and _header(out_csv) != list(FIELDS):
        _write_runs(out_csv, previous)  # a CSV of an earlier version: rewritten in today's columns
    done = {_key(run) for run in previous}
    methods = (
        [("exact", "", 0), ("dps", "", 0)]
        + [(name, "", 0) for name in baselines]
        + [("mgdm", u, r) for u in updates for r in gibbs_reps]
    )
    tasks = []
    for construction in constructions:
        for dim, obs_dim in cells:
            for seed in seeds:
                jobs = [job for job in methods if (construction, dim, obs_dim, seed, *job) not in done]
                if jobs:
                    tasks.append((construction, dim, obs_dim, seed, jobs, num_samples, sigma_y, prior))
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    new_file = not out_csv.exists()
    with out_csv.open("a", newline="") as handle, ProcessPoolExecutor(workers) as pool:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        if new_file:
            writer.writeheader()
        for runs in pool.map(solve_problem, *zip(*tasks)) if tasks else ():
            for run in runs:
                writer.writerow(asdict(run))
                log(
                    f"{run.construction} d={run.dim} d_y={run.obs_dim} seed={run.seed} {run.method}"
                    f"{f' ({run.intermediate_update}) R={run.gibbs_reps}' if run.method == 'mgdm' else ''}: "
                    f"SW {run.sliced_wasserstein:.3f} ({run.seconds:.1f} s)"
                )
            handle.flush()
            os.fsync(handle.fileno())
    return read_runs(out_csv)


def read_runs(path: Path) -> list[Run]:
    """Runs of a CSV written by :func:`benchmark` (one without an x_s update column ran the variational one,
    one without a construction column the MCGdiff one)."""
    with Path(path).open(newline="") as handle:
        return [
            Run(
                r.get("construction", "mcgdiff"),
                int(r["dim"]),
                int(r["obs_dim"]),
                int(r["seed"]),
                r["method"],
                r.get("intermediate_update", "variational" if r["method"] == "mgdm" else ""),
                int(r["gibbs_reps"]),
                float(r["sliced_wasserstein"]),
                int(r["forward_calls"]),
                int(r["forward_backward_calls"]),
                float(r["seconds"]),
            )
            for r in csv.DictReader(handle)
        ]


def _header(path: Path) -> list[str]:
    with Path(path).open(newline="") as handle:
        return next(csv.reader(handle), [])


def _write_runs(path: Path, runs: list[Run]) -> None:
    with atomic_path(path) as temporary, open(temporary, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(asdict(run) for run in runs)


def _key(run: Run) -> tuple:
    return run.construction, run.dim, run.obs_dim, run.seed, run.method, run.intermediate_update, run.gibbs_reps


#: Table names of the methods, in table order (samplers not listed follow, by name).
METHOD_NAMES = {
    "exact": "exact (noise floor)",
    "dps": "DPS",
    "pigdm": "ΠGDM",
    "ddnm": "DDNM+",
    "reddiff": "RED-diff",
    "daps": "DAPS",
    "pnpdm": "PnP-DM",
    "diffpir": "DiffPIR",
    "mgdm": "MGDM",
}


def markdown_table(runs: list[Run]) -> str:
    """Mean ± 1.96·SE of the sliced Wasserstein per (construction, d, d_y, method, x_s update, R), with calls
    and time per run."""
    groups: dict[tuple, list[Run]] = {}
    for run in runs:
        groups.setdefault(
            (run.construction, run.dim, run.obs_dim, run.method, run.intermediate_update, run.gibbs_reps), []
        ).append(run)
    order = {name: position for position, name in enumerate(METHOD_NAMES)}
    lines = [
        "| A | d | d_y | method | x_s update | R | problems | sliced Wasserstein (mean ± 1.96·SE) | "
        "denoiser calls fwd / fwd+bwd | seconds per run |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (construction, dim, obs_dim, method, update, reps), group in sorted(
        groups.items(), key=lambda kv: (*kv[0][:3], order.get(kv[0][3], len(order)), *kv[0][3:])
    ):
        mean, half_width = _mean_and_half_width([run.sliced_wasserstein for run in group])
        lines.append(
            f"| {construction} | {dim} | {obs_dim} | {METHOD_NAMES.get(method, method)} | {update or '–'} | "
            f"{reps or '–'} | {len(group)} | {mean:.3f} ± {half_width:.3f} | "
            f"{statistics.fmean(r.forward_calls for r in group):.0f} / "
            f"{statistics.fmean(r.forward_backward_calls for r in group):.0f} | "
            f"{statistics.fmean(r.seconds for r in group):.1f} |"
        )
    return "\n".join(lines) + "\n"


def _paired_differences(runs: list[Run], update: str, reference: str) -> dict[tuple, list[float]]:
    """Per (construction, d, d_y): sliced Wasserstein of MGDM with x_s update ``update`` (R = 1) minus that of
    ``reference``, one value per problem both ran."""
    by_problem: dict[tuple, dict[str, float]] = {}
    for run in runs:
        if run.method == reference or (
            run.method == "mgdm" and run.intermediate_update == update and run.gibbs_reps == 1
        ):
            by_problem.setdefault((run.construction, run.dim, run.obs_dim, run.seed), {})[run.method] = (
                run.sliced_wasserstein
            )
    cells: dict[tuple, list[float]] = {}
    for (construction, dim, obs_dim, _), values in sorted(by_problem.items()):
        if len(values) == 2:
            cells.setdefault((construction, dim, obs_dim), []).append(values["mgdm"] - values[reference])
    return cells


def _mean_and_half_width(values: list[float]) -> tuple[float, float]:
    """Mean and 1.96·SE (nan for a single value)."""
    half_width = 1.96 * statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else float("nan")
    return statistics.fmean(values), half_width


def paired_verdicts(runs: list[Run], update: str, reference: str = "dps") -> str:
    """Per (construction, d, d_y): MGDM with x_s update ``update`` (R = 1) against ``reference`` on the same
    problems, as the mean paired difference of sliced Wasserstein (MGDM − reference) ± 1.96·SE, and a verdict:
    "below" / "above" where the interval excludes 0, else "level" (no verdict from one problem). A Markdown table."""
    lines = [
        f"| A | d | d_y | problems | MGDM ({update}) − {METHOD_NAMES.get(reference, reference)} "
        "(mean ± 1.96·SE) | MGDM is |",
        "|---|---|---|---|---|---|",
    ]
    for (construction, dim, obs_dim), differences in _paired_differences(runs, update, reference).items():
        mean, half_width = _mean_and_half_width(differences)
        verdict = (
            "one problem: no interval"
            if len(differences) < 2
            else "below"
            if mean + half_width < 0
            else "above"
            if mean - half_width > 0
            else "level"
        )
        lines.append(
            f"| {construction} | {dim} | {obs_dim} | {len(differences)} | {mean:+.3f} ± {half_width:.3f} | {verdict} |"
        )
    return "\n".join(lines) + "\n"


def paired_matrix(runs: list[Run], update: str, references: Iterable[str]) -> str:
    """One row per (construction, d, d_y), one column per method of ``references``: the mean paired difference
    MGDM (x_s update ``update``, R = 1) − that method, ± 1.96·SE, over the problems both ran, in bold where the
    interval excludes 0 ("–" where they share no problem). A Markdown table."""
    references = list(references)
    columns = [_paired_differences(runs, update, reference) for reference in references]
    lines = [
        "| A | d | d_y | problems | "
        + " | ".join(f"MGDM − {METHOD_NAMES.get(reference, reference)}" for reference in references)
        + " |",
        "|---|---|---|---|" + "---|" * len(references),
    ]
    for cell in sorted(set().union(*columns)):
        entries, counts = [], set()
        for column in columns:
            differences = column.get(cell, [])
            counts.add(len(differences))
            if not differences:
                entries.append("–")
                continue
            mean, half_width = _mean_and_half_width(differences)
            text = f"{mean:+.3f} ± {half_width:.3f}"
            entries.append(f"**{text}**" if abs(mean) > half_width else text)
        problems = "/".join(str(count) for count in sorted(counts - {0}))
        lines.append(f"| {cell[0]} | {cell[1]} | {cell[2]} | {problems} | " + " | ".join(entries) + " |")
    return "\n".join(lines) + "\n"
