"""A listening page for scored separations: the mixture, the reference stems and every system's estimates side by
side, each with an audio player and a spectrogram, the scores beside them and a sortable summary table on top.

Each system is one ``mgdm score`` run (its ``summary.json`` names the data dir and the separation folder). The page
is one self-contained ``index.html`` with its audio (Opus, encoded by ffmpeg) and spectrograms (PNG) in folders
beside it: no server, no network, no script or style from elsewhere.
"""

from __future__ import annotations

import csv
import html
import json
import math
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from ..corpora.kaldi import read_data_dir
from .results import ScoredRun, default_label, load_run

#: Opus bit rate of the page's audio, bits per second.
BITRATE = 32_000
#: Dynamic range of the spectrograms, dB below the loudest bin of the row (one track).
RANGE_DB = 80.0


@dataclass(frozen=True)
class System:
    """One scored separation: its headline numbers, its record and its per-track, per-stem SI-SDRi."""

    run: ScoredRun
    record: dict
    track_scores: dict[tuple[str, str], float]

    @property
    def separation_dir(self) -> Path:
        return Path(self.record["separation_dir"])


def load_system(summary: Path, label: str) -> System:
    """The system of ``summary`` (a ``summary.json`` of ``mgdm score``, ``tracks.csv`` beside it)."""
    record = json.loads(summary.read_text(encoding="utf-8"))
    scores = {}
    with open(summary.with_name("tracks.csv"), newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            scores[row["utt"], row["stem"]] = float(row["si_sdri_mean"]) if row["si_sdri_mean"] else math.nan
    return System(load_run(summary, label), record, scores)


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
    if shutil.which("ffmpeg") is None:
        raise FileNotFoundError("mgdm report needs ffmpeg to encode the page's audio (Opus)")
    labels = list(labels) if labels else [default_label(path) for path in summaries]
    if len(labels) != len(summaries):
        raise ValueError(f"{len(labels)} labels for {len(summaries)} summaries")
    systems = [load_system(Path(path), label) for path, label in zip(summaries, labels)]
    data_dirs = {str(Path(system.record["data_dir"]).resolve()) for system in systems}
    if len(data_dirs) != 1:
        raise ValueError(f"the summaries score different data dirs: {', '.join(sorted(data_dirs))}")
    data = read_data_dir(next(iter(data_dirs)))
    stems = list(systems[0].record["stems"])
    tracks = sorted({utt for utt, _ in systems[0].track_scores})
    clips = len(tracks) * (1 + len(stems) * (1 + len(systems)))
    seconds = min(seconds, max_megabytes * 1e6 * 8 / BITRATE / max(clips, 1))
    out.mkdir(parents=True, exist_ok=True)
    rows = [_track_section(out, utt, data, stems, systems, seconds) for utt in tracks]
    page = out / "index.html"
    body = "\n".join(
        [
            "<h1>Separations</h1>",
            f"<p>{len(tracks)} track(s); audio: at most the first {seconds:.1f} s of each track (an excerpt where "
            f"longer), Opus {BITRATE // 1000} kb/s; spectrograms on one colour scale per track ({RANGE_DB:.0f} dB)."
            "</p>",
            _summary_table(systems, stems),
            _systems_table(systems),
            *rows,
        ]
    )
    page.write_text(_HTML.format(body=body), encoding="utf-8")
    return page


def _summary_table(systems: Sequence[System], stems: Sequence[str]) -> str:
    """Mean ± 95 % CI of SI-SDRi per system and stem (the numbers of summary.json), sortable by any column."""
    head = "".join(f"<th onclick='sortTable(this)'>{html.escape(name)}</th>" for name in ["system", *stems, "All"])
    lines = []
    for system in systems:
        by_stem = {summary.stem: summary for summary in system.run.summaries}
        cells = [f"<td data-value='{html.escape(system.run.label)}'>{html.escape(system.run.label)}</td>"]
        for stem in [*stems, "All"]:
            summary = by_stem[stem]
            cells.append(
                f"<td data-value='{summary.si_sdri_mean:.6f}'>{summary.si_sdri_mean:+.2f} ± "
                f"{summary.si_sdri_ci95:.2f}</td>"
            )
        lines.append(f"<tr>{''.join(cells)}</tr>")
    return (
        "<h2>SI-SDRi (dB), mean ± 95 % interval over windows</h2>"
        f"<table class='summary'><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"
    )


def _systems_table(systems: Sequence[System]) -> str:
    """Each system's settings and real-time factor (sampler seconds per second of audio), from its records."""
    lines = []
    for system in systems:
        records = [
            json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(system.separation_dir.glob("*/separation.json"))
        ]
        computed = sum(record.get("seconds", 0.0) for record in records)
        audio = sum(
            record["input_frames"] / record["input_sample_rate"] for record in records if "input_frames" in record
        )
        settings = records[0].get("settings", {}) if records else {}
        described = ", ".join(
            f"{key} {value}" for key, value in settings.items() if key in ("sampler", "init", "num_samples", "refine")
        )
        rtf = f"{computed / audio:.2f}" if audio else "–"
        lines.append(
            f"<tr><td>{html.escape(system.run.label)}</td><td>{html.escape(described)}</td><td>{rtf}</td></tr>"
        )
    return (
        "<h2>Systems</h2><table><thead><tr><th>system</th><th>settings</th><th>real-time factor</th></tr></thead>"
        f"<tbody>{''.join(lines)}</tbody></table>"
    )


def _track_section(out: Path, utt: str, data, stems: Sequence[str], systems: Sequence[System], seconds: float) -> str:
    """One track: a row for the mixture, one per reference stem, one per system's stem, each with audio,
    spectrogram and (for estimates) the track's SI-SDRi."""
    clips = [("mixture", "mixture", Path(data.mixtures[utt]), None)]
    clips += [
        (f"reference {stem}", f"reference_{stem}", Path(data.sources[k][utt]), None) for k, stem in enumerate(stems)
    ]
    for index, system in enumerate(systems):
        for stem in stems:
            score = system.track_scores.get((utt, stem), math.nan)
            path = system.separation_dir / utt / f"{stem}.wav"
            clips.append((f"{system.run.label}: {stem}", f"system{index}_{stem}", path, score))
    signals = {name: _excerpt(path, seconds) for _, name, path, _ in clips}
    spectra = {name: _spectrum_db(audio, rate) for name, (audio, rate) in signals.items()}
    loudest = max(spectrum.max() for spectrum in spectra.values())
    cells = []
    for title, name, _, score in clips:
        audio, rate = signals[name]
        sound = Path("audio") / utt / f"{name}.opus"
        picture = Path("spectrograms") / utt / f"{name}.png"
        _encode(audio, rate, out / sound)
        _plot(spectra[name], rate, loudest, out / picture)
        scored = "" if score is None else f"<span class='score'>SI-SDRi {score:+.2f} dB</span>"
        cells.append(
            f"<tr><td>{html.escape(title)} {scored}</td><td><audio controls preload='none' src='{sound.as_posix()}'>"
            f"</audio></td><td><img src='{picture.as_posix()}' alt='{html.escape(title)}'></td></tr>"
        )
    return f"<h2>{html.escape(utt)}</h2><table class='track'>{''.join(cells)}</table>"


def _excerpt(path: Path, seconds: float) -> tuple[np.ndarray, int]:
    """The first ``seconds`` of ``path``, mono float32, and its rate."""
    with soundfile.SoundFile(path) as handle:
        audio = handle.read(min(handle.frames, round(seconds * handle.samplerate)), dtype="float32", always_2d=True)
        return audio.mean(axis=1), handle.samplerate


def _spectrum_db(audio: np.ndarray, rate: int) -> np.ndarray:
    import librosa

    n_fft = 2 ** round(math.log2(0.046 * rate))
    return librosa.amplitude_to_db(np.abs(librosa.stft(audio, n_fft=n_fft)) + 1e-10, ref=1.0)


def _plot(spectrum: np.ndarray, rate: int, loudest: float, path: Path) -> None:
    """``spectrum`` (dB, from :func:`_spectrum_db`) drawn on log frequency, scale [loudest − RANGE_DB, loudest]."""
    import librosa.display
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    figure, axis = plt.subplots(figsize=(4.0, 1.6), dpi=80)
    librosa.display.specshow(
        spectrum, sr=rate, x_axis="time", y_axis="log", ax=axis, vmin=loudest - RANGE_DB, vmax=loudest
    )
    axis.set_xlabel("")
    axis.set_ylabel("")
    figure.tight_layout(pad=0.2)
    figure.savefig(path)
    plt.close(figure)


def _encode(audio: np.ndarray, rate: int, path: Path) -> None:
    """``audio`` as Opus at :data:`BITRATE` in ``path`` (ffmpeg)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mgdm-page-") as folder:
        source = Path(folder) / "clip.wav"
        soundfile.write(source, audio, rate, subtype="FLOAT")
        command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), "-c:a", "libopus"]
        subprocess.run([*command, "-b:a", str(BITRATE), str(path)], check=True)


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mgdm_audio separations</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
td, th {{ border: 1px solid #ccc; padding: 0.2em 0.5em; vertical-align: middle; }}
th {{ cursor: pointer; background: #f0f0f0; }}
.score {{ color: #555; font-size: 0.9em; }}
audio {{ width: 16em; }}
</style>
<script>
function sortTable(header) {{
  const table = header.closest("table"), column = header.cellIndex, body = table.tBodies[0];
  const rows = Array.from(body.rows), ascending = header.dataset.order !== "ascending";
  const value = row => {{
    const text = row.cells[column].dataset.value, number = parseFloat(text);
    return isNaN(number) ? text : number;
  }};
  rows.sort((a, b) => (value(a) > value(b) ? 1 : value(a) < value(b) ? -1 : 0) * (ascending ? 1 : -1));
  rows.forEach(row => body.appendChild(row));
  header.dataset.order = ascending ? "ascending" : "descending";
}}
</script></head>
<body>
{body}
</body></html>
"""
