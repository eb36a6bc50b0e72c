"""The restoration benchmark: excerpts of a corpus degraded by each task at each level and restored by each system,
scored against the clean excerpt; rows in a CSV (resumable), a table of means with 95 % intervals and paired
differences.

Systems: ``degraded`` (the degraded input itself), ``classical`` (:data:`..restoration.classical.CLASSICAL`), and
any sampler (``mgdm``, ``dps``) run by :class:`..restoration.pipeline.RestorationPipeline` with the default
settings and the options given. Excerpt i of a data directory is the ``seconds``-long window of track i (on a 1 s
grid) whose quietest stem is loudest, so that every stem plays; its gaps are placed by seed i.
"""

from __future__ import annotations

import csv
import dataclasses
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from mgdm_audio.common.atomic import atomic_path
from mgdm_audio.common.stats import interval
from mgdm_audio.core.samplers import make_sampler

from ..corpora.kaldi import read_data_dir
from ..metrics import si_snr
from ..operators.tasks import Degradation
from ..restoration.classical import CLASSICAL, classical_restore
from ..restoration.sampling import needs_gradient
from ..restoration.scores import restoration_scores
from ..restoration.settings import build_restoration_settings

FIELDS = ["excerpt", "track", "start_s", "task", "level", "system", "sdr", "si_sdr", "lsd", "stems_si_sdri"]
FIELDS += ["seconds", "real_time_factor", "forward", "forward_backward"]
#: Column names of the metrics a table can pair on.
METRIC_NAMES = {"sdr": "SDR", "si_sdr": "SI-SDR", "lsd": "LSD", "stems_si_sdri": "stems' SI-SDRi"}
#: Systems that are not samplers.
FIXED_SYSTEMS = ("degraded", "classical")


@dataclass(frozen=True)
class Excerpt:
    """Excerpt ``index``: ``mixture`` [1, n] and ``stems`` [S, n] (mono, float64) of track ``track`` from
    ``start_s`` seconds."""

    index: int
    track: str
    start_s: float
    mixture: np.ndarray
    stems: np.ndarray


def excerpts(data_dir: Path, count: int, seconds: float, first: int = 0) -> Iterable[tuple[Excerpt, int]]:
    """Excerpts ``first`` … ``first + count − 1`` of ``data_dir`` (see the module doc), each with its rate (Hz)."""
    data = read_data_dir(data_dir)
    tracks = sorted(data.mixtures)[first : first + count]
    for index, track in enumerate(tracks, start=first):
        stems = np.stack([soundfile.read(source[track], dtype="float64")[0] for source in data.sources])
        stems = stems.mean(axis=-1) if stems.ndim == 3 else stems
        rate = soundfile.info(data.mixtures[track]).samplerate
        width = round(seconds * rate)
        starts = range(0, stems.shape[-1] - width + 1, rate)
        if not starts:
            raise ValueError(f"{data.mixtures[track]}: shorter than {seconds} s")
        loudness = [np.sqrt((stems[:, s : s + width] ** 2).mean(axis=-1)).min() for s in starts]
        start = starts[int(np.argmax(loudness))]
        window = stems[:, start : start + width]
        yield Excerpt(index, track, start / rate, window.sum(axis=0, keepdims=True), window), rate


def run_system(
    system: str,
    excerpt: Excerpt,
    rate: int,
    task: str,
    level: float,
    options: dict[str, dict[str, Any]],
    pipelines: dict[Any, Any],
    cache: Path,
) -> dict[str, Any]:
    """One row: ``system`` restoring ``excerpt`` degraded by ``task`` at ``level`` (seed: the excerpt's index). The
    classical restoration, which the samplers' warm start separates, is made once per excerpt and cell and kept in
    ``cache``; its seconds count in the cost of every system that uses it."""
    from ..restoration.pipeline import RestorationPipeline

    row: dict[str, Any] = dict(excerpt=excerpt.index, track=excerpt.track, start_s=excerpt.start_s)
    row.update(task=task, level=level, system=system, forward=0, forward_backward=0, stems_si_sdri="")
    clean = excerpt.mixture
    degradation = Degradation.simulate(task, level, clean, rate, excerpt.index)
    degraded = degradation.apply(clean)
    started = time.perf_counter()
    if system == "degraded":
        restored = degraded
    elif system == "classical":
        restored, seconds = _classical(degradation, degraded, cache, excerpt.index)
        started = time.perf_counter() - seconds
    else:
        key = (system, task, level)
        if key not in pipelines:
            pipelines.clear()  # one model set in memory at a time
            pipelines[key] = RestorationPipeline(task, level, sampler=system, **options.get(system, {}))
        pipeline = pipelines[key]
        classical = None
        if pipeline.separator is not None:  # the warm start separates the classical restoration
            classical, seconds = _classical(degradation, degraded, cache, excerpt.index)
            started = time.perf_counter() - seconds  # part of the cost
        settings = pipeline.settings
        pipeline.settings = dataclasses.replace(
            settings, sampling=dataclasses.replace(settings.sampling, seed=excerpt.index)
        )
        if pipeline.sample_rate != rate:
            raise ValueError(f"the excerpts are at {rate} Hz, the prior at {pipeline.sample_rate} Hz")
        arrays, record = pipeline.restore(clean, rate, return_record=True, classical=classical)
        restored = arrays["restored"]
        estimates = np.concatenate([arrays[stem] for stem in pipeline.stems])
        gains = si_snr(estimates, excerpt.stems) - si_snr(np.broadcast_to(clean, excerpt.stems.shape), excerpt.stems)
        row.update(stems_si_sdri=round(float(np.mean(gains)), 4), **record["denoiser_calls"])
    seconds = time.perf_counter() - started
    row.update(restoration_scores(restored, clean))
    row.update(seconds=round(seconds, 3), real_time_factor=round(seconds / (clean.shape[-1] / rate), 4))
    return row


def benchmark(
    data_dir: Path,
    csv_path: Path,
    cells: Sequence[tuple[str, float]],
    systems: Sequence[str],
    count: int,
    seconds: float,
    options: dict[str, dict[str, Any]],
    first: int = 0,
    progress=print,
) -> list[dict[str, str]]:
    """Run every (excerpt, cell, system) not yet in ``csv_path``, appending one row each; returns all rows.
    ``options``: per sampler system, the options of its :class:`..restoration.pipeline.RestorationPipeline`."""
    done = {(r["excerpt"], r["task"], _level(r["level"]), r["system"]) for r in read_rows(csv_path)}
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    pipelines: dict[Any, Any] = {}
    for system in systems:
        for task, level in cells:
            if not runs_on(system, task, options.get(system, {})):
                reason = "no classical method" if system == "classical" else "the sampler needs the operator's gradient"
                progress(f"{system} {task} {level:g}: skipped ({reason})")
                continue
            for excerpt, rate in excerpts(data_dir, count, seconds, first):
                if (str(excerpt.index), task, _level(level), system) in done:
                    continue
                row = run_system(system, excerpt, rate, task, level, options, pipelines, csv_path.parent / "classical")
                _append(csv_path, row)
                progress(
                    f"{system} {task} {level:g} excerpt {excerpt.index}: SDR {row['sdr']:+.2f} dB, "
                    f"{row['seconds']:.1f} s"
                )
    return read_rows(csv_path)


def _classical(degradation: Degradation, degraded: np.ndarray, cache: Path, index: int) -> tuple[np.ndarray, float]:
    """The classical restoration of ``degraded`` and the seconds it took, from ``cache`` when made before."""
    path = cache / f"{degradation.task}_{degradation.level:g}_{index}.npz"
    if path.is_file():
        stored = np.load(path)
        return stored["restored"], float(stored["seconds"])
    started = time.perf_counter()
    restored = classical_restore(degradation, degraded)
    seconds = time.perf_counter() - started
    cache.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            np.savez(handle, restored=restored, seconds=seconds)
    return restored, seconds


def runs_on(system: str, task: str, options: dict[str, Any]) -> bool:
    """Whether ``system`` runs on ``task``: the classical system where the task has a classical method, and a
    sampler unless it differentiates the operator of a black box (with the restoration's settings, which give MGDM
    its derivative-free update there)."""
    if system == "classical":
        return CLASSICAL[task] is not None
    if system == "degraded":
        return True
    settings = build_restoration_settings(task, sampler=system, overrides=options.get("overrides"), init="none")
    return not needs_gradient(make_sampler(system, "audio", **settings.sampling.overrides), task)


def read_rows(csv_path: Path) -> list[dict[str, str]]:
    if not csv_path.is_file():
        return []
    with open(csv_path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _append(csv_path: Path, row: dict[str, Any]) -> None:
    """One row appended (the header first in a new file); a crash loses at most the row being written."""
    new = not csv_path.is_file()
    with open(csv_path, "a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        if new:
            writer.writeheader()
        writer.writerow(row)


def _level(level: Any) -> str:
    return f"{float(level):g}"


def markdown_tables(rows: Sequence[dict[str, str]], metric: str = "sdr", target: str = "mgdm") -> str:
    """Per (task, level): each system's mean ± 95 % interval of ``metric`` (and SI-SDR, LSD, stems' SI-SDRi, RTF),
    then ``target`` minus each other system, paired on the excerpts both ran (bold: the interval excludes 0)."""
    cells = sorted({(r["task"], float(r["level"])) for r in rows}, key=lambda c: (c[0], c[1]))
    systems = sorted(
        {r["system"] for r in rows},
        key=lambda s: (s not in FIXED_SYSTEMS, FIXED_SYSTEMS.index(s) if s in FIXED_SYSTEMS else 0, s),
    )
    lines = [
        "| task | level | system | excerpts | SDR (dB) | SI-SDR (dB) | LSD | stems' SI-SDRi (dB) | RTF | "
        f"{target} − system, {METRIC_NAMES[metric]} (paired) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for task, level in cells:
        by_system = {
            s: {r["excerpt"]: r for r in rows if r["task"] == task and float(r["level"]) == level and r["system"] == s}
            for s in systems
        }
        for system, runs in by_system.items():
            if not runs:
                continue
            cell = [task, f"{level:g}", CLASSICAL[task] if system == "classical" and CLASSICAL[task] else system]
            cell.append(str(len(runs)))
            for field in ("sdr", "si_sdr", "lsd", "stems_si_sdri"):
                values = [float(r[field]) for r in runs.values() if r[field] != ""]
                cell.append(_pm(*interval(values)) if values else "")
            cell.append(f"{np.mean([float(r['real_time_factor']) for r in runs.values()]):.2f}")
            mine = by_system.get(target, {})
            shared = sorted(set(mine) & set(runs))
            if system != target and shared:
                difference = [float(mine[e][metric]) - float(runs[e][metric]) for e in shared]
                mean, half = interval(difference)
                text = _pm(mean, half)
                cell.append(f"**{text}**" if abs(mean) > half else text)
            else:
                cell.append("")
            lines.append("| " + " | ".join(cell) + " |")
    return "\n".join(lines) + "\n"


def _pm(mean: float, half: float) -> str:
    return f"{mean:+.2f} ± {half:.2f}"
