"""Kaldi-style data directories: list files, atomic writes, validation."""

import os

import numpy as np
import pytest
import soundfile

from mgdm_audio.audio.corpora.kaldi import (
    DataDirError,
    read_data_dir,
    read_list,
    validate_data_dir,
    write_data_dir,
    write_list,
)
from mgdm_audio.common.atomic import atomic_path


def _write_wav(path, num_samples, sample_rate=8000):
    soundfile.write(path, np.zeros(num_samples, dtype=np.float32), sample_rate)
    return str(path)


def _make_data_dir(tmp_path, num_speakers=3, utt_ids=("b", "a", "c"), num_samples=800):
    """A valid data dir with ``num_speakers`` sources per utterance; returns its path."""
    audio = tmp_path / "audio"
    audio.mkdir(exist_ok=True)
    mixtures = {utt: _write_wav(audio / f"{utt}-mix.wav", num_samples) for utt in utt_ids}
    sources = [
        {utt: _write_wav(audio / f"{utt}-s{k}.wav", num_samples) for utt in utt_ids} for k in range(1, num_speakers + 1)
    ]
    directory = tmp_path / "data"
    write_data_dir(directory, mixtures, sources, {utt: num_samples for utt in utt_ids})
    return directory


def test_list_round_trip_is_sorted_and_keeps_spaces_in_values(tmp_path):
    path = tmp_path / "wav.scp"
    write_list(path, {"utt2": "/x/b c.wav", "utt1": "/x/a.wav", "utt10": 7})
    assert path.read_text() == "utt1 /x/a.wav\nutt10 7\nutt2 /x/b c.wav\n"
    assert read_list(path) == {"utt1": "/x/a.wav", "utt10": "7", "utt2": "/x/b c.wav"}


@pytest.mark.parametrize("text, message", [("a 1\na 2\n", "repeated"), ("a 1\nlonely\n", "expected '<id> <value>'")])
def test_read_list_rejects_malformed_lines(tmp_path, text, message):
    path = tmp_path / "list"
    path.write_text(text)
    with pytest.raises(DataDirError, match=message):
        read_list(path)


def test_write_list_rejects_ids_with_whitespace(tmp_path):
    with pytest.raises(ValueError, match="whitespace"):
        write_list(tmp_path / "list", {"a b": "x"})


def test_atomic_path_replaces_on_success_and_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            assert temporary.endswith(".txt") and os.path.dirname(temporary) == str(tmp_path)
            open(temporary, "w").write("half")
            raise RuntimeError("crash")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["file.txt"]
    with atomic_path(target) as temporary:
        open(temporary, "w").write("new")
    assert target.read_text() == "new" and os.listdir(tmp_path) == ["file.txt"]


@pytest.mark.parametrize("num_speakers", [1, 2, 4])
def test_written_data_dir_validates_for_any_number_of_speakers(tmp_path, num_speakers):
    directory = _make_data_dir(tmp_path, num_speakers)
    data = validate_data_dir(directory, num_speakers=num_speakers, sample_rate=8000)
    assert data.utt_ids == ["a", "b", "c"]
    assert len(data.sources) == num_speakers and data.num_samples == {"a": 800, "b": 800, "c": 800}
    assert sorted(os.listdir(directory)) == sorted(
        ["wav.scp", "utt2num_samples"] + [f"spk{k}.scp" for k in range(1, num_speakers + 1)]
    )


def test_rewrite_with_fewer_speakers_removes_stale_speaker_files(tmp_path):
    directory = _make_data_dir(tmp_path, num_speakers=3)
    data = read_data_dir(directory)
    write_data_dir(directory, data.mixtures, data.sources[:2], data.num_samples)
    assert len(validate_data_dir(directory).sources) == 2


def _corrupt(directory, name, text):
    (directory / name).write_text(text)


def test_validation_names_the_problem(tmp_path):
    directory = _make_data_dir(tmp_path)
    mixtures = read_list(directory / "wav.scp")

    with pytest.raises(DataDirError, match="expected 4 speaker files"):
        validate_data_dir(directory, num_speakers=4)
    with pytest.raises(DataDirError, match="sample rate 8000, expected 16000"):
        validate_data_dir(directory, sample_rate=16000)

    spk2 = (directory / "spk2.scp").read_text()
    _corrupt(directory, "spk2.scp", "".join(spk2.splitlines(keepends=True)[:2]))
    with pytest.raises(DataDirError, match=r"spk2.scp: ids differ .*missing \['c'\]"):
        validate_data_dir(directory)
    _corrupt(directory, "spk2.scp", "".join(reversed(spk2.splitlines(keepends=True))))
    with pytest.raises(DataDirError, match="spk2.scp: not sorted"):
        validate_data_dir(directory)
    _corrupt(directory, "spk2.scp", spk2)

    os.remove(mixtures["b"])
    with pytest.raises(DataDirError, match="b: cannot read audio"):
        validate_data_dir(directory)
    _write_wav(mixtures["b"], 801)
    with pytest.raises(DataDirError, match=r"b: files differ in \(sample rate, length\)"):
        validate_data_dir(directory)
    assert validate_data_dir(directory, check_audio=False).utt_ids == ["a", "b", "c"]


def test_num_samples_must_match_audio(tmp_path):
    directory = _make_data_dir(tmp_path)
    _corrupt(directory, "utt2num_samples", "a 800\nb 799\nc 800\n")
    with pytest.raises(DataDirError, match="b: utt2num_samples says 799 samples, audio has 800"):
        validate_data_dir(directory)


def test_speaker_files_must_not_have_gaps(tmp_path):
    directory = _make_data_dir(tmp_path)
    os.remove(directory / "spk2.scp")
    with pytest.raises(DataDirError, match="without gaps"):
        validate_data_dir(directory)


def test_missing_directory_is_reported(tmp_path):
    with pytest.raises(DataDirError, match="not a directory"):
        validate_data_dir(tmp_path / "nope")
