"""Segment plans and the linear cross-fade overlap-add that joins separated segments (pure functions).

Positions and lengths are in samples of the output rate. Consecutive segments share ``overlap``
samples; an overlap of at most half a segment means every sample lies in at most two segments,
so a pairwise linear cross-fade (weights w and 1 − w) sums to one everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Segment:
    """Samples [start, stop) of the signal; ``fade_in`` / ``fade_out`` samples at its ends are shared with
    the previous / next segment (0 at the signal's ends)."""

    index: int
    start: int
    stop: int
    fade_in: int
    fade_out: int

    @property
    def length(self) -> int:
        return self.stop - self.start


def plan_segments(total: int, length: int, overlap: float) -> list[Segment]:
    """Cover [0, total) with segments of ``length`` samples whose neighbours share round(overlap · length).

    Segment i starts at i · hop (hop = length − shared); the last one ends at ``total`` (it may be shorter).
    A signal no longer than ``length`` is one segment.

    Args:
        total: signal length (≥ 1). length: segment length (≥ 2). overlap: shared fraction in [0, 0.5].
    """
    if total < 1 or length < 2:
        raise ValueError(f"need total >= 1 and length >= 2, got {total} and {length}")
    if not 0.0 <= overlap <= 0.5:
        raise ValueError(f"overlap must be in [0, 0.5] (at most two segments per sample), got {overlap}")
    shared = round(overlap * length)
    hop = length - shared
    count = 1 + max(0, math.ceil((total - length) / hop))
    segments = []
    for index in range(count):
        start = index * hop
        last = index == count - 1
        segments.append(
            Segment(
                index,
                start,
                total if last else start + length,
                fade_in=0 if index == 0 else shared,
                fade_out=0 if last else shared,
            )
        )
    return segments


def fade_weights(segment: Segment) -> np.ndarray:
    """Cross-fade weights [segment.length] (float64, in [0, 1]): linear ramps over the shared ends, 1 elsewhere.

    The rising ramp of a segment is one minus the falling ramp of its predecessor over the same samples.
    """
    weights = np.ones(segment.length)
    if segment.fade_in:
        weights[: segment.fade_in] = _ramp(segment.fade_in)
    if segment.fade_out:
        weights[segment.length - segment.fade_out :] = 1.0 - _ramp(segment.fade_out)
    return weights


def _ramp(size: int) -> np.ndarray:
    """(k + ½) / size for k < size: rising, symmetric about ½, never exactly 0 or 1."""
    return (np.arange(size) + 0.5) / size


def overlap_add(pieces: Iterable[tuple[Segment, np.ndarray]]) -> Iterator[np.ndarray]:
    """Cross-fade segment estimates [..., segment.length] (given in plan order) into consecutive final chunks.

    Yields chunks [..., n] whose concatenation along the last axis is the joined signal; only the shared
    tail of the latest segment is held back, so memory does not grow with the signal's length.
    """
    pending: np.ndarray | None = None
    for segment, values in pieces:
        if values.shape[-1] != segment.length:
            raise ValueError(f"segment {segment.index} has {values.shape[-1]} samples, expected {segment.length}")
        weighted = values * fade_weights(segment)
        if segment.fade_in:
            weighted[..., : segment.fade_in] += pending
        keep = segment.length - segment.fade_out
        yield weighted[..., :keep]
        pending = weighted[..., keep:]
