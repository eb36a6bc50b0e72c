"""Training a :class:`MultiSourcePrior` on a Kaldi data directory, resumable step for step.

Output directory layout:
  checkpoint.pt      the latest checkpoint (see :mod:`.checkpoint`)
  train_log.csv      step, loss, seconds (see :mod:`.loss_log`)
  prior/             the trained prior (config.json, model.safetensors, MODEL_CARD.md)

A restart with the same settings continues from the checkpoint and ends with the same weights
as an uninterrupted run on the same device (same data draws, σ and noise, optimizer state).
"""
from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..priors.loading import save_prior
from ..priors.music import MultiSourcePrior
from .checkpoint import CHECKPOINT_FILE, restore_checkpoint, save_checkpoint
from .data import StemChunks
from .hardware import describe_device
from .loss_log import LOG_FILE, LossLog
from .model_card import TrainingFacts, model_card
from .settings import TrainSettings

PRIOR_DIR = "prior"
#: The final loss reported is the mean over this many last steps.
FINAL_LOSS_WINDOW = 100


@dataclass(frozen=True)
class TrainingResult:
    prior_dir: Path
    start_step: int
    facts: TrainingFacts


def train_prior(prior: MultiSourcePrior, data_dir: str | os.PathLike, out_dir: str | os.PathLike,
                settings: TrainSettings, device: torch.device | str = "cpu", progress: bool = True) -> TrainingResult:
    """Trains ``prior`` in place (moved to ``device``) with the EDM loss; writes ``out_dir`` (see module doc).

    Each step: a batch of random aligned chunks [B, S, L] with random gains, ``denoiser.loss``,
    Adam with the global gradient norm clipped. Resumes from ``out_dir/checkpoint.pt`` when present.

    Raises:
        DataDirError: the data directory does not fit (see :class:`.data.StemChunks`).
        ValueError: the checkpoint was made with other settings, data, network or device.
    """
    device = torch.device(device)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = StemChunks(data_dir, len(prior.stems), prior.segment_length, prior.sample_rate)
    denoiser = prior.denoiser.to(device).train()
    optimizer = torch.optim.Adam(denoiser.parameters(), lr=settings.lr)
    rng = np.random.default_rng(settings.seed)
    generator = torch.Generator(device).manual_seed(settings.seed)
    identity = _identity(prior, data_dir, settings, device)
    checkpoint = out_dir / CHECKPOINT_FILE
    start_step, seconds_before = 0, 0.0
    if checkpoint.is_file():
        start_step, seconds_before = restore_checkpoint(checkpoint, model=denoiser, optimizer=optimizer, rng=rng,
                                                        generator=generator, identity=identity)
        if start_step > settings.steps:
            raise ValueError(f"{checkpoint}: already at step {start_step}, beyond the {settings.steps} steps asked for")
    log = LossLog(out_dir / LOG_FILE, start_step)
    started = time.perf_counter()
    seconds = seconds_before
    bar = tqdm(total=settings.steps, initial=start_step, unit="step", desc="training", disable=not progress)
    try:
        for step in range(start_step + 1, settings.steps + 1):
            batch = torch.from_numpy(data.batch(settings.batch_size, rng, settings.gain_range)).to(device)
            loss = denoiser.loss(batch, generator)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(denoiser.parameters(), settings.grad_clip)
            optimizer.step()
            seconds = seconds_before + time.perf_counter() - started
            log.append(step, loss.item(), seconds)
            bar.set_postfix(loss=f"{log.mean_loss(FINAL_LOSS_WINDOW):.4f}", refresh=False)
            bar.update()
            if step % settings.checkpoint_every == 0 or step == settings.steps:
                save_checkpoint(checkpoint, step=step, seconds=seconds, model=denoiser, optimizer=optimizer,
                                rng=rng, generator=generator, identity=identity)
    finally:
        bar.close()
        log.close()
    prior.eval()
    facts = TrainingFacts(data_dir=str(Path(data_dir).resolve()), data_utterances=data.num_utterances,
                          data_hours=data.hours, final_loss=log.mean_loss(FINAL_LOSS_WINDOW),
                          final_loss_steps=min(FINAL_LOSS_WINDOW, len(log.rows)), seconds=seconds,
                          hardware=describe_device(device))
    prior_dir = save_prior(prior, out_dir / PRIOR_DIR, model_card(prior, settings, facts))
    return TrainingResult(prior_dir, start_step, facts)


def _identity(prior: MultiSourcePrior, data_dir: str | os.PathLike, settings: TrainSettings,
              device: torch.device) -> dict:
    """What must not change across a restart (the step count and checkpoint interval may)."""
    fixed = {key: value for key, value in asdict(settings).items() if key not in ("steps", "checkpoint_every")}
    return dict(fixed, gain_range=list(settings.gain_range), data_dir=str(Path(data_dir).resolve()),
                device=device.type, net=prior.denoiser.net.config, prior=prior.config)
