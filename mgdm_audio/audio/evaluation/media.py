"""The media of the listening pages (separations and audio restorations): excerpts of WAV files, their
log-frequency spectrograms as PNG on a shared colour scale, and Opus clips encoded by ffmpeg."""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile

#: Opus bit rate of the pages' audio, bits per second.
BITRATE = 32_000
#: Dynamic range of the spectrograms, dB below the loudest bin of the track.
RANGE_DB = 80.0


def require_ffmpeg() -> None:
    """Raise FileNotFoundError when ffmpeg, which encodes the pages' audio, is not installed."""
    if shutil.which("ffmpeg") is None:
        raise FileNotFoundError("mgdm report needs ffmpeg to encode the page's audio (Opus)")


def clip_seconds(seconds: float, max_megabytes: float, clips: int) -> float:
    """The longest excerpt per clip: ``seconds``, shortened so that ``clips`` clips at :data:`BITRATE` fit
    ``max_megabytes``."""
    return min(seconds, max_megabytes * 1e6 * 8 / BITRATE / max(clips, 1))


def read_excerpt(path: Path, seconds: float, rate: int | None = None) -> tuple[np.ndarray, int]:
    """The first ``seconds`` of ``path``, mono float32, and its rate; with ``rate``, resampled to it (so that a
    clean input at 44.1 kHz shows on the scale of a restoration at the prior's rate)."""
    with soundfile.SoundFile(path) as handle:
        audio = handle.read(min(handle.frames, round(seconds * handle.samplerate)), dtype="float32", always_2d=True)
        audio, own_rate = audio.mean(axis=1), handle.samplerate
    if rate is None or rate == own_rate:
        return audio, own_rate
    import librosa

    return librosa.resample(audio, orig_sr=own_rate, target_sr=rate).astype(np.float32), rate


def frame_length(rate: int) -> int:
    """The spectrograms' frame: ~46 ms, a power of two; the hop is a quarter of it."""
    return 2 ** round(math.log2(0.046 * rate))


def stft(audio: np.ndarray, rate: int) -> np.ndarray:
    """Complex STFT of ``audio`` with :func:`frame_length` frames and a hop of a quarter frame."""
    import librosa

    frame = frame_length(rate)
    return librosa.stft(audio, n_fft=frame, hop_length=frame // 4)


def decibels(spectrum: np.ndarray) -> np.ndarray:
    """20 log10 of the magnitude (1e-10 added)."""
    return 20 * np.log10(np.abs(spectrum) + 1e-10)


def plot_spectrogram(spectrum_db: np.ndarray, rate: int, loudest: float, path: Path) -> None:
    """``spectrum_db`` drawn on log frequency, colour scale [loudest − RANGE_DB, loudest], as a PNG."""
    import librosa.display
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    figure_, axis = plt.subplots(figsize=(4.0, 1.6), dpi=80)
    # The hop of :func:`stft`: the time axis is in seconds only with it.
    hop = frame_length(rate) // 4
    librosa.display.specshow(
        spectrum_db,
        sr=rate,
        hop_length=hop,
        x_axis="time",
        y_axis="log",
        ax=axis,
        vmin=loudest - RANGE_DB,
        vmax=loudest,
    )
    axis.set_xlabel("")
    axis.set_ylabel("")
    figure_.tight_layout(pad=0.2)
    figure_.savefig(path)
    plt.close(figure_)


def encode_opus(audio: np.ndarray, rate: int, path: Path) -> None:
    """``audio`` as Opus at :data:`BITRATE` in ``path`` (ffmpeg)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mgdm-page-") as folder:
        source = Path(folder) / "clip.wav"
        soundfile.write(source, audio, rate, subtype="FLOAT")
        command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), "-c:a", "libopus"]
        subprocess.run([*command, "-b:a", str(BITRATE), str(path)], check=True)
