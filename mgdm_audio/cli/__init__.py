"""The ``mgdm`` command line: one subcommand per module in this package.

Each subcommand module defines ``register(subparsers)``, which adds its parser and sets
``func`` (called with the parsed arguments; returns an exit status). Every subcommand also takes
``--threads`` (added here), and Ctrl-C ends any of them with one line saying how to continue.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from mgdm_audio import __version__

#: What to do after Ctrl-C, by subcommand (the others: run the command again).
RESUME_HINTS = {
    "separate": "rerun the same command with --resume: finished tracks and segments are kept",
    "restore": "rerun the same command with --resume: finished images are kept",
    "train-prior": "rerun the same command: training continues from its last checkpoint",
    "train-separator": "rerun the same command: training continues from its last checkpoint",
    "train-image-prior": "rerun the same command: training continues from its last checkpoint",
    "prepare-synth4": "rerun the same command: rendered tracks are kept",
    "prepare-varied4": "rerun the same command: rendered tracks are kept",
    "bench": "rerun the same command: finished runs are kept",
}


def default_threads() -> int:
    """Math threads per process unless --threads says otherwise: $OMP_NUM_THREADS when set, else 1. More threads
    than free cores make torch's threads wait on each other (docs/audio.md, "Threads"), so one thread per process
    is the default that does not collapse on a shared machine."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "1")))
    except ValueError:
        return 1


#: Subcommand modules, in the order ``mgdm --help`` lists them.
SUBCOMMANDS = (
    "bench",
    "prepare_synth4",
    "prepare_musdb",
    "slakh",
    "chunk_data_dir",
    "train_prior",
    "train_separator",
    "generate",
    "score",
    "separate",
    "results",
    "report",
    "convert_msdm",
    "convert_adm",
    "prior_info",
    "average_priors",
    "train_image_prior",
    "image_denoising",
    "restore",
    "restore_score",
    "restore_report",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mgdm",
        description="Posterior sampling with diffusion priors: mixture-guided Gibbs sampling (MGDM).",
    )
    parser.add_argument("--version", action="version", version=f"mgdm {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    for subparser in subparsers.choices.values():
        if "--threads" in subparser._option_string_actions:  # a command with its own (train-image-prior)
            continue
        subparser.add_argument(
            "--threads",
            type=int,
            default=default_threads(),
            help="math threads of this process (default: $OMP_NUM_THREADS, else 1: more threads than free cores "
            "slow a CPU run down many times over; raise it on an idle machine)",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.threads < 1:
        print(f"mgdm {args.command}: error: --threads must be >= 1, got {args.threads}", file=sys.stderr)
        return 2
    import torch

    torch.set_num_threads(args.threads)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        hint = RESUME_HINTS.get(args.command, "run the command again")
        print(f"\nmgdm {args.command}: interrupted; {hint}", file=sys.stderr)
        return 130
