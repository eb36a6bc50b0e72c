"""Discriminative separators: a network trained to map a mixture straight to its stems.

They are the fast baseline a user picks instead of posterior sampling, and the initial estimate that
warm-starts a sampler (``mgdm separate --init separator``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

#: Errors below this fraction of the mixture's energy no longer lower the training loss: a cap of 30 dB,
#: which keeps silent stems (whose own energy is zero) from dominating it (thresholded SNR, Wisdom et al. 2020).
ERROR_FLOOR = 1e-3


class MixtureSeparator(nn.Module):
    """Mixtures [B, L] in [−1, 1] at ``sample_rate`` → stems [B, S, L], S = len(stems), in the stems' order.

    Args:
        net: the network, mixture [B, L] → [B, S, L] (e.g. :class:`mgdm_audio.audio.nets.tasnet.ConvTasNet`).
        sample_rate: Hz of the audio it was trained on.
        segment_length: training chunk length in samples (inputs of any length are accepted).
        stems: stem names in output order.
    """

    def __init__(self, net: nn.Module, sample_rate: int, segment_length: int, stems: Sequence[str]):
        super().__init__()
        stems = tuple(str(stem) for stem in stems)
        if getattr(net, "num_sources", None) != len(stems):
            raise ValueError(
                f"the network gives {getattr(net, 'num_sources', None)} sources but {len(stems)} stems "
                f"are named {stems}"
            )
        self.net = net
        self.sample_rate = int(sample_rate)
        self.segment_length = int(segment_length)
        self.stems = stems

    def forward(self, mixture: torch.Tensor) -> torch.Tensor:
        """mixture [B, L] → stems [B, S, L]."""
        return self.net(mixture)

    def loss(self, stems: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Negative thresholded SNR (dB) of the stems separated from their sum, mean over examples and stems.

        stems [B, S, L]; per stem 10·log10(‖ŝ − s‖² + τ‖y‖²) with y = Σ stems and τ = ERROR_FLOOR (the stem's
        own energy, a constant, is left out). ``generator`` is unused (the trainer's loss signature).
        """
        mixture = stems.sum(dim=1)
        error = (self(mixture) - stems).pow(2).sum(dim=-1)
        floor = ERROR_FLOOR * mixture.pow(2).sum(dim=-1, keepdim=True)
        return 10.0 * torch.log10(error + floor + 1e-8).mean()

    @property
    def config(self) -> dict[str, Any]:
        """Everything but the network (JSON-serialisable): what :mod:`.loading` records."""
        return dict(sample_rate=self.sample_rate, segment_length=self.segment_length, stems=list(self.stems))

    @classmethod
    def from_config(cls, net: nn.Module, config: dict[str, Any]) -> MixtureSeparator:
        return cls(net, config["sample_rate"], config["segment_length"], config["stems"])
