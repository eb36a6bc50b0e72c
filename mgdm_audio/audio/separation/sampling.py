"""Posterior draws of the stems of one mono mixture segment at the prior's rate: the step every separation
repeats, through ``mgdm_audio.sample`` on the mixing operator (y = Σ stems)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from mgdm_audio.core import api
from mgdm_audio.core.operators.base import Operator
from mgdm_audio.core.samplers import make_sampler

from ..mixing import Mixing
from ..priors.music import MultiSourcePrior
from ..separators.model import MixtureSeparator
from .settings import SeparationSettings

#: Seed offset between the ``ma.sample`` calls that share one segment's draws (``batch_size`` < N):
#: call j of unit u uses seed + u + j · SEED_STRIDE, distinct while a file has fewer than 2^20 units.
SEED_STRIDE = 1 << 20


class SegmentSampler:
    """Draws stems with one prior and one set of settings.

    Args:
        prior: the multi-source prior (on its device). settings: see :class:`.settings.SeparationSettings`.
        separator: the discriminative separator whose estimate starts the sampler (init "separator"), on the prior's
            device, with the prior's stems and rate (:class:`.pipeline.SeparationPipeline` checks both).
    """

    def __init__(self, prior: MultiSourcePrior, settings: SeparationSettings, separator: MixtureSeparator | None):
        self.prior = prior
        self.settings = settings
        self.separator = separator
        unknown = sorted(set(settings.refine or ()) - set(prior.stems))
        if unknown:
            raise ValueError(f"refine names {', '.join(unknown)}, not stems of the prior ({', '.join(prior.stems)})")
        #: Stems (indices) whose draws are replaced by the separator's estimate (see SeparationSettings.refine).
        self.kept = [index for index, stem in enumerate(prior.stems) if stem not in (settings.refine or prior.stems)]
        # Unit gains for the prior's stems: samplers that use the adjoint (ΠGDM, DAPS, …) need their number.
        self.operator = Mixing(num_stems=len(prior.stems))
        #: The sampler, built once for every segment, channel and batch (None: sampler "none").
        self.runner = (
            None if settings.sampler == "none" else make_sampler(settings.sampler, "audio", **settings.overrides)
        )

    def record(self) -> dict[str, Any]:
        """What a separation's record holds of the sampler (empty for sampler "none")."""
        if self.runner is None:
            return {}
        return {
            "sigma_y": float(self.settings.sigma_y),
            "start_sigma": self.settings.start_sigma,
            "preset": self.runner.preset,
            **self.runner.settings_dict(),
        }

    def observe(self, start: int, length: int) -> Operator:
        """The forward model of a segment of ``length`` samples starting at sample ``start`` of the track (the
        prior's rate): here the mixing of the stems, the same everywhere."""
        return self.operator

    def separator_input(self, observation: torch.Tensor, start: int, channel: int) -> torch.Tensor:
        """The mixture the separator's estimate is made from (init "separator"): here the observation itself."""
        return observation

    def initial_estimate(self, mixture: torch.Tensor) -> torch.Tensor:
        """The separator's estimate [1, S, n] of the stems of ``mixture`` [n] (init "separator")."""
        with torch.no_grad():
            return self.separator(mixture.to(self.prior.device, self.prior.dtype)[None])

    def draw(
        self, mixture: np.ndarray, seed: int, start: int = 0, channel: int = 0
    ) -> tuple[np.ndarray, tuple[int, int]]:
        """N posterior draws [N, S, n] of the stems of one channel's observation [n] (the prior's rate) starting at
        sample ``start`` of the track's ``channel``, and the denoiser calls (forward, forward+backward) summed over
        the ``ma.sample`` calls."""
        settings, length = self.settings, mixture.shape[-1]
        model_length = self.prior.valid_length(length)
        prior = self.prior.with_length(model_length)
        observation = torch.from_numpy(np.pad(mixture, (0, model_length - length)))
        operator = self.observe(start, model_length)
        estimate = None
        if self.separator is not None:
            estimate = self.initial_estimate(self.separator_input(observation, start, channel))
            if self.runner is None:
                return estimate[..., :length].float().cpu().numpy(), (0, 0)
        batch = settings.batch_size or settings.num_samples
        samples, forward, backward = [], 0, 0
        for call, first in enumerate(range(0, settings.num_samples, batch)):
            result = api.sample(
                prior,
                operator,
                observation,
                sigma_y=settings.sigma_y,
                sampler=self.runner,
                num_samples=min(batch, settings.num_samples - first),
                seed=seed + call * SEED_STRIDE,
                return_result=True,
                init=estimate,
                start_sigma=settings.start_sigma,
            )
            samples.append(result.samples[..., :length].float().cpu().numpy())
            forward += result.calls.forward
            backward += result.calls.forward_backward
        draws = np.concatenate(samples)
        if self.kept:
            draws[:, self.kept] = estimate[..., :length].float().cpu().numpy()[:, self.kept]
        return draws, (forward, backward)
