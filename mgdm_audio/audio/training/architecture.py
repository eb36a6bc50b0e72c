"""UNet1d configurations for multi-source priors: the docs/method.md#embedded-prior shape by default."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..nets.msdm_keys import AUDIO_DIFFUSION_MODEL_DEFAULTS

# docs/method.md#embedded-prior: the embedded-prior shape (8.6 M parameters with 4 stems; lengths a multiple of 4,096).
CHANNELS = 64
PATCH_FACTOR = 8
MULTIPLIERS = (1, 2, 2, 2, 2, 2, 2)
FACTORS = (4, 4, 4, 2, 2, 2)
BLOCKS = 2
ATTENTION_LEVELS = 3
ATTENTION_HEADS = 4
ATTENTION_FEATURES = 64
RESNET_GROUPS = 8


def unet_config(
    in_channels: int,
    channels: int = CHANNELS,
    patch_factor: int = PATCH_FACTOR,
    multipliers: Sequence[int] = MULTIPLIERS,
    factors: Sequence[int] = FACTORS,
    blocks: int = BLOCKS,
    attention_levels: int = ATTENTION_LEVELS,
    attention_heads: int = ATTENTION_HEADS,
    attention_features: int = ATTENTION_FEATURES,
    resnet_groups: int = RESNET_GROUPS,
) -> dict[str, Any]:
    """UNet1d keyword arguments: one patch block, ``blocks`` resnet blocks per level, attention on
    the last ``attention_levels`` levels, everything else as MSDM (docs/method.md#msdm-priors-and-checkpoints)."""
    num_levels = len(factors)
    if not 0 <= attention_levels <= num_levels:
        raise ValueError(
            f"attention levels must be in [0, {num_levels}] (the number of factors), got {attention_levels}"
        )
    return dict(
        AUDIO_DIFFUSION_MODEL_DEFAULTS,
        in_channels=in_channels,
        channels=channels,
        patch_factor=patch_factor,
        patch_blocks=1,
        multipliers=list(multipliers),
        factors=list(factors),
        num_blocks=[blocks] * num_levels,
        attentions=[level >= num_levels - attention_levels for level in range(num_levels)],
        attention_heads=attention_heads,
        attention_features=attention_features,
        resnet_groups=resnet_groups,
    )
