"""``mgdm_audio.separate`` and ``SeparationPipeline``: mixtures in memory through the engine of ``mgdm separate``."""

from __future__ import annotations

import re

import numpy as np
import pytest
import soundfile
import torch

import mgdm_audio as ma
from mgdm_audio.audio.separation import SeparationPipeline
from tests.separation.test_cli import STEMS, _separate, _stems, prior_dir, separator_dir  # noqa: F401 (fixtures)

#: FAST's settings as keyword arguments.
OPTIONS = dict(quality="paper", overrides={"steps": 5, "gibbs_reps": 1, "grad_steps": 1})


def _noise(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return (0.2 * np.random.default_rng(seed).standard_normal(shape)).astype(np.float32)


def test_a_waveform_in_memory_gets_the_commands_stems_bit_for_bit(prior_dir, tmp_path):
    stereo = _noise((2, 1920))  # [channels, samples] at 16 kHz: resampled to the prior's 8 kHz and back
    soundfile.write(tmp_path / "song.wav", stereo.T, 16000, subtype="FLOAT")
    assert _separate(prior_dir, tmp_path / "out", str(tmp_path / "song.wav"), "--clip", "none", "--seed", "3") == 0
    stems = ma.separate(stereo, 16000, prior=prior_dir, seed=3, **OPTIONS)
    assert list(stems) == list(STEMS) and all(stem.shape == (2, 1920) for stem in stems.values())  # stereo stems
    np.testing.assert_array_equal(
        np.stack([stems[name] for name in STEMS]).transpose(0, 2, 1), _stems(tmp_path / "out" / "tiny" / "song")[0]
    )
    np.testing.assert_allclose(sum(stems.values()), stereo, atol=1e-5)  # projection, over the whole band
    mono = ma.separate(stereo, 16000, prior=prior_dir, seed=3, channels="mono", **OPTIONS)
    assert all(stem.shape == (1, 1920) for stem in mono.values())  # down-mixed
    np.testing.assert_allclose(sum(mono.values())[0], stereo.mean(axis=0), atol=1e-5)
    # Panned from one separation of the channels' mean: before the projection, the stems' channel mean is the mono
    # separation's stem.
    unprojected = {
        channels: ma.separate(stereo, 16000, prior=prior_dir, seed=3, channels=channels, project=False, **OPTIONS)
        for channels in ("pan", "mono")
    }
    for name in STEMS:
        np.testing.assert_allclose(unprojected["pan"][name].mean(axis=0), unprojected["mono"][name][0], atol=1e-6)


def test_a_reused_separator_keeps_its_prior_and_gives_the_same_draws(prior_dir):
    separator = SeparationPipeline(prior_dir, device="cpu", channels="each", **OPTIONS)
    mono = _noise((800,), seed=1)
    first, record = separator.separate(torch.from_numpy(mono), 8000, return_record=True)
    assert all(stem.shape == (800,) and stem.dtype == np.float32 for stem in first.values())  # 1-D in, 1-D out
    assert [segment["seeds"] for segment in record["segments"]] == [[i] for i in range(len(record["segments"]))]
    stereo = _noise((2, 800), seed=2)
    both = separator.separate(stereo, 8000)
    np.testing.assert_allclose(sum(both.values()), stereo, atol=1e-5)  # each channel separated and projected
    again = separator.separate(mono, 8000)
    for name in STEMS:
        np.testing.assert_array_equal(again[name], first[name])
    assert separator.prior is separator.sampler.prior and separator.stems == STEMS and separator.sample_rate == 8000


@pytest.mark.parametrize(
    "waveform, rate, message",
    [
        (
            np.zeros((2, 2, 800), np.float32),
            8000,
            "waveform must be [samples], [channels, samples] or [samples, channels]",
        ),
        (np.zeros((2, 2), np.float32), 8000, "which axis holds the channels is unclear"),
        (np.r_[np.zeros(500), np.nan, np.zeros(499)], 8000, "waveform: non-finite sample (NaN or inf) at sample 500"),
        (
            np.zeros((3, 800), np.float32),
            8000,
            'waveform: 3 channels; mono down-mixing (--mono, channels="mono") takes at most two',
        ),
        (np.zeros(400, np.float32), 8000, "waveform: too short"),
        (np.zeros(800, np.float32), 8000.5, "sample_rate must be a positive integer"),
    ],
)
def test_a_bad_waveform_is_refused_with_one_line_naming_it(prior_dir, waveform, rate, message):
    separator = SeparationPipeline(prior_dir, device="cpu", channels="mono", **OPTIONS)
    with pytest.raises(ValueError, match=re.escape(message)):
        separator.separate(waveform, rate)


def test_settings_that_do_not_go_together_are_refused(prior_dir):
    with pytest.raises(ValueError, match="start_sigma needs a sampler started from the separator"):
        ma.separate(np.zeros(800, np.float32), 8000, prior=prior_dir, start_sigma=0.1, **OPTIONS)
    with pytest.raises(ValueError, match="overlap must be in"):
        ma.separate(np.zeros(800, np.float32), 8000, prior=prior_dir, overlap=0.7, **OPTIONS)


def test_soundfile_layout_frames_by_channels_gives_the_same_stems_in_its_own_layout(prior_dir, tmp_path):
    """soundfile.read returns [frames, channels]; that array gives the stems of its [channels, frames] transpose,
    returned [frames, 2], and threads= sets torch's math threads."""
    import torch

    stereo = _noise((2, 1600), seed=3)
    soundfile.write(tmp_path / "song.wav", stereo.T, 8000, subtype="FLOAT")
    frames_first, rate = soundfile.read(tmp_path / "song.wav", dtype="float32")
    assert frames_first.shape == (1600, 2)
    stems = ma.separate(frames_first, rate, prior=prior_dir, seed=1, threads=1, **OPTIONS)
    assert torch.get_num_threads() == 1
    channels_first = ma.separate(stereo, 8000, prior=prior_dir, seed=1, **OPTIONS)
    for name in STEMS:
        assert stems[name].shape == (1600, 2) and channels_first[name].shape == (2, 1600)
        np.testing.assert_array_equal(stems[name], channels_first[name].T)
    with pytest.raises(ValueError, match="threads must be >= 1"):
        ma.separate(stereo, 8000, prior=prior_dir, threads=0, **OPTIONS)


def test_the_default_preset_refines_bass_and_drums_only_where_the_separator_has_them(separator_dir, tmp_path):
    from mgdm_audio.audio.nets.tasnet import ConvTasNet
    from mgdm_audio.audio.separation.settings import QUALITIES, build_settings
    from mgdm_audio.audio.separators import save_separator
    from mgdm_audio.audio.separators.model import MixtureSeparator
    from tests.audio.test_separator import TINY_TASNET

    settings = build_settings("default", separator=separator_dir)
    assert settings.refine == QUALITIES["default"].refine == ("bass", "drums") and settings.num_samples == 2
    assert build_settings("default", separator=separator_dir, refine=("guitar",)).refine == ("guitar",)
    other = save_separator(
        MixtureSeparator(ConvTasNet(4, **TINY_TASNET), 8000, 512, ("vocals", "drums", "bass", "other")),
        tmp_path / "other",
    )
    assert build_settings("default", separator=other).refine == ("bass", "drums")  # a subset: kept
    strings = save_separator(
        MixtureSeparator(ConvTasNet(2, **TINY_TASNET), 8000, 512, ("violin", "cello")), tmp_path / "strings"
    )
    assert build_settings("default", separator=strings).refine is None  # no bass or drums: every stem refined
