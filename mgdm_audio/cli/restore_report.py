"""``mgdm restore-report``: the image recipes' RESULTS.md (PSNR / SSIM table, one picture grid per task)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mgdm_audio.image.restoration.report import write_report


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "restore-report",
        help="RESULTS.md of image restorations: PSNR / SSIM table and picture grids",
        description="Write OUT, a PSNR / SSIM table over tasks × samplers from the summary.json files of "
        "`mgdm restore-score`, and one picture grid per task under --grid-dir.",
    )
    add = parser.add_argument
    add("out", type=Path, help="the Markdown file to write")
    add("summaries", type=Path, nargs="+", help="summary.json files of `mgdm restore-score`")
    add("--grid-dir", type=Path, required=True, help="folder for the <prefix><task>.png grids")
    add("--grid-prefix", default="", help="file name prefix of the grids (default: none)")
    add("--grid-rows", type=int, default=6, help="images per grid (default: %(default)s)")
    add("--note", action="append", default=[], help="a line for the list above the table")
    add(
        "--paired",
        action="append",
        default=[],
        metavar="A:B",
        help="also tabulate per-image differences A − B of these two labels (repeatable)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        pairs = [tuple(pair.split(":")) for pair in args.paired]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError(f"--paired takes A:B, got {' '.join(args.paired)}")
        summaries = [
            {**json.loads(path.read_text(encoding="utf-8")), "score_dir": str(path.parent)} for path in args.summaries
        ]
        write_report(args.out, summaries, args.grid_dir, args.grid_prefix, args.grid_rows, args.note, pairs)
    except (OSError, ValueError, KeyError) as error:
        print(f"mgdm restore-report: error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}")
    return 0
