"""``mgdm separate``: split music files into stems by posterior sampling with a multi-source prior (Demucs-style)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from mgdm_audio.audio.separation.audio_io import AUDIO_EXTENSIONS, AudioInfo, InputError, expand_inputs
from mgdm_audio.audio.separation.output import CLIP_MODES, FORMATS
from mgdm_audio.audio.separation.pipeline import SeparationPipeline
from mgdm_audio.audio.separation.report import plot_spectrograms
from mgdm_audio.audio.separation.settings import (
    CHANNEL_MODES,
    DEFAULT_QUALITY,
    INITS,
    QUALITIES,
    SeparationSettings,
    build_settings,
    choose_quality,
)
from mgdm_audio.core.pretrained import CONFIG_FILE
from mgdm_audio.core.priors.loading import NAMED_PRIORS
from mgdm_audio.core.samplers.base import load_preset

from .sampler_options import SAMPLER_FLAGS, add_set_option, sampler_overrides, set_overrides


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "separate",
        help="separate music files into stems (bass, drums, guitar, piano)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Separate each INPUT (audio file, folder of them, or glob) into the prior's stems by "
        "posterior sampling, writing OUT/<prior>/<track>/<stem>.wav and separation.json. libsndfile "
        "reads WAV, FLAC, OGG/Opus and MP3; other formats (AAC/M4A, ...) are decoded by ffmpeg.\n\n"
        f"{_default_prior_line()}\n"
        "Inputs are resampled to the prior's rate; stems are written at the input's rate unless "
        "--keep-model-rate. Stereo gives stereo stems (--channels); --mono down-mixes to mono stems.\n"
        "Long files are cut into segments cross-faded linearly over --overlap; with projection (default) "
        "the stems of every segment sum exactly to its mixture: the residual below the band limit is spread "
        "equally over the stems, the content above it (which the prior cannot see) in proportion to each "
        "stem's energy in the octave below the limit.",
    )
    add = parser.add_argument
    add(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help=f"audio files, folders (their {'/'.join(AUDIO_EXTENSIONS)} files) or globs",
    )
    add("-o", "--out", type=Path, default=Path("separated"), help="output root (default: %(default)s)")
    add("--prior", default="default", help="'default' (the packaged prior) or a prior directory (default: %(default)s)")
    add(
        "--quality",
        choices=list(QUALITIES),
        help="settings preset; the options below override single values. "
        + "; ".join(f"{name}: {quality.cost}" for name, quality in QUALITIES.items())
        + f" (default: {DEFAULT_QUALITY} when the separator suits the prior (same stems and rate, as the "
        f"packaged pair), else paper)",
    )
    add(
        "--sampler",
        choices=[*sorted(load_preset("audio")), "none"],
        help="posterior sampler, or none: write the separator's estimate (default: the --quality preset's)",
    )
    add(
        "--init",
        choices=list(INITS),
        help="separator: start the sampler from the separator's estimate noised to --start-sigma; none: from noise "
        "(default: the --quality preset's)",
    )
    add(
        "--separator",
        default="default",
        help="'default' (the packaged separator) or a separator directory (default: %(default)s)",
    )
    add("--start-sigma", type=float, help="noise level a warm start begins at (data units; default: the preset's)")
    add(
        "--refine",
        nargs="+",
        metavar="STEM",
        help="with a warm start: the stems whose sampled estimate is kept; the others keep the separator's "
        "(default: the preset's, else all)",
    )
    add("--steps", type=int, help="sampler grid points (preset 'audio' otherwise)")
    add("--gibbs-reps", type=int, help="Gibbs repetitions R (samplers with gibbs_reps)")
    add("--grad-steps", help="gradient steps per outer step: a number or an expression in k, K")
    add("--lr", help="Adam learning rate: a number or an expression in k, K")
    add_set_option(parser)
    add("--sigma-y", type=float, default=1e-4, help="likelihood std of the mixture (default: %(default)s)")
    add("--seed", type=int, default=0, help="segment i, channel c of C uses seed + i·C + c (default: %(default)s)")
    add(
        "-n",
        "--num-samples",
        type=int,
        help="posterior draws per segment; their mean is written (default: the preset's)",
    )
    add("--save-samples", action="store_true", help="also write each draw as <stem>_sample<k>.wav")
    add(
        "--batch-size",
        type=int,
        default=0,
        help="draws per sampler call (0: all N in one call). Segments are never batched; draws of one segment "
        "are, and the draws depend on this value (call j uses seed + u + j·2^20) (default: %(default)s)",
    )
    add(
        "--segment",
        type=float,
        help="segment length in seconds at the model rate, rounded up to a valid length "
        "(default: the prior's training length)",
    )
    add(
        "--overlap",
        type=float,
        default=0.25,
        help="fraction of a segment shared with the next, in [0, 0.5] (default: %(default)s)",
    )
    add(
        "--no-project",
        dest="project",
        action="store_false",
        help="keep the sampler's stems as they are (they need not sum to the mixture)",
    )
    add(
        "--channels",
        choices=list(CHANNEL_MODES),
        default="each",
        help="a multichannel input: each separates every channel on its own (channels times the cost); pan "
        "separates the channels' mean once and pans each stem back into the channels (the cost of mono, about "
        "1 dB lower SI-SDRi on stereo mixes); mono writes mono stems (default: %(default)s)",
    )
    add("--mono", dest="channels", action="store_const", const="mono", help="the same as --channels mono")
    add("--keep-model-rate", action="store_true", help="write stems at the prior's rate, not the input's")
    add(
        "--format",
        default="float32",
        choices=list(FORMATS),
        help="WAV sample format; float32 keeps stems that sum exactly to the mixture (default: %(default)s)",
    )
    add(
        "--clip",
        default="rescale",
        choices=list(CLIP_MODES),
        help="a stem whose peak exceeds 1: divide it by its peak (rescale), clamp it, or keep it (none: float32 "
        "only); every action is printed and recorded (default: %(default)s)",
    )
    add("--device", default="auto", help="auto (CUDA when available), cpu, cuda, cuda:N (default: %(default)s)")
    add("--plot", action="store_true", help="also save spectrogram.png (mixture and stems) per track")
    add(
        "--resume",
        action="store_true",
        help="skip tracks already separated with equal settings, models and input bytes, and reuse the finished "
        "segments of an interrupted one (a track made with other settings is separated again)",
    )
    add("--recursive", action="store_true", help="take the audio files of folders' subfolders too")
    add(
        "--force",
        action="store_true",
        help="separate every track afresh, replacing what its folder holds (without --resume or --force, a track "
        "folder holding an earlier separation is refused: nothing is replaced silently)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        quality, settings = _settings(args)
    except ValueError as error:
        print(f"mgdm separate: error: {error}", file=sys.stderr)
        return 2
    try:
        model = SeparationPipeline(args.prior, args.separator, quality, args.device, settings=settings)
    except (ValueError, OSError) as error:
        print(f"mgdm separate: error: {error}", file=sys.stderr)
        return 1
    if args.quality is None and quality != DEFAULT_QUALITY:
        _notice(f"separator {args.separator} does not suit prior {args.prior} (stems or rate): --quality paper")
    prior = model.prior
    _notice(
        f"prior {model.prior_path}: stems {', '.join(prior.stems)}; model rate {prior.sample_rate} Hz, "
        f"band limit {prior.sample_rate / 2:g} Hz"
    )
    files, failures, notices = expand_inputs(args.inputs, args.recursive)
    for line in notices:
        _notice(line)
    tracks = check_inputs(model, files, args.out / model.prior_path.name, failures)
    for line in failures:
        print(f"mgdm separate: error: {line}", file=sys.stderr)
    total = sum(info.seconds for info, _ in tracks)
    with tqdm(
        total=round(total, 2),
        unit="s",
        desc="separating",
        disable=None,
        file=sys.stderr,
        bar_format="{l_bar}{bar}| {n:.1f}/{total:.1f} s audio [{elapsed}<{remaining}]",
    ) as bar:
        done = 0
        for info, folder in tracks:
            try:
                record = model.separate_file(info, folder, args.resume, progress=bar.update, force=args.force)
            except (OSError, ValueError, RuntimeError) as error:
                failures.append(f"{info.path}: {error}")
                print(f"mgdm separate: error: {failures[-1]}", file=sys.stderr)
                continue
            done += 1
            if record is None:
                _notice(f"{info.path}: already separated in {folder} (--resume): skipped")
                bar.update(info.seconds)
                continue
            reused = sum(segment.get("resumed", False) for segment in record["segments"])
            if reused:
                _notice(f"{info.path}: {reused} of {len(record['segments'])} segment(s) reused from an interrupted run")
            for name, clip in record["clipping"].items():
                if clip["action"] != "none":
                    _notice(f"{info.path}: {name} peaked at {clip['peak']}: {clip['action']} (--clip {args.clip})")
            if args.plot:
                plot_spectrograms(info.path, folder, prior.stems)
    print(
        f"separated {done} of {len(files)} file(s) into "
        f"{args.out / model.prior_path.name}" + (f"; {len(failures)} error(s)" if failures else "")
    )
    return 1 if failures else 0


def _settings(args: argparse.Namespace) -> tuple[str, SeparationSettings]:
    """The quality preset and the settings the options ask for; ValueError names the offending option."""
    quality = choose_quality(args.quality, args.prior, args.separator)
    sampler = args.sampler or QUALITIES[quality].sampler
    overrides = {}
    if sampler != "none":
        overrides = {
            **sampler_overrides(argparse.Namespace(**{**vars(args), "sampler": sampler})),
            **set_overrides(args.set, sampler),
        }
    elif args.set or any(getattr(args, name) is not None for name in SAMPLER_FLAGS):
        raise ValueError("--sampler none has no sampler settings")
    return quality, build_settings(
        quality,
        args.separator,
        sampler=sampler,
        init=args.init,
        start_sigma=args.start_sigma,
        num_samples=args.num_samples,
        overrides=overrides,
        refine=tuple(args.refine) if args.refine else None,
        sigma_y=args.sigma_y,
        seed=args.seed,
        batch_size=args.batch_size,
        segment_seconds=args.segment,
        overlap=args.overlap,
        project=args.project,
        channels=args.channels,
        keep_model_rate=args.keep_model_rate,
        format=args.format,
        clip=args.clip,
        save_samples=args.save_samples,
    )


def check_inputs(model, files: list[Path], root: Path, failures: list[str]) -> list[tuple[AudioInfo, Path]]:
    """The usable inputs with their output folders ``root/<name>`` (``model``: a separation or restoration
    pipeline, whose ``inspect`` checks a file); appends one line per refused file to ``failures``."""
    resolved = [path.resolve() for path in files]
    tracks: list[tuple[AudioInfo, Path]] = []
    owners: dict[str, Path] = {}
    for path in files:
        folder = root / path.stem
        try:
            info = model.inspect(path)
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
        if info.channels > 1 and getattr(model.settings, "channels", None) == "mono":
            _notice(f"{path}: {info.channels} channels down-mixed to mono (--mono)")
        tracks.append((info, folder))
    return tracks


def _default_prior_line() -> str:
    """The packaged prior's rate and band limit, read from its config (no weights loaded) for ``--help``."""
    path = NAMED_PRIORS["default"] / CONFIG_FILE
    try:
        rate = json.loads(path.read_text(encoding="utf-8"))["prior"]["sample_rate"]
    except (OSError, ValueError, KeyError, TypeError):
        return "The default prior is not installed: pass --prior DIR (its rate and band limit are printed at start)."
    return (
        f"Default prior: model rate {rate} Hz, band limit {rate / 2:g} Hz (Nyquist); "
        "any --prior DIR prints its own at start."
    )


def _notice(line: str) -> None:
    """One line on stderr, kept clear of the progress bar."""
    tqdm.write(f"mgdm separate: {line}", file=sys.stderr)
