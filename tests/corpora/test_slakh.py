"""Slakh2100 preparation (raw and MSDM pre-rendered layouts) and the MSDM chunk protocol, on tiny fake trees."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile
import yaml

from mgdm_audio.audio.corpora.kaldi import read_data_dir, read_list, validate_data_dir, write_data_dir
from mgdm_audio.audio.corpora.slakh import CorpusError, chunk_segment_seconds, join_chunks, prepare, write_chunks
from mgdm_audio.cli import main as mgdm

RAW_RATE = 44100
FREQUENCIES = {"Bass": 55.0, "Drums": 300.0, "Guitar": 220.0, "Strings": 440.0, "Piano": 330.0}


def _tone(frequency: float, seconds: float, rate: int, amplitude: float = 0.1) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * frequency * np.arange(round(seconds * rate)) / rate)


def make_raw_slakh(root: Path, split: str = "test", seconds: float = 2.0) -> Path:
    """Two raw Slakh2100 tracks (44.1 kHz FLAC stems + metadata.yaml). Track00001: two guitars, strings
    (not a class of ours), a piano not rendered (so its stem is silence). Track00002: one stem per class."""
    layouts = {
        "Track00001": [
            ("Bass", True),
            ("Guitar", True),
            ("Drums", True),
            ("Guitar", True),
            ("Strings", True),
            ("Piano", False),
        ],
        "Track00002": [("Piano", True), ("Drums", True), ("Guitar", True), ("Bass", True)],
    }
    for track, stems in layouts.items():
        (root / split / track / "stems").mkdir(parents=True)
        metadata = {"audio_dir": "stems", "stems": {}}
        for index, (inst_class, rendered) in enumerate(stems):
            name = f"S{index:02d}"
            metadata["stems"][name] = {"inst_class": inst_class, "audio_rendered": rendered, "program_num": index}
            if rendered:
                signal = _tone(FREQUENCIES[inst_class] * (1 + index / 100), seconds, RAW_RATE)
                soundfile.write(root / split / track / "stems" / f"{name}.flac", signal, RAW_RATE, subtype="PCM_24")
        (root / split / track / "metadata.yaml").write_text(yaml.safe_dump(metadata))
    return root


def test_raw_layout_sums_classes_resamples_and_silences_absent_ones(tmp_path):
    root = make_raw_slakh(tmp_path / "slakh")
    tracks = prepare("raw", root, tmp_path / "data" / "test", tmp_path / "audio")
    assert tracks == ["Track00001", "Track00002"]
    data = validate_data_dir(tmp_path / "data" / "test", num_speakers=4, sample_rate=22050)
    assert data.num_samples == {"Track00001": 44100, "Track00002": 44100}
    bass, drums, guitar, piano = (soundfile.read(source["Track00001"])[0] for source in data.sources)
    inner = slice(2000, -2000)  # away from the resampler's edge effects
    # Resampled tones equal the same tones sampled at 22,050 Hz; the two guitars add up; strings are left out.
    np.testing.assert_allclose(bass[inner], _tone(55.0, 2, 22050)[inner], atol=2e-4)
    np.testing.assert_allclose(
        guitar[inner], (_tone(220 * 1.01, 2, 22050) + _tone(220 * 1.03, 2, 22050))[inner], atol=4e-4
    )
    assert not piano.any()
    mixture = soundfile.read(data.mixtures["Track00001"])[0]
    np.testing.assert_allclose(mixture, bass + drums + guitar + piano, atol=1e-6)
    assert np.abs(soundfile.read(data.sources[3]["Track00002"])[0]).max() > 0.05


def test_raw_layout_rerun_keeps_written_tracks(tmp_path):
    root = make_raw_slakh(tmp_path / "slakh")
    prepare("raw", root, tmp_path / "data", tmp_path / "audio")
    written = tmp_path / "audio" / "Track00002" / "bass.wav"
    before = written.stat().st_mtime_ns
    (root / "test" / "Track00002" / "stems" / "S03.flac").unlink()  # would fail if read again
    assert prepare("raw", root, tmp_path / "data", tmp_path / "audio") == ["Track00001", "Track00002"]
    assert written.stat().st_mtime_ns == before


def test_msdm_layout_lists_ready_stems_in_place_and_converts_the_others(tmp_path):
    track = tmp_path / "msdm" / "test" / "Track01877"
    track.mkdir(parents=True)
    rng = np.random.default_rng(0)
    stems = {stem: 0.1 * rng.standard_normal(5000) for stem in ("bass", "drums", "guitar", "piano")}
    for stem, signal in stems.items():
        audio = np.stack([signal, signal], axis=1) if stem == "guitar" else signal  # a stereo stem is converted
        soundfile.write(track / f"{stem}.wav", audio, 22050, subtype="PCM_16")
    prepare("msdm", tmp_path / "msdm", tmp_path / "data", tmp_path / "audio")
    data = validate_data_dir(tmp_path / "data", num_speakers=4, sample_rate=22050)
    assert data.sources[0]["Track01877"] == str((track / "bass.wav").resolve())
    assert data.sources[2]["Track01877"] == str((tmp_path / "audio" / "Track01877" / "guitar.wav").resolve())
    references = np.stack([soundfile.read(source["Track01877"])[0] for source in data.sources])
    np.testing.assert_allclose(soundfile.read(data.mixtures["Track01877"])[0], references.sum(0), atol=1e-6)
    np.testing.assert_allclose(references[2], soundfile.read(track / "guitar.wav")[0][:, 0], atol=1e-9)


def test_missing_or_incomplete_roots_are_one_line_errors(tmp_path, capsys):
    root = make_raw_slakh(tmp_path / "slakh")
    (root / "test" / "Track00002" / "stems" / "S01.flac").unlink()
    (tmp_path / "msdm" / "test" / "Track00001").mkdir(parents=True)
    (tmp_path / "msdm" / "test" / "Track00001" / "bass.wav").write_bytes(b"")
    cases = [
        (["raw", str(tmp_path / "nowhere")], f"{tmp_path / 'nowhere'}: Slakh2100 root not found (set it in db.sh)"),
        (["raw", str(root), "--split", "train"], f"{root / 'train'}: no 'train' split"),
        (["raw", str(root)], f"{root / 'test' / 'Track00002' / 'stems' / 'S01.flac'}: missing, but "),
        (
            ["msdm", str(tmp_path / "msdm")],
            f"{tmp_path / 'msdm' / 'test' / 'Track00001'}: incomplete MSDM test "
            "track, missing drums.wav, guitar.wav, piano.wav",
        ),
    ]
    for arguments, message in cases:
        layout, source, *options = arguments
        status = mgdm(
            ["slakh", "prepare", layout, source, str(tmp_path / "data"), "--audio-dir", str(tmp_path / "a"), *options]
        )
        error = capsys.readouterr().err
        assert status == 1 and error.count("\n") == 1 and message in error, (arguments, error)
    (root / "test" / "Track00001" / "metadata.yaml").unlink()
    with pytest.raises(CorpusError, match="metadata.yaml: missing"):
        prepare("raw", root, tmp_path / "data", tmp_path / "fresh", max_tracks=1)


def _data_dir(folder: Path, tracks: dict[str, np.ndarray], rate: int) -> Path:
    """A data dir of tracks [4, N] (stems), mixture = their sum."""
    mixtures, sources = {}, [{} for _ in range(4)]
    for utt, stems in tracks.items():
        (folder / "audio").mkdir(parents=True, exist_ok=True)
        mixtures[utt] = str(folder / "audio" / f"{utt}_mix.wav")
        soundfile.write(mixtures[utt], stems.sum(0), rate, subtype="FLOAT")
        for k, stem in enumerate(stems):
            sources[k][utt] = str(folder / "audio" / f"{utt}_{k}.wav")
            soundfile.write(sources[k][utt], stem, rate, subtype="FLOAT")
    write_data_dir(folder / "data", mixtures, sources)
    return folder / "data"


def test_msdm_protocol_chunks_drop_the_tail_and_join_back(tmp_path):
    rng = np.random.default_rng(1)
    data = _data_dir(
        tmp_path, {"long": rng.standard_normal((4, 2500)) * 0.1, "short": rng.standard_normal((4, 900))}, rate=1000
    )
    counts = write_chunks(data, tmp_path / "protocol", chunk=1000)
    assert counts == {"long": 2, "short": 0}
    # One model segment per chunk: mgdm separate reads 3 samples fewer than it asks for, so 1004 samples.
    assert chunk_segment_seconds(tmp_path / "protocol", 1000) == 1004 / 1000
    with pytest.raises(ValueError, match="chunks at 1000 Hz, the prior at 2000 Hz"):
        chunk_segment_seconds(tmp_path / "protocol", 2000)
    assert read_data_dir(tmp_path / "protocol").utt_ids == ["long"]  # shorter than a chunk: left out, as MSDM
    chunks = read_list(tmp_path / "protocol" / "chunks" / "wav.scp")
    assert list(chunks) == ["long-c0000", "long-c0001"]
    mixture = soundfile.read(read_data_dir(data).mixtures["long"])[0]
    for index, path in enumerate(chunks.values()):
        np.testing.assert_array_equal(
            soundfile.read(path, dtype="float32")[0], mixture[index * 1000 : (index + 1) * 1000].astype(np.float32)
        )
    # A separation of chunk k into stem j = (j + 1) · chunk + k joins to a track of whole chunks.
    for index, identifier in enumerate(chunks):
        (tmp_path / "sep" / identifier).mkdir(parents=True)
        for j, stem in enumerate(("bass", "drums", "guitar", "piano")):
            soundfile.write(
                tmp_path / "sep" / identifier / f"{stem}.wav",
                (j + 1) * soundfile.read(chunks[identifier])[0] + index,
                1000,
                subtype="FLOAT",
            )
    assert join_chunks(tmp_path / "sep", tmp_path / "protocol", tmp_path / "joined") == 1
    drums = soundfile.read(tmp_path / "joined" / "long" / "drums.wav")[0]
    expected = 2 * mixture[:2000] + np.repeat([0.0, 1.0], 1000)
    np.testing.assert_allclose(drums, expected, atol=1e-6)
    (tmp_path / "sep" / "long-c0001" / "piano.wav").unlink()
    with pytest.raises(ValueError, match=r"long-c0001/piano.wav: cannot read the separated chunk"):
        join_chunks(tmp_path / "sep", tmp_path / "protocol", tmp_path / "joined")


def test_scoring_after_the_protocol_keeps_whole_chunks_and_windows_with_two_active_stems(tmp_path):
    # 1 kHz: windows of 4,000 samples, hop 2,000. 3.5 chunks of 4,000 samples: the protocol keeps 12,000.
    rate, rng = 1000, np.random.default_rng(2)
    stems = 0.1 * rng.standard_normal((4, 14000))
    stems[[0, 2, 3], 6000:] = 0.0  # from 6 s on only the drums play: the windows at 6 s and 8 s are left out
    data = _data_dir(tmp_path, {"song": stems}, rate)
    write_chunks(data, tmp_path / "protocol", chunk=4000)
    estimates = tmp_path / "joined" / "song"
    estimates.mkdir(parents=True)
    for k, stem in enumerate(("bass", "drums", "guitar", "piano")):  # the references themselves, whole chunks only
        soundfile.write(
            estimates / f"{stem}.wav", stems[k, :12000] + 1e-3 * rng.standard_normal(12000), rate, subtype="FLOAT"
        )
    assert mgdm(["score", str(tmp_path / "protocol"), str(tmp_path / "joined"), "--crop", "--no-museval"]) == 0
    with open(tmp_path / "joined" / "windows.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted({float(row["start_s"]) for row in rows}) == [0.0, 2.0, 4.0]
    assert len(rows) == 3 * 4  # every stem of a kept window, as MSDM
