"""Posterior draws of the stems of one degraded segment: separation's segment sampler with the task's operator on
the sum of the stems, and a warm start that separates the classical restoration of the track there."""

from __future__ import annotations

import numpy as np
import torch

from mgdm_audio.core.operators.base import Operator
from mgdm_audio.core.samplers.base import Sampler

from ..operators.mixture import on_mixture
from ..operators.tasks import BLACK_BOX, Degradation
from ..priors.music import MultiSourcePrior
from ..separation.sampling import SegmentSampler
from ..separation.settings import SeparationSettings
from ..separators.model import MixtureSeparator


class RestorationSampler(SegmentSampler):
    """Draws the stems of one degraded track, segment by segment.

    Args:
        prior / settings / separator: as for :class:`..separation.sampling.SegmentSampler`.
        degradation: the track's degradation at the prior's rate; a segment starting at track sample s is observed
            through ``degradation.operator(s, n)`` applied to the sum of the stems.
        classical: the classical restoration of the whole degraded track [channels, samples] (prior's rate), whose
            segments the separator's estimates start from (init "separator").
        consistent: move each draw's stems, by equal shares, so that their sum is the nearest signal consistent with
            the observation (:meth:`..operators.tasks.Degradation.consistent`).
    """

    def __init__(
        self,
        prior: MultiSourcePrior,
        settings: SeparationSettings,
        separator: MixtureSeparator | None,
        degradation: Degradation,
        classical: np.ndarray | None = None,
        consistent: bool = True,
    ):
        super().__init__(prior, settings, separator)
        if degradation.sample_rate != prior.sample_rate:
            raise ValueError(f"the degradation is at {degradation.sample_rate} Hz, the prior at {prior.sample_rate} Hz")
        if separator is not None and classical is None:
            raise ValueError("a warm start needs the classical restoration of the track")
        self.degradation, self.classical, self.consistent = degradation, classical, consistent

    def observe(self, start: int, length: int) -> Operator:
        return on_mixture(self.degradation.operator(start, length), len(self.prior.stems))

    def separator_input(self, observation: torch.Tensor, start: int, channel: int) -> torch.Tensor:
        stretch = self.classical[channel, start : start + observation.shape[-1]]
        return torch.from_numpy(np.pad(stretch, (0, observation.shape[-1] - len(stretch)))).to(observation.dtype)

    def initial_estimate(self, mixture: torch.Tensor) -> torch.Tensor:
        """The separator's estimate, its stems moved by equal shares to sum to ``mixture`` (the classical
        restoration): the warm start is the classical restoration, split into stems."""
        estimate = super().initial_estimate(mixture)
        residual = mixture.to(estimate.device, estimate.dtype) - estimate.sum(dim=1)
        return estimate + residual[:, None] / estimate.shape[1]

    def draw(
        self, mixture: np.ndarray, seed: int, start: int = 0, channel: int = 0
    ) -> tuple[np.ndarray, tuple[int, int]]:
        draws, calls = super().draw(mixture, seed, start, channel)
        if self.consistent:
            total = draws.sum(axis=1)
            shift = self.degradation.consistent(total, np.broadcast_to(mixture, total.shape), start) - total
            draws = draws + (shift / draws.shape[1])[:, None].astype(draws.dtype)
        return draws, calls


def needs_gradient(runner: Sampler, task: str) -> bool:
    """Whether ``runner`` would differentiate the operator of ``task`` that has none (a black box)."""
    return task in BLACK_BOX and runner.differentiates_operator()


def check_sampler(runner: Sampler | None, name: str, task: str) -> None:
    """Refuse a sampler that would differentiate the operator of a black-box task (ValueError, one line)."""
    if runner is not None and needs_gradient(runner, task):
        raise ValueError(
            f"sampler {name!r} needs the gradient of the forward model, and the task {task!r} has none: use mgdm "
            f"(its derivative-free update)"
        )
