"""The ADM image UNet of OpenAI's guided-diffusion (Dhariwal & Nichol, 2021), state-dict compatible.

``ADMUNet(**kwargs)`` with guided-diffusion's ``UNetModel`` keyword arguments has the same module and
parameter names (``time_embed.0.weight``, ``input_blocks.1.0.in_layers.2.weight``, ...) and computes
the same function in float32, so a released ``.pt`` state dict (the DPS FFHQ 256 model, the ImageNet
256 unconditional model) loads with ``load_state_dict(strict=True)``. Only the unconditional 2-D model
is implemented: no class embedding, no gradient checkpointing, no float16 torso (the released
float16-trained models store float32 master weights; this network runs them in float32).

Layout (one level per ``channel_mult`` entry, ``ds`` = downsampling rate of a level):
  t [B] → sinusoidal features [B, model_channels] → MLP ``time_embed`` → emb [B, 4·model_channels]
  x [B, in_channels, H, W] → conv → per level: ``num_res_blocks`` × (ResBlock [+ attention when ds is
  in ``attention_resolutions``]) then a downsampler (not after the last level) → middle (ResBlock,
  attention, ResBlock) → mirrored levels of ``num_res_blocks + 1`` ResBlocks fed with the stored
  activations, each level but the first ending with an upsampler → GroupNorm, SiLU, conv →
  [B, out_channels, H, W].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mgdm_audio.core.pretrained import register_net

#: GroupNorm groups of every normalisation (guided-diffusion's ``normalization``): channels must divide.
NORM_GROUPS = 32

#: guided-diffusion's ``model_and_diffusion_defaults()`` (script flags, before a model's own flags).
GUIDED_DIFFUSION_DEFAULTS = dict(
    image_size=64,
    num_channels=128,
    num_res_blocks=2,
    num_heads=4,
    num_heads_upsample=-1,
    num_head_channels=-1,
    attention_resolutions="16,8",
    channel_mult="",
    dropout=0.0,
    class_cond=False,
    use_checkpoint=False,
    use_scale_shift_norm=True,
    resblock_updown=False,
    use_fp16=False,
    use_new_attention_order=False,
    learn_sigma=False,
    diffusion_steps=1000,
    noise_schedule="linear",
    timestep_respacing="",
    use_kl=False,
    predict_xstart=False,
    rescale_timesteps=False,
    rescale_learned_sigmas=False,
)

#: Script flags of the released models the paper's image tables use.
#: ``ffhq256``: DPS's ``configs/model_config.yaml`` for ``ffhq_10m.pt`` (Chung et al., ICLR 2023);
#: ``imagenet256_uncond``: guided-diffusion's README flags for ``256x256_diffusion_uncond.pt``.
ADM_PRESETS = {
    "ffhq256": dict(
        image_size=256,
        num_channels=128,
        num_res_blocks=1,
        channel_mult="",
        learn_sigma=True,
        class_cond=False,
        use_checkpoint=False,
        attention_resolutions="16",
        num_heads=4,
        num_head_channels=64,
        num_heads_upsample=-1,
        use_scale_shift_norm=True,
        dropout=0.0,
        resblock_updown=True,
        use_fp16=False,
        use_new_attention_order=False,
    ),
    "imagenet256_uncond": dict(
        image_size=256,
        num_channels=256,
        num_res_blocks=2,
        attention_resolutions="32,16,8",
        class_cond=False,
        diffusion_steps=1000,
        learn_sigma=True,
        noise_schedule="linear",
        num_head_channels=64,
        resblock_updown=True,
        use_fp16=True,
        use_scale_shift_norm=True,
    ),
}

#: guided-diffusion's channel multipliers when ``channel_mult`` is empty, by image size.
_DEFAULT_CHANNEL_MULT = {512: (0.5, 1, 1, 2, 2, 4, 4), 256: (1, 1, 2, 2, 4, 4), 128: (1, 1, 2, 3, 4), 64: (1, 2, 3, 4)}


def adm_config_from_flags(flags: dict[str, Any]) -> dict[str, Any]:
    """``ADMUNet`` keyword arguments from guided-diffusion script flags (missing ones take the defaults).

    Follows guided-diffusion's ``create_model``: 3 input channels, 6 outputs with ``learn_sigma``
    (ε, then the variance interpolation), ``attention_resolutions`` given as feature-map sizes
    ("32,16,8") becomes downsampling rates (256 // 32 = 8, ...). ValueError for flags this network
    does not implement (class conditioning) or does not know.
    """
    unknown = sorted(set(flags) - set(GUIDED_DIFFUSION_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown guided-diffusion flag(s) {unknown}")
    merged = {**GUIDED_DIFFUSION_DEFAULTS, **flags}
    if merged["class_cond"]:
        raise ValueError("class-conditional ADM models are not supported (class_cond must be False)")
    size = int(merged["image_size"])
    if merged["channel_mult"] == "":
        if size not in _DEFAULT_CHANNEL_MULT:
            raise ValueError(f"no default channel_mult for image_size {size}; give channel_mult")
        channel_mult = list(_DEFAULT_CHANNEL_MULT[size])
    else:
        channel_mult = [int(value) for value in str(merged["channel_mult"]).split(",")]
    return dict(
        image_size=size,
        in_channels=3,
        model_channels=int(merged["num_channels"]),
        out_channels=6 if merged["learn_sigma"] else 3,
        num_res_blocks=int(merged["num_res_blocks"]),
        attention_resolutions=[size // int(res) for res in str(merged["attention_resolutions"]).split(",")],
        dropout=float(merged["dropout"]),
        channel_mult=channel_mult,
        num_heads=int(merged["num_heads"]),
        num_head_channels=int(merged["num_head_channels"]),
        num_heads_upsample=int(merged["num_heads_upsample"]),
        use_scale_shift_norm=bool(merged["use_scale_shift_norm"]),
        resblock_updown=bool(merged["resblock_updown"]),
        use_new_attention_order=bool(merged["use_new_attention_order"]),
    )


def timestep_embedding(timesteps: Tensor, dim: int, max_period: float = 10000.0) -> Tensor:
    """Sinusoidal features [B, dim] of timesteps [B]: cos then sin of t · max_period^(−k/half), k < half."""
    half = dim // 2
    frequencies = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    angles = timesteps[:, None].float() * frequencies.to(timesteps.device)[None]
    features = torch.cat([torch.cos(angles), torch.sin(angles)], dim=-1)
    return F.pad(features, (0, dim % 2))


class TimestepSequential(nn.Sequential):
    """``nn.Sequential`` whose ResBlocks also receive the time embedding."""

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:  # type: ignore[override]
        for layer in self:
            x = layer(x, emb) if isinstance(layer, ResBlock) else layer(x)
        return x


class Upsample(nn.Module):
    """Nearest ×2, then a 3×3 conv when ``use_conv`` (the attribute name ``conv`` is guided-diffusion's)."""

    def __init__(self, channels: int, use_conv: bool):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1) if use_conv else None

    def forward(self, x: Tensor) -> Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return x if self.conv is None else self.conv(x)


class Downsample(nn.Module):
    """Stride-2 3×3 conv when ``use_conv``, else 2×2 average pooling (attribute ``op``, as guided-diffusion)."""

    def __init__(self, channels: int, use_conv: bool):
        super().__init__()
        self.op = nn.Conv2d(channels, channels, 3, stride=2, padding=1) if use_conv else nn.AvgPool2d(2, 2)

    def forward(self, x: Tensor) -> Tensor:
        return self.op(x)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv, time FiLM (scale-shift after the second norm, or an added bias), dropout, conv,
    plus a skip (identity, or a 1×1 conv when the width changes). With ``up``/``down`` both paths are
    resampled (without convolution) between the first norm-SiLU and the first conv."""

    def __init__(
        self,
        channels: int,
        emb_channels: int,
        dropout: float,
        out_channels: int | None = None,
        use_scale_shift_norm: bool = False,
        up: bool = False,
        down: bool = False,
    ):
        super().__init__()
        out_channels = out_channels or channels
        self.use_scale_shift_norm = use_scale_shift_norm
        self.in_layers = nn.Sequential(
            nn.GroupNorm(NORM_GROUPS, channels), nn.SiLU(), nn.Conv2d(channels, out_channels, 3, padding=1)
        )
        self.updown = up or down
        if up:
            self.h_upd, self.x_upd = Upsample(channels, False), Upsample(channels, False)
        elif down:
            self.h_upd, self.x_upd = Downsample(channels, False), Downsample(channels, False)
        else:
            self.h_upd = self.x_upd = nn.Identity()
        self.emb_layers = nn.Sequential(
            nn.SiLU(), nn.Linear(emb_channels, 2 * out_channels if use_scale_shift_norm else out_channels)
        )
        self.out_layers = nn.Sequential(
            nn.GroupNorm(NORM_GROUPS, out_channels),
            nn.SiLU(),
            nn.Dropout(dropout),
            nn.Conv2d(out_channels, out_channels, 3, padding=1),
        )
        self.skip_connection = nn.Identity() if out_channels == channels else nn.Conv2d(channels, out_channels, 1)

    def forward(self, x: Tensor, emb: Tensor) -> Tensor:
        """x [B, channels, H, W], emb [B, emb_channels] → [B, out_channels, H', W'] (H' = 2H, H/2 or H)."""
        if self.updown:
            h = self.h_upd(self.in_layers[:-1](x))
            x = self.x_upd(x)
            h = self.in_layers[-1](h)
        else:
            h = self.in_layers(x)
        film = self.emb_layers(emb)[..., None, None].to(h.dtype)
        if self.use_scale_shift_norm:
            scale, shift = film.chunk(2, dim=1)
            h = self.out_layers[1:](self.out_layers[0](h) * (1 + scale) + shift)
        else:
            h = self.out_layers(h + film)
        return self.skip_connection(x) + h


class AttentionBlock(nn.Module):
    """Multi-head self-attention over the H·W positions with a residual: x + proj_out(attn(qkv(norm(x)))).

    ``num_head_channels`` > 0 fixes the head width (heads = channels / it), else ``num_heads`` heads.
    ``use_new_attention_order``: the qkv channels are [q | k | v] each split in heads; otherwise
    (guided-diffusion's legacy order, used by the released models) [head][q | k | v].
    """

    def __init__(
        self, channels: int, num_heads: int = 1, num_head_channels: int = -1, use_new_attention_order: bool = False
    ):
        super().__init__()
        if num_head_channels != -1:
            if channels % num_head_channels:
                raise ValueError(
                    f"{channels} attention channels are not a multiple of num_head_channels {num_head_channels}"
                )
            num_heads = channels // num_head_channels
        self.num_heads = num_heads
        self.new_order = use_new_attention_order
        self.norm = nn.GroupNorm(NORM_GROUPS, channels)
        self.qkv = nn.Conv1d(channels, 3 * channels, 1)
        self.proj_out = nn.Conv1d(channels, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        b, c, *spatial = x.shape
        x = x.reshape(b, c, -1)
        qkv = self.qkv(self.norm(x))
        length, width = qkv.shape[-1], c // self.num_heads
        if self.new_order:
            q, k, v = (part.reshape(b * self.num_heads, width, length) for part in qkv.chunk(3, dim=1))
        else:
            q, k, v = qkv.reshape(b * self.num_heads, 3 * width, length).split(width, dim=1)
        scale = 1 / math.sqrt(math.sqrt(width))  # on q and k each, before the product (as guided-diffusion)
        weights = torch.einsum("bct,bcs->bts", q * scale, k * scale)
        weights = torch.softmax(weights.float(), dim=-1).to(weights.dtype)
        h = torch.einsum("bts,bcs->bct", weights, v).reshape(b, c, length)
        return (x + self.proj_out(h)).reshape(b, c, *spatial)


@register_net
class ADMUNet(nn.Module):
    """guided-diffusion's unconditional ``UNetModel``: ``net(x [B, in_channels, H, W], t [B]) → [B, out_channels,
    H, W]``, t the DDPM timestep in [0, T) (float or integer; not rescaled).

    Args (names and meaning as guided-diffusion's ``UNetModel``; :func:`adm_config_from_flags` maps its
    script flags here):
        image_size: the training resolution (recorded; inputs need H, W divisible by 2^(levels − 1)).
        in_channels, out_channels: 3 and 3 (6 with a learned variance: ε first).
        model_channels: base width; level i has ``channel_mult[i] · model_channels`` channels.
        num_res_blocks: ResBlocks per level on the way down (one more on the way up).
        attention_resolutions: downsampling rates (1, 2, 4, ...) whose levels end ResBlocks with attention.
        dropout: dropout rate inside the ResBlocks (inactive in eval mode).
        channel_mult: width multiplier of each level.
        conv_resample: learned 3×3 convs in the up/downsamplers (when not ``resblock_updown``).
        num_heads, num_head_channels, num_heads_upsample: attention heads (see :class:`AttentionBlock`);
            ``num_heads_upsample`` −1 means ``num_heads``.
        use_scale_shift_norm: FiLM conditioning (scale and shift) instead of an added time bias.
        resblock_updown: resample with ResBlocks instead of plain up/downsamplers.
        use_new_attention_order: see :class:`AttentionBlock`.
    """

    def __init__(
        self,
        *,
        image_size: int,
        in_channels: int,
        model_channels: int,
        out_channels: int,
        num_res_blocks: int,
        attention_resolutions: Sequence[int],
        dropout: float = 0.0,
        channel_mult: Sequence[float] = (1, 2, 4, 8),
        conv_resample: bool = True,
        num_heads: int = 1,
        num_head_channels: int = -1,
        num_heads_upsample: int = -1,
        use_scale_shift_norm: bool = False,
        resblock_updown: bool = False,
        use_new_attention_order: bool = False,
    ):
        super().__init__()
        self.config = dict(
            image_size=image_size,
            in_channels=in_channels,
            model_channels=model_channels,
            out_channels=out_channels,
            num_res_blocks=num_res_blocks,
            attention_resolutions=list(attention_resolutions),
            dropout=dropout,
            channel_mult=list(channel_mult),
            conv_resample=conv_resample,
            num_heads=num_heads,
            num_head_channels=num_head_channels,
            num_heads_upsample=num_heads_upsample,
            use_scale_shift_norm=use_scale_shift_norm,
            resblock_updown=resblock_updown,
            use_new_attention_order=use_new_attention_order,
        )
        self.in_channels, self.out_channels, self.model_channels = in_channels, out_channels, model_channels
        heads_up = num_heads if num_heads_upsample == -1 else num_heads_upsample
        emb = 4 * model_channels
        self.time_embed = nn.Sequential(nn.Linear(model_channels, emb), nn.SiLU(), nn.Linear(emb, emb))

        def res(channels: int, out: int | None = None, **resample: bool) -> ResBlock:
            return ResBlock(channels, emb, dropout, out, use_scale_shift_norm, **resample)

        def attention(channels: int, heads: int) -> AttentionBlock:
            return AttentionBlock(channels, heads, num_head_channels, use_new_attention_order)

        ch = int(channel_mult[0] * model_channels)
        self.input_blocks = nn.ModuleList([TimestepSequential(nn.Conv2d(in_channels, ch, 3, padding=1))])
        skips, ds = [ch], 1
        for level, mult in enumerate(channel_mult):
            for _ in range(num_res_blocks):
                layers: list[nn.Module] = [res(ch, int(mult * model_channels))]
                ch = int(mult * model_channels)
                if ds in attention_resolutions:
                    layers.append(attention(ch, num_heads))
                self.input_blocks.append(TimestepSequential(*layers))
                skips.append(ch)
            if level != len(channel_mult) - 1:
                self.input_blocks.append(
                    TimestepSequential(res(ch, ch, down=True) if resblock_updown else Downsample(ch, conv_resample))
                )
                skips.append(ch)
                ds *= 2
        self.middle_block = TimestepSequential(res(ch), attention(ch, num_heads), res(ch))
        self.output_blocks = nn.ModuleList()
        for level, mult in reversed(list(enumerate(channel_mult))):
            for i in range(num_res_blocks + 1):
                layers = [res(ch + skips.pop(), int(mult * model_channels))]
                ch = int(mult * model_channels)
                if ds in attention_resolutions:
                    layers.append(attention(ch, heads_up))
                if level and i == num_res_blocks:
                    layers.append(res(ch, ch, up=True) if resblock_updown else Upsample(ch, conv_resample))
                    ds //= 2
                self.output_blocks.append(TimestepSequential(*layers))
        self.out = nn.Sequential(nn.GroupNorm(NORM_GROUPS, ch), nn.SiLU(), nn.Conv2d(ch, out_channels, 3, padding=1))

    def forward(self, x: Tensor, timesteps: Tensor) -> Tensor:
        """x [B, in_channels, H, W], timesteps [B] → [B, out_channels, H, W]."""
        emb = self.time_embed(timestep_embedding(timesteps, self.model_channels))
        h, stored = x, []
        for block in self.input_blocks:
            h = block(h, emb)
            stored.append(h)
        h = self.middle_block(h, emb)
        for block in self.output_blocks:
            h = block(torch.cat([h, stored.pop()], dim=1), emb)
        return self.out(h)
