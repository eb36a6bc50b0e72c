"""Settings of a prior training run."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainSettings:
    """steps: optimisation steps in all (a restart continues up to it); batch_size: examples per step;
    lr: Adam learning rate; grad_clip: bound on the gradient's global L2 norm; gain_range: each example's
    stems are scaled by one gain drawn uniformly from it; checkpoint_every: steps between checkpoints
    (the last step always writes one); seed: seeds the data draws (numpy) and the loss's σ and noise (torch).
    Defaults: REFERENCE §9."""

    steps: int = 10_000
    batch_size: int = 8
    lr: float = 2e-4
    grad_clip: float = 1.0
    gain_range: tuple[float, float] = (0.5, 1.5)
    checkpoint_every: int = 500
    seed: int = 0

    def __post_init__(self):
        for name in ("steps", "batch_size", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not (self.lr > 0 and self.grad_clip > 0):
            raise ValueError(f"lr and grad_clip must be > 0, got {self.lr} and {self.grad_clip}")
        low, high = self.gain_range
        if not 0 < low <= high:
            raise ValueError(f"gain range must satisfy 0 < low <= high, got {self.gain_range}")
