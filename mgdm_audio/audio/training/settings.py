"""Settings of a training run (priors and separators share them)."""

from __future__ import annotations

import math
from dataclasses import dataclass

LR_SCHEDULES = ("constant", "cosine")
#: Arithmetic of the forward and backward passes: float32, or bfloat16 autocast (GPUs; weights, gradients, the
#: optimizer state and the weight average stay float32).
PRECISIONS = ("fp32", "bf16")


@dataclass(frozen=True)
class TrainSettings:
    """steps: optimisation steps in all (a restart continues up to it); batch_size: examples per step;
    lr: Adam's peak learning rate; lr_schedule: "constant", or "cosine" (decays to lr · min_lr_ratio at
    ``steps``); warmup_steps: linear ramp from 0 to lr over the first steps; grad_clip: bound on the gradient's
    global L2 norm; gain_range: each example's stems are scaled by one gain drawn uniformly from it;
    ema_decay: decay of an exponential moving average of the weights, which is what the run writes
    (0: no average, the last weights); checkpoint_every: steps between checkpoints (the last step always
    writes one); validate_every: steps between validation losses (0: none); seed: seeds the data draws
    (numpy) and the loss's own draws (torch). Defaults: the feasibility run
    (docs/method.md#embedded-prior): constant lr, no average.
    """

    steps: int = 10_000
    batch_size: int = 8
    lr: float = 2e-4
    lr_schedule: str = "constant"
    min_lr_ratio: float = 0.1
    warmup_steps: int = 0
    grad_clip: float = 1.0
    gain_range: tuple[float, float] = (0.5, 1.5)
    ema_decay: float = 0.0
    checkpoint_every: int = 500
    validate_every: int = 0
    seed: int = 0
    accumulate: int = 1
    workers: int = 0
    precision: str = "fp32"

    def __post_init__(self):
        for name in ("steps", "batch_size", "checkpoint_every", "accumulate"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("warmup_steps", "validate_every", "workers"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not (self.lr > 0 and self.grad_clip > 0):
            raise ValueError(f"lr and grad_clip must be > 0, got {self.lr} and {self.grad_clip}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"unknown precision {self.precision!r}; expected one of {PRECISIONS}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"unknown lr schedule {self.lr_schedule!r}; expected one of {LR_SCHEDULES}")
        if not 0 <= self.min_lr_ratio <= 1:
            raise ValueError(f"min_lr_ratio must be in [0, 1], got {self.min_lr_ratio}")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        low, high = self.gain_range
        if not 0 < low <= high:
            raise ValueError(f"gain range must satisfy 0 < low <= high, got {self.gain_range}")

    def lr_at(self, step: int) -> float:
        """The learning rate of step ``step`` (1-based): warm-up ramp, then the schedule."""
        if step <= self.warmup_steps:
            return self.lr * step / self.warmup_steps
        if self.lr_schedule == "constant":
            return self.lr
        progress = min(1.0, (step - self.warmup_steps) / max(1, self.steps - self.warmup_steps))
        floor = self.lr * self.min_lr_ratio
        return floor + (self.lr - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))

    def fixed_fields(self) -> set[str]:
        """Settings a restart must keep: all but the step count, the intervals and how the work is shared
        (accumulation rounds, loader workers; the number of processes is not a setting), except that a cosine
        schedule depends on the step count."""
        free = {"checkpoint_every", "validate_every", "accumulate", "workers"}
        if self.lr_schedule == "constant":
            free.add("steps")
        return {name for name in self.__dataclass_fields__ if name not in free}
