"""``mgdm train-prior``: train a multi-source waveform prior on a Kaldi data directory."""
from __future__ import annotations

import argparse
import sys

from ..corpora.kaldi import DataDirError
from ..nets import EDMDenoiser, UNet1d
from ..priors.music import DEFAULT_STEMS, MultiSourcePrior
from ..training import TrainSettings, architecture, train_prior
from ..training.hardware import describe_device, resolve_device
from .prepare_synth4 import DEFAULT_SAMPLE_RATE


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train-prior", help="train a multi-source waveform prior (EDM UNet1d) on a data dir",
        description="Train a multi-source waveform prior: an EDM denoiser (UNet1d) over the stems spk1..spkS "
                    "of a Kaldi data dir, stacked as channels, on random aligned mono chunks. Writes "
                    "OUT_DIR/checkpoint.pt, OUT_DIR/train_log.csv and, at the end, the prior in OUT_DIR/prior. "
                    "Rerunning with the same options resumes from the checkpoint; a larger --steps continues "
                    "a finished run. Defaults: the REFERENCE §9 architecture and optimisation.")
    add = parser.add_argument
    add("data_dir", metavar="DATA_DIR", help="Kaldi data dir (wav.scp, spk1.scp … spkS.scp)")
    add("out_dir", metavar="OUT_DIR", help="output directory (checkpoint, log, prior/)")
    defaults = TrainSettings()
    add("--steps", type=int, default=defaults.steps, help="optimisation steps in all (default: %(default)s)")
    add("--batch-size", type=int, default=defaults.batch_size, help="examples per step (default: %(default)s)")
    add("--segment-seconds", type=float, default=1.5,
        help="chunk length, rounded to the nearest multiple of the UNet's length multiple (default: %(default)s)")
    add("--sample-rate", type=int, default=DEFAULT_SAMPLE_RATE,
        help="Hz; every file of the data dir must have it (default: %(default)s)")
    add("--stems", nargs="+", default=list(DEFAULT_STEMS),
        help="stem names, in the order of spk1.scp … (default: %(default)s)")
    add("--channels", type=int, default=architecture.CHANNELS, help="UNet width (default: %(default)s)")
    add("--patch-factor", type=int, default=architecture.PATCH_FACTOR, help="(default: %(default)s)")
    add("--multipliers", type=int, nargs="+", default=list(architecture.MULTIPLIERS),
        help="channel multiplier per level, one more than --factors (default: %(default)s)")
    add("--factors", type=int, nargs="+", default=list(architecture.FACTORS),
        help="downsampling factor per level (default: %(default)s)")
    add("--blocks", type=int, default=architecture.BLOCKS, help="resnet blocks per level (default: %(default)s)")
    add("--attention-levels", type=int, default=architecture.ATTENTION_LEVELS,
        help="attention on this many last levels (default: %(default)s)")
    add("--attention-heads", type=int, default=architecture.ATTENTION_HEADS, help="(default: %(default)s)")
    add("--attention-features", type=int, default=architecture.ATTENTION_FEATURES,
        help="features per head (default: %(default)s)")
    add("--resnet-groups", type=int, default=architecture.RESNET_GROUPS,
        help="GroupNorm groups; must divide the channels of every level (default: %(default)s)")
    add("--sigma-data", type=float, default=0.2, help="EDM σ_data (default: %(default)s, as MSDM)")
    add("--lr", type=float, default=defaults.lr, help="Adam learning rate (default: %(default)s)")
    add("--checkpoint-every", type=int, default=defaults.checkpoint_every,
        help="steps between checkpoints (default: %(default)s)")
    add("--seed", type=int, default=defaults.seed, help="(default: %(default)s)")
    add("--device", default="auto", help="auto (CUDA when available), cpu, cuda, cuda:N (default: %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the prior from the options, train it, print a summary. Returns the exit status."""
    try:
        device = resolve_device(args.device)
        settings = TrainSettings(steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                                 checkpoint_every=args.checkpoint_every, seed=args.seed)
        net = UNet1d(**architecture.unet_config(
            len(args.stems), channels=args.channels, patch_factor=args.patch_factor, multipliers=args.multipliers,
            factors=args.factors, blocks=args.blocks, attention_levels=args.attention_levels,
            attention_heads=args.attention_heads, attention_features=args.attention_features,
            resnet_groups=args.resnet_groups))
        multiple = net.length_multiple
        segment_length = max(1, round(args.segment_seconds * args.sample_rate / multiple)) * multiple
        prior = MultiSourcePrior(EDMDenoiser(net, sigma_data=args.sigma_data), args.sample_rate, segment_length,
                                 args.stems)
        print(f"prior: {sum(p.numel() for p in net.parameters()) / 1e6:.2f} M parameters, stems "
              f"{', '.join(prior.stems)}, segment {segment_length} samples "
              f"({segment_length / args.sample_rate:.3f} s at {args.sample_rate} Hz); {describe_device(device)}")
        result = train_prior(prior, args.data_dir, args.out_dir, settings, device)
    except (DataDirError, ValueError, OSError) as error:
        print(f"mgdm train-prior: error: {error}", file=sys.stderr)
        return 1
    facts = result.facts
    resumed = f", resumed at step {result.start_step}" if result.start_step else ""
    print(f"data: {facts.data_utterances} utterances, {facts.data_hours:.2f} h; {settings.steps} steps{resumed}; final loss (mean of the last {facts.final_loss_steps} steps) "
          f"{facts.final_loss:.4f}; {facts.seconds / 60:.1f} min training; prior written to {result.prior_dir}")
    return 0
