"""``--stage N --stop_stage M`` of the music recipes runs exactly stages N..M: each stage's step scripts are replaced
by stubs that log their name, so the test reads which stages ran (seconds, no audio)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: The scripts each stage calls (with --prior given, protocol msdm for Slakh2100, two samplers).
STAGES = {
    "synth4": [
        "local/data.sh",
        "steps/resolve_prior.sh",
        "steps/separate.sh",
        "steps/score.sh",
        "steps/results.sh",
        "steps/report.sh",
    ],
    "slakh2100": [
        "local/data.sh",
        "steps/resolve_prior.sh",
        "steps/separate_chunks.sh",
        "steps/score.sh",
        "steps/results.sh",
        "steps/report.sh",
    ],
}
STUB = '#!/usr/bin/env bash\necho "$(basename "$(dirname "$0")")/$(basename "$0")" >> "$STAGE_LOG"\n'


def _stubbed_recipe(corpus: str, destination: Path) -> Path:
    """egs/<corpus>/s5's own files (its local/prior.sh too), its utils/ and templates/ linked to the shared ones,
    every other stage script a logging stub."""
    recipe = REPO / "egs" / corpus / "s5"
    destination.mkdir()
    for name in ("run.sh", "path.sh", "cmd.sh", "db.sh", "conf", "local/prior.sh"):
        if (recipe / name).exists():
            (destination / name).parent.mkdir(exist_ok=True)
            (shutil.copytree if (recipe / name).is_dir() else shutil.copy2)(recipe / name, destination / name)
    for name in ("utils", "templates"):
        (destination / name).symlink_to(REPO / "recipes" / name)
    (destination / "steps").mkdir()
    for script in STAGES[corpus]:
        (destination / script).parent.mkdir(exist_ok=True)
        (destination / script).write_text(STUB)
        (destination / script).chmod(0o755)
    (destination / "exp" / "prior").mkdir(parents=True)
    (destination / "exp" / "prior" / "prior_path").write_text("/a/prior\n")  # what stage 1 leaves for stage 2
    return destination


@pytest.mark.parametrize("corpus", sorted(STAGES))
@pytest.mark.parametrize("first, last", [(0, 0), (1, 2), (2, 2), (3, 4), (4, 5), (0, 5), (5, 5)])
def test_stage_options_run_exactly_the_stages_asked_for(tmp_path, corpus, first, last):
    recipe = _stubbed_recipe(corpus, tmp_path / "s5")
    log = tmp_path / "stages.log"
    env = {**os.environ, "STAGE_LOG": str(log)}
    result = subprocess.run(
        [
            "./run.sh",
            "--stage",
            str(first),
            "--stop_stage",
            str(last),
            "--prior",
            "/a/prior",
            "--samplers",
            "mgdm dirac",
        ],
        cwd=recipe,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    ran = log.read_text().split() if log.exists() else []
    per_stage = [[script] * (2 if stage in (2, 3) else 1) for stage, script in enumerate(STAGES[corpus])]
    assert ran == sum(per_stage[first : last + 1], [])
    announced = [line.split(":")[0] for line in result.stdout.splitlines() if line.startswith("stage ")]
    assert announced == [f"stage {n}" for n in range(first, last + 1)]
