"""Diffusers image priors (pixel and latent) against diffusers' own definitions, loaded from every layout."""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import pytest
import torch

diffusers = pytest.importorskip("diffusers")
from diffusers import AutoencoderKL, DDPMPipeline, DDPMScheduler, LDMPipeline, UNet2DModel, VQModel  # noqa: E402

import mgdm_audio as ma  # noqa: E402
from mgdm_audio.image.operators import make_task  # noqa: E402
from mgdm_audio.priors import DiffusersLatentPrior, DiffusersPixelPrior, load  # noqa: E402

PREDICTIONS = ("epsilon", "v_prediction", "sample")


def tiny_unet(channels: int = 1, size: int = 8, out_channels: int | None = None) -> UNet2DModel:
    torch.manual_seed(0)
    return UNet2DModel(
        sample_size=size,
        in_channels=channels,
        out_channels=out_channels or channels,
        block_out_channels=(8, 16),
        layers_per_block=1,
        norm_num_groups=4,
        down_block_types=("DownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "UpBlock2D"),
    )


def scheduler(prediction_type: str = "epsilon") -> DDPMScheduler:
    # clip_sample off: diffusers' x̂0 is then exactly the parametrisation's, as the prior's.
    return DDPMScheduler(
        num_train_timesteps=1000, beta_schedule="linear", prediction_type=prediction_type, clip_sample=False
    )


def tiny_autoencoder(kind: str) -> torch.nn.Module:
    torch.manual_seed(1)
    common = dict(
        in_channels=3,
        out_channels=3,
        block_out_channels=(8, 16),
        layers_per_block=1,
        latent_channels=2,
        norm_num_groups=4,
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        sample_size=16,
    )
    if kind == "vq":
        return VQModel(num_vq_embeddings=8, **common)
    return AutoencoderKL(scaling_factor=0.5, **common)


class OracleUNet(torch.nn.Module):
    """Returns diffusers' training target for known (x0, ε) at the timestep it is called with."""

    def __init__(self, x0, noise, prediction_type, schedule):
        super().__init__()
        self.x0, self.noise, self.prediction_type, self.schedule = x0, noise, prediction_type, schedule
        self.config = SimpleNamespace(sample_size=x0.shape[-1], in_channels=x0.shape[1], out_channels=x0.shape[1])
        self.timesteps = []

    def forward(self, x, timestep):
        self.timesteps.append(timestep)
        targets = {
            "epsilon": self.noise,
            "sample": self.x0,
            "v_prediction": self.schedule.get_velocity(self.x0, self.noise, timestep),
        }
        return SimpleNamespace(sample=targets[self.prediction_type])


@pytest.mark.parametrize("prediction_type", PREDICTIONS)
@pytest.mark.parametrize("timestep", [0, 1, 499, 999])
def test_x0_and_eps_recover_the_clean_image_and_noise_diffusers_noised(prediction_type, timestep):
    schedule = scheduler(prediction_type)
    generator = torch.Generator().manual_seed(timestep)
    x0 = torch.rand(2, 1, 8, 8, generator=generator) * 2 - 1
    noise = torch.randn(2, 1, 8, 8, generator=generator)
    steps = torch.full((2,), timestep)
    x_t = schedule.add_noise(x0, noise, steps)
    oracle = OracleUNet(x0, noise, prediction_type, schedule)
    prior = DiffusersPixelPrior(oracle, schedule.alphas_cumprod, prediction_type)
    index = timestep + 1  # table index i <-> diffusers timestep i - 1
    torch.testing.assert_close(prior.x0(x_t, index), x0, atol=2e-3 if timestep == 999 else 1e-4, rtol=0)
    torch.testing.assert_close(prior.eps(x_t, index), noise, atol=1e-4, rtol=0)
    assert oracle.timesteps[0].tolist() == [timestep, timestep]
    torch.testing.assert_close(
        prior.score(x_t, index), -noise / (1 - schedule.alphas_cumprod[timestep]).sqrt(), atol=1e-3, rtol=1e-4
    )


def _save_pipeline(tmp_path, prediction_type="epsilon", unet=None):
    folder = tmp_path / f"pixel_{prediction_type}"
    DDPMPipeline(unet=unet or tiny_unet(), scheduler=scheduler(prediction_type)).save_pretrained(folder)
    return folder


@pytest.mark.parametrize("prediction_type", PREDICTIONS)
def test_loaded_pixel_prior_matches_the_schedulers_clean_estimate(tmp_path, prediction_type):
    folder = _save_pipeline(tmp_path, prediction_type)
    prior = load(folder)
    assert isinstance(prior, DiffusersPixelPrior) and not prior.training
    assert prior.event_shape == prior.image_shape == (1, 8, 8)
    assert prior.default_preset == "image_pixel" and prior.prediction_type == prediction_type
    schedule = DDPMScheduler.from_pretrained(folder / "scheduler")
    torch.testing.assert_close(prior.alphas_cumprod[1:], schedule.alphas_cumprod.double())
    unet = UNet2DModel.from_pretrained(folder / "unet")
    x = torch.randn(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    for timestep in (0, 250, 999):
        with torch.no_grad():
            output = unet(x, timestep).sample
            expected = schedule.step(output, timestep, x).pred_original_sample
            torch.testing.assert_close(prior.x0(x, timestep + 1), expected, atol=1e-4, rtol=1e-4)
            expected_eps = (x - schedule.alphas_cumprod[timestep].sqrt() * expected) / (
                1 - schedule.alphas_cumprod[timestep]
            ).sqrt()
            torch.testing.assert_close(prior.eps(x, timestep + 1), expected_eps, atol=1e-3, rtol=1e-3)


def test_single_model_and_bare_unet_layouts_load_the_same_prior(tmp_path):
    pipeline = _save_pipeline(tmp_path)
    # google/ddpm-*: model_index.json next to the UNet's files and scheduler_config.json at the top.
    flat = tmp_path / "flat"
    shutil.copytree(pipeline / "unet", flat)
    shutil.copy(pipeline / "scheduler" / "scheduler_config.json", flat)
    shutil.copy(pipeline / "model_index.json", flat)
    bare = tmp_path / "bare"
    shutil.copytree(flat, bare)
    (bare / "model_index.json").unlink()
    x = torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        reference = load(pipeline).x0(x, 700)
        for folder in (flat, bare):
            torch.testing.assert_close(load(folder).x0(x, 700), reference)


def test_learned_variance_outputs_keep_the_mean_half(tmp_path):
    unet = tiny_unet(out_channels=2)
    folder = _save_pipeline(tmp_path, unet=unet)
    prior = load(folder)
    x = torch.randn(1, 1, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(prior.predict(x, 10), unet(x, 9).sample[:, :1])


@pytest.mark.parametrize("kind", ["vq", "kl"])
def test_latent_prior_decodes_as_its_pipeline_does(tmp_path, kind):
    autoencoder = tiny_autoencoder(kind)
    folder = tmp_path / kind
    unet = tiny_unet(channels=2)
    if kind == "vq":
        LDMPipeline(vqvae=autoencoder, unet=unet, scheduler=scheduler()).save_pretrained(folder)
    else:  # a Stable-Diffusion-like folder: the autoencoder under vae/
        DDPMPipeline(unet=unet, scheduler=scheduler()).save_pretrained(folder)
        autoencoder.save_pretrained(folder / "vae")
    prior = load(folder)
    assert isinstance(prior, DiffusersLatentPrior) and prior.default_preset == "image_latent"
    assert prior.event_shape == (2, 8, 8) and prior.image_shape == (3, 16, 16)
    z = torch.randn(2, 2, 8, 8, generator=torch.Generator().manual_seed(2), requires_grad=True)
    image = prior.decode(z)
    with torch.no_grad():
        if kind == "vq":
            expected = autoencoder.decode(z, force_not_quantize=True).sample
            quantized = autoencoder.decode(z).sample
            assert not torch.allclose(expected, quantized, atol=1e-3)  # the codebook was skipped, not used
        else:
            expected = autoencoder.decode(z / 0.5).sample  # UNet latents are z_vae · scaling_factor
    torch.testing.assert_close(image, expected, atol=1e-5, rtol=1e-5)
    image.square().sum().backward()
    assert z.grad.abs().sum() > 0  # the likelihood can be differentiated through the decoder


def test_short_samplers_run_on_pixel_and_latent_priors(tmp_path):
    pixel = load(_save_pipeline(tmp_path))
    folder = tmp_path / "ldm"
    LDMPipeline(vqvae=tiny_autoencoder("vq"), unet=tiny_unet(channels=2), scheduler=scheduler()).save_pretrained(folder)
    latent = load(folder)
    for prior in (pixel, latent):
        operator = make_task("sr4", prior.image_shape)
        truth = torch.rand(1, *prior.image_shape, generator=torch.Generator().manual_seed(3)) * 2 - 1
        y = operator(truth)[0]
        for sampler, settings in (("mgdm", dict(steps=6, grad_steps=2, denoising_steps=3)), ("dps", dict(steps=5))):
            samples = ma.sample(prior, operator, y, 0.05, sampler=sampler, num_samples=2, seed=0, **settings)
            assert samples.shape == (2, *prior.image_shape) and torch.isfinite(samples).all()


def test_bad_directories_fail_with_the_file_named(tmp_path):
    folder = _save_pipeline(tmp_path)
    shutil.rmtree(folder / "scheduler")
    with pytest.raises(FileNotFoundError, match="scheduler_config.json"):
        load(folder)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "model_index.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match=r"unet/config\.json"):
        load(empty)
    conditional = _save_pipeline(tmp_path / "c")
    config = json.loads((conditional / "unet" / "config.json").read_text())
    (conditional / "unet" / "config.json").write_text(json.dumps({**config, "_class_name": "UNet2DConditionModel"}))
    with pytest.raises(ValueError, match="text-conditioned"):
        load(conditional)


def test_training_writes_a_loadable_prior_and_its_loss_log(tmp_path):
    from mgdm_audio.image.restoration.train_prior import ImagePriorSettings, train_image_prior

    settings = ImagePriorSettings(
        resolution=8,
        block_out_channels=(8, 16),
        steps=3,
        batch_size=2,
        log_every=2,
        warmup_steps=1,
        max_shift=1,
        threads=1,
    )
    images = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1
    facts = train_image_prior(images, tmp_path, settings)
    assert facts["steps"] == 3 and facts["num_images"] == 4
    log = (tmp_path / "train_log.csv").read_text().splitlines()
    assert log[0] == "step,loss,seconds" and [row.split(",")[0] for row in log[1:]] == ["2", "3"]
    prior = load(tmp_path / "prior")
    assert isinstance(prior, DiffusersPixelPrior) and prior.image_shape == (1, 8, 8)
    assert prior.prediction_type == "epsilon"
    torch.testing.assert_close(prior.alphas_cumprod[1:], scheduler().alphas_cumprod.double())  # linear β


def test_packaged_image_prior_denoises_faces():
    skimage_data = pytest.importorskip("skimage.data")
    prior = load("image_default")
    assert isinstance(prior, DiffusersPixelPrior) and prior.image_shape == (1, 24, 24)
    assert prior.default_preset == "image_pixel"
    faces = torch.from_numpy(skimage_data.lfw_subset()[:100:10]).float()[:, None] * 2 - 1
    faces = torch.nn.functional.interpolate(faces, size=(24, 24), mode="bicubic", align_corners=False)
    index = 300  # ᾱ ≈ 0.4: noise std about 1.2 times the signal's scale
    a = prior.alpha_bar(index)
    noisy = a**0.5 * faces + (1 - a) ** 0.5 * torch.randn(faces.shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        error = (prior.x0(noisy, index) - faces).pow(2).mean()
    assert error < 0.1 * (noisy / a**0.5 - faces).pow(2).mean()  # measured 0.04: far better than unscaling
