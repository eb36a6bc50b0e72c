"""The slakh2100 recipe (egs/slakh2100/s5) end to end on a fake raw Slakh tree and a tiny converted MSDM
checkpoint, with the MSDM protocol; its Slurm launcher through a stand-in ``sbatch``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import soundfile

from tests.corpora.test_slakh import make_raw_slakh

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "egs" / "slakh2100" / "s5"
STEMS = ("bass", "drums", "guitar", "piano")
CHUNK = 8192  # samples: 2 s tracks at 22,050 Hz hold 5 whole chunks and a partial one
TINY_CONF = {"mgdm": "--steps 4\n--gibbs-reps 1\n--grad-steps 1\n"}

# A stand-in for sbatch --wait: runs the array's tasks at once, each task's output to --output (%a: the
# task), and waits; FAKE_SBATCH_SKIP=n leaves task n out, as a task that died before it logged anything.
FAKE_SBATCH = r"""#!/usr/bin/env bash
for argument in "$@"; do
  case "$argument" in
    --array=*) array="${argument#--array=}" ;;
    --output=*) output="${argument#--output=}" ;;
  esac
done
printf '%s\n' "$*" >> "$FAKE_SBATCH_CALLS"
status=0
pids=()
for (( task = ${array%-*}; task <= ${array#*-}; task++ )); do
  if [ "$task" = "${FAKE_SBATCH_SKIP:-}" ]; then status=1; continue; fi
  SLURM_ARRAY_TASK_ID=$task bash "${@: -1}" > "${output//%a/$task}" 2>&1 &
  pids+=("$!")
done
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done
exit $status
"""


def copy_recipe(recipe: Path, destination: Path) -> Path:
    """The recipe's own files copied (so db/, data/ and exp/ land in ``destination``), steps/, utils/ and
    templates/ linked to the shared ones, as in the repository."""
    destination.mkdir()
    for name in ("run.sh", "path.sh", "cmd.sh", "db.sh", "conf", "local"):
        source = recipe / name
        if source.exists():
            (shutil.copytree if source.is_dir() else shutil.copy2)(source, destination / name)
    for name in ("steps", "utils", "templates"):
        (destination / name).symlink_to(REPO / "recipes" / name)
    return destination


def tiny_conf(folder: Path) -> Path:
    folder.mkdir()
    for sampler, text in TINY_CONF.items():
        (folder / f"separate_{sampler}.conf").write_text(f"# cheap settings\n{text}--device cpu\n")
    return folder


def run_recipe(recipe: Path, *options: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "OMP_NUM_THREADS"}
    result = subprocess.run(
        ["./run.sh", *options], cwd=recipe, capture_output=True, text=True, env={**environment, **(env or {})}
    )
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory) -> Path:
    pytest.importorskip("audio_diffusion_pytorch")
    from tests.msdm.test_convert_msdm import TINY, oracle_model, save_lightning_checkpoint

    folder = tmp_path_factory.mktemp("ckpt")
    return save_lightning_checkpoint(oracle_model(TINY, seed=0), TINY, folder / "epoch=1-valid_loss=0.5.ckpt")


def fake_slurm(folder: Path) -> dict[str, str]:
    """Environment selecting cmd.sh's Slurm backend, with :data:`FAKE_SBATCH` as ``sbatch``."""
    folder.mkdir()
    (folder / "sbatch").write_text(FAKE_SBATCH)
    (folder / "sbatch").chmod(0o755)
    return {
        "MGDM_CMD_BACKEND": "slurm",
        "PATH": f"{folder}:{os.environ['PATH']}",
        "FAKE_SBATCH_CALLS": str(folder / "calls"),
    }


def test_msdm_protocol_end_to_end_on_slurm_and_a_rerun_redoes_only_the_failed_job(tmp_path, tiny_checkpoint):
    recipe = copy_recipe(RECIPE, tmp_path / "s5")
    slurm = {**fake_slurm(tmp_path / "bin"), "SLAKH2100": str(make_raw_slakh(tmp_path / "slakh2100"))}
    options = [
        "--nj",
        "2",
        "--conf_dir",
        str(tiny_conf(tmp_path / "tiny_conf")),
        "--chunk",
        str(CHUNK),
        "--samplers",
        "mgdm",
        "--msdm_ckpt",
        str(tiny_checkpoint),
        "--score_opts",
        "--no-museval",
    ]
    # Separation job 2 dies: stage 2 stops, naming its log.
    failed = run_recipe(recipe, *options, env={**slurm, "FAKE_SBATCH_SKIP": "2"}, check=False)
    log_dir = recipe / "exp" / "separate_mgdm" / "chunks" / "log"
    assert failed.returncode != 0
    assert "1 of 2 task(s) failed or did not run, see exp/separate_mgdm/chunks/log/separate.2.log" in failed.stderr
    first = (log_dir / "separate.1.log").read_text()
    assert "separated 5 of 5 file(s)" in first and "Slurm job" in first
    run_recipe(recipe, *options, "--stage", "2", env=slurm)

    exp = recipe / "exp"
    logs = [(log_dir / f"separate.{job}.log").read_text() for job in (1, 2)]
    assert logs[0].count("(--resume): skipped") == 5 and "(--resume): skipped" not in logs[1]
    assert all(log.rstrip().endswith("with status 0") for log in logs)
    calls = (tmp_path / "bin" / "calls").read_text().split("\n")[:-1]
    assert (
        calls.count(
            "--wait --job-name=mgdm_separate --array=1-2 --output=exp/separate_mgdm/chunks/log/"
            "separate.%a.log --gres=gpu:1 --mem=16G exp/separate_mgdm/chunks/log/q/separate.sh"
        )
        == 2
    )
    assert "equals the checkpoint's exactly" in (exp / "prior" / "log" / "convert.log").read_text()
    assert (exp / "prior" / "prior_path").read_text().strip() == str((exp / "prior" / "msdm").resolve())
    assert len((recipe / "data" / "test_msdm" / "chunks" / "wav.scp").read_text().split("\n")[:-1]) == 2 * 5
    for utt in ("Track00001", "Track00002"):
        for stem in STEMS:  # 5 whole chunks joined; the partial sixth is dropped
            assert soundfile.info(exp / "separate_mgdm" / utt / f"{stem}.wav").frames == 5 * CHUNK
    record = json.loads((exp / "separate_mgdm" / "chunks" / "Track00002-c0003" / "separation.json").read_text())
    assert [segment["model_length"] for segment in record["segments"]] == [CHUNK]  # one exact model call
    assert record["settings"]["project"] is False
    summary = json.loads((exp / "score_mgdm" / "summary.json").read_text())
    assert summary["tracks_scored"] == 2 and summary["crop"] is True
    results = (exp / "RESULTS.md").read_text()
    assert "| mgdm |" in results and "raw layout, protocol msdm" in results


def test_cmd_sh_slurm_submits_one_gpu_array_job_per_call(tmp_path):
    recipe = copy_recipe(RECIPE, tmp_path / "s5")
    script = (
        ". ./cmd.sh && $separate_cmd JOB=1:3 exp/separate_mgdm/log/separate.JOB.log "
        'mgdm separate --grad-steps "20 if k >= K - 10 else 3" -o exp/separate_mgdm/out exp/split3/JOB'
    )
    env = {
        **os.environ,
        "MGDM_CMD_BACKEND": "slurm",
        "MGDM_SLURM_DRY_RUN": "true",
        "MGDM_SLURM_OPTS": "--partition=gpu --account=lab",
    }
    result = subprocess.run(["bash", "-c", script], cwd=recipe, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "sbatch --wait --job-name=mgdm_separate --array=1-3 "
        "--output=exp/separate_mgdm/log/separate.%a.log --gres=gpu:1 --mem=16G "
        "--partition=gpu --account=lab exp/separate_mgdm/log/q/separate.sh\n"
    )
    job = (recipe / "exp" / "separate_mgdm" / "log" / "q" / "separate.sh").read_text()
    # Task n runs the command with JOB → n, the quoted option kept as one argument.
    traced = subprocess.run(
        ["bash", "-c", job.replace('"${command[@]}"', 'printf "<%s>" "${command[@]}"')],
        capture_output=True,
        text=True,
        env={**os.environ, "SLURM_ARRAY_TASK_ID": "2"},
    )
    assert (
        "<mgdm><separate><--grad-steps><20 if k >= K - 10 else 3><-o><exp/separate_mgdm/out><exp/split3/2>"
    ) in traced.stdout
    assert traced.stdout.rstrip().endswith("with status 0")


def test_missing_corpus_root_stops_stage_0_with_one_line(tmp_path):
    recipe = copy_recipe(RECIPE, tmp_path / "s5")
    result = run_recipe(recipe, "--stop_stage", "0", env={"SLAKH2100": str(tmp_path / "nowhere")}, check=False)
    assert result.returncode != 0
    assert f"error: {tmp_path / 'nowhere'}: Slakh2100 root not found (set it in db.sh)\n" in result.stderr
