"""``mgdm slakh``: Slakh2100 data dirs, and MSDM's chunk protocol (cut into whole chunks, their segment length,
join separations)."""

from __future__ import annotations

import argparse
import sys

from mgdm_audio.audio.corpora.slakh import (
    LAYOUTS,
    MSDM_CHUNK,
    SAMPLE_RATE,
    STEMS,
    chunk_segment_seconds,
    join_chunks,
    prepare,
    write_chunks,
)
from mgdm_audio.core.priors.loading import describe


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "slakh",
        help="Slakh2100 data dirs and MSDM's chunk protocol",
        description="Slakh2100 data dirs (prepare) and MSDM's evaluation protocol: cut "
        "mixtures into whole chunks (chunk), the segment length that "
        "separates one chunk at a time (segment), concatenate the separated "
        "chunks per track (join).",
    )
    commands = parser.add_subparsers(dest="slakh_command", metavar="STEP", required=True)
    prepare_parser = commands.add_parser("prepare", help="write a 4-stem data dir from a Slakh2100 root")
    prepare_parser.add_argument("layout", choices=LAYOUTS, help="raw Slakh2100, or MSDM's pre-rendered 22 kHz set")
    prepare_parser.add_argument("root", help="corpus root holding <split>/TrackNNNNN/")
    prepare_parser.add_argument("data_dir", help="data directory to write")
    prepare_parser.add_argument("--audio-dir", required=True, help="where converted audio is written")
    prepare_parser.add_argument("--split", default="test", help="default: %(default)s")
    prepare_parser.add_argument("--sample-rate", type=int, default=SAMPLE_RATE, help="Hz (default: %(default)s)")
    prepare_parser.add_argument("--max-tracks", type=int, default=0, help="first N tracks only; 0: all")
    chunk_parser = commands.add_parser("chunk", help="MSDM protocol: cut mixtures into whole chunks")
    chunk_parser.add_argument("data_dir")
    chunk_parser.add_argument("out_dir")
    chunk_parser.add_argument("--chunk", type=int, default=MSDM_CHUNK, help="samples (default: %(default)s)")
    segment_parser = commands.add_parser(
        "segment", help="MSDM protocol: mgdm separate's --segment for one model segment per chunk (seconds, printed)"
    )
    segment_parser.add_argument("data_dir", help="the data dir `chunk` wrote")
    segment_parser.add_argument("prior", help="the prior (name or directory) that will separate the chunks")
    join_parser = commands.add_parser("join", help="MSDM protocol: concatenate separated chunks per track")
    join_parser.add_argument("chunk_separations", help="folder of <chunk id>/<stem>.wav")
    join_parser.add_argument("data_dir", help="the data dir `chunk` wrote")
    join_parser.add_argument("separations", help="folder to write <utt>/<stem>.wav to")
    join_parser.add_argument("--stems", nargs="+", default=list(STEMS), help="default: %(default)s")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        if args.slakh_command == "prepare":
            tracks = prepare(
                args.layout, args.root, args.data_dir, args.audio_dir, args.split, args.sample_rate, args.max_tracks
            )
            print(f"{args.data_dir}: {len(tracks)} tracks of {args.root}/{args.split} ({args.layout} layout)")
        elif args.slakh_command == "chunk":
            counts = write_chunks(args.data_dir, args.out_dir, args.chunk)
            short = sum(1 for count in counts.values() if not count)
            print(
                f"{args.out_dir}: {len(counts) - short} tracks, {sum(counts.values())} chunks of {args.chunk} "
                f"samples ({short} shorter than one chunk left out)"
            )
        elif args.slakh_command == "segment":
            print(f"{chunk_segment_seconds(args.data_dir, int(describe(args.prior)['sample_rate'])):.9f}")
        else:
            count = join_chunks(args.chunk_separations, args.data_dir, args.separations, args.stems)
            print(f"{args.separations}: {count} tracks joined")
    except (ValueError, OSError) as error:  # CorpusError and DataDirError are ValueErrors
        print(f"mgdm slakh {args.slakh_command}: error: {error}", file=sys.stderr)
        return 1
    return 0
