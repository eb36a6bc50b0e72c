"""The faces recipe (egs/faces/s5) end to end on 2 test faces with a random tiny prior and a 5-step sampler
(training is tested in tests/images/test_diffusers_priors.py); the ffhq recipe's one-line failures without
its folders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("skimage")
pytest.importorskip("diffusers")

REPO = Path(__file__).resolve().parents[2]
TINY_MGDM = "--steps 5\n--grad-steps 1\n--set denoising_steps=2\n--device cpu\n"


def _copy_recipe(name: str, destination: Path) -> Path:
    """The recipe's own files copied (so data/ and exp/ land in ``destination``), its links (steps/, utils/,
    shared scripts) pointing where the repository's do."""
    source = REPO / "egs" / name / "s5"
    shutil.copytree(source, destination, symlinks=True)
    for link in destination.iterdir():
        if link.is_symlink():
            link.unlink()
            link.symlink_to((source / link.name).resolve())
    return destination


def _run(recipe: Path, *options: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "OMP_NUM_THREADS"}
    return subprocess.run(
        ["./run.sh", *options], cwd=recipe, capture_output=True, text=True, env={**environment, **(env or {})}
    )


def _tiny_prior(folder: Path, size: int) -> Path:
    """A randomly initialised 2-level grey diffusers UNet of ``size`` × ``size`` pixels with its scheduler, in
    ``folder``."""
    from diffusers import DDPMScheduler, UNet2DModel

    UNet2DModel(
        sample_size=size,
        in_channels=1,
        out_channels=1,
        block_out_channels=(8, 16),
        layers_per_block=1,
        norm_num_groups=4,
        down_block_types=("DownBlock2D",) * 2,
        up_block_types=("UpBlock2D",) * 2,
    ).save_pretrained(folder)
    DDPMScheduler().save_pretrained(folder)
    return folder


def test_faces_recipe_restores_scores_and_reports(tmp_path):
    prior = _tiny_prior(tmp_path / "tiny_prior", 24)
    recipe = _copy_recipe("faces", tmp_path / "s5")
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "restore_mgdm.conf").write_text(f"# cheap\n{TINY_MGDM}")
    result = _run(
        recipe,
        "--task",
        "sr4",
        "--samplers",
        "mgdm",
        "--prior",
        str(prior),
        "--max_images",
        "2",
        "--conf_dir",
        str(conf),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert len((recipe / "data" / "train" / "images.scp").read_text().splitlines()) == 50
    assert len((recipe / "data" / "test" / "images.scp").read_text().splitlines()) == 50
    assert (recipe / "exp" / "prior" / "prior_path").read_text().strip() == str(prior)
    summary = json.loads((recipe / "exp" / "score_sr4_mgdm" / "summary.json").read_text())
    assert summary["num_images"] == 2 and summary["task"] == "sr4" and summary["sampler"] == "mgdm"
    assert summary["num_batches"] == 1  # both images restored in one sampler call
    report = (recipe / "exp" / "RESULTS.md").read_text()
    assert "| sr4 | mgdm | 2 |" in report and "(grids/sr4.png)" in report
    assert (recipe / "exp" / "grids" / "sr4.png").is_file()
    page = (recipe / "exp" / "page" / "index.html").read_text()  # stage 5
    assert "<h2>sr4</h2>" in page and "images/sr4/" in page


def test_ffhq_recipe_names_the_missing_folders(tmp_path):
    recipe = _copy_recipe("ffhq", tmp_path / "s5")
    missing = {"FFHQ_DIR": str(tmp_path / "no_images"), "PRIOR_DIR": str(tmp_path / "no_prior")}
    result = _run(recipe, "--task", "sr4", env=missing)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"local/data.sh: image folder {missing['FFHQ_DIR']} not found; set FFHQ_DIR in db.sh to a local FFHQ or "
        "CelebA-HQ folder"
    ]
    result = _run(recipe, "--stage", "1", env=missing)
    assert result.returncode != 0 and f"prior folder or checkpoint {missing['PRIOR_DIR']} not found" in result.stderr


def test_ffhq_recipe_converts_an_adm_checkpoint_once(tmp_path):
    import torch

    from mgdm_audio.image.nets.adm import ADM_PRESETS, ADMUNet, adm_config_from_flags
    from mgdm_audio.image.priors.adm import ADMPrior
    from mgdm_audio.priors import load

    tiny = dict(image_size=32, num_channels=32, num_res_blocks=1, channel_mult="1,2")
    net = ADMUNet(**adm_config_from_flags({**ADM_PRESETS["ffhq256"], **tiny}))
    torch.save(net.state_dict(), tmp_path / "ffhq_tiny.pt")
    recipe = _copy_recipe("ffhq", tmp_path / "s5")
    options = [
        "--stage",
        "1",
        "--stop_stage",
        "1",
        "--convert_opts",
        " ".join(f"--flag {key}={value}" for key, value in tiny.items()),
    ]
    result = _run(recipe, *options, env={"PRIOR_DIR": str(tmp_path / "ffhq_tiny.pt")})
    assert result.returncode == 0, result.stderr
    assert "wrote ADM prior" in result.stdout
    recorded = Path((recipe / "exp" / "prior" / "prior_path").read_text().strip())
    assert recorded == (recipe / "exp" / "prior" / "adm").resolve()
    prior = load(recorded)
    assert isinstance(prior, ADMPrior) and prior.image_shape == (3, 32, 32)
    assert all(torch.equal(prior.net.state_dict()[key], value) for key, value in net.state_dict().items())
    again = _run(recipe, *options, env={"PRIOR_DIR": str(tmp_path / "ffhq_tiny.pt")})
    assert again.returncode == 0 and "wrote ADM prior" not in again.stdout  # converted once
