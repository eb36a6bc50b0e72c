"""Aggregate per-window and per-track scores into the headline table (per stem and "All")."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from mgdm_audio.common.stats import Z95


@dataclass(frozen=True)
class StemSummary:
    """Headline numbers of one stem (or "All"), dB; NaN where there is nothing to average.

    si_sdri_mean ± si_sdri_ci95 over ``num_windows`` scored windows of all tracks (the CI is
    1.96 standard errors of the mean); museval_sdr_median / _mean over the ``num_tracks`` tracks
    with a museval SDR (a track whose reference stem is silent throughout has none).
    """

    stem: str
    num_windows: int
    si_sdri_mean: float
    si_sdri_ci95: float
    num_tracks: int
    museval_sdr_median: float
    museval_sdr_mean: float


def summarise_stem(stem: str, window_si_sdri: Sequence[float], track_sdr: Sequence[float]) -> StemSummary:
    """Summary of one stem from its scored windows' SI-SDRi and its tracks' museval SDR (NaN: none)."""
    windows = np.asarray(window_si_sdri, np.float64)
    sdr = np.asarray(track_sdr, np.float64)
    sdr = sdr[~np.isnan(sdr)]
    # The standard error needs two windows; with fewer the interval is unknown, not zero.
    ci95 = Z95 * windows.std(ddof=1) / math.sqrt(len(windows)) if len(windows) > 1 else math.nan
    return StemSummary(
        stem,
        len(windows),
        _mean(windows),
        float(ci95),
        len(sdr),
        float(np.median(sdr)) if len(sdr) else math.nan,
        _mean(sdr),
    )


def summarise_all(stems: Sequence[StemSummary], num_windows: int) -> StemSummary:
    """ "All": the mean of the stems' numbers (as MSDM's table). Its CI treats the stems' means as
    independent, 1.96·sqrt(Σ SE_k²)/S — windows are shared across stems, so it is indicative only.
    ``num_windows``: the number of kept windows (each scores several stems)."""
    standard_errors = np.array([summary.si_sdri_ci95 / Z95 for summary in stems])
    ci95 = Z95 * math.sqrt(float((standard_errors**2).sum())) / len(stems)
    return StemSummary(
        "All",
        num_windows,
        _mean([summary.si_sdri_mean for summary in stems]),
        ci95,
        min(summary.num_tracks for summary in stems),
        _mean([summary.museval_sdr_median for summary in stems]),
        _mean([summary.museval_sdr_mean for summary in stems]),
    )


def _mean(values: Sequence[float] | np.ndarray) -> float:
    # NaN rather than numpy's "mean of empty slice" warning when there is nothing to average.
    values = np.asarray(values, np.float64)
    return float(values.mean()) if len(values) else math.nan


def to_json_record(summary: StemSummary) -> dict[str, object]:
    """The summary as a JSON-safe dict: NaN (not valid JSON) becomes null."""
    return {
        key: None if isinstance(value, float) and math.isnan(value) else value for key, value in asdict(summary).items()
    }


def markdown_table(summaries: Sequence[StemSummary]) -> str:
    """The headline table in Markdown, one row per stem then "All"."""
    lines = [
        "| stem | SI-SDRi (dB) | windows | museval SDR median (dB) | museval SDR mean (dB) | tracks |",
        "|---|---|---|---|---|---|",
    ]
    for summary in summaries:
        lines.append(
            f"| {summary.stem} | {_dB(summary.si_sdri_mean)} ± {_dB(summary.si_sdri_ci95)} | "
            f"{summary.num_windows} | {_dB(summary.museval_sdr_median)} | {_dB(summary.museval_sdr_mean)} | "
            f"{summary.num_tracks} |"
        )
    return "\n".join(lines) + "\n"


def _dB(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"
