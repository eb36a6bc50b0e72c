"""Score a folder of ``mgdm restore`` outputs: PSNR / SSIM of every restored.png against its input.png.

Command line::

    mgdm restore-score exp/restore_sr4_mgdm/out/image_default/sr4 exp/score_sr4_mgdm

writes ``scores.csv`` (one row per image) and ``summary.json`` (means with 95 % intervals, the
settings and cost the sidecars record) into the score folder. The PSNR of observation.png (the
observation shown as an image) is reported too, as a reference point. Scores come from the PNG files, so
they are what anyone reading the outputs would measure.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import torch

from mgdm_audio.common.atomic import atomic_path

from .image_io import read_saved
from .outputs import INPUT, OBSERVATION, RESTORED, SIDECAR
from .scores import mean_ci95, score

#: Per-image scores next to summary.json: image, psnr_db, ssim, observation_psnr_db.
SCORES_FILE = "scores.csv"


def evaluate(restore_dir: Path, score_dir: Path, label: str | None = None) -> dict[str, Any]:
    """Score every ``<image>/`` of ``restore_dir`` that has a sidecar; write and return the summary (its
    ``label``, the report's name for the row, is ``label`` or else the sampler's name).

    Raises:
        FileNotFoundError: no finished restoration in ``restore_dir``.
    """
    folders = (
        sorted(folder for folder in restore_dir.iterdir() if (folder / SIDECAR).is_file())
        if restore_dir.is_dir()
        else []
    )
    if not folders:
        raise FileNotFoundError(f"{restore_dir}: no restored images (<image>/{SIDECAR})")
    references = torch.stack([read_saved(folder / INPUT) for folder in folders])
    estimates = torch.stack([read_saved(folder / RESTORED) for folder in folders])
    values = score(references, estimates)
    # The observation picture as an estimate (e.g. the blocks of a super-resolution task): a floor for context.
    observations = torch.stack([read_saved(folder / OBSERVATION) for folder in folders])
    values["observation_psnr"] = score(references, observations)["psnr"]
    records = [json.loads((folder / SIDECAR).read_text(encoding="utf-8")) for folder in folders]
    # Images restored together share one batch time and one call count: count each batch once.
    batches = {tuple(record["batch"]): record for record in records}
    summary: dict[str, Any] = {
        "restore_dir": str(restore_dir.resolve()),
        "task": records[0]["settings"]["task"],
        "sampler": records[0]["settings"]["sampler"],
        "label": label or records[0]["settings"]["sampler"],
        "prior": records[0]["settings"]["prior"],
        "sigma_y": records[0]["settings"]["sigma_y"],
        "sampler_settings": records[0]["sampler_settings"],
        "num_images": len(folders),
        "seconds": round(sum(r["batch_seconds"] for r in batches.values()), 1),
        "denoiser_calls_per_batch": records[0]["denoiser_calls"],
        "num_batches": len(batches),
        "device": records[0]["device"],
    }
    for metric in ("psnr", "ssim", "observation_psnr"):
        mean, ci95, count = mean_ci95(values[metric])
        summary.update({f"{metric}_mean": mean, f"{metric}_ci95": ci95, f"{metric}_count": count})
    score_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(score_dir / SCORES_FILE) as temporary, open(temporary, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["image", "psnr_db", "ssim", "observation_psnr_db"])
        writer.writerows(
            zip((folder.name for folder in folders), values["psnr"], values["ssim"], values["observation_psnr"])
        )
    with atomic_path(score_dir / "summary.json") as temporary:
        Path(temporary).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
