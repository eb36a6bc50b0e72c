"""The musdb18 recipe (egs/musdb18/s5) end to end on a fake MUSDB18-HQ tree with a tiny prior whose stems are
MUSDB's in another order: the data, the separations and the scores all follow the prior's stems."""

from __future__ import annotations

import json
from pathlib import Path

import soundfile

from tests.corpora.test_musdb import make_musdb_hq, tiny_prior
from tests.recipes.test_slakh_recipe import copy_recipe, run_recipe

RECIPE = Path(__file__).resolve().parents[2] / "egs" / "musdb18" / "s5"


def test_tiny_run_end_to_end(tmp_path):
    recipe = copy_recipe(RECIPE, tmp_path / "s5")
    prior = tiny_prior(tmp_path / "prior")
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "separate_dirac.conf").write_text("--steps 2\n--device cpu\n")
    run_recipe(
        recipe,
        "--prior",
        str(prior),
        "--samplers",
        "dirac",
        "--nj",
        "1",
        "--conf_dir",
        str(conf),
        "--max_tracks",
        "1",
        "--score_opts",
        "--no-museval",
        env={"MUSDB18HQ": str(make_musdb_hq(tmp_path / "musdb", seconds=0.5))},
    )
    spk3 = (recipe / "data" / "test" / "spk3.scp").read_text()
    assert spk3.startswith("A_Band_-_First_Song ") and spk3.rstrip().endswith("/A_Band_-_First_Song/vocals.wav")
    separated = recipe / "exp" / "separate_dirac" / "A_Band_-_First_Song"
    for stem in ("bass", "drums", "vocals", "other"):
        assert soundfile.info(separated / f"{stem}.wav").frames == round(0.5 * 22050)
    summary = json.loads((recipe / "exp" / "score_dirac" / "summary.json").read_text())
    assert summary["stems"] == ["bass", "drums", "vocals", "other"] and summary["tracks_scored"] == 1
    assert "| dirac |" in (recipe / "exp" / "RESULTS.md").read_text()
