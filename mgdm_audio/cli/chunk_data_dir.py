"""``mgdm chunk-data-dir``: cut a data dir's utterances into short aligned chunks (a new data dir)."""

from __future__ import annotations

import argparse
import sys

from mgdm_audio.audio.corpora.chunking import chunk_data_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "chunk-data-dir",
        help="cut a data dir's utterances into short aligned chunks",
        description="Write OUT_DIR, a data dir of chunks of SRC_DIR's utterances (mixture and every source cut at "
        "the same boundaries), keeping chunks where enough sources are active.",
    )
    add = parser.add_argument
    add("src_dir", help="data directory (wav.scp, spk1.scp … spkN.scp)")
    add("out_dir", help="the chunked data directory to write")
    add("--chunk-samples", type=int, required=True, help="chunk length in samples")
    add("--per-utterance", type=int, default=1, help="chunks kept per utterance (default: 1)")
    add("--min-active", type=int, help="sources that must be active in a chunk (default: all)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        kept = chunk_data_dir(args.src_dir, args.out_dir, args.chunk_samples, args.per_utterance, args.min_active)
    except (ValueError, OSError) as error:  # DataDirError is a ValueError
        print(f"mgdm chunk-data-dir: error: {error}", file=sys.stderr)
        return 1
    print(f"{args.out_dir}: {len(kept)} chunks of {args.chunk_samples} samples")
    return 0
