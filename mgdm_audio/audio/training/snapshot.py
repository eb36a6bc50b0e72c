"""A model from a run's latest checkpoint, while the run goes on (it only reads the run's files)."""

from __future__ import annotations

import os
from dataclasses import fields
from pathlib import Path

import torch

from mgdm_audio.core.pretrained import registered_nets
from mgdm_audio.core.priors.loading import save_prior

from ..corpora.kaldi import DataDirError
from ..nets import UNet1d
from ..priors.music import MultiSourcePrior
from ..separators.loading import save_separator
from ..separators.model import MixtureSeparator
from .checkpoint import CHECKPOINT_FILE
from .data import StemChunks
from .loop import FINAL_LOSS_WINDOW
from .loss_log import LOG_FILE
from .model_card import TrainingFacts, model_card, read_log
from .settings import TrainSettings


def export_checkpoint(
    run_dir: str | os.PathLike, destination: str | os.PathLike, denoising_dir: str | os.PathLike | None = None
) -> tuple[Path, int]:
    """Writes the prior or separator of ``run_dir/checkpoint.pt`` (its weight average when the run keeps one) to
    ``destination``; returns (destination, the checkpoint's step). A prior's model card is the one a finished run
    writes (settings, data, loss curve up to the checkpoint's step), with the held-out denoising table on
    ``denoising_dir`` when given.

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
    if "separator" in identity:
        card = f"Exported from `{path}` at step {state['step']} ({state['seconds'] / 60:.1f} min of training).\n"
        net = registered_nets()[identity.get("net_class", "ConvTasNet")](**identity["net"])
        model = MixtureSeparator.from_config(net, identity["separator"])
        model.load_state_dict(weights)
        return save_separator(model, destination, card), int(state["step"])
    if "prior" in identity:
        prior = MultiSourcePrior.from_config(UNet1d(**identity["net"]), identity["prior"])
        prior.denoiser.load_state_dict(weights)
        prior.eval()
        card = model_card(prior, *_run_facts(Path(run_dir), state, prior), run_dir=run_dir, denoising_dir=denoising_dir)
        return save_prior(prior, destination, card), int(state["step"])
    raise ValueError(f"{path}: a checkpoint of neither a prior nor a separator")


def _run_facts(run_dir: Path, state: dict, prior: MultiSourcePrior) -> tuple[TrainSettings, TrainingFacts]:
    """The settings and facts of a prior's run at its checkpoint, from the checkpoint and the training log."""
    identity, step = state["identity"], int(state["step"])
    settings = TrainSettings(
        **{
            field.name: identity[field.name]
            for field in fields(TrainSettings)
            if field.name in identity and field.name not in ("steps", "gain_range")
        },
        gain_range=tuple(identity["gain_range"]),
        steps=step,
    )
    try:
        data = StemChunks(identity["data_dir"], len(prior.stems), prior.segment_length, prior.sample_rate)
        utterances, hours = data.num_utterances, data.hours
    except (DataDirError, OSError):
        utterances = hours = None  # moved or deleted since: the card names the directory only
    recent = [float(row["loss"]) for row in read_log(run_dir / LOG_FILE) if int(row["step"]) <= step][
        -FINAL_LOSS_WINDOW:
    ]
    facts = TrainingFacts(
        data_dir=identity["data_dir"],
        data_utterances=utterances,
        data_hours=hours,
        final_loss=sum(recent) / len(recent) if recent else float("nan"),
        final_loss_steps=len(recent),
        seconds=float(state["seconds"]),
        hardware=f"device {identity['device']} (from the checkpoint)",
        init=identity.get("init"),
    )
    return settings, facts
