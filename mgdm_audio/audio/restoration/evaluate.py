"""Score a folder of audio ``mgdm restore`` outputs: the scores each track's record holds, gathered.

Command line::

    mgdm restore-score restored/default/gaps_50 exp/score_gaps_50_mgdm

writes ``scores.csv`` (one row per track: the restoration's and the degraded input's SDR, SI-SDR and LSD against
the clean input at the prior's rate) and ``summary.json`` (means with 95 % Student intervals, the restoration's
paired SDR gain over the degraded input, the settings and cost) into the score folder. The scores are those
``mgdm restore`` computed from the arrays it wrote; ``mgdm report`` makes the listening page from the summaries.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import soundfile

from mgdm_audio.common.atomic import atomic_path
from mgdm_audio.common.stats import interval

from .pipeline import DEGRADED, RECORD_FILE, RESTORED

#: Per-track scores next to summary.json.
SCORES_FILE = "scores.csv"
#: The scores of each track, restored and degraded: SDR and SI-SDR in dB, LSD.
METRICS = ("sdr", "si_sdr", "lsd")
#: What a track's record holds of its own input (every other setting must agree across the tracks of a summary),
#: and what its degradation holds of the track alone.
PER_TRACK_SETTINGS = ("input", "input_sha256")
PER_TRACK_DEGRADATION = ("threshold", "missing_fraction")


def is_audio_restore_dir(folder: Path) -> bool:
    """Whether ``folder`` holds music restorations (``<track>/degraded.wav``; image restorations share the record's
    name)."""
    return folder.is_dir() and any(folder.glob(f"*/{DEGRADED}.wav"))


def evaluate(restore_dir: Path, score_dir: Path, label: str | None = None) -> dict[str, Any]:
    """Gather the scores of every finished ``<track>/`` of ``restore_dir`` (``OUT/<prior>/<task>_<level>`` of
    ``mgdm restore``); write and return the summary (``label``: the report's name for its row, by default the
    sampler's name).

    Raises:
        FileNotFoundError: no finished restoration in ``restore_dir``. ValueError: tracks restored with different
            settings (the first setting that differs is named).
    """
    folders = sorted(path.parent for path in restore_dir.glob(f"*/{RECORD_FILE}")) if restore_dir.is_dir() else []
    if not folders:
        raise FileNotFoundError(f"{restore_dir}: no restored tracks (<track>/{RECORD_FILE})")
    records = [json.loads((folder / RECORD_FILE).read_text(encoding="utf-8")) for folder in folders]
    settings = {key: value for key, value in records[0]["settings"].items() if key not in PER_TRACK_SETTINGS}
    for folder, record in zip(folders, records):
        for name in sorted(set(settings) | set(record["settings"]) - set(PER_TRACK_SETTINGS)):
            if record["settings"].get(name) != settings.get(name):
                raise ValueError(
                    f"{folder}: restored with {name}={record['settings'].get(name)!r}, {folders[0].name} with "
                    f"{settings.get(name)!r}: score them apart"
                )
    rows = []
    for folder, record in zip(folders, records):
        info = soundfile.info(folder / f"{DEGRADED}.wav")
        row = {"track": folder.name}
        row.update({metric: record["scores"][RESTORED][metric] for metric in METRICS})
        row.update({f"degraded_{metric}": record["scores"][DEGRADED][metric] for metric in METRICS})
        row.update(seconds=record["seconds"], audio_seconds=round(info.frames / info.samplerate, 4))
        rows.append(row)
    seconds = sum(row["seconds"] for row in rows)
    audio_seconds = sum(row["audio_seconds"] for row in rows)
    summary: dict[str, Any] = {
        "restore_dir": str(restore_dir.resolve()),
        "degradation": {
            key: value for key, value in records[0]["degradation"].items() if key not in PER_TRACK_DEGRADATION
        },
        "task": settings["task"],
        "level": settings["level"],
        "sampler": settings["sampler"],
        "label": label or settings["sampler"],
        "prior": records[0]["prior"],
        "settings": settings,
        "sampler_settings": records[0]["sampler_settings"],
        "num_tracks": len(rows),
        "seconds": round(seconds, 3),
        "audio_seconds": round(audio_seconds, 3),
        "real_time_factor": round(seconds / audio_seconds, 4),
        "denoiser_calls": {
            kind: sum(record["denoiser_calls"][kind] for record in records) for kind in ("forward", "forward_backward")
        },
        "device": records[0]["device"],
    }
    for metric in (*METRICS, *(f"degraded_{metric}" for metric in METRICS)):
        summary[f"{metric}_mean"], summary[f"{metric}_ci95"] = interval([row[metric] for row in rows])
    summary["sdr_gain_mean"], summary["sdr_gain_ci95"] = interval([row["sdr"] - row["degraded_sdr"] for row in rows])
    score_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(score_dir / SCORES_FILE) as temporary, open(temporary, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with atomic_path(score_dir / "summary.json") as temporary:
        Path(temporary).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def read_scores(score_dir: Path) -> dict[str, dict[str, float]]:
    """track -> its scores (the columns of ``scores.csv`` but the track's name, as floats)."""
    with open(score_dir / SCORES_FILE, newline="", encoding="utf-8") as handle:
        return {row.pop("track"): {key: float(value) for key, value in row.items()} for row in csv.DictReader(handle)}
