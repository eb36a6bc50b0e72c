"""Keys, diatonic chords and chord progressions.

Pitches are MIDI note numbers (60 = middle C); pitch classes are 0..11 (0 = C).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
NATURAL_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)

# Common progressions as 0-based scale degrees (0 = I/i, 4 = V/v, …).
MAJOR_PROGRESSIONS = (
    (0, 4, 5, 3),  # I V vi IV
    (0, 5, 3, 4),  # I vi IV V
    (5, 3, 0, 4),  # vi IV I V
    (0, 3, 0, 4),  # I IV I V
    (1, 4, 0, 0),  # ii V I I
    (0, 3, 4, 3),  # I IV V IV
    (0, 2, 3, 4),  # I iii IV V
    (3, 4, 2, 5),  # IV V iii vi
)
MINOR_PROGRESSIONS = (
    (0, 5, 2, 6),  # i VI III VII
    (0, 3, 4, 0),  # i iv v i
    (0, 6, 5, 6),  # i VII VI VII
    (0, 5, 3, 4),  # i VI iv v
    (0, 3, 6, 2),  # i iv VII III
    (5, 6, 0, 0),  # VI VII i i
)


@dataclass(frozen=True)
class Key:
    """``tonic`` pitch class 0..11; ``minor`` selects the natural minor scale."""

    tonic: int
    minor: bool

    @property
    def scale(self) -> tuple[int, ...]:
        """The seven pitch classes of the scale, starting at the tonic."""
        steps = NATURAL_MINOR_SCALE if self.minor else MAJOR_SCALE
        return tuple((self.tonic + step) % 12 for step in steps)

    def name(self) -> str:
        names = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
        return f"{names[self.tonic]} {'minor' if self.minor else 'major'}"


@dataclass(frozen=True)
class Chord:
    """``root`` pitch class 0..11; ``intervals`` semitones above the root, ascending, starting
    at 0: a triad (root, third, fifth) optionally followed by a seventh."""

    root: int
    intervals: tuple[int, ...]

    @property
    def third(self) -> int:
        return self.intervals[1]

    @property
    def fifth(self) -> int:
        return self.intervals[2]

    @property
    def pitch_classes(self) -> tuple[int, ...]:
        return tuple((self.root + interval) % 12 for interval in self.intervals)


def diatonic_chord(key: Key, degree: int, seventh: bool, raised_dominant: bool) -> Chord:
    """The chord built in thirds on scale ``degree`` (0-based) of ``key``.

    ``raised_dominant``: in minor, make the chord on degree 4 a major (dominant) chord, as the
    harmonic minor scale does; ignored in major.
    """
    scale = key.scale
    stack = (0, 2, 4, 6) if seventh else (0, 2, 4)
    root = scale[degree % 7]
    intervals = [(scale[(degree + step) % 7] - root) % 12 for step in stack]
    if key.minor and raised_dominant and degree % 7 == 4:
        intervals[1] = 4
    return Chord(root, tuple(intervals))


def choose_progression(rng: np.random.Generator, key: Key) -> tuple[int, ...]:
    """A common progression (scale degrees) for the key's mode."""
    options = MINOR_PROGRESSIONS if key.minor else MAJOR_PROGRESSIONS
    return options[rng.integers(len(options))]


def nearest_pitch(pitch_class: int, target: float, low: int, high: int) -> int:
    """The pitch of class ``pitch_class`` within [low, high] closest to ``target``
    (the range must span at least an octave)."""
    candidates = [pitch for pitch in range(low, high + 1) if pitch % 12 == pitch_class % 12]
    return min(candidates, key=lambda pitch: (abs(pitch - target), pitch))
