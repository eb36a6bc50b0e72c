"""MUSDB18-HQ preparation: mono stems at the prior's rate in the prior's stem order, and its clear refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from mgdm_audio.audio.corpora.kaldi import validate_data_dir
from mgdm_audio.audio.corpora.musdb import prepare
from mgdm_audio.audio.nets import EDMDenoiser, UNet1d
from mgdm_audio.audio.priors.music import MultiSourcePrior
from mgdm_audio.cli import main
from mgdm_audio.core.priors.loading import save_prior

TINY = dict(
    in_channels=4,
    channels=8,
    patch_factor=2,
    patch_blocks=1,
    resnet_groups=2,
    kernel_multiplier_downsample=2,
    multipliers=[1, 2, 2],
    factors=[2, 2],
    num_blocks=[1, 1],
    attentions=[False, True],
    attention_heads=2,
    attention_features=4,
    attention_multiplier=2,
)
PRIOR_STEMS = ("bass", "drums", "vocals", "other")  # any order of MUSDB's four stems


def tiny_prior(directory: Path, stems=PRIOR_STEMS, sample_rate: int = 22050) -> Path:
    """A random 0.03 M-parameter 4-stem prior saved like any other prior directory."""
    torch.manual_seed(0)
    return save_prior(MultiSourcePrior(EDMDenoiser(UNet1d(**TINY)), sample_rate, 4096, stems), directory)


def make_musdb_hq(root: Path, seconds: float = 1.0, split: str = "test") -> Path:
    """Two MUSDB18-HQ tracks (44.1 kHz stereo WAV stems; names with spaces)."""
    rng = np.random.default_rng(0)
    for name in ("A Band - First Song", "B Band - Second Song"):
        folder = root / split / name
        folder.mkdir(parents=True)
        stems = {
            stem: 0.1 * rng.standard_normal((round(seconds * 44100), 2))
            for stem in ("vocals", "drums", "bass", "other")
        }
        for stem, audio in stems.items():
            soundfile.write(folder / f"{stem}.wav", audio, 44100, subtype="PCM_16")
        soundfile.write(folder / "mixture.wav", sum(stems.values()), 44100, subtype="PCM_16")
    return root


def test_stems_follow_the_prior_mono_at_its_rate_and_sum_to_the_mixture(tmp_path, capsys):
    root = make_musdb_hq(tmp_path / "musdb")
    prior = tiny_prior(tmp_path / "prior", sample_rate=16000)
    assert (
        main(
            [
                "prepare-musdb",
                str(root),
                str(tmp_path / "data"),
                "--audio-dir",
                str(tmp_path / "audio"),
                "--prior",
                str(prior),
            ]
        )
        == 0
    )
    assert "2 tracks" in capsys.readouterr().out
    data = validate_data_dir(tmp_path / "data", num_speakers=4, sample_rate=16000)
    assert data.utt_ids == ["A_Band_-_First_Song", "B_Band_-_Second_Song"]
    utt, track = "A_Band_-_First_Song", root / "test" / "A Band - First Song"
    references = [soundfile.read(source[utt])[0] for source in data.sources]
    assert data.num_samples[utt] == 16000 and all(reference.ndim == 1 for reference in references)
    vocals = soundfile.read(track / "vocals.wav")[0].mean(axis=1)  # spk3 = the prior's third stem, vocals
    spectrum = lambda signal: np.abs(np.fft.rfft(signal))[:2000]  # noqa: E731  (below 2 kHz: both rates' band)
    np.testing.assert_allclose(spectrum(references[2]) * 44100 / 16000, spectrum(vocals)[:2000], rtol=0.05, atol=0.5)
    np.testing.assert_allclose(soundfile.read(data.mixtures[utt])[0], np.sum(references, axis=0), atol=1e-6)


def test_refusals_name_the_path_and_the_way_out(tmp_path, capsys):
    (tmp_path / "mp4" / "test").mkdir(parents=True)
    (tmp_path / "mp4" / "test" / "A - B.stem.mp4").write_bytes(b"")
    prior = tiny_prior(tmp_path / "prior")
    slakh_prior = tiny_prior(tmp_path / "slakh_prior", stems=("bass", "drums", "guitar", "piano"))
    incomplete = make_musdb_hq(tmp_path / "hq")
    (incomplete / "test" / "B Band - Second Song" / "other.wav").unlink()
    cases = [
        (tmp_path / "mp4", prior, "holds MUSDB18 .stem.mp4 files; use MUSDB18-HQ, or convert them with `musdbconvert"),
        (tmp_path / "none", prior, f"{tmp_path / 'none'}: MUSDB18-HQ root not found (set it in db.sh)"),
        (incomplete, slakh_prior, "the prior's stems (bass, drums, guitar, piano) are not MUSDB18's"),
        (incomplete, prior, "B Band - Second Song: incomplete MUSDB18-HQ track, missing other.wav"),
    ]
    for root, prior_dir, message in cases:
        status = main(
            [
                "prepare-musdb",
                str(root),
                str(tmp_path / "data"),
                "--audio-dir",
                str(tmp_path / "a"),
                "--prior",
                str(prior_dir),
            ]
        )
        error = capsys.readouterr().err
        assert status == 1 and error.count("\n") == 1 and message in error, (root, error)
    with pytest.raises(ValueError, match="incomplete"):
        prepare(incomplete, tmp_path / "data", tmp_path / "b")
