"""The separation engine shared by ``mgdm separate`` and ``mgdm_audio.separate``: settings from a quality preset,
the loaded prior (and separator), one track at a time into a folder or an array in memory.

:class:`StemSeparator` loads the models once and separates any number of files or waveforms with them (Demucs's
``demucs.api.Separator``); :func:`mgdm_audio.separate` is the one-call form.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
import torch

from mgdm_audio.common.checksum import file_sha256
from mgdm_audio.common.hardware import describe_device, resolve_device
from mgdm_audio.core.pretrained import CONFIG_FILE, WEIGHTS_FILE, read_section
from mgdm_audio.core.priors.loading import PRIOR_TYPES
from mgdm_audio.core.priors.loading import load as load_prior
from mgdm_audio.core.priors.loading import resolve as resolve_prior
from mgdm_audio.core.samplers import make_sampler

from ..separators.loading import SEPARATOR_TYPES
from ..separators.loading import load as load_separator
from ..separators.loading import resolve as resolve_separator
from .audio_io import AudioInfo, InputError, inspect
from .output import check_clip_policy
from .quality import DEFAULT_QUALITY, QUALITIES
from .report import is_finished, write_record
from .resume import TrackLock
from .separator import SeparationSettings, TrackSeparator, output_names

#: Inputs shorter than this are refused (a fraction of one model segment carries too little to separate).
MIN_SECONDS = 0.1


def separator_suits(separator: str | os.PathLike, prior: str | os.PathLike) -> bool:
    """Whether the separator's stems and rate are the prior's, read from their configs (False if unreadable)."""
    try:
        _, separator_config = read_section(resolve_separator(separator), "separator", SEPARATOR_TYPES)
        _, prior_config = read_section(resolve_prior(prior), "prior", PRIOR_TYPES)
    except (OSError, ValueError):
        return False
    return all(separator_config.get(key) == prior_config.get(key) for key in ("stems", "sample_rate"))


def choose_quality(quality: str | None, prior: str | os.PathLike, separator: str | os.PathLike) -> str:
    """``quality``, or when None the default preset if the separator suits the prior (same stems and rate, as the
    packaged pair), else ``"paper"`` (MGDM from noise needs no separator)."""
    if quality is not None:
        if quality not in QUALITIES:
            raise ValueError(f"unknown quality {quality!r}; expected one of {list(QUALITIES)}")
        return quality
    return DEFAULT_QUALITY if separator_suits(separator, prior) else "paper"


def build_settings(quality: str, separator: str | os.PathLike = "default", sampler: str | None = None,
                   init: str | None = None, start_sigma: float | None = None, num_samples: int | None = None,
                   overrides: dict[str, Any] | None = None, **options: Any) -> SeparationSettings:
    """The settings of preset ``quality`` with single values replaced.

    Args:
        quality: a name of :data:`.quality.QUALITIES`. separator: its name or directory (used with init
            "separator"). sampler / init / start_sigma / num_samples: None keeps the preset's.
        overrides: sampler settings given explicitly (e.g. ``{"steps": 5}``), over the preset's when the sampler
            is the preset's.
        **options: the other fields of :class:`.separator.SeparationSettings` (seed, sigma_y, segment_seconds, …).

    Raises:
        ValueError: naming the parameter that is out of range or does not go with the others.
    """
    preset = QUALITIES[quality]
    sampler = sampler or preset.sampler
    init = init or preset.init
    overrides = dict(overrides or {})
    if init == "none" or sampler == "none":
        if start_sigma is not None:
            raise ValueError("start_sigma needs a sampler started from the separator (init 'separator')")
    elif start_sigma is None:
        start_sigma = preset.start_sigma
    num_samples = num_samples or (preset.num_samples if sampler == preset.sampler else 1)
    if sampler == "none":
        if init == "none":
            raise ValueError("sampler 'none' writes the separator's estimate: it needs init 'separator'")
        if num_samples != 1 or overrides:
            raise ValueError("sampler 'none' has no draws or sampler settings")
    else:
        overrides = {**(preset.overrides if sampler == preset.sampler else {}), **overrides}
        make_sampler(sampler, "audio", **overrides)  # refuses invalid values now, not once per file
    settings = SeparationSettings(sampler=sampler, overrides=overrides, init=init, start_sigma=start_sigma,
                                  num_samples=num_samples, **options,
                                  separator=str(resolve_separator(separator).resolve()) if init == "separator"
                                  else None)
    if settings.num_samples < 1 or settings.batch_size < 0 or not settings.sigma_y > 0:
        raise ValueError("need num_samples >= 1, batch_size >= 0 and sigma_y > 0")
    if settings.segment_seconds is not None and not settings.segment_seconds > 0:
        raise ValueError(f"segment_seconds must be > 0, got {settings.segment_seconds}")
    if not 0.0 <= settings.overlap <= 0.5:
        raise ValueError(f"overlap must be in [0, 0.5], got {settings.overlap}")
    check_clip_policy(settings.format, settings.clip)
    return settings


def directory_digest(directory: Path) -> str:
    """SHA-256 of a model directory's config and weights: a retrained model in the same folder is another model."""
    return hashlib.sha256("".join(file_sha256(directory / name) for name in (CONFIG_FILE, WEIGHTS_FILE))
                          .encode()).hexdigest()


class StemSeparator:
    """A prior (and separator) loaded once, separating tracks with one set of settings.

    Args:
        prior: ``"default"`` (the packaged prior) or a prior directory.
        separator: ``"default"`` or a separator directory; loaded only when the settings start from its estimate.
        quality: a preset of :data:`.quality.QUALITIES`; None: ``"default"`` when the separator suits the prior,
            else ``"paper"`` (:func:`choose_quality`).
        device: "auto", "cpu", "cuda", "cuda:N".
        **options: single settings over the preset's (see :func:`build_settings`): sampler, init, start_sigma,
            num_samples, overrides (a dict of sampler settings), sigma_y, seed, batch_size, segment_seconds,
            overlap, project, per_channel, keep_model_rate, format, clip, save_samples. ``clip`` defaults to
            "none" here (arrays and float32 files hold any value; ``mgdm separate`` passes its own, "rescale").
        settings: settings already built by :func:`build_settings` (what ``mgdm separate`` passes), instead of
            ``options``.

    Raises:
        ValueError / FileNotFoundError: a bad setting, or a prior / separator directory that cannot be loaded or
            whose stems or rate differ (one line naming the file).
    """

    def __init__(self, prior: str | os.PathLike = "default", separator: str | os.PathLike = "default",
                 quality: str | None = None, device: str | torch.device = "cpu",
                 settings: SeparationSettings | None = None, **options: Any):
        self.quality = choose_quality(quality, prior, separator)
        if settings is not None and options:
            raise ValueError("pass settings or single options, not both")
        self.settings = settings or build_settings(self.quality, separator, **{"clip": "none", **options})
        self.device = resolve_device(device) if isinstance(device, str) else device
        self.prior_path = resolve_prior(prior).resolve()
        prior_model = load_prior(prior, self.device)
        initializer = None
        self.identity: dict[str, Any] = {"prior": str(self.prior_path),
                                         "prior_sha256": directory_digest(self.prior_path)}
        if self.settings.init == "separator":
            separator_path = Path(self.settings.separator)  # resolved by build_settings
            initializer = load_separator(separator_path, self.device)
            if initializer.stems != prior_model.stems or initializer.sample_rate != prior_model.sample_rate:
                raise ValueError(f"{separator_path / CONFIG_FILE}: separator stems {', '.join(initializer.stems)} at "
                                 f"{initializer.sample_rate} Hz do not match the prior's "
                                 f"({self.prior_path / CONFIG_FILE}: {', '.join(prior_model.stems)} at "
                                 f"{prior_model.sample_rate} Hz)")
            self.identity["separator_sha256"] = directory_digest(separator_path)
        self.engine = TrackSeparator(prior_model, self.settings, initializer=initializer)

    @property
    def prior(self):
        """The loaded :class:`mgdm_audio.audio.priors.music.MultiSourcePrior`."""
        return self.engine.prior

    @property
    def stems(self) -> tuple[str, ...]:
        return self.prior.stems

    @property
    def sample_rate(self) -> int:
        """The prior's (model) rate in Hz; its band limit is half of it."""
        return self.prior.sample_rate

    def inspect(self, path: Path) -> AudioInfo:
        """``path`` checked as an input for these settings (see :func:`.audio_io.inspect`); InputError names it."""
        return inspect(path, MIN_SECONDS, None if self.settings.per_channel else 2)

    def key(self, info: AudioInfo) -> dict[str, Any]:
        """What a finished track or segment must have been made with to be reused: the settings, the prior's (and
        separator's) files and the input's bytes (a hash: a rewrite within one clock tick is still seen)."""
        return {**self.settings.as_dict(), **self.identity, "input": str(info.path.resolve()),
                "input_bytes": info.path.stat().st_size, "input_sha256": file_sha256(info.path)}

    def separate_file(self, info: AudioInfo, folder: Path, resume: bool = False,
                      progress: Callable[[float], None] = lambda seconds: None) -> dict[str, Any] | None:
        """Write ``folder/<stem>.wav`` and ``folder/separation.json`` (the record, returned) for one input.

        resume: skip a track already finished with equal key (returns None) and reuse the finished segments of an
        interrupted one. progress: called with seconds of audio done. Another process separating into ``folder``
        holds its lock: :class:`.resume.TrackBusy` (an OSError), nothing touched. A failed write leaves the
        previous stems and record as they were (OSError says so).
        """
        started = time.perf_counter()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OSError(f"output folder {folder} is not writable ({error.strerror})") from None
        key = self.key(info)
        with TrackLock(folder):
            if resume and is_finished(folder, key):
                return None
            self.engine.progress = progress
            track = self.engine.separate(info, folder, key, resume)
            calls = {kind: sum(segment["denoiser_calls"][kind] for segment in track["segments"])
                     for kind in ("forward", "forward_backward")}
            record = dict(track=folder.name, quality=self.quality, input=str(info.path.resolve()),
                          prior=str(self.prior_path), stems=list(self.stems), band_limit_hz=self.sample_rate / 2,
                          settings=key, sampler_settings=self.engine.sampler_settings,
                          device=describe_device(self.device), seconds=round(time.perf_counter() - started, 3),
                          denoiser_calls=calls, **track)
            write_record(folder, record)
        return record

    def separate(self, waveform: np.ndarray | torch.Tensor, sample_rate: int,
                 return_record: bool = False) -> dict[str, np.ndarray] | tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Separate a mixture held in memory with the engine of ``mgdm separate`` (segments, cross-fades,
        projection, seeds); it passes through a temporary float32 WAV, so the stems equal the command's on that
        file bit for bit.

        Args:
            waveform: [samples] or [channels, samples] (mono or stereo unless per_channel), float in [-1, 1] full
                scale. sample_rate: its rate in Hz (resampled to the prior's and back).
            return_record: also return the record ``mgdm separate`` writes (segments, seeds, residuals, clipping).

        Returns:
            stem name → float32 array at ``sample_rate`` (the prior's with keep_model_rate): [samples] for a 1-D
            waveform, else [channels, samples] (1 channel when down-mixed, the input's with per_channel); with
            save_samples also ``<stem>_sample<k>`` per draw.
        """
        audio = np.asarray(waveform.detach().cpu() if isinstance(waveform, torch.Tensor) else waveform,
                           dtype=np.float32)
        if audio.ndim not in (1, 2) or audio.shape[-1] == 0:
            raise ValueError(f"waveform must be [samples] or [channels, samples] with samples > 0, got shape "
                             f"{audio.shape}")
        if not (isinstance(sample_rate, (int, np.integer)) and sample_rate > 0):
            raise ValueError(f"sample_rate must be a positive integer (Hz), got {sample_rate!r}")
        with tempfile.TemporaryDirectory(prefix="mgdm-separate-") as work:
            path = Path(work) / "waveform.wav"
            soundfile.write(path, np.atleast_2d(audio).T, int(sample_rate), subtype="FLOAT")
            try:
                info = self.inspect(path)
            except InputError as error:  # name the argument, not the temporary file
                raise ValueError(str(error).replace(str(path), "waveform")) from None
            record = self.separate_file(info, Path(work) / "stems")
            names = output_names(self.stems, self.settings)
            stems = {name: soundfile.read(Path(work) / "stems" / f"{name}.wav", dtype="float32", always_2d=True)[0].T
                     for name in names}
        if audio.ndim == 1:
            stems = {name: values[0] for name, values in stems.items()}
        return (stems, record) if return_record else stems


def separate(waveform: np.ndarray | torch.Tensor, sample_rate: int, prior: str | os.PathLike = "default",
             separator: str | os.PathLike = "default", quality: str | None = None, device: str = "cpu",
             **options: Any) -> dict[str, np.ndarray]:
    """Separate a music mixture held in memory into the prior's stems, as ``mgdm separate`` does a file.

    Loads the models on every call; to separate several mixtures, keep a
    :class:`mgdm_audio.audio.separation.StemSeparator` and call its ``separate``.

    Args:
        waveform: [samples] or [channels, samples] (mono or stereo; stereo is down-mixed unless
            ``per_channel=True``), float in [-1, 1] full scale.
        sample_rate: the waveform's rate in Hz; stems come back at it (``keep_model_rate=True``: the prior's).
        prior / separator: ``"default"`` (packaged) or a directory. quality: ``"fast"``, ``"default"``, ``"paper"``
            (None: ``"default"`` when the separator suits the prior, else ``"paper"``).
        device: "cpu", "auto", "cuda", "cuda:N".
        **options: single settings over the preset's, e.g. ``seed=1``, ``overrides={"steps": 20}``,
            ``segment_seconds=3.0`` (see :class:`mgdm_audio.audio.separation.StemSeparator`).

    Returns:
        stem name → float32 array shaped like ``waveform`` at the output rate ([samples], or [channels, samples]
        with 1 channel when down-mixed).
    """
    return StemSeparator(prior, separator, quality, device, **options).separate(waveform, sample_rate)
