"""EDM-preconditioned denoiser and training loss, as ``audio-diffusion-pytorch`` 0.0.43 computes them.

With σ_d = ``sigma_data`` and noise level σ > 0 (data units; x_σ = x_0 + σ ε):

    c_skip  = σ_d² / (σ² + σ_d²)
    c_out   = σ σ_d / sqrt(σ² + σ_d²)
    c_in    = 1 / sqrt(σ² + σ_d²)
    c_noise = ln(σ) / 4
    D(x, σ) = clamp(c_skip x + c_out F(c_in x, c_noise), −1, 1)     (clamp only if ``clamp``)

Training (the package's ``Diffusion.forward``): ln σ ~ N(log_sigma_mean, log_sigma_std²) per
example, ε ~ N(0, I), loss = mean_b [ λ(σ_b) · mean(D(x_0 + σ_b ε, σ_b) − x_0)² ] with
λ(σ) = (σ² + σ_d²) / (σ σ_d)². The clamp is applied inside the loss too, as published.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn


class EDMDenoiser(nn.Module):
    """D(x, σ) around a network ``net(x [B, ...], c_noise [B]) → [B, ...]``.

    The network is held as ``self.net``, so this module's state-dict keys are ``net.*``.

    Args:
        net: the raw network F.
        sigma_data: σ_d, the data standard deviation assumed by the preconditioning (MSDM: 0.2;
            the package's AudioDiffusionModel default is 0.1).
        clamp: clamp D to [−1, 1] (the package does when ``diffusion_dynamic_threshold`` is 0,
            as in MSDM; dynamic thresholding is not implemented).
        log_sigma_mean, log_sigma_std: the training noise distribution, ln σ ~ N(mean, std²).
    """

    def __init__(
        self,
        net: nn.Module,
        sigma_data: float = 0.2,
        clamp: bool = True,
        log_sigma_mean: float = -3.0,
        log_sigma_std: float = 1.0,
    ):
        super().__init__()
        self.net = net
        self.sigma_data = float(sigma_data)
        self.clamp = bool(clamp)
        self.log_sigma_mean = float(log_sigma_mean)
        self.log_sigma_std = float(log_sigma_std)

    def preconditioning(self, sigmas: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """(c_skip, c_out, c_in, c_noise), each of the shape of ``sigmas`` (σ > 0)."""
        variance = sigmas**2 + self.sigma_data**2
        c_skip = self.sigma_data**2 / variance
        c_out = sigmas * self.sigma_data * variance**-0.5
        c_in = variance**-0.5
        c_noise = torch.log(sigmas) * 0.25
        return c_skip, c_out, c_in, c_noise

    def forward(self, x: Tensor, sigma: float | Tensor) -> Tensor:
        """x [B, ...] noisy data, σ a float or a tensor [B] (or scalar) of noise levels > 0 → D(x, σ), shape of x."""
        sigmas = torch.as_tensor(sigma, dtype=x.dtype, device=x.device)
        if sigmas.ndim == 0:
            sigmas = sigmas.expand(x.shape[0])
        if sigmas.shape != (x.shape[0],):
            raise ValueError(f"sigma must be a float or a tensor of shape [{x.shape[0]}], got {list(sigmas.shape)}")
        c_skip, c_out, c_in, c_noise = self.preconditioning(sigmas)
        per_example = (-1,) + (1,) * (x.ndim - 1)
        c_skip, c_out, c_in = (c.view(per_example) for c in (c_skip, c_out, c_in))
        denoised = c_skip * x + c_out * self.net(c_in * x, c_noise)
        return denoised.clamp(-1.0, 1.0) if self.clamp else denoised

    def loss_weight(self, sigmas: Tensor) -> Tensor:
        """λ(σ) = (σ² + σ_d²) / (σ σ_d)², which makes the loss's per-σ scale 1 at initialisation."""
        return (sigmas**2 + self.sigma_data**2) * (sigmas * self.sigma_data) ** -2

    def sample_sigmas(self, batch: int, generator: Generators = None, device: torch.device | str = "cpu") -> Tensor:
        """σ [batch] drawn from LogNormal(log_sigma_mean, log_sigma_std) (see :func:`_normal` for ``generator``)."""
        normal = _normal((batch,), generator, torch.float32, device)
        return (self.log_sigma_mean + self.log_sigma_std * normal).exp()

    def loss(self, x0: Tensor, generator: Generators = None) -> Tensor:
        """Scalar EDM training loss on clean data x0 [B, ...].

        Draws σ then ε, in that order, from ``generator`` (or the global RNG): with the same seed this reproduces
        the package's ``Diffusion.forward(x0)`` exactly. With one generator per example, example i draws its σ
        and then its ε from generator i: its draws do not depend on the batch it is in (the trainer's examples,
        :mod:`mgdm_audio.audio.training.examples`).
        """
        sigmas = self.sample_sigmas(x0.shape[0], generator, x0.device)
        noise = _normal(x0.shape, generator, x0.dtype, x0.device)
        x_noisy = x0 + sigmas.view((-1,) + (1,) * (x0.ndim - 1)) * noise
        squared_error = (self(x_noisy, sigmas) - x0) ** 2
        per_example = squared_error.flatten(start_dim=1).mean(dim=1)
        return (per_example * self.loss_weight(sigmas)).mean()


#: One generator for a whole batch, one per example, or None for the global generator.
Generators = torch.Generator | Sequence[torch.Generator] | None


def _normal(shape: tuple[int, ...], generator: Generators, dtype: torch.dtype, device) -> Tensor:
    """Standard normal draws [shape]: in one call from one generator (or the global one), or, given one generator
    per example (shape[0] of them), example i's draws [shape[1:]] from generator i."""
    if generator is None or isinstance(generator, torch.Generator):
        return torch.randn(shape, generator=generator, dtype=dtype, device=device)
    if len(generator) != shape[0]:
        raise ValueError(f"{len(generator)} generators for a batch of {shape[0]} examples")
    return torch.stack([torch.randn(shape[1:], generator=g, dtype=dtype, device=device) for g in generator])
