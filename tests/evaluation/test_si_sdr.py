"""SI-SNR, windowed SI-SDRi, MSDM chunking and museval SDR against closed-form values."""

import math

import numpy as np
import pytest
import torch

from mgdm_audio.audio.metrics import msdm_chunks, museval_sdr, si_snr, window_starts, windowed_si_sdri

N = 8000  # one second at 8 kHz


def sine(frequency: int, amplitude: float = 1.0, num_samples: int = N) -> np.ndarray:
    """A sine of an integer number of periods per N samples: sines of different such frequencies
    (and constants) are orthogonal over whole multiples of N, and ‖sine‖² = amplitude² · n / 2."""
    return amplitude * np.sin(2 * np.pi * frequency * np.arange(num_samples) / N)


def test_perfect_estimate_is_large_but_finite():
    value = si_snr(sine(5), sine(5))
    assert math.isfinite(value) and value > 80


@pytest.mark.parametrize("scale", [0.1, 0.5, 1.0, 30.0])
def test_scale_invariance(scale):
    # Exact up to the ε = 1e-8 terms, which matter only once energies approach ε (e.g. scale 1e-3 here: 1e-4 dB).
    estimate = sine(5) + sine(11, 0.3)
    assert si_snr(scale * estimate, sine(5)) == pytest.approx(si_snr(estimate, sine(5)), abs=1e-6)


def test_orthogonal_noise_gives_the_energy_ratio():
    signal, noise = sine(5), sine(11, 0.1)
    expected = 10 * math.log10((signal @ signal) / (noise @ noise))  # 20 dB
    assert si_snr(signal + noise, signal) == pytest.approx(expected, abs=1e-6)
    assert expected == pytest.approx(20.0)


def test_batched_numpy_and_torch_agree():
    references = np.stack([sine(5), sine(7)])
    estimates = references + np.stack([sine(11, 0.1), sine(13, 0.01)])
    values = si_snr(estimates, references)
    assert values.shape == (2,) and values == pytest.approx([20.0, 40.0], abs=1e-6)
    as_torch = si_snr(torch.from_numpy(estimates).float(), torch.from_numpy(references))
    assert isinstance(as_torch, torch.Tensor) and as_torch.numpy() == pytest.approx(values, abs=1e-3)


def test_zero_mean_removes_dc_offsets_as_computed_by_hand():
    offset_reference, offset_estimate = 0.5, 0.2
    reference = sine(5) + offset_reference
    noise = sine(11, 0.1)
    estimate = reference + noise + offset_estimate
    # Means removed: the pure sines, 20 dB. Kept: α = ⟨ŝ,s⟩/‖s‖² with ⟨ŝ,s⟩ = ‖s‖² + d·c·N, then
    # ‖αs − ŝ‖² = (α−1)²‖s‖² + ‖n‖² + d²N − 2(α−1)·d·c·N (n ⟂ s, n ⟂ 1, ⟨s,1⟩ = c·N).
    energy = N / 2 + offset_reference**2 * N
    alpha = 1 + offset_estimate * offset_reference * N / energy
    error = (
        (alpha - 1) ** 2 * energy
        + 0.01 * N / 2
        + offset_estimate**2 * N
        - 2 * (alpha - 1) * offset_estimate * offset_reference * N
    )
    by_hand = 10 * math.log10(alpha**2 * energy / error)
    assert si_snr(estimate, reference) == pytest.approx(by_hand, abs=1e-6)
    assert si_snr(estimate, reference, zero_mean=True) == pytest.approx(20.0, abs=1e-6)
    assert abs(by_hand - 20.0) > 1


def test_chunks_drop_the_partial_last_one():
    chunks = msdm_chunks(np.arange(10), chunk=4)
    assert [chunk.tolist() for chunk in chunks] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert msdm_chunks(np.zeros((2, 3)), chunk=4) == []
    assert [chunk.shape for chunk in msdm_chunks(np.zeros((4, 8)), chunk=4)] == [(4, 4), (4, 4)]


def test_windows_follow_msdm_layout_with_a_shorter_last_window():
    # 11 "seconds" at 100 Hz, 4 s windows, 2 s hop: starts 0, 2, 4, 6, 8 s; the last covers 8–11 s.
    assert list(window_starts(1100, 400, 200)) == [0, 200, 400, 600, 800]
    assert list(window_starts(1000, 400, 200)) == [0, 200, 400, 600]
    assert list(window_starts(150, 400, 200)) == []


def _tracks_with_silent_stems(rate=100, seconds=10):
    """Stem 0 plays throughout, stem 1 only during the first 4 s, stems 2 and 3 are silent."""
    length = rate * seconds
    time = np.arange(length) / rate
    references = np.zeros((4, length))
    references[0] = np.sin(2 * np.pi * 3 * time)
    references[1, : 4 * rate] = np.sin(2 * np.pi * 7 * time[: 4 * rate])
    return references, references.sum(axis=0)


def test_windows_with_at_most_one_active_stem_are_skipped():
    references, mixture = _tracks_with_silent_stems()
    estimates = references + 0.01 * np.random.default_rng(0).standard_normal(references.shape)
    scores = windowed_si_sdri(estimates, references, mixture, sample_rate=100)
    # Windows 0–4 s and 2–6 s hold two active stems; 4–8 s and 6–10 s only one.
    assert scores.starts.tolist() == [0, 200] and scores.lengths.tolist() == [400, 400]
    assert scores.active.tolist() == [[True, True, False, False]] * 2
    assert scores.scored.all()  # MSDM scores every stem of a kept window
    assert np.isfinite(scores.si_sdri).all()
    active_only = windowed_si_sdri(estimates, references, mixture, sample_rate=100, active_only=True)
    assert (active_only.scored == active_only.active).all()


def test_mixture_as_estimate_has_zero_improvement():
    references, mixture = _tracks_with_silent_stems()
    scores = windowed_si_sdri(np.broadcast_to(mixture, references.shape), references, mixture, sample_rate=100)
    assert len(scores.starts) == 2 and scores.si_sdri == pytest.approx(0.0, abs=1e-9)


def test_museval_sdr_orders_estimates_and_handles_silent_stems():
    rate, length = 8000, 2 * N
    references = np.stack(
        [sine(5, num_samples=length), sine(7, num_samples=length), sine(13, num_samples=length), np.zeros(length)]
    )
    noise = np.random.default_rng(0).standard_normal((3, length)) * np.sqrt(0.5)  # unit-SNR scale: ‖n‖² ≈ ‖s‖²
    estimates = references.copy()
    estimates[:3] += noise * np.array([[1e-4], [0.1], [np.sqrt(0.1)]])  # SNR 80, 20, 10 dB
    sdr = museval_sdr(estimates, references, rate)
    assert sdr[0] > 50 and sdr[0] > sdr[1] > sdr[2]
    # BSS-Eval v4 fits a short distortion filter, which absorbs a little noise: only roughly the SNR.
    assert sdr[1] == pytest.approx(20, abs=2) and sdr[2] == pytest.approx(10, abs=2)
    assert math.isnan(sdr[3])


def test_si_sdri_of_stems_of_unequal_energy_as_computed_by_hand():
    """One window over the whole signal; stems a_k sin(f_k) of unequal energies, estimates off by orthogonal
    sines b_k sin(g_k). Then SI-SNR(est_k, s_k) = 10 log10(a_k² / b_k²) and SI-SNR(mix, s_k) =
    10 log10(a_k² / Σ_{j≠k} a_j²) (α = 1: the other stems are orthogonal to s_k), so
    SI-SDRi_k = 10 log10(Σ_{j≠k} a_j² / b_k²)."""
    amplitudes, errors = np.array([1.0, 0.2, 0.5, 2.0]), np.array([0.1, 0.1, 0.3, 0.05])
    references = np.stack([sine(f, a) for f, a in zip((5, 7, 13, 17), amplitudes)])
    estimates = references + np.stack([sine(f, b) for f, b in zip((23, 29, 31, 37), errors)])
    scores = windowed_si_sdri(estimates, references, references.sum(axis=0), sample_rate=N, window_s=1.0, hop_s=1.0)
    others = (amplitudes**2).sum() - amplitudes**2
    assert scores.starts.tolist() == [0]
    assert scores.si_sdr[0] == pytest.approx(10 * np.log10(amplitudes**2 / errors**2), abs=1e-6)
    assert scores.si_sdri[0] == pytest.approx(10 * np.log10(others / errors**2), abs=1e-6)


def test_museval_sdr_is_the_median_of_one_second_frames_computed_by_hand():
    """BSS-Eval v4 SDR of a frame is 10 log10(‖s‖² / ‖ŝ − s‖²) (its distortion, interference and artefact parts
    sum to ŝ − s). Stem 0's estimate is g_k s in second k: SDR_k = −20 log10|1 − g_k| = 6.02, 60, 12.04, −9.54,
    1.94 dB, median 6.02 dB (mean 14.1; on 2 s frames 9.03, −6.56, 1.94; references and estimates swapped,
    SDR_k + 20 log10 g_k, median 2.5). Stem 1's is 0.8 s throughout: 13.98 dB (swapped 12.04)."""
    rate, seconds = 8000, 5
    gains = np.array([0.5, 0.999, 1.25, 4.0, 0.2])
    references = np.stack([sine(440, num_samples=seconds * rate), sine(660, 0.5, num_samples=seconds * rate)])
    estimates = references * np.stack([np.repeat(gains, rate), np.full(seconds * rate, 0.8)])
    frames = -20 * np.log10(np.abs(1 - gains))
    expected = [np.median(frames), -20 * np.log10(0.2)]
    assert expected[0] == pytest.approx(6.0206, abs=1e-4)
    assert museval_sdr(estimates, references, rate) == pytest.approx(expected, abs=1e-4)


def test_zero_mean_si_snr_of_a_batch_is_each_rows_own():
    """[S, N] inputs with different means per row: zero_mean removes each row's own mean (a per-row loop)."""
    rng = np.random.default_rng(0)
    references = rng.normal(size=(3, 200)) + np.array([[0.0], [2.0], [-5.0]])
    estimates = references + rng.normal(scale=0.5, size=(3, 200)) + np.array([[1.0], [-1.0], [3.0]])
    batched = si_snr(estimates, references, zero_mean=True)
    rows = [si_snr(estimates[i], references[i], zero_mean=True) for i in range(3)]
    np.testing.assert_allclose(batched, rows, rtol=1e-12)
    by_hand = []
    for estimate, reference in zip(
        estimates - estimates.mean(1, keepdims=True), references - references.mean(1, keepdims=True)
    ):
        target = (estimate @ reference + 1e-8) / (reference @ reference + 1e-8) * reference
        by_hand.append(10 * np.log10((target @ target + 1e-8) / ((target - estimate) @ (target - estimate) + 1e-8)))
    np.testing.assert_allclose(batched, by_hand, rtol=1e-10)
    assert torch.allclose(si_snr(torch.from_numpy(estimates), torch.from_numpy(references), True), torch.tensor(rows))


def test_activity_in_a_short_last_window_is_measured_over_its_own_length():
    """At 100 Hz, 4 s windows with a 2 s hop over 5 s: windows [0, 400) and the short last one [200, 500). Stem 2
    plays only in [300, 500), at ‖s‖₂ = 1.6e-5 · 300: active in the short window (norm / 300 ≥ 1.5e-5), though
    below the threshold if divided by the full window's 400 samples. Stem 1 is silent, so the first window
    (stem 0 alone) is dropped and the short one, with stems 0 and 2, is the one kept."""
    rate, total = 100, 500
    references = np.zeros((3, total))
    references[0] = sine(7, 0.1, total)
    quiet = np.ones(200) / math.sqrt(200) * 1.6e-5 * 300  # ‖quiet‖₂ = 1.6e-5 · 300
    references[2, 300:] = quiet
    scores = windowed_si_sdri(references, references, references.sum(0), rate)
    assert scores.starts.tolist() == [200] and scores.lengths.tolist() == [300]
    assert scores.active.tolist() == [[True, False, True]]
