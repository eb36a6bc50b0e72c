"""Separating an audio file into a folder: the file adapter over :class:`.track.Track`.

``folder/<output>.wav`` and ``folder/separation.json`` are written atomically (a failed write leaves the previous
ones); finished segments wait in ``folder/.partial/`` until the track is done, so ``--resume`` continues a crashed
run; ``folder/.lock`` keeps a second process out.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .audio_io import AudioInfo, FileSource, open_audio
from .output import StemFiles
from .report import RECORD_FILE, is_finished, write_record
from .resume import PARTIAL_FOLDER, SegmentStore, TrackLock
from .track import Track


def separate_file(
    pipeline,
    info: AudioInfo,
    folder: Path,
    resume: bool = False,
    progress: Callable[[float], None] = lambda seconds: None,
    force: bool = False,
) -> dict[str, Any] | None:
    """Write ``folder/<stem>.wav`` and ``folder/separation.json`` (the record, returned) for one input, with the
    models and settings of ``pipeline`` (a :class:`.pipeline.SeparationPipeline`).

    resume: skip a track already finished with an equal key (returns None) and reuse the finished segments of an
    interrupted one; what was made with other settings is replaced. force: replace whatever ``folder`` holds.
    Without either, a folder holding an earlier separation (finished or not) is refused: nothing is discarded
    silently. progress: called with seconds of audio done.

    Raises:
        FileExistsError: ``folder`` holds an earlier separation and neither ``resume`` nor ``force`` is set.
        .resume.TrackBusy: another process separates into ``folder`` (an OSError; nothing touched).
        OSError: a write failed (e.g. a full disk); the message says the previous outputs are unchanged.
    """
    started = time.perf_counter()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OSError(f"output folder {folder} is not writable ({error.strerror})") from None
    key = pipeline.key(info)
    with TrackLock(folder):
        if resume and is_finished(folder, key):
            return None
        if not (resume or force) and ((folder / RECORD_FILE).exists() or (folder / PARTIAL_FOLDER).exists()):
            raise FileExistsError(
                f"{folder} holds an earlier separation: --resume reuses what these settings share with it, "
                f"--force replaces it"
            )
        settings = pipeline.settings
        try:
            with open_audio(info.path) as handle:
                track = Track(FileSource(handle), pipeline.sampler)  # a ValueError here leaves nothing written
                store = SegmentStore(folder, key, reuse=resume)
                files = StemFiles(track.names, store.folder / "stems", track.geometry.output_rate, track.channels)
                try:
                    for chunk in track.chunks(store, progress):
                        files.append(chunk)
                finally:
                    files.close()
            clipping = files.finish(folder, settings.format, settings.clip)
        except OSError as error:
            # libsndfile reports a full disk as "System error.": the free space says what it was.
            reason = f"{error.strerror or error}; {shutil.disk_usage(folder).free / 1e6:.1f} MB free there"
            raise OSError(
                f"writing into {folder} failed ({reason}); its previous outputs are unchanged "
                f"(finished segments kept in {PARTIAL_FOLDER}/: rerun with --resume)"
            ) from None
        store.remove()
        record = pipeline.record(track, started, clipping, folder, info, key)
        write_record(folder, record)
    return record
