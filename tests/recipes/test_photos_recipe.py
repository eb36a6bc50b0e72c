"""The photos recipe (egs/photos/s5) end to end on 2 test patches with a random tiny prior and 5-step samplers:
its data split holds out whole photos, a sampler variant (<sampler>-<variant>) is its own report row, and the
report's paired differences are the per-image differences of the two rows' scores."""

from __future__ import annotations

import csv
import json
import statistics

import pytest

pytest.importorskip("skimage")
pytest.importorskip("sklearn")
pytest.importorskip("diffusers")

from mgdm_audio.common.lists import read_list  # noqa: E402
from tests.recipes.test_faces_recipe import TINY_MGDM, _copy_recipe, _run, _tiny_prior  # noqa: E402


def test_photos_recipe_holds_out_whole_photos_and_reports_sampler_variants(tmp_path):
    prior = _tiny_prior(tmp_path / "tiny_prior", 32)
    recipe = _copy_recipe("photos", tmp_path / "s5")
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "restore_mgdm.conf").write_text(f"# cheap\n{TINY_MGDM}")
    (conf / "restore_mgdm-k4.conf").write_text(TINY_MGDM.replace("--steps 5", "--steps 4"))
    result = _run(
        recipe,
        "--task",
        "box",
        "--samplers",
        "mgdm mgdm-k4",
        "--prior",
        str(prior),
        "--max_images",
        "2",
        "--conf_dir",
        str(conf),
        "--paired",
        "mgdm-k4:mgdm",
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    photos = {split: read_list(recipe / "data" / split / "photos") for split in ("train", "valid", "test")}
    assert [len(photos[split]) for split in ("train", "valid", "test")] == [15, 2, 3]
    assert not (
        photos["train"].keys() & photos["valid"].keys()
        or photos["train"].keys() & photos["test"].keys()
        or photos["valid"].keys() & photos["test"].keys()
    )
    for split, names in photos.items():
        patches = read_list(recipe / "data" / split / "images.scp")
        assert {key.rsplit("_", 1)[0] for key in patches} == set(names)  # every patch from a photo of its split
        assert sum(int(count) for count in names.values()) == len(patches)
    assert len(read_list(recipe / "data" / "test" / "images.scp")) == 50

    default, variant = (
        json.loads((recipe / "exp" / f"score_box_{name}" / "summary.json").read_text()) for name in ("mgdm", "mgdm-k4")
    )
    assert default["sampler"] == variant["sampler"] == "mgdm"
    assert (default["label"], variant["label"]) == ("mgdm", "mgdm-k4")
    assert (default["sampler_settings"]["steps"], variant["sampler_settings"]["steps"]) == (5, 4)
    report = (recipe / "exp" / "RESULTS.md").read_text()
    calls = default["denoiser_calls_per_batch"]
    cost = calls["forward"] + 3 * calls["forward_backward"]
    assert "| box | mgdm | 2 | " in report and "| box | mgdm-k4 | 2 | " in report
    assert f"| {calls['forward']:,} + {calls['forward_backward']:,} ({cost:,}) |" in report

    def scores(name):
        with open(recipe / "exp" / f"score_box_{name}" / "scores.csv", newline="") as handle:
            return {row["image"]: float(row["psnr_db"]) for row in csv.DictReader(handle)}

    variant_scores, default_scores = scores("mgdm-k4"), scores("mgdm")
    differences = [variant_scores[image] - default_scores[image] for image in sorted(default_scores)]
    wins = sum(difference > 0 for difference in differences)
    spread = 1.96 * statistics.stdev(differences) / len(differences) ** 0.5
    assert f"| box | mgdm-k4 − mgdm | 2 | {statistics.fmean(differences):+.2f} ± {spread:.2f} | " in report, report
    assert report.split("| box | mgdm-k4 − mgdm |")[1].split("\n")[0].endswith(f"| {wins} / 2 |")
