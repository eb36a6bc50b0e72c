"""The one-call entry point: ``mgdm_audio.sample``."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .likelihoods import GaussianLikelihood
from .operators import Operator
from .priors import Prior
from .samplers import SamplingResult, make_sampler


def sample(prior: Prior, operator: Operator, y: np.ndarray | torch.Tensor, sigma_y: float, sampler: str = "mgdm",
           num_samples: int = 1, seed: int | None = None, preset: str | None = None, trace: bool = False,
           return_result: bool = False, **settings: Any) -> torch.Tensor | SamplingResult:
    """Draw ``num_samples`` independent samples of p(x | y) ∝ N(y; A(x), σ_y² I) p_0(x).

    Args:
        prior: a diffusion prior (:class:`mgdm_audio.priors.Prior`).
        operator: the forward model A (:class:`mgdm_audio.operators.Operator`); moved to the
            prior's device.
        y: the observation, shaped like A's output for one sample.
        sigma_y: observation noise standard deviation (> 0), in the data's units.
        sampler: a name of :data:`mgdm_audio.samplers.SAMPLERS`: ``"mgdm"``, ``"dps"``, or ``"dirac"``
            (mixtures only).
        seed: seeds a ``torch.Generator``; None draws a seed, which the result records.
        preset: settings preset (default: the prior's ``default_preset``).
        trace: keep the clean estimate of every outer step (in the result).
        return_result: return the :class:`SamplingResult` (settings, seed, calls, time) instead of
            only the samples.
        **settings: override single settings of the preset, e.g. ``gibbs_reps=4``.

    Returns:
        samples [num_samples, *event_shape] (decoded for latent priors), or the full result.
    """
    runner = make_sampler(sampler, preset or prior.default_preset, **settings)
    operator = operator.to(prior.device)  # in place, as nn.Module.to: its buffers follow the prior
    y = torch.as_tensor(y).to(dtype=prior.dtype, device=prior.device)
    with torch.no_grad():
        probe = operator(prior.decode(torch.zeros((1, *prior.event_shape), dtype=prior.dtype, device=prior.device)))
    if tuple(y.shape) != tuple(probe.shape[1:]):
        raise ValueError(f"observation y has shape {tuple(y.shape)}, but the operator maps a sample of shape "
                         f"{prior.event_shape} to {tuple(probe.shape[1:])}")
    likelihood = GaussianLikelihood(y, sigma_y)
    if seed is None:
        seed = int(torch.randint(0, 2**31 - 1, (1,)))
    generator = torch.Generator().manual_seed(seed)
    result = runner(prior, operator, likelihood, num_samples, generator=generator, trace=trace)
    result.settings = {"seed": seed, "sigma_y": float(sigma_y), "num_samples": num_samples, **result.settings}
    return result if return_result else result.samples
