"""UNet1d / EDMDenoiser / MSDM key mapping, against closed forms and (when installed) the
audio-diffusion-pytorch 0.0.43 oracle the published MSDM prior was built with."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

from mgdm_audio.audio.nets import (
    EDMDenoiser,
    UNet1d,
    from_pretrained,
    msdm_denoiser_kwargs,
    msdm_state_dict_to_unet,
    msdm_unet_config,
    save_pretrained,
)
from mgdm_audio.audio.nets.msdm_keys import MSDM_SLAKH_UNET_CONFIG

MSDM_FLAGS = dict(
    kernel_sizes_init=[1, 3, 7],
    use_nearest_upsample=False,
    use_skip_scale=True,
    use_attention_bottleneck=True,
    use_context_time=True,
)

# Tiny, with MSDM's flags.
TINY = dict(
    MSDM_FLAGS,
    in_channels=4,
    channels=16,
    patch_factor=4,
    patch_blocks=1,
    resnet_groups=4,
    kernel_multiplier_downsample=2,
    multipliers=[1, 2, 2, 4],
    factors=[4, 2, 2],
    num_blocks=[1, 2, 1],
    attentions=[False, True, True],
    attention_heads=2,
    attention_features=8,
    attention_multiplier=2,
)
# Tiny, exercising the other options: nearest upsampling, two patch blocks, a factor of 1,
# no skip scale, no bottleneck attention, wider downsampling kernels.
TINY_VARIANT = dict(
    TINY,
    patch_factor=2,
    patch_blocks=2,
    factors=[2, 1, 2],
    kernel_multiplier_downsample=4,
    use_nearest_upsample=True,
    use_skip_scale=False,
    use_attention_bottleneck=False,
)
# docs/method.md#embedded-prior: the embedded-prior shape (8.6 M parameters, lengths a multiple of 4,096).
SECTION9 = dict(
    MSDM_FLAGS,
    in_channels=4,
    channels=64,
    patch_factor=8,
    patch_blocks=1,
    resnet_groups=8,
    kernel_multiplier_downsample=2,
    multipliers=[1, 2, 2, 2, 2, 2, 2],
    factors=[4, 4, 4, 2, 2, 2],
    num_blocks=[2] * 6,
    attentions=[False, False, False, True, True, True],
    attention_heads=4,
    attention_features=64,
    attention_multiplier=2,
)

CONFIGS = {"tiny": TINY, "tiny_variant": TINY_VARIANT, "section9": SECTION9}
SIGMAS = [1e-3, 0.05, 0.2, 1.0, 20.0]


@pytest.fixture(autouse=True, scope="module")
def _single_thread():
    """Tiny tensors: extra threads only add synchronisation, which stalls on a busy 2-core machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _input(config: dict, multiples: int = 2, batch: int = 2) -> torch.Tensor:
    length = config["patch_factor"] ** config["patch_blocks"] * math.prod(config["factors"]) * multiples
    return torch.randn(batch, config["in_channels"], length, generator=torch.Generator().manual_seed(1))


def _oracle_model(config: dict, sigma_data: float = 0.2) -> nn.Module:
    oracle = pytest.importorskip("audio_diffusion_pytorch")
    torch.manual_seed(0)
    return oracle.AudioDiffusionModel(**config, diffusion_sigma_data=sigma_data).eval()


class _Zero(nn.Module):
    def forward(self, x: torch.Tensor, time: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(x)


# --- UNet1d on its own ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tiny", "tiny_variant"])
def test_output_shape_and_config_round_trip(name):
    config = CONFIGS[name]
    net = UNet1d(**config).eval()
    x = _input(config)
    with torch.no_grad():
        out = net(x, torch.tensor([-1.0, 0.5]))
    assert out.shape == (2, config["in_channels"], x.shape[-1])
    assert torch.isfinite(out).all()
    rebuilt = UNet1d(**json.loads(json.dumps(net.config)))
    assert rebuilt.config == net.config
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == {k: v.shape for k, v in net.state_dict().items()}


def test_length_multiple_and_valid_length():
    net = UNet1d(**SECTION9)
    assert net.length_multiple == 4096
    assert net.valid_length(176400) == 180224 and net.valid_length(4096) == 4096


def test_rejects_length_not_a_multiple_with_clear_message():
    net = UNet1d(**TINY)
    with pytest.raises(ValueError, match=r"input length 100 is not a multiple of 64 .*pad it to 128"):
        net(torch.zeros(1, 4, 100), torch.zeros(1))


def test_rejects_wrong_channels_and_time_shape():
    net = UNet1d(**TINY)
    with pytest.raises(ValueError, match="expected x of shape"):
        net(torch.zeros(1, 3, 64), torch.zeros(1))
    with pytest.raises(ValueError, match="expected time of shape"):
        net(torch.zeros(2, 4, 64), torch.zeros(1))


def test_group_norm_mismatch_is_explained():
    # docs/method.md#embedded-prior: channels 32 with patch_factor 16 leaves 2 channels for 4 groups.
    with pytest.raises(ValueError, match="divisible by resnet_groups"):
        UNet1d(**dict(SECTION9, channels=32, patch_factor=16))


def test_parameter_counts():
    assert sum(p.numel() for p in UNet1d(**SECTION9).parameters()) == 8_625_852  # the shipped prior's
    with torch.device("meta"):  # shapes only: the published MSDM prior (≈ 405 M; docs/method.md)
        assert sum(p.numel() for p in UNet1d(**MSDM_SLAKH_UNET_CONFIG).parameters()) == 405_497_700


# --- EDM preconditioning -----------------------------------------------------------------------


@pytest.mark.parametrize("sigma", SIGMAS)
def test_zero_network_gives_c_skip_times_x(sigma):
    sigma_data = 0.2
    x = 0.5 * _input(TINY)
    denoised = EDMDenoiser(_Zero(), sigma_data=sigma_data, clamp=False)(x, sigma)
    torch.testing.assert_close(denoised, sigma_data**2 / (sigma**2 + sigma_data**2) * x)


def test_preconditioning_closed_form():
    denoiser = EDMDenoiser(_Zero(), sigma_data=0.2)
    sigmas = torch.tensor(SIGMAS, dtype=torch.float64)
    c_skip, c_out, c_in, c_noise = denoiser.preconditioning(sigmas)
    for i, s in enumerate(SIGMAS):
        root = math.sqrt(s**2 + 0.04)
        assert c_skip[i].item() == pytest.approx(0.04 / root**2, rel=1e-12)
        assert c_out[i].item() == pytest.approx(s * 0.2 / root, rel=1e-12)
        assert c_in[i].item() == pytest.approx(1 / root, rel=1e-12)
        assert c_noise[i].item() == pytest.approx(math.log(s) / 4, rel=1e-12)


def test_network_sees_scaled_input_and_log_sigma_over_4():
    seen = {}

    class Spy(nn.Module):
        def forward(self, x, time):
            seen["x"], seen["time"] = x, time
            return torch.ones_like(x)

    x, sigma = _input(TINY), 0.7
    denoised = EDMDenoiser(Spy(), sigma_data=0.2, clamp=False)(x, sigma)
    root = math.sqrt(sigma**2 + 0.04)
    torch.testing.assert_close(seen["x"], x / root)
    torch.testing.assert_close(seen["time"], torch.full((2,), math.log(sigma) / 4))
    torch.testing.assert_close(denoised, 0.04 / root**2 * x + sigma * 0.2 / root)


def test_clamp_and_sigma_forms_agree():
    x = 10 * _input(TINY)
    denoiser = EDMDenoiser(_Zero(), sigma_data=0.2)
    out = denoiser(x, 0.01)
    assert out.abs().max() <= 1.0 and out.abs().max() == 1.0
    torch.testing.assert_close(out, denoiser(x, torch.tensor([0.01, 0.01])))
    torch.testing.assert_close(out, denoiser(x, torch.tensor(0.01)))
    with pytest.raises(ValueError, match="sigma must be"):
        denoiser(x, torch.tensor([0.1, 0.2, 0.3]))


def test_loss_is_reproducible_and_weighted():
    denoiser = EDMDenoiser(_Zero(), sigma_data=0.2, clamp=False)
    x0 = 0.3 * _input(TINY)
    first = denoiser.loss(x0, generator=torch.Generator().manual_seed(3))
    assert first == denoiser.loss(x0, generator=torch.Generator().manual_seed(3))
    # Zero network: D − x0 = (c_skip − 1) x0 + c_skip σ ε; recompute from the same draws.
    generator = torch.Generator().manual_seed(3)
    sigmas = (-3.0 + torch.randn(2, generator=generator)).exp()
    noise = torch.randn(x0.shape, generator=generator)
    c_skip = (0.04 / (sigmas**2 + 0.04)).view(-1, 1, 1)
    error = ((c_skip - 1) * x0 + c_skip * sigmas.view(-1, 1, 1) * noise) ** 2
    weight = (sigmas**2 + 0.04) / (sigmas * 0.2) ** 2
    torch.testing.assert_close(first, (error.mean(dim=(1, 2)) * weight).mean())


# --- MSDM checkpoint keys (synthetic state dicts) ----------------------------------------------


def _lightning_state_dict(net: nn.Module) -> dict[str, torch.Tensor]:
    state = net.state_dict()
    return {
        **{f"model.unet.{k}": v for k, v in state.items()},
        **{f"model.diffusion.net.{k}": v.clone() for k, v in state.items()},
    }


def test_msdm_keys_strip_and_check_duplicates():
    net = UNet1d(**TINY)
    unet = msdm_state_dict_to_unet(_lightning_state_dict(net))
    UNet1d(**TINY).load_state_dict(unet, strict=True)
    assert unet.keys() == net.state_dict().keys()
    bare = {k[len("model.") :]: v for k, v in _lightning_state_dict(net).items()}
    assert msdm_state_dict_to_unet(bare).keys() == unet.keys()


def test_msdm_keys_errors():
    state = _lightning_state_dict(UNet1d(**TINY))
    changed = dict(state)
    changed["model.diffusion.net.to_in.module_list.0.block.block1.project.bias"] = (
        torch.zeros_like(changed["model.diffusion.net.to_in.module_list.0.block.block1.project.bias"]) + 1
    )
    with pytest.raises(ValueError, match="differ in 1 tensors"):
        msdm_state_dict_to_unet(changed)
    with pytest.raises(ValueError, match="different names"):
        msdm_state_dict_to_unet(
            {k: v for k, v in state.items() if not k.endswith("to_time.0.0.weights") or k.startswith("model.unet.")}
        )
    with pytest.raises(ValueError, match="outside"):
        msdm_state_dict_to_unet({**state, "model.ema.x": torch.zeros(1)})
    with pytest.raises(ValueError, match="no 'unet.'"):
        msdm_state_dict_to_unet({})


def test_msdm_hyper_parameters():
    hparams = dict(
        SECTION9,
        learning_rate=1e-4,
        beta1=0.9,
        beta2=0.99,
        diffusion_sigma_data=0.2,
        diffusion_dynamic_threshold=0.0,
        diffusion_sigma_distribution={"mean": -3.0, "std": 1.0},
    )
    del hparams["use_context_time"]  # filled in from the package defaults, as in MSDM's config
    assert UNet1d(**msdm_unet_config(hparams)).config == UNet1d(**SECTION9).config
    assert msdm_denoiser_kwargs(hparams) == dict(sigma_data=0.2, clamp=True, log_sigma_mean=-3.0, log_sigma_std=1.0)
    with pytest.raises(ValueError, match="dynamic_threshold"):
        msdm_denoiser_kwargs(dict(hparams, diffusion_dynamic_threshold=0.95))


# --- against the audio-diffusion-pytorch 0.0.43 oracle ----------------------------------------


@pytest.fixture(scope="module", params=list(CONFIGS))
def matched(request):
    """(config, oracle AudioDiffusionModel, our EDMDenoiser(UNet1d) loaded with the oracle's weights)."""
    config = CONFIGS[request.param]
    oracle = _oracle_model(config)
    ours = UNet1d(**config).eval()
    ours.load_state_dict(oracle.unet.state_dict(), strict=True)
    return config, oracle, EDMDenoiser(ours, sigma_data=0.2).eval()


def test_oracle_state_dict_layout(matched):
    config, oracle, denoiser = matched
    theirs = {k: v.shape for k, v in oracle.unet.state_dict().items()}
    assert theirs == {k: v.shape for k, v in denoiser.net.state_dict().items()}
    whole = oracle.state_dict()
    # AudioDiffusionModel stores its UNet twice and nothing else.
    assert set(whole) == {f"unet.{k}" for k in theirs} | {f"diffusion.net.{k}" for k in theirs}
    assert {f"net.{k}" for k in theirs} == set(denoiser.state_dict())


def test_oracle_network_output(matched):
    config, oracle, denoiser = matched
    x = _input(config)
    time = torch.tensor([-2.0, 0.3])
    with torch.no_grad():
        torch.testing.assert_close(denoiser.net(x, time), oracle.unet(x, time), atol=1e-5, rtol=0)


@pytest.mark.parametrize("sigma", SIGMAS)
def test_oracle_denoise_fn(matched, sigma):
    config, oracle, denoiser = matched
    x = sigma * _input(config) + 0.3 * torch.randn(_input(config).shape, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        torch.testing.assert_close(denoiser(x, sigma), oracle.diffusion.denoise_fn(x, sigma=sigma), atol=1e-5, rtol=0)


def test_oracle_out_channels():
    oracle = pytest.importorskip("audio_diffusion_pytorch")
    config = dict(TINY_VARIANT, out_channels=2)
    theirs = oracle.UNet1d(**config).eval()
    ours = UNet1d(**config).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    x, time = _input(config), torch.tensor([0.0, 1.0])
    with torch.no_grad():
        out = ours(x, time)
        assert out.shape == (2, 2, x.shape[-1])
        torch.testing.assert_close(out, theirs(x, time), atol=1e-5, rtol=0)


def test_oracle_training_loss():
    oracle = _oracle_model(TINY)
    denoiser = EDMDenoiser(UNet1d(**TINY), sigma_data=0.2)
    denoiser.net.load_state_dict(oracle.unet.state_dict(), strict=True)
    x0 = (0.3 * _input(TINY)).clamp(-1, 1)
    torch.manual_seed(5)
    expected = oracle(x0)
    torch.manual_seed(5)
    torch.testing.assert_close(denoiser.loss(x0), expected, atol=1e-6, rtol=1e-5)


def test_oracle_lightning_checkpoint_converts_and_round_trips(tmp_path):
    oracle = _oracle_model(TINY)
    holder = nn.Module()
    holder.model = oracle  # the LightningModule attribute of MSDM's training module
    unet_state = msdm_state_dict_to_unet(holder.state_dict())
    hparams = dict(TINY, learning_rate=1e-4, diffusion_sigma_data=0.2, diffusion_dynamic_threshold=0.0)
    net = UNet1d(**msdm_unet_config(hparams))
    net.load_state_dict(unet_state, strict=True)
    reloaded = from_pretrained(save_pretrained(net, tmp_path / "msdm_tiny"))
    denoiser = EDMDenoiser(reloaded, **msdm_denoiser_kwargs(hparams))
    x = _input(TINY)
    with torch.no_grad():
        torch.testing.assert_close(denoiser(x, 0.5), oracle.diffusion.denoise_fn(x, sigma=0.5), atol=1e-5, rtol=0)
