"""``mgdm prior-info``: what a prior is (path, layout, type, rate, segment length, stems), read from its files."""

from __future__ import annotations

import argparse
import json
import sys

from mgdm_audio.core.priors.loading import describe


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "prior-info",
        help="a prior's path, layout and settings (what recipes ask of a prior)",
        description="Print what PRIOR (a packaged name such as default, or a directory) is, without loading its "
        "network: with FIELDs, one line each (a list as space-separated words), else all as JSON. "
        "Fields: path, layout (mgdm or a plug-in's, e.g. diffusers), type, and the prior's settings "
        "(a music prior's sample_rate, segment_length, stems, …).",
    )
    parser.add_argument("prior", help="a packaged prior's name or a prior directory")
    parser.add_argument("fields", nargs="*", metavar="FIELD", help="the facts to print, in this order")
    parser.add_argument("--layout", help="fail unless the prior has this layout (mgdm, diffusers, …)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        facts = describe(args.prior)
        if args.layout is not None and facts["layout"] != args.layout:
            raise ValueError(f"{facts['path']}: a prior in the {facts['layout']} layout, not {args.layout}")
        missing = [field for field in args.fields if field not in facts]
        if missing:
            raise ValueError(f"{facts['path']}: no {', '.join(missing)} (it has {', '.join(facts)})")
    except (ValueError, OSError) as error:
        print(f"mgdm prior-info: error: {error}", file=sys.stderr)
        return 1
    if not args.fields:
        print(json.dumps(facts, indent=2))
    for field in args.fields:
        value = facts[field]
        print(" ".join(map(str, value)) if isinstance(value, list) else value)
    return 0
