"""Train a small pixel-space image prior: a diffusers ``UNet2DModel``, DDPM ε-prediction, linear β.

The result is saved as a bare diffusers UNet folder (``config.json``, ``diffusion_pytorch_model.safetensors``,
``scheduler_config.json``), which :func:`mgdm_audio.priors.load` and ``UNet2DModel.from_pretrained`` read
and which packages as flat data files. Command line::

    mgdm train-image-prior data/train/images.scp exp/prior_train --steps 6000

Training stops at ``--steps`` or after ``--max-minutes`` of training time, whichever comes first; the
weights saved are an exponential moving average (EMA) of the trained ones, which sample markedly better for
small data. Images are read with :func:`read_image` (fitted to the resolution) and augmented by random
horizontal flips and shifts of up to ``--max-shift`` pixels (reflected borders).

Every ``--checkpoint-every`` steps, and when training stops, ``OUT_DIR/checkpoint.pt`` records the whole
training state (weights, EMA, Adam, learning-rate schedule, random generators, loss log, training time).
A run into an OUT_DIR that holds one resumes from it, bit-identically to a run that was never
interrupted; raising ``--steps`` or ``--max-minutes`` continues a finished run. With ``--valid-scp``, the
saved prior's held-out denoising (:mod:`.denoising`) is measured at the end and written to
``OUT_DIR/denoising.json``.
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
CHECKPOINT_FILE = "checkpoint.pt"
DENOISING_FILE = "denoising.json"
#: Settings a run may change when it resumes from a checkpoint (limits and speed, not the training itself).
RESUMABLE_CHANGES = ("steps", "max_minutes", "threads", "checkpoint_every")


@dataclass
class ImagePriorSettings:
    """Architecture and optimisation of :func:`train_image_prior`.

    resolution: H = W in pixels (a multiple of 2^(levels − 1)). channels: 1 (grey) or 3 (RGB).
    block_out_channels: UNet width per level; attention only on the last (coarsest) level.
    steps: Adam steps at most; max_minutes: limit on the training time, all resumed runs together
    (checked every step). ema_decay: decay of the saved EMA weights. max_shift: augmentation shift in
    pixels. checkpoint_every: steps between checkpoints (one is also written when training stops).
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
    checkpoint_every: int = 1000

    def __post_init__(self):
        for name in ("steps", "batch_size", "warmup_steps", "log_every", "threads", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name.replace('_', '-')} must be >= 1, got {getattr(self, name)}")


def build_unet(settings: ImagePriorSettings):
    """A fresh ``UNet2DModel`` of the settings' shape (attention on the coarsest level only)."""
    from diffusers import UNet2DModel

    levels = len(settings.block_out_channels)
    down = ("DownBlock2D",) * (levels - 1) + ("AttnDownBlock2D",)
    up = ("AttnUpBlock2D",) + ("UpBlock2D",) * (levels - 1)
    return UNet2DModel(
        sample_size=settings.resolution,
        in_channels=settings.channels,
        out_channels=settings.channels,
        block_out_channels=settings.block_out_channels,
        layers_per_block=settings.layers_per_block,
        down_block_types=down,
        up_block_types=up,
        norm_num_groups=settings.norm_num_groups,
        attention_head_dim=settings.block_out_channels[-1] // 2,
    )


def augment(batch: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flips and integer shifts (reflected borders) of a batch [B, C, H, W]."""
    flips = torch.rand(batch.shape[0], generator=generator) < 0.5
    batch = torch.where(flips[:, None, None, None], batch.flip(-1), batch)
    if max_shift == 0:
        return batch
    height, width = batch.shape[-2:]
    padded = torch.nn.functional.pad(batch, (max_shift,) * 4, mode="reflect")
    shifts = torch.randint(0, 2 * max_shift + 1, (batch.shape[0], 2), generator=generator)
    return torch.stack([padded[i, :, dy : dy + height, dx : dx + width] for i, (dy, dx) in enumerate(shifts.tolist())])


def train_image_prior(
    images: torch.Tensor, out_dir: Path, settings: ImagePriorSettings, valid: torch.Tensor | None = None
) -> dict:
    """Train on ``images`` [N, C, H, W] in [−1, 1], resuming from ``out_dir/checkpoint.pt`` when there is
    one; write ``out_dir/prior`` (a bare UNet folder), the loss log ``out_dir/train_log.csv``, the checkpoint
    and ``out_dir/training.json``; with ``valid`` [M, C, H, W] in [−1, 1] also the saved prior's held-out
    denoising (``out_dir/denoising.json``, :func:`.denoising.denoising_rows`). Returns the training facts.

    Raises:
        ValueError: the checkpoint was written with other settings or data (the message names it).
    """
    from diffusers import DDPMScheduler
    from diffusers.training_utils import EMAModel

    torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    generator = torch.Generator().manual_seed(settings.seed)
    unet = build_unet(settings).train()
    scheduler = DDPMScheduler(
        num_train_timesteps=settings.num_levels,
        beta_start=settings.beta_start,
        beta_end=settings.beta_end,
        beta_schedule="linear",
        prediction_type="epsilon",
    )
    ema = EMAModel(unet.parameters(), decay=settings.ema_decay)
    optimizer = torch.optim.Adam(unet.parameters(), lr=settings.lr)
    warmup = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / settings.warmup_steps))
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {"step": 0, "rows": [], "window": [], "seconds": 0.0}
    parts = {"unet": unet, "ema": ema, "optimizer": optimizer, "warmup": warmup}
    if (out_dir / CHECKPOINT_FILE).is_file():
        state = _load_checkpoint(out_dir / CHECKPOINT_FILE, parts, generator, settings, len(images))
        print(f"resuming from {out_dir / CHECKPOINT_FILE} at step {state['step']}", file=sys.stderr, flush=True)
    rows, window, step = state["rows"], state["window"], state["step"]
    started = time.perf_counter() - state["seconds"]  # the time limit counts earlier runs' training time too
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
        if step % settings.checkpoint_every == 0:
            _save_checkpoint(
                out_dir / CHECKPOINT_FILE, parts, generator, settings, len(images), step, rows, window, started
            )
    seconds = time.perf_counter() - started
    _save_checkpoint(out_dir / CHECKPOINT_FILE, parts, generator, settings, len(images), step, rows, window, started)
    if window:  # the steps since the last row, when the step or time limit fell between rows
        rows = rows + [_log_row(step, window, started)]
    ema.copy_to(unet.parameters())
    unet.eval().save_pretrained(out_dir / "prior")
    scheduler.save_pretrained(out_dir / "prior")
    facts = {
        "steps": step,
        "seconds": round(seconds, 1),
        "num_images": len(images),
        "parameters": sum(p.numel() for p in unet.parameters()),
        "final_loss": rows[-1]["loss"] if rows else math.nan,
        "settings": _settings_dict(settings),
    }
    _write_log(out_dir / LOG_FILE, rows)
    if valid is not None:
        from mgdm_audio.core.priors.loading import load

        from .denoising import denoising_rows

        facts["denoising"] = denoising_rows(load(out_dir / "prior"), valid, seed=settings.seed)
        _write_json(out_dir / DENOISING_FILE, facts["denoising"])
    _write_json(out_dir / FACTS_FILE, facts)
    return facts


def _settings_dict(settings: ImagePriorSettings) -> dict:
    return {**asdict(settings), "block_out_channels": list(settings.block_out_channels)}


def _save_checkpoint(
    path: Path,
    parts: dict,
    generator: torch.Generator,
    settings: ImagePriorSettings,
    num_images: int,
    step: int,
    rows: list[dict],
    window: list[float],
    started: float,
) -> None:
    """Everything the next step depends on, written atomically (an interrupted write keeps the last one)."""
    state = {name: part.state_dict() for name, part in parts.items()}
    state.update(
        generator=generator.get_state(),
        torch_rng=torch.get_rng_state(),
        step=step,
        rows=rows,
        window=window,
        seconds=time.perf_counter() - started,
        num_images=num_images,
        settings=_settings_dict(settings),
    )
    with atomic_path(path) as temporary:
        torch.save(state, temporary)


def _load_checkpoint(
    path: Path, parts: dict, generator: torch.Generator, settings: ImagePriorSettings, num_images: int
) -> dict:
    """Restore ``parts`` and the generators from ``path``; return its step, loss rows, window and seconds."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a truncated or foreign file: say which file
        raise ValueError(f"{path}: unreadable checkpoint ({error})") from None
    ours, theirs = _settings_dict(settings), state["settings"]
    changed = sorted(name for name in ours if name not in RESUMABLE_CHANGES and ours[name] != theirs.get(name))
    if changed:
        raise ValueError(
            f"{path}: written with other settings ({', '.join(f'{n} {theirs.get(n)}' for n in changed)}); "
            "use them, another output folder, or remove the checkpoint"
        )
    if state["num_images"] != num_images:
        raise ValueError(f"{path}: written for {state['num_images']} training images, not {num_images}")
    for name, part in parts.items():
        part.load_state_dict(state[name])
    generator.set_state(state["generator"])
    torch.set_rng_state(state["torch_rng"])
    return state


def _write_json(path: Path, value) -> None:
    with atomic_path(path) as temporary:
        Path(temporary).write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")


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
