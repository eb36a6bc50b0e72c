"""The ``MODEL_CARD.md`` written next to a trained prior: measured facts (the run's settings, its loss curve and,
given held-out data, its denoising table), with the intended use and licence left to complete by hand."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from ..priors.music import MultiSourcePrior
from .denoising import denoising_table
from .loop import VALID_LOG_FILE
from .loss_log import LOG_FILE
from .settings import TrainSettings


@dataclass(frozen=True)
class TrainingFacts:
    """What a training run measured. data_utterances, data_hours: the utterances long enough to give a
    chunk and their duration (None: the data was not readable when the card was written); final_loss: mean EDM
    loss of the last ``final_loss_steps`` steps (100, or all when fewer); seconds: training wall time (over
    restarts); hardware: see :func:`.hardware.describe_device`; init: the weights the run started from (None:
    random)."""

    data_dir: str
    data_utterances: int | None
    data_hours: float | None
    final_loss: float
    final_loss_steps: int
    seconds: float
    hardware: str
    init: str | None = None

    def data(self) -> str:
        """The training data, for a card: its directory and, when known, its size."""
        size = (
            f" ({self.data_utterances} utterances, {self.data_hours:.2f} h)" if self.data_utterances is not None else ""
        )
        return f"`{self.data_dir}`{size}"


def optimisation(settings: TrainSettings, facts: TrainingFacts) -> str:
    """One line: steps, batch, learning rate and its schedule, clipping, gains, average, seed, start."""
    schedule = (
        f"Adam lr {settings.lr:g}"
        + (f", {settings.warmup_steps} warm-up steps" if settings.warmup_steps else "")
        + (f", cosine decay to {settings.lr * settings.min_lr_ratio:g}" if settings.lr_schedule == "cosine" else "")
    )
    average = (
        f", weight average (EMA) decay {settings.ema_decay:g}" if settings.ema_decay else ", last weights (no average)"
    )
    start = f", started from {facts.init}" if facts.init else ", random initialisation"
    return (
        f"{settings.steps} steps, batch {settings.batch_size}, {schedule}, gradient clipping {settings.grad_clip:g}, "
        f"random gain {settings.gain_range[0]:g}–{settings.gain_range[1]:g}{average}, seed {settings.seed}{start}"
    )


def model_card(
    prior: MultiSourcePrior,
    settings: TrainSettings,
    facts: TrainingFacts,
    run_dir: str | os.PathLike | None = None,
    denoising_dir: str | os.PathLike | None = None,
) -> str:
    """Markdown text of the card: the facts; the loss curve of ``run_dir``'s logs up to ``settings.steps``, when
    given; the held-out denoising table (:func:`.denoising.denoising_table`, 24 chunks) on ``denoising_dir``,
    when given."""
    parameters = sum(p.numel() for p in prior.parameters())
    net = prior.denoiser.net.config
    architecture = (
        f"channels {net['channels']}, patch factor {net['patch_factor']}, multipliers {net['multipliers']}, "
        f"factors {net['factors']}, blocks {net['num_blocks']}, attentions {net['attentions']} "
        f"({net['attention_heads']} heads × {net['attention_features']} features)"
    )
    curve = loss_curve(run_dir, settings.steps) if run_dir is not None else ""
    return f"""# Multi-source waveform prior (mgdm_audio)

An EDM denoiser (UNet1d, σ_data {prior.denoiser.sigma_data}) over {len(prior.stems)} mono stems stacked as
channels: {", ".join(prior.stems)}. Waveforms in [−1, 1]; the denoiser clamps its output to that range.
Load it with `mgdm_audio.priors.load(<this directory>)`.

## Measured facts (written by `mgdm train-prior`)

| fact | value |
|---|---|
| training data | {facts.data()} |
| sample rate | {prior.sample_rate} Hz |
| segment length | {prior.segment_length} samples ({prior.segment_length / prior.sample_rate:.3f} s) |
| lengths accepted | multiples of {prior.length_multiple} samples |
| parameters | {parameters / 1e6:.2f} M |
| architecture | {architecture} |
| noise levels trained on | ln σ ~ N({prior.denoiser.log_sigma_mean:g}, {prior.denoiser.log_sigma_std:g}²) |
| optimisation | {optimisation(settings, facts)} |
| final loss (mean of the last {facts.final_loss_steps} steps) | {facts.final_loss:.4f} |
| training wall time | {facts.seconds / 60:.1f} min |
| hardware | {facts.hardware} |

{curve}{_denoising_section(prior, denoising_dir)}## To complete

- Intended use and limits (data it was trained on; expected separation quality, measured how).
- Licence of the training data and of these weights.
"""


def loss_curve(run_dir: str | os.PathLike, last_step: int, points: int = 10) -> str:
    """Markdown section: the training loss (EDM, mean over ``points`` equal spans of steps 1 … ``last_step``) and,
    when the run validated, every validation loss up to ``last_step``, each with the training minutes."""
    run_dir = Path(run_dir)
    rows = [row for row in read_log(run_dir / LOG_FILE) if int(row["step"]) <= last_step]
    if not rows:
        return ""
    lines = ["## Loss curve", "", "| steps | training loss (mean) | minutes |", "|---|---|---|"]
    span = max(1, -(-len(rows) // points))
    for start in range(0, len(rows), span):
        part = rows[start : start + span]
        mean = sum(float(row["loss"]) for row in part) / len(part)
        lines.append(f"| {part[0]['step']}–{part[-1]['step']} | {mean:.4f} | {float(part[-1]['seconds']) / 60:.1f} |")
    valid = [row for row in read_log(run_dir / VALID_LOG_FILE) if int(row["step"]) <= last_step]
    if valid:
        lines += [
            "",
            "Validation loss (the written weights, fixed held-out batches and noise):",
            "",
            "| step | validation loss | minutes |",
            "|---|---|---|",
        ]
        lines += [f"| {row['step']} | {float(row['loss']):.4f} | {float(row['seconds']) / 60:.1f} |" for row in valid]
    return "\n".join(lines) + "\n\n"


def _denoising_section(prior: MultiSourcePrior, data_dir: str | os.PathLike | None) -> str:
    if data_dir is None:
        return ""
    return (
        f"## Denoising held-out stems\n\n`{data_dir}`, 24 random chunks of {prior.segment_length} samples, seed 0: "
        f"MSE of D(x_0 + σε, σ) per stem next to the identity's σ², and the median per-stem SDR over the chunks "
        f"where the stem is active (below 0 dB: worse than returning zero).\n\n{denoising_table(prior, data_dir)}\n\n"
    )


def read_log(path: Path) -> list[dict[str, str]]:
    """The rows of a training or validation log (``step``, ``loss``, ``seconds``); none when it is missing."""
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
