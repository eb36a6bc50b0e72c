"""The user API of audio restoration: :class:`RestorationPipeline` loads a prior (and the separator of its warm
start) once, degrades clean recordings with a task at a level and restores them (the restored mixture and its
stems), held in memory or in files; :func:`restore` is the one-call form (``mgdm_audio.restore``). ``mgdm restore``
with an audio task runs the same pipeline.

A track is resampled to the prior's rate, degraded there as a whole (:class:`..operators.tasks.Degradation`) and
restored in cross-faded segments, each drawn with the task's operator on the sum of the stems
(:class:`.sampling.RestorationSampler`). Outputs stay at the prior's rate (its band limit is half of it).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
import torch

from mgdm_audio.common.atomic import atomic_path
from mgdm_audio.common.checksum import file_sha256
from mgdm_audio.common.hardware import describe_device, resolve_device
from mgdm_audio.core.priors.loading import load as load_prior
from mgdm_audio.core.priors.loading import resolve as resolve_prior
from mgdm_audio.core.samplers import make_sampler

from ..operators.tasks import Degradation
from ..separation.audio_io import ArraySource, AudioInfo, inspect, open_audio, resample
from ..separation.files import TrackJob, write_track
from ..separation.output import clip_arrays
from ..separation.pipeline import MIN_SECONDS, directory_digest
from ..separation.track import Track
from ..separators.loading import load as load_separator
from .classical import CLASSICAL, classical_restore
from .sampling import RestorationSampler, check_sampler
from .scores import restoration_scores
from .settings import RestorationSettings, build_restoration_settings

RECORD_FILE = "restore.json"
#: Files a restoration writes besides the stems: the restored mixture (the sum of the stems) and the degraded one.
RESTORED, DEGRADED = "restored", "degraded"


class RestorationPipeline:
    """A prior (and separator) loaded once, restoring recordings of one task at one level.

    Args:
        task / level: a task of :data:`..operators.tasks.TASKS` and its level (None: the task's default).
        prior / separator: ``"default"`` (packaged) or a directory; the separator is loaded for init "separator".
        device: "auto", "cpu", "cuda", "cuda:N". threads: torch's math threads (None leaves them).
        settings: settings already built (:func:`.settings.build_restoration_settings`), instead of ``options``.
        **options: single settings over the default's (sampler, init, start_sigma, num_samples, overrides,
            sigma_y, seed, segment_seconds, overlap, channels, format, clip, save_samples).

    Raises:
        ValueError / FileNotFoundError: a bad setting, a model that cannot be loaded, a prior that is not a music
            prior, or a sampler that needs gradients on the codec task.
    """

    def __init__(
        self,
        task: str | None = None,
        level: float | None = None,
        prior: str | os.PathLike = "default",
        separator: str | os.PathLike = "default",
        device: str | torch.device = "cpu",
        settings: RestorationSettings | None = None,
        threads: int | None = None,
        **options: Any,
    ):
        if threads is not None:
            torch.set_num_threads(threads)
        if settings is not None and (options or task is not None or level is not None):
            raise ValueError("pass settings or task, level and single options, not both")
        if settings is None and task is None:
            raise ValueError("a restoration needs its task")
        self.settings = settings or build_restoration_settings(task, level, separator, **{"clip": "none", **options})
        sampling = self.settings.sampling
        if sampling.sampler != "none":
            check_sampler(
                make_sampler(sampling.sampler, "audio", **sampling.overrides), sampling.sampler, self.settings.task
            )
        self.device = resolve_device(device) if isinstance(device, str) else device
        self.prior_path = resolve_prior(prior).resolve()
        self.prior = load_prior(prior, self.device)
        if not hasattr(self.prior, "stems"):
            raise ValueError(f"{prior}: a {type(self.prior).__name__} (an image prior), not a music prior over stems")
        self.identity: dict[str, Any] = {
            "prior": str(self.prior_path),
            "prior_sha256": directory_digest(self.prior_path),
        }
        self.separator = None
        if sampling.init == "separator":
            self.separator = load_separator(Path(sampling.separator), self.device)
            self.identity["separator_sha256"] = directory_digest(Path(sampling.separator))

    @property
    def stems(self) -> tuple[str, ...]:
        return self.prior.stems

    @property
    def sample_rate(self) -> int:
        """The prior's rate in Hz: restorations are made and written at it."""
        return self.prior.sample_rate

    def degrade(self, clean: np.ndarray, sample_rate: int) -> tuple[np.ndarray, Degradation]:
        """``clean`` [channels, samples] at ``sample_rate`` resampled to the prior's rate, and its degradation
        there: (clean at the prior's rate, the degradation)."""
        clean = resample(np.asarray(clean, np.float32), sample_rate, self.sample_rate)
        settings = self.settings
        return clean, Degradation.simulate(
            settings.task, settings.level, clean, self.sample_rate, settings.sampling.seed
        )

    def job(self, degraded: np.ndarray, degradation: Degradation, classical: np.ndarray | None = None) -> TrackJob:
        """The track that restores ``degraded`` [channels, samples] (prior's rate) in segments, whose output rows
        are the restored mixture, then the stems (and draws). classical: its classical restoration when already
        made (the warm start's mixture; made here when needed and not given)."""
        if self.separator is not None and classical is None:
            classical = classical_restore(degradation, degraded)
        sampler = RestorationSampler(
            self.prior, self.settings.sampling, self.separator, degradation, classical, self.settings.consistent
        )
        track = Track(ArraySource(degraded, self.sample_rate, MIN_SECONDS, None), sampler)
        stems = len(self.stems)
        return TrackJob(
            track, [RESTORED, *track.names], lambda chunk: np.concatenate([chunk[:stems].sum(0, keepdims=True), chunk])
        )

    def record(
        self, job: TrackJob, degradation: Degradation, started: float, clean: np.ndarray, outputs: dict[str, Any]
    ) -> dict[str, Any]:
        """A restoration's record: the degradation, settings, models, sampler, device, cost, scores against the
        clean track (the degraded input, the restoration) and the track's segments."""
        track = job.track
        calls = {kind: sum(s["denoiser_calls"][kind] for s in track.stats) for kind in ("forward", "forward_backward")}
        seconds = time.perf_counter() - started
        audio_seconds = clean.shape[-1] / self.sample_rate
        return {
            "degradation": degradation.record(),
            "classical": CLASSICAL[degradation.task],
            "prior": str(self.prior_path),
            "stems": list(self.stems),
            "settings": {**self.settings.as_dict(), **self.identity},
            "sampler_settings": track.sampler.record(),
            "device": describe_device(self.device),
            "seconds": round(seconds, 3),
            "real_time_factor": round(seconds / audio_seconds, 4),
            "denoiser_calls": calls,
            **track.record(),
            **outputs,
        }

    def restore(
        self,
        waveform: np.ndarray | torch.Tensor,
        sample_rate: int,
        return_record: bool = False,
        classical: np.ndarray | None = None,
    ) -> dict[str, np.ndarray] | tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Degrade a clean recording held in memory and restore it, as ``mgdm restore`` does a file.

        Args:
            waveform: [samples], [channels, samples] or [samples, channels] (as ``soundfile.read`` returns it; the
                shorter axis holds the channels), float in [-1, 1]. sample_rate: its rate in Hz.
            return_record: also return the record (degradation, settings, seeds, cost, scores).
            classical: the classical restoration of this degradation [channels, samples] at the prior's rate when
                already made (a benchmark shares it between systems); its cost is then not in the record's.

        Returns:
            float32 arrays at the prior's rate, in ``waveform``'s layout:
            ``"clean"`` (the input at the prior's rate), ``"degraded"``, ``"restored"`` (the sum of the stems) and
            one per stem (with save_samples, ``<stem>_sample<k>`` per draw).
        """
        started = time.perf_counter()
        audio = np.asarray(waveform.detach().cpu() if isinstance(waveform, torch.Tensor) else waveform, np.float32)
        if audio.ndim not in (1, 2) or audio.size == 0 or (audio.ndim == 2 and audio.shape[0] == audio.shape[1]):
            raise ValueError(
                f"waveform must be [samples], [channels, samples] or [samples, channels], got shape {audio.shape}"
            )
        channels_last = audio.ndim == 2 and audio.shape[0] > audio.shape[1]
        clean, degradation = self.degrade(np.atleast_2d(audio.T if channels_last else audio), int(sample_rate))
        degraded = degradation.apply(clean)
        job = self.job(degraded, degradation, classical)
        outputs = job.rows(np.concatenate(list(job.track.chunks()), axis=-1))
        values, clipping = clip_arrays(outputs, job.names, self.settings.sampling.clip)
        arrays = {"clean": clean, DEGRADED: degraded, **dict(zip(job.names, values))}
        arrays = {
            name: value[0] if audio.ndim == 1 else value.T if channels_last else value for name, value in arrays.items()
        }
        if not return_record:
            return arrays
        scores = _scores(clean, degraded, values[0])
        return arrays, self.record(job, degradation, started, clean, {"scores": scores, "clipping": clipping})

    def inspect(self, path: Path) -> AudioInfo:
        """``path`` checked as an input (see :func:`..separation.audio_io.inspect`); InputError names it."""
        return inspect(path, MIN_SECONDS, None)

    def key(self, info: AudioInfo) -> dict[str, Any]:
        """What a finished restoration must have been made with to be reused: the settings, the models' files and
        the input's bytes."""
        return {
            **self.settings.as_dict(),
            **self.identity,
            "input": str(info.path.resolve()),
            "input_sha256": file_sha256(info.path),
        }

    def restore_file(
        self,
        info: AudioInfo,
        folder: Path,
        resume: bool = False,
        progress: Callable[[float], None] = lambda seconds: None,
        force: bool = False,
    ) -> dict[str, Any] | None:
        """Degrade one checked clean input and restore it into ``folder``: ``degraded.wav``, ``restored.wav``,
        ``<stem>.wav`` and ``restore.json`` (the record, returned; None when ``resume`` found it finished), at the
        prior's rate. Resume, force and the errors as for separation (:func:`..separation.files.write_track`)."""
        key = self.key(info)
        sampling = self.settings.sampling
        state: dict[str, Any] = {}

        @contextmanager
        def open_job() -> Iterator[TrackJob]:
            with open_audio(info.path) as handle:
                audio = handle.read(dtype="float32", always_2d=True).T
            clean, degradation = self.degrade(audio, info.sample_rate)
            degraded = degradation.apply(clean)
            _write_wav(folder / f"{DEGRADED}.wav", degraded, self.sample_rate)
            state.update(clean=clean, degraded=degraded, degradation=degradation)
            yield self.job(degraded, degradation)

        def make_record(job: TrackJob, started: float, clipping: dict[str, Any]) -> dict[str, Any]:
            restored = soundfile.read(folder / f"{RESTORED}.wav", dtype="float32", always_2d=True)[0].T
            scores = _scores(state["clean"], state["degraded"], restored)
            outputs = {"clipping": clipping, "scores": scores, "outputs": [f"{name}.wav" for name in job.names]}
            record = self.record(job, state["degradation"], started, state["clean"], outputs)
            return {"track": folder.name, "input": str(info.path.resolve()), **record, "settings": key}

        return write_track(
            folder,
            key,
            open_job,
            make_record,
            sampling.format,
            sampling.clip,
            resume,
            progress,
            force,
            record_file=RECORD_FILE,
            what="restoration",
        )


def restore(
    waveform: np.ndarray | torch.Tensor,
    sample_rate: int,
    task: str,
    level: float | None = None,
    prior: str | os.PathLike = "default",
    separator: str | os.PathLike = "default",
    device: str = "cpu",
    threads: int | None = None,
    **options: Any,
) -> dict[str, np.ndarray]:
    """Degrade a clean music recording with ``task`` at ``level`` and restore it, as ``mgdm restore`` does a file
    (see :meth:`RestorationPipeline.restore` for the arrays returned). Loads the models on every call."""
    return RestorationPipeline(task, level, prior, separator, device, threads=threads, **options).restore(
        waveform, sample_rate
    )


def _scores(clean: np.ndarray, degraded: np.ndarray, restored: np.ndarray) -> dict[str, dict[str, float]]:
    """The degraded input's and the restoration's scores against the clean track (prior's rate)."""
    return {DEGRADED: restoration_scores(degraded, clean), RESTORED: restoration_scores(restored, clean)}


def _write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    """``audio`` [channels, samples] as a float32 WAV, atomically."""
    with atomic_path(path) as temporary:
        soundfile.write(temporary, audio.T, sample_rate, subtype="FLOAT", format="WAV")
