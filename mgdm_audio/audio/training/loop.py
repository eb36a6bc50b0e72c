"""The optimisation loop every trainer shares: Adam, learning-rate schedule, clipping, weight average,
validation, checkpoints and the loss logs, resumable step for step, in one process or several.

Files it keeps in the output directory (the first process writes them):
  checkpoint.pt      the latest checkpoint (see :mod:`.checkpoint`)
  train_log.csv      step, loss, seconds (see :mod:`.loss_log`)
  valid_log.csv      step, validation loss, seconds (when validating)

A restart with the same settings continues from the checkpoint and ends with the same weights as an
uninterrupted run on the same device and number of processes (the same examples, loss draws, optimizer state and
average). Data-parallel runs (``torchrun``, :mod:`.distributed`): each process computes the gradient of its share
of the step's examples (:mod:`.examples`), DistributedDataParallel averages them, every process takes the same
step; so N processes end where one process does with the same batch, up to float rounding.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from tqdm import tqdm

from .checkpoint import CHECKPOINT_FILE, restore_checkpoint, save_checkpoint
from .data import StemChunks
from .distributed import World
from .examples import Draw, micro_batches
from .loss_log import LOG_FILE, LossLog
from .settings import TrainSettings

VALID_LOG_FILE = "valid_log.csv"
#: The final loss reported is the mean over this many last steps.
FINAL_LOSS_WINDOW = 100
#: Validation: this many fixed batches of held-out chunks, with fixed loss draws.
VALIDATION_BATCHES = 4
VALIDATION_SEED = 12345
#: How a run draws its examples and loss noise, recorded in its identity: checkpoints of runs that drew them
#: otherwise (from one random state for the whole run) are refused rather than continued on another stream.
DRAWS = "per example: (seed, step, index)"

#: loss(batch [B, S, L] on the device, generators) → scalar mean over the examples; it may draw only from the
#: generators, one per example (example i from generator i).
Loss = Callable[[torch.Tensor, Sequence[torch.Generator]], torch.Tensor]


@dataclass(frozen=True)
class Fit:
    """What a call of :func:`fit` did: the step it started from, training seconds (over restarts), the mean loss
    of the last ``final_loss_steps`` steps, and whether this process is the one that writes (the first)."""

    start_step: int
    seconds: float
    final_loss: float
    final_loss_steps: int
    is_main: bool = True


def fit(
    module: torch.nn.Module,
    loss: Loss,
    data: StemChunks,
    out_dir: Path,
    settings: TrainSettings,
    identity: dict[str, Any],
    device: torch.device,
    progress: bool = True,
    draw: Draw | None = None,
    validation: StemChunks | None = None,
) -> Fit:
    """Trains ``module`` in place; at the end it holds the weight average when ``settings.ema_decay`` > 0. In a
    process group (:mod:`.distributed`) every process calls it alike; only the first writes files.

    Args:
        draw: draws chunks [n, S, L] from the data with a numpy generator (default: aligned chunks with one gain
            per example, :meth:`StemChunks.batch`); called once per example, with the example's own generator.
        validation: held-out chunks; every ``validate_every`` steps the loss of the (averaged) weights on
            fixed batches of it, with fixed loss draws, is logged (by the first process).

    Raises:
        ValueError: the checkpoint was made with another identity, or is beyond ``settings.steps``; the batch
            does not split over the processes and accumulation rounds.
    """
    world = World.current()
    draw = draw or (lambda chunks, size, rng: chunks.batch(size, rng, settings.gain_range))
    identity = {**identity, "draws": DRAWS}
    optimizer = torch.optim.Adam(module.parameters(), lr=settings.lr)
    average = _WeightAverage(module, settings.ema_decay) if settings.ema_decay > 0 else None
    checkpoint = out_dir / CHECKPOINT_FILE
    start_step, seconds_before = 0, 0.0
    if checkpoint.is_file():
        start_step, seconds_before = restore_checkpoint(
            checkpoint, model=module, optimizer=optimizer, identity=identity, average=average and average.tensors
        )
        if start_step > settings.steps:
            raise ValueError(f"{checkpoint}: already at step {start_step}, beyond the {settings.steps} steps asked for")
    batches = micro_batches(
        data,
        draw,
        settings.seed,
        start_step + 1,
        settings.steps,
        settings.batch_size,
        world.rank,
        world.size,
        settings.accumulate,
        settings.workers,
    )
    trained = _Replicated(module, loss, world)
    log = LossLog(out_dir / LOG_FILE, start_step) if world.is_main else None
    validator = None
    if settings.validate_every and world.is_main:
        validator = _Validator(validation, loss, draw, out_dir, start_step, device)
    started = time.perf_counter()
    seconds = seconds_before
    bar = tqdm(
        total=settings.steps, initial=start_step, unit="step", desc="training", disable=not (progress and world.is_main)
    )
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=settings.precision == "bf16")
    module.train()
    try:
        for step in range(start_step + 1, settings.steps + 1):
            for group in optimizer.param_groups:
                group["lr"] = settings.lr_at(step)
            optimizer.zero_grad(set_to_none=True)
            total = torch.zeros((), device=device)
            for round_ in range(settings.accumulate):
                chunks, seeds = next(batches)
                generators = [torch.Generator(device).manual_seed(seed) for seed in seeds]
                with trained.syncing(round_ == settings.accumulate - 1), autocast:
                    value = trained(chunks.to(device), generators) / settings.accumulate
                value.backward()
                total += value.detach()
            torch.nn.utils.clip_grad_norm_(module.parameters(), settings.grad_clip)
            optimizer.step()
            if average is not None:
                average.update(module, step)
            mean_loss = world_mean(total, world)
            seconds = seconds_before + time.perf_counter() - started
            if not world.is_main:
                continue
            log.append(step, mean_loss, seconds)
            bar.set_postfix(loss=f"{log.mean_loss(FINAL_LOSS_WINDOW):.4f}", refresh=False)
            bar.update()
            if validator is not None and (step % settings.validate_every == 0 or step == settings.steps):
                with average.swapped_in(module) if average is not None else nullcontext(), autocast:
                    validator.run(module, step, seconds)
            if step % settings.checkpoint_every == 0 or step == settings.steps:
                save_checkpoint(
                    checkpoint,
                    step=step,
                    seconds=seconds,
                    model=module,
                    optimizer=optimizer,
                    identity=identity,
                    average=average and average.tensors,
                )
    finally:
        bar.close()
        if log is not None:
            log.close()
        if validator is not None:
            validator.close()
    if average is not None:
        average.copy_to(module)
    module.eval()
    if not world.is_main:
        return Fit(start_step, seconds, float("nan"), 0, is_main=False)
    return Fit(
        start_step, seconds, log.mean_loss(FINAL_LOSS_WINDOW), min(FINAL_LOSS_WINDOW, len(log.rows)), is_main=True
    )


def world_mean(value: torch.Tensor, world: World) -> float:
    """The mean of ``value`` (a scalar tensor) over the processes."""
    if world.size > 1:
        value = value.clone()
        dist.all_reduce(value)
        value /= world.size
    return float(value)


class _Loss(torch.nn.Module):
    """The loss as a module's forward, so that DistributedDataParallel sees the pass whose gradients it averages."""

    def __init__(self, module: torch.nn.Module, loss: Loss):
        super().__init__()
        self.module, self.loss = module, loss

    def forward(self, chunks: torch.Tensor, generators: Sequence[torch.Generator]) -> torch.Tensor:
        return self.loss(chunks, generators)


class _Replicated:
    """The loss of ``module``, with its gradients averaged over the processes when there are several
    (DistributedDataParallel); alone, the loss itself."""

    def __init__(self, module: torch.nn.Module, loss: Loss, world: World):
        self.wrapped = _Loss(module, loss)
        if world.size > 1:
            self.wrapped = torch.nn.parallel.DistributedDataParallel(self.wrapped)

    def __call__(self, chunks: torch.Tensor, generators: Sequence[torch.Generator]) -> torch.Tensor:
        return self.wrapped(chunks, generators)

    def syncing(self, last_round: bool):
        """Context of one accumulation round: gradients are averaged over the processes in the last only."""
        if last_round or not isinstance(self.wrapped, torch.nn.parallel.DistributedDataParallel):
            return nullcontext()
        return self.wrapped.no_sync()


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

    def __init__(self, data: StemChunks | None, loss: Loss, draw: Draw, out_dir: Path, start_step: int, device):
        if data is None:
            raise ValueError("validate_every > 0 needs validation data")
        rng = np.random.default_rng(VALIDATION_SEED)
        self.batches = [torch.from_numpy(draw(data, 8, rng)).to(device) for _ in range(VALIDATION_BATCHES)]
        self.loss = loss
        self.device = device
        self.log = LossLog(out_dir / VALID_LOG_FILE, start_step)

    def run(self, module: torch.nn.Module, step: int, seconds: float) -> None:
        generators = [
            torch.Generator(self.device).manual_seed(VALIDATION_SEED + k) for k in range(len(self.batches[0]))
        ]
        module.eval()
        with torch.no_grad():
            value = sum(float(self.loss(batch, generators)) for batch in self.batches) / len(self.batches)
        module.train()
        self.log.append(step, value, seconds)

    def close(self) -> None:
        self.log.close()
