"""The image recipes' RESULTS.md: a PSNR / SSIM table over tasks × samplers, and one picture grid per task.

Command line::

    mgdm restore-report RESULTS.md exp/score_*/summary.json --grid-dir docs/images

Each summary is one (task, sampler setting) written by :mod:`.evaluate`, named by its label (the sampler's
name unless restore-score was given another, e.g. dps-1500 for a second DPS setting). A task's grid shows its first
``--grid-rows`` images (by name, restored by every sampler): input, observation, then each sampler's
restored.png. Links to the grids are relative to the Markdown file. Pairs ``A:B`` of labels add a table of per-image
differences A − B (same observations and seeds) per task where both ran, read from each summary's
``scores.csv``.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Any

from PIL import Image

from mgdm_audio.common.atomic import atomic_path
from mgdm_audio.common.stats import Z95
from mgdm_audio.core.samplers.base import FORWARDS_PER_BACKWARD, DenoiserCalls

from .evaluate import SCORES_FILE
from .grid import picture_grid
from .image_io import write_png
from .outputs import INPUT, OBSERVATION, RESTORED, SIDECAR
from .scores import mean_ci95


def _cell(mean: float, ci95: float, digits: int, sign: bool = False) -> str:
    if math.isnan(mean):
        return "–"
    value = f"{mean:{'+' if sign else ''}.{digits}f}"
    return f"{value} ± {ci95:.{digits}f}" if not math.isnan(ci95) else value


def task_grid(summaries: list[dict[str, Any]], rows: int) -> Image.Image:
    """Input, observation and each summary's restoration for the first ``rows`` images all of them restored."""
    folders = [Path(summary["restore_dir"]) for summary in summaries]
    names = sorted(
        set.intersection(*({f.name for f in folder.iterdir() if (f / SIDECAR).is_file()} for folder in folders))
    )[:rows]
    if not names:
        raise ValueError(f"task {summaries[0]['task']}: no image restored by every sampler")
    first = folders[0]
    grid_rows = [
        [Image.open(first / name / INPUT), Image.open(first / name / OBSERVATION)]
        + [Image.open(folder / name / RESTORED) for folder in folders]
        for name in names
    ]
    return picture_grid(grid_rows, ["input", "observation", *(summary_label(summary) for summary in summaries)])


def summary_label(summary: dict[str, Any]) -> str:
    return summary.get("label", summary["sampler"])  # summaries written before labels existed


def cost_text(summary: dict[str, Any]) -> str:
    """Denoiser calls per batch: forward + with gradient, and in forward-equivalents."""
    calls = summary.get("denoiser_calls_per_batch")
    if calls is None:
        return "–"
    cost = DenoiserCalls(**calls)
    return f"{cost.forward:,} + {cost.forward_backward:,} ({cost.forward_equivalents:,})"


def settings_text(summary: dict[str, Any]) -> str:
    """The sampler's settings as ``key value, …`` (its preset's name left out: the values say it all)."""
    return ", ".join(f"{key} {value}" for key, value in summary["sampler_settings"].items() if key != "preset")


def per_image_scores(summary: dict[str, Any]) -> dict[str, dict[str, float]]:
    """image name -> {"psnr_db": …, "ssim": …} from the scores.csv beside the summary."""
    with open(Path(summary["score_dir"]) / SCORES_FILE, newline="", encoding="utf-8") as handle:
        return {
            row["image"]: {"psnr_db": float(row["psnr_db"]), "ssim": float(row["ssim"])}
            for row in csv.DictReader(handle)
        }


def paired_table(summaries: list[dict[str, Any]], pairs: list[tuple[str, str]]) -> list[str]:
    """Markdown lines: per task and pair (A, B) of labels, the per-image differences A − B of PSNR and SSIM over
    the images both restored, mean ± 1.96 standard errors, and the images where A's PSNR is higher.
    Summaries need ``score_dir``, the folder of their scores.csv."""
    by_key = {(summary["task"], summary_label(summary)): summary for summary in summaries}
    per_image: dict[tuple[str, str], dict[str, dict[str, float]]] = {}  # each scores.csv read once

    def scores(task: str, label: str) -> dict[str, dict[str, float]]:
        if (task, label) not in per_image:
            per_image[task, label] = per_image_scores(by_key[task, label])
        return per_image[task, label]

    lines = ["| task | A − B | images | PSNR (dB) | SSIM | A's PSNR higher |", "|---|---|---|---|---|---|"]
    for task in dict.fromkeys(summary["task"] for summary in summaries):
        for a, b in pairs:
            if (task, a) not in by_key or (task, b) not in by_key:
                continue
            first, second = scores(task, a), scores(task, b)
            images = sorted(first.keys() & second.keys())
            cells = [
                _cell(*mean_ci95([first[i][metric] - second[i][metric] for i in images])[:2], digits, sign=True)
                for metric, digits in (("psnr_db", 2), ("ssim", 3))
            ]
            wins = sum(first[i]["psnr_db"] > second[i]["psnr_db"] for i in images)
            lines.append(f"| {task} | {a} − {b} | {len(images)} | {cells[0]} | {cells[1]} | {wins} / {len(images)} |")
    return lines


def write_report(
    path: Path,
    summaries: list[dict[str, Any]],
    grid_dir: Path,
    grid_prefix: str,
    rows: int,
    notes: list[str],
    pairs: list[tuple[str, str]] = (),
) -> Path:
    """Write the Markdown report and the grids ``grid_dir/<prefix><task>.png``; return the report's path.
    With ``pairs``, a section of paired differences (:func:`paired_table`) follows the table."""
    tasks = list(dict.fromkeys(summary["task"] for summary in summaries))
    samplers = list(dict.fromkeys(summary_label(summary) for summary in summaries))
    by_key = {(summary["task"], summary_label(summary)): summary for summary in summaries}
    lines = [
        "# Results",
        "",
        *(f"- {note}" for note in notes),
        "",
        "PSNR (dB) and SSIM of restored.png against input.png (8-bit, on [0, 1]), mean ± 95 % interval "
        "(1.96 standard errors) over the images; observation: the PSNR of observation.png (the observation "
        "shown as an image, e.g. the blocks of sr4, grey holes of inpainting) for reference; seconds: the "
        "sampler's wall time for all images; denoiser calls per batch of images: without + with gradient "
        f"(forward-equivalents, one with gradient counted as {FORWARDS_PER_BACKWARD}).",
        "",
        "| task | sampler | images | PSNR (dB) | SSIM | observation PSNR (dB) | seconds | denoiser calls | settings |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for task in tasks:
        for sampler in samplers:
            summary = by_key.get((task, sampler))
            if summary is None:
                continue
            lines.append(
                f"| {task} | {sampler} | {summary['num_images']} | "
                f"{_cell(summary['psnr_mean'], summary['psnr_ci95'], 2)} | "
                f"{_cell(summary['ssim_mean'], summary['ssim_ci95'], 3)} | "
                f"{_cell(summary['observation_psnr_mean'], summary['observation_psnr_ci95'], 2)} | "
                f"{summary['seconds']} | {cost_text(summary)} | "
                f"{settings_text(summary)} |"
            )
    if pairs:
        lines += [
            "",
            "## Paired differences",
            "",
            f"Per image (same observation and seed), A − B, mean ± 95 % interval ({Z95} standard errors).",
            "",
            *paired_table(summaries, list(pairs)),
        ]
    grid_dir.mkdir(parents=True, exist_ok=True)
    for task in tasks:
        picture = write_png(
            task_grid([s for s in summaries if s["task"] == task], rows), grid_dir / f"{grid_prefix}{task}.png"
        )
        lines += ["", f"## {task}", "", f"![{task}]({Path(os.path.relpath(picture, path.parent)).as_posix()})"]
    with atomic_path(path) as temporary:
        Path(temporary).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
