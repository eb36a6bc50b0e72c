"""``mgdm restore-score``: the scores of ``mgdm restore``'s outputs for one task and sampler: PSNR / SSIM of
images, SDR / SI-SDR / LSD of music."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "restore-score",
        help="scores of mgdm restore's outputs (scores.csv, summary.json)",
        description="Score the restorations of RESTORE_DIR, one task of mgdm restore; write SCORE_DIR/scores.csv "
        "and SCORE_DIR/summary.json. Images (OUT/<prior>/<task>): PSNR / SSIM of every restored.png against its "
        "input.png. Music (OUT/<prior>/<task>_<level>): the SDR / SI-SDR / LSD of every restored.wav and "
        "degraded.wav against the clean input, as restore.json holds them, and the paired SDR gain.",
    )
    add = parser.add_argument
    add("restore_dir", type=Path, help="OUT/<prior>/<task> (images) or OUT/<prior>/<task>_<level> (music)")
    add("score_dir", type=Path, help="where scores.csv and summary.json go")
    add(
        "--label",
        help="the row's name in mgdm restore-report, e.g. dps-1500 for a second DPS setting "
        "(default: the sampler's name)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mgdm_audio.audio.restoration.evaluate import evaluate as evaluate_audio
    from mgdm_audio.audio.restoration.evaluate import is_audio_restore_dir
    from mgdm_audio.image.restoration.evaluate import evaluate

    try:
        if is_audio_restore_dir(args.restore_dir):
            summary = evaluate_audio(args.restore_dir, args.score_dir, args.label)
        else:
            summary = evaluate(args.restore_dir, args.score_dir, args.label)
    except (OSError, ValueError, KeyError) as error:
        print(f"mgdm restore-score: error: {error}", file=sys.stderr)
        return 1
    if "degradation" in summary:
        print(
            f"{summary['task']} {summary['level']:g} {summary['label']}: {summary['num_tracks']} tracks, "
            f"SDR {summary['sdr_mean']:+.2f} ± {summary['sdr_ci95']:.2f} dB (degraded "
            f"{summary['degraded_sdr_mean']:+.2f}; gain {summary['sdr_gain_mean']:+.2f} ± "
            f"{summary['sdr_gain_ci95']:.2f}), LSD {summary['lsd_mean']:.2f} (degraded "
            f"{summary['degraded_lsd_mean']:.2f})"
        )
        return 0
    print(
        f"{summary['task']} {summary['label']}: {summary['num_images']} images, "
        f"PSNR {summary['psnr_mean']:.2f} ± {summary['psnr_ci95']:.2f} dB, "
        f"SSIM {summary['ssim_mean']:.3f} ± {summary['ssim_ci95']:.3f}"
    )
    return 0
