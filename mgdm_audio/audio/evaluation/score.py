"""Score a folder of separations against a Kaldi data dir; write windows.csv, tracks.csv, summary.json/.md."""

from __future__ import annotations

import csv
import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mgdm_audio.common.atomic import atomic_path

from ..corpora.kaldi import validate_data_dir
from ..metrics import museval_sdr, windowed_si_sdri
from .summary import StemSummary, markdown_table, summarise_all, summarise_stem, to_json_record
from .tracks import ScoringError, estimate_folder, load_track

#: Stems of MSDM's Slakh2100 setup, in the order of spk1.scp … spk4.scp.
DEFAULT_STEMS = ("bass", "drums", "guitar", "piano")
WINDOWS_FILE, TRACKS_FILE, SUMMARY_JSON, SUMMARY_MD = "windows.csv", "tracks.csv", "summary.json", "summary.md"


@dataclass(frozen=True)
class ScoreResult:
    """Headline table (one row per stem, then "All") and the utterances skipped for lack of estimates."""

    summaries: list[StemSummary]
    skipped: list[str]


def score_separation(
    data_dir: str | os.PathLike[str],
    separation_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    stems: Sequence[str] = DEFAULT_STEMS,
    zero_mean: bool = False,
    active_only: bool = False,
    museval: bool = True,
    crop: bool = False,
    allow_missing: bool = False,
    window_s: float = 4.0,
    hop_s: float = 2.0,
) -> ScoreResult:
    """Score every utterance of ``data_dir`` (spk1.scp … = ``stems`` in order) against
    ``<separation_dir>/<utt_id>/<stem>.wav`` and write the four result files to ``out_dir``
    (default: ``separation_dir``), each atomically.

    SI-SDRi follows :func:`~mgdm_audio.audio.metrics.windowed_si_sdri` (``zero_mean``,
    ``active_only``, ``window_s`` and ``hop_s`` are passed on); ``museval=False`` skips BSS-Eval (slow: seconds
    per track minute), leaving its columns empty. An utterance without an estimate folder raises
    :class:`ScoringError`, or with ``allow_missing`` is skipped with a warning; ``crop``: see
    :func:`~mgdm_audio.audio.evaluation.tracks.load_track`.
    """
    stems = list(stems)
    data = validate_data_dir(data_dir, num_speakers=len(stems), check_audio=False)
    window_rows, track_rows, skipped = [], [], []
    window_scores: dict[str, list[float]] = {stem: [] for stem in stems}
    track_sdr: dict[str, list[float]] = {stem: [] for stem in stems}
    num_windows = 0
    for utt_id in data.utt_ids:
        if not estimate_folder(separation_dir, utt_id).is_dir():
            if not allow_missing:
                raise ScoringError(
                    f"{estimate_folder(separation_dir, utt_id)}: no estimates for utterance "
                    f"{utt_id} (--allow-missing skips it)"
                )
            warnings.warn(
                f"{estimate_folder(separation_dir, utt_id)}: no estimates, utterance {utt_id} skipped", stacklevel=2
            )
            skipped.append(utt_id)
            continue
        track = load_track(data, separation_dir, utt_id, stems, crop)
        if track.cropped_from is not None:
            warnings.warn(
                f"{utt_id}: files cropped from up to {track.cropped_from} to {len(track.mixture)} samples", stacklevel=2
            )
        scores = windowed_si_sdri(
            track.estimates,
            track.references,
            track.mixture,
            track.sample_rate,
            window_s=window_s,
            hop_s=hop_s,
            zero_mean=zero_mean,
            active_only=active_only,
        )
        num_windows += len(scores.starts)
        sdr = (
            museval_sdr(track.estimates, track.references, track.sample_rate)
            if museval
            else np.full(len(stems), np.nan)
        )
        for index, stem in enumerate(stems):
            scored = np.flatnonzero(scores.scored[:, index])
            for window in scored:
                window_rows.append(
                    [
                        utt_id,
                        f"{scores.starts[window] / track.sample_rate:.3f}",
                        stem,
                        int(scores.active[window, index]),
                        f"{scores.si_sdr[window, index]:.4f}",
                        f"{scores.si_sdri[window, index]:.4f}",
                    ]
                )
            window_scores[stem] += scores.si_sdri[scored, index].tolist()
            track_sdr[stem].append(float(sdr[index]))
            track_mean = scores.si_sdri[scored, index].mean() if len(scored) else np.nan
            track_rows.append([utt_id, stem, len(scored), _number(track_mean), _number(sdr[index])])
    summaries = [summarise_stem(stem, window_scores[stem], track_sdr[stem]) for stem in stems]
    summaries.append(summarise_all(summaries, num_windows))
    _write_outputs(
        Path(separation_dir if out_dir is None else out_dir),
        window_rows,
        track_rows,
        summaries,
        dict(
            data_dir=str(data_dir),
            separation_dir=str(separation_dir),
            stems=stems,
            zero_mean=zero_mean,
            active_only=active_only,
            museval=museval,
            crop=crop,
            window_s=window_s,
            hop_s=hop_s,
            tracks_scored=len(data.utt_ids) - len(skipped),
            tracks_skipped=skipped,
        ),
    )
    return ScoreResult(summaries, skipped)


def _number(value: float) -> str:
    # An empty CSV cell for "no value" (no scored window, museval off or undefined).
    return "" if np.isnan(value) else f"{value:.4f}"


def _write_outputs(
    out_dir: Path,
    window_rows: list[list[object]],
    track_rows: list[list[object]],
    summaries: list[StemSummary],
    settings: dict[str, object],
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_csv(out_dir / WINDOWS_FILE, ["utt", "start_s", "stem", "active", "si_sdr", "si_sdri"], window_rows)
    _write_csv(out_dir / TRACKS_FILE, ["utt", "stem", "windows", "si_sdri_mean", "museval_sdr"], track_rows)
    record = dict(settings, summary=[to_json_record(summary) for summary in summaries])
    _write_text(out_dir / SUMMARY_JSON, json.dumps(record, indent=2) + "\n")
    _write_text(
        out_dir / SUMMARY_MD,
        "# Separation scores\n\n"
        + markdown_table(summaries)
        + "\nSI-SDRi: mean ± 95% CI over scored 4 s windows (2 s hop) of all tracks; museval SDR "
        "(BSS-Eval v4, 1 s frames): per-track median over frames, then median / mean over tracks.\n",
    )


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with atomic_path(path) as temporary, open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as temporary:
        Path(temporary).write_text(text, encoding="utf-8")
