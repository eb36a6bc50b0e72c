"""``mgdm report``: a results page (HTML with its audio, spectrograms or pictures) for scored runs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mgdm_audio.common.html_page import folder_megabytes


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="a results page for scored separations or restorations, to look and listen",
        description="Write PAGE_DIR/index.html for the SUMMARY_JSON files, one per system. Separations (of mgdm "
        "score): for every track, the mixture, each reference stem and each system's estimates with an audio "
        "player (Opus, by ffmpeg), a log-frequency spectrogram and the track's SI-SDRi and SDR. Music "
        "restorations (of mgdm restore-score): per track, the clean input, the degraded one and each system's "
        "restoration, each with a player and a spectrogram, and its SDR and LSD. Image restorations (of mgdm "
        "restore-score): per image, the reference, the observation and each system's restoration with its PSNR "
        "and SSIM. On top, sortable tables of the means with 95 %% intervals, each "
        "system's settings and cost; posterior draws (-n N, with --save-samples for audio) as a gallery with "
        "their spread. The page needs no server and no network.",
    )
    add = parser.add_argument
    add("page", type=Path, metavar="PAGE_DIR", help="the page's folder (index.html and its media)")
    add("summaries", type=Path, nargs="+", metavar="SUMMARY_JSON", help="summary.json files, one per system")
    add("--labels", nargs="+", metavar="LABEL", help="one label per summary (default: its folder's or sampler's name)")
    add(
        "--seconds",
        type=float,
        default=10.0,
        help="audio: longest excerpt per clip, from the start (default: %(default)s)",
    )
    add(
        "--max-mb",
        type=float,
        default=50.0,
        help="audio: size budget in MB; excerpts are shortened to fit it (default: %(default)s)",
    )
    add("--max-images", type=int, default=8, help="images: pictures shown per task (default: %(default)s)")
    add(
        "--check",
        action="store_true",
        help="open the page in headless Chromium and fail if its console shows an error or a clip or picture "
        "does not load (needs chromium, chromium-driver and selenium)",
    )
    add("--screenshot", type=Path, metavar="PNG", help="also save a screenshot of the page (headless Chromium)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        page = write(args)
        problems = look(page, args.check, args.screenshot)
    except (ValueError, OSError, RuntimeError, KeyError) as error:
        print(f"mgdm report: error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {page} ({folder_megabytes(args.page):.1f} MB with its media)")
    if args.screenshot:
        print(f"wrote {args.screenshot}")
    for problem in problems:
        print(f"mgdm report: {page}: {problem}", file=sys.stderr)
    return 1 if problems else 0


def write(args: argparse.Namespace) -> Path:
    """The page of the summaries' kind: separations (``separation_dir``), music restorations (``restore_dir`` and
    ``degradation``) or image restorations (``restore_dir``)."""
    kinds = {_kind(path) for path in args.summaries}
    if len(kinds) != 1:
        raise ValueError(f"the summaries mix {' and '.join(sorted(kinds))}: write one page for each")
    if kinds == {"music restorations"}:
        from mgdm_audio.audio.restoration.page import write_restoration_page

        return write_restoration_page(args.page, args.summaries, args.labels, args.seconds, args.max_mb)
    if kinds == {"image restorations"}:
        from mgdm_audio.image.restoration.page import write_image_page

        return write_image_page(args.page, args.summaries, args.labels, args.max_images)
    from mgdm_audio.audio.evaluation.page import write_page

    return write_page(args.page, args.summaries, args.labels, args.seconds, args.max_mb)


def _kind(path: Path) -> str:
    record = json.loads(path.read_text(encoding="utf-8"))
    if "separation_dir" in record:
        return "separations"
    if "restore_dir" in record:
        return "music restorations" if "degradation" in record else "image restorations"
    raise ValueError(f"{path}: not a summary.json of mgdm score or mgdm restore-score")


def look(page: Path, check: bool, png: Path | None) -> list[str]:
    """With ``check``, what a headless browser found wrong on ``page`` (one line each); with ``png``, a screenshot."""
    if not check and png is None:
        return []
    from mgdm_audio.common.browser import check_page, headless_chromium, screenshot

    with headless_chromium() as browser:
        problems = check_page(browser, page).problems if check else []
        if png is not None:
            screenshot(browser, page, png)
    return problems
