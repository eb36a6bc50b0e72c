"""``mgdm convert-msdm``: MSDM / ISDM Lightning checkpoints → a prior directory (safetensors + JSON)."""

from __future__ import annotations

import argparse
import sys
import warnings

from mgdm_audio.audio.priors.msdm import SAMPLE_RATE, SEGMENT_LENGTH, convert, verify
from mgdm_audio.audio.priors.music import DEFAULT_STEMS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert-msdm",
        help="convert MSDM/ISDM .ckpt checkpoints into a prior directory",
        description="Convert the PyTorch-Lightning checkpoint CKPT of an MSDM prior (one network over the stems "
        "stacked as channels), or with --isdm one single-stem checkpoint per stem in --stems order, into "
        "OUT_DIR (config.json + model.safetensors + MODEL_CARD.md), which --prior OUT_DIR then loads "
        "without unpickling. Reading a .ckpt unpickles it (torch.load(weights_only=False)): convert only "
        "files from a source you trust. The converted prior is checked against the checkpoint "
        "(bit-exact), and against audio-diffusion-pytorch's denoise_fn when that package is installed.",
    )
    add = parser.add_argument
    add("checkpoints", nargs="+", metavar="CKPT", help="MSDM .ckpt; with --isdm one per stem")
    add("out_dir", metavar="OUT_DIR", help="prior directory to write")
    add("--isdm", action="store_true", help="the CKPTs are ISDM single-stem models, one per stem in --stems order")
    add("--stems", nargs="+", default=list(DEFAULT_STEMS), help="stem names in channel order (default: %(default)s)")
    add("--sample-rate", type=int, default=SAMPLE_RATE, help="Hz the models were trained at (default: %(default)s)")
    add(
        "--segment-length",
        type=int,
        default=SEGMENT_LENGTH,
        help="training chunk in samples, the default separation segment (default: %(default)s)",
    )
    add(
        "--no-verify",
        dest="verify",
        action="store_false",
        help="skip the check of the converted directory (it needs memory for two copies of the network)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.isdm and len(args.checkpoints) != len(args.stems):
        print(
            f"mgdm convert-msdm: error: --isdm needs one CKPT per stem ({', '.join(args.stems)}), "
            f"got {len(args.checkpoints)}",
            file=sys.stderr,
        )
        return 2
    with warnings.catch_warnings():
        warnings.simplefilter("always", UserWarning)
        warnings.showwarning = _print_warning
        try:
            directory, prior = convert(
                args.checkpoints,
                args.out_dir,
                isdm=args.isdm,
                sample_rate=args.sample_rate,
                segment_length=args.segment_length,
                stems=args.stems,
            )
            print(
                f"wrote {'ISDM' if args.isdm else 'MSDM'} prior {directory}: stems {', '.join(prior.stems)}, "
                f"{prior.sample_rate} Hz, {sum(p.numel() for p in prior.parameters()) / 1e6:.1f} M parameters"
            )
            if args.verify:
                check = verify(directory, prior)
                oracle = check["oracle_max_abs_diff"]
                print(
                    "verified: the reloaded denoiser equals the checkpoint's exactly; "
                    + (
                        "audio-diffusion-pytorch not installed, its denoise_fn not compared"
                        if oracle is None
                        else "audio-diffusion-pytorch's denoise_fn gives the same outputs "
                        + ("exactly" if oracle == 0 else f"within {oracle:.2g}")
                    )
                )
        except (ValueError, OSError) as error:  # CheckpointError is a ValueError
            print(f"mgdm convert-msdm: error: {error}", file=sys.stderr)
            return 1
    return 0


def _print_warning(message: Warning | str, *_: object) -> None:
    print(f"mgdm convert-msdm: warning: {message}", file=sys.stderr)
