"""Slakh2100 as MSDM uses it: 4-stem Kaldi data directories, and the chunked MSDM test protocol.

Data preparation (docs/method.md#corpora) writes ``<data_dir>/{wav.scp, spk1.scp … spk4.scp, utt2num_samples}``
with the stems in the order bass, drums, guitar, piano, every file mono at ``sample_rate`` (22,050 Hz)
and the mixture the sum of the four stems, from either layout of the corpus:

- ``raw``: the original corpus, ``<root>/<split>/TrackNNNNN/metadata.yaml`` + ``stems/SNN.flac``.
  Each stem's ``inst_class`` selects its class (Bass, Drums, Guitar, Piano; other classes are not
  used); a class is the sum of its stems, down-mixed to mono and resampled (torchaudio's sinc); a
  class absent from a track is silence. All five files are written under ``<audio_dir>/<track>/``.
- ``msdm``: MSDM's pre-rendered 22,050 Hz test set, ``<root>/<split>/TrackNNNNN/{bass,drums,guitar,piano}.wav``.
  Stems already mono, at the rate and of one length are listed where they are; only the mixture
  (and any stem that needs converting) is written.

Rerunning skips tracks whose files are all written (writes are atomic).

The MSDM protocol (docs/method.md#separation-protocol): :func:`write_chunks` cuts every mixture into non-overlapping
262,144-sample chunks, the last partial chunk dropped (:func:`~mgdm_audio.audio.metrics.msdm_chunks`),
each chunk a mixture file of its own (id ``<utt>-cNNNN``), to be separated independently;
:func:`join_chunks` concatenates each track's separated chunks. Scoring the joined stems with
``mgdm score --crop`` cuts the references to the same whole chunks, as MSDM does.

Command line::

    mgdm slakh prepare {raw,msdm} ROOT DATA_DIR --audio-dir DIR [--split test]
    mgdm slakh chunk DATA_DIR OUT_DATA_DIR [--chunk 262144]
    mgdm slakh join CHUNK_SEPARATIONS OUT_DATA_DIR SEPARATIONS
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import soundfile
import yaml

from ..metrics import MSDM_CHUNK, msdm_chunks
from ..separation.audio_io import resample
from .kaldi import DataDirError, read_data_dir, read_list, write_data_dir, write_list
from .synth4.wav import write_wav

#: Stems in spk1.scp … spk4.scp order, and the Slakh2100 ``inst_class`` each one sums.
STEMS = ("bass", "drums", "guitar", "piano")
INSTRUMENT_CLASSES = {"Bass": "bass", "Drums": "drums", "Guitar": "guitar", "Piano": "piano"}
SAMPLE_RATE = 22050
LAYOUTS = ("raw", "msdm")
MIXTURE = "mixture"
#: The subdirectory of a protocol data dir that lists the chunk mixtures.
CHUNKS_DIR = "chunks"


class CorpusError(ValueError):
    """The corpus root is missing or incomplete; the one-line message names the path."""


def track_dirs(root: str | os.PathLike, split: str) -> list[Path]:
    """The ``Track*`` folders of ``<root>/<split>``, sorted; CorpusError when there are none."""
    folder = Path(root) / split
    if not Path(root).is_dir():
        raise CorpusError(f"{root}: Slakh2100 root not found (set it in db.sh)")
    if not folder.is_dir():
        raise CorpusError(f"{folder}: no '{split}' split under the Slakh2100 root")
    tracks = sorted(path for path in folder.iterdir() if path.is_dir() and path.name.startswith("Track"))
    if not tracks:
        raise CorpusError(f"{folder}: no TrackNNNNN folders")
    return tracks


def read_mono(path: Path, sample_rate: int) -> np.ndarray:
    """``path`` down-mixed to mono and resampled to ``sample_rate``: float64 [N]."""
    try:
        audio, rate = soundfile.read(path, dtype="float64", always_2d=True)
    except (RuntimeError, OSError) as error:  # soundfile's errors for unreadable files
        raise CorpusError(f"{path}: cannot read audio ({error})") from None
    return resample(audio.mean(axis=1), rate, sample_rate)


def class_stems(track: Path) -> dict[str, list[Path]]:
    """Stem files of each of :data:`STEMS` in a raw Slakh2100 track, from its ``metadata.yaml``."""
    path = track / "metadata.yaml"
    try:
        metadata = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorpusError(f"{path}: missing; a raw Slakh2100 track holds metadata.yaml and stems/") from None
    except yaml.YAMLError as error:
        raise CorpusError(f"{path}: not valid YAML ({' '.join(str(error).split())})") from None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("stems"), dict):
        raise CorpusError(f"{path}: no 'stems' mapping")
    audio_dir = track / str(metadata.get("audio_dir") or "stems")
    files: dict[str, list[Path]] = {stem: [] for stem in STEMS}
    for name, stem in sorted(metadata["stems"].items()):
        stem_class = INSTRUMENT_CLASSES.get((stem or {}).get("inst_class"))
        if stem_class is None or (stem or {}).get("audio_rendered") is False:
            continue
        candidates = [audio_dir / f"{name}{suffix}" for suffix in (".flac", ".wav")]
        found = next((candidate for candidate in candidates if candidate.is_file()), None)
        if found is None:
            raise CorpusError(f"{candidates[0]}: missing, but {path} lists stem {name} ({stem['inst_class']})")
        files[stem_class].append(found)
    return files


def pad_to(signals: Sequence[np.ndarray], length: int) -> list[np.ndarray]:
    """Each signal [n] zero-padded at its end to [length]."""
    return [np.pad(signal, (0, length - len(signal))) for signal in signals]


def _stems_raw(track: Path, sample_rate: int) -> tuple[list[np.ndarray], list[Path | None]]:
    """The four class sums of a raw track (all written anew)."""
    files = class_stems(track)
    sums: dict[str, np.ndarray] = {}
    for stem, paths in files.items():
        signals = [read_mono(path, sample_rate) for path in paths]
        if signals:
            sums[stem] = np.sum(pad_to(signals, max(map(len, signals))), axis=0)
    if not sums:
        raise CorpusError(f"{track}: no bass, drums, guitar or piano stem")
    length = max(map(len, sums.values()))
    return pad_to([sums.get(stem, np.zeros(length)) for stem in STEMS], length), [None] * len(STEMS)


def _stems_msdm(track: Path, sample_rate: int) -> tuple[list[np.ndarray], list[Path | None]]:
    """The four pre-rendered stems, and for each its own path when it can be listed unchanged."""
    paths = [track / f"{stem}.wav" for stem in STEMS]
    missing = [path.name for path in paths if not path.is_file()]
    if missing:
        raise CorpusError(f"{track}: incomplete MSDM test track, missing {', '.join(missing)}")
    signals = [read_mono(path, sample_rate) for path in paths]
    length = max(map(len, signals))
    usable = [
        path
        if (info := soundfile.info(path)).channels == 1 and info.samplerate == sample_rate and info.frames == length
        else None
        for path in paths
    ]
    return pad_to(signals, length), usable


def prepare(
    layout: str,
    root: str | os.PathLike,
    data_dir: str | os.PathLike,
    audio_dir: str | os.PathLike,
    split: str = "test",
    sample_rate: int = SAMPLE_RATE,
    max_tracks: int = 0,
) -> list[str]:
    """Write the 4-stem data directory of ``<root>/<split>`` (see the module docstring); returns the track ids.

    ``max_tracks`` > 0 keeps the first tracks only. Raises CorpusError (missing or incomplete root).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown Slakh2100 layout {layout!r}; expected one of {LAYOUTS}")
    tracks = track_dirs(root, split)[: max_tracks or None]
    read = _stems_raw if layout == "raw" else _stems_msdm
    mixtures: dict[str, str] = {}
    sources: list[dict[str, str]] = [{} for _ in STEMS]
    lengths: dict[str, int] = {}
    for track in tracks:
        folder = Path(audio_dir) / track.name
        outputs = [folder / f"{name}.wav" for name in (MIXTURE, *STEMS)]
        if layout == "raw" and all(path.is_file() for path in outputs):  # finished before
            listed = [path.resolve() for path in outputs]
            length = soundfile.info(outputs[0]).frames
        else:
            stems, usable = read(track, sample_rate)
            folder.mkdir(parents=True, exist_ok=True)
            write_wav(str(outputs[0]), np.sum(stems, axis=0), sample_rate, "FLOAT")
            for signal, path, original in zip(stems, outputs[1:], usable):
                if original is None:
                    write_wav(str(path), signal, sample_rate, "FLOAT")
            listed = [outputs[0].resolve()] + [
                (original or path).resolve() for original, path in zip(usable, outputs[1:])
            ]
            length = len(stems[0])
        mixtures[track.name] = str(listed[0])
        for mapping, path in zip(sources, listed[1:]):
            mapping[track.name] = str(path)
        lengths[track.name] = length
    write_data_dir(data_dir, mixtures, sources, lengths)
    return sorted(mixtures)


def chunk_id(utt_id: str, index: int) -> str:
    """Id of chunk ``index`` of utterance ``utt_id``."""
    return f"{utt_id}-c{index:04d}"


def write_chunks(data_dir: str | os.PathLike, out_dir: str | os.PathLike, chunk: int = MSDM_CHUNK) -> dict[str, int]:
    """The MSDM protocol's inputs: ``out_dir`` = the data dir's tracks of at least one chunk (list files
    only, same audio), and ``out_dir/chunks/wav.scp`` listing each whole ``chunk``-sample piece of
    their mixtures, written to ``out_dir/chunks/audio/<chunk id>.wav``. Returns utt id → chunk count
    (0: shorter than one chunk, left out as MSDM leaves it out)."""
    data = read_data_dir(data_dir)
    folder = Path(out_dir) / CHUNKS_DIR
    (folder / "audio").mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    chunk_files: dict[str, str] = {}
    for utt_id in data.utt_ids:
        mixture, rate = soundfile.read(data.mixtures[utt_id], dtype="float64")
        if mixture.ndim != 1:
            raise DataDirError(f"{data.mixtures[utt_id]}: {mixture.shape[1]} channels, expected mono")
        pieces = msdm_chunks(mixture, chunk)
        for index, piece in enumerate(pieces):
            path = folder / "audio" / f"{chunk_id(utt_id, index)}.wav"
            write_wav(str(path), piece, rate, "FLOAT")
            chunk_files[chunk_id(utt_id, index)] = str(path.resolve())
        counts[utt_id] = len(pieces)
    kept = [utt_id for utt_id, count in counts.items() if count]
    if not kept:
        raise DataDirError(f"{data_dir}: no mixture is as long as one chunk of {chunk} samples")

    def keep(mapping: dict[str, object]) -> dict[str, object]:
        return {utt_id: mapping[utt_id] for utt_id in kept}

    write_data_dir(
        out_dir,
        keep(data.mixtures),
        [keep(source) for source in data.sources],
        None if data.num_samples is None else keep(data.num_samples),
    )
    write_list(folder / "wav.scp", chunk_files)
    return counts


def chunk_segment_seconds(data_dir: str | os.PathLike, sample_rate: int) -> float:
    """``mgdm separate --segment`` (seconds) that makes one model segment of each chunk of ``data_dir/chunks``
    (a :func:`write_chunks` output) for a prior at ``sample_rate`` Hz: ``mgdm separate`` reads a segment 3
    samples shorter than the model length it asks for, so it asks for 4 samples more than a chunk.
    DataDirError unless the chunks are at the prior's rate."""
    scp = Path(data_dir) / CHUNKS_DIR / "wav.scp"
    info = soundfile.info(next(iter(read_list(scp).values())))
    if info.samplerate != sample_rate:
        raise DataDirError(
            f"{scp}: chunks at {info.samplerate} Hz, the prior at {sample_rate} Hz: prepare the data at the prior rate"
        )
    return (info.frames + 4) / info.samplerate


def join_chunks(
    chunk_separations: str | os.PathLike,
    data_dir: str | os.PathLike,
    separations: str | os.PathLike,
    stems: Sequence[str] = STEMS,
) -> int:
    """Concatenate ``<chunk_separations>/<chunk id>/<stem>.wav`` over each track's chunks, in order, into
    ``<separations>/<utt>/<stem>.wav`` for the tracks of ``data_dir`` (a :func:`write_chunks` output);
    returns the number of tracks. A missing chunk is an error naming it."""
    data = read_data_dir(data_dir)
    chunk_ids: dict[str, list[str]] = {utt_id: [] for utt_id in data.utt_ids}
    for identifier in read_list(Path(data_dir) / CHUNKS_DIR / "wav.scp"):
        chunk_ids[identifier.rpartition("-c")[0]].append(identifier)
    for utt_id, identifiers in chunk_ids.items():
        folder = Path(separations) / utt_id
        folder.mkdir(parents=True, exist_ok=True)
        for stem in stems:
            pieces = []
            for identifier in sorted(identifiers):
                path = Path(chunk_separations) / identifier / f"{stem}.wav"
                try:
                    audio, rate = soundfile.read(path, dtype="float64")
                except (RuntimeError, OSError) as error:
                    raise DataDirError(f"{path}: cannot read the separated chunk ({error})") from None
                pieces.append(audio)
            write_wav(str(folder / f"{stem}.wav"), np.concatenate(pieces), rate, "FLOAT")
    return len(chunk_ids)
