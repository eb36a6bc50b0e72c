"""Gaussian-mixture priors: exact denoisers on any noise schedule, and exact posteriors."""

from __future__ import annotations

import math

import numpy as np
import torch

from ..schedules import gmm_benchmark_table
from .base import Prior

ArrayLike = np.ndarray | torch.Tensor


class GaussianMixture(Prior):
    """p_0 = Σ_k w_k N(μ_k, Σ_k) in R^d, with its exact diffusion.

    The level-i marginal is Σ_k w_k N(sqrt(ᾱ_i) μ_k, ᾱ_i Σ_k + (1 − ᾱ_i) I), so the denoiser
    E[x_0 | x_i] and the ε-net are exact. Covariances are stored by eigendecomposition
    Σ_k = U_k diag(λ_k) U_kᵀ; when all are diagonal the rotations are skipped (U = I).

    Args:
        weights: [K] non-negative, normalised here.
        means: [K, d].
        covariances: [K, d, d] symmetric positive semi-definite, or [K, d] diagonals.
        alphas_cumprod: ᾱ table [N + 1]; default: the benchmark's (docs/method.md#gaussian-mixture-benchmark).
        dtype: floating dtype of the mixture's tensors (default float64, for exactness).
    """

    prediction_type = "sample"

    def __init__(
        self,
        weights: ArrayLike,
        means: ArrayLike,
        covariances: ArrayLike,
        alphas_cumprod: torch.Tensor | None = None,
        default_preset: str = "gmm",
        dtype: torch.dtype = torch.float64,
    ):
        weights = torch.as_tensor(weights, dtype=torch.float64)
        means = torch.as_tensor(means, dtype=torch.float64)
        covariances = torch.as_tensor(covariances, dtype=torch.float64)
        if means.ndim != 2 or weights.shape != means.shape[:1]:
            raise ValueError(
                f"means must be [K, d] and weights [K]; got {tuple(means.shape)} and {tuple(weights.shape)}"
            )
        if (weights < 0).any() or float(weights.sum()) <= 0:
            raise ValueError("mixture weights must be non-negative with a positive sum")
        num_components, dim = means.shape
        if covariances.shape == (num_components, dim):
            eigenvalues, eigenvectors = covariances, None
        elif covariances.shape == (num_components, dim, dim):
            if not torch.allclose(covariances, covariances.transpose(1, 2), atol=1e-10):
                raise ValueError("covariances must be symmetric")
            diagonals = torch.diagonal(covariances, dim1=1, dim2=2)
            if bool((covariances == torch.diag_embed(diagonals)).all()):
                eigenvalues, eigenvectors = diagonals, None
            else:
                eigenvalues, eigenvectors = torch.linalg.eigh(covariances)
        else:
            raise ValueError(
                f"covariances must be [K, d, d] or [K, d] with K={num_components}, d={dim}; "
                f"got {tuple(covariances.shape)}"
            )
        if (eigenvalues < -1e-10).any():
            raise ValueError("covariances must be positive semi-definite")
        table = gmm_benchmark_table() if alphas_cumprod is None else alphas_cumprod
        super().__init__(table, (dim,), default_preset)
        self.register_buffer("weights", (weights / weights.sum()).to(dtype))
        self.register_buffer("means", means.to(dtype))
        self.register_buffer("eigenvalues", eigenvalues.clamp(min=0).to(dtype))
        self.register_buffer("eigenvectors", None if eigenvectors is None else eigenvectors.to(dtype))

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    @property
    def covariances(self) -> torch.Tensor:
        """Full covariances [K, d, d]."""
        if self.eigenvectors is None:
            return torch.diag_embed(self.eigenvalues)
        return self.eigenvectors @ torch.diag_embed(self.eigenvalues) @ self.eigenvectors.transpose(1, 2)

    def _level(self, index: int) -> tuple[float, torch.Tensor]:
        """sqrt(ᾱ) and the level's per-component eigen-variances ᾱλ + 1 − ᾱ [K, d]."""
        alpha_bar = self.alpha_bar(index)
        variances = alpha_bar * self.eigenvalues + (1.0 - alpha_bar)
        if (variances <= 0).any():
            raise ValueError("the level-0 density of a singular component is undefined")
        return math.sqrt(alpha_bar), variances

    def _log_densities(
        self, x: torch.Tensor, scale: float, variances: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """log w_k N(x; scale · μ_k, C_k) [B, K] at a level of :meth:`_level`, and (full covariances only)
        the eigenbasis offsets [B, K, d]."""
        inverse = 1.0 / variances
        if self.eigenvectors is None:
            # Diagonal C_k: expand the square so that everything is a [B, d] x [d, K] product.
            mahalanobis = (
                (x * x) @ inverse.T
                - 2 * scale * x @ (self.means * inverse).T
                + scale**2 * (self.means**2 * inverse).sum(1)
            )
            offsets = None
        else:
            offsets = torch.einsum("bkd,kde->bke", x[:, None, :] - scale * self.means, self.eigenvectors)
            mahalanobis = (offsets**2 * inverse).sum(-1)
        log_densities = torch.log(self.weights) - 0.5 * (
            mahalanobis + torch.log(variances).sum(1) + self.dim * math.log(2 * math.pi)
        )
        return log_densities, offsets

    def log_prob(self, x: torch.Tensor, index: int = 0) -> torch.Tensor:
        """log p_index(x) [B] for x [B, d]."""
        return torch.logsumexp(self._log_densities(x, *self._level(index))[0], dim=-1)

    def predict(self, x: torch.Tensor, index: int) -> torch.Tensor:
        """Exact E[x_0 | x_index = x] [B, d].

        Per component, E[x_0 | x] = μ_k + G_k (x − sqrt(ᾱ) μ_k) with G_k = sqrt(ᾱ) Σ_k C_k⁻¹,
        weighted by the responsibilities.
        """
        scale, variances = self._level(index)
        log_densities, offsets = self._log_densities(x, scale, variances)
        responsibilities = torch.softmax(log_densities, dim=-1)  # [B, K]
        gains = scale * self.eigenvalues / variances  # eigenvalues of G_k: [K, d]
        if offsets is None:
            return responsibilities @ (self.means * (1 - scale * gains)) + x * (responsibilities @ gains)
        shifts = torch.einsum("bke,kde->bkd", gains * offsets, self.eigenvectors)
        return torch.einsum("bk,bkd->bd", responsibilities, self.means + shifts)

    def sample(self, num_samples: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Exact draws from p_0: [num_samples, d]."""
        device = generator.device if generator is not None else self.means.device
        components = torch.multinomial(self.weights.to(device), num_samples, replacement=True, generator=generator)
        noise = torch.randn(num_samples, self.dim, generator=generator, dtype=self.means.dtype, device=device)
        components, noise = components.to(self.means.device), noise.to(self.means.device)
        scaled = noise * self.eigenvalues[components].sqrt()
        if self.eigenvectors is not None:
            scaled = torch.einsum("bde,be->bd", self.eigenvectors[components], scaled)
        return self.means[components] + scaled

    def posterior(self, matrix: ArrayLike, y: ArrayLike, sigma_y: float) -> GaussianMixture:
        """Exact posterior of x_0 given y = matrix @ x_0 + sigma_y · ε, ε ~ N(0, I).

        Again a mixture: per component, Gaussian conditioning with S_k = A Σ_k Aᵀ + σ_y² I,
        weights ∝ w_k N(y; A μ_k, S_k). Computed in float64.

        Args:
            matrix: A [d_y, d]. y: [d_y]. sigma_y: > 0.
        """
        if not sigma_y > 0:
            raise ValueError(f"sigma_y must be > 0, got {sigma_y}")
        A = torch.as_tensor(matrix, dtype=torch.float64)
        y = torch.as_tensor(y, dtype=torch.float64).reshape(-1)
        if A.ndim != 2 or A.shape[1] != self.dim or y.shape != A.shape[:1]:
            raise ValueError(f"need matrix [d_y, {self.dim}] and y [d_y]; got {tuple(A.shape)} and {tuple(y.shape)}")
        means = self.means.double()
        covariances = self.covariances.double()
        cross = covariances @ A.T  # Σ_k Aᵀ: [K, d, d_y]
        innovation_cov = A @ cross + sigma_y**2 * torch.eye(len(y), dtype=torch.float64)
        chol = torch.linalg.cholesky(innovation_cov)  # [K, d_y, d_y]
        residual = y - means @ A.T  # [K, d_y]
        gain = torch.cholesky_solve(cross.transpose(1, 2), chol).transpose(1, 2)  # Σ Aᵀ S⁻¹: [K, d, d_y]
        post_means = means + torch.einsum("kde,ke->kd", gain, residual)
        post_covs = covariances - gain @ cross.transpose(1, 2)
        post_covs = 0.5 * (post_covs + post_covs.transpose(1, 2))
        whitened = torch.linalg.solve_triangular(chol, residual[..., None], upper=False)[..., 0]
        log_evidence = (
            torch.log(self.weights.double())
            - 0.5 * (whitened**2).sum(-1)
            - torch.log(torch.diagonal(chol, dim1=1, dim2=2)).sum(-1)
        )
        return GaussianMixture(
            torch.softmax(log_evidence, 0),
            post_means,
            post_covs,
            alphas_cumprod=self.alphas_cumprod,
            default_preset=self.default_preset,
            dtype=self.means.dtype,
        )
