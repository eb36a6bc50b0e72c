"""An image-shaped Gaussian prior with a smooth covariance, and its exact inpainting posterior."""

from __future__ import annotations

import torch

import mgdm_audio as ma
from mgdm_audio.core.schedules import linear_beta_table
from mgdm_audio.priors import GaussianMixture, Prior


class ImageGaussian(Prior):
    """A one-component :class:`GaussianMixture` on flattened images, seen with event shape (C, H, W).

    GaussianMixture is flat ([B, d]); this wrapper only reshapes, so its denoiser stays exact.
    """

    prediction_type = "sample"

    def __init__(self, mixture: GaussianMixture, image_shape: tuple[int, int, int]):
        super().__init__(mixture.alphas_cumprod, image_shape, "image_pixel")
        self.mixture = mixture

    def predict(self, x: torch.Tensor, index: int) -> torch.Tensor:
        return self.mixture.predict(x.flatten(1), index).view_as(x)


def smooth_image_prior(
    image_shape: tuple[int, int, int], lengthscale: float = 2.0, sd: float = 0.4, mean: float = 0.1
) -> ImageGaussian:
    """Pixels with a squared-exponential covariance over the grid (channels independent), DDPM's linear-β table."""
    channels, height, width = image_shape
    rows, cols = torch.meshgrid(
        torch.arange(height, dtype=torch.float64), torch.arange(width, dtype=torch.float64), indexing="ij"
    )
    grid = torch.stack([rows.flatten(), cols.flatten()], 1)
    spatial = sd**2 * torch.exp(-0.5 * torch.cdist(grid, grid) ** 2 / lengthscale**2)
    covariance = torch.kron(torch.eye(channels, dtype=torch.float64), spatial)
    covariance = covariance + 1e-4 * torch.eye(len(covariance), dtype=torch.float64)  # numerical floor
    dim = channels * height * width
    mixture = GaussianMixture(
        [1.0], torch.full((1, dim), mean, dtype=torch.float64), covariance[None], alphas_cumprod=linear_beta_table()
    )
    return ImageGaussian(mixture, image_shape)


def dense_matrix(operator: ma.operators.LinearOperator, image_shape: tuple[int, int, int]) -> torch.Tensor:
    """A [d_y, d] on flattened images, column j = A(e_j)."""
    dim = image_shape[0] * image_shape[1] * image_shape[2]
    basis = torch.eye(dim, dtype=torch.float64).view(dim, *image_shape)
    return operator(basis).flatten(1).T


def inpainting_problem(operator, image_shape, sigma_y: float, seed: int):
    """(prior, y [C, H, W], exact posterior mean [C, H, W], exact posterior sd [C, H, W]) for a linear operator."""
    prior = smooth_image_prior(image_shape)
    generator = torch.Generator().manual_seed(seed)
    truth = prior.mixture.sample(1, generator).view(1, *image_shape)
    y = operator(truth)[0]
    y = y + sigma_y * torch.randn(y.shape, generator=generator, dtype=torch.float64)
    posterior = prior.mixture.posterior(dense_matrix(operator, image_shape), y.flatten(), sigma_y)
    return (
        prior,
        y,
        posterior.means[0].view(image_shape),
        posterior.covariances[0].diagonal().sqrt().view(image_shape),
    )
