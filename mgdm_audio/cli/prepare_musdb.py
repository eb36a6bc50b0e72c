"""``mgdm prepare-musdb``: a Kaldi data dir of MUSDB18-HQ tracks in a prior's stem order and rate."""

from __future__ import annotations

import argparse
import sys

from mgdm_audio.audio.corpora.musdb import prepare, prior_stems


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "prepare-musdb",
        help="data dir of MUSDB18-HQ tracks in a prior's stem order and rate",
        description="Write DATA_DIR (wav.scp, spk1.scp …) for MUSDB18-HQ's ROOT/<split>/<track>/: mono mixtures and "
        "stems at the prior's rate, in its stem order, under --audio-dir.",
    )
    add = parser.add_argument
    add("root", help="MUSDB18-HQ root holding <split>/<track>/")
    add("data_dir", help="data directory to write")
    add("--audio-dir", required=True, help="where the mono stems and mixtures are written")
    add("--prior", required=True, help="prior directory: its stem order and sample rate are used")
    add("--split", default="test", help="default: %(default)s")
    add("--max-tracks", type=int, default=0, help="first N tracks only; 0: all")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        stems, rate = prior_stems(args.prior)
        tracks = prepare(args.root, args.data_dir, args.audio_dir, stems, rate, args.split, args.max_tracks)
    except (ValueError, OSError) as error:  # CorpusError and DataDirError are ValueErrors
        print(f"mgdm prepare-musdb: error: {error}", file=sys.stderr)
        return 1
    print(f"{args.data_dir}: {len(tracks)} tracks of {args.root}/{args.split}, stems {', '.join(stems)} at {rate} Hz")
    return 0
