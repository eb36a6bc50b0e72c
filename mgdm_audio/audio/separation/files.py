"""Writing one track's outputs into a folder: the file adapter over :class:`.track.Track`, shared by separation and
restoration.

``folder/<output>.wav`` and the record (``separation.json``) are written atomically (a failed write leaves the
previous ones); finished segments wait in ``folder/.partial/`` until the track is done, so ``--resume`` continues a
crashed run; ``folder/.lock`` keeps a second process out.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .audio_io import AudioInfo, FileSource, open_audio
from .output import StemFiles
from .report import RECORD_FILE, is_finished, write_record
from .resume import PARTIAL_FOLDER, SegmentStore, TrackLock
from .track import Track


@dataclass
class TrackJob:
    """What one folder receives: the ``track`` to run, the output ``names`` its chunks become (``rows`` maps a
    chunk [len(track.names), channels, n] to [len(names), channels, n]; by default the names are the track's)."""

    track: Track
    names: list[str] = field(default_factory=list)
    rows: Callable[[np.ndarray], np.ndarray] = lambda chunk: chunk

    def __post_init__(self):
        self.names = self.names or self.track.names


def write_track(
    folder: Path,
    key: dict[str, Any],
    open_job: Callable[[], AbstractContextManager[TrackJob]],
    make_record: Callable[[TrackJob, float, dict[str, Any]], dict[str, Any]],
    sample_format: str,
    clip: str,
    resume: bool = False,
    progress: Callable[[float], None] = lambda seconds: None,
    force: bool = False,
    record_file: str = RECORD_FILE,
    what: str = "separation",
) -> dict[str, Any] | None:
    """Run the job ``open_job()`` opens into ``folder/<name>.wav`` (``sample_format``, ``clip``: see
    :mod:`.output`), then write ``make_record(job, started, clipping)`` as ``folder/<record_file>`` and return it.

    resume: skip a folder already finished with an equal ``key`` (returns None) and reuse the finished segments of
    an interrupted run; what was made with other settings is replaced. force: replace whatever ``folder`` holds.
    Without either, a folder holding an earlier run (finished or not) is refused: nothing is discarded silently.
    progress: called with seconds of audio done. what: the kind of run, in the refusal's words.

    Raises:
        FileExistsError: ``folder`` holds an earlier run and neither ``resume`` nor ``force`` is set.
        .resume.TrackBusy: another process writes into ``folder`` (an OSError; nothing touched).
        OSError: a write failed (e.g. a full disk); the message says the previous outputs are unchanged.
    """
    started = time.perf_counter()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OSError(f"output folder {folder} is not writable ({error.strerror})") from None
    with TrackLock(folder):
        if resume and is_finished(folder, key, record_file):
            return None
        if not (resume or force) and ((folder / record_file).exists() or (folder / PARTIAL_FOLDER).exists()):
            raise FileExistsError(
                f"{folder} holds an earlier {what}: --resume reuses what these settings share with it, "
                f"--force replaces it"
            )
        try:
            with open_job() as job:  # a ValueError here leaves nothing written
                store = SegmentStore(folder, key, reuse=resume)
                files = StemFiles(job.names, store.folder / "stems", job.track.geometry.output_rate, job.track.channels)
                try:
                    for chunk in job.track.chunks(store, progress):
                        files.append(job.rows(chunk))
                finally:
                    files.close()
            clipping = files.finish(folder, sample_format, clip)
        except OSError as error:
            # libsndfile reports a full disk as "System error.": the free space says what it was.
            reason = f"{error.strerror or error}; {shutil.disk_usage(folder).free / 1e6:.1f} MB free there"
            raise OSError(
                f"writing into {folder} failed ({reason}); its previous outputs are unchanged "
                f"(finished segments kept in {PARTIAL_FOLDER}/: rerun with --resume)"
            ) from None
        store.remove()
        record = make_record(job, started, clipping)
        write_record(folder, record, record_file)
    return record


def separate_file(
    pipeline,
    info: AudioInfo,
    folder: Path,
    resume: bool = False,
    progress: Callable[[float], None] = lambda seconds: None,
    force: bool = False,
) -> dict[str, Any] | None:
    """Write ``folder/<stem>.wav`` and ``folder/separation.json`` (the record, returned) for one input, with the
    models and settings of ``pipeline`` (a :class:`.pipeline.SeparationPipeline`); see :func:`write_track`."""

    @contextmanager
    def open_job() -> Iterator[TrackJob]:
        with open_audio(info.path) as handle:
            yield TrackJob(Track(FileSource(handle), pipeline.sampler))

    key = pipeline.key(info)
    settings = pipeline.settings
    return write_track(
        folder,
        key,
        open_job,
        lambda job, started, clipping: pipeline.record(job.track, started, clipping, folder, info, key),
        settings.format,
        settings.clip,
        resume,
        progress,
        force,
    )
