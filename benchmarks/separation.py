"""Separation benchmark: quality at stated denoiser-call budgets, real-time factor, peak memory.

Every measurement runs the ``mgdm separate`` command line in child processes (one math thread each,
``--jobs`` of them side by side), as a user would, so wall time and peak resident memory (the largest
child's ``ru_maxrss``) are those of real runs.

quality: separates every mixture of a data dir (e.g. synth4 test chunks made by
``mgdm chunk-data-dir``) once per RUN, scores it with ``mgdm score`` (MSDM
protocol, SI-SDRi), and prints per run: sampler settings, denoiser calls per second of audio (forward,
forward+backward, and their cost in forward-equivalents, a forward+backward counted as 3 forwards),
real-time factor and SI-SDRi per stem (mean ± 95 % CI). A RUN is ``LABEL=SAMPLER [mgdm separate
options]``; runs are resumable (``--resume``), so an interrupted benchmark continues.

    python benchmarks/separation.py quality DATA_DIR --out exp/bench_separation --jobs 2 \\
        --run "mgdm R=2=mgdm --gibbs-reps 2" --run "dirac=dirac" --run "dps 500=dps --steps 500"

``--paired-against LABEL`` adds, per run, All's SI-SDRi minus run LABEL's, paired over the same windows, with a
95 % interval; ``--museval`` adds museval's
SDR (median over tracks of the per-track median over 1 s frames, mean over stems).

memory: separates mixtures of 10, 60 and 300 s (the example mixtures tiled) with one cheap setting and
prints peak resident memory and wall time per length: memory must not grow with the input's length.

    python benchmarks/separation.py memory --seconds 10 60 300 --sampler-options "--sampler dirac --steps 4"
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from mgdm_audio.audio.corpora.kaldi import read_data_dir
from mgdm_audio.audio.evaluation.score import WINDOWS_FILE, score_separation
from mgdm_audio.core.priors.loading import resolve
from mgdm_audio.core.samplers.base import FORWARDS_PER_BACKWARD
from mgdm_audio.samplers import sampler_names

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
#: SI-SDRi windows longer than any file: each file is scored whole, as one window.
WHOLE_FILES = dict(window_s=1e6, hop_s=1e6)


@dataclass(frozen=True)
class ChildRun:
    """A finished child process: wall seconds and peak resident memory (MiB)."""

    seconds: float
    peak_mib: float


def run_children(commands: list[list[str]], logs: list[Path]) -> ChildRun:
    """Run ``commands`` at once (one math thread each), output in ``logs``; raise with a log's tail when one
    fails. Returns the wall seconds of the whole and the largest child's peak memory."""
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}  # parallel children with all cores each thrash
    started = time.perf_counter()
    processes = []
    for command, log in zip(commands, logs):
        with open(log, "w", encoding="utf-8") as output:
            processes.append(subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=environment))
    peak = 0.0
    failures = []
    for process, command, log in zip(processes, commands, logs):
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        peak = max(peak, usage.ru_maxrss / 1024)  # Linux reports KiB
        if process.returncode != 0:
            failures.append(
                f"{shlex.join(command)} failed ({process.returncode}); log {log}:\n"
                + log.read_text(encoding="utf-8", errors="replace")[-2000:]
            )
    if failures:
        raise RuntimeError("\n".join(failures))
    return ChildRun(time.perf_counter() - started, peak)


def separate_command(inputs: Path, out: Path, prior: str, options: list[str]) -> list[str]:
    return [
        str(Path(sys.executable).parent / "mgdm"),
        "separate",
        str(inputs),
        "-o",
        str(out),
        "--prior",
        prior,
        "--resume",
        *options,
    ]


def run_prior(options: list[str], default: str) -> str:
    """The prior a run's mgdm separate options choose (the last --prior, as argparse reads them), else ``default``."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--prior", default=default)
    return parser.parse_known_args(options)[0].prior


def parse_run(spec: str) -> tuple[str, list[str]]:
    """``LABEL=SAMPLER [options]`` → (label, mgdm separate options); the label ends at the first "=" followed by a
    sampler name (labels and options may hold "=" too)."""
    samplers = "|".join(map(re.escape, [*sampler_names(), "none"]))
    match = re.match(rf"^(.+?)=((?:{samplers})(?:\s.*)?)$", spec, re.S)
    if not match:
        raise SystemExit(f"error: --run {spec!r}: expected LABEL=SAMPLER [mgdm separate options]")
    words = shlex.split(match.group(2))
    return match.group(1), ["--sampler", words[0], *words[1:]]


def link_mixtures(data_dir: str, folder: Path, jobs: int) -> tuple[list[str], list[Path]]:
    """Links ``folder/<job>/<utt>.<ext>`` → each mixture of ``data_dir`` (tracks are named by utterance id),
    the utterances dealt round-robin over ``jobs`` folders. Returns the utterance ids and the folders."""
    data = read_data_dir(data_dir)
    folders = [folder / str(job) for job in range(min(jobs, len(data.utt_ids)))]
    for index, utt in enumerate(data.utt_ids):
        path = data.mixtures[utt]
        link = folders[index % len(folders)] / f"{utt}{Path(path).suffix}"
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(Path(path).resolve())
    return data.utt_ids, folders


def run_costs(separations: Path, utts: list[str]) -> dict[str, float]:
    """Denoiser calls and sampler seconds summed over the tracks' ``separation.json``, and audio seconds."""
    forward = backward = seconds = audio = 0.0
    for utt in utts:
        record = json.loads((separations / utt / "separation.json").read_text(encoding="utf-8"))
        for segment in record["segments"]:
            forward += segment["denoiser_calls"]["forward"]
            backward += segment["denoiser_calls"]["forward_backward"]
            seconds += segment["seconds"]
        audio += record["output_frames"] / record["output_sample_rate"]
    return dict(forward=forward, forward_backward=backward, seconds=seconds, audio_seconds=audio)


def quality(args: argparse.Namespace) -> None:
    out = Path(args.out)
    utts, inputs = link_mixtures(args.data_dir, out / f"mixtures{args.jobs}", args.jobs)
    header = "| run | sampler options | fwd / s audio | fwd+bwd / s audio | cost (fwd-eq) / s | RTF |"
    rows = []
    stems: list[str] = []
    for spec in args.run:
        label, options = parse_run(spec)
        folder = out / "runs" / label.replace(" ", "_").replace("/", "_")
        folder.mkdir(parents=True, exist_ok=True)
        child = run_children(
            [separate_command(job, folder, args.prior, options) for job in inputs],
            [folder / f"separate.{n}.log" for n in range(1, len(inputs) + 1)],
        )
        prior_name = resolve(run_prior(options, args.prior)).name  # mgdm separate writes under the prior's name
        costs = run_costs(folder / prior_name, utts)
        result = score_separation(
            args.data_dir,
            folder / prior_name,
            folder / "score",
            museval=args.museval,
            **(WHOLE_FILES if args.whole_files else {}),
        )
        per_audio = {key: costs[key] / costs["audio_seconds"] for key in ("forward", "forward_backward")}
        cost = per_audio["forward"] + FORWARDS_PER_BACKWARD * per_audio["forward_backward"]
        stems = [summary.stem for summary in result.summaries]
        scores = [f"{s.si_sdri_mean:+.2f} ± {s.si_sdri_ci95:.2f}" for s in result.summaries]
        extra = [f"{result.summaries[-1].museval_sdr_median:+.2f}"] if args.museval else []
        if args.paired_against:
            reference = out / "runs" / args.paired_against.replace(" ", "_").replace("/", "_") / "score"
            extra.append(paired_difference(folder / "score" / WINDOWS_FILE, reference / WINDOWS_FILE))
        rows.append(
            f"| {label} | `{shlex.join(options)}` | {per_audio['forward']:.0f} | "
            f"{per_audio['forward_backward']:.0f} | {cost:.0f} | {costs['seconds'] / costs['audio_seconds']:.2f} | "
            + " | ".join(scores + extra)
            + " |"
        )
        print(
            rows[-1],
            f"(wall {child.seconds:.0f} s with {len(inputs)} job(s), peak {child.peak_mib:.0f} MiB)",
            flush=True,
        )
    columns = [f" {stem} SI-SDRi (dB) |" for stem in stems]
    columns += [" museval SDR, All (dB) |"] if args.museval else []
    columns += [f" All − {args.paired_against} (dB, paired) |"] if args.paired_against else []
    table = "\n".join([header + "".join(columns), "|" + "---|" * (6 + len(columns)), *rows])
    text = (
        f"{len(utts)} mixtures of {args.data_dir}, prior {args.prior}; RTF = sampler seconds / audio seconds "
        f"on this machine; SI-SDRi mean ± 95 % CI over scored windows (MSDM protocol).\n\n{table}\n"
    )
    print("\n" + text)
    (out / "quality.md").write_text(text, encoding="utf-8")


def paired_difference(windows: Path, reference: Path) -> str:
    """All's SI-SDRi minus the reference run's, paired window by window: per stem, the mean difference over the
    windows where both scored it (the windows the headline averages); All, the mean of the stems' (as the
    headline's All), with the 95 % interval
    1.96·sqrt(Σ SE_k²)/S of :func:`mgdm_audio.audio.evaluation.summary.summarise_all`."""

    def scores(path: Path) -> dict[tuple[str, str, str], float]:
        with open(path, newline="", encoding="utf-8") as handle:
            return {
                (row["utt"], row["start_s"], row["stem"]): float(row["si_sdri"])
                for row in csv.DictReader(handle)
                if row["si_sdri"] not in ("", "nan")
            }

    run, base = scores(windows), scores(reference)
    stems = sorted({key[2] for key in run})
    means, errors = [], []
    for stem in stems:
        differences = np.array([run[key] - base[key] for key in run if key[2] == stem and key in base])
        if len(differences) < 2:
            return "n/a"
        means.append(differences.mean())
        errors.append(differences.std(ddof=1) / np.sqrt(len(differences)))
    return f"{np.mean(means):+.2f} ± {1.96 * np.sqrt(np.sum(np.square(errors))) / len(stems):.2f}"


def tiled_mixture(seconds: float, path: Path) -> None:
    """A mono WAV of ``seconds`` s: the example mixtures, concatenated and repeated."""
    pieces, rates = zip(*(soundfile.read(p, dtype="float32") for p in sorted(EXAMPLES.glob("*.wav"))))
    rate = rates[0]
    audio = np.concatenate(pieces)
    frames = round(seconds * rate)
    soundfile.write(path, np.resize(audio, frames), rate, subtype="FLOAT")


def memory(args: argparse.Namespace) -> None:
    options = shlex.split(args.sampler_options)
    print(f"mgdm separate {args.sampler_options}, prior {args.prior}\n")
    print("| input (s) | peak RSS (MiB) | wall (s) | wall / audio s |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        for seconds in args.seconds:
            folder = Path(scratch) / f"in{seconds:g}"
            folder.mkdir()
            tiled_mixture(seconds, folder / f"mix{seconds:g}s.wav")
            child = run_children(
                [separate_command(folder, Path(scratch) / "out", args.prior, options)],
                [Path(scratch) / f"log{seconds:g}"],
            )
            print(
                f"| {seconds:g} | {child.peak_mib:.0f} | {child.seconds:.1f} | {child.seconds / seconds:.2f} |",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    q = commands.add_parser("quality", help="SI-SDRi, denoiser calls and RTF per run")
    q.add_argument("data_dir")
    q.add_argument("--out", required=True, help="working folder (separations, scores, quality.md)")
    q.add_argument("--prior", default="default")
    q.add_argument("--run", action="append", required=True, help="LABEL=SAMPLER [mgdm separate options]")
    q.add_argument(
        "--whole-files",
        action="store_true",
        help="score each file as one SI-SDRi window (for chunks shorter than the protocol's 4 s windows)",
    )
    q.add_argument("--jobs", type=int, default=1, help="mgdm separate processes per run, one thread each")
    q.add_argument("--museval", action="store_true", help="also score museval SDR (slow)")
    q.add_argument(
        "--paired-against",
        metavar="LABEL",
        help="a run (of this or an earlier call, same --out) to compare every run with, window by window",
    )
    q.set_defaults(func=quality)
    m = commands.add_parser("memory", help="peak memory against input length")
    m.add_argument("--seconds", type=float, nargs="+", default=[10, 60, 300])
    m.add_argument("--prior", default="default")
    m.add_argument("--sampler-options", default="--sampler dirac --steps 4")
    m.set_defaults(func=memory)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
