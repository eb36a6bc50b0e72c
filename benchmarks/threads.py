"""How many math threads ``mgdm separate`` should use: wall time with 1 and N threads, on an idle machine and beside
busy processes (each a one-thread torch matrix product loop, as a training run or a second separation is).

    python benchmarks/threads.py examples/synth4-test-00000.wav --threads 1 2 --busy 0 1

Run it on an otherwise idle machine: it measures the machine's contention, not the code. Prints one row per
(busy processes, threads) with wall seconds, real-time factor and the ratio to one thread.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile

#: A busy neighbour: one thread of float32 matrix products, forever.
BUSY = "import torch; torch.set_num_threads(1); a = torch.randn(512, 512)\nwhile True: a = (a @ a).tanh()"


def run(mixture: Path, threads: int, options: list[str]) -> float:
    """Wall seconds of one ``mgdm separate`` of ``mixture`` with ``threads`` math threads."""
    with tempfile.TemporaryDirectory() as out:
        mgdm = Path(sys.executable).with_name("mgdm")  # the environment's own command
        command = [str(mgdm), "separate", str(mixture), "-o", out, "--threads", str(threads), *options]
        environment = {name: value for name, value in os.environ.items() if name != "OMP_NUM_THREADS"}
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=environment)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mixture", type=Path)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--busy", type=int, nargs="+", default=[0, 1], help="numbers of busy processes beside it")
    parser.add_argument("--options", default="", help="more mgdm separate options, e.g. '--quality fast'")
    args = parser.parse_args()
    seconds = soundfile.info(args.mixture).duration
    print(f"{args.mixture} ({seconds:.1f} s), mgdm separate {args.options or '(defaults)'}\n")
    print("| busy processes | threads | wall s | RTF | × one thread |")
    print("|---|---|---|---|---|")
    for busy in args.busy:
        neighbours = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(busy)]
        try:
            time.sleep(2 if busy else 0)  # let the neighbours start
            walls = {threads: run(args.mixture, threads, args.options.split()) for threads in args.threads}
        finally:
            for process in neighbours:
                process.kill()
                process.wait()
        for threads, wall in walls.items():
            ratio = wall / walls[args.threads[0]]
            print(f"| {busy} | {threads} | {wall:.1f} | {wall / seconds:.2f} | {ratio:.2f} |", flush=True)


if __name__ == "__main__":
    main()
