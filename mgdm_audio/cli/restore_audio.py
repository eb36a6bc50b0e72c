"""``mgdm restore --task gaps|lowpass|clip|codec``: degrade clean music files with an audio task at a level and
restore them with the multi-source prior (the restored mixture and its stems)."""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from mgdm_audio.audio.operators.tasks import TASKS
from mgdm_audio.audio.restoration.pipeline import RestorationPipeline
from mgdm_audio.audio.restoration.settings import DEFAULTS, build_restoration_settings
from mgdm_audio.audio.separation.audio_io import expand_inputs

from .sampler_options import SAMPLER_FLAGS, sampler_overrides, set_overrides
from .separate import check_inputs

#: The audio tasks, in --help's words.
AUDIO_TASKS = {
    name: f"{description}, levels {', '.join(f'{level:g}' for level in levels)} {unit} (default {default:g})"
    for name, (description, levels, unit, default) in TASKS.items()
}


def add_audio_options(parser: argparse.ArgumentParser) -> None:
    """The options only audio tasks take."""
    add = parser.add_argument_group("audio tasks").add_argument
    add("--level", type=float, help="the audio task's level in its unit (default: the task's, see the tasks)")
    add("--separator", default="default", help="separator of the warm start: 'default' or a directory")
    add(
        "--init",
        choices=["separator", "none"],
        help="audio: start from the separator's estimate of the classical restoration (separator, the default) "
        "or from noise (none)",
    )
    add("--start-sigma", type=float, help=f"audio: noise level of the warm start (default: {DEFAULTS['start_sigma']})")
    add(
        "--inconsistent",
        action="store_true",
        help="audio: keep the draws as they are instead of making their sum consistent with the observation",
    )
    add("--segment", type=float, help="audio: model segment in seconds (default: the prior's)")
    add("--format", choices=["float32", "int16", "int24"], default="float32", help="audio: WAV sample format")
    add("--clip", choices=["rescale", "clamp", "none"], help="audio: outputs beyond ±1 (default: none for float32)")
    add("--force", action="store_true", help="audio: restore afresh, replacing what a track folder holds")


def run_audio(args: argparse.Namespace) -> int:
    """Degrade and restore each input file into OUT/<prior>/<task>_<level>/<track>/."""
    try:
        for name, flag in (("preset", "--preset"), ("batch_size", "--batch-size")):
            if getattr(args, name):
                raise ValueError(f"{flag} is an image-task option; audio tasks take --set NAME=VALUE for the sampler")
        sampler = args.sampler
        flags = {**SAMPLER_FLAGS, "zeta": "--zeta"}
        overrides = {**sampler_overrides(args, flags), **set_overrides(args.set, sampler)}
        settings = build_restoration_settings(
            args.task,
            args.level,
            args.separator,
            overrides,
            consistent=not args.inconsistent,
            sampler=sampler,
            init=args.init,
            start_sigma=args.start_sigma,
            num_samples=args.num_samples,
            sigma_y=args.sigma_y,
            seed=args.seed,
            segment_seconds=args.segment,
            format=args.format,
            clip=args.clip or ("none" if args.format == "float32" else "rescale"),
        )
        model = RestorationPipeline(prior=args.prior or "default", device=args.device, settings=settings)
    except (ValueError, OSError) as error:
        print(f"mgdm restore: error: {error}", file=sys.stderr)
        return 2
    level = f"{settings.level:g}"
    _notice(
        f"prior {model.prior_path}: stems {', '.join(model.stems)}, {model.sample_rate} Hz (outputs at this rate); "
        f"task {settings.task}: {TASKS[settings.task][0]} at {level} {TASKS[settings.task][2]}"
    )
    files, failures, notices = expand_inputs(args.inputs, False)
    for line in notices:
        _notice(line)
    root = args.out / model.prior_path.name / f"{settings.task}_{level}"
    tracks = check_inputs(model, files, root, failures)
    for line in failures:
        print(f"mgdm restore: error: {line}", file=sys.stderr)
    done = 0
    with tqdm(
        total=round(sum(info.seconds for info, _ in tracks), 2),
        unit="s",
        desc="restoring",
        disable=None,
        file=sys.stderr,
        bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} s audio [{elapsed}<{remaining}]",
    ) as bar:
        for info, folder in tracks:
            try:
                record = model.restore_file(info, folder, args.resume, bar.update, args.force)
            except (OSError, ValueError, RuntimeError) as error:
                failures.append(f"{info.path}: {error}")
                print(f"mgdm restore: error: {failures[-1]}", file=sys.stderr)
                continue
            done += 1
            if record is None:
                _notice(f"{info.path}: already restored in {folder} (--resume): skipped")
                bar.update(info.seconds)
                continue
            scores = record["scores"]
            _notice(
                f"{info.path}: SDR {scores['degraded']['sdr']:+.2f} dB degraded, {scores['restored']['sdr']:+.2f} dB "
                f"restored; RTF {record['real_time_factor']:.2f}"
            )
    print(f"restored {done} of {len(files)} file(s) into {root}" + (f"; {len(failures)} error(s)" if failures else ""))
    return 1 if failures else 0


def _notice(line: str) -> None:
    tqdm.write(f"mgdm restore: {line}", file=sys.stderr)
