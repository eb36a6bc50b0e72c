"""``mgdm report``: a listening page (HTML, audio, spectrograms) for scored separations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mgdm_audio.audio.evaluation.page import write_page


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="a listening page for scored separations: audio, spectrograms and scores side by side",
        description="Write PAGE_DIR/index.html: for every track of the data dir the SUMMARY_JSON files (of mgdm "
        "score, one per system) scored, the mixture, each reference stem and each system's estimates with an "
        "audio player (Opus, by ffmpeg), a log-frequency spectrogram and the track's SI-SDRi; on top, the "
        "summary table (sortable by column) and each system's settings and real-time factor. The page needs no "
        "server and no network.",
    )
    add = parser.add_argument
    add("page", type=Path, metavar="PAGE_DIR", help="the page's folder (index.html, audio/, spectrograms/)")
    add("summaries", type=Path, nargs="+", metavar="SUMMARY_JSON", help="summary.json files, one per system")
    add("--labels", nargs="+", metavar="LABEL", help="one label per summary (default: its folder's name)")
    add("--seconds", type=float, default=10.0, help="longest excerpt per clip, from the start (default: %(default)s)")
    add(
        "--max-mb",
        type=float,
        default=50.0,
        help="audio size budget in MB; excerpts are shortened to fit it (default: %(default)s)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        page = write_page(args.page, args.summaries, args.labels, args.seconds, args.max_mb)
    except (ValueError, OSError) as error:
        print(f"mgdm report: error: {error}", file=sys.stderr)
        return 1
    size = sum(path.stat().st_size for path in args.page.rglob("*") if path.is_file())
    print(f"wrote {page} ({size / 1e6:.1f} MB with its audio and spectrograms)")
    return 0
