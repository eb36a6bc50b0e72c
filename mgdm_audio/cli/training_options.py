"""Options that ``mgdm train-prior`` and ``mgdm train-separator`` share: data, optimisation, run control."""

from __future__ import annotations

import argparse
import sys

import torch

from mgdm_audio.audio.priors.music import DEFAULT_STEMS
from mgdm_audio.audio.training.distributed import World
from mgdm_audio.audio.training.settings import LR_SCHEDULES, PRECISIONS, TrainSettings
from mgdm_audio.audio.training.snapshot import export_checkpoint

from .prepare_synth4 import DEFAULT_SAMPLE_RATE


def add_training_options(parser: argparse.ArgumentParser, what: str, defaults: TrainSettings | None = None) -> None:
    """DATA_DIR, OUT_DIR and the options every trainer reads (``what`` names the written model folder; ``defaults``:
    the trainer's, else :class:`TrainSettings`'s)."""
    defaults = defaults or TrainSettings()
    add = parser.add_argument
    add("data_dir", metavar="DATA_DIR", help="Kaldi data dir (wav.scp, spk1.scp … spkS.scp)")
    add("out_dir", metavar="OUT_DIR", help=f"output directory (checkpoint, logs, {what}/)")
    add("--steps", type=int, default=defaults.steps, help="optimisation steps in all (default: %(default)s)")
    add(
        "--batch-size",
        type=int,
        default=defaults.batch_size,
        help="examples per step, over all processes and accumulation rounds (default: %(default)s)",
    )
    add(
        "--accumulate",
        type=int,
        default=defaults.accumulate,
        help="split each process's share of a step into this many rounds, gradients summed: the same step in "
        "less memory (default: %(default)s)",
    )
    add(
        "--workers",
        type=int,
        default=defaults.workers,
        help="loader processes reading the examples ahead of training (default: %(default)s: the training "
        "process reads them)",
    )
    add(
        "--precision",
        choices=["auto", *PRECISIONS],
        default="auto",
        help="fp32, or bf16 autocast (GPUs; weights, optimizer and average stay float32); auto: bf16 on a GPU "
        "that supports it, else fp32 (default: %(default)s)",
    )
    add(
        "--segment-seconds",
        type=float,
        default=1.5,
        help="chunk length, rounded to the nearest length the network accepts (default: %(default)s)",
    )
    add(
        "--sample-rate",
        type=int,
        default=DEFAULT_SAMPLE_RATE,
        help="Hz; every file of the data dir must have it (default: %(default)s)",
    )
    add(
        "--stems",
        nargs="+",
        default=list(DEFAULT_STEMS),
        help="stem names, in the order of spk1.scp … (default: %(default)s)",
    )
    add("--lr", type=float, default=defaults.lr, help="Adam learning rate (default: %(default)s)")
    add(
        "--lr-schedule",
        choices=LR_SCHEDULES,
        default=defaults.lr_schedule,
        help="constant, or cosine decay to lr · --min-lr-ratio at --steps (default: %(default)s)",
    )
    add("--min-lr-ratio", type=float, default=defaults.min_lr_ratio, help="(default: %(default)s)")
    add(
        "--warmup-steps",
        type=int,
        default=defaults.warmup_steps,
        help="linear learning-rate warm-up (default: %(default)s)",
    )
    add(
        "--ema-decay",
        type=float,
        default=defaults.ema_decay,
        help="write an exponential moving average of the weights with this decay, e.g. 0.999 (0: the last "
        "weights) (default: %(default)s)",
    )
    add("--valid-dir", help="held-out data dir: the validation loss is logged to OUT_DIR/valid_log.csv")
    add("--validate-every", type=int, default=200, help="steps between validation losses (default: %(default)s)")
    add(
        "--checkpoint-every",
        type=int,
        default=defaults.checkpoint_every,
        help="steps between checkpoints (default: %(default)s)",
    )
    add("--seed", type=int, default=defaults.seed, help="(default: %(default)s)")
    add(
        "--device",
        default="auto",
        help="auto (CUDA when available), cpu, cuda, cuda:N; under torchrun each process takes GPU LOCAL_RANK "
        "(default: %(default)s)",
    )
    add(
        "--export",
        metavar="DIR",
        help=f"write the {what} of OUT_DIR's latest checkpoint (its weight average, if "
        f"kept) to DIR and exit; safe while the run goes on (DATA_DIR is not read; a prior's card gets the "
        f"denoising table of --valid-dir when given)",
    )


def export(args: argparse.Namespace, command: str) -> int:
    """``--export``: write the checkpoint's model; print where. Returns the exit status."""
    try:
        directory, step = export_checkpoint(args.out_dir, args.export, denoising_dir=args.valid_dir)
    except (ValueError, OSError) as error:
        print(f"mgdm {command}: error: {error}", file=sys.stderr)
        return 1
    print(f"step {step} of {args.out_dir} written to {directory}")
    return 0


def training_settings(args: argparse.Namespace, device: torch.device) -> TrainSettings:
    """The :class:`TrainSettings` the options ask for on ``device`` (ValueError names a bad value)."""
    precision = args.precision
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "fp32"
    if precision == "bf16" and device.type != "cuda":
        raise ValueError("--precision bf16 is for GPUs; on the CPU training runs in fp32")
    return TrainSettings(
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        lr_schedule=args.lr_schedule,
        min_lr_ratio=args.min_lr_ratio,
        warmup_steps=args.warmup_steps,
        ema_decay=args.ema_decay,
        checkpoint_every=args.checkpoint_every,
        validate_every=args.validate_every if args.valid_dir else 0,
        seed=args.seed,
        accumulate=args.accumulate,
        workers=args.workers,
        precision=precision,
    )


def say(line: str) -> None:
    """Print ``line`` once per run: in the first process of a data-parallel run, or when alone."""
    if World.current().is_main:
        print(line)


def segment_length(seconds: float, sample_rate: int, multiple: int) -> int:
    """``seconds`` in samples, rounded to the nearest positive multiple of ``multiple``."""
    return max(1, round(seconds * sample_rate / multiple)) * multiple
