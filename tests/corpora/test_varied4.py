"""The varied4 corpus: sound catalogue and held-out splits, the SoundFont preset reader, the recorded-kit
player, music21 works (reading, looping, harmony, arrangement), effects, and a small build."""

import os
import shutil
import struct

import numpy as np
import pytest
import soundfile

from mgdm_audio.audio.corpora.synth4.arrangement import STEMS
from mgdm_audio.audio.corpora.synth4.build import BuildConfig, TrackSpec, build_corpus, wav_path
from mgdm_audio.audio.corpora.synth4.drums import CLOSED_HAT, DRUM_CHANNEL, KICK, OPEN_HAT, PEDAL_HAT, RIDE, SNARE
from mgdm_audio.audio.corpora.synth4.harmony import Chord, Key
from mgdm_audio.audio.corpora.synth4.mixing import PEAK_LIMIT
from mgdm_audio.audio.corpora.synth4.render import find_synthesizer
from mgdm_audio.audio.corpora.varied4 import compositions, drumkit, effects, sounds
from mgdm_audio.audio.corpora.varied4.build import VARIED4

# ---- sounds ------------------------------------------------------------------------------------------


def test_splits_never_share_sounds_and_the_reserved_set_is_absent():
    train = set(sounds.SPLIT_SOUND_SETS["train"]) | {kit.path for kit in sounds.RECORDED_KITS["train"]}
    for split in ("valid", "test"):
        held_out = set(sounds.SPLIT_SOUND_SETS[split]) | {kit.path for kit in sounds.RECORDED_KITS[split]}
        assert not train & held_out, split
        assert len(sounds.RECORDED_KITS[split]) >= 2
    assert not {kit.path for kit in sounds.RECORDED_KITS["valid"]} & {kit.path for kit in sounds.RECORDED_KITS["test"]}
    paths = [item.path for item in sounds.SOUND_SETS.values()] + [
        kit.path for kits in sounds.RECORDED_KITS.values() for kit in kits
    ]
    assert not any("timgm" in path.lower() for path in paths)
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        sounds.split_sounds("dev")


def _chunk(name: bytes, data: bytes) -> bytes:
    return name + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")


def _preset(name: str, program: int, bank: int) -> bytes:
    return struct.pack("<20sHHHIII", name.encode(), program, bank, 0, 0, 0, 0)


def test_soundfont_presets_reads_every_preset_header_but_the_terminator(tmp_path):
    presets = _preset("Piano", 5, 0) + _preset("TR-808", 25, 128) + _preset("EOP", 0, 0)
    pdta = b"pdta" + _chunk(b"pbag", b"\0" * 5) + _chunk(b"phdr", presets)  # an odd chunk first: padded
    body = (
        b"sfbk"
        + _chunk(b"LIST", b"INFO" + _chunk(b"ifil", b"\2\0\4\0"))
        + _chunk(b"LIST", b"sdta")
        + _chunk(b"LIST", pdta)
    )
    path = tmp_path / "tiny.sf2"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    assert sounds.soundfont_presets(str(path)) == {(0, 5), (128, 25)}
    kits = sounds.gm_kits(sounds.SoundSet("tiny", str(path), "none"))
    assert [(kit.name, kit.program, kit.drum_bank) for kit in kits] == [("tiny:kit25", 25, True)]
    (tmp_path / "not.sf2").write_bytes(b"RIFF\0\0\0\0WAVE")
    with pytest.raises(ValueError, match="not a SoundFont"):
        sounds.soundfont_presets(str(tmp_path / "not.sf2"))


# ---- recorded kits -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, key",
    [
        ("Kick", KICK),
        ("BassDrum", KICK),
        ("c3 - bass drum 1", KICK),
        ("Snare Rock", SNARE),
        ("Hi Hat Closed", CLOSED_HAT),
        ("Closed HH", CLOSED_HAT),
        ("Pedal HH", PEDAL_HAT),
        ("VariBreaks Hat 1 Pd", PEDAL_HAT),
        ("Sabian Hat Semi-Open", OPEN_HAT),
        ("Hi Hat Opened", OPEN_HAT),
        ("Paiste Ride", RIDE),
        ("Floor Tom", 41),
        ("Tom Hi", 50),
        ("Tom Mid", 47),
        ("Tom Low", 45),
        ("Whistle", None),
        ("Conga 1", None),
    ],
)
def test_kit_instrument_names_map_to_general_midi_keys(name, key):
    assert drumkit.key_for_name(name) == key


KIT_XML = """<?xml version="1.0"?>
<drumkit_info xmlns="http://www.hydrogen-music.org/drumkit">
 <name>tiny</name>
 <instrumentList>
  <instrument><name>Kick</name><volume>0.5</volume>
   <layer><filename>soft.wav</filename><min>0</min><max>0.5</max><gain>1</gain></layer>
   <layer><filename>hard.wav</filename><min>0.5</min><max>1</max><gain>2</gain></layer>
  </instrument>
  <instrument><name>Closed HH</name><filename>hat.wav</filename></instrument>
  <instrument><name>Whistle</name><filename>hat.wav</filename></instrument>
 </instrumentList>
</drumkit_info>
"""


def _tiny_kit(folder, rate):
    folder.mkdir()
    (folder / "drumkit.xml").write_text(KIT_XML)
    samples = {"soft": np.array([0.1, 0.2, 0.3]), "hard": np.array([0.5, -0.5]), "hat": np.array([0.25] * 4)}
    for name, sample in samples.items():
        soundfile.write(folder / f"{name}.wav", sample, rate, subtype="FLOAT")
    return samples


def test_kit_player_plays_the_velocity_layer_at_each_note_and_falls_back_by_key(tmp_path):
    from mgdm_audio.audio.corpora.synth4.midi import Note

    rate = 100
    samples = _tiny_kit(tmp_path / "kit", rate)
    assert [(i.name, i.key, len(i.layers)) for i in drumkit.read_kit(str(tmp_path / "kit"))] == [
        ("Kick", KICK, 2),
        ("Closed HH", CLOSED_HAT, 1),
    ]
    player = drumkit.DrumKitPlayer(str(tmp_path / "kit"), rate, np.random.default_rng(0))
    notes = [
        Note(0.10, 0.2, KICK, 127, DRUM_CHANNEL),
        Note(0.20, 0.3, KICK, 40, DRUM_CHANNEL),
        Note(0.30, 0.4, PEDAL_HAT, 127, DRUM_CHANNEL),  # no pedal hi-hat: the closed one plays
        Note(0.40, 0.5, SNARE, 127, DRUM_CHANNEL),  # no snare, clap or side stick: silent
        Note(0.98, 1.0, CLOSED_HAT, 127, DRUM_CHANNEL),
    ]  # cut at the end
    out = player.render(notes, 100)
    expected = np.zeros(100)
    expected[10:12] += samples["hard"] * 0.5 * 2
    expected[20:23] += samples["soft"] * 0.5 * (40 / 127) ** 1.5
    expected[30:34] += samples["hat"]
    expected[98:100] += samples["hat"][:2]
    assert out.dtype == np.float32 and np.allclose(out, expected, atol=1e-6)


def test_kit_player_resamples_the_kit_to_its_rate(tmp_path):
    _tiny_kit(tmp_path / "kit", 200)
    player = drumkit.DrumKitPlayer(str(tmp_path / "kit"), 100, np.random.default_rng(0))
    from mgdm_audio.audio.corpora.synth4.midi import Note

    out = player.render([Note(0.0, 0.1, CLOSED_HAT, 127, DRUM_CHANNEL)], 10)
    assert np.count_nonzero(np.abs(out) > 0.05) == 2  # 4 samples at 200 Hz last 2 at 100 Hz


# ---- compositions ------------------------------------------------------------------------------------


def _work(voices, period=8.0, bar=4.0):
    return compositions.Work("test", tuple(tuple(voice) for voice in voices), bar, period, Key(0, False))


def test_excerpts_loop_the_work_and_cut_at_the_end():
    work = _work([[(0.0, 1.0, 60), (2.0, 4.0, 62)]], period=4.0)
    (voice,) = compositions.excerpt(work, start=2.0, length=7.0)
    assert voice == [(0.0, 2.0, 62), (2.0, 3.0, 60), (4.0, 6.0, 62), (6.0, 7.0, 60)]


def test_estimated_chords_are_the_triads_the_notes_spell():
    voices = [
        [(0.0, 2.0, 64), (2.0, 4.0, 69), (4.0, 6.0, 65)],  # E, A, F
        [(0.0, 2.0, 60), (2.0, 4.0, 60), (4.0, 6.0, 62)],  # C, C, D
        [(0.0, 2.0, 48), (2.0, 4.0, 57), (4.0, 6.0, 47)],
    ]  # C, A, B: the roots in the bass
    spans = compositions.estimate_chords(voices, 8.0, 2.0)
    assert [(span.start, span.length) for span in spans] == [(0.0, 2.0), (2.0, 2.0), (4.0, 2.0), (6.0, 2.0)]
    assert [span.chord for span in spans] == [
        Chord(0, (0, 4, 7)),
        Chord(9, (0, 3, 7)),
        Chord(11, (0, 3, 6)),
        Chord(11, (0, 3, 6)),
    ]  # an empty window keeps the last chord


def test_voices_move_by_octaves_into_the_instrument_range():
    fitted = compositions._fit_range([(0.0, 1.0, 76), (1.0, 2.0, 79), (2.0, 3.0, 100)], "bass")
    assert [pitch for _, _, pitch in fitted] == [40, 43, 52]  # two octaves down; 64 folded back into range


def test_an_arranged_work_keeps_its_voices_in_time_and_range():
    rng = np.random.default_rng(3)
    scale = [60, 62, 64, 65, 67, 69, 71, 72]
    voices = [
        [(float(beat), beat + 1.0, scale[beat % 8] + 12) for beat in range(16)],
        [(float(beat), beat + 2.0, scale[beat % 8]) for beat in range(0, 16, 2)],
        [(float(beat), beat + 4.0, scale[beat % 8] - 24) for beat in range(0, 16, 4)],
    ]
    for seed in range(6):
        arrangement = compositions.composition_arrangement(np.random.default_rng(seed), _work(voices, 16.0), 10.0)
        assert [part.stem for part in arrangement.parts][0] == "bass" and arrangement.duration == 10.0
        for part in arrangement.parts:
            assert all(0 <= note.start < note.end <= 10.0 + 1e-9 for note in part.notes), part.stem
            if part.stem == "drums":
                assert {note.channel for note in part.notes} <= {DRUM_CHANNEL}
            if part.style == "voice":  # the lowest voice, an octave or two down to the bass range
                assert {note.pitch for note in part.notes} <= {pitch - 12 * k for pitch in scale for k in (2, 3)}
            if part.style == "line":  # the top voice on guitar
                assert all(45 <= note.pitch <= 81 for note in part.notes)
    with pytest.raises(ValueError, match="duration must be positive"):
        compositions.composition_arrangement(rng, _work(voices), 0.0)


def test_read_work_shifts_the_pickup_and_refuses_triple_metre():
    music21 = pytest.importorskip("music21")
    score = music21.stream.Score()
    for pitches in (["C5", "D5", "E5", "F5", "G5"], ["C3", "D3", "E3", "F3", "G3"]):
        part = music21.stream.Part()
        part.append(music21.meter.TimeSignature("4/4"))
        for name in pitches:
            part.append(music21.note.Note(name, quarterLength=1.0))
        score.insert(0, part)
    score.makeMeasures(inPlace=True)
    # Make the first quarter a pickup: the first full bar starts one beat later.
    for part in score.parts:
        first = part.getElementsByClass("Measure")[0]
        first.paddingLeft = 3.0
    work = compositions.read_work(score, "test")
    assert work is not None and work.bar_quarters == 4.0 and work.period == 4.0
    assert [pitch for _, _, pitch in work.voices[0]] == [74, 76, 77, 79]  # D5 … G5; C5 was the pickup
    assert work.voices[0][0][:2] == (0.0, 1.0) and work.voices[1][0][2] == 50
    waltz = music21.stream.Score(
        [music21.stream.Part([music21.meter.TimeSignature("3/4"), music21.note.Note("C4", quarterLength=3.0)])]
    )
    assert compositions.read_work(waltz, "waltz") is None


def test_collections_are_disjoint_and_never_bach():
    pytest.importorskip("music21")
    names = [set(compositions.COLLECTIONS[split]) for split in ("train", "valid", "test")]
    assert not (names[0] & names[1] or names[0] & names[2] or names[1] & names[2])
    for split in ("train", "valid", "test"):
        paths = compositions.collection_paths(split)
        assert paths and not any("bach" in path.lower() for path in paths), split


# ---- effects -----------------------------------------------------------------------------------------


def test_effect_chains_are_reproducible_and_keep_the_length():
    pytest.importorskip("pedalboard")
    signal = np.random.default_rng(0).normal(0, 0.1, 4000).astype(np.float32)
    outs, descriptions = [], []
    for _ in range(2):
        board, described = effects.draw_chain(np.random.default_rng(7), "guitar")
        outs.append(effects.apply_chain(board, signal, 16000))
        descriptions.append(described)
    assert descriptions[0] == descriptions[1] and np.array_equal(outs[0], outs[1])
    assert outs[0].shape == signal.shape and outs[0].dtype == np.float32
    import pedalboard

    assert np.array_equal(effects.apply_chain(pedalboard.Pedalboard([]), signal, 16000), signal)


# ---- a small build -----------------------------------------------------------------------------------

HAVE_HELD_OUT_SOUNDS = shutil.which("fluidsynth") is not None and all(
    os.path.exists(path)
    for path in (sounds.SOUND_SETS["csound-gm"].path, *(kit.path for kit in sounds.RECORDED_KITS["valid"]))
)


@pytest.mark.skipif(not HAVE_HELD_OUT_SOUNDS, reason="needs fluidsynth, csound-soundfont and hydrogen-drumkits")
def test_a_validation_track_uses_held_out_sounds_and_sums_to_its_mixture(tmp_path):
    pytest.importorskip("music21")
    pytest.importorskip("pedalboard")
    config = BuildConfig(str(tmp_path / "audio"), str(tmp_path / "data"), 0, find_synthesizer(16000), "float", VARIED4)
    summary = build_corpus(config, {"valid": (1, 4.0)}, progress=None)
    assert summary["valid"]["rendered"] == 1
    spec = TrackSpec("valid", 0, 4.0, "varied4")
    track = {name: soundfile.read(wav_path(config, spec, name), dtype="float64")[0] for name in ("mix", *STEMS)}
    assert {len(signal) for signal in track.values()} == {64000}
    assert np.allclose(sum(track[stem] for stem in STEMS), track["mix"], atol=1e-6)
    assert np.abs(track["mix"]).max() <= PEAK_LIMIT + 1e-6 and np.abs(track["mix"]).max() > 0.01
    import json

    metadata = json.load(open(os.path.join(os.path.dirname(wav_path(config, spec, "mix")), "metadata.json")))
    held_out = {"csound-gm", *(kit.name for kit in sounds.RECORDED_KITS["valid"])}
    used = {sound for sound in metadata["sounds"].values() if sound is not None}
    assert used and all(sound in held_out or sound.startswith("csound-gm:") for sound in used)
    assert metadata["source"].split("/")[0] in compositions.COLLECTIONS["valid"]
    assert abs(metadata["detune_cents"]) <= 25.0
    assert build_corpus(config, {"valid": (1, 4.0)}, progress=None)["valid"]["rendered"] == 0
