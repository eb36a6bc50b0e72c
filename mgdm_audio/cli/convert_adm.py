"""``mgdm convert-adm``: a guided-diffusion ADM ``.pt`` checkpoint → a prior directory (safetensors + JSON)."""

from __future__ import annotations

import argparse
import sys

from mgdm_audio.image.nets.adm import ADM_PRESETS, GUIDED_DIFFUSION_DEFAULTS
from mgdm_audio.image.priors.adm_checkpoint import convert, resolve_flags, verify


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert-adm",
        help="convert a guided-diffusion (ADM) .pt checkpoint into a prior directory",
        description="Convert the guided-diffusion UNetModel state dict CKPT (e.g. DPS's ffhq_10m.pt or "
        "256x256_diffusion_uncond.pt) into OUT_DIR (config.json + model.safetensors + MODEL_CARD.md), "
        "which --prior OUT_DIR then loads. The checkpoint holds no architecture: --model names the "
        "guided-diffusion flags it was trained with, --flag overrides one. It is read with "
        "torch.load(weights_only=True) (tensors only, no code runs). The converted prior is checked "
        "against the checkpoint (bit-exact), and against guided-diffusion's UNetModel when its "
        "guided_diffusion package is importable.",
    )
    add = parser.add_argument
    add("checkpoint", metavar="CKPT", help="guided-diffusion .pt state dict")
    add("out_dir", metavar="OUT_DIR", help="prior directory to write")
    add(
        "--model",
        required=True,
        choices=sorted(ADM_PRESETS),
        help="the released model's flags: ffhq256 (DPS ffhq_10m.pt), imagenet256_uncond (256x256_diffusion_uncond.pt)",
    )
    add(
        "--flag",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        type=_flag,
        help="override one guided-diffusion flag, e.g. num_channels=256 (repeatable)",
    )
    add(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="skip the check of the converted directory (it needs memory for three copies of the network)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        overrides = dict(args.flag)
        directory, prior = convert(args.checkpoint, args.out_dir, args.model, overrides)
        shape = "x".join(map(str, prior.event_shape))
        print(
            f"wrote ADM prior {directory}: images {shape}, {prior.diffusion_steps}-step {prior.noise_schedule} "
            f"schedule, {sum(p.numel() for p in prior.parameters()) / 1e6:.1f} M parameters"
        )
        if args.verify:
            check = verify(directory, prior, resolve_flags(args.model, overrides))
            oracle = check["oracle_max_abs_diff"]
            print(
                "verified: the reloaded prior's ε equals the checkpoint's exactly; "
                + (
                    "guided_diffusion not importable, its UNetModel not compared"
                    if oracle is None
                    else "guided-diffusion's UNetModel gives the same ε "
                    + ("exactly" if oracle == 0 else f"within {oracle:.2g}")
                )
            )
    except (ValueError, OSError) as error:  # CheckpointError is a ValueError
        print(f"mgdm convert-adm: error: {error}", file=sys.stderr)
        return 1
    return 0


def _flag(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` → (NAME, VALUE typed as guided-diffusion's default for NAME)."""
    name, separator, value = text.partition("=")
    if not separator or name not in GUIDED_DIFFUSION_DEFAULTS:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE with NAME a guided-diffusion flag, got {text!r}")
    default = GUIDED_DIFFUSION_DEFAULTS[name]
    if isinstance(default, bool):
        if value not in ("True", "False", "true", "false"):
            raise argparse.ArgumentTypeError(f"{name} takes True or False, got {value!r}")
        return name, value.lower() == "true"
    try:
        return name, type(default)(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name} takes a {type(default).__name__}, got {value!r}") from None
