"""Train a small pixel-space image prior: a diffusers ``UNet2DModel``, DDPM ε-prediction, linear β.

The result is saved as a bare diffusers UNet folder (``config.json``, ``diffusion_pytorch_model.safetensors``,
``scheduler_config.json``), which :func:`mgdm_audio.priors.load` and ``UNet2DModel.from_pretrained`` read
and which packages as flat data files. Command line::

    mgdm train-image-prior data/train/images.scp exp/prior_train --steps 6000

Training stops at ``--steps`` or after ``--max-minutes``, whichever comes first; the weights saved are
an exponential moving average (EMA) of the trained ones, which sample markedly better for small
data. Images are read with :func:`read_image` (fitted to the resolution) and augmented by random
horizontal flips and shifts of up to ``--max-shift`` pixels (reflected borders).
"""
from __future__ import annotations

import csv
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from mgdm_audio.common.atomic import atomic_path
from mgdm_audio.common.lists import read_list

from .image_io import read_image

LOG_FILE = "train_log.csv"
FACTS_FILE = "training.json"


@dataclass
class ImagePriorSettings:
    """Architecture and optimisation of :func:`train_image_prior`.

    resolution: H = W in pixels (a multiple of 2^(levels − 1)). channels: 1 (grey) or 3 (RGB).
    block_out_channels: UNet width per level; attention only on the last (coarsest) level.
    steps: Adam steps at most; max_minutes: wall-clock limit (checked every step).
    ema_decay: decay of the saved EMA weights. max_shift: augmentation shift in pixels.
    """

    resolution: int = 32
    channels: int = 1
    block_out_channels: tuple[int, ...] = (32, 64, 64)
    layers_per_block: int = 1
    norm_num_groups: int = 8
    num_levels: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02
    steps: int = 6000
    batch_size: int = 32
    lr: float = 1e-3
    warmup_steps: int = 200
    ema_decay: float = 0.999
    max_shift: int = 2
    max_minutes: float = 15.0
    seed: int = 0
    log_every: int = 100
    threads: int = 2


def build_unet(settings: ImagePriorSettings):
    """A fresh ``UNet2DModel`` of the settings' shape (attention on the coarsest level only)."""
    from diffusers import UNet2DModel

    levels = len(settings.block_out_channels)
    down = ("DownBlock2D",) * (levels - 1) + ("AttnDownBlock2D",)
    up = ("AttnUpBlock2D",) + ("UpBlock2D",) * (levels - 1)
    return UNet2DModel(sample_size=settings.resolution, in_channels=settings.channels,
                       out_channels=settings.channels, block_out_channels=settings.block_out_channels,
                       layers_per_block=settings.layers_per_block, down_block_types=down, up_block_types=up,
                       norm_num_groups=settings.norm_num_groups,
                       attention_head_dim=settings.block_out_channels[-1] // 2)


def augment(batch: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flips and integer shifts (reflected borders) of a batch [B, C, H, W]."""
    flips = torch.rand(batch.shape[0], generator=generator) < 0.5
    batch = torch.where(flips[:, None, None, None], batch.flip(-1), batch)
    if max_shift == 0:
        return batch
    height, width = batch.shape[-2:]
    padded = torch.nn.functional.pad(batch, (max_shift,) * 4, mode="reflect")
    shifts = torch.randint(0, 2 * max_shift + 1, (batch.shape[0], 2), generator=generator)
    return torch.stack([padded[i, :, dy:dy + height, dx:dx + width] for i, (dy, dx) in enumerate(shifts.tolist())])


def train_image_prior(images: torch.Tensor, out_dir: Path, settings: ImagePriorSettings) -> dict:
    """Train on ``images`` [N, C, H, W] in [−1, 1]; write ``out_dir/prior`` (a bare UNet folder), the
    loss log ``out_dir/train_log.csv`` and ``out_dir/training.json``; return the training facts."""
    from diffusers import DDPMScheduler
    from diffusers.training_utils import EMAModel

    torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    generator = torch.Generator().manual_seed(settings.seed)
    unet = build_unet(settings).train()
    scheduler = DDPMScheduler(num_train_timesteps=settings.num_levels, beta_start=settings.beta_start,
                              beta_end=settings.beta_end, beta_schedule="linear", prediction_type="epsilon")
    ema = EMAModel(unet.parameters(), decay=settings.ema_decay)
    optimizer = torch.optim.Adam(unet.parameters(), lr=settings.lr)
    warmup = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / settings.warmup_steps))
    out_dir.mkdir(parents=True, exist_ok=True)
    rows, window, started, step = [], [], time.perf_counter(), 0
    while step < settings.steps and time.perf_counter() - started < 60.0 * settings.max_minutes:
        chosen = torch.randint(0, len(images), (settings.batch_size,), generator=generator)
        clean = augment(images[chosen], settings.max_shift, generator)
        noise = torch.randn(clean.shape, generator=generator)
        timesteps = torch.randint(0, settings.num_levels, (settings.batch_size,), generator=generator)
        loss = torch.nn.functional.mse_loss(unet(scheduler.add_noise(clean, noise, timesteps), timesteps).sample, noise)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        optimizer.step()
        warmup.step()
        ema.step(unet.parameters())
        step += 1
        window.append(loss.item())
        if step % settings.log_every == 0:
            rows.append(_log_row(step, window, started))
            window = []
    if window:  # the steps since the last row, when the step or time limit fell between rows
        rows.append(_log_row(step, window, started))
    ema.copy_to(unet.parameters())
    unet.eval().save_pretrained(out_dir / "prior")
    scheduler.save_pretrained(out_dir / "prior")
    facts = {"steps": step, "seconds": round(time.perf_counter() - started, 1), "num_images": len(images),
             "parameters": sum(p.numel() for p in unet.parameters()),
             "final_loss": rows[-1]["loss"] if rows else math.nan,
             "settings": {**asdict(settings), "block_out_channels": list(settings.block_out_channels)}}
    _write_log(out_dir / LOG_FILE, rows)
    with atomic_path(out_dir / FACTS_FILE) as temporary:
        Path(temporary).write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
    return facts


def read_images(scp: Path, settings: ImagePriorSettings) -> torch.Tensor:
    """The images listed in a ``<id> <path>`` file, fitted to the settings' shape: [N, C, H, W] in [−1, 1]."""
    shape = (settings.channels, settings.resolution, settings.resolution)
    return torch.stack([read_image(Path(path), shape)[0] for path in read_list(scp).values()])


def _log_row(step: int, losses: list[float], started: float) -> dict:
    """A loss-log row: the mean loss of the steps since the previous row; printed too."""
    row = {"step": step, "loss": sum(losses) / len(losses), "seconds": round(time.perf_counter() - started, 1)}
    print(f"step {step}: loss {row['loss']:.4f} ({row['seconds']} s)", file=sys.stderr, flush=True)
    return row


def _write_log(path: Path, rows: list[dict]) -> None:
    with atomic_path(path) as temporary, open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["step", "loss", "seconds"])
        writer.writeheader()
        writer.writerows(rows)
