"""``mgdm train-image-prior``: a small pixel-space diffusers UNet prior trained on a list of images."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mgdm_audio.image.restoration.denoising import denoising_table
from mgdm_audio.image.restoration.image_io import ImageInputError
from mgdm_audio.image.restoration.train_prior import ImagePriorSettings, read_images, train_image_prior


def register(subparsers: argparse._SubParsersAction) -> None:
    defaults = ImagePriorSettings()
    parser = subparsers.add_parser(
        "train-image-prior",
        help="train a small pixel-space image prior (diffusers layout)",
        description="Train a pixel-space diffusers UNet on SCP's images; write OUT_DIR/prior (a diffusers "
        "directory that mgdm restore --prior reads), train_log.csv, training.json and checkpoint.pt "
        "(an OUT_DIR holding one resumes from it, bit-identically).",
    )
    add = parser.add_argument
    add("scp", type=Path, help="'<id> <image path>' list of training images")
    add("out_dir", type=Path, help="output folder: prior/, train_log.csv, training.json")
    for name in (
        "resolution",
        "channels",
        "layers_per_block",
        "norm_num_groups",
        "steps",
        "batch_size",
        "warmup_steps",
        "max_shift",
        "seed",
        "log_every",
        "threads",
        "checkpoint_every",
    ):
        add(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name), help="(default: %(default)s)")
    for name in ("lr", "ema_decay", "max_minutes"):
        add(f"--{name.replace('_', '-')}", type=float, default=getattr(defaults, name), help="(default: %(default)s)")
    add(
        "--block-out-channels",
        type=int,
        nargs="+",
        default=list(defaults.block_out_channels),
        help="UNet width per level (default: %(default)s)",
    )
    add(
        "--valid-scp",
        type=Path,
        help="held-out images: the saved prior's denoising PSNR is measured on them "
        "at the end (OUT_DIR/denoising.json, and printed)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = {
        name: value
        for name, value in vars(args).items()
        if name not in ("scp", "out_dir", "command", "func", "valid_scp")
    }
    try:
        settings = ImagePriorSettings(**{**options, "block_out_channels": tuple(options["block_out_channels"])})
        images = read_images(args.scp, settings)
        valid = None if args.valid_scp is None else read_images(args.valid_scp, settings)
        facts = train_image_prior(images, args.out_dir, settings, valid)
    except (ImageInputError, ValueError, OSError) as error:
        print(f"mgdm train-image-prior: error: {error}", file=sys.stderr)
        return 1
    if valid is not None:
        print(f"denoising {len(valid)} held-out images of {args.valid_scp}:\n{denoising_table(facts['denoising'])}")
    print(
        f"trained {facts['parameters']:,} parameters for {facts['steps']} steps in {facts['seconds']} s "
        f"on {facts['num_images']} images; final loss {facts['final_loss']:.4f}; prior in {args.out_dir / 'prior'}"
    )
    return 0
