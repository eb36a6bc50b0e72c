"""``mgdm separate``: split music files into stems by posterior sampling with a multi-source prior (Demucs-style)."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..nets.pretrained import CONFIG_FILE, read_section
from ..priors.loading import NAMED_PRIORS, PRIOR_TYPES, load, resolve
from ..samplers import load_preset, make_sampler
from ..separation.audio_io import AudioInfo, InputError, expand_inputs, inspect
from ..separation.output import CLIP_MODES, FORMATS, check_clip_policy
from ..separation.report import is_finished, plot_spectrograms, write_record
from ..separation.quality import DEFAULT_QUALITY, QUALITIES
from ..separation.separator import INITS, SeparationSettings, TrackSeparator
from ..separators.loading import SEPARATOR_TYPES
from ..separators.loading import load as load_separator
from ..separators.loading import resolve as resolve_separator
from ..training.hardware import describe_device, resolve_device
from .sampler_options import SAMPLER_FLAGS, add_set_option, sampler_overrides, set_overrides

#: Inputs shorter than this are refused (a fraction of one model segment carries too little to separate).
MIN_SECONDS = 0.1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "separate", help="separate music files into stems (bass, drums, guitar, piano)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Separate each INPUT (WAV, FLAC or OGG file, folder of them, or glob) into the prior's stems by "
                    "posterior sampling, writing OUT/<prior>/<track>/<stem>.wav and separation.json.\n\n"
                    f"{_default_prior_line()}\n"
                    "Inputs are resampled to the prior's rate; stems are written at the input's rate unless "
                    "--keep-model-rate. Stereo is down-mixed to mono (a notice says so) unless --per-channel.\n"
                    "Long files are cut into segments cross-faded linearly over --overlap; with projection (default) "
                    "the stems of every segment sum exactly to its mixture, the residual spread equally over stems "
                    "(content above the band limit, which the prior cannot see, is spread that way too).")
    add = parser.add_argument
    add("inputs", nargs="+", metavar="INPUT", help="audio files, folders (their .wav/.flac/.ogg files) or globs")
    add("-o", "--out", type=Path, default=Path("separated"), help="output root (default: %(default)s)")
    add("--prior", default="default", help="'default' (the packaged prior) or a prior directory (default: %(default)s)")
    add("--quality", choices=list(QUALITIES),
        help="settings preset; the options below override single values. "
             + "; ".join(f"{name}: {quality.cost}" for name, quality in QUALITIES.items())
             + f" (default: {DEFAULT_QUALITY} when the separator suits the prior (same stems and rate, as the "
               f"packaged pair), else paper)")
    add("--sampler", choices=[*sorted(load_preset("audio")), "none"],
        help="posterior sampler, or none: write the separator's estimate (default: the --quality preset's)")
    add("--init", choices=list(INITS),
        help="separator: start the sampler from the separator's estimate noised to --start-sigma; none: from noise "
             "(default: the --quality preset's)")
    add("--separator", default="default",
        help="'default' (the packaged separator) or a separator directory (default: %(default)s)")
    add("--start-sigma", type=float, help="noise level a warm start begins at (data units; default: the preset's)")
    add("--steps", type=int, help="sampler grid points (preset 'audio' otherwise)")
    add("--gibbs-reps", type=int, help="Gibbs repetitions R (samplers with gibbs_reps)")
    add("--grad-steps", help="gradient steps per outer step: a number or an expression in k, K")
    add("--lr", help="Adam learning rate: a number or an expression in k, K")
    add_set_option(parser)
    add("--sigma-y", type=float, default=1e-4, help="likelihood std of the mixture (default: %(default)s)")
    add("--seed", type=int, default=0, help="segment i, channel c of C uses seed + i·C + c (default: %(default)s)")
    add("-n", "--num-samples", type=int, help="posterior draws per segment; their mean is written "
                                             "(default: the preset's)")
    add("--save-samples", action="store_true", help="also write each draw as <stem>_sample<k>.wav")
    add("--batch-size", type=int, default=0,
        help="draws per sampler call (0: all N in one call). Segments are never batched; draws of one segment "
             "are, and the draws depend on this value (call j uses seed + u + j·2^20) (default: %(default)s)")
    add("--segment", type=float, help="segment length in seconds at the model rate, rounded up to a valid length "
                                      "(default: the prior's training length)")
    add("--overlap", type=float, default=0.25, help="fraction of a segment shared with the next, in [0, 0.5] "
                                                     "(default: %(default)s)")
    add("--no-project", dest="project", action="store_false",
        help="keep the sampler's stems as they are (they need not sum to the mixture)")
    add("--per-channel", action="store_true", help="separate each channel; stems keep the input's channels")
    add("--keep-model-rate", action="store_true", help="write stems at the prior's rate, not the input's")
    add("--format", default="float32", choices=list(FORMATS),
        help="WAV sample format; float32 keeps stems that sum exactly to the mixture (default: %(default)s)")
    add("--clip", default="rescale", choices=list(CLIP_MODES),
        help="a stem whose peak exceeds 1: divide it by its peak (rescale), clamp it, or keep it (none: float32 "
             "only); every action is printed and recorded (default: %(default)s)")
    add("--device", default="auto", help="auto (CUDA when available), cpu, cuda, cuda:N (default: %(default)s)")
    add("--plot", action="store_true", help="also save spectrogram.png (mixture and stems) per track")
    add("--resume", action="store_true",
        help="skip tracks already separated with equal settings, and reuse finished segments of an interrupted one")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
    except ValueError as error:
        print(f"mgdm separate: error: {error}", file=sys.stderr)
        return 2
    try:
        device = resolve_device(args.device)
        prior = load(args.prior, device)
        initializer = load_separator(settings.separator, device) if settings.init == "separator" else None
    except (ValueError, OSError) as error:
        print(f"mgdm separate: error: {error}", file=sys.stderr)
        return 1
    prior_path = resolve(args.prior).resolve()
    _notice(f"prior {prior_path}: stems {', '.join(prior.stems)}; model rate {prior.sample_rate} Hz, "
            f"band limit {prior.sample_rate / 2:g} Hz")
    files, failures = expand_inputs(args.inputs)
    tracks = _check_inputs(files, args.out / prior_path.name, settings, failures)
    for line in failures:
        print(f"mgdm separate: error: {line}", file=sys.stderr)
    total = sum(info.seconds for info, _ in tracks)
    with tqdm(total=round(total, 2), unit="s", desc="separating", disable=None, file=sys.stderr,
              bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} s audio [{elapsed}<{remaining}]") as bar:
        separator = TrackSeparator(prior, settings, progress=bar.update, initializer=initializer)
        done = 0
        for info, folder in tracks:
            key = _key(settings, prior_path, info)
            if args.resume and is_finished(folder, key):
                _notice(f"{info.path}: already separated in {folder} (--resume): skipped")
                bar.update(info.seconds)
                done += 1
                continue
            try:
                _separate(separator, info, folder, key, args, prior_path, device)
                done += 1
            except (OSError, ValueError, RuntimeError) as error:
                failures.append(f"{info.path}: {error}")
                print(f"mgdm separate: error: {failures[-1]}", file=sys.stderr)
    print(f"separated {done} of {len(files)} file(s) into "
          f"{args.out / prior_path.name}" + (f"; {len(failures)} error(s)" if failures else ""))
    return 1 if failures else 0


def _settings(args: argparse.Namespace) -> SeparationSettings:
    """The separation settings the options ask for; ValueError names the offending option."""
    if args.quality is None:
        args.quality = DEFAULT_QUALITY if separator_suits(args.separator, args.prior) else "paper"
        if args.quality != DEFAULT_QUALITY:
            _notice(f"separator {args.separator} does not suit prior {args.prior} (stems or rate): --quality paper")
    quality = QUALITIES[args.quality]
    args.sampler = args.sampler or quality.sampler
    init = args.init or quality.init
    start_sigma = args.start_sigma if args.start_sigma is not None else quality.start_sigma
    if init == "none" or args.sampler == "none":
        if args.start_sigma is not None:
            raise ValueError("--start-sigma needs a sampler started from the separator (--init separator)")
        start_sigma = None
    num_samples = args.num_samples or (quality.num_samples if args.sampler == quality.sampler else 1)
    if args.sampler == "none":
        if init == "none":
            raise ValueError("--sampler none writes the separator's estimate: it needs --init separator")
        if num_samples != 1 or args.set or any(getattr(args, name) is not None for name in SAMPLER_FLAGS):
            raise ValueError("--sampler none has no draws or sampler settings")
        overrides = {}
    else:
        preset = quality.overrides if args.sampler == quality.sampler else {}
        overrides = {**preset, **sampler_overrides(args), **set_overrides(args.set, args.sampler)}
        make_sampler(args.sampler, "audio", **overrides)  # refuses invalid values now, not once per file
    args.num_samples = num_samples
    if args.num_samples < 1 or args.batch_size < 0 or not args.sigma_y > 0:
        raise ValueError("need --num-samples >= 1, --batch-size >= 0 and --sigma-y > 0")
    if args.segment is not None and not args.segment > 0:
        raise ValueError(f"--segment must be > 0 seconds, got {args.segment}")
    if not 0.0 <= args.overlap <= 0.5:
        raise ValueError(f"--overlap must be in [0, 0.5], got {args.overlap}")
    check_clip_policy(args.format, args.clip)
    separator = str(resolve_separator(args.separator).resolve()) if init == "separator" else None
    return SeparationSettings(sampler=args.sampler, overrides=overrides, init=init, separator=separator,
                              start_sigma=start_sigma, sigma_y=args.sigma_y, seed=args.seed,
                              num_samples=args.num_samples, batch_size=args.batch_size, segment_seconds=args.segment,
                              overlap=args.overlap, project=args.project, per_channel=args.per_channel,
                              keep_model_rate=args.keep_model_rate, format=args.format, clip=args.clip,
                              save_samples=args.save_samples)


def separator_suits(separator: str, prior: str) -> bool:
    """Whether the separator's stems and rate are the prior's, read from their configs (False if unreadable)."""
    try:
        _, separator_config = read_section(resolve_separator(separator), "separator", SEPARATOR_TYPES)
        _, prior_config = read_section(resolve(prior), "prior", PRIOR_TYPES)
    except (OSError, ValueError):
        return False
    return all(separator_config.get(key) == prior_config.get(key) for key in ("stems", "sample_rate"))


def _check_inputs(files: list[Path], root: Path, settings: SeparationSettings,
                  failures: list[str]) -> list[tuple[AudioInfo, Path]]:
    """The usable inputs with their output folders; appends one line per refused file to ``failures``."""
    resolved = [path.resolve() for path in files]
    tracks: list[tuple[AudioInfo, Path]] = []
    owners: dict[str, Path] = {}
    for path in files:
        folder = root / path.stem
        try:
            info = inspect(path, MIN_SECONDS, None if settings.per_channel else 2)
        except InputError as error:
            failures.append(str(error))
            continue
        if path.stem in owners:
            failures.append(f"{path}: track name {path.stem!r} already used by {owners[path.stem]}; rename one")
            continue
        if any(source.is_relative_to(folder.resolve()) for source in resolved):
            failures.append(f"{path}: output folder {folder} would hold an input file; choose another -o")
            continue
        owners[path.stem] = path
        if info.channels > 1 and not settings.per_channel:
            _notice(f"{path}: {info.channels} channels down-mixed to mono (--per-channel separates each channel)")
        tracks.append((info, folder))
    return tracks


def _key(settings: SeparationSettings, prior_path: Path, info: AudioInfo) -> dict[str, Any]:
    """What a finished track or segment must have been made with to be reused: settings, prior and input identity."""
    stat = info.path.stat()
    return {**settings.as_dict(), "prior": str(prior_path), "input": str(info.path.resolve()),
            "input_bytes": stat.st_size, "input_mtime_ns": stat.st_mtime_ns}


def _separate(separator: TrackSeparator, info: AudioInfo, folder: Path, key: dict[str, Any],
              args: argparse.Namespace, prior_path: Path, device: Any) -> None:
    started = time.perf_counter()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OSError(f"output folder {folder} is not writable ({error.strerror})") from None
    track = separator.separate(info, folder, key, args.resume)
    for name, clip in track["clipping"].items():
        if clip["action"] != "none":
            _notice(f"{info.path}: {name} peaked at {clip['peak']}: {clip['action']} (--clip {args.clip})")
    prior = separator.prior
    calls = {kind: sum(segment["denoiser_calls"][kind] for segment in track["segments"])
             for kind in ("forward", "forward_backward")}
    record = dict(track=folder.name, quality=args.quality, input=str(info.path.resolve()), prior=str(prior_path),
                  stems=list(prior.stems),
                  band_limit_hz=prior.sample_rate / 2, settings=key, sampler_settings=separator.sampler_settings,
                  device=describe_device(device), seconds=round(time.perf_counter() - started, 3),
                  denoiser_calls=calls, **track)
    write_record(folder, record)
    if args.plot:
        plot_spectrograms(info.path, folder, prior.stems)


def _default_prior_line() -> str:
    """The packaged prior's rate and band limit, read from its config (no weights loaded) for ``--help``."""
    path = NAMED_PRIORS["default"] / CONFIG_FILE
    try:
        rate = json.loads(path.read_text(encoding="utf-8"))["prior"]["sample_rate"]
    except (OSError, ValueError, KeyError, TypeError):
        return "The default prior is not installed: pass --prior DIR (its rate and band limit are printed at start)."
    return (f"Default prior: model rate {rate} Hz, band limit {rate / 2:g} Hz (Nyquist); "
            "any --prior DIR prints its own at start.")


def _notice(line: str) -> None:
    """One line on stderr, kept clear of the progress bar."""
    tqdm.write(f"mgdm separate: {line}", file=sys.stderr)
