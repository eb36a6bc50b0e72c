"""The user API of separation: :class:`SeparationPipeline` loads a prior (and a discriminative separator) once and
separates mixtures held in memory or audio files with them (as Demucs's ``demucs.api.Separator``);
:func:`separate` is the one-call form (``mgdm_audio.separate``). ``mgdm separate`` runs the same pipeline.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mgdm_audio.common.checksum import file_sha256
from mgdm_audio.common.hardware import describe_device, resolve_device
from mgdm_audio.core.pretrained import CONFIG_FILE, WEIGHTS_FILE
from mgdm_audio.core.priors.loading import load as load_prior
from mgdm_audio.core.priors.loading import resolve as resolve_prior

from ..separators.loading import load as load_separator
from .audio_io import ArraySource, AudioInfo, inspect
from .files import separate_file
from .output import clip_arrays
from .sampling import SegmentSampler
from .settings import SeparationSettings, build_settings, choose_quality
from .track import Track

#: Inputs shorter than this are refused (a fraction of one model segment carries too little to separate).
MIN_SECONDS = 0.1


def directory_digest(directory: Path) -> str:
    """SHA-256 of a model directory's config and weights: a retrained model in the same folder is another model."""
    return hashlib.sha256(
        "".join(file_sha256(directory / name) for name in (CONFIG_FILE, WEIGHTS_FILE)).encode()
    ).hexdigest()


class SeparationPipeline:
    """A prior (and separator) loaded once, separating mixtures with one set of settings.

    Args:
        prior: ``"default"`` (the packaged prior) or a prior directory.
        separator: ``"default"`` or a separator directory; loaded only when the settings start from its estimate.
        quality: a preset of :data:`.settings.QUALITIES`; None: ``"default"`` when the separator suits the prior,
            else ``"paper"`` (:func:`.settings.choose_quality`).
        device: "auto", "cpu", "cuda", "cuda:N".
        settings: settings already built by :func:`.settings.build_settings` (what ``mgdm separate`` passes),
            instead of ``options``.
        threads: math threads of this process (torch's; None leaves them as they are). More threads than free
            cores make a CPU run many times slower (docs/audio.md, "Threads").
        **options: single settings over the preset's (see :func:`.settings.build_settings`): sampler, init,
            start_sigma, num_samples, overrides (a dict of sampler settings), sigma_y, seed, batch_size,
            segment_seconds, overlap, project, channels, keep_model_rate, format, clip, save_samples. ``clip``
            defaults to "none" here (arrays and float32 files hold any value; ``mgdm separate`` passes its own,
            "rescale"); ``format`` concerns files only (arrays are float32).

    Raises:
        ValueError / FileNotFoundError: a bad setting, or a prior / separator directory that cannot be loaded or
            whose stems or rate differ (one line naming the file).
    """

    def __init__(
        self,
        prior: str | os.PathLike = "default",
        separator: str | os.PathLike = "default",
        quality: str | None = None,
        device: str | torch.device = "cpu",
        settings: SeparationSettings | None = None,
        threads: int | None = None,
        **options: Any,
    ):
        if threads is not None:
            if threads < 1:
                raise ValueError(f"threads must be >= 1, got {threads}")
            torch.set_num_threads(threads)
        self.quality = choose_quality(quality, prior, separator)
        if settings is not None and options:
            raise ValueError("pass settings or single options, not both")
        self.settings = settings or build_settings(self.quality, separator, **{"clip": "none", **options})
        self.device = resolve_device(device) if isinstance(device, str) else device
        self.prior_path = resolve_prior(prior).resolve()
        prior_model = load_prior(prior, self.device)
        if not hasattr(prior_model, "stems"):
            raise ValueError(
                f"{prior}: a {type(prior_model).__name__} (an image prior), not a music prior over stems; separation "
                f"needs one such as 'default'"
            )
        self.identity: dict[str, Any] = {
            "prior": str(self.prior_path),
            "prior_sha256": directory_digest(self.prior_path),
        }
        initializer = None
        if self.settings.init == "separator":
            separator_path = Path(self.settings.separator)
            initializer = load_separator(separator_path, self.device)
            if (initializer.stems, initializer.sample_rate) != (prior_model.stems, prior_model.sample_rate):
                raise ValueError(
                    f"{separator_path / CONFIG_FILE}: separator stems {', '.join(initializer.stems)} at "
                    f"{initializer.sample_rate} Hz do not match the prior's "
                    f"({self.prior_path / CONFIG_FILE}: {', '.join(prior_model.stems)} at "
                    f"{prior_model.sample_rate} Hz)"
                )
            self.identity["separator_sha256"] = directory_digest(separator_path)
        self.sampler = SegmentSampler(prior_model, self.settings, initializer)

    @property
    def prior(self):
        """The loaded :class:`mgdm_audio.audio.priors.music.MultiSourcePrior`."""
        return self.sampler.prior

    @property
    def stems(self) -> tuple[str, ...]:
        return self.prior.stems

    @property
    def sample_rate(self) -> int:
        """The prior's (model) rate in Hz; its band limit is half of it."""
        return self.prior.sample_rate

    def inspect(self, path: Path) -> AudioInfo:
        """``path`` checked as an input for these settings (see :func:`.audio_io.inspect`); InputError names it."""
        return inspect(path, MIN_SECONDS, self._max_channels())

    def key(self, info: AudioInfo) -> dict[str, Any]:
        """What a finished track or segment must have been made with to be reused: the settings, the prior's (and
        separator's) files and the input's bytes (a hash: a rewrite within one clock tick is still seen)."""
        return {
            **self.settings.as_dict(),
            **self.identity,
            "input": str(info.path.resolve()),
            "input_bytes": info.path.stat().st_size,
            "input_sha256": file_sha256(info.path),
        }

    def record(
        self,
        track: Track,
        started: float,
        clipping: dict[str, Any],
        folder: Path | None = None,
        info: AudioInfo | None = None,
        key: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A separation's record: the track's folder name and input file (files only), the quality, models,
        settings (a file's ``key``, see :meth:`key`), sampler, device, time since ``started``, denoiser calls, then
        the track's geometry and segments and the clipping actions."""
        calls = {
            kind: sum(segment["denoiser_calls"][kind] for segment in track.stats)
            for kind in ("forward", "forward_backward")
        }
        record: dict[str, Any] = {} if folder is None else {"track": folder.name}
        record["quality"] = self.quality
        if info is not None:
            record["input"] = str(info.path.resolve())
        record.update(
            prior=str(self.prior_path),
            stems=list(self.stems),
            band_limit_hz=self.sample_rate / 2,
            settings=key or {**self.settings.as_dict(), **self.identity},
            sampler_settings=self.sampler.record(),
            device=describe_device(self.device),
            seconds=round(time.perf_counter() - started, 3),
            denoiser_calls=calls,
            **track.record(),
            clipping=clipping,
        )
        return record

    def separate_file(
        self,
        info: AudioInfo,
        folder: Path,
        resume: bool = False,
        progress: Callable[[float], None] = lambda seconds: None,
        force: bool = False,
    ) -> dict[str, Any] | None:
        """Separate one checked input file into ``folder`` (see :func:`.files.separate_file`)."""
        return separate_file(self, info, folder, resume, progress, force)

    def separate(
        self, waveform: np.ndarray | torch.Tensor, sample_rate: int, return_record: bool = False
    ) -> dict[str, np.ndarray] | tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Separate a mixture held in memory, as ``mgdm separate`` does a float32 file of it (segments, cross-fades,
        projection, seeds): the stems equal the command's bit for bit.

        Args:
            waveform: [samples], [channels, samples] or [samples, channels] (what ``soundfile.read`` returns): the
                shorter axis is the channels' (at most two with channels "mono"); float in [-1, 1] full scale.
                sample_rate: its rate in Hz (resampled to the prior's and back).
            return_record: also return the record (segments, seeds, residuals, clipping), as ``mgdm separate``
                writes it less the file's name and bytes.

        Returns:
            stem name → float32 array at ``sample_rate`` (the prior's with keep_model_rate): [samples] for a 1-D
            waveform, else in the waveform's layout, [channels, samples] or [samples, channels] (1 channel when
            down-mixed, channels "mono"; else the input's); with save_samples also ``<stem>_sample<k>`` per draw.
        """
        started = time.perf_counter()
        audio = np.asarray(
            waveform.detach().cpu() if isinstance(waveform, torch.Tensor) else waveform, dtype=np.float32
        )
        if audio.ndim not in (1, 2) or audio.shape[-1] == 0 or audio.shape[0] == 0:
            raise ValueError(
                f"waveform must be [samples], [channels, samples] or [samples, channels] with samples > 0, got "
                f"shape {audio.shape}"
            )
        channels_last = audio.ndim == 2 and audio.shape[0] > audio.shape[1]
        if audio.ndim == 2 and audio.shape[0] == audio.shape[1]:
            raise ValueError(f"waveform of shape {audio.shape}: which axis holds the channels is unclear")
        if not (isinstance(sample_rate, (int, np.integer)) and sample_rate > 0):
            raise ValueError(f"sample_rate must be a positive integer (Hz), got {sample_rate!r}")
        source = ArraySource(
            np.atleast_2d(audio.T if channels_last else audio), int(sample_rate), MIN_SECONDS, self._max_channels()
        )
        track = Track(source, self.sampler)
        outputs = np.concatenate(list(track.chunks()), axis=-1)
        values, clipping = clip_arrays(outputs, track.names, self.settings.clip)
        stems = {
            name: value[0] if audio.ndim == 1 else value.T if channels_last else value
            for name, value in zip(track.names, values)
        }
        return (stems, self.record(track, started, clipping)) if return_record else stems

    def _max_channels(self) -> int | None:
        return 2 if self.settings.channels == "mono" else None


def separate(
    waveform: np.ndarray | torch.Tensor,
    sample_rate: int,
    prior: str | os.PathLike = "default",
    separator: str | os.PathLike = "default",
    quality: str | None = None,
    device: str = "cpu",
    threads: int | None = None,
    **options: Any,
) -> dict[str, np.ndarray]:
    """Separate a music mixture held in memory into the prior's stems, as ``mgdm separate`` does a file.

    Loads the models on every call; to separate several mixtures, keep a
    :class:`mgdm_audio.audio.separation.SeparationPipeline` and call its ``separate``.

    Args:
        waveform: [samples], [channels, samples] or [samples, channels] (as ``soundfile.read`` returns it; the
            shorter axis holds the channels); stems keep its channels (``channels="mono"``: one, down-mixed); float
            in [-1, 1] full scale.
        sample_rate: the waveform's rate in Hz; stems come back at it (``keep_model_rate=True``: the prior's).
        prior / separator: ``"default"`` (packaged) or a directory. quality: ``"fast"``, ``"default"``, ``"paper"``
            (None: ``"default"`` when the separator suits the prior, else ``"paper"``).
        device: "cpu", "auto", "cuda", "cuda:N". threads: see :class:`SeparationPipeline`.
        **options: single settings over the preset's, e.g. ``seed=1``, ``overrides={"steps": 20}``,
            ``segment_seconds=3.0`` (see :class:`SeparationPipeline`).

    Returns:
        stem name → float32 array shaped like ``waveform`` at the output rate (one channel when down-mixed).
    """
    return SeparationPipeline(prior, separator, quality, device, threads=threads, **options).separate(
        waveform, sample_rate
    )
