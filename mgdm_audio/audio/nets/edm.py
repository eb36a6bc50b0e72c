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

    def sample_sigmas(
        self, batch: int, generator: torch.Generator | None = None, device: torch.device | str = "cpu"
    ) -> Tensor:
        """σ [batch] drawn from LogNormal(log_sigma_mean, log_sigma_std)."""
        normal = torch.randn((batch,), generator=generator, device=device)
        return (self.log_sigma_mean + self.log_sigma_std * normal).exp()

    def loss(self, x0: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Scalar EDM training loss on clean data x0 [B, ...].

        Draws σ then ε, in that order, from ``generator`` (or the global RNG): with the same
        seed this reproduces the package's ``Diffusion.forward(x0)`` exactly.
        """
        sigmas = self.sample_sigmas(x0.shape[0], generator, x0.device)
        noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype, device=x0.device)
        x_noisy = x0 + sigmas.view((-1,) + (1,) * (x0.ndim - 1)) * noise
        squared_error = (self(x_noisy, sigmas) - x0) ** 2
        per_example = squared_error.flatten(start_dim=1).mean(dim=1)
        return (per_example * self.loss_weight(sigmas)).mean()
