"""``mgdm generate``: unconditional samples of a multi-source prior, written as WAV stems and their mix."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import soundfile
import torch

from mgdm_audio.common.atomic import atomic_path
from mgdm_audio.common.hardware import describe_device, resolve_device
from mgdm_audio.core.priors.loading import load, resolve
from mgdm_audio.core.samplers.ancestral import sample_prior


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="unconditional samples of a multi-source prior (WAV stems + mix)",
        description="Draw unconditional samples of a multi-source prior with the ancestral DDPM chain and "
        "write OUT_DIR/sample_<i>/<stem>.wav, OUT_DIR/sample_<i>/mix.wav (32-bit float WAV, "
        "not clipped: the mix of stems in [-1, 1] may exceed it) and OUT_DIR/generation.json.",
    )
    add = parser.add_argument
    add("--prior", default="default", help="'default' (the packaged prior) or a prior directory (default: %(default)s)")
    add("-n", "--num-samples", type=int, default=4, help="number of samples (default: %(default)s)")
    add(
        "--seconds",
        type=float,
        default=3.0,
        help="length; generated at the next multiple of the network's length multiple, then cut to this "
        "(default: %(default)s)",
    )
    add("--steps", type=int, default=100, help="grid points of the chain (default: %(default)s)")
    add("--eta", type=float, default=1.0, help="1: DDPM, 0: DDIM (default: %(default)s)")
    add("--seed", type=int, default=0, help="(default: %(default)s)")
    add("--device", default="auto", help="auto (CUDA when available), cpu, cuda, cuda:N (default: %(default)s)")
    add("-o", "--out", dest="out_dir", required=True, type=Path, help="output directory")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    timings = {}
    started = time.perf_counter()
    try:
        if args.num_samples < 1 or not args.seconds > 0:
            raise ValueError(f"need -n >= 1 and --seconds > 0, got {args.num_samples} and {args.seconds}")
        device = resolve_device(args.device)
        prior = load(args.prior, device)
        num_samples = max(1, round(args.seconds * prior.sample_rate))
        prior = prior.with_length(prior.valid_length(num_samples))
        timings["load_s"] = time.perf_counter() - started
        # A CPU generator: the same seed gives the same samples on every device.
        generator = torch.Generator().manual_seed(args.seed)
        started = time.perf_counter()
        stems = sample_prior(prior, args.num_samples, args.steps, generator, eta=args.eta, progress=True)
        timings["sample_s"] = time.perf_counter() - started
    except (ValueError, OSError) as error:
        print(f"mgdm generate: error: {error}", file=sys.stderr)
        return 1
    started = time.perf_counter()
    stems = stems[..., :num_samples].float().cpu().numpy()
    for index, sample in enumerate(stems):
        folder = args.out_dir / f"sample_{index}"
        folder.mkdir(parents=True, exist_ok=True)
        for name, audio in [*zip(prior.stems, sample), ("mix", sample.sum(axis=0))]:
            _write_wav(folder / f"{name}.wav", audio, prior.sample_rate)
    timings["write_s"] = time.perf_counter() - started
    record = dict(
        prior=str(resolve(args.prior).resolve()),
        seed=args.seed,
        num_samples=args.num_samples,
        seconds=args.seconds,
        samples_written=num_samples,
        samples_generated=prior.length,
        steps=args.steps,
        eta=args.eta,
        sample_rate=prior.sample_rate,
        stems=list(prior.stems),
        device=describe_device(device),
        peak_mix=float(np.abs(stems.sum(axis=1)).max()),
        timings={key: round(value, 3) for key, value in timings.items()},
    )
    with atomic_path(args.out_dir / "generation.json") as temporary:
        Path(temporary).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(
        f"wrote {args.num_samples} samples of {num_samples / prior.sample_rate:.2f} s to {args.out_dir} "
        f"({timings['sample_s']:.1f} s sampling on {record['device']})"
    )
    return 0


def _write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    """Mono float32 WAV, replaced atomically (the temporary keeps the .wav suffix soundfile reads the format from)."""
    with atomic_path(path) as temporary:
        soundfile.write(temporary, audio, sample_rate, subtype="FLOAT")
