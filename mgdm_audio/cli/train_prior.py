"""``mgdm train-prior``: train a multi-source waveform prior on a Kaldi data directory."""

from __future__ import annotations

import argparse
import sys

import torch

from mgdm_audio.audio.corpora.kaldi import DataDirError
from mgdm_audio.audio.nets import EDMDenoiser, UNet1d
from mgdm_audio.audio.priors.music import MultiSourcePrior
from mgdm_audio.audio.training import architecture, train_prior
from mgdm_audio.audio.training.data import StemChunks
from mgdm_audio.audio.training.distributed import join, leave
from mgdm_audio.common.hardware import describe_device
from mgdm_audio.core.priors.loading import load as load_prior
from mgdm_audio.core.priors.loading import resolve

from .training_options import add_training_options, export, say, segment_length, training_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train-prior",
        help="train a multi-source waveform prior (EDM UNet1d) on a data dir",
        description="Train a multi-source waveform prior: an EDM denoiser (UNet1d) over the stems spk1..spkS "
        "of a Kaldi data dir, stacked as channels, on random aligned mono chunks. Writes "
        "OUT_DIR/checkpoint.pt, OUT_DIR/train_log.csv and, at the end, the prior in OUT_DIR/prior. "
        "Rerunning with the same options resumes from the checkpoint; a larger --steps continues "
        "a finished run. Defaults: the architecture and optimisation of docs/method.md#embedded-prior.",
    )
    add_training_options(parser, "prior")
    add = parser.add_argument
    add(
        "--init",
        metavar="PRIOR",
        help="start from the weights of this prior ('default' or a directory); its network and σ_data are used "
        "and the architecture options are ignored",
    )
    add("--channels", type=int, default=architecture.CHANNELS, help="UNet width (default: %(default)s)")
    add("--patch-factor", type=int, default=architecture.PATCH_FACTOR, help="(default: %(default)s)")
    add(
        "--multipliers",
        type=int,
        nargs="+",
        default=list(architecture.MULTIPLIERS),
        help="channel multiplier per level, one more than --factors (default: %(default)s)",
    )
    add(
        "--factors",
        type=int,
        nargs="+",
        default=list(architecture.FACTORS),
        help="downsampling factor per level (default: %(default)s)",
    )
    add("--blocks", type=int, default=architecture.BLOCKS, help="resnet blocks per level (default: %(default)s)")
    add(
        "--attention-levels",
        type=int,
        default=architecture.ATTENTION_LEVELS,
        help="attention on this many last levels (default: %(default)s)",
    )
    add("--attention-heads", type=int, default=architecture.ATTENTION_HEADS, help="(default: %(default)s)")
    add(
        "--attention-features",
        type=int,
        default=architecture.ATTENTION_FEATURES,
        help="features per head (default: %(default)s)",
    )
    add(
        "--resnet-groups",
        type=int,
        default=architecture.RESNET_GROUPS,
        help="GroupNorm groups; must divide the channels of every level (default: %(default)s)",
    )
    add(
        "--sigma-data",
        type=_sigma_data,
        default=None,
        help="EDM σ_data: a number, or 'auto' for the training stems' RMS (default: that of --init, else auto; from "
        "scratch, auto denoised about 3-5 dB better than MSDM's 0.2 after 400 steps on synth4, whose stems' RMS is "
        "0.053: benchmarks/results/prior_training.md)",
    )
    add(
        "--log-sigma-mean",
        type=float,
        default=-3.0,
        help="training noise levels: ln σ ~ N(mean, std²) (default: %(default)s, as MSDM)",
    )
    add("--log-sigma-std", type=float, default=1.0, help="(default: %(default)s, as MSDM)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the prior from the options, train it, print a summary. Returns the exit status."""
    if args.export:
        return export(args, "train-prior")
    try:
        device = join(args.device)
        settings = training_settings(args, device)
        init = load_prior(args.init) if args.init else None
        if init is not None and tuple(args.stems) != init.stems:
            raise ValueError(f"--init {args.init}: its stems are {', '.join(init.stems)}, not {', '.join(args.stems)}")
        torch.manual_seed(settings.seed)  # the initial weights too: one --seed, one prior (killed and resumed or not)
        net = UNet1d(
            **(
                init.denoiser.net.config
                if init is not None
                else architecture.unet_config(
                    len(args.stems),
                    channels=args.channels,
                    patch_factor=args.patch_factor,
                    multipliers=args.multipliers,
                    factors=args.factors,
                    blocks=args.blocks,
                    attention_levels=args.attention_levels,
                    attention_heads=args.attention_heads,
                    attention_features=args.attention_features,
                    resnet_groups=args.resnet_groups,
                )
            )
        )
        length = segment_length(args.segment_seconds, args.sample_rate, net.length_multiple)
        denoiser = EDMDenoiser(
            net,
            sigma_data=_resolve_sigma_data(args, init, length),
            log_sigma_mean=args.log_sigma_mean,
            log_sigma_std=args.log_sigma_std,
        )
        prior = MultiSourcePrior(denoiser, args.sample_rate, length, args.stems)
        say(
            f"prior: {sum(p.numel() for p in net.parameters()) / 1e6:.2f} M parameters, stems "
            f"{', '.join(prior.stems)}, segment {length} samples "
            f"({length / args.sample_rate:.3f} s at {args.sample_rate} Hz); {describe_device(device)}"
        )
        result = train_prior(
            prior,
            args.data_dir,
            args.out_dir,
            settings,
            device,
            valid_dir=args.valid_dir,
            init_from=init,
            init_name=str(resolve(args.init).resolve()) if init is not None else None,
        )
    except (DataDirError, ValueError, OSError) as error:
        print(f"mgdm train-prior: error: {error}", file=sys.stderr)
        return 1
    finally:
        leave()
    if result.model_dir is not None:  # the process that wrote the prior reports
        print(summary(result, settings.steps, "prior"))
    return 0


def _sigma_data(text: str) -> float | str:
    if text == "auto":
        return text
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"σ_data must be positive or 'auto', not {text}")
    return value


def _resolve_sigma_data(args: argparse.Namespace, init: MultiSourcePrior | None, length: int) -> float:
    """--sigma-data as a number: 'auto' (or unset without --init) measures the training stems (rounded to 3
    decimals, so the config reads plainly); unset with --init keeps its σ_data."""
    if args.sigma_data is None and init is not None:
        return init.denoiser.sigma_data
    if args.sigma_data in ("auto", None):
        chunks = StemChunks(args.data_dir, len(args.stems), length, args.sample_rate, tuple(args.stems))
        return round(chunks.standard_deviation(), 3)
    return args.sigma_data


def summary(result, steps: int, what: str) -> str:
    """The closing line of a training command."""
    facts = result.facts
    resumed = f", resumed at step {result.start_step}" if result.start_step else ""
    return (
        f"data: {facts.data_utterances} utterances, {facts.data_hours:.2f} h; {steps} steps{resumed}; final loss "
        f"(mean of the last {facts.final_loss_steps} steps) {facts.final_loss:.4f}; {facts.seconds / 60:.1f} min "
        f"training; {what} written to {result.model_dir}"
    )
