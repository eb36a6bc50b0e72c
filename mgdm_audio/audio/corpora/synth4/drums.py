"""Drum grooves with fills and crashes, on the General MIDI percussion map (channel 10).

A groove is one bar on a sixteenth-note grid; each bar repeats it with small random
variations, the last bar of a section often ends in a fill, and a new section opens with
a crash.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .midi import Note
from .song import BEATS_PER_BAR, Song

DRUM_CHANNEL = 9  # MIDI channel 10, reserved for percussion in General MIDI

# General MIDI percussion keys.
KICK, SIDE_STICK, SNARE, CLAP = 36, 37, 38, 39
CLOSED_HAT, PEDAL_HAT, OPEN_HAT = 42, 44, 46
CRASH, RIDE, SPLASH_CRASH = 49, 51, 57
TOMS_HIGH_TO_LOW = (50, 48, 47, 45, 43, 41)
CYMBALS = frozenset({OPEN_HAT, CRASH, RIDE, SPLASH_CRASH})

STEPS_PER_BAR = 16
STEPS_PER_BEAT = STEPS_PER_BAR // BEATS_PER_BAR

# Velocity of each groove symbol: accent, normal, ghost note.
_SYMBOL_VELOCITY = {"X": 112, "x": 90, "g": 40}
_TIMING_JITTER_SECONDS = 0.004


@dataclass(frozen=True)
class Groove:
    """One bar: ``lanes`` pairs a GM drum key with 16 symbols ('X' accent, 'x' hit, 'g' ghost,
    '.' rest). ``swung`` grooves want a shuffle feel; ``bpm_range`` is where they sound right."""

    name: str
    lanes: tuple[tuple[int, str], ...]
    swung: bool
    bpm_range: tuple[float, float]

    def steps(self, key: int) -> tuple[int, ...]:
        """Grid steps (0..15) where ``key`` is hit."""
        return tuple(
            step
            for lane_key, pattern in self.lanes
            if lane_key == key
            for step, symbol in enumerate(pattern)
            if symbol != "."
        )

    def chorus(self) -> Groove:
        """The busier variant for chorus sections: hi-hat figures move to the ride cymbal."""
        lanes = tuple((RIDE if key == CLOSED_HAT else key, pattern) for key, pattern in self.lanes)
        return Groove(self.name, lanes, self.swung, self.bpm_range)


GROOVES = (
    Groove(
        "rock",
        ((KICK, "X.......X.x....."), (SNARE, "....X.......X..."), (CLOSED_HAT, "x.x.x.x.x.x.x.x.")),
        False,
        (90, 150),
    ),
    Groove(
        "pop16",
        ((KICK, "X......x..X....."), (SNARE, "....X.......X..."), (CLOSED_HAT, "xxxxxxxxxxxxxxxx")),
        False,
        (80, 120),
    ),
    Groove(
        "disco",
        (
            (KICK, "X...X...X...X..."),
            (SNARE, "....X.......X..."),
            (CLOSED_HAT, "x...x...x...x..."),
            (OPEN_HAT, "..x...x...x...x."),
        ),
        False,
        (108, 132),
    ),
    Groove(
        "funk",
        ((KICK, "X..x..x...X..x.."), (SNARE, "....X..g.g..X..g"), (CLOSED_HAT, "xxxxxxxxxxxxxxxx")),
        False,
        (85, 112),
    ),
    Groove(
        "halftime",
        ((KICK, "X.....x...x....."), (SNARE, "........X......."), (CLOSED_HAT, "x.x.x.x.x.x.x.x.")),
        False,
        (120, 160),
    ),
    Groove(
        "ballad",
        ((KICK, "X.........X....."), (SIDE_STICK, "....x.......x..."), (CLOSED_HAT, "x.x.x.x.x.x.x.x.")),
        False,
        (62, 84),
    ),
    Groove(
        "electro",
        ((KICK, "X...X...X...X..."), (CLAP, "....X.......X..."), (CLOSED_HAT, "..x...x...x...x.")),
        False,
        (115, 132),
    ),
    Groove(
        "shuffle",
        ((KICK, "X.......X.x....."), (SNARE, "....X.......X..."), (CLOSED_HAT, "x.x.x.x.x.x.x.x.")),
        True,
        (88, 136),
    ),
    Groove(
        "jazz",
        (
            (KICK, "X...........x..."),
            (SNARE, "......g.......g."),
            (RIDE, "x...x.x.x...x.x."),
            (PEDAL_HAT, "....x.......x..."),
        ),
        True,
        (100, 180),
    ),
)


def _velocity(rng: np.random.Generator, symbol: str, step: int, key: int, dynamics: int) -> int:
    """Velocity 1..127: the symbol's level, cymbals a little softer and accented on the beat."""
    velocity = _SYMBOL_VELOCITY[symbol] + dynamics + rng.normal(0.0, 6.0)
    if key in (CLOSED_HAT, RIDE, PEDAL_HAT):
        velocity += 6 if step % STEPS_PER_BEAT == 0 else -10
    return int(np.clip(round(velocity), 1, 127))


def _bar_hits(rng: np.random.Generator, groove: Groove) -> list[tuple[int, int, str]]:
    """(step, key, symbol) of one bar of ``groove`` with random extra kicks and ghost notes."""
    hits = [
        (step, key, symbol) for key, pattern in groove.lanes for step, symbol in enumerate(pattern) if symbol != "."
    ]
    kick_steps = set(groove.steps(KICK))
    if rng.random() < 0.25:
        free = [step for step in (3, 6, 7, 10, 11, 14, 15) if step not in kick_steps]
        if free:
            hits.append((int(rng.choice(free)), KICK, "x"))
    if rng.random() < 0.2 and groove.steps(SNARE):
        hits.append((int(rng.integers(STEPS_PER_BAR)), SNARE, "g"))
    return hits


def _fill_hits(rng: np.random.Generator, first_step: int) -> list[tuple[int, int, int]]:
    """(step, key, velocity) of a fill from ``first_step`` to the end of the bar, growing
    louder: a snare roll, a run down the toms, or snare eighths then tom sixteenths."""
    kind = rng.choice(["snare", "toms", "mixed"])
    toms = TOMS_HIGH_TO_LOW[int(rng.integers(0, 3)) :][:4]
    steps = list(range(first_step, STEPS_PER_BAR))
    hits = [(first_step, KICK, 100)]
    for order, step in enumerate(steps):
        progress = order / max(1, len(steps) - 1)  # 0 … 1 through the fill
        if kind == "mixed" and progress < 0.5 and step % 2:
            continue
        if kind == "snare" or (kind == "mixed" and progress < 0.5):
            key = SNARE
        else:
            tom_progress = progress if kind == "toms" else 2.0 * (progress - 0.5)
            key = toms[min(len(toms) - 1, int(tom_progress * len(toms)))]
        hits.append((step, key, int(70 + 45 * progress + rng.normal(0.0, 5.0))))
    return hits


def drum_notes(rng: np.random.Generator, song: Song, groove: Groove) -> list[Note]:
    """Notes of the whole song on :data:`DRUM_CHANNEL` (sections where drums rest are
    removed later, by the arrangement)."""
    timeline = song.timeline
    dynamics = int(rng.integers(-10, 6))
    crash = int(rng.choice([CRASH, SPLASH_CRASH]))
    starts, ends = song.section_starts(), song.section_ends()
    notes: list[Note] = []

    def add(bar: int, step: int, key: int, velocity: int) -> None:
        beat = bar * BEATS_PER_BAR + step / STEPS_PER_BEAT
        start = timeline.played(rng, beat, _TIMING_JITTER_SECONDS)
        length = 1.2 if key in CYMBALS else 0.25
        notes.append(Note(start, start + length, key, int(np.clip(velocity, 1, 127)), DRUM_CHANNEL))

    for bar in range(song.num_bars):
        bar_groove = groove.chorus() if song.is_chorus_bar(bar) else groove
        fill_from = STEPS_PER_BAR
        if bar in ends and bar + 1 < song.num_bars and rng.random() < 0.75:
            fill_beats = int(rng.choice([1, 2, 4], p=[0.5, 0.35, 0.15]))
            fill_from = STEPS_PER_BAR - fill_beats * STEPS_PER_BEAT
            for step, key, velocity in _fill_hits(rng, fill_from):
                add(bar, step, key, velocity)
        for step, key, symbol in _bar_hits(rng, bar_groove):
            if step < fill_from:
                add(bar, step, key, _velocity(rng, symbol, step, key, dynamics))
        if bar in starts and (bar > 0 or rng.random() < 0.5):
            add(bar, 0, crash, 110 + dynamics)
    return notes
