"""``mgdm separate``'s resume and projection against independent answers: a fresh run with the same settings, and
the closed-form split of the residual (through the command, so they hold whatever the engine's inner layout)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mgdm_audio.core import api
from tests.separation.test_cli import _separate, _stems, _write, prior_dir  # noqa: F401 (a fixture)


@pytest.fixture
def sample_calls(monkeypatch):
    """Counts ``mgdm_audio.sample`` calls; ``crash_at[0] = n`` makes call n (from 1) raise, as a crash would."""
    calls, crash_at = [], [0]
    original = api.sample

    def counting(*args, **kwargs):
        calls.append(kwargs.get("seed"))
        if len(calls) == crash_at[0]:
            raise RuntimeError("simulated crash")
        return original(*args, **kwargs)

    monkeypatch.setattr(api, "sample", counting)
    return calls, crash_at


def test_resume_redoes_a_finished_track_made_with_other_settings(prior_dir, tmp_path, capsys):
    _write(tmp_path / "a.wav", 16000, 0.12)
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    assert _separate(prior_dir, out, str(tmp_path / "a.wav")) == 0
    assert _separate(prior_dir, out, str(tmp_path / "a.wav"), "--resume", "--seed", "1") == 0
    assert "already separated" not in capsys.readouterr().err
    assert _separate(prior_dir, fresh, str(tmp_path / "a.wav"), "--seed", "1") == 0
    np.testing.assert_array_equal(_stems(out / "tiny" / "a")[0], _stems(fresh / "tiny" / "a")[0])
    assert json.loads((out / "tiny" / "a" / "separation.json").read_text())["settings"]["seed"] == 1


def test_resume_discards_segments_of_a_crashed_run_with_other_settings(prior_dir, tmp_path, capsys, sample_calls):
    """A run with seed 0 crashes in segment 1 after finishing segment 0; resuming with seed 1 must redo every
    segment (one sampler call each) and write what a fresh seed-1 run writes."""
    calls, crash_at = sample_calls
    _write(tmp_path / "a.wav", 16000, 0.12)
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    crash_at[0] = 2
    assert _separate(prior_dir, out, str(tmp_path / "a.wav"), "--resume") == 1
    assert "simulated crash" in capsys.readouterr().err and calls == [0, 1]
    crash_at[0] = 0
    assert _separate(prior_dir, fresh, str(tmp_path / "a.wav"), "--seed", "1") == 0
    segments = len(calls) - 2
    assert segments >= 2
    assert _separate(prior_dir, out, str(tmp_path / "a.wav"), "--resume", "--seed", "1") == 0
    assert calls[2 + segments :] == calls[2 : 2 + segments]  # every segment sampled again, with the new seeds
    np.testing.assert_array_equal(_stems(out / "tiny" / "a")[0], _stems(fresh / "tiny" / "a")[0])


def test_projection_spreads_the_residual_equally_and_no_project_keeps_it(prior_dir, tmp_path):
    """At the model's rate (no resampling), projection adds (mixture − Σ stems) / S to each of the S stems, and
    cross-fading (weights summing to one) keeps that split: projected − unprojected is the same for every stem,
    and it is the residual the unprojected stems leave."""
    mixture = _write(tmp_path / "m.wav", 8000, 0.2)[:, 0]
    projected, unprojected = tmp_path / "projected", tmp_path / "unprojected"
    assert _separate(prior_dir, projected, str(tmp_path / "m.wav"), "--clip", "none") == 0
    assert _separate(prior_dir, unprojected, str(tmp_path / "m.wav"), "--clip", "none", "--no-project") == 0
    with_projection = _stems(projected / "tiny" / "m")[0][..., 0]  # [S, samples]
    without = _stems(unprojected / "tiny" / "m")[0][..., 0]
    residual = mixture - without.sum(axis=0)
    assert np.abs(residual).max() > 0.05  # the unprojected stems do not sum to the mixture
    np.testing.assert_allclose(with_projection - without, np.broadcast_to(residual / 4, without.shape), atol=1e-5)
    np.testing.assert_allclose(with_projection.sum(axis=0), mixture, atol=1e-5)
