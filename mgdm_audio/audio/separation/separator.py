"""Separating one track: segment by segment through ``mgdm_audio.sample``, projected, cross-faded, written.

Memory holds a few segments at a time, never the track: the input is read per segment, each segment's
estimate is stored under ``.partial/`` and cross-faded into stems appended to files on disk.
"""
from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
import torch

from mgdm_audio.core import api
from mgdm_audio.core.samplers import make_sampler

from ..mixing import Mixing
from ..priors.music import MultiSourcePrior
from ..separators.model import MixtureSeparator
from .audio_io import AudioInfo, alignment, open_audio, read_block, resample, resampled_length, resampling_context
from .output import StemFiles
from .resume import PARTIAL_FOLDER, SegmentStore
from .segments import Segment, overlap_add, plan_segments

#: Where a sampler starts: from the discriminative separator's estimate, or from noise.
INITS = ("separator", "none")

#: Seed offset between the ``ma.sample`` calls that share one segment's draws (``--batch-size`` < N):
#: call j of unit u uses seed + u + j · SEED_STRIDE, distinct while a file has fewer than 2^20 units.
SEED_STRIDE = 1 << 20


@dataclass(frozen=True)
class SeparationSettings:
    """Everything that determines a track's outputs (``--resume`` reuses results only when these are equal).

    sampler / overrides: registry name and preset overrides (e.g. ``{"steps": 5}``), preset ``audio``; sampler
    "none" writes the initial estimate itself. init: "separator" (the discriminative separator's estimate, from
    which the sampler starts at noise level ``start_sigma``) or "none" (start from noise). separator: its name
    or directory.
    sigma_y: likelihood std of the mixture (data units). seed: unit u (segment i, channel c: u = i · C + c)
    uses seed + u. num_samples: N draws per segment, averaged. batch_size: draws per ``ma.sample`` call
    (0: all N). segment_seconds: model segment length (None: the prior's). overlap: shared fraction of
    neighbouring segments, [0, 0.5]. project: make each segment's stems sum to its mixture. per_channel:
    separate channels independently (else down-mix to mono). keep_model_rate: write at the prior's rate.
    format / clip: see :mod:`.output`. save_samples: also write each draw.
    """

    sampler: str = "mgdm"
    overrides: dict[str, Any] = field(default_factory=dict)
    init: str = "none"
    separator: str | None = None
    start_sigma: float | None = None
    sigma_y: float = 1e-4
    seed: int = 0
    num_samples: int = 1
    batch_size: int = 0
    segment_seconds: float | None = None
    overlap: float = 0.25
    project: bool = True
    per_channel: bool = False
    keep_model_rate: bool = False
    format: str = "float32"
    clip: str = "rescale"
    save_samples: bool = False

    def __post_init__(self):
        if self.init not in INITS:
            raise ValueError(f"unknown init {self.init!r}; expected one of {INITS}")
        if self.sampler == "none" and self.init == "none":
            raise ValueError("sampler none writes the initial estimate: it needs init separator")
        warm = self.init != "none" and self.sampler != "none"
        if warm != (self.start_sigma is not None):
            raise ValueError("a start noise level goes with a sampler started from the separator, and only then")
        if self.start_sigma is not None and not self.start_sigma > 0:
            raise ValueError(f"the start noise level must be > 0, got {self.start_sigma}")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Geometry:
    """Rates (Hz) and lengths (samples) of one track: input, model (the prior's) and output."""

    input_rate: int
    model_rate: int
    output_rate: int
    output_frames: int
    context: int  # input samples read beyond each segment so resampling matches the whole-signal result
    align: int  # input-sample step on which block starts meet the output grid

    def input_range(self, segment: Segment) -> tuple[int, int]:
        """Input samples [start, stop) read for ``segment`` (may reach outside the file: zeros there)."""
        start = (segment.start * self.input_rate // self.output_rate - self.context) // self.align * self.align
        stop = -(-segment.stop * self.input_rate // self.output_rate) + self.context
        return start, stop


def plan(info: AudioInfo, prior: MultiSourcePrior, settings: SeparationSettings) -> tuple[Geometry, list[Segment]]:
    """The track's rates and its segments in output samples, each read with context fitting one model segment."""
    model_rate = prior.sample_rate
    output_rate = model_rate if settings.keep_model_rate else info.sample_rate
    model_length = (prior.segment_length if settings.segment_seconds is None
                    else prior.valid_length(round(settings.segment_seconds * model_rate)))
    geometry = Geometry(info.sample_rate, model_rate, output_rate,
                        resampled_length(info.frames, info.sample_rate, output_rate),
                        resampling_context(info.sample_rate, model_rate), alignment(info.sample_rate, output_rate))
    # Input samples one model segment spans, less the context and the alignment slack around a segment.
    span = model_length * info.sample_rate // model_rate - 2 * geometry.context - geometry.align - 2
    length = span * output_rate // info.sample_rate
    if length < 2:
        raise ValueError(f"segment of {model_length} samples at {model_rate} Hz is too short to read "
                         f"{info.sample_rate} Hz audio with resampling context; use a longer --segment")
    return geometry, plan_segments(geometry.output_frames, length, settings.overlap)


def output_names(stems: tuple[str, ...], settings: SeparationSettings) -> list[str]:
    """Output files (without extension): the stems (mean of the draws), then ``<stem>_sample<k>`` per draw."""
    if not settings.save_samples:
        return list(stems)
    return [*stems, *(f"{stem}_sample{k}" for k in range(settings.num_samples) for stem in stems)]


class TrackSeparator:
    """Separates tracks with one prior and one set of settings.

    Args:
        prior: the multi-source prior (on its device). settings: see :class:`SeparationSettings`.
        initializer: the separator whose estimate starts the sampler (``settings.init == "separator"``), on the
            prior's device, with the prior's stems and rate.
        progress: called with seconds of audio finished (for a progress bar).
    """

    def __init__(self, prior: MultiSourcePrior, settings: SeparationSettings,
                 progress: Callable[[float], None] = lambda seconds: None,
                 initializer: MixtureSeparator | None = None):
        if (initializer is None) != (settings.init == "none"):
            raise ValueError("init separator needs the separator, and only it")
        if initializer is not None and (initializer.stems != prior.stems
                                        or initializer.sample_rate != prior.sample_rate):
            raise ValueError(f"the separator's stems ({', '.join(initializer.stems)}) and rate "
                             f"({initializer.sample_rate} Hz) must be the prior's ({', '.join(prior.stems)}; "
                             f"{prior.sample_rate} Hz)")
        self.initializer = initializer
        self.prior = prior
        self.settings = settings
        self.progress = progress
        # Unit gains for the prior's stems: samplers that use the adjoint (ΠGDM, DAPS, …) need their number.
        self.operator = Mixing(num_stems=len(prior.stems))
        #: The sampler, built once for every segment, channel and batch (None: sampler "none").
        self.runner = None if settings.sampler == "none" else make_sampler(settings.sampler, "audio",
                                                                          **settings.overrides)
        #: What the runs' records hold of the sampler (empty for sampler "none").
        self.sampler_settings: dict[str, Any] = {} if self.runner is None else {
            "sigma_y": float(settings.sigma_y), "start_sigma": settings.start_sigma, "preset": self.runner.preset,
            **self.runner.settings_dict()}

    def separate(self, info: AudioInfo, folder: Path, key: dict[str, Any], resume: bool) -> dict[str, Any]:
        """Write ``folder/<output>.wav`` for ``info``'s track; returns the record's track part (geometry, per-segment
        statistics, clipping actions). ``key``: the settings ``.partial/`` must match to be reused.

        Raises:
            OSError: a write failed (e.g. a full disk); the message says the previous outputs are unchanged.
        """
        geometry, segments = plan(info, self.prior, self.settings)
        channels = info.channels if self.settings.per_channel else 1
        names = output_names(self.prior.stems, self.settings)
        stats: list[dict[str, Any]] = []
        try:
            store = SegmentStore(folder, key, reuse=resume)
            files = StemFiles(names, store.folder / "stems", geometry.output_rate, channels)
            try:
                with open_audio(info.path) as handle:
                    pieces = self._pieces(handle, geometry, segments, store, stats)
                    for chunk in overlap_add(pieces):
                        files.append(chunk)
                        self.progress(chunk.shape[-1] / geometry.output_rate)
            finally:
                files.close()
            clipping = files.finish(folder, self.settings.format, self.settings.clip)
        except OSError as error:
            # libsndfile reports a full disk as "System error.": the free space says what it was.
            reason = f"{error.strerror or error}; {shutil.disk_usage(folder).free / 1e6:.1f} MB free there"
            raise OSError(f"writing into {folder} failed ({reason}); its previous outputs are unchanged "
                          f"(finished segments kept in {PARTIAL_FOLDER}/: rerun with --resume)") from None
        store.remove()
        return dict(input_sample_rate=info.sample_rate, model_sample_rate=geometry.model_rate,
                    output_sample_rate=geometry.output_rate, input_frames=info.frames,
                    output_frames=geometry.output_frames, input_channels=info.channels, output_channels=channels,
                    resampling_context=geometry.context, segments=stats, outputs=[f"{n}.wav" for n in names],
                    clipping=clipping)

    def _pieces(self, handle: soundfile.SoundFile, geometry: Geometry, segments: list[Segment], store: SegmentStore,
                stats: list[dict[str, Any]]) -> Iterator[tuple[Segment, np.ndarray]]:
        """Each segment's outputs [outputs, channels, length], from ``.partial/`` when finished before."""
        for segment in segments:
            stored = store.load(segment.index)
            if stored is None:
                values, record = self._separate_segment(handle, geometry, segment)
                store.save(segment.index, values, record)
            else:
                values, record = stored[0], {**stored[1], "resumed": True}
            stats.append(record)
            yield segment, values.astype(np.float64)

    def _separate_segment(self, handle: soundfile.SoundFile, geometry: Geometry,
                          segment: Segment) -> tuple[np.ndarray, dict[str, Any]]:
        started = time.perf_counter()
        start, stop = geometry.input_range(segment)
        audio = read_block(handle, start, stop)
        if not self.settings.per_channel:
            audio = audio.mean(axis=0, keepdims=True)
        mixture_model = resample(audio, geometry.input_rate, geometry.model_rate)
        channels = audio.shape[0]
        seeds = [self.settings.seed + segment.index * channels + c for c in range(channels)]
        draws, calls = zip(*(self._draw(mixture_model[c], seed) for c, seed in enumerate(seeds)))
        stems_model = np.stack(draws, axis=2)  # [N, S, C, model samples]
        residual_model = _norm(mixture_model - stems_model.mean(axis=0).sum(axis=0))
        offset = segment.start - start * geometry.output_rate // geometry.input_rate
        crop = slice(offset, offset + segment.length)
        mixture = _fit(resample(audio, geometry.input_rate, geometry.output_rate)[..., crop], segment.length)
        stems = _fit(resample(stems_model, geometry.model_rate, geometry.output_rate)[..., crop], segment.length)
        residual_before = _norm(mixture - stems.mean(axis=0).sum(axis=0))
        if self.settings.project:
            # Spread the residual equally: the closest point (least squares) with Σ stems = mixture.
            stems = stems + (mixture - stems.sum(axis=1, keepdims=True)) / stems.shape[1]
        mean = stems.mean(axis=0)
        residual_after = _norm(mixture - mean.sum(axis=0))
        values = np.concatenate([mean, stems.reshape(-1, *stems.shape[2:])]) if self.settings.save_samples else mean
        record = dict(index=segment.index, start=segment.start, stop=segment.stop, input_start=start, input_stop=stop,
                      model_length=self.prior.valid_length(mixture_model.shape[-1]), seeds=seeds,
                      seconds=round(time.perf_counter() - started, 4),
                      denoiser_calls=dict(forward=sum(c[0] for c in calls), forward_backward=sum(c[1] for c in calls)),
                      residual_model_rate=residual_model, residual_before_projection=residual_before,
                      residual_after_projection=residual_after)
        return values, record

    def _draw(self, mixture: np.ndarray, seed: int) -> tuple[np.ndarray, tuple[int, int]]:
        """N posterior draws [N, S, n] of the stems of one channel's mixture [n] (model rate), and the denoiser
        calls (forward, forward+backward), summed over the ``ma.sample`` calls."""
        settings, length = self.settings, mixture.shape[-1]
        model_length = self.prior.valid_length(length)
        prior = self.prior.with_length(model_length)
        observation = torch.from_numpy(np.pad(mixture, (0, model_length - length)))
        estimate = None
        if self.initializer is not None:
            with torch.no_grad():
                estimate = self.initializer(observation.to(self.prior.device, self.prior.dtype)[None])
            if settings.sampler == "none":
                return estimate[..., :length].float().cpu().numpy(), (0, 0)
        batch = settings.batch_size or settings.num_samples
        samples, forward, backward = [], 0, 0
        for call, first in enumerate(range(0, settings.num_samples, batch)):
            result = api.sample(prior, self.operator, observation, sigma_y=settings.sigma_y, sampler=self.runner,
                                num_samples=min(batch, settings.num_samples - first), seed=seed + call * SEED_STRIDE,
                                return_result=True, init=estimate, start_sigma=settings.start_sigma)
            samples.append(result.samples[..., :length].float().cpu().numpy())
            forward += result.calls.forward
            backward += result.calls.forward_backward
        return np.concatenate(samples), (forward, backward)


def _fit(values: np.ndarray, length: int) -> np.ndarray:
    """``values`` [..., n] cut or zero-padded to [..., length]."""
    values = values[..., :length]
    return np.pad(values, [(0, 0)] * (values.ndim - 1) + [(0, length - values.shape[-1])])


def _norm(residual: np.ndarray) -> dict[str, float]:
    """‖residual‖₂ and max |residual| (all channels and samples)."""
    return dict(l2=float(np.linalg.norm(residual)), max_abs=float(np.abs(residual).max(initial=0.0)))
