"""The ``MODEL_CARD.md`` stub written next to a trained prior: measured facts, to be completed by hand."""
from __future__ import annotations

from dataclasses import dataclass

from ..priors.music import MultiSourcePrior
from .settings import TrainSettings


@dataclass(frozen=True)
class TrainingFacts:
    """What a training run measured. data_utterances, data_hours: the utterances long enough to give a
    chunk and their duration; final_loss: mean EDM loss of the last ``final_loss_steps`` steps (100, or
    all when fewer); seconds: training wall time (over restarts); hardware: see
    :func:`.hardware.describe_device`; init: the weights the run started from (None: random)."""

    data_dir: str
    data_utterances: int
    data_hours: float
    final_loss: float
    final_loss_steps: int
    seconds: float
    hardware: str
    init: str | None = None


def optimisation(settings: TrainSettings, facts: TrainingFacts) -> str:
    """One line: steps, batch, learning rate and its schedule, clipping, gains, average, seed, start."""
    schedule = (f"Adam lr {settings.lr:g}" + (f", {settings.warmup_steps} warm-up steps" if settings.warmup_steps else "")
                + (f", cosine decay to {settings.lr * settings.min_lr_ratio:g}" if settings.lr_schedule == "cosine" else ""))
    average = f", weight average (EMA) decay {settings.ema_decay:g}" if settings.ema_decay else ", last weights (no average)"
    start = f", started from {facts.init}" if facts.init else ", random initialisation"
    return (f"{settings.steps} steps, batch {settings.batch_size}, {schedule}, gradient clipping {settings.grad_clip:g}, "
            f"random gain {settings.gain_range[0]:g}–{settings.gain_range[1]:g}{average}, seed {settings.seed}{start}")


def model_card(prior: MultiSourcePrior, settings: TrainSettings, facts: TrainingFacts) -> str:
    """Markdown text of the card."""
    parameters = sum(p.numel() for p in prior.parameters())
    net = prior.denoiser.net.config
    return f"""# Multi-source waveform prior (mgdm_audio)

An EDM denoiser (UNet1d, σ_data {prior.denoiser.sigma_data}) over {len(prior.stems)} mono stems stacked as
channels: {", ".join(prior.stems)}. Waveforms in [−1, 1]; the denoiser clamps its output to that range.
Load it with `mgdm_audio.priors.load(<this directory>)`.

## Measured facts (written by `mgdm train-prior`)

| fact | value |
|---|---|
| training data | `{facts.data_dir}` ({facts.data_utterances} utterances, {facts.data_hours:.2f} h) |
| sample rate | {prior.sample_rate} Hz |
| segment length | {prior.segment_length} samples ({prior.segment_length / prior.sample_rate:.3f} s) |
| lengths accepted | multiples of {prior.length_multiple} samples |
| parameters | {parameters / 1e6:.2f} M |
| architecture | channels {net["channels"]}, patch factor {net["patch_factor"]}, multipliers {net["multipliers"]}, factors {net["factors"]}, blocks {net["num_blocks"]}, attentions {net["attentions"]} ({net["attention_heads"]} heads × {net["attention_features"]} features) |
| noise levels trained on | ln σ ~ N({prior.denoiser.log_sigma_mean:g}, {prior.denoiser.log_sigma_std:g}²) |
| optimisation | {optimisation(settings, facts)} |
| final loss (mean of the last {facts.final_loss_steps} steps) | {facts.final_loss:.4f} |
| training wall time | {facts.seconds / 60:.1f} min |
| hardware | {facts.hardware} |

## To complete

- Intended use and limits (data it was trained on; expected separation quality, measured how).
- Licence of the training data and of these weights.
"""
