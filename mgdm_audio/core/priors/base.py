"""The prior contract: a diffusion model seen as a variance-preserving (VP) process."""

from __future__ import annotations

import math

import torch

from ..schedules import time_grid
from . import parametrization


class Prior(torch.nn.Module):
    """A diffusion prior p_0 in the VP view (docs/method.md#conventions).

    Subclasses set :attr:`prediction_type` (one of ``parametrization.PREDICTION_TYPES``) and
    implement :meth:`predict`; the clean estimate, the noise estimate and the score follow from it.

    Args:
        alphas_cumprod: ᾱ table [N + 1], ᾱ[0] = 1 (see :mod:`mgdm_audio.core.schedules`). Kept in
            float64 on the CPU whatever dtype or device the module is moved to.
        event_shape: shape of one sample (a clean x_0), without the batch dimension.
        default_preset: name of the sampler preset that suits this prior.
    """

    prediction_type: str = "sample"
    #: The method every network call goes through (samplers count its calls): :meth:`predict` here.
    network_method: str = "predict"

    def __init__(self, alphas_cumprod: torch.Tensor, event_shape: tuple[int, ...], default_preset: str):
        super().__init__()
        table = torch.as_tensor(alphas_cumprod, dtype=torch.float64).cpu()
        if table.ndim != 1 or len(table) < 3 or float(table[0]) != 1.0:
            raise ValueError("alphas_cumprod must be a 1-D table of N + 1 >= 3 entries with ᾱ[0] = 1")
        self.alphas_cumprod = table
        self.event_shape = tuple(int(n) for n in event_shape)
        self.default_preset = default_preset

    @property
    def num_levels(self) -> int:
        """N: the noisiest table index."""
        return len(self.alphas_cumprod) - 1

    @property
    def dtype(self) -> torch.dtype:
        """dtype of the prior's parameters (float32 for a prior without any)."""
        tensor = next(self._tensors(), None)
        return torch.float32 if tensor is None else tensor.dtype

    @property
    def device(self) -> torch.device:
        tensor = next(self._tensors(), None)
        return torch.device("cpu") if tensor is None else tensor.device

    def alpha_bar(self, index: int) -> float:
        return float(self.alphas_cumprod[index])

    def grid(self, num_steps: int) -> list[int]:
        """K table indices of a sampler with ``num_steps`` steps (docs/method.md#conventions)."""
        return time_grid(self.num_levels, num_steps)

    def predict(self, x: torch.Tensor, index: int) -> torch.Tensor:
        """The network's raw output at VP input x [B, *event_shape] and table index 1 <= index <= N."""
        raise NotImplementedError

    def x0(self, x: torch.Tensor, index: int) -> torch.Tensor:
        """Denoiser D_index(x) = E[x_0 | x_index = x], shape of x. Index 0 is clean data: D_0(x) = x."""
        self._check_index(index)
        if index == 0:
            return x
        return parametrization.to_x0(self.prediction_type, self.predict(x, index), x, self.alpha_bar(index))

    def eps(self, x: torch.Tensor, index: int) -> torch.Tensor:
        """Noise estimate ε̂ at table index 1 <= index <= N, shape of x."""
        self._check_index(index, allow_clean=False)
        return parametrization.to_epsilon(self.prediction_type, self.predict(x, index), x, self.alpha_bar(index))

    def score(self, x: torch.Tensor, index: int) -> torch.Tensor:
        """∇ log p_index(x) = −ε̂ / sqrt(1 − ᾱ)."""
        return -self.eps(x, index) / math.sqrt(1.0 - self.alpha_bar(index))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Map a sample of the diffusion space to data space; identity except for latent priors."""
        return z

    def _check_index(self, index: int, allow_clean: bool = True) -> None:
        low = 0 if allow_clean else 1
        if not low <= index <= self.num_levels:
            raise ValueError(f"table index must be in [{low}, {self.num_levels}], got {index}")

    def _tensors(self):
        yield from self.parameters()
        yield from self.buffers()
