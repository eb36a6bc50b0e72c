"""A picture page for scored image restorations: per image, the reference, the observation and every system's
restoration side by side with its PSNR / SSIM; sortable tables of the means on top; posterior draws as a gallery
with their spread.

Each system is one ``mgdm restore-score`` run (``summary.json`` with ``scores.csv`` beside it; its
``restore_dir`` holds the pictures). The page is one self-contained ``index.html`` with copies of the pictures in
``images/`` beside it: no server, no network.
"""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mgdm_audio.common.html_page import Cell, figure, number_cell, sortable_table, write_document

from .outputs import INPUT, OBSERVATION, RESTORED, SIDECAR
from .report import cost_text, per_image_scores, settings_text, summary_label

#: Pictures are shown this many pixels wide (small ones scaled up without smoothing).
SHOWN_WIDTH = 160
#: The spread map's white: a per-pixel standard deviation of this much (on the [0, 1] scale) or more.
SPREAD_WHITE = 0.25


def write_image_page(
    out: Path, summaries: Sequence[Path], labels: Sequence[str] | None = None, max_images: int = 8
) -> Path:
    """Write ``out/index.html`` for the restorations scored in ``summaries`` and return its path.

    Args:
        out: the page's folder (created). summaries: ``summary.json`` files of ``mgdm restore-score``, one per
            (task, system). labels: one per summary (default: the summary's own label, the sampler's name).
        max_images: pictures shown per task (the first by name that every system of the task restored); the
            tables' numbers cover every image.

    Raises:
        ValueError: labels that do not match the summaries, or a task whose systems share no image.
    """
    records = [
        {**json.loads(Path(path).read_text(encoding="utf-8")), "score_dir": str(Path(path).parent)}
        for path in summaries
    ]
    if labels:
        if len(labels) != len(records):
            raise ValueError(f"{len(labels)} labels for {len(records)} summaries")
        records = [{**record, "label": label} for record, label in zip(records, labels)]
    tasks = list(dict.fromkeys(record["task"] for record in records))
    body = [
        "<h1>Image restorations</h1>",
        "<p>PSNR (dB) and SSIM of each restored.png against the reference (input.png), mean ± 95 % interval over "
        "the images; observation PSNR: the observation shown as a picture, for reference. Click a column's header "
        f"to sort by it. Pictures: the first {max_images} images of each task that every system restored.</p>",
        _summary_table(records),
    ]
    for task in tasks:
        body.append(_task_section(out, task, [record for record in records if record["task"] == task], max_images))
    return write_document(out / "index.html", "mgdm_audio image restorations", "\n".join(body))


def _summary_table(records: Sequence[dict[str, Any]]) -> str:
    rows = [
        [
            Cell(record["task"], record["task"]),
            Cell(summary_label(record), summary_label(record)),
            Cell(str(record["num_images"]), record["num_images"]),
            number_cell(record["psnr_mean"], record["psnr_ci95"]),
            number_cell(record["ssim_mean"], record["ssim_ci95"], digits=3),
            number_cell(record["observation_psnr_mean"], record["observation_psnr_ci95"]),
            number_cell(float(record["seconds"]), digits=1),
            Cell(cost_text(record), cost_text(record)),
            Cell(settings_text(record), settings_text(record)),
        ]
        for record in records
    ]
    headers = ["task", "system", "images", "PSNR", "SSIM", "observation PSNR", "seconds", "denoiser calls", "settings"]
    return sortable_table(headers, rows, "summary")


def _task_section(out: Path, task: str, records: Sequence[dict[str, Any]], max_images: int) -> str:
    """One task: a row per image (reference, observation, each system's restoration with its scores), then each
    system's posterior draws and their spread where it drew several."""
    folders = [Path(record["restore_dir"]) for record in records]
    names = sorted(
        set.intersection(*({f.name for f in folder.iterdir() if (f / SIDECAR).is_file()} for folder in folders))
    )
    if not names:
        raise ValueError(f"task {task}: no image restored by every system")
    scores = [per_image_scores(record) for record in records]
    header = "".join(
        f"<th>{html.escape(n)}</th>" for n in ["image", "reference", "observation", *map(summary_label, records)]
    )
    lines, galleries = [], []
    for name in names[:max_images]:
        first = folders[0] / name
        cells = [
            _picture(out, first / INPUT, task, name, "reference", "reference"),
            _picture(out, first / OBSERVATION, task, name, "observation", "observation"),
        ]
        for index, (record, folder) in enumerate(zip(records, folders)):
            score = scores[index][name]
            caption = f"PSNR {score['psnr_db']:.2f} dB, SSIM {score['ssim']:.3f}"
            cells.append(_picture(out, folder / name / RESTORED, task, name, f"system{index}", caption))
            draws = sorted((folder / name).glob("sample_*.png"), key=lambda path: int(path.stem.split("_")[1]))
            if len(draws) > 1:
                galleries.append(_gallery(out, task, name, index, summary_label(record), draws))
        lines.append(
            f"<tr><td class='row-title'>{html.escape(name)}</td>{''.join(f'<td>{c}</td>' for c in cells)}</tr>"
        )
    table = f"<table class='task'><thead><tr>{header}</tr></thead><tbody>{''.join(lines)}</tbody></table>"
    return "\n".join([f"<h2>{html.escape(task)}</h2>", table, *galleries])


def _picture(out: Path, source: Path, task: str, image: str, name: str, caption: str) -> str:
    """A copy of ``source`` in the page's folder, shown with ``caption``."""
    target = Path("images") / task / image / f"{name}.png"
    (out / target).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, out / target)
    return figure(
        f"<img class='pixelated' width='{SHOWN_WIDTH}' src='{target.as_posix()}' alt='{html.escape(name)}'>", caption
    )


def _gallery(out: Path, task: str, image: str, index: int, label: str, draws: Sequence[Path]) -> str:
    """The draws of one system on one image and their spread map (per-pixel standard deviation across draws,
    channels averaged; black 0, white :data:`SPREAD_WHITE` or more)."""
    pixels = np.stack([np.asarray(Image.open(path), dtype=np.float64) / 255.0 for path in draws])
    spread = pixels.std(axis=0)
    spread = spread.mean(axis=-1) if spread.ndim == 3 else spread
    target = Path("images") / task / image / f"system{index}_spread.png"
    (out / target).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.round(np.clip(spread / SPREAD_WHITE, 0, 1) * 255).astype(np.uint8), "L").save(out / target)
    cells = [_picture(out, path, task, image, f"system{index}_draw{k}", f"draw {k}") for k, path in enumerate(draws)]
    cells.append(
        figure(
            f"<img class='pixelated' width='{SHOWN_WIDTH}' src='{target.as_posix()}' alt='spread'>",
            f"spread: per-pixel standard deviation, mean {spread.mean():.3f} (white ≥ {SPREAD_WHITE})",
        )
    )
    title = f"{image}, {label}: {len(draws)} posterior draws (the restoration above is their mean)"
    return f"<h3>{html.escape(title)}</h3><div class='draws'>{''.join(cells)}</div>"
