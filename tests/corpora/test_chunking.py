"""Chunking a data dir into aligned excerpts: boundaries, the activity filter, exact audio, errors."""

import numpy as np
import pytest
import soundfile

from mgdm_audio.audio.corpora.chunking import chunk_data_dir, spread
from mgdm_audio.audio.corpora.kaldi import DataDirError, read_data_dir, write_data_dir
from mgdm_audio.audio.metrics import chunk_starts
from mgdm_audio.cli import main

RATE = 8000
CHUNK = 100


def test_chunk_starts_drop_the_partial_tail():
    assert list(chunk_starts(350, 100)) == [0, 100, 200]
    assert list(chunk_starts(99, 100)) == []
    with pytest.raises(ValueError, match="positive"):
        chunk_starts(10, 0)


def test_spread_keeps_first_and_last():
    assert spread([0, 1, 2, 3, 4], 2) == [0, 4]
    assert spread([0, 1, 2, 3, 4], 3) == [0, 2, 4]
    assert spread([7, 9], 5) == [7, 9]


def _data_dir(tmp_path, silent_chunks):
    """One utterance of 5 chunks and 2 stems; stem 2 is silent in ``silent_chunks``."""
    rng = np.random.default_rng(0)
    stems = rng.normal(scale=0.1, size=(2, 5 * CHUNK + 30)).astype(np.float32)
    for k in silent_chunks:
        stems[1, k * CHUNK : (k + 1) * CHUNK] = 0.0
    paths = []
    for name, audio in (("mix", stems.sum(0)), ("s1", stems[0]), ("s2", stems[1])):
        path = tmp_path / f"{name}.wav"
        soundfile.write(path, audio, RATE, subtype="FLOAT")
        paths.append(str(path))
    write_data_dir(tmp_path / "src", {"utt": paths[0]}, [{"utt": paths[1]}, {"utt": paths[2]}])
    return stems


def test_kept_chunks_are_exact_aligned_slices_with_every_source_active(tmp_path):
    stems = _data_dir(tmp_path, silent_chunks=[1, 3])
    kept = chunk_data_dir(tmp_path / "src", tmp_path / "out", CHUNK, per_utterance=5)
    assert kept == ["utt-c0", "utt-c2", "utt-c4"]
    data = read_data_dir(tmp_path / "out")
    assert data.num_samples == {k: CHUNK for k in kept}
    for chunk_id in kept:
        start = int(chunk_id.split("-c")[1]) * CHUNK
        mixture, rate = soundfile.read(data.mixtures[chunk_id], dtype="float32")
        assert rate == RATE
        np.testing.assert_array_equal(mixture, stems.sum(0)[start : start + CHUNK])
        for k, source in enumerate(data.sources):
            np.testing.assert_array_equal(
                soundfile.read(source[chunk_id], dtype="float32")[0], stems[k, start : start + CHUNK]
            )


def test_per_utterance_limit_spreads_the_chunks(tmp_path):
    _data_dir(tmp_path, silent_chunks=[])
    assert chunk_data_dir(tmp_path / "src", tmp_path / "out", CHUNK, per_utterance=2) == ["utt-c0", "utt-c4"]


def test_no_qualifying_chunk_is_an_error_naming_the_dir(tmp_path, capsys):
    _data_dir(tmp_path, silent_chunks=range(5))
    with pytest.raises(DataDirError, match="no chunk of 100 samples has 2 of its 2 sources active"):
        chunk_data_dir(tmp_path / "src", tmp_path / "out", CHUNK)
    assert main(["chunk-data-dir", str(tmp_path / "src"), str(tmp_path / "out"), "--chunk-samples", "100"]) == 1
    assert str(tmp_path / "src") in capsys.readouterr().err


def test_min_active_admits_chunks_with_a_silent_source(tmp_path):
    _data_dir(tmp_path, silent_chunks=[1, 3])
    kept = chunk_data_dir(tmp_path / "src", tmp_path / "out", CHUNK, per_utterance=5, min_active=1)
    assert kept == [f"utt-c{k}" for k in range(5)]
    with pytest.raises(ValueError, match=r"min_active must be in \[1, 2\]"):
        chunk_data_dir(tmp_path / "src", tmp_path / "out", CHUNK, min_active=3)
