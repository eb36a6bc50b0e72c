"""The ``mgdm`` command line: one subcommand per module in this package.

Each subcommand module defines ``register(subparsers)``, which adds its parser and sets
``func`` (called with the parsed arguments; returns an exit status).
"""

from __future__ import annotations

import argparse
import importlib

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
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
