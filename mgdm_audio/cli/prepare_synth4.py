"""``mgdm prepare-synth4``: render the offline four-stem "synth4" corpus (Slakh2100-like).

Generated MIDI arrangements are rendered per class (bass, drums, guitar, piano) with
FluidSynth and the FluidR3 GM SoundFont, and listed in Kaldi-style data directories.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from mgdm_audio.audio.corpora.kaldi import DataDirError
from mgdm_audio.audio.corpora.synth4.build import (DEFAULT_NUM_TRACKS, DEFAULT_TRACK_SECONDS, SPLITS, BuildConfig,
                                                   build_corpus)
from mgdm_audio.audio.corpora.synth4.mixing import WAV_SUBTYPES
from mgdm_audio.audio.corpora.synth4.render import DEFAULT_SOUNDFONT, RenderError, find_synthesizer

DEFAULT_SAMPLE_RATE = 22050


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be ≥ 0, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be ≥ 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "prepare-synth4", help="render the offline 4-stem synth4 corpus (Slakh2100-like)",
        description="Render the offline four-stem synth4 corpus (Slakh2100-like): generated MIDI "
                    "arrangements rendered per class (bass, drums, guitar, piano) with FluidSynth "
                    "and the FluidR3 GM SoundFont, listed in Kaldi-style data directories. "
                    "Rerunning resumes: complete tracks are skipped.")
    add = parser.add_argument
    add("out_dir", metavar="OUT_DIR",
        help="output root: audio under OUT_DIR/audio, data dirs under OUT_DIR/data")
    add("--seed", type=_non_negative_int, default=0,
        help="corpus seed: the same seed gives the same files (default: %(default)s)")
    add("--sample-rate", type=int, default=DEFAULT_SAMPLE_RATE, help="Hz (default: %(default)s)")
    for split in SPLITS:
        add(f"--{split}-tracks", type=_non_negative_int, default=DEFAULT_NUM_TRACKS[split],
            help=f"number of {split} tracks (default: %(default)s)")
    add("--track-seconds", type=_positive_float, default=DEFAULT_TRACK_SECONDS,
        help="length of every track, in seconds (default: %(default)s)")
    for split in SPLITS:
        add(f"--{split}-track-seconds", type=_positive_float, default=None,
            help=f"length of {split} tracks (default: --track-seconds)")
    add("--jobs", type=_positive_int, default=os.cpu_count() or 1,
        help="tracks rendered in parallel (default: %(default)s, the CPU count)")
    add("--wav-format", choices=sorted(WAV_SUBTYPES), default="float",
        help="sample format of the WAV files (default: %(default)s)")
    add("--audio-dir", default=None, help="audio root (default: OUT_DIR/audio)")
    add("--data-dir", default=None, help="data dirs root (default: OUT_DIR/data)")
    add("--fluidsynth", default="fluidsynth", help="FluidSynth binary (default: %(default)s)")
    add("--soundfont", default=DEFAULT_SOUNDFONT,
        help="General MIDI SoundFont (default: %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the corpus; print one summary line per split. Returns the exit status."""
    started = time.monotonic()
    sizes = {split: (getattr(args, f"{split}_tracks"),
                     getattr(args, f"{split}_track_seconds") or args.track_seconds)
             for split in SPLITS}
    try:
        config = BuildConfig(
            audio_dir=os.path.abspath(args.audio_dir or os.path.join(args.out_dir, "audio")),
            data_dir=os.path.abspath(args.data_dir or os.path.join(args.out_dir, "data")),
            seed=args.seed, wav_format=args.wav_format,
            synthesizer=find_synthesizer(args.sample_rate, args.fluidsynth, args.soundfont))
        summary = build_corpus(config, sizes, jobs=args.jobs)
    except (RenderError, DataDirError, OSError) as error:
        print(f"mgdm prepare-synth4: error: {error}", file=sys.stderr)
        return 1
    for split, stats in summary.items():
        silent = ", ".join(f"{stem} {fraction:.1%}"
                           for stem, fraction in stats["silent_fraction"].items())
        print(f"{split}: {stats['tracks']} tracks, {stats['hours']:.2f} h "
              f"({stats['rendered']} rendered now), silent 1.5 s chunks: {silent}; "
              f"data dir {stats['data_dir']}")
    print(f"done in {time.monotonic() - started:.0f} s")
    return 0
