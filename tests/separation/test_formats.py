"""Every format a user has: what libsndfile reads (WAV, FLAC, OGG/Vorbis, Opus, MP3) directly, the rest (AAC in
M4A or ADTS, WMA) decoded by ffmpeg. The files are made by ffmpeg here from a known two-tone signal, which each
decoded file must keep (exactly when lossless, its tones when lossy)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile

from mgdm_audio.audio.separation import audio_io
from tests.separation.test_cli import _stems, _with_separator, prior_dir, separator_dir  # noqa: F401 (fixtures)

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")

RATE, SECONDS = 16000, 0.5
TONES = (440.0, 1000.0)  # Hz, left and right channel

#: extension, ffmpeg encoder, who decodes it.
FORMATS = [
    ("wav", "pcm_f32le", "libsndfile"),
    ("flac", "flac", "libsndfile"),
    ("ogg", "libvorbis", "libsndfile"),
    ("opus", "libopus", "libsndfile"),
    ("mp3", "libmp3lame", "libsndfile"),
    ("m4a", "aac", "ffmpeg"),
    ("aac", "aac", "ffmpeg"),
    ("wma", "wmav2", "ffmpeg"),
]


def _tones() -> np.ndarray:
    """[samples, 2] float32: a sine per channel."""
    time = np.arange(round(RATE * SECONDS)) / RATE
    return np.stack([0.3 * np.sin(2 * np.pi * tone * time) for tone in TONES], axis=1).astype(np.float32)


def _encode(folder: Path, extension: str, encoder: str, audio: np.ndarray, rate: int = RATE) -> Path:
    """``audio`` encoded by ffmpeg into ``folder/tones.<extension>``."""
    source = folder / "source.wav"
    soundfile.write(source, audio, rate, subtype="FLOAT")
    target = folder / f"tones.{extension}"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), "-c:a", encoder, str(target)], check=True
    )
    source.unlink()
    return target


def _peak_hz(signal: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))
    return float(np.fft.rfftfreq(len(signal), 1 / rate)[spectrum.argmax()])


@pytest.mark.parametrize("extension, encoder, decoder", FORMATS)
def test_each_format_is_read_by_the_right_decoder_and_keeps_the_signal(
    tmp_path, monkeypatch, extension, encoder, decoder
):
    audio = _tones()
    path = _encode(tmp_path, extension, encoder, audio)
    ffmpeg_calls = []
    decode = audio_io._ffmpeg_decode
    monkeypatch.setattr(audio_io, "_ffmpeg_decode", lambda *args: ffmpeg_calls.append(args) or decode(*args))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temporary"))
    (tmp_path / "temporary").mkdir()
    info = audio_io.inspect(path, 0.1, 2)
    assert bool(ffmpeg_calls) == (decoder == "ffmpeg")
    assert (info.sample_rate, info.channels) == (RATE, 2)
    lossless = extension in ("wav", "flac")
    # Lossy encoders pad (AAC's priming) or drop (WMA's last partial block) up to a frame or two.
    assert info.frames == len(audio) if lossless else abs(info.frames - len(audio)) <= 2048
    with audio_io.open_audio(path) as handle:
        decoded = audio_io.read_block(handle, 0, info.frames)
    assert list((tmp_path / "temporary").iterdir()) == []  # ffmpeg's output is removed once read
    if lossless:
        np.testing.assert_allclose(decoded.T, audio, atol=1e-6 if extension == "wav" else 1e-5)
    for channel, tone in enumerate(TONES):
        assert abs(_peak_hz(decoded[channel], RATE) - tone) <= RATE / info.frames


def test_an_m4a_file_is_separated_and_its_stems_sum_to_what_ffmpeg_decodes(prior_dir, separator_dir, tmp_path):
    audio = 0.2 * np.random.default_rng(0).standard_normal((1600, 1)).astype(np.float32)
    folder = tmp_path / "music"
    folder.mkdir()
    path = _encode(folder, "m4a", "aac", audio, rate=8000)
    (folder / "notes.txt").write_text("not audio: a folder's other files are left alone")
    assert (
        _with_separator(prior_dir, separator_dir, tmp_path / "out", str(folder), "--quality", "fast", "--clip", "none")
        == 0
    )
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-c:a", "pcm_f32le", str(tmp_path / "decoded.wav")],
        check=True,
    )
    mixture = soundfile.read(tmp_path / "decoded.wav", dtype="float64")[0]
    stems, rate = _stems(tmp_path / "out" / "tiny" / "tones")
    assert rate == 8000 and stems.shape == (4, len(mixture), 1)
    np.testing.assert_allclose(stems.sum(axis=0)[:, 0], mixture, atol=1e-5)


def test_a_file_neither_decoder_reads_gets_one_line_with_both_reasons(tmp_path, monkeypatch):
    path = tmp_path / "broken.m4a"
    path.write_bytes(b"\x00\x00\x00\x18ftypM4A " + bytes(200))  # an M4A header and nothing else
    with pytest.raises(audio_io.InputError) as error:
        audio_io.inspect(path, 0.1, 2)
    message = str(error.value)
    assert message.startswith(f"{path}: not a readable audio file (libsndfile: ") and "; ffmpeg: " in message
    assert "\n" not in message
    monkeypatch.setattr(audio_io.shutil, "which", lambda name: None)
    with pytest.raises(
        audio_io.InputError, match="ffmpeg, which decodes other formats such as AAC/M4A, is not installed"
    ):
        audio_io.inspect(_encode(tmp_path, "m4a", "aac", _tones()), 0.1, 2)


def test_a_damaged_mp3_gets_the_decoders_reason_and_no_stray_lines(tmp_path, capfd):
    path = tmp_path / "broken.mp3"
    path.write_bytes(np.random.default_rng(0).bytes(20000))  # no MPEG audio in it
    with pytest.raises(audio_io.InputError) as error:
        audio_io.inspect(path, 0.1, 2)
    message = str(error.value)
    assert message.startswith(f"{path}: not a readable audio file (libsndfile: MP3 decoder: ") and "\n" not in message
    assert "not a regular file" not in message
    assert capfd.readouterr().err == ""  # the decoder's own lines went into the message, not the terminal


def test_a_truncated_mp3_is_read_to_where_its_stream_ends(tmp_path, capfd):
    encoded = _encode(tmp_path, "mp3", "libmp3lame", np.tile(_tones(), (4, 1)))  # 2 s
    path = tmp_path / "truncated.mp3"
    path.write_bytes(encoded.read_bytes()[: encoded.stat().st_size // 3])
    info = audio_io.inspect(path, 0.1, 2)
    with audio_io.open_audio(path) as handle:
        decoded = audio_io.read_block(handle, 0, info.frames)
    assert 0.4 * RATE < info.frames < 1.0 * RATE and np.isfinite(decoded).all()
    assert abs(_peak_hz(decoded[0], RATE) - TONES[0]) <= RATE / info.frames
    assert capfd.readouterr().err == ""
