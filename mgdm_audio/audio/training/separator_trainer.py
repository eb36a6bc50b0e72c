"""Training a :class:`MixtureSeparator` on the stems of a Kaldi data directory, resumable step for step.

Each step: chunks of the stems [B, S, L] (half of them remixed across tracks, see
:meth:`.data.StemChunks.remixed_batch`), their sum as the mixture, the thresholded-SNR loss of
:meth:`MixtureSeparator.loss`. Output directory: the loop's files (:mod:`.loop`) and ``separator/``.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import torch

from mgdm_audio.common.hardware import describe_device

from ..separators.loading import save_separator
from ..separators.model import MixtureSeparator
from .data import StemChunks
from .loop import fit
from .model_card import TrainingFacts, optimisation
from .settings import TrainSettings
from .trainer import TrainingResult

SEPARATOR_DIR = "separator"
#: Share of the training examples whose stems come from different tracks.
REMIX_PROBABILITY = 0.5


def train_separator(
    separator: MixtureSeparator,
    data_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    settings: TrainSettings,
    device: torch.device | str = "cpu",
    progress: bool = True,
    valid_dir: str | os.PathLike | None = None,
    remix_probability: float = REMIX_PROBABILITY,
    init_name: str | None = None,
) -> TrainingResult:
    """Trains ``separator`` in place on ``device``; writes ``out_dir`` (see the module doc). Resumes from
    ``out_dir/checkpoint.pt`` when present. Returns the result with the directory of the saved separator.
    ``init_name`` names the separator whose weights ``separator`` starts from (a fine-tune), for the run's
    identity and card.

    Raises:
        DataDirError: a data directory does not fit (see :class:`.data.StemChunks`).
        ValueError: the checkpoint was made with other settings, data, network or device.
    """
    device = torch.device(device)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    train, valid = (
        None
        if d is None
        else StemChunks(d, len(separator.stems), separator.segment_length, separator.sample_rate, separator.stems)
        for d in (data_dir, valid_dir)
    )
    separator = separator.to(device)
    identity = dict(
        {key: value for key, value in asdict(settings).items() if key in settings.fixed_fields()},
        gain_range=list(settings.gain_range),
        data_dir=str(Path(data_dir).resolve()),
        device=device.type,
        net=separator.net.config,
        net_class=type(separator.net).__name__,
        separator=separator.config,
        remix_probability=remix_probability,
        init=init_name,
    )
    run = fit(
        separator,
        separator.loss,
        train,
        out_dir,
        settings,
        identity,
        device,
        progress,
        draw=lambda chunks, size, rng: chunks.remixed_batch(size, rng, settings.gain_range, remix_probability),
        validation=valid,
    )
    if not run.is_main:  # the first process writes the separator
        return TrainingResult(None, run.start_step, None)
    facts = TrainingFacts(
        data_dir=str(Path(data_dir).resolve()),
        data_utterances=train.num_utterances,
        data_hours=train.hours,
        final_loss=run.final_loss,
        final_loss_steps=run.final_loss_steps,
        seconds=run.seconds,
        hardware=describe_device(device),
        init=init_name,
    )
    directory = save_separator(
        separator, out_dir / SEPARATOR_DIR, model_card(separator, settings, facts, remix_probability)
    )
    return TrainingResult(directory, run.start_step, facts)


def model_card(
    separator: MixtureSeparator, settings: TrainSettings, facts: TrainingFacts, remix_probability: float
) -> str:
    """Markdown text of the card: the measured facts of the run."""
    parameters = sum(p.numel() for p in separator.parameters())
    return f"""# Discriminative stem separator (mgdm_audio)

{type(separator.net).__name__} mapping a mono mixture to {len(separator.stems)} stems: {", ".join(separator.stems)}.
Waveforms in [−1, 1]. Load it with `mgdm_audio.audio.separators.load(<this directory>)`.

## Measured facts (written by `mgdm train-separator`)

| fact | value |
|---|---|
| training data | {facts.data()} |
| sample rate | {separator.sample_rate} Hz |
| segment length | {separator.segment_length} samples ({separator.segment_length / separator.sample_rate:.3f} s) |
| parameters | {parameters / 1e6:.2f} M |
| network | {separator.net.config} |
| optimisation | {optimisation(settings, facts)} |
| loss | thresholded SNR (30 dB cap against the mixture), {remix_probability:.0%} of examples remixed across tracks |
| final loss (mean of the last {facts.final_loss_steps} steps, dB) | {facts.final_loss:.2f} |
| training wall time | {facts.seconds / 60:.1f} min |
| hardware | {facts.hardware} |
"""
