"""The waveform UNet of the MSDM prior, state-dict compatible with ``audio-diffusion-pytorch`` 0.0.43.

``UNet1d(**kwargs)`` with the package's ``UNet1d`` keyword arguments has the same parameter names
and shapes, so a published MSDM state dict loads with ``load_state_dict(strict=True)`` (see
:mod:`mgdm_audio.audio.nets.msdm_keys`), and computes the same function. Only the unconditional,
time-conditioned variant is implemented (what MSDM uses): no context features, context channels
or cross-attention embeddings.

Layout (L = input length, P = patch_factor ** patch_blocks):
  time [B] → Fourier features → MLP → mapping [B, 4·channels] (FiLM in every resnet block)
  x [B, in_channels, L] → patcher → [B, channels, L/P] → one down block per factor (strided conv,
  resnet blocks, optional transformer) → bottleneck → mirrored up blocks fed with the down
  blocks' outputs as skips → + patcher output → unpatcher → [B, out_channels, L].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from torch import Tensor, nn

from mgdm_audio.core.pretrained import register_net

from .modules1d import BottleneckBlock1d, DownsampleBlock1d, Patcher, Unpatcher, UpsampleBlock1d, time_embedding


@register_net
class UNet1d(nn.Module):
    """Time-conditioned 1-D UNet: ``net(x [B, in_channels, L], time [B]) → [B, out_channels, L]``.

    Args (names and meaning as in audio-diffusion-pytorch 0.0.43):
        in_channels: input channels (MSDM: 4 stems).
        channels: width after the patcher; level i has ``channels * multipliers[i]`` channels.
        patch_blocks, patch_factor: the patcher folds ``patch_factor ** patch_blocks`` samples into
            channels before the first level.
        multipliers: ``len(factors) + 1`` channel multipliers (level 0 is the patcher output).
        factors: downsampling factor of each level.
        num_blocks: resnet blocks per level.
        attentions: whether each level ends with a transformer block.
        attention_heads, attention_features: heads and features per head of every attention.
        attention_multiplier: hidden-width multiplier of the transformer feed-forward.
        resnet_groups: GroupNorm groups in the levels.
        kernel_multiplier_downsample: the strided conv of a level has kernel factor·this + 1 (even).
        kernel_sizes_init: recorded for config compatibility; 0.0.43 builds nothing from it.
        use_nearest_upsample: nearest repeat + conv instead of a transposed conv.
        use_skip_scale: scale skips by 1/√2 before concatenation.
        use_attention_bottleneck: self-attention between the two bottleneck resnet blocks.
        use_context_time: must be True (the only variant a diffusion denoiser needs).
        out_channels: output channels (default: in_channels).

    ``time`` is the EDM noise conditioning c_noise = ln(σ)/4 (see :mod:`mgdm_audio.audio.nets.edm`).
    The input length must be a multiple of :attr:`length_multiple`.
    """

    def __init__(
        self,
        *,
        in_channels: int,
        channels: int,
        patch_blocks: int,
        patch_factor: int,
        multipliers: Sequence[int],
        factors: Sequence[int],
        num_blocks: Sequence[int],
        attentions: Sequence[bool],
        attention_heads: int,
        attention_features: int,
        attention_multiplier: int,
        resnet_groups: int,
        kernel_multiplier_downsample: int,
        kernel_sizes_init: Sequence[int] = (1, 3, 7),
        use_nearest_upsample: bool = False,
        use_skip_scale: bool = True,
        use_attention_bottleneck: bool = True,
        use_context_time: bool = True,
        out_channels: int | None = None,
    ):
        super().__init__()
        num_levels = len(factors)
        if not (len(multipliers) == num_levels + 1 and len(num_blocks) == num_levels and len(attentions) == num_levels):
            raise ValueError(
                f"need len(multipliers) = len(factors) + 1 = len(num_blocks) + 1 = len(attentions) + 1, "
                f"got {len(multipliers)}, {len(factors)}, {len(num_blocks)}, {len(attentions)}"
            )
        if not use_context_time:
            raise ValueError("UNet1d supports only use_context_time=True (a denoiser needs its noise level)")
        out_channels = in_channels if out_channels is None else out_channels
        self._config: dict[str, Any] = dict(
            in_channels=int(in_channels),
            channels=int(channels),
            patch_blocks=int(patch_blocks),
            patch_factor=int(patch_factor),
            multipliers=[int(m) for m in multipliers],
            factors=[int(f) for f in factors],
            num_blocks=[int(n) for n in num_blocks],
            attentions=[bool(a) for a in attentions],
            attention_heads=int(attention_heads),
            attention_features=int(attention_features),
            attention_multiplier=int(attention_multiplier),
            resnet_groups=int(resnet_groups),
            kernel_multiplier_downsample=int(kernel_multiplier_downsample),
            kernel_sizes_init=[int(k) for k in kernel_sizes_init],
            use_nearest_upsample=bool(use_nearest_upsample),
            use_skip_scale=bool(use_skip_scale),
            use_attention_bottleneck=bool(use_attention_bottleneck),
            use_context_time=True,
            out_channels=int(out_channels),
        )
        self.in_channels = in_channels
        self.length_multiple = patch_factor**patch_blocks * math.prod(factors)

        mapping_features = channels * 4
        transformer = (attention_heads, attention_features, attention_multiplier)
        level_channels = [channels * m for m in multipliers]

        self.to_time = time_embedding(channels, mapping_features)
        self.to_mapping = nn.Sequential(
            nn.Linear(mapping_features, mapping_features),
            nn.GELU(),
            nn.Linear(mapping_features, mapping_features),
            nn.GELU(),
        )
        self.to_in = Patcher(in_channels, channels, patch_blocks, patch_factor, mapping_features)
        self.downsamples = nn.ModuleList(
            [
                DownsampleBlock1d(
                    level_channels[i],
                    level_channels[i + 1],
                    factor=factors[i],
                    kernel_multiplier=kernel_multiplier_downsample,
                    num_layers=num_blocks[i],
                    num_groups=resnet_groups,
                    mapping_features=mapping_features,
                    attention=transformer if attentions[i] else None,
                )
                for i in range(num_levels)
            ]
        )
        self.bottleneck = BottleneckBlock1d(
            level_channels[-1],
            num_groups=resnet_groups,
            mapping_features=mapping_features,
            attention=(attention_heads, attention_features) if use_attention_bottleneck else None,
        )
        self.upsamples = nn.ModuleList(
            [
                UpsampleBlock1d(
                    level_channels[i + 1],
                    level_channels[i],
                    factor=factors[i],
                    # one block per skip: the down block's resnet outputs (+ its transformer's)
                    num_layers=num_blocks[i] + int(attentions[i]),
                    num_groups=resnet_groups,
                    mapping_features=mapping_features,
                    use_nearest=use_nearest_upsample,
                    use_skip_scale=use_skip_scale,
                    attention=transformer if attentions[i] else None,
                )
                for i in reversed(range(num_levels))
            ]
        )
        self.to_out = Unpatcher(channels, out_channels, patch_blocks, patch_factor, mapping_features)

    @property
    def config(self) -> dict[str, Any]:
        """Constructor keyword arguments (JSON-serialisable): ``UNet1d(**net.config)`` rebuilds the net."""
        return {key: list(value) if isinstance(value, list) else value for key, value in self._config.items()}

    def valid_length(self, length: int) -> int:
        """The smallest accepted input length ≥ ``length`` (a multiple of :attr:`length_multiple`)."""
        return -(-length // self.length_multiple) * self.length_multiple

    def forward(self, x: Tensor, time: Tensor) -> Tensor:
        """x [B, in_channels, L] with L a multiple of :attr:`length_multiple`, time [B] → [B, out_channels, L]."""
        if x.ndim != 3 or x.shape[1] != self.in_channels:
            raise ValueError(f"expected x of shape [batch, {self.in_channels}, length], got {list(x.shape)}")
        if x.shape[2] % self.length_multiple != 0:
            raise ValueError(
                f"input length {x.shape[2]} is not a multiple of {self.length_multiple} "
                f"(patch_factor**patch_blocks * prod(factors)); pad it to {self.valid_length(x.shape[2])}"
            )
        if time.shape != (x.shape[0],):
            raise ValueError(f"expected time of shape [{x.shape[0]}], got {list(time.shape)}")

        mapping = self.to_mapping(self.to_time(time))
        x = self.to_in(x, mapping)
        patched = x
        skips_per_level = []
        for down in self.downsamples:
            x, skips = down(x, mapping)
            skips_per_level.append(skips)
        x = self.bottleneck(x, mapping)
        for up in self.upsamples:
            x = up(x, skips_per_level.pop(), mapping)
        return self.to_out(x + patched, mapping)
