"""``mgdm image-denoising``: how well an image prior denoises held-out images, per noise level (PSNR table)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mgdm_audio.common.atomic import atomic_path
from mgdm_audio.common.hardware import resolve_device
from mgdm_audio.common.lists import read_list
from mgdm_audio.core.priors.loading import load
from mgdm_audio.image.restoration.denoising import SIGMAS, denoising_rows, denoising_table
from mgdm_audio.image.restoration.image_io import ImageInputError, read_image


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "image-denoising",
        help="an image prior's denoising PSNR on held-out images, per noise level",
        description="For each σ (images in [−1, 1]), add Gaussian noise at the prior's nearest level to each image "
        "of SCP (fitted to the prior's shape) and denoise it with the prior's E[x_0 | x_t]; print "
        "the noisy and denoised PSNR (mean ± 95 %% interval over the images) as a Markdown table.",
    )
    add = parser.add_argument
    add("prior", help="'image_default', another packaged image prior, or a diffusers directory")
    add("scp", type=Path, help="'<id> <image path>' list of held-out images")
    add("--sigmas", type=float, nargs="+", default=list(SIGMAS), help="noise levels (default: %(default)s)")
    add("--max-images", type=int, default=0, help="only the first N images, 0: all (default: %(default)s)")
    add("--seed", type=int, default=0, help="noise seed (default: %(default)s)")
    add("--device", default="cpu", help="cpu, cuda, auto (default: %(default)s)")
    add("--json", type=Path, help="also write the rows to this JSON file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import torch

    try:
        prior = load(args.prior, resolve_device(args.device))
        shape = getattr(prior, "image_shape", None)
        if shape is None:
            raise ValueError(f"{args.prior}: not an image prior (a {type(prior).__name__})")
        paths = list(read_list(args.scp).values())
        if args.max_images > 0:
            paths = paths[: args.max_images]
        if not paths:
            raise ValueError(f"{args.scp}: no images")
        clean = torch.stack([read_image(Path(path), shape)[0] for path in paths])
        rows = denoising_rows(prior, clean, tuple(args.sigmas), args.seed)
    except (ImageInputError, ValueError, OSError) as error:
        print(f"mgdm image-denoising: error: {error}", file=sys.stderr)
        return 1
    if args.json is not None:
        with atomic_path(args.json) as temporary:
            Path(temporary).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(f"{len(clean)} images of {args.scp}, noise seed {args.seed}:\n{denoising_table(rows)}")
    return 0
