"""``mgdm restore``: simulate an inverse problem on each input and restore it by posterior sampling: an image task
on images (here), an audio task on music files (:mod:`.restore_audio`); the task decides."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from mgdm_audio.audio.restoration.settings import DEFAULTS
from mgdm_audio.common.hardware import resolve_device
from mgdm_audio.core.priors.loading import load, resolve
from mgdm_audio.core.samplers.base import load_preset, preset_names
from mgdm_audio.image.operators import SIGMA_Y, TASKS, make_task
from mgdm_audio.image.restoration.batch import Job, restore_batch, resume_key
from mgdm_audio.image.restoration.image_io import ImageInputError, read_image
from mgdm_audio.image.restoration.outputs import is_finished
from mgdm_audio.image.restoration.restorer import RestoreSettings, make_restorer

from .restore_audio import AUDIO_TASKS, add_audio_options, run_audio
from .sampler_options import SAMPLER_FLAGS as COMMON_SAMPLER_FLAGS
from .sampler_options import add_set_option, sampler_overrides, set_overrides

#: Image files a folder input contributes.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")

#: Sampler options → the settings they set (only on samplers that have that setting).
SAMPLER_FLAGS = {**COMMON_SAMPLER_FLAGS, "zeta": "--zeta"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "restore",
        help="restore images or music from simulated degradations (inpainting, declipping, deblurring, …)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="The task decides what INPUT is.\n\nImage tasks: for each IMAGE (PNG or JPEG file, or a folder "
        "of them): fit it to the prior's resolution "
        "(a notice says when it is resized, cropped or converted), observe it through the task's "
        "forward model with Gaussian noise σ_y on the [−1, 1] scale, and sample the posterior. Writes "
        "OUT/<prior>/<task>/<image>/: input.png, observation.png, restored.png (the mean when "
        "-n > 1, with sample_<k>.png), grid.png and restore.json (settings, PSNR/SSIM against "
        "the input, timing). Images of one call are restored as one batch (--batch-size).\n"
        f"Tasks: {', '.join(TASKS)}.\n\n"
        "Audio tasks: for each music file (or folder of them), clean: resample it to the prior's rate, degrade it "
        "there and restore it, the task's operator acting on the sum of the prior's stems; the sampler starts "
        "from the separator's estimate of the classical restoration (Janssen's interpolation for gaps, A-SPADE "
        "for clipping, the degraded signal otherwise). Writes OUT/<prior>/<task>_<level>/<track>/: degraded.wav, "
        "restored.wav (the sum of the stems), <stem>.wav and restore.json (degradation, settings, seeds, cost, "
        "SDR / SI-SDR / LSD of the degraded and restored mixture against the input). Long files are restored in "
        "cross-faded segments; --resume continues an interrupted run.\n"
        + "".join(f"  {name:8} {description}\n" for name, description in AUDIO_TASKS.items()),
    )
    add = parser.add_argument
    add(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="image files or folders of them (image tasks); audio files or folders of them (audio tasks)",
    )
    add("--task", required=True, metavar="NAME", help="degradation to simulate: " + ", ".join([*TASKS, *AUDIO_TASKS]))
    add("-o", "--out", type=Path, default=Path("restored"), help="output root (default: %(default)s)")
    add(
        "--prior",
        help="image tasks: 'image_default' (the packaged 24x24 grey faces prior, the default), 'image_photos32' "
        "(32x32 grey photo patches) or a diffusers directory; audio tasks: 'default' (the packaged music prior, "
        "the default) or a prior directory",
    )
    samplers = sorted(
        set().union(*(load_preset(name) for name in preset_names() if name.startswith(("image", "audio"))))
    )
    add("--sampler", default="mgdm", choices=samplers, help="posterior sampler (default: %(default)s)")
    add("--preset", help="sampler settings preset (default: the prior's, e.g. image_pixel)")
    add("--steps", type=int, help="sampler grid points")
    add("--gibbs-reps", type=int, help="Gibbs repetitions R (mgdm)")
    add("--grad-steps", help="gradient steps per outer step: a number or an expression in k, K (mgdm)")
    add("--lr", help="Adam learning rate: a number or an expression in k, K (mgdm)")
    add("--zeta", type=float, help="guidance step size ζ (dps, diffpir)")
    add_set_option(parser)
    add(
        "--sigma-y",
        type=float,
        help=f"observation noise std on [−1, 1] (default: the task's; images 0.05, audio {DEFAULTS['sigma_y']:g})",
    )
    add(
        "--seed",
        type=int,
        default=0,
        help="seeds the task's random parts, image i's noise (seed + i) and the sampler (default: %(default)s)",
    )
    add("-n", "--num-samples", type=int, default=1, help="posterior draws per image (default: %(default)s)")
    add("--batch-size", type=int, default=0, help="images per sampler call, 0: all (default: %(default)s)")
    add("--device", default="auto", help="auto (CUDA when available), cpu, cuda, cuda:N (default: %(default)s)")
    add("--resume", action="store_true", help="skip inputs already restored with equal settings")
    add_audio_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.task in AUDIO_TASKS:
        return run_audio(args)
    try:
        args.prior = args.prior or "image_default"
        settings = _settings(args)
        device = resolve_device(args.device)
        prior = load(args.prior, device)
        shape = getattr(prior, "image_shape", None)
        if shape is None:
            raise ValueError(f"{resolve(args.prior)}: not an image prior (a {type(prior).__name__})")
        operator = make_task(settings.task, shape, settings.seed)
        runner = make_restorer(prior, settings)
        runner.check(prior, operator)
    except (ValueError, OSError) as error:
        print(f"mgdm restore: error: {error}", file=sys.stderr)
        return 2
    prior_path = resolve(args.prior).resolve()
    root = args.out / prior_path.name / settings.task
    _notice(
        f"prior {prior_path}: images {shape[0]}x{shape[1]}x{shape[2]} (channels x height x width) in [-1, 1]; "
        f"task {settings.task}: {TASKS[settings.task]}; sigma_y {settings.sigma_y}"
    )
    failures: list[str] = []
    jobs = _read_inputs(_expand(args.inputs, failures), shape, root, settings, prior_path, args.resume, failures)
    size = args.batch_size or max(len(jobs), 1)
    done = 0
    batches = [jobs[start : start + size] for start in range(0, len(jobs), size)]
    # Progress in sampler steps over every batch, with an estimate of the time left; a sampler records a step or
    # two fewer than its setting, so each finished batch completes its share.
    steps = runner.outer_steps() or 0
    with tqdm(
        total=steps * len(batches) or None,
        unit="step",
        desc=f"restoring {len(jobs)} image(s)",
        disable=None,
        file=sys.stderr,
    ) as bar:
        for index, batch in enumerate(batches):
            try:
                restore_batch(prior, runner, operator, settings, batch, device, progress=lambda: bar.update())
                done += len(batch)
            except (RuntimeError, ValueError, OSError) as error:
                for job in batch:
                    _fail(failures, f"{job.path}: {error}")
            bar.update(max(0, (index + 1) * steps - bar.n))
    print(f"restored {done} image(s) into {root}" + (f"; {len(failures)} error(s)" if failures else ""))
    return 1 if failures else 0


def _settings(args: argparse.Namespace) -> RestoreSettings:
    """The restoration settings the options ask for; ValueError names the offending option."""
    if args.task not in TASKS:
        raise ValueError(f"unknown task {args.task!r}; known: {', '.join([*TASKS, *AUDIO_TASKS])}")
    overrides = {**sampler_overrides(args, SAMPLER_FLAGS), **set_overrides(args.set, args.sampler)}
    sigma_y = SIGMA_Y[args.task] if args.sigma_y is None else args.sigma_y
    if args.num_samples < 1 or args.batch_size < 0 or not sigma_y > 0:
        raise ValueError("need --num-samples >= 1, --batch-size >= 0 and --sigma-y > 0")
    return RestoreSettings(
        task=args.task,
        sampler=args.sampler,
        sigma_y=sigma_y,
        seed=args.seed,
        num_samples=args.num_samples,
        preset=args.preset,
        overrides=overrides,
    )


def _expand(inputs: list[str], failures: list[str]) -> list[Path]:
    """Files as given, folders as their image files (sorted); an empty folder is a failure."""
    files = []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
            if not found:
                _fail(failures, f"{path}: folder without .png/.jpg/.jpeg files")
            files += found
        else:
            files.append(path)
    return files


def _read_inputs(
    files: list[Path],
    shape: tuple[int, int, int],
    root: Path,
    settings: RestoreSettings,
    prior_path: Path,
    resume: bool,
    failures: list[str],
) -> list[Job]:
    """One job per readable, not yet finished image: its tensor, output folder and resume key."""
    jobs, owners = [], {}
    for position, path in enumerate(files):
        try:
            image, notices = read_image(path, shape)
        except ImageInputError as error:
            _fail(failures, str(error))
            continue
        if path.stem in owners:
            _fail(failures, f"{path}: output name {path.stem!r} already used by {owners[path.stem]}; rename one")
            continue
        owners[path.stem] = path
        folder = root / path.stem
        key = resume_key(settings, prior_path, path, position)
        if resume and is_finished(folder, key):
            _notice(f"{path}: already restored in {folder} (--resume): skipped")
            continue
        for line in notices:
            _notice(line)
        jobs.append(Job(path, image, folder, key, notices, settings.seed + position))
    return jobs


def _fail(failures: list[str], line: str) -> None:
    """Record a failed input (the exit status becomes 1) and say so on one stderr line."""
    failures.append(line)
    print(f"mgdm restore: error: {line}", file=sys.stderr)


def _notice(line: str) -> None:
    print(f"mgdm restore: {line}", file=sys.stderr)
