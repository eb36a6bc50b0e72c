"""Piano comping: block chords, syncopated stabs, broken chords and ballad arpeggios.

The right hand plays close-position chords that move to the nearest inversion (smooth
voice leading); the left hand plays the root an octave or two below.
"""

from __future__ import annotations

import numpy as np

from .harmony import Chord, nearest_pitch
from .midi import Note
from .song import BEATS_PER_BAR, Song

PIANO_STYLES = ("block", "syncopated", "broken", "ballad")
RIGHT_HAND_LOW, RIGHT_HAND_HIGH = 53, 81  # F3 … A5
LEFT_HAND_LOW, LEFT_HAND_HIGH = 33, 52  # A1 … E3
_SYNCOPATIONS = ((0.0, 1.5, 3.0), (0.0, 1.5, 2.0, 3.5), (0.5, 1.5, 2.5, 3.5), (0.0, 2.5))
_TIMING_JITTER_SECONDS = 0.008


def close_voicing(
    chord: Chord, previous: list[int] | None, low: int = RIGHT_HAND_LOW, high: int = RIGHT_HAND_HIGH
) -> list[int]:
    """Chord tones stacked in close position (ascending pitches within [low, high]); of all
    inversions, the one nearest ``previous`` (or nearest the middle of the range)."""
    pitch_classes = chord.pitch_classes
    candidates = []
    for bottom in range(low, low + 12):
        if bottom % 12 not in pitch_classes:
            continue
        rotation = pitch_classes.index(bottom % 12)
        order = pitch_classes[rotation:] + pitch_classes[:rotation]
        voicing = [bottom]
        for pitch_class in order[1:]:
            voicing.append(voicing[-1] + (pitch_class - voicing[-1]) % 12)
        if voicing[-1] <= high:
            candidates.append(voicing)
    if previous is None or len(previous) != len(pitch_classes):
        # No note-to-note voice leading possible: stay near the previous chord's register.
        centre = (low + high) / 2 if previous is None else float(np.mean(previous))
        return min(candidates, key=lambda voicing: abs(np.mean(voicing) - centre))
    return min(candidates, key=lambda voicing: sum(abs(a - b) for a, b in zip(voicing, previous)))


def _right_hand_onsets(rng: np.random.Generator, style: str) -> tuple[float, ...]:
    """Chord onsets within a bar, in beats."""
    if style == "block":
        return tuple(np.arange(0.0, BEATS_PER_BAR, float(rng.choice([1.0, 2.0, 4.0]))))
    if style == "syncopated":
        return _SYNCOPATIONS[rng.integers(len(_SYNCOPATIONS))]
    return (0.0,)  # broken and ballad: the chord lasts the bar (broken arpeggiates it)


def piano_notes(rng: np.random.Generator, song: Song, style: str, channel: int) -> list[Note]:
    """The piano part of the whole song in ``style`` (one of :data:`PIANO_STYLES`)."""
    if style not in PIANO_STYLES:
        raise ValueError(f"unknown piano style {style!r}")
    timeline = song.timeline
    base_velocity = rng.uniform(60, 95)
    onsets = _right_hand_onsets(rng, style)
    voicing: list[int] | None = None
    notes: list[Note] = []

    def play(beat: float, length: float, pitch: int, velocity: float) -> None:
        start = timeline.played(rng, beat, _TIMING_JITTER_SECONDS)
        end = max(timeline.seconds(beat + length), start + 0.05)
        notes.append(Note(start, end, pitch, int(np.clip(velocity + rng.normal(0, 5), 1, 127)), channel))

    for bar in range(song.num_bars):
        bar_start = float(bar * BEATS_PER_BAR)
        # The bar is split where the chord changes; each piece is comped on its own.
        change_beats = sorted(
            {bar_start} | {span.start for span in song.chords if bar_start < span.start < bar_start + BEATS_PER_BAR}
        )
        piece_ends = change_beats[1:] + [bar_start + BEATS_PER_BAR]
        for piece_start, piece_end in zip(change_beats, piece_ends):
            chord = song.chords[song.chord_index_at(piece_start)].chord
            voicing = close_voicing(chord, voicing)
            bass = nearest_pitch(chord.root, 40, LEFT_HAND_LOW, LEFT_HAND_HIGH)
            if style != "ballad":
                play(piece_start, (piece_end - piece_start) * 0.95, bass, base_velocity - 5)
            if style == "broken":
                # Alberti-like figure in eighths; notes ring as with the sustain pedal.
                figure = [voicing[0], voicing[-1], voicing[len(voicing) // 2], voicing[-1]]
                for index, beat in enumerate(np.arange(piece_start, piece_end, 0.5)):
                    play(beat, piece_end - beat, figure[index % 4], base_velocity - 10)
                continue
            if style == "ballad":  # left-hand arpeggio under a held right-hand chord
                tones = [bass, bass + chord.fifth, bass + 12, bass + 12 + chord.third]
                for index, beat in enumerate(np.arange(piece_start, piece_end, 0.5)):
                    play(beat, piece_end - beat, tones[index % 4], base_velocity - 12)
            rhythm = [piece_start + onset for onset in onsets if piece_start + onset < piece_end]
            rhythm = rhythm or [piece_start]
            for onset, following in zip(rhythm, rhythm[1:] + [piece_end]):
                for pitch in voicing:
                    play(onset, (following - onset) * 0.9, pitch, base_velocity)
    return notes
