"""A listening page for scored separations: the mixture, the reference stems and every system's estimates side by
side, each with an audio player and a spectrogram, the scores beside them and sortable tables on top.

Each system is one ``mgdm score`` run (its ``summary.json`` names the data dir and the separation folder). The page
is one self-contained ``index.html`` with its audio (Opus, encoded by ffmpeg) and spectrograms (PNG) in folders
beside it: no server, no network, no script or style from elsewhere. A system separated with ``-n N
--save-samples`` also shows its N posterior draws per stem and their spread.
"""

from __future__ import annotations

import csv
import html
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mgdm_audio.common.html_page import Cell, figure, number_cell, sortable_table, write_document

from ..corpora.kaldi import read_data_dir
from .media import (
    BITRATE,
    RANGE_DB,
    clip_seconds,
    decibels,
    encode_opus,
    plot_spectrogram,
    read_excerpt,
    require_ffmpeg,
    stft,
)
from .results import ScoredRun, default_label, load_run


@dataclass(frozen=True)
class System:
    """One scored separation: its headline numbers, its record, and per (track, stem) the track's SI-SDRi
    (mean over its windows) and museval SDR (NaN where not scored)."""

    run: ScoredRun
    record: dict
    si_sdri: dict[tuple[str, str], float]
    sdr: dict[tuple[str, str], float]

    @property
    def separation_dir(self) -> Path:
        return Path(self.record["separation_dir"])

    def draws(self, utt: str, stem: str) -> list[Path]:
        """The posterior draws ``<stem>_sample<k>.wav`` of ``-n N --save-samples`` in track ``utt``, by k."""
        pattern = re.compile(rf"{re.escape(stem)}_sample(\d+)\.wav")
        numbered = []
        for path in (self.separation_dir / utt).glob(f"{stem}_sample*.wav"):
            match = pattern.fullmatch(path.name)
            if match:
                numbered.append((int(match.group(1)), path))
        return [path for _, path in sorted(numbered)]


def load_system(summary: Path, label: str) -> System:
    """The system of ``summary`` (a ``summary.json`` of ``mgdm score``, ``tracks.csv`` beside it)."""
    record = json.loads(summary.read_text(encoding="utf-8"))
    si_sdri, sdr = {}, {}
    with open(summary.with_name("tracks.csv"), newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = row["utt"], row["stem"]
            si_sdri[key] = float(row["si_sdri_mean"]) if row["si_sdri_mean"] else math.nan
            sdr[key] = float(row["museval_sdr"]) if row["museval_sdr"] else math.nan
    return System(load_run(summary, label), record, si_sdri, sdr)


def write_page(
    out: Path,
    summaries: Sequence[Path],
    labels: Sequence[str] | None = None,
    seconds: float = 10.0,
    max_megabytes: float = 50.0,
) -> Path:
    """Write ``out/index.html`` for the systems of ``summaries`` and return its path.

    Args:
        out: the page's folder (created). summaries: ``summary.json`` files of ``mgdm score``, one per system,
            all of one data dir. labels: one per system (default: the score folder's name).
        seconds: the longest excerpt kept per clip (from the start); shortened further so that the audio fits
            ``max_megabytes`` at :data:`BITRATE`. Excerpts are named as such on the page.

    Raises:
        ValueError: summaries of different data dirs, or labels that do not match them. FileNotFoundError: ffmpeg
            is not installed.
    """
    require_ffmpeg()
    labels = list(labels) if labels else [default_label(path) for path in summaries]
    if len(labels) != len(summaries):
        raise ValueError(f"{len(labels)} labels for {len(summaries)} summaries")
    systems = [load_system(Path(path), label) for path, label in zip(summaries, labels)]
    data_dirs = {str(Path(system.record["data_dir"]).resolve()) for system in systems}
    if len(data_dirs) != 1:
        raise ValueError(f"the summaries score different data dirs: {', '.join(sorted(data_dirs))}")
    data = read_data_dir(next(iter(data_dirs)))
    stems = list(systems[0].record["stems"])
    tracks = sorted({utt for utt, _ in systems[0].si_sdri})
    plans = [_track_clips(utt, data, stems, systems) for utt in tracks]
    clips = sum(len(plan) for plan in plans)
    seconds = clip_seconds(seconds, max_megabytes, clips)
    body = "\n".join(
        [
            "<h1>Separations</h1>",
            f"<p>{len(tracks)} track(s); audio: at most the first {seconds:.1f} s of each track (an excerpt where "
            f"longer), Opus {BITRATE // 1000} kb/s; spectrograms on one colour scale per track ({RANGE_DB:.0f} dB). "
            "Click a column's header to sort by it.</p>",
            "<h2>Scores (dB): SI-SDRi mean ± 95 % interval over windows; museval SDR over tracks</h2>",
            _summary_table(systems),
            "<h2>Systems</h2>",
            _systems_table(systems),
            *(_track_section(out, utt, plan, stems, systems, seconds) for utt, plan in zip(tracks, plans)),
        ]
    )
    return write_document(out / "index.html", "mgdm_audio separations", body)


def _summary_table(systems: Sequence[System]) -> str:
    """summary.md's rows (each stem, then "All") for every system, sortable by any column."""
    rows = []
    for system in systems:
        for summary in system.run.summaries:
            rows.append(
                [
                    Cell(system.run.label, system.run.label),
                    Cell(summary.stem, summary.stem),
                    number_cell(summary.si_sdri_mean, summary.si_sdri_ci95, sign=True),
                    Cell(str(summary.num_windows), summary.num_windows),
                    number_cell(summary.museval_sdr_median),
                    number_cell(summary.museval_sdr_mean),
                    Cell(str(summary.num_tracks), summary.num_tracks),
                ]
            )
    headers = ["system", "stem", "SI-SDRi", "windows", "SDR median", "SDR mean", "tracks"]
    return sortable_table(headers, rows, "summary")


def _systems_table(systems: Sequence[System]) -> str:
    """Each system's settings and cost: sampler seconds, denoiser calls and real-time factor (sampler seconds per
    second of audio), summed over its tracks' records."""
    rows = []
    for system in systems:
        records = [
            json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(system.separation_dir.glob("*/separation.json"))
        ]
        computed = sum(record.get("seconds", 0.0) for record in records)
        audio = sum(
            record["input_frames"] / record["input_sample_rate"] for record in records if "input_frames" in record
        )
        calls = [sum(record.get("denoiser_calls", {}).get(kind, 0) for record in records) for kind in _CALLS]
        settings = records[0].get("settings", {}) if records else {}
        described = ", ".join(f"{key} {value}" for key, value in settings.items() if key in _SHOWN_SETTINGS)
        rtf = computed / audio if audio else math.nan
        rows.append(
            [
                Cell(system.run.label, system.run.label),
                Cell(described, described),
                number_cell(computed, digits=1),
                number_cell(audio, digits=1),
                number_cell(rtf),
                Cell(f"{calls[0]} / {calls[1]}", calls[0] + calls[1]),
            ]
        )
    headers = ["system", "settings", "sampler seconds", "audio seconds", "real-time factor", "denoiser calls"]
    return sortable_table(headers, rows, "systems")


#: The settings the systems table names, of those in each track's separation.json.
_SHOWN_SETTINGS = ("sampler", "init", "num_samples", "refine", "channels", "quality")
_CALLS = ("forward", "forward_backward")


@dataclass(frozen=True)
class _Clip:
    """One audio clip of a track: where it comes from, its name on disk and its caption."""

    name: str
    path: Path
    caption: str


def _track_clips(utt: str, data, stems: Sequence[str], systems: Sequence[System]) -> list[_Clip]:
    """Every clip of track ``utt``: mixture, references, each system's estimates, then its draws."""
    clips = [_Clip("mixture", Path(data.mixtures[utt]), "mixture")]
    clips += [_Clip(f"reference_{stem}", Path(data.sources[k][utt]), "reference") for k, stem in enumerate(stems)]
    for index, system in enumerate(systems):
        for stem in stems:
            scores = f"SI-SDRi {system.si_sdri.get((utt, stem), math.nan):+.2f} dB"
            sdr = system.sdr.get((utt, stem), math.nan)
            scores += "" if math.isnan(sdr) else f", SDR {sdr:.2f} dB"
            path = system.separation_dir / utt / f"{stem}.wav"
            clips.append(_Clip(f"system{index}_{stem}", path, f"{system.run.label}: {scores}"))
            draws = system.draws(utt, stem)
            clips += [_Clip(f"system{index}_{stem}_draw{k}", p, f"draw {k}") for k, p in enumerate(draws)]
    return clips


def _track_section(
    out: Path, utt: str, clips: list[_Clip], stems: Sequence[str], systems: Sequence[System], seconds: float
) -> str:
    """One track: a table with a row per stem (and the mixture), a column for the reference and each system;
    below it, each system's posterior draws with their spread."""
    signals = {clip.name: read_excerpt(clip.path, seconds) for clip in clips}
    spectra = {name: stft(audio, rate) for name, (audio, rate) in signals.items()}
    loudest = max(decibels(spectrum).max() for spectrum in spectra.values())
    cells = {}
    for clip in clips:
        audio, rate = signals[clip.name]
        sound = Path("audio") / utt / f"{clip.name}.opus"
        picture = Path("spectrograms") / utt / f"{clip.name}.png"
        encode_opus(audio, rate, out / sound)
        plot_spectrogram(decibels(spectra[clip.name]), rate, loudest, out / picture)
        media = f"<audio controls preload='none' src='{sound.as_posix()}'></audio><img src='{picture.as_posix()}' "
        cells[clip.name] = figure(media + f"alt='{html.escape(clip.name)}'>", clip.caption)
    header = "".join(f"<th>{html.escape(name)}</th>" for name in ["", "reference", *(s.run.label for s in systems)])
    lines = [f"<tr><td class='row-title'>mixture</td><td colspan='{1 + len(systems)}'>{cells['mixture']}</td></tr>"]
    for stem in stems:
        estimates = "".join(f"<td>{cells[f'system{index}_{stem}']}</td>" for index in range(len(systems)))
        lines.append(
            f"<tr><td class='row-title'>{html.escape(stem)}</td><td>{cells[f'reference_{stem}']}</td>{estimates}</tr>"
        )
    sections = [f"<h2>{html.escape(utt)}</h2><table class='track'><thead><tr>{header}</tr></thead>", *lines, "</table>"]
    for index, system in enumerate(systems):
        gallery, count = [], 0
        for stem in stems:
            names = [clip.name for clip in clips if clip.name.startswith(f"system{index}_{stem}_draw")]
            if not names:
                continue
            rate = signals[names[0]][1]
            spread, spread_db = _spread([spectra[name] for name in names], [signals[name][0] for name in names])
            picture = Path("spectrograms") / utt / f"system{index}_{stem}_spread.png"
            plot_spectrogram(spread, rate, loudest, out / picture)
            caption = f"spread: the draws' deviation from their mean, {spread_db:+.1f} dB relative to the mean"
            spread_cell = figure(f"<img src='{picture.as_posix()}' alt='spread'>", caption)
            draws, count = "".join(cells[name] for name in names), len(names)
            gallery.append(f"<tr><td class='row-title'>{html.escape(stem)}</td><td>{draws}{spread_cell}</td></tr>")
        if gallery:
            title = f"{system.run.label}: {count} posterior draws per stem (the estimate above is their mean)"
            sections.append(f"<h3>{html.escape(title)}</h3><table class='draws'>{''.join(gallery)}</table>")
    return "\n".join(sections)


def _spread(spectra: Sequence[np.ndarray], draws: Sequence[np.ndarray]) -> tuple[np.ndarray, float]:
    """The draws' spread: per bin, the root-mean-square deviation of their STFTs from the mean STFT (dB), and the
    deviation's power relative to the mean's, in dB (−∞ for identical draws)."""
    stacked = np.stack(spectra)
    spread = np.sqrt(np.mean(np.abs(stacked - stacked.mean(axis=0)) ** 2, axis=0))
    waves = np.stack(draws).astype(np.float64)
    mean = waves.mean(axis=0)
    deviation = np.mean(np.sum((waves - mean) ** 2, axis=1))
    relative = 10 * math.log10(deviation / max(np.sum(mean**2), 1e-20)) if deviation > 0 else -math.inf
    return decibels(spread), relative
