"""The one-call entry point ``mgdm_audio.sample``: posterior samples for any prior and operator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from .likelihoods import GaussianLikelihood
from .operators.base import Operator
from .priors.base import Prior
from .samplers import make_sampler
from .samplers.base import Sampler, SamplingResult
from .samplers.start import COLD, ColdStart, WarmStart


def sample(
    prior: Prior,
    operator: Operator,
    y: np.ndarray | torch.Tensor,
    sigma_y: float,
    sampler: str | Sampler = "mgdm",
    num_samples: int = 1,
    seed: int | None = None,
    preset: str | None = None,
    trace: bool = False,
    return_result: bool = False,
    init: np.ndarray | torch.Tensor | None = None,
    start_sigma: float | None = None,
    progress: Callable[[], None] | None = None,
    **settings: Any,
) -> torch.Tensor | SamplingResult:
    """Draw ``num_samples`` independent samples of p(x | y) ∝ N(y; A(x), σ_y² I) p_0(x).

    Args:
        prior: a diffusion prior (:class:`mgdm_audio.priors.Prior`).
        operator: the forward model A (:class:`mgdm_audio.operators.Operator`); moved to the
            prior's device.
        y: the observation, shaped like A's output for one sample, or one per sample [num_samples, *that shape].
        sigma_y: observation noise standard deviation (> 0), in the data's units.
        sampler: a name of :data:`mgdm_audio.samplers.SAMPLERS`: ``"mgdm"``, ``"dps"``, or ``"dirac"``
            (mixtures only); or a sampler already built by :func:`mgdm_audio.samplers.make_sampler` (what
            separation and restoration pass, built once for many calls), with its own preset and settings.
        seed: seeds a ``torch.Generator``; None draws a seed, which the result records.
        preset: settings preset (default: the prior's ``default_preset``).
        trace: keep the clean estimate of every outer step (in the result).
        progress: called once per outer step (a progress bar's update).
        return_result: return the :class:`SamplingResult` (settings, seed, calls, time) instead of
            only the samples.
        init: an initial estimate [*event_shape] or [num_samples, *event_shape] in the prior's space (a warm
            start, :class:`mgdm_audio.core.samplers.start.WarmStart`): the sampler starts from it noised to
            ``start_sigma`` instead of from pure noise. Needs ``start_sigma``.
        start_sigma: the warm start's VE noise level (data units; ᾱ = 1 / (1 + σ²)).
        **settings: override single settings of the preset, e.g. ``gibbs_reps=4``.

    Returns:
        samples [num_samples, *event_shape] (decoded for latent priors), or the full result.
    """
    if isinstance(sampler, Sampler):
        if preset is not None or settings:
            raise ValueError("a built sampler has its preset and settings already; pass its name to change them")
        runner = sampler
    else:
        runner = make_sampler(sampler, preset or prior.default_preset, **settings)
    operator = operator.to(prior.device)  # in place, as nn.Module.to: its buffers follow the prior
    y = torch.as_tensor(y).to(dtype=prior.dtype, device=prior.device)
    with torch.no_grad():
        probe = operator(prior.decode(torch.zeros((1, *prior.event_shape), dtype=prior.dtype, device=prior.device)))
    if tuple(y.shape) not in (tuple(probe.shape[1:]), (num_samples, *probe.shape[1:])):
        raise ValueError(
            f"observation y has shape {tuple(y.shape)}, but the operator maps a sample of shape "
            f"{prior.event_shape} to {tuple(probe.shape[1:])}"
        )
    likelihood = GaussianLikelihood(y, sigma_y)
    start = warm_start(prior, init, start_sigma)
    if seed is None:
        seed = int(torch.randint(0, 2**31 - 1, (1,)))
    generator = torch.Generator().manual_seed(seed)
    result = runner(
        prior, operator, likelihood, num_samples, generator=generator, trace=trace, start=start, progress=progress
    )
    result.settings = {
        "seed": seed,
        "sigma_y": float(sigma_y),
        "num_samples": num_samples,
        "start_sigma": start_sigma,
        **result.settings,
    }
    return result if return_result else result.samples


def warm_start(prior: Prior, init: np.ndarray | torch.Tensor | None, start_sigma: float | None) -> ColdStart:
    """The start ``init`` and ``start_sigma`` ask for: both, or neither (a cold start)."""
    if (init is None) != (start_sigma is None):
        raise ValueError("a warm start needs both init (the initial estimate) and start_sigma (its noise level)")
    if init is None:
        return COLD
    estimate = torch.as_tensor(init).to(dtype=prior.dtype, device=prior.device)
    if tuple(estimate.shape) == prior.event_shape:
        estimate = estimate.unsqueeze(0)
    if tuple(estimate.shape[1:]) != prior.event_shape:
        raise ValueError(
            f"init has shape {tuple(estimate.shape)}; expected {prior.event_shape} or "
            f"[num_samples, {', '.join(map(str, prior.event_shape))}]"
        )
    return WarmStart(estimate, float(start_sigma))
