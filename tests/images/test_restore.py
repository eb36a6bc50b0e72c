"""``mgdm restore`` on a tiny diffusers prior: outputs, sidecar, scores, seeding, errors and resume."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
from PIL import Image

pytest.importorskip("diffusers")

from mgdm_audio.cli import main  # noqa: E402
from mgdm_audio.cli import restore as restore_cli  # noqa: E402
from mgdm_audio.core.noise import standard_normal  # noqa: E402
from mgdm_audio.image.metrics import ssim  # noqa: E402

FAST = ["--steps", "5", "--grad-steps", "1", "--sampler", "mgdm"]


@pytest.fixture
def images(tmp_path):
    """A 16 x 16 grey PNG, a 30 x 20 (width x height) RGB JPEG (fitted with notices), a text file and a missing file."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8), "L").save(folder / "grey.png")
    Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8), "RGB").save(folder / "colour.jpg")
    (folder / "notes.png").write_text("not an image")
    return {
        "grey": folder / "grey.png",
        "colour": folder / "colour.jpg",
        "text": folder / "notes.png",
        "missing": folder / "missing.png",
    }


def _png(path) -> np.ndarray:
    return np.asarray(Image.open(path), dtype=np.float64) / 255.0


def _restore(prior_dir, out, *args):
    return main(["restore", "--prior", str(prior_dir), "-o", str(out), *FAST, *args])


def test_good_images_are_restored_and_bad_ones_named(prior_dir, images, tmp_path, capsys):
    out = tmp_path / "out"
    empty = tmp_path / "empty"
    empty.mkdir()
    status = _restore(
        prior_dir,
        out,
        "--task",
        "denoise",
        "--seed",
        "7",
        *(str(images[name]) for name in ("grey", "text", "colour", "missing")),
        str(empty),
    )
    err = capsys.readouterr().err
    assert status == 1 and f"{empty}: folder without .png/.jpg/.jpeg files" in err
    assert f"{images['text']}: not an image" in err and f"{images['missing']}: no such file" in err
    assert f"{images['colour']}: RGB converted to L" in err and "30x20 resized to cover 16x16" in err
    root = out / "tiny_faces" / "denoise"
    assert sorted(p.name for p in root.iterdir()) == ["colour", "grey"]
    for position, name in ((0, "grey"), (2, "colour")):
        folder = root / name
        for file in ("input.png", "observation.png", "restored.png", "grid.png", "restore.json"):
            assert (folder / file).is_file()
        record = json.loads((folder / "restore.json").read_text())
        assert record["settings"]["task"] == "denoise" and record["settings"]["position"] == position
        assert record["observation_seed"] == 7 + position and record["sampler_settings"]["steps"] == 5
        clean, restored = _png(folder / "input.png"), _png(folder / "restored.png")
        assert record["psnr_db"] == pytest.approx(10 * np.log10(1 / np.mean((clean - restored) ** 2)), abs=1e-9)
        as_batch = [torch.from_numpy(image)[None, None] for image in (restored, clean)]
        assert record["ssim"] == pytest.approx(float(ssim(*as_batch)[0]), abs=1e-9)
        # Denoising observes x + σ_y ε with ε from a generator seeded seed + position.
        noise = (
            standard_normal(
                (1, 16, 16), torch.Generator().manual_seed(7 + position), torch.float32, torch.device("cpu")
            )[0]
            .numpy()
            .astype(np.float64)
        )
        expected = np.clip(np.round((np.clip(clean * 2 - 1 + 0.05 * noise, -1, 1) + 1) * 127.5), 0, 255) / 255
        assert np.abs(_png(folder / "observation.png") - expected).max() <= 1 / 255 + 1e-9
    assert (
        np.asarray(Image.open(root / "grey" / "input.png")).tolist() == np.asarray(Image.open(images["grey"])).tolist()
    )  # an image of the prior's size is used as it is


def test_unknown_task_and_unusable_task_exit_with_one_line(prior_dir, images, tmp_path, capsys):
    assert _restore(prior_dir, tmp_path / "out", "--task", "colourise", str(images["grey"])) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown task 'colourise'" in err[0] and "sr4" in err[0]
    assert _restore(prior_dir, tmp_path / "out", "--task", "sr16", "--zeta", "1", str(images["grey"])) == 2
    assert "--zeta: sampler mgdm has no setting 'zeta'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.fixture
def restored(monkeypatch):
    """Names of the images each ``mgdm restore`` call restored (one list per call), recorded at the batch call."""
    calls = []
    original = restore_cli.restore_batch

    def recording(prior, runner, operator, settings, batch, device, progress=None):
        calls[-1] += [job.path.name for job in batch]
        return original(prior, runner, operator, settings, batch, device, progress)

    monkeypatch.setattr(restore_cli, "restore_batch", recording)

    def run(*arguments):
        calls.append([])
        assert main(["restore", *arguments]) == 0
        return calls[-1]

    return run


def test_resume_skips_equal_settings_and_redoes_changed_ones(prior_dir, images, tmp_path, capsys, restored):
    arguments = ["--prior", str(prior_dir), "-o", str(tmp_path / "out"), *FAST, "--task", "sr4", str(images["grey"])]
    sidecar = tmp_path / "out" / "tiny_faces" / "sr4" / "grey" / "restore.json"
    assert restored(*arguments) == ["grey.png"]
    assert restored(*arguments, "--resume") == []
    assert "already restored" in capsys.readouterr().err
    assert restored(*arguments, "--resume", "--seed", "1") == ["grey.png"]
    assert json.loads(sidecar.read_text())["settings"]["seed"] == 1
    assert restored(*arguments, "--seed", "1") == ["grey.png"]  # without --resume: restored again


def test_resume_sees_an_input_rewritten_with_the_same_size_and_time(prior_dir, images, tmp_path, restored):
    """The resume key holds the input's content: new pixels behind an unchanged size and modification time
    (a rewrite within one clock tick) are restored again."""
    arguments = ["--prior", str(prior_dir), "-o", str(tmp_path / "out"), *FAST, "--task", "sr4", "--resume"]
    path = images["grey"]
    pixels = np.asarray(Image.open(path))
    Image.fromarray(pixels).save(path, compress_level=0)  # stored uncompressed: the size depends on the shape only
    assert restored(*arguments, str(path)) == ["grey.png"]
    stat = path.stat()
    Image.fromarray(255 - pixels).save(path, compress_level=0)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    assert restored(*arguments, str(path)) == ["grey.png"]
    assert restored(*arguments, str(path)) == []


def test_several_draws_are_written_and_their_mean_is_the_restoration(prior_dir, images, tmp_path):
    out = tmp_path / "out"
    assert _restore(prior_dir, out, "--task", "half", "-n", "3", str(images["grey"])) == 0
    folder = out / "tiny_faces" / "half" / "grey"
    draws = np.stack([_png(folder / f"sample_{k}.png") for k in range(3)])
    unclipped = ((draws > 0) & (draws < 1)).all(0)  # where saving clipped no draw, the mean is exact
    assert unclipped.mean() > 0.5
    assert np.abs(_png(folder / "restored.png") - draws.mean(0))[unclipped].max() <= 2 / 255
    assert not np.allclose(draws[0], draws[1])  # independent draws
