"""``mgdm score``: SI-SDRi (MSDM protocol) and museval SDR of separations against a Kaldi data dir."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from mgdm_audio.audio.evaluation import DEFAULT_STEMS, score_separation
from mgdm_audio.audio.evaluation.summary import markdown_table


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "score",
        help="score separations: windowed SI-SDRi and museval SDR",
        description="Score DATA_DIR's utterances (wav.scp: mixture, spk1.scp … : references in --stems order) "
        "against SEPARATION_DIR/<utt_id>/<stem>.wav: SI-SDRi on 4 s windows with a 2 s hop (--window, --hop; "
        "a window at least as long as the files scores each file whole), windows "
        "with at most one active stem skipped (MSDM protocol), and BSS-Eval v4 SDR on 1 s frames. "
        "Writes windows.csv, tracks.csv, summary.json and summary.md to OUT_DIR and prints the table.",
    )
    add = parser.add_argument
    add("data_dir", type=Path, metavar="DATA_DIR", help="Kaldi data dir with wav.scp and spk1.scp …")
    add("separation_dir", type=Path, metavar="SEPARATION_DIR", help="folder of <utt_id>/<stem>.wav estimates")
    add("-o", "--out", dest="out_dir", type=Path, help="output folder (default: SEPARATION_DIR)")
    add(
        "--stems", nargs="+", default=list(DEFAULT_STEMS), help="stem names, in spk1.scp … order (default: %(default)s)"
    )
    add("--zero-mean", action="store_true", help="remove means before SI-SNR (Le Roux et al.; MSDM does not)")
    add(
        "--active-only",
        action="store_true",
        help="score a stem only in windows where it is active (MSDM scores every stem of a kept window)",
    )
    add("--window", type=float, default=4.0, help="SI-SDRi window in seconds (default: %(default)s)")
    add("--hop", type=float, default=2.0, help="SI-SDRi hop in seconds, at most --window (default: %(default)s)")
    add("--no-museval", dest="museval", action="store_false", help="skip museval SDR (the slow part)")
    add(
        "--crop",
        action="store_true",
        help="crop a track's files to the shortest instead of failing on a length mismatch",
    )
    add("--allow-missing", action="store_true", help="skip, with a warning, utterances without an estimate folder")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with warnings.catch_warnings():
        # Skips and crops are reported as one plain line each, not with a source location.
        warnings.simplefilter("always", UserWarning)
        warnings.showwarning = _print_warning
        try:
            result = score_separation(
                args.data_dir,
                args.separation_dir,
                args.out_dir,
                args.stems,
                zero_mean=args.zero_mean,
                active_only=args.active_only,
                museval=args.museval,
                window_s=args.window,
                hop_s=args.hop,
                crop=args.crop,
                allow_missing=args.allow_missing,
            )
        except (ValueError, OSError) as error:  # ScoringError and DataDirError are ValueErrors
            print(f"mgdm score: error: {error}", file=sys.stderr)
            return 1
    print(markdown_table(result.summaries), end="")
    print(f"wrote windows.csv, tracks.csv, summary.json, summary.md to {args.out_dir or args.separation_dir}")
    return 0


def _print_warning(message: Warning | str, *_: object) -> None:
    print(f"mgdm score: warning: {message}", file=sys.stderr)
