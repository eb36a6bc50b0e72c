"""Real compositions from music21's corpus, arranged for bass, drums, guitar and piano.

A work's voices keep their notes and rhythm; they are moved by octaves into each instrument's
range. The harmony is estimated from the notes (a triad every 2 or 4 beats) so that the parts
the work lacks (a strummed or picked guitar, piano chords, a bass line under a tune, a drum
groove with fills) follow it, written by synth4's part writers. Excerpts start on a bar line and
loop the work when it is shorter than the track (folk tunes are repeated in performance).

Collections are split by whole collection (:data:`COLLECTIONS`): validation and test never share
a collection with training. Every Bach work (J. S. Bach, C. P. E. Bach) is reserved for checks
made outside the project and is never read here.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from ..synth4.arrangement import (
    PROGRAMS,
    STEMS,
    Arrangement,
    Part,
    channel_setup,
    choose,
    keep_active,
    section_activity,
)
from ..synth4.bass import BASS_STYLES, bass_notes
from ..synth4.drums import DRUM_CHANNEL, GROOVES, KICK, STEPS_PER_BEAT, drum_notes
from ..synth4.guitar import GUITAR_STYLES, POWER_CHORD_PROGRAMS, guitar_notes
from ..synth4.harmony import Chord, Key
from ..synth4.midi import Note
from ..synth4.piano import PIANO_STYLES, piano_notes
from ..synth4.song import BEATS_PER_BAR, ChordSpan, Section, Song, Timeline

#: music21 corpus collections (top folders) by split. Validation: madrigals and Irish dance tunes;
#: test: string quartets and Scottish airs; training: everything else but Bach.
COLLECTIONS = {
    "train": (
        "palestrina",
        "ryansMammoth",
        "trecento",
        "essenFolksong",
        "josquin",
        "ciconia",
        "luca",
        "lusitano",
        "corelli",
        "handel",
        "chopin",
        "joplin",
        "beach",
        "weber",
        "verdi",
        "liliuokalani",
        "johnson_j_r",
        "schumann_robert",
        "schumann_clara",
        "miscFolk",
        "nottingham-dataset",
        "leadSheet",
    ),
    "valid": ("monteverdi", "oneills1850"),
    "test": ("beethoven", "mozart", "haydn", "schubert", "airdsAirs"),
}
RESERVED_MARK = "bach"  # any corpus path containing it is never read

# Bar lengths (quarter notes) that fit synth4's 4/4 grooves: 2/4, 2/2 or 4/4, 4/2.
_BAR_QUARTERS = (2.0, 4.0, 8.0)
# Pitch ranges (MIDI) and the centre each voice is moved towards, by role.
_RANGES = {"bass": (28, 55, 40), "guitar line": (45, 81, 64), "piano line": (48, 91, 70)}
_TEMPO_RANGE = (72, 144)  # quarter notes per minute
_SECTION_BARS = 4
_TRIADS = ((0, 4, 7), (0, 3, 7), (0, 3, 6))
_MAX_DRAWS = 40


@dataclass(frozen=True)
class Work:
    """A composition: ``voices``, each a tuple of (start, end, pitch) in quarter notes from its
    first full bar, highest voice first; ``period`` its length rounded up to whole bars."""

    name: str
    voices: tuple[tuple[tuple[float, float, int], ...], ...]
    bar_quarters: float
    period: float
    key: Key


@cache
def collection_paths(split: str) -> tuple[str, ...]:
    """Corpus file paths of ``split``'s collections, Bach excluded, sorted (listed once per process: every track
    draws from them)."""
    from music21 import corpus  # imported here: music21 is needed only to build varied4

    names = set(COLLECTIONS[split])
    paths = []
    for path in corpus.getCorePaths():
        relative = str(path).split(f"{os.sep}corpus{os.sep}", 1)[-1]
        if relative.split(os.sep)[0] in names and RESERVED_MARK not in relative.lower():
            paths.append(str(path))
    return tuple(sorted(paths))


@lru_cache(maxsize=8)
def _parse(path: str):
    from music21 import corpus

    return corpus.parse(path)


def _scores(parsed) -> list:
    return list(parsed.scores) if hasattr(parsed, "scores") else [parsed]


def read_work(score, name: str) -> Work | None:
    """The :class:`Work` of a music21 score, or None when its metre does not suit 4/4 grooves or
    it has no notes."""
    signatures = list(score.recurse().getElementsByClass("TimeSignature"))
    bar = float(signatures[0].barDuration.quarterLength) if signatures else 4.0
    if bar not in _BAR_QUARTERS:
        return None
    parts = list(score.parts) or [score]
    measures = list(parts[0].getElementsByClass("Measure"))
    pickup = 0.0
    if measures and float(measures[0].paddingLeft) > 0:
        pickup = bar - float(measures[0].paddingLeft)
    voices = []
    for part in parts:
        notes = []
        for element in part.stripTies().flatten().notes:
            start, length = float(element.offset) - pickup, float(element.quarterLength)
            if length <= 0 or start < 0:  # grace notes; the pickup bar
                continue
            notes.extend((start, start + length, int(pitch.midi)) for pitch in element.pitches)
        if notes:
            voices.append(tuple(sorted(notes)))
    if not voices:
        return None
    voices.sort(key=lambda voice: -np.mean([pitch for _, _, pitch in voice]))
    end = max(note[1] for voice in voices for note in voice)
    analysed = score.analyze("key")
    key = Key(int(analysed.tonic.pitchClass), analysed.mode == "minor")
    return Work(name, tuple(voices), bar, math.ceil(end / bar - 1e-6) * bar, key)


def draw_work(rng: np.random.Generator, split: str) -> Work:
    """A random work of ``split``'s collections whose metre suits the grooves."""
    paths = collection_paths(split)
    if not paths:
        raise RuntimeError(f"no music21 corpus files for {split}; is music21 installed?")
    for _ in range(_MAX_DRAWS):
        path = paths[rng.integers(len(paths))]
        scores = _scores(_parse(path))
        number = int(rng.integers(len(scores)))
        relative = path.split(f"{os.sep}corpus{os.sep}", 1)[-1]
        work = read_work(scores[number], f"{relative}#{number}" if len(scores) > 1 else relative)
        if work is not None:
            return work
    raise RuntimeError(f"no work in 4/4, 2/4 or 2/2 after {_MAX_DRAWS} draws from {split}'s collections")


def excerpt(work: Work, start: float, length: float) -> list[list[tuple[float, float, int]]]:
    """Each voice's notes in [``start``, ``start + length``) quarter notes of the work looped
    forever, in quarter notes from ``start``; notes are cut at the excerpt's end."""
    voices = []
    first_loop, last_loop = int(start // work.period), int((start + length) // work.period)
    for voice in work.voices:
        notes = []
        for loop in range(first_loop, last_loop + 1):
            shift = loop * work.period - start
            for note_start, note_end, pitch in voice:
                begin = note_start + shift
                if 0 <= begin < length:
                    notes.append((begin, min(note_end + shift, length), pitch))
        voices.append(notes)
    return voices


def estimate_chords(
    voices: list[list[tuple[float, float, int]]], length: float, beats_per_chord: float
) -> tuple[ChordSpan, ...]:
    """A major, minor or diminished triad for every ``beats_per_chord`` beats: the one whose
    tones cover most of the sounding notes' durations (other tones count against it, the lowest
    note of the window as the root counts for it); a window with no notes keeps the last chord."""
    spans, previous = [], Chord(0, _TRIADS[0])
    for start in np.arange(0.0, length, beats_per_chord):
        end = min(start + beats_per_chord, length)
        weights, lowest = np.zeros(12), None
        for voice in voices:
            for note_start, note_end, pitch in voice:
                overlap = min(end, note_end) - max(start, note_start)
                if overlap > 0:
                    weights[pitch % 12] += overlap
                    lowest = pitch if lowest is None else min(lowest, pitch)
        if weights.sum() > 0:
            options = [(root, triad) for root in range(12) for triad in _TRIADS]
            scores = [_triad_score(weights, lowest, beats_per_chord, *option) for option in options]
            previous = Chord(*options[int(np.argmax(scores))])
        spans.append(ChordSpan(float(start), float(end - start), previous))
    return tuple(spans)


def _triad_score(weights: np.ndarray, lowest: int | None, beats: float, root: int, intervals: tuple[int, ...]) -> float:
    """How well a triad explains a window's pitch-class durations ``weights`` [12]: its tones' share, less 0.6 of
    the rest, plus half the window when the lowest note is its root."""
    inside = weights[[(root + interval) % 12 for interval in intervals]].sum()
    bonus = 0.5 * beats if lowest is not None and lowest % 12 == root else 0.0
    return inside - 0.6 * (weights.sum() - inside) + bonus


def _fit_range(notes: list[tuple[float, float, int]], role: str) -> list[tuple[float, float, int]]:
    """Move the voice by whole octaves so its median pitch is near the role's centre, then fold
    single notes outside the range back into it."""
    low, high, centre = _RANGES[role]
    shift = 12 * round((centre - float(np.median([pitch for _, _, pitch in notes]))) / 12)
    fitted = []
    for start, end, pitch in notes:
        pitch += shift
        while pitch < low:
            pitch += 12
        while pitch > high:
            pitch -= 12
        fitted.append((start, end, pitch))
    return fitted


def _played(
    rng: np.random.Generator, notes: list[tuple[float, float, int]], timeline: Timeline, channel: int, role: str
) -> list[Note]:
    """A voice played on ``channel``: in range, humanised in timing and velocity, slightly
    detached (legato 0.8–1)."""
    legato, base = rng.uniform(0.8, 1.0), rng.uniform(70, 100)
    played = []
    for start, end, pitch in _fit_range(notes, role):
        onset = timeline.played(rng, start, 0.006)
        release = max(onset + 0.05, timeline.seconds(start + (end - start) * legato))
        played.append(Note(onset, release, pitch, int(np.clip(base + rng.normal(0, 7), 1, 127)), channel))
    return played


def composition_arrangement(rng: np.random.Generator, work: Work, duration: float) -> Arrangement:
    """An arrangement of an excerpt of ``work`` lasting ``duration`` seconds (> 0)."""
    if duration <= 0:
        raise ValueError(f"duration must be positive, got {duration}")
    groove = choose(rng, GROOVES)
    bpm = float(rng.integers(*_TEMPO_RANGE))
    timeline = Timeline(bpm, swing=float(rng.uniform(0.6, 1.0)) if groove.swung else 0.0)
    num_bars = math.ceil(duration / (BEATS_PER_BAR * timeline.seconds_per_beat))
    num_bars = _SECTION_BARS * math.ceil(num_bars / _SECTION_BARS)
    length = float(num_bars * BEATS_PER_BAR)
    start = float(rng.integers(max(1, int(work.period // work.bar_quarters)))) * work.bar_quarters
    voices = [voice for voice in excerpt(work, start, length) if voice]
    chords = estimate_chords(voices, length, float(choose(rng, (2.0, 4.0))))
    sections = tuple(
        Section(bar, _SECTION_BARS, index % 2 == 1) for index, bar in enumerate(range(0, num_bars, _SECTION_BARS))
    )
    song = Song(timeline, work.key, sections, chords, duration)
    activity = section_activity(rng, len(sections))
    parts: list[Part] = []

    def add(stem: str, style: str, channel: int, program: int, notes: list[Note]) -> None:
        setup = channel_setup(rng, channel, program, stem in ("guitar", "piano"))
        parts.append(Part(stem, style, setup, keep_active(notes, song, activity[stem]), tuple(activity[stem])))

    bass_program = choose(rng, PROGRAMS["bass"])
    if len(voices) >= 2 and rng.random() < 0.7:
        add("bass", "voice", 0, bass_program, _played(rng, voices[-1], timeline, 0, "bass"))
    else:
        kick_beats = tuple(step / STEPS_PER_BEAT for step in groove.steps(KICK))
        style = choose(rng, BASS_STYLES)
        add("bass", style, 0, bass_program, bass_notes(rng, song, style, 0, kick_beats))
    add("drums", groove.name, DRUM_CHANNEL, 0, drum_notes(rng, song, groove))

    upper = voices[:-1] if len(voices) >= 2 else voices
    melody, inner = upper[0], upper[1:]
    guitar_program = choose(rng, PROGRAMS["guitar"])
    piano_program = choose(rng, PROGRAMS["piano"])
    piano_takes_melody = rng.random() < 0.5
    piano_voices = ([melody] if piano_takes_melody else []) + [voice for voice in inner if rng.random() < 0.7]
    piano = [note for voice in piano_voices for note in _played(rng, voice, timeline, 3, "piano line")]
    piano_style = "lines"
    if not piano or rng.random() < 0.4:  # chords under (or instead of) the lines
        piano_style = choose(rng, PIANO_STYLES)
        piano += piano_notes(rng, song, piano_style, 3)
    add("piano", piano_style, 3, piano_program, piano)
    if piano_takes_melody:
        styles = (
            GUITAR_STYLES
            if guitar_program in POWER_CHORD_PROGRAMS
            else tuple(style for style in GUITAR_STYLES if style != "power")
        )
        guitar_style = choose(rng, styles)
        add("guitar", guitar_style, 1, guitar_program, guitar_notes(rng, song, guitar_style, 1))
    else:
        add("guitar", "line", 1, guitar_program, _played(rng, melody, timeline, 1, "guitar line"))
    order = {stem: index for index, stem in enumerate(STEMS)}
    return Arrangement(song, groove.name, tuple(sorted(parts, key=lambda part: order[part.stem])))
