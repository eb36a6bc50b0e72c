"""The skeleton every part is written against: tempo and swing, sections, chords.

Musical time is counted in beats (quarter notes) from the start of the song, 4 beats per
bar; :class:`Timeline` turns beats into seconds.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

from .harmony import Chord, Key

BEATS_PER_BAR = 4


@dataclass(frozen=True)
class Timeline:
    """``bpm`` quarter notes per minute; ``swing`` 0..1 delays off-beat eighths from half a
    beat (0, straight) to two thirds of a beat (1, triplet shuffle); sixteenths in between
    move proportionally."""

    bpm: float
    swing: float = 0.0

    @property
    def seconds_per_beat(self) -> float:
        return 60.0 / self.bpm

    def seconds(self, beat: float) -> float:
        """Onset time in seconds of the position ``beat`` (≥ 0)."""
        whole = math.floor(beat)
        fraction = beat - whole
        offbeat = 0.5 + self.swing / 6.0
        if fraction < 0.5:
            warped = fraction * offbeat / 0.5
        else:
            warped = offbeat + (fraction - 0.5) * (1.0 - offbeat) / 0.5
        return (whole + warped) * self.seconds_per_beat

    def played(self, rng: np.random.Generator, beat: float, jitter_seconds: float) -> float:
        """:meth:`seconds` with a human timing error (Gaussian, std ``jitter_seconds``), ≥ 0."""
        return max(0.0, self.seconds(beat) + rng.normal(0.0, jitter_seconds))


@dataclass(frozen=True)
class ChordSpan:
    """``chord`` sounds from beat ``start`` for ``length`` beats."""

    start: float
    length: float
    chord: Chord

    @property
    def end(self) -> float:
        return self.start + self.length


@dataclass(frozen=True)
class Section:
    """Bars ``start_bar`` … ``start_bar + num_bars - 1``; ``chorus`` sections use the second
    progression and a busier groove."""

    start_bar: int
    num_bars: int
    chorus: bool

    @property
    def start_beat(self) -> float:
        return float(self.start_bar * BEATS_PER_BAR)

    @property
    def end_beat(self) -> float:
        return float((self.start_bar + self.num_bars) * BEATS_PER_BAR)


@dataclass(frozen=True)
class Song:
    """Everything the part writers share. ``duration`` in seconds; ``sections`` and
    ``chords`` are contiguous, in order, and cover at least ``duration``."""

    timeline: Timeline
    key: Key
    sections: tuple[Section, ...]
    chords: tuple[ChordSpan, ...]
    duration: float

    @property
    def num_bars(self) -> int:
        return self.sections[-1].start_bar + self.sections[-1].num_bars

    def chord_index_at(self, beat: float) -> int:
        """Index into ``chords`` of the chord sounding at ``beat``."""
        return max(0, bisect.bisect_right([span.start for span in self.chords], beat) - 1)

    def next_chord(self, index: int) -> Chord:
        """The chord after ``chords[index]`` (the same chord at the end of the song)."""
        return self.chords[min(index + 1, len(self.chords) - 1)].chord

    def section_starts(self) -> set[int]:
        return {section.start_bar for section in self.sections}

    def section_ends(self) -> set[int]:
        """Last bar of every section."""
        return {section.start_bar + section.num_bars - 1 for section in self.sections}

    def is_chorus_bar(self, bar: int) -> bool:
        return any(
            section.start_bar <= bar < section.start_bar + section.num_bars and section.chorus
            for section in self.sections
        )
