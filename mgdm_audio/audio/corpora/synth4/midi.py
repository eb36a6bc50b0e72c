"""Write Standard MIDI Files (format 0) from timed note lists.

Only what FluidSynth needs to render one stem: a fixed tempo, per-channel program, volume,
reverb and chorus sends, and notes. Times are seconds; they are converted to ticks at
``TICKS_PER_BEAT`` resolution (about 0.5 ms at 120 BPM), which keeps humanised timing.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from mgdm_audio.common.atomic import atomic_path

TICKS_PER_BEAT = 960

# Sort keys for events on the same tick: set up channels first, release notes before
# starting new ones (so a repeated pitch is not cut off by its own note-off), end last.
_ORDER_SETUP, _ORDER_NOTE_OFF, _ORDER_NOTE_ON, _ORDER_END = range(4)

# General MIDI controller numbers.
_CC_VOLUME, _CC_REVERB_SEND, _CC_CHORUS_SEND = 7, 91, 93


@dataclass(frozen=True)
class Note:
    """One note. ``start``/``end`` in seconds (end > start), ``pitch`` and ``velocity`` 0..127
    (velocity ≥ 1, since 0 means note-off), ``channel`` 0..15 (9 is the GM drum channel)."""

    start: float
    end: float
    pitch: int
    velocity: int
    channel: int


@dataclass(frozen=True)
class ChannelSetup:
    """Sent at time 0 on ``channel``: GM ``program`` (for channel 9: the drum kit), main
    ``volume`` and effect sends, all 0..127."""

    channel: int
    program: int
    volume: int = 100
    reverb_send: int = 40
    chorus_send: int = 0


def _variable_length(value: int) -> bytes:
    """MIDI variable-length quantity: 7 bits per byte, high bit set on all but the last."""
    groups = [value & 0x7F]
    value >>= 7
    while value:
        groups.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(groups))


def _check_7bit(name: str, value: int) -> None:
    if not 0 <= value <= 127:
        raise ValueError(f"MIDI {name} must be in 0..127, got {value}")


def _note_ticks(notes: Iterable[Note], seconds_to_ticks: float, end_tick: int) -> list[tuple[int, int, Note]]:
    """(on tick, off tick, note) for the notes that start before ``end_tick``.

    A note-off releases every sounding voice of its key, so a note is cut where the next
    note of the same key and channel starts (and an exact duplicate is dropped); otherwise
    that next note would be silenced by the earlier note's note-off.
    """
    by_key: dict[tuple[int, int], list[tuple[int, int, Note]]] = {}
    for note in notes:
        _check_7bit("pitch", note.pitch)
        if not 1 <= note.velocity <= 127 or not 0 <= note.channel <= 15:
            raise ValueError(f"velocity must be in 1..127 and channel in 0..15: {note}")
        on_tick = max(0, round(note.start * seconds_to_ticks))
        off_tick = min(end_tick, round(note.end * seconds_to_ticks))
        if on_tick < end_tick:
            by_key.setdefault((note.channel, note.pitch), []).append((on_tick, off_tick, note))
    timed = []
    for same_key in by_key.values():
        same_key.sort(key=lambda item: item[0])
        next_onsets = [item[0] for item in same_key[1:]] + [end_tick]
        for (on_tick, off_tick, note), next_on in zip(same_key, next_onsets):
            if next_on > on_tick:
                timed.append((on_tick, max(on_tick + 1, min(off_tick, next_on)), note))
    return timed


def midi_bytes(setups: Iterable[ChannelSetup], notes: Iterable[Note], bpm: float, end_seconds: float) -> bytes:
    """Encode a one-track (format 0) MIDI file.

    Notes are clipped to ``end_seconds``, where the end-of-track event is placed; notes
    starting at or after it are dropped.
    """
    seconds_to_ticks = TICKS_PER_BEAT * bpm / 60.0
    end_tick = round(end_seconds * seconds_to_ticks)
    events: list[tuple[int, int, bytes]] = []
    for setup in setups:
        if not 0 <= setup.channel <= 15:
            raise ValueError(f"MIDI channel must be in 0..15, got {setup.channel}")
        for name, value in (
            ("program", setup.program),
            ("volume", setup.volume),
            ("reverb send", setup.reverb_send),
            ("chorus send", setup.chorus_send),
        ):
            _check_7bit(name, value)
        status_cc = 0xB0 | setup.channel
        events.append((0, _ORDER_SETUP, bytes([0xC0 | setup.channel, setup.program])))
        events.append((0, _ORDER_SETUP, bytes([status_cc, _CC_VOLUME, setup.volume])))
        events.append((0, _ORDER_SETUP, bytes([status_cc, _CC_REVERB_SEND, setup.reverb_send])))
        events.append((0, _ORDER_SETUP, bytes([status_cc, _CC_CHORUS_SEND, setup.chorus_send])))
    for on_tick, off_tick, note in _note_ticks(notes, seconds_to_ticks, end_tick):
        events.append((on_tick, _ORDER_NOTE_ON, bytes([0x90 | note.channel, note.pitch, note.velocity])))
        events.append((off_tick, _ORDER_NOTE_OFF, bytes([0x80 | note.channel, note.pitch, 0])))
    microseconds_per_beat = round(60_000_000 / bpm)
    events.append((0, _ORDER_SETUP, b"\xff\x51\x03" + microseconds_per_beat.to_bytes(3, "big")))
    events.append((end_tick, _ORDER_END, b"\xff\x2f\x00"))
    events.sort(key=lambda event: (event[0], event[1]))

    track = bytearray()
    previous_tick = 0
    for tick, _, payload in events:
        track += _variable_length(tick - previous_tick) + payload
        previous_tick = tick
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_BEAT)
    return header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)


def write_midi(
    path: str, setups: Iterable[ChannelSetup], notes: Iterable[Note], bpm: float, end_seconds: float
) -> None:
    """Write :func:`midi_bytes` to ``path`` atomically (temp file, then rename)."""
    data = midi_bytes(setups, notes, bpm, end_seconds)
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        handle.write(data)
