"""Restoring image files in batches (the engine of ``mgdm restore``): each image's resume key, and a batch's
observations, restorations, scores and output folders with their sidecars."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from mgdm_audio.common.checksum import file_sha256
from mgdm_audio.common.hardware import describe_device
from mgdm_audio.core.operators.base import Operator
from mgdm_audio.core.priors.base import Prior
from mgdm_audio.core.samplers.base import Sampler

from .outputs import restored_image, write_outputs
from .restorer import RestoreSettings, observation_picture, observe, restore
from .scores import score


@dataclass
class Job:
    """One image to restore: its file, the image [C, H, W] in [−1, 1] fitted to the prior, its output folder,
    resume key (:func:`resume_key`), the notices reading it gave, and its observation seed."""

    path: Path
    image: torch.Tensor
    folder: Path
    key: dict[str, Any]
    notices: list[str]
    seed: int


def resume_key(settings: RestoreSettings, prior_path: Path, path: Path, position: int) -> dict[str, Any]:
    """What an image's outputs are made with (``--resume`` skips an image whose sidecar holds an equal key): the
    settings, the prior, the input file and its content (not its modification time: a rewrite within one clock
    tick is still seen), and its position among the inputs (its seeds)."""
    return {
        **settings.as_dict(),
        "prior": str(prior_path),
        "input": str(path.resolve()),
        "input_sha256": file_sha256(path),
        "position": position,
    }


def restore_batch(
    prior: Prior,
    runner: Sampler,
    operator: Operator,
    settings: RestoreSettings,
    batch: list[Job],
    device: torch.device,
    progress: Callable[[], None] | None = None,
) -> None:
    """Observe, restore (one sampler call seeded by the first job's seed), score and write one batch of jobs;
    ``progress``: called per outer step of the sampler."""
    started = time.perf_counter()
    clean = torch.stack([job.image for job in batch]).to(device, prior.dtype)
    y = observe(operator.to(device), clean, settings.sigma_y, [job.seed for job in batch])
    result = restore(prior, runner, operator, y, settings, seed=batch[0].seed, progress=progress)
    pictures = observation_picture(operator, y, prior.image_shape)
    restored = torch.stack([restored_image(samples) for samples in result.samples])
    scores = score(clean, restored)
    seconds = time.perf_counter() - started
    for i, job in enumerate(batch):
        record = {
            "input": str(job.path.resolve()),
            "settings": job.key,
            "sampler_settings": result.settings,
            "observation_seed": job.seed,
            "sampler_seed": batch[0].seed,
            "batch": [str(other.path) for other in batch],
            "notices": job.notices,
            "psnr_db": scores["psnr"][i],
            "ssim": scores["ssim"][i],
            "scores_note": "restored.png against input.png, both 8-bit, on [0, 1]",
            "denoiser_calls": dataclasses.asdict(result.calls),
            "batch_seconds": round(seconds, 3),
            "device": describe_device(device),
        }
        write_outputs(job.folder, clean[i], pictures[i], result.samples[i], record)
