"""The Gaussian-mixture benchmark's problems, and its resumable runner."""

import csv

import pytest
import torch

from mgdm_audio.bench import gmm


def test_problems_are_seeded_and_their_posterior_is_exact():
    first, again = gmm.make_problem(8, 2, seed=3), gmm.make_problem(8, 2, seed=3)
    assert torch.equal(first.y, again.y) and torch.equal(first.operator.matrix, again.operator.matrix)
    assert not torch.equal(first.y, gmm.make_problem(8, 2, seed=4).y)
    prior = first.prior
    assert prior.means.shape == (25, 8) and set(prior.means[:, 0].tolist()) == {-16.0, -8.0, 0.0, 8.0, 16.0}
    assert torch.equal(prior.means[:, :2], prior.means[:, 2:4])  # the pair pattern repeats
    singular_values = torch.linalg.svdvals(first.operator.matrix)
    assert ((singular_values > 0) & (singular_values < 1)).all()
    assert abs(float(first.posterior.weights.sum()) - 1) < 1e-6


def test_the_mgdm_construction_draws_an_informative_operator():
    """Standard normal entries: singular values near √d (the MCGdiff construction's are below 1), the same
    prior and x* as the MCGdiff problem of that seed, and a posterior much tighter than the prior."""
    informative, mcgdiff = gmm.make_problem(80, 4, seed=3, construction="mgdm"), gmm.make_problem(80, 4, seed=3)
    singular_values = torch.linalg.svdvals(informative.operator.matrix)
    assert ((singular_values > 0.5 * 80**0.5) & (singular_values < 1.5 * 80**0.5)).all()
    assert torch.equal(informative.prior.weights, mcgdiff.prior.weights)
    matrix = informative.operator.matrix
    spread = (matrix @ informative.posterior.sample(2000, torch.Generator().manual_seed(0)).double().T).std(1)
    assert (spread < 2 * informative.sigma_y).all()  # A x is pinned to within about σ_y of y
    with pytest.raises(ValueError, match="unknown construction"):
        gmm.make_problem(8, 2, seed=0, construction="other")


def test_runner_resumes_and_tabulates(tmp_path):
    out = tmp_path / "runs.csv"
    kwargs = dict(
        cells=[(4, 1)],
        seeds=[0],
        gibbs_reps=[1],
        num_samples=100,
        sigma_y=0.5,
        updates=["pcn", "variational"],
        constructions=["mcgdiff", "mgdm"],
        baselines=["ddnm"],
        log=lambda line: None,
    )
    runs = gmm.benchmark(out, **kwargs)
    assert sorted((run.construction, run.method, run.intermediate_update) for run in runs) == [
        (construction, method, update)
        for construction in ("mcgdiff", "mgdm")
        for method, update in (("ddnm", ""), ("dps", ""), ("exact", ""), ("mgdm", "pcn"), ("mgdm", "variational"))
    ]
    by_update = {run.intermediate_update: run for run in runs if run.method == "mgdm"}
    assert by_update["variational"].forward_backward_calls == 97 * 20  # the gmm preset: K = 100, G = 20
    assert by_update["pcn"].forward_backward_calls == 0 and by_update["pcn"].sliced_wasserstein > 0
    assert {run.forward_calls for run in runs if run.method == "ddnm"} == {99}  # the gmm preset: K = 100
    assert len(gmm.benchmark(out, **kwargs)) == 10  # nothing is redone
    table = gmm.markdown_table(runs)
    assert (
        "| mcgdiff | 4 | 1 | MGDM | pcn | 1 | 1 |" in table and "| mgdm | 4 | 1 | MGDM | variational | 1 | 1 |" in table
    )
    assert "| mgdm | 4 | 1 | DDNM+ | – | – | 1 |" in table and "exact (noise floor)" in table
    # Sorted by construction, cell, then the method order of METHOD_NAMES.
    rows = [line.split(" | ")[3] for line in table.splitlines()[2:7]]
    assert rows == ["exact (noise floor)", "DPS", "DDNM+", "MGDM", "MGDM"]


def test_runner_resumes_a_csv_without_the_update_column(tmp_path):
    """CSVs written before MGDM had a choice of x_s update (or A a choice of construction) hold variational runs
    on the MCGdiff construction: kept, not redone."""
    out = tmp_path / "runs.csv"
    kwargs = dict(cells=[(4, 1)], seeds=[0], gibbs_reps=[1], num_samples=100, sigma_y=0.5, log=lambda line: None)
    first = gmm.benchmark(out, updates=["variational"], **kwargs)
    rows = list(csv.DictReader(out.open()))
    with out.open("w", newline="") as handle:
        old_fields = [field for field in gmm.FIELDS if field not in ("intermediate_update", "construction")]
        writer = csv.DictWriter(handle, fieldnames=old_fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    resumed = gmm.benchmark(out, updates=["pcn", "variational"], **kwargs)
    assert sorted(run.intermediate_update for run in resumed if run.method == "mgdm") == ["pcn", "variational"]
    assert [run for run in resumed if run.intermediate_update == "variational"] == [
        run for run in first if run.intermediate_update == "variational"
    ]
    assert next(csv.reader(out.open())) == list(gmm.FIELDS)


def test_paired_verdicts_by_hand():
    """Differences (MGDM − DPS) of −1 and −3 on two problems: mean −2, SE = sd / √2 = √2 / √2 = 1, so
    −2 ± 1.96 excludes 0 (below); +1 and −1: 0 ± 1.96, level (a third problem without DPS is left out)."""

    def run(construction, seed, method, value, update=""):
        return gmm.Run(construction, 8, 1, seed, method, update, 1 if method == "mgdm" else 0, value, 0, 0, 0.0)

    runs = [
        run("mgdm", 0, "dps", 4.0),
        run("mgdm", 0, "mgdm", 3.0, "pcn"),
        run("mgdm", 1, "dps", 5.0),
        run("mgdm", 1, "mgdm", 2.0, "pcn"),
        run("mgdm", 1, "mgdm", 9.0, "variational"),
        run("mcgdiff", 0, "dps", 1.0),
        run("mcgdiff", 0, "mgdm", 2.0, "pcn"),
        run("mcgdiff", 1, "dps", 1.0),
        run("mcgdiff", 1, "mgdm", 0.0, "pcn"),
        run("mcgdiff", 2, "mgdm", 0.0, "pcn"),
    ]
    table = gmm.paired_verdicts(runs, "pcn")
    assert "| mgdm | 8 | 1 | 2 | -2.000 ± 1.960 | below |" in table
    assert "| mcgdiff | 8 | 1 | 2 | +0.000 ± 1.960 | level |" in table  # seed 2 has no DPS run: left out
    single = gmm.paired_verdicts(runs[:2], "pcn")
    assert "| mgdm | 8 | 1 | 1 | -1.000 ± nan | one problem: no interval |" in single


def test_paired_matrix_by_hand():
    """MGDM − ΠGDM of −1 and −3 on two problems (−2 ± 1.96: bold, the interval excludes 0) and MGDM − DAPS of
    +1 and −1 (0 ± 1.96: plain); a cell where only DAPS ran next to MGDM shows "–" for ΠGDM."""

    def run(dim, seed, method, value, update=""):
        return gmm.Run("mgdm", dim, 1, seed, method, update, 1 if method == "mgdm" else 0, value, 0, 0, 0.0)

    runs = [
        run(8, 0, "mgdm", 3.0, "auto"),
        run(8, 0, "pigdm", 4.0),
        run(8, 0, "daps", 2.0),
        run(8, 1, "mgdm", 2.0, "auto"),
        run(8, 1, "pigdm", 5.0),
        run(8, 1, "daps", 3.0),
        run(8, 1, "mgdm", 0.0, "pcn"),
        run(20, 0, "mgdm", 1.0, "auto"),
        run(20, 0, "daps", 0.5),
    ]
    table = gmm.paired_matrix(runs, "auto", ["pigdm", "daps"])
    assert "| A | d | d_y | problems | MGDM − ΠGDM | MGDM − DAPS |" in table
    assert "| mgdm | 8 | 1 | 2 | **-2.000 ± 1.960** | +0.000 ± 1.960 |" in table
    assert "| mgdm | 20 | 1 | 1 | – | +0.500 ± nan |" in table


def test_cli_writes_the_baseline_matrix(tmp_path):
    """`mgdm bench gmm` with baselines: results.md pairs MGDM against DPS and against each baseline that ran."""
    from mgdm_audio.cli import main

    out = tmp_path / "bench"
    assert (
        main(
            [
                "bench",
                "gmm",
                "--out",
                str(out),
                "--dims",
                "2",
                "--obs-dims",
                "1",
                "--problems",
                "1",
                "--num-samples",
                "50",
                "--updates",
                "pcn",
                "--construction",
                "mgdm",
                "--baselines",
                "pigdm",
            ]
        )
        == 0
    )
    text = (out / "results.md").read_text()
    assert "MGDM (pcn, R = 1) against DPS on the same problems" in text
    assert "| A | d | d_y | problems | MGDM − ΠGDM |" in text
    assert "| mgdm | 2 | 1 | 1 | " in text.split("against each baseline")[1]


def test_every_prior_runs_with_the_preset_ma_sample_gives_it(monkeypatch):
    """The benchmark scores what a user gets: ``ma.sample`` runs a GaussianMixture prior (the random Gaussian is a
    one-component one) with its default preset, ``gmm``."""
    from types import SimpleNamespace

    seen = []

    def record(problem, method, *args, preset, **kwargs):
        seen.append((method, preset))
        return SimpleNamespace()

    monkeypatch.setattr(gmm, "run_method", record)
    for prior in ("grid25", "gaussian"):
        gmm.solve_problem("mgdm", 4, 1, 0, [("mgdm", "auto", 1)], 10, 0.5, prior)
    assert seen == [("mgdm", "gmm"), ("mgdm", "gmm")]
