"""Building blocks of :class:`mgdm_audio.audio.nets.unet1d.UNet1d`.

Tensors are ``[batch, channels, length]`` unless a docstring says otherwise. Attribute names and
``nn.Sequential`` layouts are fixed by checkpoint compatibility with ``audio-diffusion-pytorch``
0.0.43 (the MSDM prior): renaming an attribute or reordering a ``Sequential`` changes a
state-dict key and breaks loading of published weights.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class ConditionedSequential(nn.Module):
    """Modules applied in turn as ``module(x, mapping)`` (kept in ``module_list``)."""

    def __init__(self, modules: list[nn.Module]):
        super().__init__()
        self.module_list = nn.ModuleList(modules)

    def forward(self, x: Tensor, mapping: Tensor) -> Tensor:
        for module in self.module_list:
            x = module(x, mapping)
        return x


class ConvBlock1d(nn.Module):
    """GroupNorm → optional FiLM (x·(1 + scale) + shift) → SiLU → 3-tap Conv1d (length kept)."""

    def __init__(self, in_channels: int, out_channels: int, num_groups: int):
        super().__init__()
        if in_channels % num_groups != 0:
            raise ValueError(
                f"GroupNorm needs channels divisible by groups, got {in_channels} channels and "
                f"{num_groups} groups (keep channels, channels/patch_factor and every "
                f"channels·multiplier divisible by resnet_groups)"
            )
        self.groupnorm = nn.GroupNorm(num_groups=num_groups, num_channels=in_channels)
        self.activation = nn.SiLU()
        self.project = nn.Conv1d(in_channels, out_channels, kernel_size=3, padding=1)

    def forward(self, x: Tensor, scale_shift: tuple[Tensor, Tensor] | None = None) -> Tensor:
        x = self.groupnorm(x)
        if scale_shift is not None:
            scale, shift = scale_shift
            x = x * (scale + 1) + shift
        return self.project(self.activation(x))


class MappingToScaleShift(nn.Module):
    """Maps the conditioning vector [B, features] to FiLM (scale, shift), each [B, channels, 1]."""

    def __init__(self, features: int, channels: int):
        super().__init__()
        self.to_scale_shift = nn.Sequential(nn.SiLU(), nn.Linear(features, channels * 2))

    def forward(self, mapping: Tensor) -> tuple[Tensor, Tensor]:
        scale, shift = self.to_scale_shift(mapping).unsqueeze(-1).chunk(2, dim=1)
        return scale, shift


class ResnetBlock1d(nn.Module):
    """Two conv blocks, the second FiLM-modulated by the time mapping, plus a (1×1) shortcut."""

    def __init__(self, in_channels: int, out_channels: int, num_groups: int, mapping_features: int):
        super().__init__()
        self.block1 = ConvBlock1d(in_channels, out_channels, num_groups)
        self.to_scale_shift = MappingToScaleShift(mapping_features, out_channels)
        self.block2 = ConvBlock1d(out_channels, out_channels, num_groups)
        self.to_out = (
            nn.Conv1d(in_channels, out_channels, kernel_size=1) if in_channels != out_channels else nn.Identity()
        )

    def forward(self, x: Tensor, mapping: Tensor) -> Tensor:
        h = self.block2(self.block1(x), scale_shift=self.to_scale_shift(mapping))
        return h + self.to_out(x)


class PatchBlock(nn.Module):
    """Resnet block to out_channels/p channels, then fold p neighbouring samples into channels.

    [B, C_in, L] → [B, C_out, L/p]; output channel c·p + j holds sample l·p + j of channel c.
    """

    def __init__(self, in_channels: int, out_channels: int, patch_size: int, mapping_features: int):
        super().__init__()
        if out_channels % patch_size != 0:
            raise ValueError(f"patch block output channels {out_channels} not divisible by patch_factor {patch_size}")
        self.patch_size = patch_size
        self.block = ResnetBlock1d(
            in_channels,
            out_channels // patch_size,
            num_groups=min(patch_size, in_channels),
            mapping_features=mapping_features,
        )

    def forward(self, x: Tensor, mapping: Tensor) -> Tensor:
        x = self.block(x, mapping)
        batch, channels, length = x.shape
        p = self.patch_size
        return x.view(batch, channels, length // p, p).transpose(2, 3).reshape(batch, channels * p, length // p)


class UnpatchBlock(nn.Module):
    """Inverse of :class:`PatchBlock`: unfold channels into p samples, then a resnet block.

    [B, C_in, L] → [B, C_out, L·p].
    """

    def __init__(self, in_channels: int, out_channels: int, patch_size: int, mapping_features: int):
        super().__init__()
        if in_channels % patch_size != 0:
            raise ValueError(f"unpatch block input channels {in_channels} not divisible by patch_factor {patch_size}")
        self.patch_size = patch_size
        self.block = ResnetBlock1d(
            in_channels // patch_size,
            out_channels,
            num_groups=min(patch_size, out_channels),
            mapping_features=mapping_features,
        )

    def forward(self, x: Tensor, mapping: Tensor) -> Tensor:
        batch, channels, length = x.shape
        p = self.patch_size
        x = x.view(batch, channels // p, p, length).transpose(2, 3).reshape(batch, channels // p, length * p)
        return self.block(x, mapping)


class Patcher(ConditionedSequential):
    """``blocks`` patch blocks, each dividing the length by ``factor``; [B, C_in, L] → [B, C_out, L/factor^blocks]."""

    def __init__(self, in_channels: int, out_channels: int, blocks: int, factor: int, mapping_features: int):
        # Intermediate blocks keep the sample count constant: channels grow by the factor.
        inputs = [in_channels * factor**i for i in range(blocks)]
        outputs = [in_channels * factor ** (i + 1) for i in range(blocks - 1)] + [out_channels]
        super().__init__([PatchBlock(c_in, c_out, factor, mapping_features) for c_in, c_out in zip(inputs, outputs)])


class Unpatcher(ConditionedSequential):
    """Mirror of :class:`Patcher`; [B, C_in, L] → [B, C_out, L·factor^blocks]."""

    def __init__(self, in_channels: int, out_channels: int, blocks: int, factor: int, mapping_features: int):
        inputs = [in_channels] + [out_channels * factor ** (i + 1) for i in reversed(range(blocks - 1))]
        outputs = [out_channels * factor**i for i in reversed(range(blocks))]
        super().__init__([UnpatchBlock(c_in, c_out, factor, mapping_features) for c_in, c_out in zip(inputs, outputs)])


class LayerNorm(nn.Module):
    """LayerNorm over the last dimension, gain ``g`` and no bias (eps 1e-5)."""

    def __init__(self, features: int):
        super().__init__()
        self.g = nn.Parameter(torch.ones(features))

    def forward(self, x: Tensor) -> Tensor:
        return _normalise(x, -1) * self.g


class LayerNorm1d(nn.Module):
    """LayerNorm over the channel dimension of [B, C, L], gain ``g`` [1, C, 1] and no bias (eps 1e-5)."""

    def __init__(self, channels: int):
        super().__init__()
        self.g = nn.Parameter(torch.ones(1, channels, 1))

    def forward(self, x: Tensor) -> Tensor:
        return _normalise(x, 1) * self.g


def _normalise(x: Tensor, dim: int) -> Tensor:
    """(x − mean) / sqrt(var + 1e-5) along ``dim``, with MSDM's operations in MSDM's order: the outputs of
    converted checkpoints then equal the original network's bit for bit (torch's fused layer_norm differs
    in the last bits)."""
    var = torch.var(x, dim=dim, unbiased=False, keepdim=True)
    mean = torch.mean(x, dim=dim, keepdim=True)
    return (x - mean) * (var + 1e-5).rsqrt()


def feed_forward_1d(channels: int, multiplier: int) -> nn.Sequential:
    """Pointwise MLP with pre-norms: [B, C, L] → [B, C, L], hidden width C·multiplier."""
    hidden = channels * multiplier
    return nn.Sequential(
        LayerNorm1d(channels),
        nn.Conv1d(channels, hidden, kernel_size=1, bias=False),
        nn.GELU(),
        LayerNorm1d(hidden),
        nn.Conv1d(hidden, channels, kernel_size=1, bias=False),
    )


class AttentionOutput(nn.Module):
    """Multi-head scaled dot-product attention of split (q, k, v), then projection and LayerNorm.

    Written with MSDM's operations (scaled queries, einsum, softmax, einsum) rather than torch's fused
    attention, so that converted checkpoints give the original network's outputs bit for bit; attention
    only runs at the coarsest levels, where its cost is small."""

    def __init__(self, features: int, num_heads: int, head_features: int):
        super().__init__()
        self.num_heads = num_heads
        self.to_out = nn.Sequential(nn.Linear(num_heads * head_features, features, bias=False), LayerNorm(features))

    def forward(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        """q, k, v [B, N, heads·head_features] → [B, N, features]."""
        batch, length, width = q.shape
        head_features = width // self.num_heads
        q, k, v = (t.view(batch, -1, self.num_heads, head_features).transpose(1, 2) for t in (q, k, v))
        similarity = torch.einsum("... n d, ... m d -> ... n m", q * head_features**-0.5, k)
        out = torch.einsum("... n j, ... j d -> ... n d", similarity.softmax(dim=-1), v)
        return self.to_out(out.transpose(1, 2).reshape(batch, length, width))


class Attention(nn.Module):
    """Pre-normed multi-head self-attention on [B, N, features] (no residual)."""

    def __init__(self, features: int, num_heads: int, head_features: int):
        super().__init__()
        width = num_heads * head_features
        self.norm = LayerNorm(features)
        self.to_q = nn.Linear(features, width, bias=False)
        self.to_kv = nn.Linear(features, width * 2, bias=False)
        self.attention = AttentionOutput(features, num_heads, head_features)

    def forward(self, x: Tensor) -> Tensor:
        x = self.norm(x)
        k, v = self.to_kv(x).chunk(2, dim=-1)
        return self.attention(self.to_q(x), k, v)


class ChannelsLast(nn.Module):
    """Applies ``fn`` (which works on [B, L, C]) to a [B, C, L] tensor."""

    def __init__(self, fn: nn.Module):
        super().__init__()
        self.fn = fn

    def forward(self, x: Tensor) -> Tensor:
        return self.fn(x.transpose(1, 2)).transpose(1, 2)


class TransformerBlock1d(nn.Module):
    """Residual self-attention then residual feed-forward, [B, C, L] → [B, C, L]."""

    def __init__(self, channels: int, num_heads: int, head_features: int, multiplier: int):
        super().__init__()
        self.attention = ChannelsLast(Attention(channels, num_heads, head_features))
        self.feed_forward = feed_forward_1d(channels, multiplier)

    def forward(self, x: Tensor) -> Tensor:
        x = self.attention(x) + x
        return self.feed_forward(x) + x


class LearnedPositionalEmbedding(nn.Module):
    """Random-Fourier features of a scalar time: [B] → [B, 1 + dim] = (t, sin 2πwt, cos 2πwt)."""

    def __init__(self, dim: int):
        super().__init__()
        if dim % 2 != 0:
            raise ValueError(f"time embedding width (channels) must be even, got {dim}")
        self.weights = nn.Parameter(torch.randn(dim // 2))

    def forward(self, t: Tensor) -> Tensor:
        t = t.unsqueeze(-1)
        phases = t * self.weights * 2 * math.pi
        return torch.cat((t, phases.sin(), phases.cos()), dim=-1)


def time_embedding(dim: int, out_features: int) -> nn.Sequential:
    """[B] time → [B, out_features] (Fourier features, linear, GELU)."""
    return nn.Sequential(
        nn.Sequential(LearnedPositionalEmbedding(dim), nn.Linear(dim + 1, out_features)),
        nn.GELU(),
    )


def upsample_1d(in_channels: int, out_channels: int, factor: int, use_nearest: bool) -> nn.Module:
    """Length ×factor: transposed conv (kernel 2·factor), or nearest repeat + 3-tap conv."""
    if factor == 1:
        return nn.Conv1d(in_channels, out_channels, kernel_size=3, padding=1)
    if use_nearest:
        return nn.Sequential(
            nn.Upsample(scale_factor=factor, mode="nearest"),
            nn.Conv1d(in_channels, out_channels, kernel_size=3, padding=1),
        )
    # padding/output_padding chosen so that the output length is exactly L·factor.
    return nn.ConvTranspose1d(
        in_channels,
        out_channels,
        kernel_size=factor * 2,
        stride=factor,
        padding=factor // 2 + factor % 2,
        output_padding=factor % 2,
    )


class DownsampleBlock1d(nn.Module):
    """Strided conv (length / factor), resnet blocks, optional transformer; records every output as a skip.

    ``attention`` is (heads, features per head, feed-forward multiplier), or None for no transformer.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        factor: int,
        kernel_multiplier: int,
        num_layers: int,
        num_groups: int,
        mapping_features: int,
        attention: tuple[int, int, int] | None,
    ):
        super().__init__()
        if kernel_multiplier % 2 != 0:
            raise ValueError(f"kernel_multiplier_downsample must be even, got {kernel_multiplier}")
        # Odd kernel factor·k + 1 with symmetric padding: output length is ceil(L / factor).
        self.downsample = nn.Conv1d(
            in_channels,
            out_channels,
            kernel_size=factor * kernel_multiplier + 1,
            stride=factor,
            padding=factor * (kernel_multiplier // 2),
        )
        self.blocks = nn.ModuleList(
            [ResnetBlock1d(out_channels, out_channels, num_groups, mapping_features) for _ in range(num_layers)]
        )
        self.use_attention = attention is not None
        if attention is not None:
            self.transformer = TransformerBlock1d(out_channels, *attention)

    def forward(self, x: Tensor, mapping: Tensor) -> tuple[Tensor, list[Tensor]]:
        x = self.downsample(x)
        skips = []
        for block in self.blocks:
            x = block(x, mapping)
            skips.append(x)
        if self.use_attention:
            x = self.transformer(x)
            skips.append(x)
        return x, skips


class UpsampleBlock1d(nn.Module):
    """Resnet blocks each fed one skip (concatenated, scaled), optional transformer, then upsampling.

    ``attention`` as in :class:`DownsampleBlock1d`.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        factor: int,
        num_layers: int,
        num_groups: int,
        mapping_features: int,
        use_nearest: bool,
        use_skip_scale: bool,
        attention: tuple[int, int, int] | None,
    ):
        super().__init__()
        # 1/√2 keeps the variance of [x, skip] comparable to that of x alone.
        self.skip_scale = 2**-0.5 if use_skip_scale else 1.0
        self.blocks = nn.ModuleList(
            [ResnetBlock1d(in_channels * 2, in_channels, num_groups, mapping_features) for _ in range(num_layers)]
        )
        self.use_attention = attention is not None
        if attention is not None:
            self.transformer = TransformerBlock1d(in_channels, *attention)
        self.upsample = upsample_1d(in_channels, out_channels, factor, use_nearest)

    def forward(self, x: Tensor, skips: list[Tensor], mapping: Tensor) -> Tensor:
        """Consumes ``skips`` from the end (the deepest first)."""
        for block in self.blocks:
            x = block(torch.cat([x, skips.pop() * self.skip_scale], dim=1), mapping)
        if self.use_attention:
            x = self.transformer(x)
        return self.upsample(x)


class BottleneckBlock1d(nn.Module):
    """Resnet block, optional self-attention (without residual, as published), resnet block.

    ``attention`` is (heads, features per head), or None.
    """

    def __init__(self, channels: int, *, num_groups: int, mapping_features: int, attention: tuple[int, int] | None):
        super().__init__()
        self.pre_block = ResnetBlock1d(channels, channels, num_groups, mapping_features)
        self.use_attention = attention is not None
        if attention is not None:
            self.attention = ChannelsLast(Attention(channels, *attention))
        self.post_block = ResnetBlock1d(channels, channels, num_groups, mapping_features)

    def forward(self, x: Tensor, mapping: Tensor) -> Tensor:
        x = self.pre_block(x, mapping)
        if self.use_attention:
            x = self.attention(x)
        return self.post_block(x, mapping)
