"""What prior training buys per CPU-minute: candidates trained at an equal budget, denoising measured as they go.

Each candidate is ``NAME=<mgdm train-prior options>``, trained by ``mgdm train-prior`` (one thread) in
increments of ``--eval-steps`` steps up to ``--minutes`` of training time each (the time the run's checkpoint
records, so process starts and evaluations are not counted). After every increment the checkpoint's prior
(its weight average when the run keeps one) denoises the same held-out chunks, and a row is printed: candidate,
step, CPU-minutes, median per-stem SDR of D(x_0 + σ ε, σ) at each σ. Runs resume: rerunning continues them.

    python benchmarks/prior_training.py /work/synth4/data/train /work/synth4/data/valid --out exp/prior_training \\
        --minutes 20 --eval-steps 200 \\
        --candidate "published=--init default --lr 1e-4" \\
        --candidate "wide σ=--init default --lr 1e-4 --log-sigma-mean -2 --log-sigma-std 1.5" \\
        --candidate "wide σ + EMA=--init default --lr 1e-4 --log-sigma-mean -2 --log-sigma-std 1.5 --ema-decay 0.999"

Candidates with other segment lengths are measured on chunks of the same length (``--chunk-length``).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

import torch

from mgdm_audio.audio.training.checkpoint import CHECKPOINT_FILE
from mgdm_audio.audio.training.denoising import denoising, random_chunks
from mgdm_audio.audio.training.snapshot import export_checkpoint
from mgdm_audio.priors import load

SIGMAS = (0.1, 0.3, 1.0)


def train_to(step: int, options: list[str], data_dir: str, out: Path) -> None:
    command = [
        str(Path(sys.executable).parent / "mgdm"),
        "train-prior",
        data_dir,
        str(out),
        "--steps",
        str(step),
        "--device",
        "cpu",
        "--checkpoint-every",
        str(step),
        *options,
    ]
    log = out.parent / f"{out.name}.log"
    with open(log, "a", encoding="utf-8") as handle:
        status = subprocess.run(
            command, stdout=handle, stderr=subprocess.STDOUT, env={**os.environ, "OMP_NUM_THREADS": "1"}
        ).returncode
    if status != 0:
        raise SystemExit(f"{shlex.join(command)} failed ({status}); see {log}")


def progress(run: Path) -> tuple[int, float]:
    """(step, training minutes) of ``run``'s checkpoint."""
    state = torch.load(run / CHECKPOINT_FILE, weights_only=True)
    return int(state["step"]), state["seconds"] / 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir")
    parser.add_argument("valid_dir", help="held-out data dir the denoising is measured on")
    parser.add_argument("--out", required=True)
    parser.add_argument("--candidate", action="append", required=True, help="NAME=<mgdm train-prior options>")
    parser.add_argument("--minutes", type=float, default=20.0, help="training time per candidate (default: 20)")
    parser.add_argument("--eval-steps", type=int, default=200, help="steps between measurements (default: 200)")
    parser.add_argument("--chunks", type=int, default=24, help="held-out chunks (default: 24)")
    parser.add_argument(
        "--chunk-length",
        type=int,
        help="their samples, the same for every candidate (default: the first candidate's segment)",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(
        "| candidate | step | CPU-min | " + " | ".join(f"SDR at σ = {sigma} (dB, per stem)" for sigma in SIGMAS) + " |"
    )
    print("|---|---|---|" + "---|" * len(SIGMAS), flush=True)
    clean = None
    for spec in args.candidate:
        name, _, rest = spec.partition("=")
        options = shlex.split(rest)
        run = out / name.replace(" ", "_").replace("/", "_")
        step, minutes = progress(run) if (run / CHECKPOINT_FILE).exists() else (0, 0.0)  # a rerun continues
        while minutes < args.minutes:
            step += args.eval_steps
            train_to(step, options, args.data_dir, run)
            snapshot, _ = export_checkpoint(run, run / "snapshot")
            prior = load(snapshot)
            minutes = progress(run)[1]
            if clean is None:
                clean = random_chunks(
                    args.valid_dir, len(prior.stems), args.chunk_length or prior.segment_length, args.chunks, 0
                )
            generator = torch.Generator().manual_seed(0)
            cells = [
                " / ".join(f"{float(v):+.1f}" for v in denoising(prior, clean, sigma, generator)[1]) for sigma in SIGMAS
            ]
            print(f"| {name} | {step} | {minutes:.1f} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
