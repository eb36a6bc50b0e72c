"""MultiSourcePrior: the VP view of an EDM denoiser over stacked stems, and its directory format."""

from __future__ import annotations

import json
import math
import re

import pytest
import torch

import mgdm_audio as ma
from mgdm_audio.audio.nets import EDMDenoiser, UNet1d, from_pretrained
from mgdm_audio.audio.priors.music import MultiSourcePrior
from mgdm_audio.audio.training import unet_config
from mgdm_audio.core.priors.loading import NAMED_PRIORS, save_prior
from mgdm_audio.core.schedules import karras_sigmas

# Length multiple 2 · 2 · 2 = 8 samples.
TINY_NET = dict(
    channels=8,
    patch_factor=2,
    multipliers=[1, 2, 2],
    factors=[2, 2],
    blocks=1,
    attention_levels=1,
    attention_heads=2,
    attention_features=4,
    resnet_groups=2,
)


def tiny_prior(segment_length: int = 64, sample_rate: int = 8000, seed: int = 0) -> MultiSourcePrior:
    """A randomly initialised 4-stem prior small enough for unit tests."""
    torch.manual_seed(seed)
    net = UNet1d(**unet_config(4, **TINY_NET))
    return MultiSourcePrior(EDMDenoiser(net, sigma_data=0.2), sample_rate, segment_length).eval()


def test_shapes_schedule_and_attributes():
    prior = tiny_prior()
    assert prior.event_shape == (4, 64) and prior.length == 64 and prior.length_multiple == 8
    assert prior.stems == ("bass", "drums", "guitar", "piano") and prior.sample_rate == 8000
    assert prior.default_preset == "audio" and prior.num_levels == 1000
    sigmas = karras_sigmas(1000, 5e-4, 20.0, 3.0)
    assert torch.allclose(prior.alphas_cumprod[1:], 1.0 / (1.0 + sigmas**2), rtol=1e-12, atol=0)
    assert float(prior.alphas_cumprod[0]) == 1.0


@pytest.mark.parametrize("index", [1, 250, 1000])
def test_x0_is_the_denoiser_on_the_rescaled_input(index):
    prior = tiny_prior()
    x = torch.randn(2, 4, 64, generator=torch.Generator().manual_seed(index))
    sigma = float(karras_sigmas(1000, 5e-4, 20.0, 3.0)[index - 1])
    alpha_bar = 1.0 / (1.0 + sigma**2)
    calls = []
    with torch.no_grad():
        expected = prior.denoiser(x / math.sqrt(alpha_bar), sigma)
        prior.denoiser.register_forward_pre_hook(lambda module, inputs: calls.append(inputs[1]))
        got = prior.x0(x, index)
    assert torch.allclose(got, expected, atol=1e-6, rtol=0)
    assert isinstance(calls[0], float) and calls[0] == pytest.approx(sigma, rel=1e-12)  # σ as a Python float


def test_with_length_shares_the_network_and_checks_the_multiple():
    prior = tiny_prior()
    longer = prior.with_length(128)
    assert longer.event_shape == (4, 128) and longer.segment_length == 64 and longer.denoiser is prior.denoiser
    assert prior.valid_length(100) == 104
    with pytest.raises(ValueError, match=r"length 100 is not a positive multiple .* length multiple 8; use e.g. 104"):
        prior.with_length(100)
    with pytest.raises(ValueError, match="segment length 60"):
        tiny_prior(segment_length=60)


def test_stem_count_must_match_the_network():
    net = UNet1d(**unet_config(2, **TINY_NET))
    with pytest.raises(ValueError, match="takes 2 channels but 4 stems"):
        MultiSourcePrior(EDMDenoiser(net), 8000, 64)


def test_save_load_round_trip_is_exact(tmp_path):
    prior = tiny_prior()
    save_prior(prior, tmp_path / "prior", model_card="# card\n")
    loaded = ma.priors.load(tmp_path / "prior")
    assert isinstance(loaded, MultiSourcePrior) and not loaded.training
    assert loaded.config == prior.config and loaded.event_shape == prior.event_shape
    x = torch.randn(2, 4, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for index in (1, 500, 1000):
            assert torch.equal(loaded.x0(x, index), prior.x0(x, index))
    assert (tmp_path / "prior" / "MODEL_CARD.md").read_text() == "# card\n"
    assert isinstance(from_pretrained(tmp_path / "prior"), UNet1d)  # the bare network reads too
    assert sorted(p.name for p in (tmp_path / "prior").iterdir()) == [
        "MODEL_CARD.md",
        "config.json",
        "model.safetensors",
    ]


def test_load_errors_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(f"{tmp_path / 'nowhere'}: prior directory not found")):
        ma.priors.load(tmp_path / "nowhere")
    save_prior(tiny_prior(), tmp_path / "prior")
    (tmp_path / "prior" / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(f"{tmp_path / 'prior' / 'model.safetensors'}: missing")):
        ma.priors.load(tmp_path / "prior")


def test_load_errors_on_a_config_without_a_prior_entry(tmp_path):
    save_prior(tiny_prior(), tmp_path / "prior")
    config = tmp_path / "prior" / "config.json"
    document = json.loads(config.read_text())
    del document["prior"]["sample_rate"]
    config.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=re.escape(f"{config}: cannot build MultiSourcePrior") + ".*sample_rate"):
        ma.priors.load(tmp_path / "prior")
    del document["prior"]
    config.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=re.escape(f'{config}: no "prior" entry')):
        ma.priors.load(tmp_path / "prior")


def test_default_name_resolves_to_the_packaged_directory(monkeypatch, tmp_path):
    assert NAMED_PRIORS["default"].parts[-4:] == ("mgdm_audio", "assets", "priors", "default")
    save_prior(tiny_prior(), tmp_path / "packaged")
    monkeypatch.setitem(NAMED_PRIORS, "default", tmp_path / "packaged")
    assert ma.priors.load("default").config == tiny_prior().config
    assert ma.priors.load().config == tiny_prior().config


def test_prior_info_prints_what_the_saved_prior_holds(tmp_path, capsys):
    """``mgdm prior-info`` (what recipes ask of a prior) reads the facts back from the files save_prior wrote."""
    from mgdm_audio.cli import main

    prior = tiny_prior(segment_length=128, sample_rate=11025)
    directory = save_prior(prior, tmp_path / "prior")
    assert main(["prior-info", str(directory), "stems", "sample_rate", "segment_length", "path", "layout"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        " ".join(prior.stems),
        "11025",
        "128",
        str(directory.resolve()),
        "mgdm",
    ]
    assert main(["prior-info", str(directory), "--layout", "diffusers"]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["prior-info", str(tmp_path), "stems"]) == 1
    assert f"{tmp_path / 'config.json'}: missing" in capsys.readouterr().err


def test_average_priors_is_the_uniform_mean_and_leaves_the_sources_alone(tmp_path, capsys):
    """``mgdm average-priors`` on three priors: every weight is the mean of the three (not a running pairwise
    mean), the card names each source with its weights' hash, and the sources' files are untouched."""
    import hashlib

    from mgdm_audio.cli import main

    sources = [
        save_prior(tiny_prior(seed=seed), tmp_path / f"snapshot{seed}", model_card=f"# run card {seed}\n")
        for seed in range(3)
    ]
    before = {path: path.read_bytes() for source in sources for path in source.iterdir()}
    assert main(["average-priors", str(tmp_path / "average"), *map(str, sources)]) == 0
    averaged = ma.priors.load(tmp_path / "average")
    states = [tiny_prior(seed=seed).net.state_dict() for seed in range(3)]
    for name, tensor in averaged.net.state_dict().items():
        torch.testing.assert_close(tensor, (states[0][name] + states[1][name] + states[2][name]) / 3)
    assert averaged.config == tiny_prior().config
    card = (tmp_path / "average" / "MODEL_CARD.md").read_text()
    for source in sources:
        assert hashlib.sha256((source / "model.safetensors").read_bytes()).hexdigest() in card
    assert card.rstrip().endswith("# run card 0")
    assert {path: path.read_bytes() for source in sources for path in source.iterdir()} == before


def test_average_priors_refuses_mixed_settings_and_overwriting_a_source(tmp_path, capsys):
    from mgdm_audio.cli import main

    first = save_prior(tiny_prior(), tmp_path / "first")
    other = save_prior(tiny_prior(segment_length=128), tmp_path / "other")
    assert main(["average-priors", str(tmp_path / "average"), str(first), str(other)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and f"{other / 'config.json'}: differs from" in error
    assert main(["average-priors", str(first), str(first), str(first)]) == 1
    assert "is one of the priors to average" in capsys.readouterr().err
    assert main(["average-priors", str(tmp_path / "average"), str(first)]) == 1
    assert "two priors or more" in capsys.readouterr().err
    assert not (tmp_path / "average").exists()
