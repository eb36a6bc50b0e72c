"""Training throughput with 1 and N data-parallel processes: examples per second of ``mgdm train-prior`` and
``mgdm train-separator`` at their default networks, launched alone and by ``torchrun`` (gloo on the CPU, NCCL on
GPUs), each process with one math thread; optionally bf16 autocast on a GPU.

    python benchmarks/training_throughput.py examples/data --processes 1 2 --steps 30 --device cpu
    python benchmarks/training_throughput.py DATA --processes 1 --device cuda --precision fp32 bf16

Throughput is the global batch times the steps after the first ``--warmup`` ones, over the seconds the run's
train_log.csv records for them (start-up and the first steps left out). Prints one row per (trainer, processes,
precision) with the ratio to the first row of its trainer. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

TRAINERS = ("train-prior", "train-separator")


def throughput(trainer: str, data: Path, processes: int, args: argparse.Namespace, precision: str) -> float:
    """Examples per second of one run (see the module doc)."""
    mgdm = str(Path(sys.executable).with_name("mgdm"))
    with tempfile.TemporaryDirectory() as out:
        options = [trainer, str(data), out, "--steps", str(args.steps), "--batch-size", str(args.batch_size)]
        options += ["--device", args.device, "--precision", precision, "--workers", str(args.workers)]
        if processes > 1:
            launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}"]
            command = [*launcher, "--no-python", mgdm, *options]
        else:
            command = [mgdm, *options]
        environment = {**os.environ, "OMP_NUM_THREADS": "1"}
        subprocess.run(command, check=True, capture_output=True, env=environment)
        with open(Path(out) / "train_log.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
    first, last = rows[args.warmup - 1], rows[-1]
    steps = int(last["step"]) - int(first["step"])
    return steps * args.batch_size / (float(last["seconds"]) - float(first["seconds"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="a Kaldi data dir of 4 stems at 22,050 Hz (e.g. examples/data)")
    parser.add_argument("--trainers", nargs="+", choices=TRAINERS, default=list(TRAINERS))
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--precision", nargs="+", default=["fp32"], help="fp32 and/or bf16 (GPUs)")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5, help="first steps left out of the timing")
    parser.add_argument("--batch-size", type=int, default=8, help="global batch (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    print(f"{args.data}: batch {args.batch_size}, {args.steps} steps ({args.warmup} left out), device {args.device}\n")
    print("| trainer | processes | precision | examples / s | × first row |")
    print("|---|---|---|---|---|")
    for trainer in args.trainers:
        reference = None
        for processes in args.processes:
            for precision in args.precision:
                rate = throughput(trainer, args.data, processes, args, precision)
                reference = reference or rate
                print(f"| {trainer} | {processes} | {precision} | {rate:.2f} | {rate / reference:.2f} |", flush=True)


if __name__ == "__main__":
    main()
