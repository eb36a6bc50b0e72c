"""Build a rendered four-stem corpus: render every track of every split, then write data directories.

The machinery (seeding, resume, layout, data directories) serves every corpus of this kind;
a :class:`CorpusKind` says how one track's stems are made (synth4's: :func:`synth4_stems`).

Layout (``<utt>`` = ``<corpus>-<split>-<index:05d>``)::

    <audio_dir>/<split>/<utt>/{mix,bass,drums,guitar,piano}.wav, midi/<stem>.mid, metadata.json
    <data_dir>/<split>/{wav.scp, spk1.scp … spk4.scp, utt2num_samples}   (spk order: STEMS)

Each track's random stream is seeded from (seed, split, index) alone, so adding tracks never
changes existing ones, and the same seed gives identical files. Every file is written
atomically and ``metadata.json`` last: a track with a matching ``metadata.json`` is complete,
and a rerun skips it (resume after a crash or an interrupt).
"""

from __future__ import annotations

import glob
import json
import multiprocessing
import os
import sys
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

from mgdm_audio.common.atomic import atomic_path

from ..kaldi import validate_data_dir, write_data_dir
from .arrangement import STEMS, Arrangement, generate_arrangement
from .midi import write_midi
from .mixing import LEVEL_SPREAD_DB, WAV_SUBTYPES, mix_stems, silent_chunks
from .render import Synthesizer, render_midi
from .wav import write_wav

SPLITS = ("train", "valid", "test")
#: Defaults: 240 × 30 s = 2 h of training audio, 10 min each for validation and test.
DEFAULT_NUM_TRACKS = {"train": 240, "valid": 20, "test": 20}
DEFAULT_TRACK_SECONDS = 30.0
#: Chunk length and RMS threshold of the silence statistics stored per track.
SILENCE_CHUNK_SECONDS, SILENCE_RMS = 1.5, 1e-4
MIXTURE_NAME = "mix"


@dataclass(frozen=True)
class TrackSpec:
    """Track ``index`` (0-based) of ``split`` of the corpus named ``corpus``, ``seconds`` long."""

    split: str
    index: int
    seconds: float
    corpus: str = "synth4"

    @property
    def utt_id(self) -> str:
        return f"{self.corpus}-{self.split}-{self.index:05d}"


#: Makes one track's stems: (config, spec, the track's seed, its directory) → (rendered stems,
#: each shape (num_samples,) float32, keyed by STEMS; a JSON-serialisable description for the
#: metadata). A top-level function, so the worker processes can receive it.
StemMaker = Callable[["BuildConfig", TrackSpec, np.random.SeedSequence, str], tuple[dict[str, np.ndarray], dict]]


@dataclass(frozen=True)
class CorpusKind:
    """A corpus: ``name`` (the utterance ids' prefix), the version of its generator (bump it when
    a change alters the audio, so old tracks are re-rendered), how stems are made, and the random
    spread (± dB) of each stem's level around its class's typical loudness."""

    name: str
    generator_version: int
    make_stems: StemMaker
    level_spread_db: float = LEVEL_SPREAD_DB


@dataclass(frozen=True)
class BuildConfig:
    """Where and how to render. ``wav_format``: a key of ``WAV_SUBTYPES``; ``kind`` defaults to
    synth4."""

    audio_dir: str
    data_dir: str
    seed: int
    synthesizer: Synthesizer
    wav_format: str = "float"
    kind: CorpusKind = field(default_factory=lambda: SYNTH4)


def track_seed(seed: int, split: str, index: int) -> np.random.SeedSequence:
    """The track's seed: depends only on (seed, split name, index); CRC32 gives a stable
    number for the split name (Python's ``hash`` of a string changes between runs)."""
    return np.random.SeedSequence([seed, zlib.crc32(split.encode()), index])


def track_dir(config: BuildConfig, spec: TrackSpec) -> str:
    return os.path.join(config.audio_dir, spec.split, spec.utt_id)


def wav_path(config: BuildConfig, spec: TrackSpec, name: str) -> str:
    """Absolute path of the mixture (``name`` = "mix") or of a stem's WAV file."""
    return os.path.abspath(os.path.join(track_dir(config, spec), f"{name}.wav"))


def _expected_settings(config: BuildConfig, spec: TrackSpec) -> dict:
    """What a finished track's metadata must record for a rerun to reuse it."""
    sample_rate = config.synthesizer.sample_rate
    return {
        "utt_id": spec.utt_id,
        "seed": config.seed,
        "split": spec.split,
        "index": spec.index,
        "seconds": spec.seconds,
        "sample_rate": sample_rate,
        "num_samples": round(spec.seconds * sample_rate),
        "wav_format": config.wav_format,
        "generator_version": config.kind.generator_version,
    }


def _finished_metadata(config: BuildConfig, spec: TrackSpec) -> dict | None:
    """The track's metadata if it was completed with the current settings, else None."""
    path = os.path.join(track_dir(config, spec), "metadata.json")
    try:
        with open(path, encoding="utf-8") as handle:
            metadata = json.load(handle)
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    expected = _expected_settings(config, spec)
    if any(metadata.get(key) != value for key, value in expected.items()):
        return None
    names = (MIXTURE_NAME, *STEMS)
    return metadata if all(os.path.exists(wav_path(config, spec, name)) for name in names) else None


def write_midi_files(arrangement: Arrangement, directory: str) -> dict[str, str]:
    """One MIDI file per stem (all of its parts); returns stem → path."""
    os.makedirs(directory, exist_ok=True)
    paths = {}
    for stem in STEMS:
        parts = arrangement.parts_of(stem)
        paths[stem] = os.path.join(directory, f"{stem}.mid")
        write_midi(
            paths[stem],
            [part.setup for part in parts],
            [note for part in parts for note in part.notes],
            arrangement.song.timeline.bpm,
            arrangement.duration,
        )
    return paths


def synth4_stems(
    config: BuildConfig, spec: TrackSpec, seed: np.random.SeedSequence, directory: str
) -> tuple[dict[str, np.ndarray], dict]:
    """synth4's :data:`StemMaker`: a generated arrangement, one MIDI file per stem under
    ``directory``/midi, rendered with the configured FluidSynth and SoundFont."""
    arrangement = generate_arrangement(np.random.default_rng(seed), spec.seconds)
    midi_paths = write_midi_files(arrangement, os.path.join(directory, "midi"))
    num_samples = round(spec.seconds * config.synthesizer.sample_rate)
    rendered = {
        stem: render_midi(config.synthesizer, midi_paths[stem], num_samples)
        if any(part.notes for part in arrangement.parts_of(stem))
        else np.zeros(num_samples, dtype=np.float32)
        for stem in STEMS
    }
    return rendered, {"arrangement": arrangement.describe(), "synthesizer": asdict(config.synthesizer)}


#: The synth4 corpus (generator version 2).
SYNTH4 = CorpusKind("synth4", 2, synth4_stems)


def render_track(config: BuildConfig, spec: TrackSpec) -> tuple[dict, bool]:
    """Render one track unless already complete; returns (metadata, whether it was rendered)."""
    finished = _finished_metadata(config, spec)
    if finished is not None:
        return finished, False
    directory = track_dir(config, spec)
    os.makedirs(directory, exist_ok=True)
    # Temporary files of an interrupted run (atomic writes and FluidSynth output are hidden).
    for folder in (directory, os.path.join(directory, "midi")):
        for stale in glob.glob(os.path.join(folder, ".*")):
            os.remove(stale)
    settings = _expected_settings(config, spec)
    stems_seed, mixing_seed = track_seed(config.seed, spec.split, spec.index).spawn(2)
    rendered, description = config.kind.make_stems(config, spec, stems_seed, directory)
    sample_rate = config.synthesizer.sample_rate
    mix = mix_stems(
        rendered, sample_rate, np.random.default_rng(mixing_seed), config.wav_format, config.kind.level_spread_db
    )
    subtype = WAV_SUBTYPES[config.wav_format]
    for name, signal in [*mix.stems.items(), (MIXTURE_NAME, mix.mixture)]:
        write_wav(wav_path(config, spec, name), signal, sample_rate, subtype)
    metadata = {
        **settings,
        **description,
        "gains_db": mix.gains_db,
        "peak_scale": mix.peak_scale,
        "silent_chunks": {
            stem: silent_chunks(mix.stems[stem], sample_rate, SILENCE_CHUNK_SECONDS, SILENCE_RMS) for stem in STEMS
        },
    }
    with atomic_path(os.path.join(directory, "metadata.json")) as temporary:
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(metadata, handle, indent=1)
    return metadata, True


def _render_task(task: tuple[BuildConfig, TrackSpec]) -> tuple[TrackSpec, dict, bool]:
    """Pool entry point (top level, so it can be pickled)."""
    config, spec = task
    metadata, rendered = render_track(config, spec)
    return spec, metadata, rendered


def write_split_data_dir(config: BuildConfig, split: str, specs: list[TrackSpec]) -> str:
    """Write and validate ``<data_dir>/<split>``; returns its path."""
    directory = os.path.join(config.data_dir, split)
    mixtures = {spec.utt_id: wav_path(config, spec, MIXTURE_NAME) for spec in specs}
    sources = [{spec.utt_id: wav_path(config, spec, stem) for spec in specs} for stem in STEMS]
    sample_rate = config.synthesizer.sample_rate
    num_samples = {spec.utt_id: round(spec.seconds * sample_rate) for spec in specs}
    write_data_dir(directory, mixtures, sources, num_samples)
    validate_data_dir(directory, num_speakers=len(STEMS), sample_rate=sample_rate)
    return directory


def _print_progress(done: int, total: int, started: float, stream=sys.stderr) -> None:
    elapsed = time.monotonic() - started
    remaining = elapsed / done * (total - done)
    print(f"{done}/{total} tracks, {elapsed:.0f} s elapsed, ~{remaining:.0f} s left", file=stream, flush=True)


def build_corpus(
    config: BuildConfig,
    sizes: Mapping[str, tuple[int, float]],
    jobs: int = 1,
    progress: Callable[[int, int, float], None] | None = _print_progress,
) -> dict:
    """Render ``sizes[split] = (num_tracks, track_seconds)`` tracks per split with ``jobs``
    processes, write the data directories, and return a summary per split: tracks, hours,
    tracks rendered now, and per stem the fraction of silent 1.5 s chunks."""
    specs = {
        split: [TrackSpec(split, index, seconds, config.kind.name) for index in range(count)]
        for split, (count, seconds) in sizes.items()
        if count > 0
    }
    tasks = [(config, spec) for split_specs in specs.values() for spec in split_specs]
    results: dict[TrackSpec, tuple[dict, bool]] = {}
    started, last_report = time.monotonic(), 0.0

    def collect(outcome: tuple[TrackSpec, dict, bool]) -> None:
        nonlocal last_report
        spec, metadata, rendered = outcome
        results[spec] = (metadata, rendered)
        now = time.monotonic()
        if progress and (now - last_report >= 5.0 or len(results) == len(tasks)):
            progress(len(results), len(tasks), started)
            last_report = now

    if jobs <= 1:
        for task in tasks:
            collect(_render_task(task))
    else:
        # "fork" explicitly (Python 3.14 defaults to "forkserver"): unlike the other start
        # methods it needs no `if __name__ == "__main__":` guard in the calling script, and the
        # workers only run NumPy and FluidSynth subprocesses.
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for outcome in pool.imap_unordered(_render_task, tasks):
                collect(outcome)

    summary = {}
    for split, split_specs in specs.items():
        data_dir = write_split_data_dir(config, split, split_specs)
        silent = {
            stem: np.sum([results[spec][0]["silent_chunks"][stem] for spec in split_specs], axis=0) for stem in STEMS
        }
        summary[split] = {
            "data_dir": data_dir,
            "tracks": len(split_specs),
            "hours": sum(spec.seconds for spec in split_specs) / 3600.0,
            "rendered": sum(results[spec][1] for spec in split_specs),
            "silent_fraction": {
                stem: float(count[0] / count[1]) if count[1] else 0.0 for stem, count in silent.items()
            },
        }
    return summary
