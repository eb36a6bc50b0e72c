"""Reading, checking and resampling input audio, block by block (memory independent of file length).

A :class:`Source` is what a separation reads: an array in memory (:class:`ArraySource`) or an open file
(:class:`FileSource`). libsndfile reads WAV, FLAC, OGG/Vorbis/Opus and MP3; what it cannot read (AAC/M4A, WMA, …)
ffmpeg decodes to a temporary float32 WAV first, as Demucs falls back to ffmpeg. MP3s are decoded whole to a
temporary WAV too: their header's length is an estimate, and the decoder's complaints about a damaged stream
become the error's reason instead of stray lines on the terminal. Arrays are float32
[channels, samples] in [-1, 1] full scale; rates in Hz.
"""

from __future__ import annotations

import glob
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import soundfile
import torch
import torchaudio.functional

#: File extensions taken from folders (files named explicitly may have any extension libsndfile or ffmpeg reads).
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".opus", ".mp3", ".m4a", ".aac")

#: Samples per read while scanning a file (≈ 3 s at 44.1 kHz).
SCAN_BLOCK = 1 << 17


class InputError(ValueError):
    """A problem with one input file; the message names the file."""


@dataclass(frozen=True)
class AudioInfo:
    """An input file that passed :func:`inspect`: its rate (Hz), length (samples) and channel count."""

    path: Path
    sample_rate: int
    frames: int
    channels: int

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


def expand_inputs(patterns: list[str], recursive: bool = False) -> tuple[list[Path], list[str], list[str]]:
    """Files named by ``patterns``: files as given, folders' audio files (sorted; with ``recursive`` those of their
    subfolders too), glob matches (sorted).

    Returns the files in order without repeats, one error line per pattern that names nothing, and one notice per
    folder whose subfolders hold audio files that were not searched.
    """
    files: dict[Path, None] = {}  # ordered, without repeats
    errors: list[str] = []
    notices: list[str] = []
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            candidates = path.rglob("*") if recursive else path.iterdir()
            found = sorted(p for p in candidates if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)
            if not recursive:
                nested = sum(1 for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS) - len(
                    found
                )
                if nested:
                    notices.append(f"{path}: {nested} audio file(s) in subfolders not searched (--recursive)")
            if not found:
                errors.append(f"{path}: folder holds no {'/'.join(AUDIO_EXTENSIONS)} files")
        elif path.exists():
            found = [path]
        elif glob.has_magic(pattern):
            found = sorted(Path(p) for p in glob.glob(pattern) if Path(p).is_file())
            if not found:
                errors.append(f"{pattern}: no file matches")
        else:
            found = []
            errors.append(f"{path}: no such file or folder")
        files.update(dict.fromkeys(found))
    return list(files), errors, notices


def _check_size(
    name: object, sample_rate: int, frames: int, channels: int, min_seconds: float, max_channels: int | None
) -> None:
    if frames == 0:
        raise InputError(f"{name}: empty file (no samples)")
    if frames / sample_rate < min_seconds:
        raise InputError(f"{name}: too short ({frames / sample_rate:.3f} s; at least {min_seconds} s needed)")
    if max_channels is not None and channels > max_channels:
        raise InputError(f'{name}: {channels} channels; mono down-mixing (--mono, channels="mono") takes at most two')


def _check_finite(name: object, block: np.ndarray, offset: int) -> None:
    """``block`` [samples, channels] holds only finite samples; its first sample is sample ``offset``."""
    bad = np.flatnonzero(~np.isfinite(block).all(axis=1))
    if bad.size:
        raise InputError(f"{name}: non-finite sample (NaN or inf) at sample {offset + bad[0]}")


def inspect(path: Path, min_seconds: float, max_channels: int | None) -> AudioInfo:
    """Check that ``path`` is readable audio of at least ``min_seconds`` with at most ``max_channels``
    channels (None: any) and only finite samples (a streaming scan).

    Raises:
        InputError: naming the file and the problem.
    """
    try:
        with open_audio(path) as handle:
            info = AudioInfo(path, handle.samplerate, handle.frames, handle.channels)
            _check_size(path, info.sample_rate, info.frames, info.channels, min_seconds, max_channels)
            for start in range(0, info.frames, SCAN_BLOCK):
                _check_finite(path, handle.read(SCAN_BLOCK, dtype="float32", always_2d=True), start)
    except (RuntimeError, OSError) as error:  # soundfile's errors are RuntimeErrors
        raise InputError(f"{path}: not a readable audio file ({error})") from None
    return info


class Source(Protocol):
    """A mixture to separate: its rate (Hz), length (samples), channels, and blocks of it."""

    sample_rate: int
    frames: int
    channels: int

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples [start, stop) as float32 [channels, stop − start]; zeros outside the mixture."""
        ...


class ArraySource:
    """A mixture held in memory, checked as :func:`inspect` checks files (errors name it ``waveform``).

    Args:
        audio: float32 [channels, samples]. sample_rate: Hz. min_seconds / max_channels: as for :func:`inspect`.

    Raises:
        InputError: too short, too many channels, or a non-finite sample.
    """

    def __init__(self, audio: np.ndarray, sample_rate: int, min_seconds: float, max_channels: int | None):
        self.audio = audio
        self.channels, self.frames = audio.shape
        self.sample_rate = sample_rate
        _check_size("waveform", sample_rate, self.frames, self.channels, min_seconds, max_channels)
        _check_finite("waveform", audio.T, 0)

    def read(self, start: int, stop: int) -> np.ndarray:
        return _zero_padded(self.channels, self.frames, start, stop, lambda first, last: self.audio[:, first:last])


class FileSource:
    """An audio file open for reading (see :func:`open_audio`)."""

    def __init__(self, handle: soundfile.SoundFile):
        self.handle = handle
        self.sample_rate, self.frames, self.channels = handle.samplerate, handle.frames, handle.channels

    def read(self, start: int, stop: int) -> np.ndarray:
        return read_block(self.handle, start, stop)


@contextmanager
def open_audio(path: Path) -> Iterator[soundfile.SoundFile]:
    """``path`` open for reading through libsndfile; a format it does not know is decoded by ffmpeg to a temporary
    float32 WAV (removed on exit) and that is opened instead.

    Raises:
        InputError: no such file, or neither can read it (the message names the file and both reasons).
    """
    if Path(path).suffix.lower() == ".mp3" and Path(path).is_file():
        with tempfile.TemporaryDirectory(prefix="mgdm-decode-") as folder:
            with soundfile.SoundFile(_decode_mp3(Path(path), Path(folder) / "decoded.wav")) as handle:
                yield handle
        return
    try:
        handle = soundfile.SoundFile(path)
    except (RuntimeError, OSError) as error:  # soundfile's errors are RuntimeErrors
        handle, reason = None, error
    if handle is not None:
        with handle:
            yield handle
        return
    if not Path(path).is_file():
        raise InputError(f"{path}: not a readable audio file ({reason})")
    with tempfile.TemporaryDirectory(prefix="mgdm-decode-") as folder:
        with soundfile.SoundFile(_ffmpeg_decode(Path(path), Path(folder) / "decoded.wav", reason)) as handle:
            yield handle


def _decode_mp3(path: Path, target: Path) -> Path:
    """``path`` (an MP3) decoded by libsndfile to ``target`` (float32 WAV) with the decoder's messages captured;
    when libsndfile cannot open it, ffmpeg decodes it (:func:`_ffmpeg_decode`) and the captured messages are
    libsndfile's reason."""
    with _captured_stderr() as messages:
        try:
            with soundfile.SoundFile(path) as source:
                with soundfile.SoundFile(target, "w", source.samplerate, source.channels, "FLOAT", format="WAV") as out:
                    # Read until the stream ends: the header's frame count is an estimate.
                    while len(block := source.read(SCAN_BLOCK, dtype="float32", always_2d=True)):
                        out.write(block)
            return target
        except (RuntimeError, OSError) as error:
            failure = error
    lines = [line.strip() for line in messages.text.splitlines() if line.strip()]
    # libsndfile reports an undecodable MP3 as "not a regular file"; the decoder's last message says why.
    reason = f"MP3 decoder: {lines[-1].removeprefix('Note: ')}" if lines else failure
    target.unlink(missing_ok=True)
    return _ffmpeg_decode(path, target, reason)


class _captured_stderr:
    """Context: what C libraries write to file descriptor 2 goes to a temporary file, readable as ``.text``
    afterwards (Python's own ``sys.stderr`` is flushed around it)."""

    def __enter__(self):
        sys.stderr.flush()
        self._file = tempfile.TemporaryFile()
        self._saved = os.dup(2)
        os.dup2(self._file.fileno(), 2)
        self.text = ""
        return self

    def __exit__(self, *exc_info):
        sys.stderr.flush()
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._file.seek(0)
        self.text = self._file.read().decode(errors="replace")
        self._file.close()
        return False


def _ffmpeg_decode(path: Path, target: Path, libsndfile_error: Exception | str) -> Path:
    """``path`` decoded by ffmpeg to ``target`` (float32 WAV, the file's rate and channels); InputError naming
    both libsndfile's and ffmpeg's reasons when ffmpeg is missing or fails."""
    reason = " ".join(str(libsndfile_error).split())
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise InputError(
            f"{path}: not a readable audio file (libsndfile: {reason}; ffmpeg, which decodes other "
            f"formats such as AAC/M4A, is not installed)"
        )
    command = [
        ffmpeg,
        "-nostdin",
        "-v",
        "error",
        "-i",
        str(path),
        "-map",
        "0:a:0",
        "-c:a",
        "pcm_f32le",
        "-f",
        "wav",
        "-y",
        str(target),
    ]
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
    if done.returncode != 0 or not target.is_file():
        lines = [line.strip().removeprefix(f"{path}: ") for line in done.stderr.splitlines() if line.strip()]
        raise InputError(
            f"{path}: not a readable audio file (libsndfile: {reason}; ffmpeg: "
            f"{lines[-1] if lines else f'exit status {done.returncode}'})"
        )
    return target


def read_block(handle: soundfile.SoundFile, start: int, stop: int) -> np.ndarray:
    """Samples [start, stop) of an open file as float32 [channels, stop − start]; zeros outside the file."""

    def fetch(first: int, last: int) -> np.ndarray:
        handle.seek(first)
        return handle.read(last - first, dtype="float32", always_2d=True).T

    return _zero_padded(handle.channels, handle.frames, start, stop, fetch)


def _zero_padded(
    channels: int, frames: int, start: int, stop: int, fetch: Callable[[int, int], np.ndarray]
) -> np.ndarray:
    """Samples [start, stop) of a signal of ``frames`` samples as float32 [channels, stop − start], zeros outside
    it; ``fetch(first, last)`` gives [channels, last − first] for a range inside."""
    block = np.zeros((channels, stop - start), dtype=np.float32)
    first, last = max(start, 0), min(stop, frames)
    if last > first:
        block[:, first - start : last - start] = fetch(first, last)
    return block


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """``audio`` [..., n] at ``from_rate`` → [..., ceil(n · to_rate / from_rate)] at ``to_rate`` (band-limited sinc,
    torchaudio's defaults); returned unchanged when the rates are equal."""
    if from_rate == to_rate:
        return audio
    tensor = torch.from_numpy(np.ascontiguousarray(audio))
    return torchaudio.functional.resample(tensor, from_rate, to_rate).numpy()


def resampling_context(from_rate: int, to_rate: int) -> int:
    """Samples at ``from_rate`` to read beyond a block so that resampling it there and back matches resampling
    the whole signal: each sinc kernel reaches ≈ 6 samples of the lower rate (torchaudio's default width),
    two passes ≈ 12; 16 for margin. 0 when the rates are equal."""
    if from_rate == to_rate:
        return 0
    return math.ceil(16 * from_rate / min(from_rate, to_rate))


def alignment(from_rate: int, to_rate: int) -> int:
    """The step (samples at ``from_rate``) of block starts that fall on the ``to_rate`` sample grid."""
    return from_rate // math.gcd(from_rate, to_rate)


def resampled_length(frames: int, from_rate: int, to_rate: int) -> int:
    """The length of ``frames`` samples resampled (as :func:`resample` returns it)."""
    return -(-frames * to_rate // from_rate)
