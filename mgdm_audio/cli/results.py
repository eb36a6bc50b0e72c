"""``mgdm results``: a recipe's RESULTS.md and bar chart from several ``mgdm score`` summaries."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mgdm_audio.audio.evaluation.results import default_label, load_run, write_results


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "results",
        help="RESULTS.md (tables + bar chart) from several score summaries",
        description="Write OUT.md with the SI-SDRi (mean ± 95%% CI) and museval SDR of each SUMMARY_JSON "
        "(summary.json of mgdm score) per stem, and a grouped bar chart of the SI-SDRi (PNG).",
    )
    add = parser.add_argument
    add("out", type=Path, metavar="OUT.md", help="the Markdown page to write")
    add("summaries", type=Path, nargs="+", metavar="SUMMARY_JSON", help="summary.json files, one per run")
    add(
        "--labels",
        nargs="+",
        metavar="LABEL",
        help="one label per summary (default: its folder's name without 'score_', e.g. exp/score_mgdm → mgdm)",
    )
    add("--chart", type=Path, help="bar chart path (default: OUT with the suffix .png)")
    add(
        "--note",
        dest="notes",
        action="append",
        default=[],
        metavar="TEXT",
        help="a line listed at the top of the page (repeatable), e.g. the prior and sampler settings",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    labels = args.labels or [default_label(path) for path in args.summaries]
    if len(labels) != len(args.summaries):
        print(f"mgdm results: error: {len(labels)} label(s) for {len(args.summaries)} summaries", file=sys.stderr)
        return 2
    try:
        runs = [load_run(path, label) for path, label in zip(args.summaries, labels)]
        chart = write_results(args.out, runs, args.chart, args.notes)
    except (ValueError, OSError) as error:
        print(f"mgdm results: error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} and {chart}")
    return 0
