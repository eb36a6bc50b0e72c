"""``mgdm average-priors``: one prior whose weights are the mean of several snapshots' of one architecture."""

from __future__ import annotations

import argparse
import sys

from mgdm_audio.core.priors.averaging import average_priors


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "average-priors",
        help="average the weights of priors of one architecture (e.g. a run's snapshots)",
        description="Write to OUT_DIR the prior whose weights are the uniform mean of the PRIORs' (directories "
        "with identical config.json, such as snapshots that `mgdm train-prior --export` took along one "
        "run), with a model card naming each source and its weights' SHA-256. The PRIORs are only "
        "read.",
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="where to write the averaged prior")
    parser.add_argument("priors", nargs="+", metavar="PRIOR", help="two or more prior directories")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        directory = average_priors(args.priors, args.out_dir)
    except (ValueError, OSError) as error:
        print(f"mgdm average-priors: error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {directory} (the mean of {len(args.priors)} priors)")
    return 0
