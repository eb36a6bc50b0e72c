"""A model from a run's latest checkpoint, while the run goes on (it only reads ``checkpoint.pt``)."""
from __future__ import annotations

import os
from pathlib import Path

import torch

from mgdm_audio.core.pretrained import registered_nets
from mgdm_audio.core.priors.loading import save_prior

from ..nets import UNet1d
from ..priors.music import MultiSourcePrior
from ..separators.loading import save_separator
from ..separators.model import MixtureSeparator
from .checkpoint import CHECKPOINT_FILE


def export_checkpoint(run_dir: str | os.PathLike, destination: str | os.PathLike) -> tuple[Path, int]:
    """Writes the prior or separator of ``run_dir/checkpoint.pt`` (its weight average when the run keeps one) to
    ``destination``; returns (destination, the checkpoint's step).

    Raises:
        ValueError: no readable checkpoint, or one of neither kind (the message names the file).
    """
    path = Path(run_dir) / CHECKPOINT_FILE
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for missing, truncated or foreign files
        raise ValueError(f"{path}: unreadable checkpoint ({type(error).__name__}: {error})") from None
    identity = state["identity"]
    weights = dict(state["model"], **(state.get("average") or {}))
    card = f"Exported from `{path}` at step {state['step']} ({state['seconds'] / 60:.1f} min of training).\n"
    if "separator" in identity:
        net = registered_nets()[identity.get("net_class", "ConvTasNet")](**identity["net"])
        model = MixtureSeparator.from_config(net, identity["separator"])
        model.load_state_dict(weights)
        return save_separator(model, destination, card), int(state["step"])
    if "prior" in identity:
        prior = MultiSourcePrior.from_config(UNet1d(**identity["net"]), identity["prior"])
        prior.denoiser.load_state_dict(weights)
        return save_prior(prior, destination, card), int(state["step"])
    raise ValueError(f"{path}: a checkpoint of neither a prior nor a separator")
