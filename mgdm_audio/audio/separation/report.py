"""A track's record (``separation.json``) and its spectrogram figure (``spectrogram.png``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from mgdm_audio.common.atomic import atomic_path

from .resume import same_settings

RECORD_FILE = "separation.json"
PLOT_FILE = "spectrogram.png"


def write_record(folder: Path, record: dict[str, Any], name: str = RECORD_FILE) -> Path:
    """``folder/<name>`` (``separation.json``), replaced atomically; written last, it marks the track finished."""
    path = folder / name
    with atomic_path(path) as temporary:
        Path(temporary).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def is_finished(folder: Path, settings: dict[str, Any], name: str = RECORD_FILE) -> bool:
    """Whether ``folder`` holds a record ``name`` made with ``settings`` (what ``--resume`` skips)."""
    path = folder / name
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and same_settings(record.get("settings"), settings)


def plot_spectrograms(mixture: Path, folder: Path, stems: tuple[str, ...]) -> Path:
    """Log-magnitude spectrograms (dB) of the mixture (channels averaged) and each ``folder/<stem>.wav``, stacked;
    saved as ``folder/spectrogram.png``. Loads each file whole: memory grows with the track's length."""
    import librosa
    import librosa.display
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    from matplotlib import pyplot

    tracks = [("mixture", mixture), *((stem, folder / f"{stem}.wav") for stem in stems)]
    figure, axes = pyplot.subplots(len(tracks), 1, figsize=(10, 2.2 * len(tracks)), sharex=True, squeeze=False)
    for axis, (name, path) in zip(axes[:, 0], tracks):
        audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
        magnitude = np.abs(librosa.stft(audio.mean(axis=1), n_fft=min(2048, _power_of_two(len(audio)))))
        image = librosa.display.specshow(
            librosa.amplitude_to_db(magnitude, ref=np.max, top_db=80.0), sr=rate, x_axis="time", y_axis="hz", ax=axis
        )
        axis.set_title(name)
        figure.colorbar(image, ax=axis, format="%+2.0f dB")
    figure.tight_layout()
    path = folder / PLOT_FILE
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=80)
    pyplot.close(figure)
    return path


def _power_of_two(length: int) -> int:
    """The largest power of two ≤ ``length`` (≥ 16): an FFT size that fits a short file."""
    return max(16, 1 << (max(length, 1).bit_length() - 1))
