"""The Gaussian-mixture benchmark's problems, and its resumable runner."""
import csv

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


def test_runner_resumes_and_tabulates(tmp_path):
    out = tmp_path / "runs.csv"
    kwargs = dict(dims=[4], obs_dims=[1], seeds=[0], gibbs_reps=[1], num_samples=200, sigma_y=0.5,
                  updates=["pcn", "variational"], log=lambda line: None)
    runs = gmm.benchmark(out, **kwargs)
    assert sorted((run.method, run.intermediate_update) for run in runs) == [
        ("dps", ""), ("exact", ""), ("mgdm", "pcn"), ("mgdm", "variational")]
    by_update = {run.intermediate_update: run for run in runs if run.method == "mgdm"}
    assert by_update["variational"].forward_backward_calls == 97 * 20  # the gmm preset: K = 100, G = 20
    assert by_update["pcn"].forward_backward_calls == 0 and by_update["pcn"].sliced_wasserstein > 0
    assert len(gmm.benchmark(out, **kwargs)) == 4  # nothing is redone
    table = gmm.markdown_table(runs)
    assert "| 4 | 1 | MGDM | pcn | 1 | 1 |" in table and "| 4 | 1 | MGDM | variational | 1 | 1 |" in table
    assert "exact (noise floor)" in table


def test_runner_resumes_a_csv_without_the_update_column(tmp_path):
    """CSVs written before MGDM had a choice of x_s update hold variational runs: kept, not redone."""
    out = tmp_path / "runs.csv"
    kwargs = dict(dims=[4], obs_dims=[1], seeds=[0], gibbs_reps=[1], num_samples=100, sigma_y=0.5,
                  log=lambda line: None)
    first = gmm.benchmark(out, updates=["variational"], **kwargs)
    rows = list(csv.DictReader(out.open()))
    with out.open("w", newline="") as handle:
        old_fields = [field for field in gmm.FIELDS if field != "intermediate_update"]
        writer = csv.DictWriter(handle, fieldnames=old_fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    resumed = gmm.benchmark(out, updates=["pcn", "variational"], **kwargs)
    assert sorted(run.intermediate_update for run in resumed if run.method == "mgdm") == ["pcn", "variational"]
    assert [run for run in resumed if run.intermediate_update == "variational"] == \
        [run for run in first if run.intermediate_update == "variational"]
    assert next(csv.reader(out.open())) == list(gmm.FIELDS)
