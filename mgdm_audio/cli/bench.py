"""``mgdm bench gmm``: samplers against the exact posterior of Gaussian-mixture problems."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from mgdm_audio.bench.gmm import BASELINES, CONSTRUCTIONS, MGPS_GAUSSIAN_CELL
from mgdm_audio.common.atomic import atomic_path
from mgdm_audio.core.samplers.intermediate import INTERMEDIATE_UPDATES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="benchmarks against exact answers")
    benches = parser.add_subparsers(dest="bench", metavar="BENCH", required=True)
    gmm = benches.add_parser(
        "gmm",
        help="sliced Wasserstein to the exact posterior on the 25-component mixture (docs/method.md)",
        description="MGDM (R Gibbs repetitions each), DPS and the baselines against exact posterior samples on "
        "seeded 25-component Gaussian-mixture (or Gaussian) problems, with A drawn by the MCGdiff "
        "construction (singular values uniform on (0, 1): an uninformative observation) and the MGDM "
        "one (standard normal entries: an informative one). Resumable: rows already in the CSV are kept.",
    )
    gmm.add_argument("--out", type=Path, default=Path("bench_results/gmm"), help="output folder (CSV + Markdown)")
    gmm.add_argument(
        "--construction",
        nargs="+",
        choices=list(CONSTRUCTIONS),
        default=list(CONSTRUCTIONS),
        help="how A is drawn: mcgdiff (singular values ~ U(0, 1)) and / or mgdm (N(0, 1) entries); default: both",
    )
    gmm.add_argument("--dims", type=int, nargs="+", default=[8, 20, 80], help="dimensions d (even)")
    gmm.add_argument("--obs-dims", type=int, nargs="+", default=[1, 2, 4], help="observation sizes d_y")
    gmm.add_argument("--problems", type=int, default=20, help="seeded problems per (d, d_y)")
    gmm.add_argument("--first-seed", type=int, default=0)
    gmm.add_argument("--gibbs-reps", type=int, nargs="+", default=[1, 2, 4], help="MGDM repetitions R to run")
    gmm.add_argument(
        "--updates",
        nargs="+",
        choices=INTERMEDIATE_UPDATES,
        default=["auto", "pcn", "variational"],
        help="MGDM's x_s | x̂0, x_t updates to run (default: auto, the gmm preset's; pcn; the published variational)",
    )
    gmm.add_argument("--num-samples", type=int, default=1000, help="samples per method and problem")
    gmm.add_argument(
        "--baselines",
        nargs="*",
        choices=list(BASELINES),
        default=list(BASELINES),
        help="other samplers to run with their preset settings (default: all)",
    )
    gmm.add_argument(
        "--sigma-y", type=float, help="observation noise standard deviation (default: 0.5 for grid25, 0.1 for gaussian)"
    )
    gmm.add_argument(
        "--prior",
        choices=["grid25", "gaussian"],
        default="grid25",
        help="grid25: the 25-component mixture; gaussian: one random full-covariance Gaussian, with MGPS's cell "
        "d = 100, d_y = 50 added to the grid. Every method runs with the prior's default preset (gmm for both), "
        "the settings mgdm_audio.sample gives a user",
    )
    gmm.add_argument("--jobs", type=int, default=1, help="worker processes (one problem per task, 1 thread each)")
    gmm.add_argument(
        "--quick", action="store_true", help="a few minutes on 2 cores: 3 problems, 500 samples, R = 1 only"
    )
    gmm.set_defaults(func=run_gmm)
    restoration = benches.add_parser(
        "restoration",
        help="audio restoration: each task and level, the degraded input, the classical method and samplers",
        description="Excerpts of a data directory (wav.scp and spk*.scp; excerpt i: the window of track i whose "
        "quietest stem is loudest) degraded by each TASK:LEVEL (gaps placed by the excerpt's index) and restored "
        "by each system: degraded (the input itself), classical (Janssen for gaps, A-SPADE for clipping, none "
        "for the others), or a sampler with the restoration defaults. Scores against the clean excerpt: SDR, "
        "SI-SDR, LSD, and the stems' SI-SDRi over the clean mixture. Resumable: rows already in OUT/runs.csv "
        "are kept; OUT/results.md holds the table.",
    )
    add = restoration.add_argument
    add("data_dir", type=Path, help="a data directory with the stems (spk*.scp)")
    add("--out", type=Path, default=Path("bench_results/restoration"), help="output folder (default: %(default)s)")
    add("--cells", nargs="+", default=["gaps:50", "clip:3"], metavar="TASK:LEVEL", help="default: %(default)s")
    add("--systems", nargs="+", default=["degraded", "classical", "mgdm"], help="default: %(default)s")
    add("--excerpts", type=int, default=20, help="excerpts, one per track (default: %(default)s)")
    add("--first", type=int, default=0, help="first track's position in the sorted list (default: %(default)s)")
    add("--seconds", type=float, default=4.0, help="excerpt length (default: %(default)s)")
    add("--prior", default="default", help="music prior: 'default' or a directory (default: %(default)s)")
    add("--separator", default="default", help="separator of the warm start (default: %(default)s)")
    add(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a restoration option (start_sigma=0.2, "
        "num_samples=2, sigma_y=1e-3, consistent=false) or a sampler's setting (mgdm.steps=8); repeatable",
    )
    restoration.set_defaults(func=run_restoration)


def run_gmm(args: argparse.Namespace) -> int:
    from mgdm_audio.bench import gmm

    if args.quick:
        args.problems, args.num_samples, args.gibbs_reps = 3, 500, [1]
        args.out = args.out.with_name(args.out.name + "_quick")
    if args.sigma_y is None:
        args.sigma_y = 0.1 if args.prior == "gaussian" else 0.5
    cells = [(dim, obs_dim) for dim in args.dims for obs_dim in args.obs_dims]
    if args.prior == "gaussian" and MGPS_GAUSSIAN_CELL not in cells:
        cells.append(MGPS_GAUSSIAN_CELL)
    start = time.perf_counter()
    csv_path = args.out / "runs.csv"
    runs = gmm.benchmark(
        csv_path,
        cells,
        range(args.first_seed, args.first_seed + args.problems),
        args.gibbs_reps,
        args.num_samples,
        args.sigma_y,
        prior=args.prior,
        workers=args.jobs,
        updates=args.updates,
        constructions=args.construction,
        baselines=args.baselines,
    )
    table = gmm.markdown_table(runs)
    table += "".join(
        f"\nMGDM ({update}, R = 1) against DPS on the same problems:\n\n{gmm.paired_verdicts(runs, update)}"
        for update in args.updates
    )
    if args.baselines:
        table += "".join(
            f"\nMGDM ({update}, R = 1) against each baseline on the same problems (bold: the interval "
            f"excludes 0):\n\n{gmm.paired_matrix(runs, update, args.baselines)}"
            for update in args.updates
        )
    markdown = args.out / "results.md"
    with atomic_path(markdown) as temporary:
        Path(temporary).write_text(
            f"# Gaussian-mixture benchmark ({args.prior})\n\nσ_y = {args.sigma_y}, {args.num_samples} samples per "
            f"method, sliced Wasserstein with 200 directions. Runs: `{csv_path}`.\n\n{table}"
        )
    print(table)
    print(f"wrote {csv_path} and {markdown} ({time.perf_counter() - start:.0f} s)")
    return 0


def run_restoration(args: argparse.Namespace) -> int:
    from mgdm_audio.audio.evaluation import restoration

    try:
        cells = [(name, float(level)) for name, level in (cell.split(":") for cell in args.cells)]
        options = _restoration_options(args.set, args.systems)
        for system in options.values():
            system.update(prior=args.prior, separator=args.separator)
    except ValueError as error:
        print(f"mgdm bench restoration: error: {error}")
        return 2
    rows = restoration.benchmark(
        args.data_dir, args.out / "runs.csv", cells, args.systems, args.excerpts, args.seconds, options, args.first
    )
    table = restoration.markdown_tables(rows)
    with atomic_path(args.out / "results.md") as temporary:
        Path(temporary).write_text(f"# Audio restoration benchmark\n\nData: `{args.data_dir}`.\n\n{table}")
    print(table)
    return 0


#: Options of ``--set`` that are restoration settings; other names are sampler settings (SAMPLER.NAME).
RESTORATION_OPTIONS = {
    "start_sigma": float,
    "num_samples": int,
    "sigma_y": float,
    "init": str,
    "segment_seconds": float,
}


def _restoration_options(pairs: list[str], systems: list[str]) -> dict[str, dict]:
    """``NAME=VALUE`` / ``SAMPLER.NAME=VALUE`` pairs as RestorationPipeline options per system (the sampler
    settings under "overrides")."""
    from mgdm_audio.cli.sampler_options import parse_number

    options: dict[str, dict] = {system: {"overrides": {}} for system in systems}
    for pair in pairs:
        name, separator, text = pair.partition("=")
        if not separator:
            raise ValueError(f"--set {pair!r}: expected NAME=VALUE")
        value = {"true": True, "false": False}.get(text.lower(), parse_number(text))
        sampler, dot, setting = name.rpartition(".")
        if dot:
            if sampler not in options:
                raise ValueError(f"--set {pair!r}: {sampler} is not one of --systems")
            options[sampler]["overrides"][setting] = value
        elif name == "consistent" or name in RESTORATION_OPTIONS:
            for system in options.values():
                system[name] = value if name == "consistent" else RESTORATION_OPTIONS[name](text)
        else:
            raise ValueError(
                f"--set {pair!r}: a restoration option ({', '.join(RESTORATION_OPTIONS)}, consistent) "
                "or SAMPLER.SETTING"
            )
    return options
