"""ADM (guided-diffusion) networks: ``ADMUNet`` against guided-diffusion's own ``UNetModel`` (the PyPI package
guided-diffusion-sdk 1.0.0, the test oracle of the Makefile's ORACLE_PINS), ``mgdm convert-adm`` on tiny
random checkpoints, and the prior it writes as ``priors.load`` reads it."""

from __future__ import annotations

import inspect
import json
import math
import sys

import numpy as np
import pytest
import torch

from mgdm_audio.cli import main
from mgdm_audio.core.pretrained import CONFIG_FILE
from mgdm_audio.core.priors.loading import MODEL_CARD_FILE
from mgdm_audio.image.nets.adm import ADM_PRESETS, GUIDED_DIFFUSION_DEFAULTS, ADMUNet, adm_config_from_flags
from mgdm_audio.image.priors.adm import ADMPrior
from mgdm_audio.priors import load

#: Overrides of the ffhq256 preset giving a 0.8 M-parameter model on 32×32 images (attention at 16×16).
TINY = dict(image_size=32, num_channels=32, num_res_blocks=1, channel_mult="1,2")
TINY_OPTIONS = [option for key, value in TINY.items() for option in ("--flag", f"{key}={value}")]
#: guided-diffusion's UNetModel parameter counts of the released models' flags (its create_model on the meta
#: device, guided-diffusion-sdk 1.0.0).
PUBLISHED_CODE_COUNTS = {"ffhq256": 93_563_910, "imagenet256_uncond": 552_814_086}


def _script_util():
    return pytest.importorskip("guided_diffusion.script_util", reason="guided-diffusion-sdk (test oracle) missing")


def oracle_model(flags: dict, seed: int = 0) -> torch.nn.Module:
    """guided-diffusion's UNetModel for script ``flags``, every parameter random (its zero-initialised output
    convolutions would otherwise hide the layers before them)."""
    script_util = _script_util()
    merged = {**GUIDED_DIFFUSION_DEFAULTS, **flags}
    accepted = inspect.signature(script_util.create_model).parameters
    model = script_util.create_model(**{key: value for key, value in merged.items() if key in accepted})
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(0.1 * torch.randn(parameter.shape, generator=generator))
    return model.eval()


def _image(size: int = 32, seed: int = 1) -> torch.Tensor:
    return torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(
    "flags",
    [
        # the released models' kind: scale-shift FiLM, ResBlock resampling, legacy attention order, fixed head width
        dict(TINY, learn_sigma=True, attention_resolutions="16", num_head_channels=32, resblock_updown=True),
        # the other code paths: added time bias, conv resampling, new attention order, separate upsampling heads
        dict(
            image_size=32,
            num_channels=32,
            num_res_blocks=2,
            channel_mult="1,1,2",
            attention_resolutions="16,8",
            num_heads=2,
            num_heads_upsample=1,
            use_scale_shift_norm=False,
            use_new_attention_order=True,
        ),
    ],
)
def test_adm_unet_equals_guided_diffusion_bit_for_bit(flags):
    reference = oracle_model(flags)
    ours = ADMUNet(**adm_config_from_flags(flags)).eval()
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in reference.state_dict().items()}
    ours.load_state_dict(reference.state_dict(), strict=True)
    x = _image()
    with torch.no_grad():
        for t in ([0, 999], [250, 17]):
            theirs, mine = reference(x, torch.tensor(t)), ours(x, torch.tensor(t))
            assert torch.equal(mine, theirs), (mine - theirs).abs().max()
    assert theirs.abs().mean() > 0.05  # not a trivially zero output


def test_released_configs_have_guided_diffusion_parameter_counts():
    for name, flags in ADM_PRESETS.items():
        with torch.device("meta"):
            net = ADMUNet(**adm_config_from_flags(flags))
        assert sum(p.numel() for p in net.parameters()) == PUBLISHED_CODE_COUNTS[name], name
    ffhq = adm_config_from_flags(ADM_PRESETS["ffhq256"])
    assert ffhq["channel_mult"] == [1, 1, 2, 2, 4, 4] and ffhq["attention_resolutions"] == [16]
    assert adm_config_from_flags(ADM_PRESETS["imagenet256_uncond"])["attention_resolutions"] == [8, 16, 32]
    assert ffhq["out_channels"] == 6


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """(oracle model, its checkpoint, the converted directory, convert-adm's stdout)."""
    folder = tmp_path_factory.mktemp("adm")
    model = oracle_model({**ADM_PRESETS["ffhq256"], **TINY}, seed=3)
    torch.save(model.state_dict(), folder / "ffhq_tiny.pt")
    with pytest.MonkeyPatch.context() as patch:
        lines = []
        patch.setattr("builtins.print", lambda *args, **kwargs: lines.append(" ".join(map(str, args))))
        status = main(
            ["convert-adm", str(folder / "ffhq_tiny.pt"), str(folder / "prior"), "--model", "ffhq256", *TINY_OPTIONS]
        )
    assert status == 0, lines
    return model, folder / "ffhq_tiny.pt", folder / "prior", "\n".join(lines)


def test_converted_prior_gives_guided_diffusions_epsilon_and_schedule(converted):
    model, _, directory, out = converted
    prior = load(directory)
    assert isinstance(prior, ADMPrior) and prior.image_shape == (3, 32, 32) and prior.num_levels == 1000
    assert "guided-diffusion's UNetModel gives the same ε exactly" in out
    # guided-diffusion's linear schedule, ᾱ_t = Π_{s ≤ t} (1 − β_s), β from 1e-4 to 0.02 (numpy, float64)
    alphas_cumprod = np.cumprod(1.0 - np.linspace(1e-4, 0.02, 1000, dtype=np.float64))
    np.testing.assert_allclose(prior.alphas_cumprod[1:].numpy(), alphas_cumprod, rtol=1e-12, atol=0)
    x = _image()
    with torch.no_grad():
        for index in (1, 400, 1000):  # table index i is guided-diffusion's t = i − 1
            output = model(x, torch.full((2,), index - 1))
            assert output.shape[1] == 6
            assert torch.equal(prior.eps(x, index), output[:, :3])
            a = alphas_cumprod[index - 1]
            torch.testing.assert_close(prior.x0(x, index), (x - math.sqrt(1 - a) * output[:, :3]) / math.sqrt(a))
    document = json.loads((directory / CONFIG_FILE).read_text())
    assert document["class_name"] == "ADMUNet" and document["prior"]["type"] == "ADMPrior"
    card = (directory / MODEL_CARD_FILE).read_text()
    assert "ffhq_tiny.pt" in card and "SHA-256" in card and "stored as float32" in card


def test_the_variance_channels_do_not_reach_epsilon(converted):
    _, _, directory, _ = converted
    prior = load(directory)
    x = _image()
    with torch.no_grad():
        before = prior.eps(x, 300)
        prior.net.out[-1].weight[3:] += 1.0  # the learned-variance outputs
        prior.net.out[-1].bias[3:] -= 1.0
        assert torch.equal(prior.eps(x, 300), before)
        prior.net.out[-1].bias[0] += 1.0
        # Exact up to float32 rounding of the output convolution's sum, into which the backend may fold the bias
        # (measured: up to 1.4e-6 on outputs of magnitude ~1): a few units of float32's epsilon of that sum.
        tolerance = 16 * torch.finfo(torch.float32).eps * (before[:, 0].abs().max() + 1.0)
        torch.testing.assert_close(prior.eps(x, 300)[:, 0], before[:, 0] + 1.0, atol=float(tolerance), rtol=0)
        assert not torch.allclose(prior.eps(x, 300)[:, 1], before[:, 1] + 1.0)  # channel 0 alone moved


def test_a_float16_checkpoint_is_widened_and_reported(tmp_path, capsys):
    flags = {**ADM_PRESETS["ffhq256"], **TINY}
    net = ADMUNet(**adm_config_from_flags(flags))
    half = {key: value.half() for key, value in net.state_dict().items()}
    torch.save(half, tmp_path / "half.pt")
    assert (
        main(["convert-adm", str(tmp_path / "half.pt"), str(tmp_path / "prior"), "--model", "ffhq256", *TINY_OPTIONS])
        == 0
    )
    prior = load(tmp_path / "prior")
    assert all(torch.equal(prior.net.state_dict()[key], value.float()) for key, value in half.items())
    assert prior.dtype == torch.float32
    assert "stored as float16, written as float32" in (tmp_path / "prior" / MODEL_CARD_FILE).read_text()


def test_conversion_without_guided_diffusion_checks_the_reload_only(tmp_path, capsys, monkeypatch):
    net = ADMUNet(**adm_config_from_flags({**ADM_PRESETS["ffhq256"], **TINY}))
    torch.save(net.state_dict(), tmp_path / "tiny.pt")
    for name in [name for name in sys.modules if name.split(".")[0] == "guided_diffusion"] + ["guided_diffusion"]:
        monkeypatch.setitem(sys.modules, name, None)  # `import guided_diffusion…` now fails
    assert (
        main(["convert-adm", str(tmp_path / "tiny.pt"), str(tmp_path / "prior"), "--model", "ffhq256", *TINY_OPTIONS])
        == 0
    )
    out = capsys.readouterr().out
    assert "ε equals the checkpoint's exactly" in out and "guided_diffusion not importable" in out
    x = _image()
    with torch.no_grad():
        assert torch.equal(load(tmp_path / "prior").eps(x, 10), net(x, torch.full((2,), 9))[:, :3])


class _Executes:
    def __reduce__(self):
        return (print, ("ran code from the checkpoint",))


def test_errors_are_one_line_and_name_the_file(tmp_path, capsys):
    flags = {**ADM_PRESETS["ffhq256"], **TINY}
    torch.save(ADMUNet(**adm_config_from_flags(flags)).state_dict(), tmp_path / "tiny.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    torch.save({"model": ADMUNet(**adm_config_from_flags(flags))}, tmp_path / "module.pt")
    torch.save({"weight": _Executes()}, tmp_path / "code.pt")  # unpickling it would call print
    cases = [
        ([tmp_path / "missing.pt", "--model", "ffhq256"], f"{tmp_path / 'missing.pt'}: checkpoint not found"),
        ([tmp_path / "junk.pt", "--model", "ffhq256"], f"{tmp_path / 'junk.pt'}: not a readable PyTorch state dict"),
        (
            [tmp_path / "module.pt", "--model", "ffhq256"],
            f"{tmp_path / 'module.pt'}: not a readable PyTorch state dict",
        ),
        ([tmp_path / "code.pt", "--model", "ffhq256"], f"{tmp_path / 'code.pt'}: not a readable PyTorch state dict"),
        (
            [tmp_path / "tiny.pt", "--model", "ffhq256"],
            f"{tmp_path / 'tiny.pt'}: the weights do not fit the ADM network of these flags",
        ),
        (
            [tmp_path / "tiny.pt", "--model", "ffhq256", *TINY_OPTIONS, "--flag", "class_cond=True"],
            "class-conditional ADM models are not supported",
        ),
        (
            [tmp_path / "tiny.pt", "--model", "ffhq256", *TINY_OPTIONS, "--flag", "predict_xstart=True"],
            f"{tmp_path / 'tiny.pt'}: only ε-prediction on the full linear schedule is supported",
        ),
    ]
    for arguments, message in cases:
        status = main(["convert-adm", str(arguments[0]), str(tmp_path / "out"), *map(str, arguments[1:])])
        captured = capsys.readouterr()
        errors = [line for line in captured.err.splitlines() if "error:" in line]
        assert status == 1 and len(errors) == 1 and message in errors[0], (arguments, captured.err)
        assert "ran code" not in captured.out
    with pytest.raises(SystemExit):
        main(
            [
                "convert-adm",
                str(tmp_path / "tiny.pt"),
                str(tmp_path / "out"),
                "--model",
                "ffhq256",
                "--flag",
                "num_channels=wide",
            ]
        )
    assert "num_channels takes a int, got 'wide'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
