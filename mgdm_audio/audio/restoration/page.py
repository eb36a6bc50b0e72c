"""A listening page for scored audio restorations: per track, the clean input, the degraded one and every
system's restoration side by side, each with an audio player and a spectrogram, the scores beside them and sortable
tables on top.

Each system is one ``mgdm restore-score`` run of one task and level (``summary.json`` with ``scores.csv`` beside
it; its ``restore_dir`` holds the audio). The page is one self-contained ``index.html`` with its audio (Opus, by
ffmpeg) and spectrograms (PNG) in folders beside it: no server, no network.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import soundfile

from mgdm_audio.common.html_page import Cell, figure, number_cell, sortable_table, write_document

from ..evaluation.media import (
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
from .evaluate import read_scores
from .pipeline import DEGRADED, RECORD_FILE, RESTORED


def write_restoration_page(
    out: Path,
    summaries: Sequence[Path],
    labels: Sequence[str] | None = None,
    seconds: float = 10.0,
    max_megabytes: float = 50.0,
) -> Path:
    """Write ``out/index.html`` for the restorations scored in ``summaries`` and return its path.

    Args:
        out: the page's folder (created). summaries: ``summary.json`` files of ``mgdm restore-score``, one per
            (task, level, system). labels: one per summary (default: the summary's own label, the sampler's name).
        seconds: the longest excerpt kept per clip (from the start); shortened further so that the audio fits
            ``max_megabytes`` at :data:`..evaluation.media.BITRATE`.

    Raises:
        ValueError: labels that do not match the summaries, or a task and level whose systems share no track.
        FileNotFoundError: ffmpeg is not installed.
    """
    require_ffmpeg()
    systems = [
        {**json.loads(Path(path).read_text(encoding="utf-8")), "scores": read_scores(Path(path).parent)}
        for path in summaries
    ]
    if labels:
        if len(labels) != len(systems):
            raise ValueError(f"{len(labels)} labels for {len(systems)} summaries")
        systems = [{**system, "label": label} for system, label in zip(systems, labels)]
    cells: dict[tuple[str, float], list[dict[str, Any]]] = {}
    for system in systems:
        cells.setdefault((system["task"], float(system["level"])), []).append(system)
    tracks = {}
    for (task, level), members in cells.items():
        tracks[task, level] = sorted(set.intersection(*(set(member["scores"]) for member in members)))
        if not tracks[task, level]:
            raise ValueError(f"{task} {level:g}: its systems restored no track in common")
    clips = sum(len(names) * (2 + len(cells[cell])) for cell, names in tracks.items())
    seconds = clip_seconds(seconds, max_megabytes, clips)
    body = [
        "<h1>Audio restorations</h1>",
        "<p>Each restoration and the degraded input scored against the clean input at the prior's rate: SDR and "
        "SI-SDR (dB; higher is better), log-spectral distance (LSD; lower is better), mean ± 95 % interval over the "
        "tracks; gain: the restoration's SDR minus the degraded input's, paired on the tracks. Audio: at most the "
        f"first {seconds:.1f} s of each track, Opus {BITRATE // 1000} kb/s; spectrograms on one colour scale per "
        f"track ({RANGE_DB:.0f} dB). Click a column's header to sort by it.</p>",
        "<h2>Scores</h2>",
        _summary_table(cells),
    ]
    for (task, level), members in cells.items():
        degradation = members[0]["degradation"]
        title = f"{task} {level:g} {degradation['unit']}: {degradation['description']}"
        body.append(f"<h2>{html.escape(title)}</h2>")
        body += [_track_row(out, task, level, track, members, seconds) for track in tracks[task, level]]
    return write_document(out / "index.html", "mgdm_audio restorations", "\n".join(body))


def _summary_table(cells: dict[tuple[str, float], list[dict[str, Any]]]) -> str:
    """Per task and level: the degraded input's row, then each system's, sortable by any column."""
    rows = []
    for (task, level), members in cells.items():
        degraded = members[0]
        rows.append(
            [
                Cell(task, task),
                number_cell(level, digits=0),
                Cell("degraded", "degraded"),
                Cell(str(degraded["num_tracks"]), degraded["num_tracks"]),
                *(
                    number_cell(degraded[f"degraded_{m}_mean"], degraded[f"degraded_{m}_ci95"], sign=m != "lsd")
                    for m in ("sdr", "si_sdr", "lsd")
                ),
                Cell("", 0.0),
                Cell("", 0.0),
                Cell("", 0),
            ]
        )
        for system in members:
            calls = system["denoiser_calls"]
            rows.append(
                [
                    Cell(task, task),
                    number_cell(level, digits=0),
                    Cell(system["label"], system["label"]),
                    Cell(str(system["num_tracks"]), system["num_tracks"]),
                    *(
                        number_cell(system[f"{m}_mean"], system[f"{m}_ci95"], sign=m != "lsd")
                        for m in ("sdr", "si_sdr", "lsd")
                    ),
                    number_cell(system["sdr_gain_mean"], system["sdr_gain_ci95"], sign=True),
                    number_cell(system["real_time_factor"]),
                    Cell(f"{calls['forward']} / {calls['forward_backward']}", sum(calls.values())),
                ]
            )
    headers = ["task", "level", "system", "tracks", "SDR", "SI-SDR", "LSD", "SDR gain", "real-time factor"]
    return sortable_table([*headers, "denoiser calls (forward / backward)"], rows, "summary")


def _track_row(out: Path, task: str, level: float, track: str, members: list[dict[str, Any]], seconds: float) -> str:
    """One track: a table row of the clean input, the degraded input and each system's restoration."""
    first = Path(members[0]["restore_dir"]) / track
    restored_rate = soundfile.info(first / f"{DEGRADED}.wav").samplerate
    clean_path = Path(json.loads((first / RECORD_FILE).read_text(encoding="utf-8"))["input"])
    scores = members[0]["scores"][track]
    clips = [
        ("clean", clean_path, "clean input"),
        (DEGRADED, first / f"{DEGRADED}.wav", _caption(scores, "degraded_")),
    ]
    for index, system in enumerate(members):
        path = Path(system["restore_dir"]) / track / f"{RESTORED}.wav"
        score = system["scores"][track]
        gain = f", gain {score['sdr'] - score['degraded_sdr']:+.2f} dB"
        clips.append((f"system{index}", path, f"{system['label']}: {_caption(score, '')}{gain}"))
    signals = {name: read_excerpt(path, seconds, restored_rate) for name, path, _ in clips}
    spectra = {name: decibels(stft(audio, rate)) for name, (audio, rate) in signals.items()}
    loudest = max(spectrum.max() for spectrum in spectra.values())
    cells = []
    folder = f"{task}_{level:g}/{track}"
    for name, _, caption in clips:
        sound, picture = Path("audio") / folder / f"{name}.opus", Path("spectrograms") / folder / f"{name}.png"
        encode_opus(*signals[name], out / sound)
        plot_spectrogram(spectra[name], restored_rate, loudest, out / picture)
        media = f"<audio controls preload='none' src='{sound.as_posix()}'></audio>"
        cells.append(figure(media + f"<img src='{picture.as_posix()}' alt='{html.escape(name)}'>", caption))
    header = "".join(f"<th>{html.escape(name)}</th>" for name in ["clean", "degraded", *(m["label"] for m in members)])
    row = "".join(f"<td>{cell}</td>" for cell in cells)
    return f"<h3>{html.escape(track)}</h3><table class='track'><thead><tr>{header}</tr></thead><tr>{row}</tr></table>"


def _caption(scores: dict[str, float], prefix: str) -> str:
    return f"SDR {scores[prefix + 'sdr']:+.2f} dB, LSD {scores[prefix + 'lsd']:.2f}"
