"""One restored image's output folder and its JSON sidecar.

``<folder>/`` holds ``input.png`` (the clean image as fitted to the prior), ``observation.png`` (the
observation shown as an image, see :func:`~.restorer.observation_picture`), ``restored.png`` (the draw,
or with n > 1 draws their mean) and with n > 1 ``sample_<k>.png``, ``grid.png`` (all side by side) and
``restore.json`` (settings, scores, timing). Every file is replaced atomically; the sidecar is written
last, so a folder with a sidecar is complete.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from mgdm_audio.common.atomic import atomic_path
from mgdm_audio.common.records import same_settings

from .grid import picture_grid
from .image_io import to_pil, write_png

SIDECAR = "restore.json"
RESTORED = "restored.png"
INPUT = "input.png"
OBSERVATION = "observation.png"


def restored_image(samples: torch.Tensor) -> torch.Tensor:
    """What ``restored.png`` holds: the draw of samples [1, C, H, W], or the mean of n > 1 draws (the
    posterior-mean estimate)."""
    return samples[0] if len(samples) == 1 else samples.mean(0)


def write_outputs(
    folder: Path, clean: torch.Tensor, observation: torch.Tensor, samples: torch.Tensor, record: dict[str, Any]
) -> None:
    """Write the folder's files for one image ([C, H, W] each; ``samples`` [n, C, H, W], all in [−1, 1])."""
    folder.mkdir(parents=True, exist_ok=True)
    restored = restored_image(samples)
    pictures = {INPUT: clean, OBSERVATION: observation, RESTORED: restored}
    if len(samples) > 1:
        pictures.update({f"sample_{k}.png": sample for k, sample in enumerate(samples)})
    for name, image in pictures.items():
        write_png(image, folder / name)
    columns = [("input", clean), ("observation", observation), ("restored" if len(samples) == 1 else "mean", restored)]
    if len(samples) > 1:
        columns += [(f"sample {k}", sample) for k, sample in enumerate(samples)]
    grid = picture_grid([[to_pil(image) for _, image in columns]], [label for label, _ in columns])
    write_png(grid, folder / "grid.png")
    with atomic_path(folder / SIDECAR) as temporary:
        Path(temporary).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def is_finished(folder: Path, key: dict[str, Any]) -> bool:
    """Whether ``folder`` holds a sidecar made with settings ``key`` (what ``--resume`` skips)."""
    try:
        record = json.loads((folder / SIDECAR).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and same_settings(record.get("settings"), key)
