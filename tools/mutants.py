#!/usr/bin/env python3
"""Mutation check: apply each listed bug to a copy of the repository and run the tests meant to catch it.

Each mutant is one plausible bug (a flipped sign, a dropped term, a skipped check) written as an exact snippet of a
file and its replacement, with the tests that must then fail. The harness copies the committed tree (``git archive
HEAD``; ``--worktree``: the working tree as it is) to a temporary folder, first runs every listed test there
unmutated (they must pass), then, one mutant at a time, edits the copy, runs that mutant's tests with the copy
first on PYTHONPATH, and restores the file. The repository itself is never edited.

Reports, per mutant, killed (a listed test failed, named) or survived; a snippet found other than exactly once is
"stale" (the code moved: update the list). Exit status: 0 when every mutant is killed, 1 otherwise, 2 when the
unmutated tests fail. Takes a few minutes on 2 CPU cores; run it on demand, not in every CI run:

    .venv/bin/python tools/mutants.py            # all mutants
    .venv/bin/python tools/mutants.py --list     # the list, with each mutant's tests
    .venv/bin/python tools/mutants.py --only dps-guidance-sign museval-nanmean
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: What the copy holds: the package, its tests and what the tests run (recipes, their shared scripts, examples).
COPIED = ("mgdm_audio", "tests", "egs", "recipes", "examples", "pytest.ini", "setup.py")

SAMPLERS = "tests/core/test_samplers.py::"
SI_SDR = "tests/evaluation/test_si_sdr.py::"
SCORE = "tests/evaluation/test_score.py::"
GUARDS = "tests/separation/test_mutation_guards.py::"
GATING = "tests/recipes/test_stage_gating.py"
RESTORE = "tests/images/test_restore.py::"


@dataclass(frozen=True)
class Mutant:
    """``original`` (found exactly once in ``path``) replaced by ``replacement`` must make one of ``tests`` fail."""

    name: str
    path: str
    original: str
    replacement: str
    tests: tuple[str, ...]


MUTANTS = (
    # Samplers
    Mutant(
        "dps-guidance-sign",
        "mgdm_audio/core/samplers/dps.py",
        "x = step - settings.zeta * gradient",
        "x = step + settings.zeta * gradient",
        (SAMPLERS + "test_dps_first_step_descends_the_residual_norm_by_its_closed_form_gradient",),
    ),
    Mutant(
        "dps-squared-distance",
        "mgdm_audio/core/samplers/dps.py",
        "distance = likelihood.residual_norm(observe(x0)).sum()",
        "distance = likelihood.neg_log(observe(x0)).sum()",
        (SAMPLERS + "test_dps_first_step_descends_the_residual_norm_by_its_closed_form_gradient",),
    ),
    Mutant(
        "mgdm-energy-on-x_s",
        "mgdm_audio/core/samplers/mgdm.py",
        "return likelihood.neg_log(observe(prior.x0(x_s, s)))",
        "return likelihood.neg_log(observe(x_s))",
        (SAMPLERS + "test_mgdm_draws_x_s_against_the_likelihood_of_its_denoised_estimate",),
    ),
    Mutant(
        "mgdm-ignores-the-observation",
        "mgdm_audio/core/samplers/mgdm.py",
        "return likelihood.neg_log(observe(prior.x0(x_s, s)))",
        "return 0 * likelihood.neg_log(observe(prior.x0(x_s, s)))",
        (SAMPLERS + "test_mgdm_recovers_a_gaussian_posterior_far_from_its_prior",),
    ),
    Mutant(
        "mgdm-x_t-bridged-from-x0",
        "mgdm_audio/core/samplers/mgdm.py",
        "x_t = bridge(table, s, t, t_next).sample(x_s, x_next, generator)",
        "x_t = bridge(table, 0, t, t_next).sample(x0, x_next, generator)",
        (SAMPLERS + "test_mgdm_recovers_a_gaussian_posterior_far_from_its_prior",),
    ),
    Mutant(
        "preset-file-ignored",
        "mgdm_audio/core/samplers/base.py",
        "cls._build(dict(load_preset(preset).get(cls.name, {})), overrides, preset)",
        'cls._build(dict(load_preset("image_pixel").get(cls.name, {})), overrides, preset)',
        (SAMPLERS + "test_every_shipped_preset_builds_with_the_values_its_file_holds",),
    ),
    # Bridge and likelihood
    Mutant(
        "bridge-drops-the-lower-term",
        "mgdm_audio/core/bridge.py",
        "coef_lower = math.sqrt(a_t / a_s) - coef_upper * math.sqrt(a_u / a_s)",
        "coef_lower = math.sqrt(a_t / a_s)",
        ("tests/core/test_schedules.py",),
    ),
    Mutant(
        "bridge-ignores-eta",
        "mgdm_audio/core/bridge.py",
        "std = eta * math.sqrt(",
        "std = math.sqrt(",
        ("tests/core/test_schedules.py",),
    ),
    Mutant(
        "likelihood-divides-by-variance",
        "mgdm_audio/core/likelihoods.py",
        "(self.residual(prediction) / self.sigma_y).pow(2)",
        "(self.residual(prediction) / self.sigma_y ** 2).pow(2)",
        (SAMPLERS + "test_pcn_update_samples_the_exact_gaussian_conditional",),
    ),
    Mutant(
        "likelihood-norm-squared",
        "mgdm_audio/core/likelihoods.py",
        "return self.residual(prediction).flatten(1).norm(dim=1)",
        "return self.residual(prediction).flatten(1).norm(dim=1) ** 2",
        (SAMPLERS + "test_dps_first_step_descends_the_residual_norm_by_its_closed_form_gradient",),
    ),
    # Separation metrics and scoring
    Mutant(
        "si-sdri-zero",
        "mgdm_audio/audio/metrics.py",
        "si_sdr, si_sdr - baseline))",
        "si_sdr, 0 * (si_sdr - baseline)))",
        (SI_SDR + "test_si_sdri_of_stems_of_unequal_energy_as_computed_by_hand",),
    ),
    Mutant(
        "si-sdri-sign",
        "mgdm_audio/audio/metrics.py",
        "si_sdr, si_sdr - baseline))",
        "si_sdr, baseline - si_sdr))",
        (SI_SDR + "test_si_sdri_of_stems_of_unequal_energy_as_computed_by_hand",),
    ),
    Mutant(
        "si-snr-without-scale",
        "mgdm_audio/audio/metrics.py",
        "target = alpha[..., None] * reference",
        "target = reference",
        (SI_SDR + "test_scale_invariance",),
    ),
    Mutant(
        "museval-swapped",
        "mgdm_audio/audio/metrics.py",
        "references[audible, :, None], estimates[audible, :, None], win=sample_rate",
        "estimates[audible, :, None], references[audible, :, None], win=sample_rate",
        (SI_SDR + "test_museval_sdr_is_the_median_of_one_second_frames_computed_by_hand",),
    ),
    Mutant(
        "museval-nanmean",
        "mgdm_audio/audio/metrics.py",
        "np.nanmedian(sdr, axis=1)",
        "np.nanmean(sdr, axis=1)",
        (SI_SDR + "test_museval_sdr_is_the_median_of_one_second_frames_computed_by_hand",),
    ),
    Mutant(
        "museval-2s-frames",
        "mgdm_audio/audio/metrics.py",
        "win=sample_rate, hop=sample_rate",
        "win=2 * sample_rate, hop=2 * sample_rate",
        (SI_SDR + "test_museval_sdr_is_the_median_of_one_second_frames_computed_by_hand",),
    ),
    Mutant(
        "score-stems-sorted",
        "mgdm_audio/audio/evaluation/tracks.py",
        'f"{stem}.wav") for stem in stems]',
        'f"{stem}.wav") for stem in sorted(stems)]',
        (SCORE + "test_estimates_are_read_in_the_given_stem_order_as_computed_by_hand",),
    ),
    # mgdm separate: resume and projection
    Mutant(
        "resume-finished-whatever-settings",
        "mgdm_audio/audio/separation/report.py",
        'return isinstance(record, dict) and same_settings(record.get("settings"), settings)',
        "return isinstance(record, dict)",
        (GUARDS + "test_resume_redoes_a_finished_track_made_with_other_settings",),
    ),
    Mutant(
        "resume-partial-whatever-settings",
        "mgdm_audio/audio/separation/resume.py",
        'same_settings(json.loads(key.read_text(encoding="utf-8")), settings)',
        "True",
        (GUARDS + "test_resume_discards_segments_of_a_crashed_run_with_other_settings",),
    ),
    Mutant(
        "projection-into-one-stem",
        "mgdm_audio/audio/separation/track.py",
        "stems = stems + (mixture - stems.sum(axis=1, keepdims=True)) / stems.shape[1]",
        "stems[:, :1] += mixture - stems.sum(axis=1, keepdims=True)",
        (GUARDS + "test_projection_spreads_the_residual_equally_and_no_project_keeps_it",),
    ),
    Mutant(
        "no-project-ignored",
        "mgdm_audio/audio/separation/track.py",
        "if settings.project:",
        "if True:",
        (GUARDS + "test_projection_spreads_the_residual_equally_and_no_project_keeps_it",),
    ),
    # Recipes
    Mutant(
        "music-stop-stage-ignored",
        "recipes/templates/separation.sh",
        'if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]',
        'if [ "$stage" -le 3 ]',
        (GATING,),
    ),
    Mutant(
        "music-stage-1-when-skipped",
        "recipes/templates/separation.sh",
        'if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]',
        'if [ "$stop_stage" -ge 1 ]',
        (GATING,),
    ),
    # mgdm restore and image metrics
    Mutant(
        "restore-resume-by-mtime",
        "mgdm_audio/image/restoration/batch.py",
        '"input_sha256": file_sha256(path)',
        '"input_mtime_ns": path.stat().st_mtime_ns',
        (RESTORE + "test_resume_sees_an_input_rewritten_with_the_same_size_and_time",),
    ),
    Mutant(
        "restore-resume-whatever-settings",
        "mgdm_audio/image/restoration/outputs.py",
        'return isinstance(record, dict) and same_settings(record.get("settings"), key)',
        "return isinstance(record, dict)",
        (RESTORE + "test_resume_skips_equal_settings_and_redoes_changed_ones",),
    ),
    Mutant(
        "lpips-range-not-mapped",
        "mgdm_audio/image/metrics.py",
        "model(x.float() * 2 - 1, y.float() * 2 - 1)",
        "model(x.float(), y.float())",
        (
            "tests/images/test_image_metrics.py::"
            "test_lpips_feeds_the_network_images_in_minus_one_one_and_returns_one_value_per_image",
        ),
    ),
    # Behaviours pinned for issue 32: settings no preset uses, edges, batched inputs, what a key holds
    Mutant(
        "mgdm-init-bridge-ignores-eta",
        "mgdm_audio/core/samplers/mgdm.py",
        "x_t = bridge(table, 0, t, t_next, settings.eta).sample(x0, x_next, generator)",
        "x_t = bridge(table, 0, t, t_next).sample(x0, x_next, generator)",
        (SAMPLERS + "test_mgdm_draws_x_t_from_the_bridge_with_its_eta",),
    ),
    Mutant(
        "mix-rule-switches-a-step-late",
        "mgdm_audio/core/samplers/index_rules.py",
        'rule == "mix" and k >= mix_threshold',
        'rule == "mix" and k > mix_threshold',
        (SAMPLERS + "test_index_rules_draw_each_step_as_documented",),
    ),
    Mutant(
        "mix-rule-thresholds-exchanged",
        "mgdm_audio/core/samplers/index_rules.py",
        'rule == "mix" and k >= mix_threshold',
        'rule == "mix" and k >= min_index',
        (SAMPLERS + "test_index_rules_draw_each_step_as_documented",),
    ),
    Mutant(
        "random-box-never-at-the-last-position",
        "mgdm_audio/image/operators/masks.py",
        "top = int(torch.randint(0, height - box_h + 1, (1,), generator=generator))",
        "top = int(torch.randint(0, height - box_h, (1,), generator=generator))",
        (
            "tests/images/test_image_operators.py::test_the_random_box_reaches_every_position_inside_the_image_and_no_other",
        ),
    ),
    Mutant(
        "ssim-constants-ignore-the-range",
        "mgdm_audio/image/metrics.py",
        "c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2",
        "c1, c2 = k1**2, k2**2",
        ("tests/images/test_image_metrics.py::test_ssim_matches_scikit_image",),
    ),
    Mutant(
        "zero-mean-over-the-whole-batch",
        "mgdm_audio/audio/metrics.py",
        "estimate = estimate - estimate.mean(-1)[..., None]",
        "estimate = estimate - estimate.mean()",
        (SI_SDR + "test_zero_mean_si_snr_of_a_batch_is_each_rows_own",),
    ),
    Mutant(
        "activity-over-the-full-window",
        "mgdm_audio/audio/metrics.py",
        "active = np.linalg.norm(references[:, piece], axis=-1) / length >= activity_threshold",
        "active = np.linalg.norm(references[:, piece], axis=-1) / window >= activity_threshold",
        (SI_SDR + "test_activity_in_a_short_last_window_is_measured_over_its_own_length",),
    ),
    Mutant(
        "interval-from-the-population-std",
        "mgdm_audio/audio/evaluation/summary.py",
        "windows.std(ddof=1)",
        "windows.std()",
        (SCORE + "test_the_interval_is_1_96_standard_errors_of_the_mean",),
    ),
    Mutant(
        "incoming-ramp-falls",
        "mgdm_audio/audio/separation/segments.py",
        "return (np.arange(size) + 0.5) / size",
        "return (size - np.arange(size) - 0.5) / size",
        ("tests/separation/test_segments.py::test_the_incoming_segment_fades_in_and_the_outgoing_one_fades_out",),
    ),
    Mutant(
        "one-seed-for-every-sampler-call",
        "mgdm_audio/audio/separation/sampling.py",
        "seed=seed + call * SEED_STRIDE",
        "seed=seed",
        ("tests/separation/test_cli.py::test_each_channel_model_rate_draws_and_plot",),
    ),
    Mutant(
        "refine-keeps-the-wrong-stems",
        "mgdm_audio/audio/separation/sampling.py",
        "stem not in (settings.refine or prior.stems)",
        "stem in (settings.refine or ())",
        ("tests/separation/test_cli.py::test_refine_keeps_the_separators_estimate_for_the_other_stems",),
    ),
    Mutant(
        "resume-key-without-the-prior-digest",
        "mgdm_audio/audio/separation/pipeline.py",
        '"prior_sha256": directory_digest(self.prior_path)',
        '"prior_sha256": ""',
        ("tests/separation/test_cli.py::test_resume_redoes_a_track_whose_prior_was_replaced_in_the_same_folder",),
    ),
)


def copy_tree(destination: Path, worktree: bool) -> None:
    """The committed tree (or, with ``worktree``, the working tree's files) of COPIED into ``destination``."""
    if worktree:
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(
                    source, destination / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
                )
            elif source.exists():
                shutil.copy2(source, destination / name)
        return
    archive = subprocess.run(
        ["git", "archive", "HEAD", *(name for name in COPIED if (ROOT / name).exists())],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)


def pytest_env(copy: Path) -> dict[str, str]:
    """The copy first on PYTHONPATH (ahead of an editable install of the repository), one thread per process,
    and this Python's bin folder on PATH (the recipes call ``mgdm``)."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {**os.environ, "PYTHONPATH": str(copy), "OMP_NUM_THREADS": "1", "PATH": path}


def run_tests(copy: Path, tests: tuple[str, ...], timeout: float) -> tuple[bool, str, float]:
    """(passed, the first failing test or the reason, seconds) of ``pytest -x tests`` in ``copy``."""
    started = time.perf_counter()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-rfE", "-p", "no:cacheprovider", *tests],
            cwd=copy,
            env=pytest_env(copy),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout:.0f} s", time.perf_counter() - started
    seconds = time.perf_counter() - started
    if result.returncode == 0:
        return True, "", seconds
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", result.stdout, re.MULTILINE)
    return False, failed[0] if failed else f"pytest exit status {result.returncode}", seconds


def apply(copy: Path, mutant: Mutant) -> str | None:
    """Write the mutant into the copy; returns the original text, or None when the snippet is not there once."""
    path = copy / mutant.path
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if text.count(mutant.original) != 1:
        return None
    path.write_text(text.replace(mutant.original, mutant.replacement), encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="print the mutants and their tests, run nothing")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these mutants")
    parser.add_argument("--worktree", action="store_true", help="copy the working tree instead of HEAD")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per pytest run (default: %(default)s)")
    args = parser.parse_args(argv)
    mutants = [m for m in MUTANTS if args.only is None or m.name in args.only]
    unknown = sorted(set(args.only or ()) - {m.name for m in MUTANTS})
    if unknown:
        parser.error(f"unknown mutant(s) {', '.join(unknown)}; --list shows them")
    if args.list:
        for mutant in mutants:
            print(
                f"{mutant.name}  {mutant.path}\n    - {mutant.original}\n    + {mutant.replacement}\n"
                f"    killed by: {' '.join(mutant.tests)}"
            )
        return 0
    with tempfile.TemporaryDirectory(prefix="mgdm-mutants-") as folder:
        copy = Path(folder)
        copy_tree(copy, args.worktree)
        probe = subprocess.run(
            [sys.executable, "-c", "import mgdm_audio; print(mgdm_audio.__file__)"],
            cwd=copy,
            env=pytest_env(copy),
            capture_output=True,
            text=True,
        )
        if not probe.stdout.strip().startswith(str(copy)):
            print(
                f"mutants: the copy's mgdm_audio is not the one imported ({probe.stdout.strip() or probe.stderr})",
                file=sys.stderr,
            )
            return 2
        baseline = tuple(dict.fromkeys(test for mutant in mutants for test in mutant.tests))
        passed, failure, seconds = run_tests(copy, baseline, args.timeout * len(mutants))
        print(f"unmutated: {'pass' if passed else 'FAIL ' + failure} ({seconds:.0f} s)", flush=True)
        if not passed:
            return 2
        outcomes = []
        for mutant in mutants:
            original = apply(copy, mutant)
            if original is None:
                outcome, detail, seconds = "stale", f"snippet not found exactly once in {mutant.path}", 0.0
            else:
                try:
                    passed, detail, seconds = run_tests(copy, mutant.tests, args.timeout)
                finally:
                    (copy / mutant.path).write_text(original, encoding="utf-8")
                outcome = "survived" if passed else "killed"
            outcomes.append(outcome)
            print(f"{outcome:8}  {mutant.name:36} {seconds:5.0f} s  {detail}", flush=True)
    counts = {outcome: outcomes.count(outcome) for outcome in ("killed", "survived", "stale")}
    print(", ".join(f"{count} {outcome}" for outcome, count in counts.items()))
    return 0 if counts["killed"] == len(mutants) else 1


if __name__ == "__main__":
    sys.exit(main())
