"""The synth4 recipe (egs/synth4/s5) end to end on a tiny corpus and prior, its shell utilities,
and ``mgdm results``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from mgdm_audio.cli import main
from tests.corpora.test_synth4 import needs_fluidsynth

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "egs" / "synth4" / "s5"
UTILS = REPO / "recipes" / "utils"
STEMS = ("bass", "drums", "guitar", "piano")

# A 0.03 M-parameter prior at 8 kHz (the tests' TINY_NET) trained for 3 steps: seconds on a CPU.
TRAIN_OPTS = (
    "--batch-size 1 --segment-seconds 0.25 --sample-rate 8000 --channels 8 --patch-factor 2 "
    "--multipliers 1 2 2 --factors 2 2 --blocks 1 --attention-levels 1 --attention-heads 2 "
    "--attention-features 4 --resnet-groups 2 --device cpu"
)
TINY_CONF = {"mgdm": "--steps 5\n--gibbs-reps 1\n--grad-steps 1\n", "dirac": "--steps 5\n"}


def _bash(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", script, "test", *args], cwd=cwd, capture_output=True, text=True)


def _copy_recipe(destination: Path) -> Path:
    """The recipe's own files copied (so data/ and exp/ land in ``destination``), steps/, utils/ and
    templates/ linked to the shared ones, as in the repository."""
    destination.mkdir()
    for name in ("run.sh", "path.sh", "cmd.sh", "conf", "local"):
        source = RECIPE / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, destination / name)
    for name in ("steps", "utils", "templates"):
        (destination / name).symlink_to(REPO / "recipes" / name)
    return destination


def _run(recipe: Path, *options: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "OMP_NUM_THREADS"}
    result = subprocess.run(["./run.sh", *options], cwd=recipe, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@needs_fluidsynth
def test_tiny_run_end_to_end_then_stage_2_again_redoes_nothing(tmp_path):
    recipe = _copy_recipe(tmp_path / "s5")
    conf_dir = tmp_path / "tiny_conf"
    conf_dir.mkdir()
    for sampler, text in TINY_CONF.items():
        (conf_dir / f"separate_{sampler}.conf").write_text(f"# cheap settings\n{text}--device cpu\n")
    common = [
        "--nj",
        "2",
        "--samplers",
        "mgdm dirac",
        "--conf_dir",
        str(conf_dir),
        "--sampler_overrides",
        "--segment 1",
    ]
    _run(
        recipe,
        *common,
        "--train_prior",
        "true",
        "--train_steps",
        "3",
        "--train_opts",
        TRAIN_OPTS,
        "--data_opts",
        "--train_tracks 1 --valid_tracks 0 --test_tracks 2 --track_seconds 3 --sample_rate 8000",
        "--score_opts",
        "--no-museval",
    )

    exp = recipe / "exp"
    assert (exp / "prior" / "prior_path").read_text().strip() == str((exp / "prior_train" / "prior").resolve())
    utts = [line.split()[0] for line in (recipe / "data" / "test" / "wav.scp").read_text().splitlines()]
    assert len(utts) == 2
    for sampler in ("mgdm", "dirac"):
        assert sorted(path.name for path in (exp / f"separate_{sampler}" / "log").iterdir()) == [
            "separate.1.log",
            "separate.2.log",
        ]
        for utt in utts:  # tracks are named by utterance id, linked where mgdm score looks
            record = json.loads((exp / f"separate_{sampler}" / utt / "separation.json").read_text())
            assert record["track"] == utt and record["settings"]["sampler"] == sampler
        assert json.loads((exp / f"score_{sampler}" / "summary.json").read_text())["tracks_scored"] == 2
    results = (exp / "RESULTS.md").read_text()
    assert "| mgdm |" in results and "| dirac |" in results and "![SI-SDRi per stem and run](RESULTS.png)" in results
    assert (exp / "RESULTS.png").stat().st_size > 1000
    page = (exp / "page" / "index.html").read_text()  # stage 5: both samplers' estimates of every track
    assert all(f"<h2>{utt}</h2>" in page for utt in utts) and page.count("<audio") == 2 * (1 + 4 + 2 * 4)

    stems = sorted(exp.glob("separate_*/out/prior/*/*.wav"))
    assert len(stems) == 2 * 2 * len(STEMS)
    _run(recipe, *common, "--stage", "2", "--stop_stage", "2")
    for sampler in ("mgdm", "dirac"):  # every track skipped, by the logs' own record (not by file times)
        logs = [log.read_text() for log in (exp / f"separate_{sampler}" / "log").glob("separate.*.log")]
        assert sum(log.count("(--resume): skipped") for log in logs) == len(utts)
        assert all("with status 0" in log for log in logs)

    # Scoring excerpts: 4,000-sample chunks where 2 stems play (the tiny tracks have no drums), one per track.
    _run(
        recipe,
        *common[:2],
        "--samplers",
        "dirac",
        "--conf_dir",
        str(conf_dir),
        "--sampler_overrides",
        "--segment 0.5",
        "--score_opts",
        "--no-museval",
        "--stage",
        "2",
        "--stop_stage",
        "3",
        "--chunk_samples",
        "4000",
        "--chunks_per_utt",
        "1",
        "--chunk_min_active",
        "2",
    )
    chunks = recipe / "data" / "test_chunks4000x1"
    chunk_ids = [line.split()[0] for line in (chunks / "wav.scp").read_text().splitlines()]
    assert 1 <= len(chunk_ids) <= 2 and all(chunk_id.rsplit("-c", 1)[0] in utts for chunk_id in chunk_ids)
    assert json.loads((exp / "score_dirac" / "summary.json").read_text())["data_dir"] == f"data/{chunks.name}"


def test_parse_options_sets_defined_variables_and_refuses_others(tmp_path):
    script = f'name=a; dry_run=false; . {UTILS}/parse_options.sh; echo "$name $dry_run $*"'
    result = _bash(script, "--name", "b c", "--dry-run", "true", "rest", "--x", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == "b c true rest --x\n"
    for bad, message in [
        (["--other", "1"], "unknown option --other"),
        (["--name"], "needs a value"),
        (["--dry_run", "yes"], "takes true or false"),
        (["--name=b"], "not '--name=b'"),
    ]:
        result = _bash(script, *bad, cwd=tmp_path)
        assert result.returncode == 1 and message in result.stderr, (bad, result.stderr)


def test_split_scp_makes_contiguous_nearly_equal_parts(tmp_path):
    (tmp_path / "wav.scp").write_text("".join(f"u{index} /a/{index}.wav\n" for index in range(5)))
    outputs = [str(tmp_path / "split" / f"{job}.scp") for job in (1, 2, 3)]
    assert subprocess.run([UTILS / "split_scp.sh", tmp_path / "wav.scp", *outputs]).returncode == 0
    parts = [Path(output).read_text().split("\n")[:-1] for output in outputs]
    assert [len(part) for part in parts] == [2, 2, 1]
    assert sum(parts, []) == (tmp_path / "wav.scp").read_text().split("\n")[:-1]
    too_many = subprocess.run(
        [UTILS / "split_scp.sh", tmp_path / "wav.scp", *outputs * 2], capture_output=True, text=True
    )
    assert too_many.returncode == 1 and "cannot split 5 line(s)" in too_many.stderr


def test_read_conf_keeps_values_with_spaces_and_drops_comments(tmp_path):
    (tmp_path / "a.conf").write_text(
        "# settings\n--steps 20\n\n--grad-steps 20 if k >= K - 10 else 3  # late\n--no-project"
    )
    result = subprocess.run([UTILS / "read_conf.sh", tmp_path / "a.conf"], capture_output=True, text=True)
    assert result.stdout.split("\n")[:-1] == [
        "--steps",
        "20",
        "--grad-steps",
        "20 if k >= K - 10 else 3",
        "--no-project",
    ]


def _fake_summary(folder: Path, offset: float, stems=STEMS) -> Path:
    rows = [
        dict(
            stem=stem,
            num_windows=10,
            si_sdri_mean=offset + index,
            si_sdri_ci95=0.5,
            num_tracks=2,
            museval_sdr_median=offset - 1,
            museval_sdr_mean=None,
        )
        for index, stem in enumerate([*stems, "All"])
    ]
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps(dict(tracks_scored=2, summary=rows)))
    return folder / "summary.json"


def test_results_tables_and_chart_from_two_summaries(tmp_path, capsys):
    first, second = _fake_summary(tmp_path / "score_mgdm", 3.0), _fake_summary(tmp_path / "score_dirac", -1.0)
    out = tmp_path / "report" / "RESULTS.md"
    assert main(["results", str(out), str(first), str(second), "--note", "prior: tiny"]) == 0
    text = out.read_text()
    assert "- prior: tiny" in text and "![SI-SDRi per stem and run](RESULTS.png)" in text
    assert "| run | bass | drums | guitar | piano | All | windows | tracks |" in text
    assert "| mgdm | 3.00 ± 0.50 | 4.00 ± 0.50 | 5.00 ± 0.50 | 6.00 ± 0.50 | 7.00 ± 0.50 | 10 | 2 |" in text
    assert "| dirac | -2.00 (n/a) | -2.00 (n/a) |" in text
    assert (tmp_path / "report" / "RESULTS.png").read_bytes()[:4] == b"\x89PNG"

    odd = _fake_summary(tmp_path / "score_odd", 0.0, stems=("vocals", "rest"))
    assert main(["results", str(out), str(first), str(odd)]) == 1
    assert main(["results", str(out), str(first), str(second), "--labels", "a", "a"]) == 1
    assert main(["results", str(out), str(first), "--labels", "a", "b"]) == 2
    error = capsys.readouterr().err
    assert "differ from" in error and "must be unique" in error and "2 label(s) for 1 summaries" in error
