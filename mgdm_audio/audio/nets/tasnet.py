"""Conv-TasNet (Luo & Mesgarani, 2019) from torchaudio's model builder, as a network this project can save.

A learned filterbank encodes the mixture, a temporal convolutional network predicts one mask per source,
and the decoder turns the masked encodings back into waveforms. Nothing is downloaded: the weights are
the project's own (``mgdm train-separator``).
"""

from __future__ import annotations

import torch
import torchaudio
from torch import nn

from mgdm_audio.core.pretrained import register_net


@register_net
class ConvTasNet(nn.Module):
    """Mixture [B, L] → sources [B, S, L] (same length; any L ≥ 1).

    Args:
        num_sources: S.
        enc_kernel_size: encoder filter length in samples (stride: half of it).
        enc_num_feats: encoder filters.
        msk_kernel_size, msk_num_feats, msk_num_hidden_feats, msk_num_layers, msk_num_stacks: the mask
            network (torchaudio's names); its receptive field is about
            msk_num_stacks · 2^msk_num_layers · (msk_kernel_size − 1) encoder frames.
    """

    def __init__(
        self,
        num_sources: int,
        enc_kernel_size: int = 16,
        enc_num_feats: int = 256,
        msk_kernel_size: int = 3,
        msk_num_feats: int = 128,
        msk_num_hidden_feats: int = 256,
        msk_num_layers: int = 8,
        msk_num_stacks: int = 3,
    ):
        super().__init__()
        self.config = dict(
            num_sources=num_sources,
            enc_kernel_size=enc_kernel_size,
            enc_num_feats=enc_num_feats,
            msk_kernel_size=msk_kernel_size,
            msk_num_feats=msk_num_feats,
            msk_num_hidden_feats=msk_num_hidden_feats,
            msk_num_layers=msk_num_layers,
            msk_num_stacks=msk_num_stacks,
        )
        self.model = torchaudio.models.ConvTasNet(**self.config)
        self.num_sources = num_sources

    def forward(self, mixture: torch.Tensor) -> torch.Tensor:
        """mixture [B, L] → estimated sources [B, S, L]."""
        if mixture.ndim != 2:
            raise ValueError(f"expected a mixture [B, L], got shape {list(mixture.shape)}")
        return self.model(mixture.unsqueeze(1))[..., : mixture.shape[-1]]
