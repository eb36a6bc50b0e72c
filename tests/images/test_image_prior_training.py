"""mgdm train-image-prior's checkpoints (a resumed run equals an uninterrupted one, bit for bit) and the
held-out denoising measurement (against the exact denoiser of a Gaussian prior)."""

from __future__ import annotations

import csv
import json
import math

import pytest
import torch

pytest.importorskip("diffusers")
from safetensors.torch import load_file  # noqa: E402

from mgdm_audio.core.priors import GaussianMixture  # noqa: E402
from mgdm_audio.core.schedules import linear_beta_table  # noqa: E402
from mgdm_audio.image.restoration.denoising import denoising_rows, denoising_table, nearest_level  # noqa: E402
from mgdm_audio.image.restoration.train_prior import ImagePriorSettings, train_image_prior  # noqa: E402

WEIGHTS = "prior/diffusion_pytorch_model.safetensors"


def tiny_settings(**changes) -> ImagePriorSettings:
    return ImagePriorSettings(
        **{
            **dict(
                resolution=8,
                block_out_channels=(8, 16),
                norm_num_groups=4,
                batch_size=3,
                log_every=2,
                warmup_steps=2,
                max_shift=1,
                threads=1,
                checkpoint_every=2,
                ema_decay=0.9,
            ),
            **changes,
        }
    )


@pytest.fixture(scope="module")
def images():
    return torch.rand(5, 1, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1


def _losses(folder) -> list[tuple[str, str]]:
    with open(folder / "train_log.csv", newline="") as handle:
        return [(row["step"], row["loss"]) for row in csv.DictReader(handle)]


def test_a_resumed_run_equals_an_uninterrupted_one(tmp_path, images):
    straight, split = tmp_path / "straight", tmp_path / "split"
    train_image_prior(images, straight, tiny_settings(steps=7))
    first = train_image_prior(images, split, tiny_settings(steps=3))  # stops between checkpoints and log rows
    assert first["steps"] == 3 and (split / "checkpoint.pt").is_file()
    facts = train_image_prior(images, split, tiny_settings(steps=7))
    assert facts["steps"] == 7
    ours, theirs = load_file(straight / WEIGHTS), load_file(split / WEIGHTS)
    assert ours.keys() == theirs.keys() and all(torch.equal(ours[key], theirs[key]) for key in ours)
    assert _losses(split) == _losses(straight) and [step for step, _ in _losses(split)] == ["2", "4", "6", "7"]
    # A rerun of a finished run trains no further and writes the same prior.
    again = train_image_prior(images, split, tiny_settings(steps=7))
    assert again["steps"] == 7 and torch.equal(load_file(split / WEIGHTS)["conv_in.weight"], ours["conv_in.weight"])


def test_resuming_with_other_settings_or_data_fails_naming_the_checkpoint(tmp_path, images):
    train_image_prior(images, tmp_path, tiny_settings(steps=2))
    with pytest.raises(ValueError, match=r"checkpoint\.pt: written with other settings \(lr 0\.001\)"):
        train_image_prior(images, tmp_path, tiny_settings(steps=4, lr=0.01))
    with pytest.raises(ValueError, match=r"checkpoint\.pt: written for 5 training images, not 4"):
        train_image_prior(images[:4], tmp_path, tiny_settings(steps=4))


def test_training_measures_held_out_denoising(tmp_path, images):
    facts = train_image_prior(images, tmp_path, tiny_settings(steps=2), valid=images[:2])
    rows = json.loads((tmp_path / "denoising.json").read_text())
    assert rows == facts["denoising"] and [row["sigma"] for row in rows] == [0.05, 0.1, 0.2, 0.5, 1.0]
    assert json.loads((tmp_path / "training.json").read_text())["denoising"] == rows


def gaussian_prior(variance: float, dim: int) -> GaussianMixture:
    return GaussianMixture(
        [1.0], torch.zeros(1, dim), torch.full((1, dim), variance), alphas_cumprod=linear_beta_table()
    )


@pytest.mark.parametrize("sigma", [0.05, 0.2, 1.0])
def test_nearest_level_matches_the_noise_level(sigma):
    prior = gaussian_prior(0.25, 4)
    level = nearest_level(prior, sigma)
    level_sigma = math.sqrt((1 - prior.alpha_bar(level)) / prior.alpha_bar(level))
    neighbours = [math.sqrt((1 - prior.alpha_bar(i)) / prior.alpha_bar(i)) for i in (level - 1, level + 1)]
    assert all(abs(math.log(level_sigma / sigma)) <= abs(math.log(other / sigma)) for other in neighbours)


def test_denoising_of_a_gaussian_prior_matches_the_closed_form():
    """x_0 ~ N(0, v I): the exact denoiser's MSE at noise σ is v σ² / (v + σ²), the identity's σ²."""
    variance, dim = 0.25, 64
    prior = gaussian_prior(variance, dim)
    clean = variance**0.5 * torch.randn(4000, dim, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    rows = denoising_rows(prior, clean, sigmas=(0.05, 0.2, 1.0), seed=2)
    for row in rows:
        sigma2 = row["level_sigma"] ** 2
        assert row["mse"] == pytest.approx(variance * sigma2 / (variance + sigma2), rel=0.02)
        assert row["identity_mse"] == pytest.approx(sigma2, rel=0.02)
        # Per-item PSNR over 64 coordinates: its mean is within 0.1 dB of the PSNR of the mean MSE.
        assert row["psnr"] == pytest.approx(10 * math.log10(4 * (variance + sigma2) / (variance * sigma2)), abs=0.1)
        assert 0 < row["psnr_ci95"] < 0.1
    assert rows == denoising_rows(prior, clean, sigmas=(0.05, 0.2, 1.0), seed=2)  # seeded
    table = denoising_table(rows).splitlines()
    assert len(table) == 5 and table[2].startswith("| 0.05 (0.050, ")


def test_denoising_rejects_a_non_positive_noise_level():
    with pytest.raises(ValueError, match="noise level must be positive, got 0"):
        nearest_level(gaussian_prior(1.0, 2), 0)


def test_image_denoising_command_prints_the_table_of_a_trained_prior(tmp_path, images, capsys):
    from PIL import Image

    from mgdm_audio.cli import main

    train_image_prior(images, tmp_path / "run", tiny_settings(steps=2))
    lines = []
    for index, image in enumerate(images[:3]):
        path = tmp_path / f"image{index}.png"
        Image.fromarray(((image[0] + 1) * 127.5).round().byte().numpy(), "L").save(path)
        lines.append(f"image{index} {path}")
    (tmp_path / "images.scp").write_text("\n".join(lines) + "\n")
    assert (
        main(
            [
                "image-denoising",
                str(tmp_path / "run" / "prior"),
                str(tmp_path / "images.scp"),
                "--sigmas",
                "0.1",
                "1",
                "--json",
                str(tmp_path / "rows.json"),
            ]
        )
        == 0
    )
    output = capsys.readouterr().out.splitlines()
    assert output[0] == f"3 images of {tmp_path / 'images.scp'}, noise seed 0:"
    assert len(output) == 5 and output[3].startswith("| 0.1 (") and output[4].startswith("| 1 (")
    assert [row["sigma"] for row in json.loads((tmp_path / "rows.json").read_text())] == [0.1, 1.0]
    assert main(["image-denoising", str(tmp_path / "run" / "prior"), str(tmp_path / "missing.scp")]) == 1
    assert capsys.readouterr().err.startswith(f"mgdm image-denoising: error: {tmp_path / 'missing.scp'}")


def test_packaged_photo_prior_denoises_a_held_out_photo():
    """image_photos32 on 32 × 32 patches of scikit-image's camera (a validation photo, never trained on), resized
    as egs/photos/s5 does: at σ = 0.2 it gains well over 5 dB (8.3 dB measured on its 91 validation patches)."""
    skimage_data = pytest.importorskip("skimage.data")
    import numpy as np
    from PIL import Image

    from mgdm_audio.priors import load

    prior = load("image_photos32")
    assert prior.image_shape == (1, 32, 32) and prior.default_preset == "image_pixel"
    photo = Image.fromarray(skimage_data.camera()).resize((192, 192), Image.Resampling.BICUBIC)
    array = torch.from_numpy(np.asarray(photo, dtype=np.float32)) / 127.5 - 1
    patches = torch.stack([array[r : r + 32, c : c + 32] for r in range(0, 192, 32) for c in range(0, 192, 32)])[
        :, None
    ]
    (row,) = denoising_rows(prior, patches, sigmas=(0.2,))
    assert row["psnr"] - row["identity_psnr"] > 5.0


def test_a_step_count_below_one_is_refused_in_one_line(tmp_path, capsys):
    from mgdm_audio.cli import main

    scp = tmp_path / "images.scp"
    scp.write_text("")
    assert main(["train-image-prior", str(scp), str(tmp_path / "out"), "--checkpoint-every", "0"]) == 1
    assert capsys.readouterr().err.strip() == "mgdm train-image-prior: error: checkpoint-every must be >= 1, got 0"
