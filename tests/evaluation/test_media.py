"""The listening pages' spectrograms: their time axis spans the clip's duration in seconds."""

import matplotlib.figure
import numpy as np
import pytest

from mgdm_audio.audio.evaluation.media import decibels, plot_spectrogram, stft


@pytest.mark.parametrize("rate", [8000, 22050, 44100])
def test_a_spectrograms_time_axis_spans_the_clip(rate, tmp_path, monkeypatch):
    seconds = 3.0
    audio = np.random.default_rng(0).standard_normal(round(seconds * rate)).astype(np.float32)
    shown = []
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", lambda figure, path: shown.append(figure))
    spectrum = decibels(stft(audio, rate))
    plot_spectrogram(spectrum, rate, float(spectrum.max()), tmp_path / "s.png")
    start, end = shown[0].axes[0].get_xlim()
    assert start == pytest.approx(0, abs=0.01) and end == pytest.approx(seconds, rel=0.02)
