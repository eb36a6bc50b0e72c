"""A recipe's ``RESULTS.md``: the headline numbers of several ``mgdm score`` runs side by side.

Each run is one ``summary.json`` (written by ``mgdm score``) under a label, usually the sampler's
name. The page has one table of SI-SDRi (mean ± 95% CI over scored windows) per run and stem,
one of museval SDR (median over tracks, mean in parentheses), and a grouped bar chart of the
SI-SDRi with its confidence intervals (a PNG next to the page).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from .summary import StemSummary


@dataclass(frozen=True)
class ScoredRun:
    """The headline numbers of one ``mgdm score`` run: ``summaries`` per stem, "All" last."""

    label: str
    path: Path
    tracks_scored: int
    summaries: tuple[StemSummary, ...]

    @property
    def stems(self) -> tuple[str, ...]:
        """Stem names in table order ("All" included)."""
        return tuple(summary.stem for summary in self.summaries)


def load_run(path: str | os.PathLike[str], label: str) -> ScoredRun:
    """Read a ``summary.json`` of ``mgdm score`` (its nulls become NaN) under ``label``.

    Raises ValueError when the file is not such a summary.
    """
    path = Path(path)
    record = json.loads(path.read_text(encoding="utf-8"))
    names = {field.name for field in fields(StemSummary)}
    try:
        rows = record["summary"]
        summaries = tuple(
            StemSummary(**{name: math.nan if row[name] is None else row[name] for name in names}) for row in rows
        )
        tracks = int(record["tracks_scored"])
    except (KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a summary.json of mgdm score (missing {error})") from None
    return ScoredRun(label, path, tracks, summaries)


def default_label(path: str | os.PathLike[str]) -> str:
    """The label of a summary file by its folder: ``exp/score_mgdm/summary.json`` → ``mgdm``."""
    folder = Path(path).resolve().parent.name
    return folder.removeprefix("score_") or folder


def results_markdown(runs: Sequence[ScoredRun], chart_name: str | None = None, notes: Sequence[str] = ()) -> str:
    """The Markdown page: notes, the SI-SDRi and museval tables, the chart (a relative link), the sources."""
    stems = _common_stems(runs)
    header = "| run | " + " | ".join(stems) + " | tracks |"
    rule = "|---" * (len(stems) + 2) + "|"
    si_sdri, museval = [header.replace(" tracks |", " windows | tracks |"), rule + "---|"], [header, rule]
    for run in runs:
        by_stem = {summary.stem: summary for summary in run.summaries}
        si_sdri.append(
            f"| {run.label} | "
            + " | ".join(
                f"{_number(by_stem[stem].si_sdri_mean)} ± {_number(by_stem[stem].si_sdri_ci95)}" for stem in stems
            )
            + f" | {by_stem[stems[-1]].num_windows} | {run.tracks_scored} |"
        )
        museval.append(
            f"| {run.label} | "
            + " | ".join(
                f"{_number(by_stem[stem].museval_sdr_median)} ({_number(by_stem[stem].museval_sdr_mean)})"
                for stem in stems
            )
            + f" | {run.tracks_scored} |"
        )
    lines = ["# Results", ""]
    lines += [f"- {note}" for note in notes] + ([""] if notes else [])
    lines += [
        "## SI-SDRi (dB), mean ± 95% CI over scored windows",
        "",
        "4 s windows, 2 s hop, windows with at most one active stem skipped (MSDM protocol); "
        '"All" is the mean of the stems; n/a: no window, or one window (no interval).',
        "",
        *si_sdri,
        "",
    ]
    if chart_name is not None:
        lines += [f"![SI-SDRi per stem and run]({chart_name})", ""]
    lines += [
        "## museval SDR (dB), median over tracks (mean)",
        "",
        "BSS-Eval v4 on 1 s frames, per track the "
        "median over frames; a track whose reference stem is silent throughout has none.",
        "",
        *museval,
        "",
        "## Sources",
        "",
    ]
    lines += [f"- {run.label}: `{run.path}`" for run in runs]
    return "\n".join(lines) + "\n"


def plot_si_sdri(runs: Sequence[ScoredRun], path: str | os.PathLike[str]) -> None:
    """Grouped bar chart of SI-SDRi per stem (groups) and run (bars), 95% CIs as error bars, to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    stems = _common_stems(runs)
    positions = np.arange(len(stems))
    width = 0.8 / len(runs)
    figure, axes = plt.subplots(figsize=(1.6 + 1.2 * len(stems) * max(1, len(runs) / 2), 3.6))
    for index, run in enumerate(runs):
        by_stem = {summary.stem: summary for summary in run.summaries}
        means = [by_stem[stem].si_sdri_mean for stem in stems]
        # An unknown interval (fewer than 2 windows) is drawn without an error bar.
        errors = [0.0 if math.isnan(by_stem[stem].si_sdri_ci95) else by_stem[stem].si_sdri_ci95 for stem in stems]
        axes.bar(
            positions + (index - (len(runs) - 1) / 2) * width, means, width, yerr=errors, capsize=3, label=run.label
        )
    axes.axhline(0.0, color="black", linewidth=0.8)
    axes.set_xticks(positions, stems)
    axes.set_ylabel("SI-SDRi (dB)")
    axes.set_title("SI-SDRi, mean ± 95% CI")
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def write_results(
    out_path: str | os.PathLike[str],
    runs: Sequence[ScoredRun],
    chart_path: str | os.PathLike[str] | None = None,
    notes: Sequence[str] = (),
) -> Path:
    """Write the page to ``out_path`` and the chart to ``chart_path`` (default: the page's name with
    ``.png``); returns the chart's path. Labels must be unique."""
    if not runs:
        raise ValueError("no runs to report")
    labels = [run.label for run in runs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"run labels must be unique, got {labels}")
    out_path = Path(out_path)
    chart_path = out_path.with_suffix(".png") if chart_path is None else Path(chart_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    plot_si_sdri(runs, chart_path)
    link = os.path.relpath(chart_path.resolve(), out_path.resolve().parent)
    out_path.write_text(results_markdown(runs, link, notes), encoding="utf-8")
    return chart_path


def _common_stems(runs: Sequence[ScoredRun]) -> tuple[str, ...]:
    stems = runs[0].stems
    for run in runs[1:]:
        if run.stems != stems:
            raise ValueError(f"{run.path}: stems {list(run.stems)} differ from {list(stems)} of {runs[0].path}")
    return stems


def _number(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"
