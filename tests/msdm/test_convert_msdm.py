"""``mgdm convert-msdm``: tiny random audio-diffusion-pytorch 0.0.43 models saved in MSDM's Lightning
checkpoint layout, converted, loaded by the prior loader and compared with the package's denoise_fn."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from mgdm_audio.audio.nets import EDMDenoiser, UNet1d
from mgdm_audio.cli import main
from mgdm_audio.core.pretrained import CONFIG_FILE, WEIGHTS_FILE
from mgdm_audio.core.priors.loading import MODEL_CARD_FILE
from mgdm_audio.priors import MultiSourcePrior, StemwiseNets, load

adp = pytest.importorskip("audio_diffusion_pytorch")

STEMS = ("bass", "drums", "guitar", "piano")
# Tiny, with MSDM's flags (docs/method.md#msdm-priors-and-checkpoints): lengths a multiple of 2 · 4 · 2 = 16.
TINY = dict(
    in_channels=4,
    channels=8,
    patch_factor=2,
    patch_blocks=1,
    resnet_groups=2,
    kernel_multiplier_downsample=2,
    multipliers=[1, 2, 2],
    factors=[4, 2],
    num_blocks=[1, 1],
    attentions=[False, True],
    attention_heads=2,
    attention_features=4,
    attention_multiplier=2,
    kernel_sizes_init=[1, 3, 7],
    use_nearest_upsample=False,
    use_skip_scale=True,
    use_attention_bottleneck=True,
)
SIGMAS = [1e-3, 0.07, 0.5, 3.0, 20.0]


def oracle_model(config: dict, seed: int, log_sigma_mean: float = -3.0) -> torch.nn.Module:
    """A random AudioDiffusionModel as MSDM builds it (σ_d 0.2, LogNormal σ distribution, no thresholding)."""
    torch.manual_seed(seed)
    return adp.AudioDiffusionModel(
        **config,
        diffusion_sigma_data=0.2,
        diffusion_dynamic_threshold=0.0,
        diffusion_sigma_distribution=adp.LogNormalDistribution(log_sigma_mean, 1.0),
    ).eval()


def save_lightning_checkpoint(model: torch.nn.Module, config: dict, path: Path, **extra) -> Path:
    """``model`` in MSDM's Lightning layout: the training module holds it as ``self.model`` (so its UNet is
    stored twice, ``model.unet.*`` and ``model.diffusion.net.*``); hyper_parameters hold a pickled object."""
    hyper_parameters = dict(
        config,
        learning_rate=1e-4,
        beta1=0.95,
        beta2=0.999,
        diffusion_sigma_data=0.2,
        diffusion_dynamic_threshold=0.0,
        diffusion_sigma_distribution=model.diffusion.sigma_distribution,
        **extra,
    )
    torch.save(
        {
            "epoch": 7,
            "global_step": 1234,
            "pytorch-lightning_version": "1.7.7",
            "state_dict": {f"model.{key}": value for key, value in model.state_dict().items()},
            "hyper_parameters": hyper_parameters,
            "optimizer_states": [{"state": {}}],
        },
        path,
    )
    return path


def _input(channels: int, length: int = 64, seed: int = 1) -> torch.Tensor:
    return 0.4 * torch.randn(2, channels, length, generator=torch.Generator().manual_seed(seed))


def _convert(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["convert-msdm", *map(str, args)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def msdm(tmp_path_factory):
    """(oracle model, checkpoint path, converted prior directory, convert's stdout and stderr)."""
    folder = tmp_path_factory.mktemp("msdm")
    model = oracle_model(TINY, seed=0)
    checkpoint = save_lightning_checkpoint(model, TINY, folder / "epoch=7-valid_loss=0.1.ckpt")
    with pytest.MonkeyPatch.context() as patch:
        outputs = {}
        patch.setattr(sys, "stdout", _Capture(outputs, "out"))
        patch.setattr(sys, "stderr", _Capture(outputs, "err"))
        status = main(["convert-msdm", str(checkpoint), str(folder / "prior")])
    assert status == 0, outputs
    return model, checkpoint, folder / "prior", outputs["out"], outputs["err"]


class _Capture:
    """A stream that keeps what is written (module-scoped fixtures cannot use capsys)."""

    def __init__(self, store: dict, key: str):
        self.store, self.key = store, key
        store[key] = ""

    def write(self, text: str) -> None:
        self.store[self.key] += text

    def flush(self) -> None:
        pass


def test_converted_msdm_prior_matches_the_package_denoise_fn(msdm):
    model, _, directory, out, err = msdm
    prior = load(directory)
    assert isinstance(prior, MultiSourcePrior) and prior.stems == STEMS
    assert (prior.sample_rate, prior.segment_length, prior.length_multiple) == (22050, 262144, 16)
    x = _input(4)
    with torch.no_grad():
        for sigma in SIGMAS:
            theirs = model.diffusion.denoise_fn(x, sigma=sigma)
            ours = prior.denoiser(x, sigma)
            assert torch.equal(ours, theirs), (ours - theirs).abs().max()
            assert not torch.equal(ours, x)
    assert "weights_only=False" in err and "source you trust" in err
    assert "equals the checkpoint's exactly" in out and "denoise_fn gives the same outputs exactly" in out


def test_conversion_is_lossless_and_the_vp_view_calls_denoise_fn(msdm):
    model, _, directory, _, _ = msdm
    stored = load_file(directory / WEIGHTS_FILE)
    assert stored.keys() == model.unet.state_dict().keys()
    assert all(torch.equal(stored[key], value) for key, value in model.unet.state_dict().items())
    net = UNet1d(**TINY).eval()
    net.load_state_dict(model.unet.state_dict())
    in_memory = EDMDenoiser(net, sigma_data=0.2)
    prior = load(directory)
    x = _input(4)
    with torch.no_grad():
        for sigma in SIGMAS:
            assert torch.equal(prior.denoiser(x, sigma), in_memory(x, sigma))
        # The samplers' VP view: level i has σ_i and x_VE = x_VP · sqrt(1 + σ_i²)
        # (docs/method.md#variance-exploding-priors).
        index = 700
        sigma = math.sqrt((1 - prior.alpha_bar(index)) / prior.alpha_bar(index))
        x_ve = x * math.sqrt(1 + sigma**2)
        torch.testing.assert_close(prior.x0(x, index), model.diffusion.denoise_fn(x_ve, sigma=sigma), atol=1e-6, rtol=0)
    document = json.loads((directory / CONFIG_FILE).read_text())
    assert document["class_name"] == "UNet1d"
    assert document["prior"]["sigma_data"] == 0.2 and document["prior"]["log_sigma_mean"] == -3.0
    card = (directory / MODEL_CARD_FILE).read_text()
    assert "epoch=7-valid_loss=0.1.ckpt" in card and "SHA-256" in card and "global_step 1234" in card


def test_isdm_four_single_stem_checkpoints_make_one_prior(tmp_path, capsys):
    single = dict(TINY, in_channels=1)
    models = [oracle_model(single, seed=10 + k) for k in range(4)]
    paths = [save_lightning_checkpoint(model, single, tmp_path / f"{stem}.ckpt") for model, stem in zip(models, STEMS)]
    status, out, err = _convert(capsys, "--isdm", *paths, tmp_path / "isdm")
    assert status == 0, err
    assert (
        "wrote ISDM prior" in out
        and "denoise_fn gives the same outputs exactly" in out
        and err.count("weights_only=False") == 4
    )
    prior = load(tmp_path / "isdm")
    assert isinstance(prior.denoiser.net, StemwiseNets) and prior.stems == STEMS
    x = _input(4)
    with torch.no_grad():
        for sigma in SIGMAS:
            ours = prior.denoiser(x, sigma)
            for k, model in enumerate(models):  # stem k is model k's own denoiser of channel k, nothing else
                assert torch.equal(ours[:, k : k + 1], model.diffusion.denoise_fn(x[:, k : k + 1], sigma=sigma))
        changed = x.clone()
        changed[:, 2] += 0.5
        assert torch.equal(prior.denoiser(changed, 0.5)[:, [0, 1, 3]], prior.denoiser(x, 0.5)[:, [0, 1, 3]])
    card = (tmp_path / "isdm" / MODEL_CARD_FILE).read_text()
    assert "`guitar.ckpt` → guitar" in card


def test_conversion_without_the_package_reads_pickled_objects_as_attributes(tmp_path, capsys, monkeypatch):
    model = oracle_model(TINY, seed=3, log_sigma_mean=-2.5)
    path = save_lightning_checkpoint(model, TINY, tmp_path / "msdm.ckpt")
    for name in [name for name in sys.modules if name.split(".")[0] == "audio_diffusion_pytorch"]:
        monkeypatch.setitem(sys.modules, name, None)  # `import audio_diffusion_pytorch…` now fails
    status, out, err = _convert(capsys, path, tmp_path / "prior")
    assert status == 0, err
    assert "audio-diffusion-pytorch not installed" in out
    document = json.loads((tmp_path / "prior" / CONFIG_FILE).read_text())
    assert document["prior"]["log_sigma_mean"] == -2.5  # from the LogNormalDistribution's pickled state


def test_a_shape_hyper_parameter_of_a_missing_module_is_named(tmp_path, capsys, monkeypatch):
    (tmp_path / "fake_omegaconf.py").write_text(  # pickled like omegaconf's containers: state in __dict__
        "class ListConfig:\n    def __init__(self, content):\n        self._content = list(content)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import fake_omegaconf

    model = oracle_model(TINY, seed=0)
    config = dict(TINY, multipliers=fake_omegaconf.ListConfig(TINY["multipliers"]))
    path = save_lightning_checkpoint(model, config, tmp_path / "hydra.ckpt")
    monkeypatch.setitem(sys.modules, "fake_omegaconf", None)
    status, _, err = _convert(capsys, path, tmp_path / "prior")
    assert status == 1
    assert (
        f"{path}: hyper_parameters['multipliers'] is a fake_omegaconf.ListConfig and fake_omegaconf is not installed"
    ) in err


def test_errors_are_one_line_and_name_the_file(tmp_path, capsys):
    model = oracle_model(TINY, seed=0)
    msdm = save_lightning_checkpoint(model, TINY, tmp_path / "msdm.ckpt")
    single = dict(TINY, in_channels=1)
    lone = save_lightning_checkpoint(oracle_model(single, seed=1), single, tmp_path / "bass.ckpt")
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint")
    torch.save({"state_dict": {}}, tmp_path / "bare.ckpt")
    cases = [
        ([tmp_path / "missing.ckpt"], f"{tmp_path / 'missing.ckpt'}: checkpoint not found"),
        ([tmp_path / "junk.ckpt"], f"{tmp_path / 'junk.ckpt'}: not a readable PyTorch checkpoint"),
        ([tmp_path / "bare.ckpt"], f"{tmp_path / 'bare.ckpt'}: no 'hyper_parameters' entry"),
        ([lone], f"{lone}: the network takes 1 channel(s), not one per stem"),
        ([msdm, msdm], "an MSDM prior is one checkpoint, got 2 (ISDM: pass --isdm)"),
        (["--isdm", lone, lone, lone, msdm], f"{msdm}: an ISDM model takes 1 channel, this one 4"),
    ]
    for arguments, message in cases:
        status, _, err = _convert(capsys, *arguments, tmp_path / "out")
        errors = [line for line in err.splitlines() if "error:" in line]
        assert status == 1 and len(errors) == 1 and message in errors[0], (arguments, err)
    status, _, err = _convert(capsys, "--isdm", lone, lone, tmp_path / "out")
    assert status == 2 and "--isdm needs one CKPT per stem (bass, drums, guitar, piano), got 2" in err
    assert not (tmp_path / "out").exists()
