"""The optimisation loop every trainer shares: Adam, learning-rate schedule, clipping, weight average,
validation, checkpoints and the loss logs, resumable step for step.

Files it keeps in the output directory:
  checkpoint.pt      the latest checkpoint (see :mod:`.checkpoint`)
  train_log.csv      step, loss, seconds (see :mod:`.loss_log`)
  valid_log.csv      step, validation loss, seconds (when validating)

A restart with the same settings continues from the checkpoint and ends with the same weights as an
uninterrupted run on the same device (same data draws, loss draws, optimizer state and average).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from .checkpoint import CHECKPOINT_FILE, restore_checkpoint, save_checkpoint
from .data import StemChunks
from .loss_log import LOG_FILE, LossLog
from .settings import TrainSettings

VALID_LOG_FILE = "valid_log.csv"
#: The final loss reported is the mean over this many last steps.
FINAL_LOSS_WINDOW = 100
#: Validation: this many fixed batches of held-out chunks, with fixed loss draws.
VALIDATION_BATCHES = 4
VALIDATION_SEED = 12345

#: loss(batch [B, S, L] on the device, generator) → scalar; it may draw from the generator only.
Loss = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


@dataclass(frozen=True)
class Fit:
    """What a call of :func:`fit` did: the step it started from, training seconds (over restarts), and
    the mean loss of the last ``final_loss_steps`` steps."""

    start_step: int
    seconds: float
    final_loss: float
    final_loss_steps: int


def fit(
    module: torch.nn.Module,
    loss: Loss,
    data: StemChunks,
    out_dir: Path,
    settings: TrainSettings,
    identity: dict[str, Any],
    device: torch.device,
    progress: bool = True,
    sample: Callable[[StemChunks, int, np.random.Generator], np.ndarray] | None = None,
    validation: StemChunks | None = None,
) -> Fit:
    """Trains ``module`` in place; at the end it holds the weight average when ``settings.ema_decay`` > 0.

    Args:
        sample: draws a batch [B, S, L] from the data with the numpy generator (default: aligned chunks
            with one gain per example, :meth:`StemChunks.batch`).
        validation: held-out chunks; every ``validate_every`` steps the loss of the (averaged) weights on
            fixed batches of it, with fixed loss draws, is logged.

    Raises:
        ValueError: the checkpoint was made with another identity, or is beyond ``settings.steps``.
    """
    sample = sample or (lambda chunks, size, rng: chunks.batch(size, rng, settings.gain_range))
    optimizer = torch.optim.Adam(module.parameters(), lr=settings.lr)
    rng = np.random.default_rng(settings.seed)
    generator = torch.Generator(device).manual_seed(settings.seed)
    average = _WeightAverage(module, settings.ema_decay) if settings.ema_decay > 0 else None
    checkpoint = out_dir / CHECKPOINT_FILE
    start_step, seconds_before = 0, 0.0
    if checkpoint.is_file():
        start_step, seconds_before = restore_checkpoint(
            checkpoint,
            model=module,
            optimizer=optimizer,
            rng=rng,
            generator=generator,
            identity=identity,
            average=average and average.tensors,
        )
        if start_step > settings.steps:
            raise ValueError(f"{checkpoint}: already at step {start_step}, beyond the {settings.steps} steps asked for")
    log = LossLog(out_dir / LOG_FILE, start_step)
    validator = _Validator(validation, loss, sample, out_dir, start_step, device) if settings.validate_every else None
    started = time.perf_counter()
    seconds = seconds_before
    bar = tqdm(total=settings.steps, initial=start_step, unit="step", desc="training", disable=not progress)
    module.train()
    try:
        for step in range(start_step + 1, settings.steps + 1):
            batch = torch.from_numpy(sample(data, settings.batch_size, rng)).to(device)
            for group in optimizer.param_groups:
                group["lr"] = settings.lr_at(step)
            value = loss(batch, generator)
            optimizer.zero_grad(set_to_none=True)
            value.backward()
            torch.nn.utils.clip_grad_norm_(module.parameters(), settings.grad_clip)
            optimizer.step()
            if average is not None:
                average.update(module, step)
            seconds = seconds_before + time.perf_counter() - started
            log.append(step, value.item(), seconds)
            bar.set_postfix(loss=f"{log.mean_loss(FINAL_LOSS_WINDOW):.4f}", refresh=False)
            bar.update()
            if validator is not None and (step % settings.validate_every == 0 or step == settings.steps):
                with average.swapped_in(module) if average is not None else nullcontext():
                    validator.run(module, step, seconds)
            if step % settings.checkpoint_every == 0 or step == settings.steps:
                save_checkpoint(
                    checkpoint,
                    step=step,
                    seconds=seconds,
                    model=module,
                    optimizer=optimizer,
                    rng=rng,
                    generator=generator,
                    identity=identity,
                    average=average and average.tensors,
                )
    finally:
        bar.close()
        log.close()
        if validator is not None:
            validator.close()
    if average is not None:
        average.copy_to(module)
    module.eval()
    return Fit(start_step, seconds, log.mean_loss(FINAL_LOSS_WINDOW), min(FINAL_LOSS_WINDOW, len(log.rows)))


class _WeightAverage:
    """An exponential moving average of a module's floating-point state: after step t, w̄ ← d_t·w̄ + (1 − d_t)·w with
    d_t = min(decay, (1 + t) / (10 + t)), so that early on the average follows the weights instead of keeping the
    random initialisation (the warm-up of TensorFlow's ExponentialMovingAverage with num_updates)."""

    def __init__(self, module: torch.nn.Module, decay: float):
        self.decay = decay
        self.tensors = {
            name: tensor.detach().clone() for name, tensor in module.state_dict().items() if tensor.is_floating_point()
        }

    def update(self, module: torch.nn.Module, step: int) -> None:
        decay = min(self.decay, (1.0 + step) / (10.0 + step))
        with torch.no_grad():
            state = module.state_dict()
            for name, tensor in self.tensors.items():
                tensor.lerp_(state[name], 1.0 - decay)

    def copy_to(self, module: torch.nn.Module) -> None:
        module.load_state_dict(self.tensors, strict=False)

    @contextmanager
    def swapped_in(self, module: torch.nn.Module) -> Iterator[None]:
        """Context: ``module`` holds the average inside, its own weights again after."""
        saved = {name: tensor.detach().clone() for name, tensor in module.state_dict().items() if name in self.tensors}
        self.copy_to(module)
        try:
            yield
        finally:
            module.load_state_dict(saved, strict=False)


class _Validator:
    """The loss on fixed held-out batches with fixed loss draws, logged to ``valid_log.csv``."""

    def __init__(
        self, data: StemChunks | None, loss: Loss, sample, out_dir: Path, start_step: int, device: torch.device
    ):
        if data is None:
            raise ValueError("validate_every > 0 needs validation data")
        rng = np.random.default_rng(VALIDATION_SEED)
        self.batches = [torch.from_numpy(sample(data, 8, rng)).to(device) for _ in range(VALIDATION_BATCHES)]
        self.loss = loss
        self.device = device
        self.log = LossLog(out_dir / VALID_LOG_FILE, start_step)

    def run(self, module: torch.nn.Module, step: int, seconds: float) -> None:
        generator = torch.Generator(self.device).manual_seed(VALIDATION_SEED)
        module.eval()
        with torch.no_grad():
            value = sum(float(self.loss(batch, generator)) for batch in self.batches) / len(self.batches)
        module.train()
        self.log.append(step, value, seconds)

    def close(self) -> None:
        self.log.close()
