"""ISDM: independent single-stem diffusion models combined into one prior over the stacked stems.

MSDM's weakly-supervised variant trains one 1-channel model per stem. Under independent stems the
joint denoiser of x = [x_1 … x_S] is the stack of the single-stem denoisers, D(x, σ)_k = D_k(x_k, σ);
with one EDM preconditioning shared by all models (the same σ_d), that is an :class:`EDMDenoiser`
around :class:`StemwiseNets`, the network applying model k to channel k. So an ISDM prior is a
:class:`~mgdm_audio.audio.priors.music.MultiSourcePrior` like MSDM's and is saved and loaded by the same
prior loader (``config.json`` records ``class_name: "StemwiseNets"`` and the per-stem UNet configs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from mgdm_audio.core.pretrained import register_net

from ..nets.unet1d import UNet1d


@register_net
class StemwiseNets(nn.Module):
    """``net(x [B, S, L], time [B]) → [B, S, L]`` with channel k given to its own 1-channel UNet1d k.

    Args:
        nets: the S per-stem networks' UNet1d keyword arguments (each with ``in_channels`` 1).

    State-dict keys are ``nets.<k>.<UNet1d key>``. :attr:`length_multiple` is the least common
    multiple of the networks' own.
    """

    def __init__(self, nets: Sequence[dict[str, Any]]):
        super().__init__()
        if not nets:
            raise ValueError("StemwiseNets needs at least one per-stem network config")
        channels = [config.get("in_channels") for config in nets]
        if any(count != 1 for count in channels):
            raise ValueError(f"every per-stem network must take 1 channel, got in_channels {channels}")
        self.nets = nn.ModuleList(UNet1d(**config) for config in nets)
        self.in_channels = len(self.nets)
        self.length_multiple = math.lcm(*(net.length_multiple for net in self.nets))

    @property
    def config(self) -> dict[str, Any]:
        """Constructor keyword arguments (JSON-serialisable): ``StemwiseNets(**net.config)`` rebuilds it."""
        return {"nets": [net.config for net in self.nets]}

    def forward(self, x: Tensor, time: Tensor) -> Tensor:
        """x [B, S, L] (L a multiple of :attr:`length_multiple`), time [B] → [B, S, L]."""
        if x.ndim != 3 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected x of shape [batch, {self.in_channels}, length], got {list(x.shape)}")
        return torch.cat([net(x[:, k : k + 1], time) for k, net in enumerate(self.nets)], dim=1)
