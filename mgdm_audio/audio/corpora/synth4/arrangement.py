"""A whole four-stem arrangement: song form, instruments, and who plays when.

One call to :func:`generate_arrangement` draws, from one random generator: a groove and a
tempo that suits it, a key, two chord progressions (verse and chorus) and the harmonic
rhythm, the sections, a General MIDI program and a playing style per part, and which
classes rest in which section (a class may also sit out the whole track).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .bass import bass_notes
from .drums import DRUM_CHANNEL, GROOVES, KICK, STEPS_PER_BEAT, drum_notes
from .guitar import GUITAR_STYLES, POWER_CHORD_PROGRAMS, guitar_notes
from .harmony import Key, choose_progression, diatonic_chord
from .midi import ChannelSetup, Note
from .piano import PIANO_STYLES, piano_notes
from .song import BEATS_PER_BAR, ChordSpan, Section, Song, Timeline

#: Stem order of the corpus (spk1 … spk4 in the data directories).
STEMS = ("bass", "drums", "guitar", "piano")
#: General MIDI programs (0-based) of each pitched class.
PROGRAMS = {"bass": tuple(range(32, 40)), "guitar": tuple(range(24, 32)), "piano": tuple(range(0, 8))}
#: Drum kits (program numbers on the drum channel) of the FluidR3 GM SoundFont: standard,
#: room, power, electronic, TR-808, jazz, brush.
DRUM_KITS = (0, 8, 16, 24, 25, 32, 40)

# Chance that a class sits out a whole track, that it rests in one section, and how much
# likelier a rest is in the first section (instruments entering one by one).
_ABSENT_PROBABILITY = {"bass": 0.05, "drums": 0.08, "guitar": 0.12, "piano": 0.12}
_REST_PROBABILITY = {"bass": 0.12, "drums": 0.12, "guitar": 0.17, "piano": 0.17}
_INTRO_EXTRA_REST_PROBABILITY = 0.15
# Sections last 2, 4 or 8 bars, 5 to 16 s, typically near 8 s; chords change every 2, 4 or
# 8 beats, every 1.2 to 6 s.
_SECTION_BARS, _SECTION_SECONDS, _TYPICAL_SECTION_SECONDS = (2, 4, 8), (5.0, 16.0), 8.0
_CHORD_BEATS, _CHORD_BEAT_WEIGHTS, _CHORD_SECONDS = (2, 4, 8), (0.2, 0.65, 0.15), (1.2, 6.0)
_MIN_ACTIVE_CLASSES = 2
# A note jittered slightly before its section's start still belongs to that section.
_SECTION_EARLY_SECONDS = 0.05
_CHANNELS = {"bass": 0, "guitar": 1, "second guitar": 2, "piano": 3}
_FORMS = ("ABAB", "AABB", "ABBA", "AAAB")  # verse (A) / chorus (B) order of the sections
_DEFAULT_BASS_STYLES = ("whole", "eighths", "root_fifth", "kick")
_BASS_STYLES_FOR = {
    "jazz": ("walking",),
    "shuffle": ("root_fifth", "walking", "eighths"),
    "disco": ("octaves", "kick", "eighths"),
    "electro": ("kick", "octaves"),
    "ballad": ("whole", "root_fifth"),
}
_PIANO_STYLES_FOR = {"ballad": ("ballad", "broken", "block"), "jazz": ("syncopated", "block")}


@dataclass(frozen=True)
class Part:
    """One instrument: its class (``stem``), playing ``style``, channel setup (program, or kit
    on the drum channel), notes sorted by start, and the sections it plays in."""

    stem: str
    style: str
    setup: ChannelSetup
    notes: tuple[Note, ...]
    active_sections: tuple[bool, ...]


@dataclass(frozen=True)
class Arrangement:
    """A song and its parts; every note lies within [0, ``duration``] seconds."""

    song: Song
    groove: str
    parts: tuple[Part, ...]

    @property
    def duration(self) -> float:
        return self.song.duration

    def parts_of(self, stem: str) -> tuple[Part, ...]:
        return tuple(part for part in self.parts if part.stem == stem)

    def describe(self) -> dict:
        """A JSON-serialisable summary (for the track's metadata)."""
        song = self.song
        return {
            "duration_seconds": song.duration,
            "bpm": song.timeline.bpm,
            "swing": song.timeline.swing,
            "key": song.key.name(),
            "groove": self.groove,
            "sections": [
                {
                    "start_bar": section.start_bar,
                    "num_bars": section.num_bars,
                    "chorus": section.chorus,
                    "active": [
                        stem for stem in STEMS if any(part.active_sections[index] for part in self.parts_of(stem))
                    ],
                }
                for index, section in enumerate(song.sections)
            ],
            "parts": [
                {
                    "stem": part.stem,
                    "style": part.style,
                    "program": part.setup.program,
                    "channel": part.setup.channel,
                    "num_notes": len(part.notes),
                }
                for part in self.parts
            ],
        }


def _sections(rng: np.random.Generator, num_bars: int, bar_seconds: float) -> tuple[Section, ...]:
    """Sections in a verse/chorus form, of the bar count nearest 8 s (sometimes twice that;
    the last one may be shorter)."""
    form = _FORMS[rng.integers(len(_FORMS))]
    low, high = _SECTION_SECONDS
    fitting = [bars for bars in _SECTION_BARS if low <= bars * bar_seconds <= high]
    typical = min(fitting, key=lambda bars: abs(bars * bar_seconds - _TYPICAL_SECTION_SECONDS))
    sections, start = [], 0
    while start < num_bars:
        length = 2 * typical if 2 * typical in fitting and rng.random() < 0.3 else typical
        length = min(length, num_bars - start)
        sections.append(Section(start, length, form[len(sections) % len(form)] == "B"))
        start += length
    return tuple(sections)


def _chords(
    rng: np.random.Generator, key: Key, sections: tuple[Section, ...], seconds_per_beat: float, seventh: bool
) -> tuple[ChordSpan, ...]:
    """Chord spans covering all sections. Verse and chorus each have a progression, which
    each section of that kind continues where the previous one left it."""
    progressions = {False: choose_progression(rng, key), True: choose_progression(rng, key)}
    low, high = _CHORD_SECONDS
    options = [
        (beats, weight)
        for beats, weight in zip(_CHORD_BEATS, _CHORD_BEAT_WEIGHTS)
        if low <= beats * seconds_per_beat <= high
    ]
    weights = np.array([weight for _, weight in options])
    beats_per_chord = float(options[rng.choice(len(options), p=weights / weights.sum())][0])
    raised_dominant = bool(rng.random() < 0.5)
    position = {False: 0, True: 0}
    spans = []
    for section in sections:
        degrees = progressions[section.chorus]
        for start in np.arange(section.start_beat, section.end_beat, beats_per_chord):
            degree = degrees[position[section.chorus] % len(degrees)]
            position[section.chorus] += 1
            chord = diatonic_chord(key, degree, seventh, raised_dominant)
            spans.append(ChordSpan(float(start), min(beats_per_chord, section.end_beat - start), chord))
    return tuple(spans)


def section_activity(rng: np.random.Generator, num_sections: int) -> dict[str, list[bool]]:
    """For each class, whether it plays in each section: some classes sit out the track,
    others rest now and then, and at least two classes play in every section (when at
    least two are present)."""
    present = [stem for stem in STEMS if rng.random() >= _ABSENT_PROBABILITY[stem]]
    while len(present) < _MIN_ACTIVE_CLASSES:
        absent = [stem for stem in STEMS if stem not in present]
        present.append(absent[rng.integers(len(absent))])
    activity = {stem: [False] * num_sections for stem in STEMS}
    for index in range(num_sections):
        extra = _INTRO_EXTRA_REST_PROBABILITY if index == 0 else 0.0
        playing = [stem for stem in present if rng.random() >= _REST_PROBABILITY[stem] + extra]
        while len(playing) < _MIN_ACTIVE_CLASSES:
            resting = [stem for stem in present if stem not in playing]
            playing.append(resting[rng.integers(len(resting))])
        for stem in playing:
            activity[stem][index] = True
    return activity


def keep_active(notes: list[Note], song: Song, active: list[bool]) -> tuple[Note, ...]:
    """Notes that start in an active section, cut at the end of that run of active sections
    and at the song's end; sorted by start."""
    timeline = song.timeline
    windows = []  # (start, end) seconds of runs of consecutive active sections
    previous_active = False
    for section, is_active in zip(song.sections, active):
        if is_active:
            end = min(timeline.seconds(section.end_beat), song.duration)
            if previous_active:
                windows[-1] = (windows[-1][0], end)
            else:
                windows.append((timeline.seconds(section.start_beat) - _SECTION_EARLY_SECONDS, end))
        previous_active = is_active
    kept = []
    for note in notes:
        for start, end in windows:
            if start <= note.start < end - _SECTION_EARLY_SECONDS:
                kept.append(Note(note.start, min(note.end, end), note.pitch, note.velocity, note.channel))
                break
    return tuple(sorted(kept, key=lambda note: (note.start, note.channel, note.pitch)))


def channel_setup(rng: np.random.Generator, channel: int, program: int, chorus: bool) -> ChannelSetup:
    """Channel setup with random reverb (and, for ``chorus``, chorus-effect) sends."""
    return ChannelSetup(
        channel,
        program,
        volume=100,
        reverb_send=int(rng.integers(15, 70)),
        chorus_send=int(rng.integers(0, 40)) if chorus else 0,
    )


def choose(rng: np.random.Generator, options: tuple) -> object:
    return options[rng.integers(len(options))]


def generate_arrangement(rng: np.random.Generator, duration: float) -> Arrangement:
    """A random arrangement lasting ``duration`` seconds (> 0)."""
    if duration <= 0:
        raise ValueError(f"duration must be positive, got {duration}")
    groove = choose(rng, GROOVES)
    timeline = Timeline(
        bpm=float(rng.integers(*groove.bpm_range)), swing=float(rng.uniform(0.6, 1.0)) if groove.swung else 0.0
    )
    key = Key(int(rng.integers(12)), bool(rng.random() < 0.4))
    bar_seconds = BEATS_PER_BAR * timeline.seconds_per_beat
    sections = _sections(rng, math.ceil(duration / bar_seconds), bar_seconds)
    seventh = groove.name == "jazz" or bool(rng.random() < 0.2)
    chords = _chords(rng, key, sections, timeline.seconds_per_beat, seventh)
    song = Song(timeline, key, sections, chords, duration)
    activity = section_activity(rng, len(sections))

    parts = []

    def add(stem: str, style: str, setup: ChannelSetup, notes: list[Note], active: list[bool]) -> None:
        parts.append(Part(stem, style, setup, keep_active(notes, song, active), tuple(active)))

    kick_beats = tuple(step / STEPS_PER_BEAT for step in groove.steps(KICK))
    bass_style = choose(rng, _BASS_STYLES_FOR.get(groove.name, _DEFAULT_BASS_STYLES))
    add(
        "bass",
        bass_style,
        channel_setup(rng, _CHANNELS["bass"], choose(rng, PROGRAMS["bass"]), False),
        bass_notes(rng, song, bass_style, _CHANNELS["bass"], kick_beats),
        activity["bass"],
    )

    add(
        "drums",
        groove.name,
        channel_setup(rng, DRUM_CHANNEL, choose(rng, DRUM_KITS), False),
        drum_notes(rng, song, groove),
        activity["drums"],
    )

    first_style = None
    for name in ("guitar", "second guitar")[: 2 if rng.random() < 0.35 else 1]:
        program = choose(rng, PROGRAMS["guitar"])
        styles = [style for style in GUITAR_STYLES if style != first_style]
        if program in POWER_CHORD_PROGRAMS and "power" in styles and rng.random() < 0.7:
            style = "power"
        elif groove.name == "funk" and "stabs" in styles and rng.random() < 0.5:
            style = "stabs"
        else:
            style = choose(rng, tuple(style for style in styles if style != "power"))
        # A second guitar drops out of some sections where the first one plays.
        active = [playing and (first_style is None or rng.random() < 0.7) for playing in activity["guitar"]]
        add(
            "guitar",
            style,
            channel_setup(rng, _CHANNELS[name], program, True),
            guitar_notes(rng, song, style, _CHANNELS[name]),
            active,
        )
        first_style = style

    piano_style = choose(rng, _PIANO_STYLES_FOR.get(groove.name, PIANO_STYLES))
    piano_program = choose(rng, PROGRAMS["piano"])
    add(
        "piano",
        piano_style,
        channel_setup(rng, _CHANNELS["piano"], piano_program, True),
        piano_notes(rng, song, piano_style, _CHANNELS["piano"]),
        activity["piano"],
    )
    return Arrangement(song, groove.name, tuple(parts))
