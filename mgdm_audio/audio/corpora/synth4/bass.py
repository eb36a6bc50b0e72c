"""Bass lines on the chord roots, with passing notes leading into the next chord."""

from __future__ import annotations

import numpy as np

from .harmony import Chord, Key, nearest_pitch
from .midi import Note
from .song import BEATS_PER_BAR, Song

BASS_LOW, BASS_HIGH = 28, 52  # E1 … E3, the range of a four-string bass
BASS_STYLES = ("whole", "eighths", "root_fifth", "kick", "octaves", "walking")
_TIMING_JITTER_SECONDS = 0.006

# (offset in beats from the span start, length in beats, pitch)
_Event = tuple[float, float, int]


def _approach_pitch(rng: np.random.Generator, target: int, key: Key) -> int:
    """A note leading into ``target``: a semitone away, or the scale note next to it."""
    chromatic = [target - 1, target + 1]
    scale_below = next(target - step for step in range(1, 4) if (target - step) % 12 in key.scale)
    scale_above = next(target + step for step in range(1, 4) if (target + step) % 12 in key.scale)
    candidates = [pitch for pitch in chromatic + [scale_below, scale_above] if BASS_LOW <= pitch <= BASS_HIGH]
    return int(rng.choice(candidates)) if candidates else target


def _fifth_or_octave(root: int, chord: Chord) -> int:
    """The chord's fifth above the root if it fits the range, else below; else the octave."""
    for pitch in (root + chord.fifth, root + chord.fifth - 12, root + 12):
        if BASS_LOW <= pitch <= BASS_HIGH:
            return pitch
    return root


def _span_events(style: str, length: float, root: int, chord: Chord, kick_beats: tuple[float, ...]) -> list[_Event]:
    """Events of one chord span of ``length`` beats for the non-walking styles."""
    if style == "whole":
        return [(offset, min(BEATS_PER_BAR, length - offset), root) for offset in np.arange(0.0, length, BEATS_PER_BAR)]
    if style == "eighths":
        return [(offset, 0.5, root) for offset in np.arange(0.0, length, 0.5)]
    if style == "octaves":
        high = root + 12 if root + 12 <= BASS_HIGH else root
        return [
            (offset, 0.5, root if index % 2 == 0 else high) for index, offset in enumerate(np.arange(0.0, length, 0.5))
        ]
    if style == "root_fifth":
        return [
            (offset, 2.0, root if index % 2 == 0 else _fifth_or_octave(root, chord))
            for index, offset in enumerate(np.arange(0.0, length, 2.0))
        ]
    if style == "kick":
        onsets = sorted(
            {bar + beat for bar in np.arange(0.0, length, BEATS_PER_BAR) for beat in kick_beats if bar + beat < length}
            | {0.0}
        )
        return [(onset, following - onset, root) for onset, following in zip(onsets, onsets[1:] + [length])]
    raise ValueError(f"unknown bass style {style!r}")


def _walking_events(
    rng: np.random.Generator, length: float, root: int, chord: Chord, approach: int, key: Key
) -> list[_Event]:
    """Quarter notes: the root, then chord and scale tones drifting to ``approach``, which
    ends the span and leads into the next root."""
    beats = int(length)
    pitches = [root]
    tones = {(chord.root + interval) % 12 for interval in chord.intervals} | set(key.scale)
    for index in range(1, beats - 1):
        goal = root + (approach - root) * index / (beats - 1)
        near = [
            pitch
            for pitch in range(pitches[-1] - 5, pitches[-1] + 6)
            if pitch % 12 in tones and pitch != pitches[-1] and BASS_LOW <= pitch <= BASS_HIGH
        ]
        near.sort(key=lambda pitch: abs(pitch - goal))
        pitches.append(int(rng.choice(near[:3])))
    if beats > 1:
        pitches.append(approach)
    return [(float(index), 1.0, pitch) for index, pitch in enumerate(pitches)]


def bass_notes(
    rng: np.random.Generator, song: Song, style: str, channel: int, kick_beats: tuple[float, ...]
) -> list[Note]:
    """The bass part of the whole song in ``style`` (one of :data:`BASS_STYLES`);
    ``kick_beats`` are the groove's kick positions in beats within a bar (style "kick")."""
    if style not in BASS_STYLES:
        raise ValueError(f"unknown bass style {style!r}")
    timeline = song.timeline
    legato = 0.9 if style == "walking" else rng.uniform(0.55, 0.95)
    base_velocity = rng.uniform(85, 105)
    previous_root = int(rng.integers(33, 44))
    notes = []
    for index, span in enumerate(song.chords):
        # Near the previous root, pulled towards the middle of the range so the line
        # does not drift to one end.
        target = (previous_root + (BASS_LOW + BASS_HIGH) / 2) / 2
        root = nearest_pitch(span.chord.root, target, BASS_LOW, BASS_HIGH)
        next_root = nearest_pitch(song.next_chord(index).root, root, BASS_LOW, BASS_HIGH)
        approach = _approach_pitch(rng, next_root, song.key)
        if style == "walking":
            events = _walking_events(rng, span.length, root, span.chord, approach, song.key)
        else:
            events = _span_events(style, span.length, root, span.chord, kick_beats)
            if next_root != root and rng.random() < 0.45:
                # Replace the span's last eighth by a passing note into the next root.
                cut = span.length - 0.5
                events = [
                    (offset, min(length, cut - offset), event_pitch)
                    for offset, length, event_pitch in events
                    if offset < cut
                ]
                events.append((cut, 0.5, approach))
        for offset, length, event_pitch in events:
            start = timeline.played(rng, span.start + offset, _TIMING_JITTER_SECONDS)
            end = timeline.seconds(span.start + offset + length * legato)
            accent = 8 if offset % BEATS_PER_BAR == 0 else 0
            velocity = int(np.clip(base_velocity + accent + rng.normal(0, 5), 1, 127))
            notes.append(Note(start, max(end, start + 0.05), event_pitch, velocity, channel))
        previous_root = root
    return notes
