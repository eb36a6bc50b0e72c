"""The training data stream: example i of step t is drawn from its own seed, (seed, t, i), so a run sees the same
examples whatever the number of processes, gradient-accumulation rounds or loader workers that share them.

Each process reads only its own examples: of step t's global batch of B examples, process r of N takes the
examples r·B/N … (r+1)·B/N − 1, in ``accumulate`` consecutive micro-batches. Worker processes of a PyTorch
DataLoader read them ahead of the training loop. With each example comes the seed of the loss's own draws for it
(an EDM denoiser's σ and ε), so those too depend on the example alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from .data import StemChunks

#: draws a batch [n, S, L] (float32) of chunks with a numpy generator (e.g. :meth:`StemChunks.batch`).
Draw = Callable[[StemChunks, int, np.random.Generator], np.ndarray]


def example_seeds(seed: int, step: int, index: int) -> tuple[np.random.Generator, int]:
    """The data generator of example ``index`` of step ``step`` (1-based) and the seed of its loss draws."""
    data, loss = np.random.SeedSequence([seed, step, index]).spawn(2)
    return np.random.default_rng(data), int(loss.generate_state(1, np.uint64)[0] >> np.uint64(1))


class StepExamples(Dataset):
    """Examples keyed by (step, index): the chunks ``draw`` makes from the example's own generator [S, L], and
    the seed of its loss draws."""

    def __init__(self, data: StemChunks, draw: Draw, seed: int):
        self.data, self.draw, self.seed = data, draw, seed

    def __getitem__(self, key: tuple[int, int]) -> tuple[np.ndarray, int]:
        rng, loss_seed = example_seeds(self.seed, *key)
        return self.draw(self.data, 1, rng)[0], loss_seed


class MicroBatches(Sampler):
    """The keys of this process's micro-batches, step after step from ``first_step`` to ``last_step``."""

    def __init__(self, first_step: int, last_step: int, batch_size: int, rank: int, world_size: int, accumulate: int):
        if batch_size % (world_size * accumulate):
            raise ValueError(
                f"the batch of {batch_size} examples does not split over {world_size} process(es) x {accumulate} "
                "accumulation round(s): make --batch-size a multiple of their product"
            )
        self.steps = range(first_step, last_step + 1)
        self.micro = batch_size // (world_size * accumulate)
        self.first = rank * batch_size // world_size
        self.accumulate = accumulate

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for step in self.steps:
            for round_ in range(self.accumulate):
                start = self.first + round_ * self.micro
                yield [(step, index) for index in range(start, start + self.micro)]

    def __len__(self) -> int:
        return len(self.steps) * self.accumulate


def micro_batches(
    data: StemChunks,
    draw: Draw,
    seed: int,
    first_step: int,
    last_step: int,
    batch_size: int,
    rank: int = 0,
    world_size: int = 1,
    accumulate: int = 1,
    workers: int = 0,
) -> Iterator[tuple[torch.Tensor, list[int]]]:
    """This process's micro-batches in order: chunks [B / (world_size · accumulate), S, L] and their examples' loss
    seeds; ``accumulate`` of them per step. ``workers`` > 0 reads them in that many worker processes, ahead of
    the loop (the examples do not change)."""
    loader = DataLoader(
        StepExamples(data, draw, seed),
        batch_sampler=MicroBatches(first_step, last_step, batch_size, rank, world_size, accumulate),
        num_workers=workers,
        collate_fn=_collate,
        persistent_workers=False,
        prefetch_factor=4 if workers else None,
    )
    return iter(loader)


def _collate(examples: list[tuple[np.ndarray, int]]) -> tuple[torch.Tensor, list[int]]:
    chunks, seeds = zip(*examples)
    return torch.from_numpy(np.stack(chunks)), list(seeds)
