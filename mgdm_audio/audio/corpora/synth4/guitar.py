"""Guitar parts: strummed chords, fingerpicked arpeggios, palm-muted power chords and funk stabs.

Chords are voiced as barre shapes with the root on the sixth string (E shape) or the fifth
string (A shape), whichever keeps the hand nearest the previous chord. A strum hits the
strings one after another, a few milliseconds apart: low to high going down, high to low
(and fewer strings) going up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .harmony import Chord, nearest_pitch
from .midi import Note
from .song import BEATS_PER_BAR, Song

GUITAR_STYLES = ("strum", "arpeggio", "power", "stabs")
# GM palm-muted, overdrive and distortion guitars: the ones power chords suit.
POWER_CHORD_PROGRAMS = (28, 29, 30)

# Eighth-note strum patterns: D down, U up, '.' let ring.
_STRUMS = ("D.DU.UDU", "D...D...", "D.D.D.D.", "D.DUD.DU", "DUDUDUDU", "D..UD.DU")
# Fingerpicking orders over one bar of eighths, as string indices from the lowest.
_PICKING = ((0, 2, 3, 4, 5, 4, 3, 2), (0, 3, 2, 4, 3, 5, 4, 3), (0, 2, 4, 2, 1, 3, 5, 3), (0, 3, 4, 5, 1, 3, 4, 5))
# Sixteenth-note grids for short chord stabs.
_STABS = ("..x...x...x...x.", "x..x..x...x..x..", "..x..x....x.x..x", "x.x...x.x.x...x.")
_TIMING_JITTER_SECONDS = 0.007


@dataclass(frozen=True)
class _Stroke:
    """One bar-relative event: at ``offset`` beats, play ``strings`` (indices into the shape,
    in playing order, taken modulo its size so -1 is the highest string; None: all strings,
    low to high) ``spread`` seconds apart, for ``length`` beats, or None to ring until the
    next stroke; velocity changed by ``accent``."""

    offset: float
    strings: tuple[int, ...] | None
    spread: float
    length: float | None
    accent: float

    def pitches(self, shape: list[int]) -> list[int]:
        if self.strings is None:
            return shape
        return [shape[string % len(shape)] for string in self.strings]


def guitar_shape(chord: Chord, previous_root: int, power: bool) -> list[int]:
    """Pitches of the chord as a barre shape, lowest string first; ``power`` keeps only
    root, fifth and octave."""
    on_sixth = nearest_pitch(chord.root, previous_root, 40, 51)
    on_fifth = nearest_pitch(chord.root, previous_root, 45, 56)
    root = on_sixth if abs(on_sixth - previous_root) <= abs(on_fifth - previous_root) else on_fifth
    if power:
        return [root, root + 7, root + 12]
    third, fifth = chord.third, chord.fifth
    upper = chord.intervals[3] if len(chord.intervals) > 3 else 12  # a seventh replaces the octave
    shape = [root, root + fifth, root + upper, root + 12 + third, root + 12 + fifth]
    return shape + [root + 24] if root == on_sixth else shape


def _bar_strokes(rng: np.random.Generator, style: str) -> list[_Stroke]:
    """The per-track one-bar rhythm of ``style``."""
    top_down = (-1, -2, -3, -4)
    if style == "strum":
        pattern = _STRUMS[rng.integers(len(_STRUMS))]
        spread = rng.uniform(0.008, 0.02)
        return [
            _Stroke(index / 2, None if symbol == "D" else top_down, spread, None, 0.0 if symbol == "D" else -15.0)
            for index, symbol in enumerate(pattern)
            if symbol != "."
        ]
    if style == "power":
        if rng.random() < 0.6:  # chugging palm-muted eighths
            return [
                _Stroke(index / 2, None, 0.004, 0.3, 6.0 if index % 2 == 0 else 0.0)
                for index in range(2 * BEATS_PER_BAR)
            ]
        return [_Stroke(offset, None, 0.006, None, 0.0) for offset in (0.0, 1.5, 2.5)]
    if style == "arpeggio":
        order = _PICKING[rng.integers(len(_PICKING))]
        return [_Stroke(index / 2, (string,), 0.0, 1.5, 0.0) for index, string in enumerate(order)]
    if style == "stabs":
        grid = _STABS[rng.integers(len(_STABS))]
        return [
            _Stroke(step / 4, top_down[::-1], 0.003, 0.25, 0.0) for step, symbol in enumerate(grid) if symbol == "x"
        ]
    raise ValueError(f"unknown guitar style {style!r}")


def guitar_notes(rng: np.random.Generator, song: Song, style: str, channel: int) -> list[Note]:
    """A guitar part of the whole song in ``style`` (one of :data:`GUITAR_STYLES`)."""
    timeline = song.timeline
    base_velocity = rng.uniform(70, 100)
    power = style == "power"
    strokes = _bar_strokes(rng, style)
    previous_root = int(rng.integers(40, 52))
    notes = []
    for bar in range(song.num_bars):
        for stroke, following in zip(strokes, strokes[1:] + [None]):
            beat = bar * BEATS_PER_BAR + stroke.offset
            chord_index = song.chord_index_at(beat)
            shape = guitar_shape(song.chords[chord_index].chord, previous_root, power)
            previous_root = shape[0]
            next_offset = following.offset if following else BEATS_PER_BAR
            ring = stroke.length if stroke.length is not None else next_offset - stroke.offset
            end_beat = min(beat + ring, song.chords[chord_index].end)
            start = timeline.played(rng, beat, _TIMING_JITTER_SECONDS)
            end = max(timeline.seconds(end_beat), start + 0.05)
            for order, pitch in enumerate(stroke.pitches(shape)):
                velocity = base_velocity + stroke.accent - 2 * order + rng.normal(0, 4)
                onset = start + order * stroke.spread
                notes.append(Note(onset, max(end, onset + 0.05), pitch, int(np.clip(velocity, 1, 127)), channel))
    return notes
