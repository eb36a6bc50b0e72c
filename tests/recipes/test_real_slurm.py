"""utils/run_slurm.sh and the synth4 recipe's Slurm backend against a real one-node Slurm cluster
(tests/recipes/slurm_cluster.py): array indexing, log paths, exit codes, ``--wait``, a task cancelled with
``scancel``, and a rerun. test_slakh_recipe.py covers the same launcher with a stand-in ``sbatch``, in
every environment."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from mgdm_audio.cli import main
from tests.corpora.test_synth4 import needs_fluidsynth
from tests.recipes.slurm_cluster import slurm_cluster, unavailable_reason, wait_for
from tests.recipes.test_synth4_recipe import TINY_CONF, TRAIN_OPTS, _copy_recipe

REPO = Path(__file__).resolve().parents[2]
RUN_SLURM = REPO / "recipes" / "utils" / "run_slurm.sh"
RECIPE_TIMEOUT = 300  # s for one run.sh call

UNAVAILABLE = unavailable_reason()
pytestmark = pytest.mark.skipif(UNAVAILABLE is not None, reason=str(UNAVAILABLE))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, request):
    started = time.monotonic()
    with slurm_cluster(tmp_path_factory.mktemp("slurm") / "cluster") as running:
        _report(
            request,
            f"cluster up in {time.monotonic() - started:.1f} s: node {running.node}, "
            f"{running.cpus} CPU(s), {_slurm_version(running.env)}",
        )
        yield running


def _slurm_version(env: dict[str, str]) -> str:
    return subprocess.run(["sinfo", "--version"], env=env, capture_output=True, text=True, timeout=10).stdout.strip()


def _report(request, line: str) -> None:
    """``line`` in the CI log (past pytest's capture): what the real scheduler did."""
    with request.config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        print(f"\n[real Slurm] {line}", flush=True)


def test_array_job_runs_every_task_with_its_index_and_fails_naming_the_failed_task(cluster, tmp_path, request):
    # Task n echoes its arguments (JOB → n inside them, the spaces kept) and task 2 exits with status 3.
    script = 'echo "<$0> <$1>"; [ "$1" != 2 ] || exit 3'
    started = time.monotonic()
    result = subprocess.run(
        [RUN_SLURM, "JOB=1:3", "log/echo.JOB.log", "bash", "-c", script, "task JOB of 3", "JOB"],
        cwd=tmp_path,
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    _report(
        request,
        f"array job of 3 tasks, task 2 exits 3: run_slurm.sh status {result.returncode} after "
        f"{time.monotonic() - started:.1f} s; {result.stderr.strip()}",
    )
    assert result.returncode == 1
    assert "task 2 exited with status 3, see log/echo.2.log" in result.stderr
    assert "1 of 3 task(s) failed or did not run, see log/echo.2.log\n" in result.stderr
    for task in (1, 3):
        log = (tmp_path / "log" / f"echo.{task}.log").read_text()
        assert f"<task {task} of 3> <{task}>\n" in log and re.search(rf"Slurm job \d+_{task}\n", log)
        assert log.endswith("with status 0\n")
    assert (tmp_path / "log" / "echo.2.log").read_text().endswith("with status 3\n")
    assert sorted(path.name for path in (tmp_path / "log").iterdir()) == ["echo.1.log", "echo.2.log", "echo.3.log", "q"]


def test_submission_refused_by_the_scheduler_fails_with_sbatchs_reason(cluster, tmp_path):
    # More memory than the node has: sbatch refuses the job, no task runs.
    result = subprocess.run(
        [RUN_SLURM, "--mem", f"{cluster.memory_mb * 4}M", "JOB=1:2", "log/x.JOB.log", "true"],
        cwd=tmp_path,
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "configuration is not available" in result.stderr  # sbatch's own message
    assert (
        "task 1 did not run: no log/x.1.log" in result.stderr and "task 2 did not run: no log/x.2.log" in result.stderr
    )
    assert not list((tmp_path / "log").glob("x.*.log"))


def test_interrupted_launcher_cancels_its_job(cluster, tmp_path):
    process = subprocess.Popen(
        [RUN_SLURM, "JOB=1:2", "log/nap.JOB.log", "sleep", "300"],
        cwd=tmp_path,
        env=cluster.env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(
            lambda: [state for _, name, state in cluster.squeue() if name == "mgdm_nap"] == ["RUNNING"] * 2,
            30,
            "both tasks of the job running",
        )
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130 and re.search(r"interrupted; cancelled Slurm job \d+\n", stderr), stderr
    wait_for(
        lambda: not cluster.squeue() and not cluster.job_processes(),
        30,
        "the cancelled job gone from the queue and its processes ended",
    )


def _tiny_recipe(folder: Path) -> Path:
    """The synth4 recipe with every job asking Slurm for 100 MB and no GPU (what the test node has)."""
    recipe = _copy_recipe(folder)
    text, count = re.subn(
        r"^(\w+)_slurm_opts=.*$", r'\1_slurm_opts="--mem 100M"', (recipe / "cmd.sh").read_text(), flags=re.M
    )
    assert count == 3, "cmd.sh no longer sets train/separate/score_slurm_opts"
    (recipe / "cmd.sh").write_text(text)
    return recipe


def _run_sh(recipe: Path, options: list[str], env: dict[str, str]) -> subprocess.Popen:
    environment = {key: value for key, value in env.items() if key != "OMP_NUM_THREADS"}
    return subprocess.Popen(
        ["./run.sh", *options],
        cwd=recipe,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _finish(process: subprocess.Popen) -> tuple[int, str, str]:
    try:
        stdout, stderr = process.communicate(timeout=RECIPE_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # run.sh and its launchers; the cluster's teardown cancels the jobs
        stdout, stderr = process.communicate()
        pytest.fail(f"run.sh still running after {RECIPE_TIMEOUT} s:\n{stdout[-2000:]}\n{stderr[-2000:]}")
    return process.returncode, stdout, stderr


def _succeed(recipe: Path, options: list[str], env: dict[str, str]) -> None:
    status, stdout, stderr = _finish(_run_sh(recipe, options, env))
    assert status == 0, stdout[-3000:] + stderr[-3000:]


def _stems(recipe: Path) -> dict[str, np.ndarray]:
    return {
        str(path.relative_to(recipe / "exp")): soundfile.read(path)[0]
        for path in sorted((recipe / "exp").glob("separate_mgdm/out/prior/*/*.wav"))
    }


@needs_fluidsynth
def test_synth4_stages_2_3_on_slurm_equal_local_and_a_cancelled_task_is_redone_alone(cluster, tmp_path, request):
    slurm = _tiny_recipe(tmp_path / "s5")
    conf_dir = tmp_path / "tiny_conf"
    conf_dir.mkdir()
    (conf_dir / "separate_mgdm.conf").write_text(f"# cheap settings\n{TINY_CONF['mgdm']}--device cpu\n")
    # Stages 0-1's products made in this process (each mgdm process costs seconds of start-up): 2 one-second
    # test tracks and a prior trained for 1 step; copied, so both backends separate the same mixtures alike.
    started = time.monotonic()
    assert (
        main(
            [
                "prepare-synth4",
                str(slurm / "db"),
                "--audio-dir",
                str(slurm / "db" / "audio"),
                "--data-dir",
                str(slurm / "data"),
                "--train-tracks",
                "1",
                "--valid-tracks",
                "0",
                "--test-tracks",
                "2",
                "--track-seconds",
                "1",
                "--sample-rate",
                "8000",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "train-prior",
                str(slurm / "data" / "train"),
                str(slurm / "exp" / "prior_train"),
                "--steps",
                "1",
                *TRAIN_OPTS.split(),
            ]
        )
        == 0
    )
    (slurm / "exp" / "prior" / "prior_path").parent.mkdir()
    (slurm / "exp" / "prior" / "prior_path").write_text(f"{slurm / 'exp' / 'prior_train' / 'prior'}\n")
    local = tmp_path / "s5_local"
    shutil.copytree(slurm, local, symlinks=True)
    stages = [
        "--stage",
        "2",
        "--stop_stage",
        "3",
        "--nj",
        "2",
        "--samplers",
        "mgdm",
        "--conf_dir",
        str(conf_dir),
        "--sampler_overrides",
        "--segment 1",
        "--score_opts",
        "--no-museval",
    ]
    _report(request, f"corpus and prior: {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    # Locally in one job (the split does not change a track's separation: its seeds are per segment), stage 2
    # only (scores follow from the stems).
    _succeed(local, [*stages[:2], "--stop_stage", "2", "--nj", "1", *stages[6:]], os.environ)
    _report(request, f"stage 2 local: {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    on_slurm = {**cluster.env, "MGDM_CMD_BACKEND": "slurm"}

    # Task 2 of the separation array is cancelled once its command runs: the stage fails naming its log.
    logs = slurm / "exp" / "separate_mgdm" / "log"
    process = _run_sh(slurm, stages, on_slurm)
    try:

        def task_2_running() -> bool:
            assert process.poll() is None, "run.sh ended before task 2 was cancelled"
            log = logs / "separate.2.log"
            return log.exists() and "# started" in log.read_text()

        wait_for(task_2_running, 120, "task 2 of the separation array running")
        task = next(job for job, name, state in cluster.squeue() if name == "mgdm_separate" and job.endswith("_2"))
        subprocess.run(["scancel", task], env=cluster.env, check=True, timeout=10)
    finally:
        status, stdout, stderr = _finish(process)
    _report(
        request,
        f"scancel {task} mid-run: run.sh status {status} after {time.monotonic() - started:.1f} s; {stderr.strip()}",
    )
    assert status != 0 and "stage 3" not in stdout
    wait_for(lambda: not cluster.job_processes(), 30, "the cancelled task's processes ended")
    assert re.search(
        r"task 2 stopped by Slurm \(JOB \d+ ON \S+ CANCELLED AT [^)]+\), see exp/separate_mgdm/log/"
        r"separate.2.log\n",
        stderr,
    ), stderr
    assert "1 of 2 task(s) failed or did not run, see exp/separate_mgdm/log/separate.2.log" in stderr
    first = (logs / "separate.1.log").read_text()
    assert "separated 1 of 1 file(s)" in first and first.endswith("with status 0\n")

    # The rerun separates only task 2's track (task 1's is skipped), then scores: results equal local ones.
    started = time.monotonic()
    _succeed(slurm, stages, on_slurm)
    _report(request, f"rerun of stages 2-3 on Slurm: {time.monotonic() - started:.1f} s")
    rerun = [(logs / f"separate.{n}.log").read_text() for n in (1, 2)]
    assert "(--resume): skipped" in rerun[0] and "(--resume): skipped" not in rerun[1]
    assert all(log.endswith("with status 0\n") for log in rerun)
    assert "Slurm job" in (slurm / "exp" / "score_mgdm" / "log" / "score.log").read_text()
    stems, expected = _stems(slurm), _stems(local)
    assert len(stems) == 2 * 4 and stems.keys() == expected.keys()
    for name, audio in stems.items():
        np.testing.assert_array_equal(audio, expected[name], err_msg=name)
    assert json.loads((slurm / "exp" / "score_mgdm" / "summary.json").read_text())["tracks_scored"] == 2


def test_a_requeued_training_job_ends_with_the_weights_of_an_uninterrupted_run(cluster, tmp_path, request):
    """recipes/utils/train_slurm.sh: srun torchrun with 2 processes; requeued mid-run (as preemption does), the job
    starts again, resumes from its checkpoint and ends with the weights of the same run left alone."""
    from tests.audio.test_distributed_training import TRAINERS
    from tests.audio.test_training import RATE, make_data_dir

    data = make_data_dir(tmp_path / "corpus")
    command, *network = TRAINERS["prior"]
    mgdm = str(Path(sys.executable).with_name("mgdm"))
    options = [command, data, "--steps", "200", "--batch-size", "4", "--checkpoint-every", "20", "--device", "cpu"]
    options += ["--sample-rate", str(RATE), "--seed", "2", "--ema-decay", "0.9", *network]
    env = {**cluster.env, "PATH": f"{Path(mgdm).parent}:{os.environ['PATH']}", "OMP_NUM_THREADS": "1"}
    straight, requeued = tmp_path / "straight", tmp_path / "requeued"
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "--no-python"]
    run = subprocess.run(
        [*launcher, mgdm, *_with_out(options, straight)], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]

    started = time.monotonic()
    script = REPO / "recipes" / "utils" / "train_slurm.sh"
    submit = ["sbatch", "--parsable", "--ntasks", "1", "--cpus-per-task", "2", "--mem", "500M"]
    output = tmp_path / "train.out"
    job = subprocess.run(
        [*submit, "-o", str(output), str(script), "2", mgdm, *_with_out(options, requeued)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    log = requeued / "train_log.csv"
    wait_for(lambda: log.exists() and len(log.read_text().splitlines()) > 50, 120, "50 steps trained", (output,))
    subprocess.run(["scontrol", "requeue", job], env=env, check=True, timeout=10)
    wait_for(lambda: [state for _, _, state in cluster.squeue()] == ["PENDING"], 60, "the job requeued")
    # A requeued job waits minutes before it may start again (its begin time); preempted jobs wait likewise.
    subprocess.run(["scontrol", "update", f"JobId={job}", "StartTime=now"], env=env, check=True, timeout=10)
    wait_for(lambda: not cluster.squeue(), 180, "the requeued job finished", (output,))
    text = output.read_text()
    _report(
        request, f"training job requeued after 50 steps, finished {time.monotonic() - started:.1f} s after submission"
    )
    assert f"Slurm job {job}, restart 1," in text and "resumed at step" in text and "prior written to" in text
    for name in ("model", "average"):
        expected = torch.load(straight / "checkpoint.pt", weights_only=True)[name]
        resumed = torch.load(requeued / "checkpoint.pt", weights_only=True)[name]
        for key, tensor in expected.items():
            assert torch.equal(resumed[key], tensor), (name, key)
    losses = [
        [row.split(",")[1] for row in (folder / "train_log.csv").read_text().splitlines()[1:]]
        for folder in (straight, requeued)
    ]  # the steps redone after the requeue replace the lost ones in the log
    assert losses[0] == losses[1] and len(losses[0]) == 200


def _with_out(options: list[str], out: Path) -> list[str]:
    """``options`` (COMMAND DATA_DIR …) with OUT_DIR inserted after the data dir."""
    return [*options[:2], str(out), *options[2:]]
