"""Separating one track, segment by segment: the core under both adapters (arrays in memory, files on disk).

A track is any :class:`.audio_io.Source` (an array, an open file). Its segments are read with resampling
context, resampled to the prior's rate, sampled (:class:`.sampling.SegmentSampler`), resampled back, panned into
the mixture's channels, projected so the stems sum to the mixture over its whole band (:mod:`.projection`), and
cross-faded into output chunks. Memory holds a few segments at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..priors.music import MultiSourcePrior
from .audio_io import Source, alignment, resample, resampled_length, resampling_context
from .projection import pan, project
from .sampling import SegmentSampler
from .segments import Segment, overlap_add, plan_segments
from .settings import SeparationSettings


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
        """Input samples [start, stop) read for ``segment`` (may reach outside the input: zeros there)."""
        start = (segment.start * self.input_rate // self.output_rate - self.context) // self.align * self.align
        stop = -(-segment.stop * self.input_rate // self.output_rate) + self.context
        return start, stop


class SegmentStore(Protocol):
    """Where finished segments are kept between runs (:class:`.resume.SegmentStore`)."""

    def load(self, index: int) -> tuple[np.ndarray, dict[str, Any]] | None: ...

    def save(self, index: int, values: np.ndarray, stats: dict[str, Any]) -> None: ...


def plan(source: Source, prior: MultiSourcePrior, settings: SeparationSettings) -> tuple[Geometry, list[Segment]]:
    """The track's rates and its segments in output samples, each read with context fitting one model segment."""
    model_rate = prior.sample_rate
    output_rate = model_rate if settings.keep_model_rate else source.sample_rate
    model_length = (
        prior.segment_length
        if settings.segment_seconds is None
        else prior.valid_length(round(settings.segment_seconds * model_rate))
    )
    geometry = Geometry(
        source.sample_rate,
        model_rate,
        output_rate,
        resampled_length(source.frames, source.sample_rate, output_rate),
        resampling_context(source.sample_rate, model_rate),
        alignment(source.sample_rate, output_rate),
    )
    # Input samples one model segment spans, less the context and the alignment slack around a segment.
    span = model_length * source.sample_rate // model_rate - 2 * geometry.context - geometry.align - 2
    length = span * output_rate // source.sample_rate
    if length < 2:
        raise ValueError(
            f"segment of {model_length} samples at {model_rate} Hz is too short to read "
            f"{source.sample_rate} Hz audio with resampling context; use a longer --segment"
        )
    return geometry, plan_segments(geometry.output_frames, length, settings.overlap)


def output_names(stems: tuple[str, ...], settings: SeparationSettings) -> list[str]:
    """Outputs (file names without extension): the stems (mean of the draws), then ``<stem>_sample<k>`` per draw."""
    if not settings.save_samples:
        return list(stems)
    return [*stems, *(f"{stem}_sample{k}" for k in range(settings.num_samples) for stem in stems)]


def separate_segment(
    source: Source, geometry: Geometry, segment: Segment, sampler: SegmentSampler
) -> tuple[np.ndarray, dict[str, Any]]:
    """One segment's outputs [outputs, channels, segment.length] and its statistics. The outputs are float32, as
    the resume store keeps them, so that a resumed track equals an uninterrupted one bit for bit."""
    settings = sampler.settings
    started = time.perf_counter()
    start, stop = geometry.input_range(segment)
    audio = source.read(start, stop)
    if settings.channels == "mono":
        audio = audio.mean(axis=0, keepdims=True)
    separated = audio if settings.channels == "each" else audio.mean(axis=0, keepdims=True)
    mixture_model = resample(separated, geometry.input_rate, geometry.model_rate)
    channels = separated.shape[0]
    seeds = [settings.seed + segment.index * channels + c for c in range(channels)]
    first = start * geometry.model_rate // geometry.input_rate  # the track's sample at the prior's rate
    draws, calls = zip(*(sampler.draw(mixture_model[c], seed, first, c) for c, seed in enumerate(seeds)))
    stems_model = np.stack(draws, axis=2)  # [N, S, channels separated, model samples]
    residual_model = _norm(mixture_model - stems_model.mean(axis=0).sum(axis=0))
    offset = segment.start - start * geometry.output_rate // geometry.input_rate
    crop = slice(offset, offset + segment.length)
    mixture = _fit(resample(audio, geometry.input_rate, geometry.output_rate)[..., crop], segment.length)
    stems = _fit(resample(stems_model, geometry.model_rate, geometry.output_rate)[..., crop], segment.length)
    if stems.shape[2] != mixture.shape[0]:
        stems = pan(stems, mixture)
    residual_before = _norm(mixture - stems.mean(axis=0).sum(axis=0))
    if settings.project:
        stems = project(stems, mixture, geometry.output_rate, geometry.model_rate / 2)
    mean = stems.mean(axis=0)
    residual_after = _norm(mixture - mean.sum(axis=0))
    values = np.concatenate([mean, stems.reshape(-1, *stems.shape[2:])]) if settings.save_samples else mean
    record = dict(
        index=segment.index,
        start=segment.start,
        stop=segment.stop,
        input_start=start,
        input_stop=stop,
        model_length=sampler.prior.valid_length(mixture_model.shape[-1]),
        seeds=seeds,
        seconds=round(time.perf_counter() - started, 4),
        denoiser_calls=dict(forward=sum(c[0] for c in calls), forward_backward=sum(c[1] for c in calls)),
        residual_model_rate=residual_model,
        residual_before_projection=residual_before,
        residual_after_projection=residual_after,
    )
    return values.astype(np.float32), record


class Track:
    """One mixture being separated by ``sampler``: its plan, its output chunks and their record.

    Args:
        source: the mixture (see :class:`.audio_io.Source`). sampler: draws the stems of each segment.
    """

    def __init__(self, source: Source, sampler: SegmentSampler):
        self.source = source
        self.sampler = sampler
        self.geometry, self.segments = plan(source, sampler.prior, sampler.settings)
        self.channels = 1 if sampler.settings.channels == "mono" else source.channels
        self.names = output_names(sampler.prior.stems, sampler.settings)
        self.stats: list[dict[str, Any]] = []

    def chunks(
        self, store: SegmentStore | None = None, progress: Callable[[float], None] = lambda seconds: None
    ) -> Iterator[np.ndarray]:
        """Consecutive output chunks [outputs, channels, n] (float64) whose concatenation is the separated track.
        ``store``: finished segments are taken from it and new ones saved to it (resume after a crash).
        ``progress``: called with the seconds of audio each chunk holds."""
        for chunk in overlap_add(self._pieces(store)):
            yield chunk
            progress(chunk.shape[-1] / self.geometry.output_rate)

    def _pieces(self, store: SegmentStore | None) -> Iterator[tuple[Segment, np.ndarray]]:
        for segment in self.segments:
            stored = None if store is None else store.load(segment.index)
            if stored is None:
                values, stats = separate_segment(self.source, self.geometry, segment, self.sampler)
                if store is not None:
                    store.save(segment.index, values, stats)
            else:
                values, stats = stored[0], {**stored[1], "resumed": True}
            self.stats.append(stats)
            yield segment, values

    def record(self) -> dict[str, Any]:
        """The record's track part: rates, lengths, channels, per-segment statistics, outputs."""
        geometry = self.geometry
        return dict(
            input_sample_rate=self.source.sample_rate,
            model_sample_rate=geometry.model_rate,
            output_sample_rate=geometry.output_rate,
            input_frames=self.source.frames,
            output_frames=geometry.output_frames,
            input_channels=self.source.channels,
            output_channels=self.channels,
            resampling_context=geometry.context,
            segments=self.stats,
            outputs=[f"{name}.wav" for name in self.names],
        )


def _fit(values: np.ndarray, length: int) -> np.ndarray:
    """``values`` [..., n] cut or zero-padded to [..., length]."""
    values = values[..., :length]
    return np.pad(values, [(0, 0)] * (values.ndim - 1) + [(0, length - values.shape[-1])])


def _norm(residual: np.ndarray) -> dict[str, float]:
    """‖residual‖₂ and max |residual| (all channels and samples)."""
    return dict(l2=float(np.linalg.norm(residual)), max_abs=float(np.abs(residual).max(initial=0.0)))
