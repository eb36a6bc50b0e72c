"""The synth4 corpus: musical generator, MIDI writer, mixing, FluidSynth rendering, builds."""

import argparse
import os
import shutil

import numpy as np
import pytest
import soundfile

from mgdm_audio.audio.corpora.kaldi import validate_data_dir
from mgdm_audio.audio.corpora.synth4.arrangement import DRUM_KITS, PROGRAMS, STEMS, generate_arrangement
from mgdm_audio.audio.corpora.synth4.build import BuildConfig, TrackSpec, build_corpus, track_seed, wav_path
from mgdm_audio.audio.corpora.synth4.drums import DRUM_CHANNEL
from mgdm_audio.audio.corpora.synth4.harmony import Key, diatonic_chord
from mgdm_audio.audio.corpora.synth4.midi import ChannelSetup, Note, midi_bytes
from mgdm_audio.audio.corpora.synth4.mixing import PEAK_LIMIT, mix_stems
from mgdm_audio.audio.corpora.synth4.render import DEFAULT_SOUNDFONT, find_synthesizer
from mgdm_audio.audio.corpora.synth4.song import Timeline
from mgdm_audio.cli import prepare_synth4

HAVE_FLUIDSYNTH = shutil.which("fluidsynth") is not None and os.path.isfile(DEFAULT_SOUNDFONT)
needs_fluidsynth = pytest.mark.skipif(
    not HAVE_FLUIDSYNTH,
    reason="needs the fluidsynth binary and the FluidR3 GM SoundFont "
    "(apt-get install -y fluidsynth fluid-soundfont-gm)",
)
SAMPLE_RATE = 16000  # lower than the corpus default, to keep the tests fast
SECONDS = 3.0


def _midi_events(data: bytes) -> list[tuple[int, int, bytes]]:
    """(absolute tick, status, data bytes) of the channel events of a format-0 file written
    by midi_bytes (no running status)."""
    assert data[:4] == b"MThd" and data[14:18] == b"MTrk"
    position, tick, events = 22, 0, []
    while position < len(data):
        delta = 0
        while True:
            byte = data[position]
            position += 1
            delta = (delta << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        tick += delta
        status = data[position]
        if status == 0xFF:  # meta event: type, length, payload
            position += 3 + data[position + 2]
            continue
        size = 2 if status & 0xF0 in (0x80, 0x90, 0xB0) else 1
        events.append((tick, status, data[position + 1 : position + 1 + size]))
        position += 1 + size
    return events


# ---- musical generator ---------------------------------------------------------------


def test_diatonic_chords_and_swing():
    c_major, a_minor = Key(0, False), Key(9, True)
    assert diatonic_chord(c_major, 0, False, False).intervals == (0, 4, 7)
    assert diatonic_chord(c_major, 1, True, False).intervals == (0, 3, 7, 10)
    assert diatonic_chord(a_minor, 4, False, True).pitch_classes == (4, 8, 11)  # E major
    assert Timeline(bpm=60, swing=1.0).seconds(2.5) == pytest.approx(2 + 2 / 3)
    assert Timeline(bpm=120).seconds(3.5) == pytest.approx(1.75)


@pytest.mark.parametrize("seconds", [2.0, 12.5, 30.0])
def test_arrangement_has_requested_duration_and_gm_programs(seconds):
    absent_somewhere, rest_somewhere = set(), set()
    for seed in range(40):
        arrangement = generate_arrangement(np.random.default_rng(seed), seconds)
        assert arrangement.duration == seconds
        notes = [note for part in arrangement.parts for note in part.notes]
        assert all(0.0 <= note.start < note.end <= seconds for note in notes)
        assert max(note.start for note in notes) > seconds - 5.0  # music until the end
        for part in arrangement.parts:
            if part.stem == "drums":
                assert part.setup.channel == DRUM_CHANNEL == 9
                assert part.setup.program in DRUM_KITS
            else:
                assert part.setup.channel != DRUM_CHANNEL
                assert part.setup.program in PROGRAMS[part.stem]
            assert all(note.channel == part.setup.channel for note in part.notes)
            assert all(1 <= note.velocity <= 127 and 0 <= note.pitch <= 127 for note in part.notes)
        for stem in STEMS:
            playing = [
                any(part.active_sections[index] for part in arrangement.parts_of(stem))
                for index in range(len(arrangement.song.sections))
            ]
            if not any(playing):
                absent_somewhere.add(stem)
            elif not all(playing):
                rest_somewhere.add(stem)
    if seconds == 30.0:  # over 40 songs every class rests somewhere, and some sit out a song
        assert rest_somewhere == set(STEMS) and absent_somewhere


def test_arrangement_is_deterministic_by_seed():
    first = generate_arrangement(np.random.default_rng(7), 10.0)
    assert first == generate_arrangement(np.random.default_rng(7), 10.0)
    assert first != generate_arrangement(np.random.default_rng(8), 10.0)


def test_midi_writer_puts_drums_on_channel_10_and_clips_to_the_end():
    arrangement = generate_arrangement(np.random.default_rng(3), 6.0)
    drums = arrangement.parts_of("drums")[0]
    notes = list(drums.notes) + [Note(5.9, 9.0, 60, 80, DRUM_CHANNEL), Note(7.0, 8.0, 61, 80, 9)]
    data = midi_bytes([drums.setup], notes, bpm=120.0, end_seconds=6.0)
    events = _midi_events(data)
    assert {status & 0x0F for _, status, _ in events} == {DRUM_CHANNEL}
    assert (0, 0xC9, bytes([drums.setup.program])) in events
    note_ons = [event for event in events if event[1] & 0xF0 == 0x90]
    assert len(note_ons) == len(drums.notes) + 1  # the note starting after the end is dropped
    assert max(tick for tick, _, _ in events) <= 6.0 * 2 * 960  # 120 BPM, 960 ticks per beat


def test_repeated_key_is_released_before_it_restarts():
    notes = [Note(0.0, 1.0, 60, 90, 0), Note(0.5, 1.5, 60, 90, 0)]
    events = _midi_events(midi_bytes([ChannelSetup(0, 0)], notes, 60.0, 2.0))
    timeline = [(tick, status & 0xF0) for tick, status, _ in events if status & 0xF0 in (0x80, 0x90)]
    assert timeline == [(0, 0x90), (480, 0x80), (480, 0x90), (1440, 0x80)]


# ---- mixing ----------------------------------------------------------------------------


@pytest.mark.parametrize("wav_format", ["float", "int16"])
def test_mix_is_sum_of_stems_without_clipping(wav_format):
    rng = np.random.default_rng(0)
    rendered = {stem: rng.normal(0, 0.3, 8000).astype(np.float32) for stem in STEMS}
    rendered["piano"][:] = 0.0  # a silent stem stays silent
    rendered["drums"][:] = 0.0
    rendered["drums"][::2000] = 1.0  # sparse clicks: leveled by their RMS, they peak far above 1
    mix = mix_stems(rendered, 8000, np.random.default_rng(1), wav_format)
    total = np.sum([stem.astype(np.float64) for stem in mix.stems.values()], axis=0)
    if wav_format == "int16":
        assert mix.mixture.dtype == np.int16 and np.array_equal(total, mix.mixture)
        assert np.abs(mix.mixture).max() <= PEAK_LIMIT * 32768 + 4
    else:
        assert np.allclose(total, mix.mixture, atol=1e-6)
        assert np.abs(mix.mixture).max() <= PEAK_LIMIT + 1e-6
    assert not mix.stems["piano"].any() and mix.peak_scale < 1.0


# ---- rendering and corpus builds (FluidSynth) ------------------------------------------


def _config(root, seed=0, wav_format="float"):
    return BuildConfig(str(root / "audio"), str(root / "data"), seed, find_synthesizer(SAMPLE_RATE), wav_format)


def _read_track(config, spec):
    return {name: soundfile.read(wav_path(config, spec, name), dtype="float32")[0] for name in ("mix", *STEMS)}


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    """Two train tracks and one valid track of 3 s, rendered once for several tests."""
    root = tmp_path_factory.mktemp("synth4")
    config = _config(root)
    summary = build_corpus(config, {"train": (2, SECONDS), "valid": (1, SECONDS)}, progress=None)
    return config, summary


@needs_fluidsynth
def test_rendered_stems_are_aligned_and_sum_to_the_mixture(small_corpus):
    config, summary = small_corpus
    assert set(summary) == {"train", "valid"} and summary["train"]["rendered"] == 2
    for spec in (TrackSpec("train", 0, SECONDS), TrackSpec("train", 1, SECONDS)):
        track = _read_track(config, spec)
        assert {len(signal) for signal in track.values()} == {round(SECONDS * SAMPLE_RATE)}
        stems = np.stack([track[stem] for stem in STEMS]).astype(np.float64)
        assert np.allclose(stems.sum(axis=0), track["mix"], atol=1e-6)
        assert max(np.abs(signal).max() for signal in track.values()) <= PEAK_LIMIT + 1e-6
        assert np.abs(track["mix"]).max() > 0.01  # not silent


@needs_fluidsynth
def test_data_dirs_are_valid_and_point_at_the_audio(small_corpus):
    config, _ = small_corpus
    data = validate_data_dir(os.path.join(config.data_dir, "train"), num_speakers=4, sample_rate=SAMPLE_RATE)
    assert data.utt_ids == ["synth4-train-00000", "synth4-train-00001"]
    assert data.sources[1]["synth4-train-00001"].endswith("synth4-train-00001/drums.wav")
    assert all(os.path.isabs(path) for path in data.mixtures.values())
    assert set(data.num_samples.values()) == {round(SECONDS * SAMPLE_RATE)}


@needs_fluidsynth
def test_same_seed_same_audio_resume_and_stable_prefix(small_corpus, tmp_path):
    config, _ = small_corpus
    first = TrackSpec("train", 0, SECONDS)
    before = os.path.getmtime(wav_path(config, first, "mix"))
    resumed = build_corpus(config, {"train": (2, SECONDS), "valid": (1, SECONDS)}, progress=None)
    assert resumed["train"]["rendered"] == 0 and resumed["valid"]["rendered"] == 0
    assert os.path.getmtime(wav_path(config, first, "mix")) == before

    # A fresh build with more tracks reproduces the existing files byte for byte.
    again = _config(tmp_path)
    build_corpus(again, {"train": (3, SECONDS)}, progress=None)
    for index in range(2):
        spec = TrackSpec("train", index, SECONDS)
        for name in ("mix", *STEMS):
            with open(wav_path(config, spec, name), "rb") as old, open(wav_path(again, spec, name), "rb") as new:
                old_bytes = old.read()
                assert old_bytes == new.read()
            assert b"PEAK" not in old_bytes[:100]  # libsndfile's time-stamped peak chunk is off


@needs_fluidsynth
def test_other_seed_differs_and_int16_mix_is_exact(tmp_path):
    config = _config(tmp_path, seed=1, wav_format="int16")
    build_corpus(config, {"train": (1, SECONDS)}, progress=None)
    spec = TrackSpec("train", 0, SECONDS)
    track = {name: soundfile.read(wav_path(config, spec, name), dtype="int16")[0] for name in ("mix", *STEMS)}
    stems = np.stack([track[stem] for stem in STEMS]).astype(np.int32)
    assert np.array_equal(stems.sum(axis=0), track["mix"])
    assert track_seed(1, "train", 0).entropy != track_seed(0, "train", 0).entropy


def _cli(argv):
    parser = argparse.ArgumentParser(prog="mgdm")
    prepare_synth4.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_reports_missing_fluidsynth_with_the_fix(tmp_path, capsys):
    status = _cli(["prepare-synth4", str(tmp_path), "--fluidsynth", str(tmp_path / "nope")])
    error = capsys.readouterr().err
    assert status != 0 and error.count("\n") == 1
    assert "FluidSynth binary" in error
    assert "apt-get install -y fluidsynth fluid-soundfont-gm" in error


@needs_fluidsynth
def test_cli_reports_missing_soundfont(tmp_path, capsys):
    status = _cli(["prepare-synth4", str(tmp_path), "--soundfont", str(tmp_path / "none.sf2")])
    assert status != 0 and "SoundFont" in capsys.readouterr().err


@needs_fluidsynth
def test_cli_builds_with_parallel_jobs(tmp_path, capsys):
    status = _cli(
        [
            "prepare-synth4",
            str(tmp_path),
            "--train-tracks",
            "2",
            "--valid-tracks",
            "0",
            "--test-tracks",
            "1",
            "--track-seconds",
            "2",
            "--sample-rate",
            "16000",
            "--jobs",
            "2",
        ]
    )
    assert status == 0
    assert "train: 2 tracks" in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path / "data")) == ["test", "train"]
    validate_data_dir(tmp_path / "data" / "test", num_speakers=4, sample_rate=16000)
