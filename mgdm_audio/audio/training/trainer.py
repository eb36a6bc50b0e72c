"""Training a :class:`MultiSourcePrior` on a Kaldi data directory, resumable step for step.

Output directory layout: the loop's files (``checkpoint.pt``, ``train_log.csv``, ``valid_log.csv``; see
:mod:`.loop`) and, at the end, ``prior/`` (config.json, model.safetensors, MODEL_CARD.md).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from mgdm_audio.common.hardware import describe_device
from mgdm_audio.core.priors.loading import save_prior

from ..priors.music import MultiSourcePrior
from .checkpoint import CHECKPOINT_FILE
from .data import StemChunks
from .loop import fit
from .model_card import TrainingFacts, model_card
from .settings import TrainSettings

PRIOR_DIR = "prior"


@dataclass(frozen=True)
class TrainingResult:
    """The written prior or separator, the step the run started from and its facts; in the processes of a
    data-parallel run other than the first, which write nothing, ``model_dir`` and ``facts`` are None."""

    model_dir: Path | None
    start_step: int
    facts: TrainingFacts | None


def train_prior(
    prior: MultiSourcePrior,
    data_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    settings: TrainSettings,
    device: torch.device | str = "cpu",
    progress: bool = True,
    valid_dir: str | os.PathLike | None = None,
    init_from: MultiSourcePrior | None = None,
    init_name: str | None = None,
) -> TrainingResult:
    """Trains ``prior`` in place (moved to ``device``) with the EDM loss; writes ``out_dir`` (see module doc).

    Each step: a batch of random aligned chunks [B, S, L] with random gains, ``denoiser.loss``, Adam
    with the global gradient norm clipped. Resumes from ``out_dir/checkpoint.pt`` when present.

    Args:
        valid_dir: held-out data dir for the validation loss (``settings.validate_every``).
        init_from: a prior of the same network whose weights start the run (ignored when resuming:
            the checkpoint has the weights); ``init_name`` names it in the run's identity and card.

    Raises:
        DataDirError: a data directory does not fit (see :class:`.data.StemChunks`).
        ValueError: the checkpoint was made with other settings, data, network or device, or ``init_from``
            has another network or other stems.
    """
    device = torch.device(device)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    chunks = [
        None if d is None else StemChunks(d, len(prior.stems), prior.segment_length, prior.sample_rate, prior.stems)
        for d in (data_dir, valid_dir)
    ]
    if init_from is not None and not (out_dir / CHECKPOINT_FILE).is_file():
        _check_same_network(prior, init_from, init_name)
        prior.denoiser.net.load_state_dict(init_from.denoiser.net.state_dict())
    denoiser = prior.denoiser.to(device)
    identity = dict(
        {key: value for key, value in asdict(settings).items() if key in settings.fixed_fields()},
        gain_range=list(settings.gain_range),
        data_dir=str(Path(data_dir).resolve()),
        device=device.type,
        net=prior.denoiser.net.config,
        prior=prior.config,
        init=init_name,
    )
    run = fit(denoiser, denoiser.loss, chunks[0], out_dir, settings, identity, device, progress, validation=chunks[1])
    prior.eval()
    if not run.is_main:  # the first process writes the prior
        return TrainingResult(None, run.start_step, None)
    facts = TrainingFacts(
        data_dir=str(Path(data_dir).resolve()),
        data_utterances=chunks[0].num_utterances,
        data_hours=chunks[0].hours,
        final_loss=run.final_loss,
        final_loss_steps=run.final_loss_steps,
        seconds=run.seconds,
        hardware=describe_device(device),
        init=init_name,
    )
    card = model_card(prior, settings, facts, run_dir=out_dir, denoising_dir=valid_dir)
    return TrainingResult(save_prior(prior, out_dir / PRIOR_DIR, card), run.start_step, facts)


def _check_same_network(prior: MultiSourcePrior, source: MultiSourcePrior, name: str | None) -> None:
    if source.denoiser.net.config != prior.denoiser.net.config or source.stems != prior.stems:
        raise ValueError(
            f"{name or 'the initial prior'}: its network or stems differ from the ones asked for "
            f"(start from weights of the same architecture and stems)"
        )
