"""``mgdm train-separator``: train a discriminative stem separator (Conv-TasNet) on a Kaldi data directory."""

from __future__ import annotations

import argparse
import sys

import torch

from mgdm_audio.audio.corpora.kaldi import DataDirError
from mgdm_audio.audio.nets.spectral_mask import SpectralMask
from mgdm_audio.audio.nets.tasnet import ConvTasNet
from mgdm_audio.audio.separators.loading import load as load_separator
from mgdm_audio.audio.separators.loading import resolve
from mgdm_audio.audio.separators.model import MixtureSeparator
from mgdm_audio.audio.training.distributed import join, leave
from mgdm_audio.audio.training.separator_trainer import REMIX_PROBABILITY, train_separator
from mgdm_audio.audio.training.settings import TrainSettings
from mgdm_audio.common.hardware import describe_device

from .sampler_options import parse_number
from .train_prior import summary
from .training_options import add_training_options, export, say, segment_length, training_settings

#: Defaults of a separator run (the embedded separator's): a larger learning rate than the prior's, warm-up,
#: averaged weights.
DEFAULTS = TrainSettings(steps=4000, batch_size=4, lr=1e-3, warmup_steps=100, ema_decay=0.999)

#: Networks a separator can be, with their default settings (override single ones with --net NAME=VALUE).
#: conv-tasnet: torchaudio's Conv-TasNet defaults but for a 32-sample encoder (stride 16, 1,378 frames/s at
#: 22,050 Hz), which halves the cost of a step against the 16-sample one (measured: 4.9 s against 9.7 s per step
#: of 4 × 1.49 s on one thread). spectral-mask: masks on a 1,024-point STFT (86 frames/s), about 12× less
#: computation per second of audio. Measured on synth4 (held-out 6 s excerpts, SI-SDRi over the 4 stems, raw
#: weights): conv-tasnet +1.6 dB after 22 min (300 steps), +3.6 dB after 52 min (700 steps); spectral-mask
#: −2.4 dB after 8 min and −3.4 dB after 16 min (400 steps of 16 × 3 s; guitar and piano below −9 dB).
ARCHITECTURES = {
    "conv-tasnet": (
        ConvTasNet,
        dict(
            enc_kernel_size=32,
            enc_num_feats=256,
            msk_num_feats=128,
            msk_num_hidden_feats=256,
            msk_num_layers=8,
            msk_num_stacks=3,
        ),
    ),
    "spectral-mask": (
        SpectralMask,
        dict(n_fft=1024, hop_length=256, channels=256, num_blocks=8, kernel_size=3, dilation_cycle=4),
    ),
}
DEFAULT_ARCHITECTURE = "conv-tasnet"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train-separator",
        help="train a discriminative stem separator on a data dir",
        description="Train a discriminative separator, mixture → stems spk1..spkS of a Kaldi data dir, on random "
        "mono chunks (half of them remixed across tracks) with a thresholded SNR loss. Writes "
        "OUT_DIR/checkpoint.pt, OUT_DIR/train_log.csv and, at the end, OUT_DIR/separator. Rerunning "
        "with the same options resumes from the checkpoint.",
    )
    add_training_options(parser, "separator", DEFAULTS)
    add = parser.add_argument
    add(
        "--remix-probability",
        type=float,
        default=REMIX_PROBABILITY,
        help="share of examples whose stems come from different tracks (default: %(default)s)",
    )
    add(
        "--architecture",
        choices=list(ARCHITECTURES),
        default=DEFAULT_ARCHITECTURE,
        help="the network; its defaults: "
        + "; ".join(f"{name}: {defaults}" for name, (_, defaults) in ARCHITECTURES.items())
        + " (default: %(default)s)",
    )
    add(
        "--net",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="one setting of the network, e.g. --net channels=128 (repeatable)",
    )
    add(
        "--init",
        metavar="SEPARATOR",
        help="start from the weights of this separator ('default' or a directory): a fine-tune; its network, "
        "segment length and stems are used and --architecture, --net and --segment-seconds are ignored",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.export:
        return export(args, "train-separator")
    try:
        device = join(args.device)
        settings = training_settings(args, device)
        torch.manual_seed(settings.seed)  # the initial weights too: one --seed, one separator
        if args.init:
            separator = load_separator(args.init)
            if tuple(args.stems) != separator.stems:
                raise ValueError(
                    f"--init {args.init}: its stems are {', '.join(separator.stems)}, not {', '.join(args.stems)}"
                )
        else:
            net = build_net(args.architecture, len(args.stems), args.net)
            length = segment_length(args.segment_seconds, args.sample_rate, 1)
            separator = MixtureSeparator(net, args.sample_rate, length, args.stems)
        say(
            f"separator: {sum(p.numel() for p in separator.net.parameters()) / 1e6:.2f} M parameters, stems "
            f"{', '.join(separator.stems)}, segment {separator.segment_length} samples; {describe_device(device)}"
        )
        result = train_separator(
            separator,
            args.data_dir,
            args.out_dir,
            settings,
            device,
            valid_dir=args.valid_dir,
            remix_probability=args.remix_probability,
            init_name=str(resolve(args.init).resolve()) if args.init else None,
        )
    except (DataDirError, ValueError, OSError) as error:
        print(f"mgdm train-separator: error: {error}", file=sys.stderr)
        return 1
    finally:
        leave()
    if result.model_dir is not None:  # the process that wrote the separator reports
        print(summary(result, settings.steps, "separator"))
    return 0


def build_net(architecture: str, num_sources: int, items: list[str]):
    """The network of ``architecture`` with its defaults, each overridable by a NAME=VALUE item (numbers)."""
    cls, defaults = ARCHITECTURES[architecture]
    settings = dict(defaults)
    for item in items:
        name, equals, value = item.partition("=")
        if not equals or name not in defaults:
            raise ValueError(f"--net {item}: expected NAME=VALUE with NAME one of {', '.join(defaults)}")
        settings[name] = parse_number(value)
        if isinstance(settings[name], str):
            raise ValueError(f"--net {item}: the value must be a number")
    return cls(num_sources, **settings)
