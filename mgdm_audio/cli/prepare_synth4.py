"""``mgdm prepare-synth4`` and ``mgdm prepare-varied4``: render the offline four-stem corpora.

synth4 (Slakh2100-like): generated MIDI arrangements rendered per class (bass, drums, guitar,
piano) with FluidSynth and the FluidR3 GM SoundFont. varied4: generated arrangements and music21
works on many sound sets and recorded drum kits, with effects, and held-out sounds and works in
validation and test. Both are listed in Kaldi-style data directories.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from mgdm_audio.audio.corpora.kaldi import DataDirError
from mgdm_audio.audio.corpora.synth4.build import (
    DEFAULT_NUM_TRACKS,
    DEFAULT_TRACK_SECONDS,
    SPLITS,
    SYNTH4,
    BuildConfig,
    CorpusKind,
    build_corpus,
)
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
    _register_corpus(
        subparsers,
        SYNTH4,
        DEFAULT_NUM_TRACKS,
        "render the offline 4-stem synth4 corpus (Slakh2100-like)",
        "Render the offline four-stem synth4 corpus (Slakh2100-like): generated MIDI arrangements rendered "
        "per class (bass, drums, guitar, piano) with FluidSynth and the FluidR3 GM SoundFont, listed in "
        "Kaldi-style data directories. Rerunning resumes: complete tracks are skipped.",
    )
    from mgdm_audio.audio.corpora.varied4.build import DEFAULT_NUM_TRACKS as VARIED4_TRACKS
    from mgdm_audio.audio.corpora.varied4.build import VARIED4

    _register_corpus(
        subparsers,
        VARIED4,
        VARIED4_TRACKS,
        "render the 4-stem varied4 corpus (many sound sets and kits, real compositions)",
        "Render the four-stem varied4 corpus: synth4's generated arrangements and music21 works, each stem on "
        "a General MIDI sound set or drum kit drawn at random (recorded Hydrogen and AVL kits too), detuned "
        "and processed by random effects. Validation and test use only held-out sound sets, kits and "
        "collections of works. Rerunning resumes: complete tracks are skipped.",
    )


def _register_corpus(
    subparsers: argparse._SubParsersAction, kind: CorpusKind, num_tracks: dict[str, int], summary: str, description: str
) -> None:
    parser = subparsers.add_parser(f"prepare-{kind.name}", help=summary, description=description)
    add = parser.add_argument
    add("out_dir", metavar="OUT_DIR", help="output root: audio under OUT_DIR/audio, data dirs under OUT_DIR/data")
    add(
        "--seed",
        type=_non_negative_int,
        default=0,
        help="corpus seed: the same seed gives the same files (default: %(default)s)",
    )
    add("--sample-rate", type=int, default=DEFAULT_SAMPLE_RATE, help="Hz (default: %(default)s)")
    for split in SPLITS:
        add(
            f"--{split}-tracks",
            type=_non_negative_int,
            default=num_tracks[split],
            help=f"number of {split} tracks (default: %(default)s)",
        )
    add(
        "--track-seconds",
        type=_positive_float,
        default=DEFAULT_TRACK_SECONDS,
        help="length of every track, in seconds (default: %(default)s)",
    )
    for split in SPLITS:
        add(
            f"--{split}-track-seconds",
            type=_positive_float,
            default=None,
            help=f"length of {split} tracks (default: --track-seconds)",
        )
    add(
        "--jobs",
        type=_positive_int,
        default=os.cpu_count() or 1,
        help="tracks rendered in parallel (default: %(default)s, the CPU count)",
    )
    add(
        "--wav-format",
        choices=sorted(WAV_SUBTYPES),
        default="float",
        help="sample format of the WAV files (default: %(default)s)",
    )
    add("--audio-dir", default=None, help="audio root (default: OUT_DIR/audio)")
    add("--data-dir", default=None, help="data dirs root (default: OUT_DIR/data)")
    add("--fluidsynth", default="fluidsynth", help="FluidSynth binary (default: %(default)s)")
    if kind is SYNTH4:
        add("--soundfont", default=DEFAULT_SOUNDFONT, help="General MIDI SoundFont (default: %(default)s)")
    parser.set_defaults(func=run, kind=kind, soundfont=DEFAULT_SOUNDFONT)


def run(args: argparse.Namespace) -> int:
    """Build the corpus; print one summary line per split. Returns the exit status."""
    started = time.monotonic()
    sizes = {
        split: (getattr(args, f"{split}_tracks"), getattr(args, f"{split}_track_seconds") or args.track_seconds)
        for split in SPLITS
    }
    try:
        config = BuildConfig(
            audio_dir=os.path.abspath(args.audio_dir or os.path.join(args.out_dir, "audio")),
            data_dir=os.path.abspath(args.data_dir or os.path.join(args.out_dir, "data")),
            seed=args.seed,
            wav_format=args.wav_format,
            synthesizer=find_synthesizer(args.sample_rate, args.fluidsynth, args.soundfont),
            kind=args.kind,
        )
        summary = build_corpus(config, sizes, jobs=args.jobs)
    except (RenderError, DataDirError, OSError, RuntimeError) as error:
        print(f"mgdm prepare-{args.kind.name}: error: {error}", file=sys.stderr)
        return 1
    for split, stats in summary.items():
        silent = ", ".join(f"{stem} {fraction:.1%}" for stem, fraction in stats["silent_fraction"].items())
        print(
            f"{split}: {stats['tracks']} tracks, {stats['hours']:.2f} h "
            f"({stats['rendered']} rendered now), silent 1.5 s chunks: {silent}; "
            f"data dir {stats['data_dir']}"
        )
    print(f"done in {time.monotonic() - started:.0f} s")
    return 0
