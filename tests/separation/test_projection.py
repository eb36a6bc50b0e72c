"""Stems fitted to the mixture at the output rate: pan gains recover panned sources, and the projection sums to
the mixture, spreads the in-band residual equally and gives the band above the prior's limit to the stems that
sound just below it."""

import numpy as np
import pytest
from scipy import signal

from mgdm_audio.audio.separation.projection import pan, project

RATE = 44100
LIMIT = 11025.0


def _band(low, high, n=44100, seed=0):
    """White noise band-passed to [low, high] Hz (Butterworth, zero phase)."""
    sos = signal.butter(8, [low, high], btype="bandpass", fs=RATE, output="sos")
    return signal.sosfiltfilt(sos, np.random.default_rng(seed).standard_normal(n))


def _energy_above(values, frequency):
    spectrum = np.fft.rfft(values)
    return (np.abs(spectrum[..., np.fft.rfftfreq(values.shape[-1], 1 / RATE) >= frequency]) ** 2).sum(axis=-1)


def test_pan_recovers_panned_sources_and_keeps_their_mean():
    sources = np.stack([_band(40 * (s + 1), 2000 * (s + 1), seed=s) for s in range(4)])  # [S, n]
    gains = np.array([[1.6, 0.4], [1.0, 1.0], [0.0, 2.0], [1.3, 0.7]])  # [S, C], each row averaging 1
    panned = gains[:, :, None] * sources[:, None]  # [S, C, n]
    separated = np.repeat(panned.mean(axis=1)[None, :, None], 2, axis=0)  # two draws of the mean's stems, exact
    fitted = pan(separated, panned.sum(axis=0))
    np.testing.assert_allclose(fitted[0], panned, atol=1e-4 * np.abs(panned).max())
    np.testing.assert_allclose(fitted[1], fitted[0])
    np.testing.assert_allclose(fitted.mean(axis=2), separated[:, :, 0], atol=1e-12)


@pytest.mark.parametrize("limit", [LIMIT, RATE / 2])
def test_the_projection_sums_to_the_mixture(limit):
    rng = np.random.default_rng(1)
    stems = rng.standard_normal((2, 4, 2, 6000))
    mixture = rng.standard_normal((2, 6000))
    projected = project(stems, mixture, RATE, limit)
    np.testing.assert_allclose(projected.sum(axis=1), np.broadcast_to(mixture, (2, 2, 6000)), atol=1e-10)


def test_the_band_above_the_limit_goes_to_the_stems_that_sound_just_below_it():
    hats = _band(6000, 10500, seed=1)  # the only stem with energy in the octave below the limit
    stems = np.stack([_band(30, 300, seed=2), hats, _band(200, 2000, seed=3), _band(100, 4000, seed=4)])
    air = _band(12000, 20000, seed=5)  # what the prior cannot see
    lost = _band(500, 1500, seed=6)  # what the stems missed below the limit
    projected = project(stems[None, :, None], (stems.sum(axis=0) + air + lost)[None], RATE, LIMIT)[0, :, 0]
    above = _energy_above(projected, LIMIT + 500)
    assert above[1] > 0.95 * _energy_above(air, LIMIT + 500)
    assert above[[0, 2, 3]].max() < 1e-3 * above[1]
    # Below the limit the residual is shared equally: the corrections agree there, stem for stem.
    corrections = projected - stems
    low = np.fft.rfft(corrections)[:, np.fft.rfftfreq(corrections.shape[-1], 1 / RATE) < 4000]
    assert np.abs(low - low.mean(axis=0)).max() < 1e-3 * np.abs(low).max()
