"""``mgdm restore-score``: PSNR / SSIM of ``mgdm restore``'s outputs for one task and sampler."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mgdm_audio.image.restoration.evaluate import evaluate


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "restore-score",
        help="PSNR / SSIM of mgdm restore's outputs (scores.csv, summary.json)",
        description="Score every restored.png of RESTORE_DIR (OUT/<prior>/<task> of mgdm restore) against its "
        "input.png; write SCORE_DIR/scores.csv and SCORE_DIR/summary.json.",
    )
    add = parser.add_argument
    add("restore_dir", type=Path, help="OUT/<prior>/<task> of mgdm restore")
    add("score_dir", type=Path, help="where scores.csv and summary.json go")
    add(
        "--label",
        help="the row's name in mgdm restore-report, e.g. dps-1500 for a second DPS setting "
        "(default: the sampler's name)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        summary = evaluate(args.restore_dir, args.score_dir, args.label)
    except (OSError, ValueError, KeyError) as error:
        print(f"mgdm restore-score: error: {error}", file=sys.stderr)
        return 1
    print(
        f"{summary['task']} {summary['label']}: {summary['num_images']} images, "
        f"PSNR {summary['psnr_mean']:.2f} ± {summary['psnr_ci95']:.2f} dB, "
        f"SSIM {summary['ssim_mean']:.3f} ± {summary['ssim_ci95']:.3f}"
    )
    return 0
