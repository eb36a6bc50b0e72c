"""Kaldi-style data directories for source separation.

A data directory holds list files with one ``<utt_id> <value>`` line per utterance, sorted
by utterance id (byte order, as Kaldi's ``LC_ALL=C sort``):

- ``wav.scp``: the mixture's audio path,
- ``spk1.scp`` … ``spkN.scp``: the path of each reference source, in a fixed order,
- ``utt2num_samples`` (optional): the length of every file of that utterance, in samples.

Values are plain file paths (absolute, or relative to the current directory as in Kaldi);
piped commands (``… |``) are not supported. Writes are atomic: a reader never sees a
half-written file, and a crash leaves the previous version in place.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import soundfile

from mgdm_audio.common.lists import DataDirError, read_list, write_list

MIXTURE_FILE = "wav.scp"
NUM_SAMPLES_FILE = "utt2num_samples"
_SPEAKER_FILE = re.compile(r"^spk([1-9][0-9]*)\.scp$")


def speaker_file(index: int) -> str:
    """Name of the list file of source ``index`` (1-based, as in Kaldi: ``spk1.scp``)."""
    return f"spk{index}.scp"


@dataclass(frozen=True)
class DataDir:
    """Contents of a data directory. ``sources[k]`` maps utterance id → path of source k+1;
    ``num_samples`` is None when the directory has no ``utt2num_samples``."""

    mixtures: dict[str, str]
    sources: list[dict[str, str]]
    num_samples: dict[str, int] | None

    @property
    def utt_ids(self) -> list[str]:
        """Utterance ids in sorted order."""
        return sorted(self.mixtures)


def write_data_dir(
    directory: str | os.PathLike[str],
    mixtures: Mapping[str, str],
    sources: Sequence[Mapping[str, str]],
    num_samples: Mapping[str, int] | None = None,
) -> None:
    """Create ``directory`` with ``wav.scp``, ``spk1.scp`` … ``spkN.scp`` (N = len(sources))
    and, when given, ``utt2num_samples``. Every mapping must have the same ids; spk files
    left over from an earlier write with more sources are removed."""
    expected = set(mixtures)
    named = [(speaker_file(index + 1), mapping) for index, mapping in enumerate(sources)]
    if num_samples is not None:
        named.append((NUM_SAMPLES_FILE, num_samples))
    for name, mapping in named:
        if set(mapping) != expected:
            raise ValueError(f"{name}: utterance ids differ from {MIXTURE_FILE}")
    os.makedirs(directory, exist_ok=True)
    write_list(os.path.join(directory, MIXTURE_FILE), mixtures)
    for name, mapping in named:
        write_list(os.path.join(directory, name), mapping)
    for index in _speaker_indices(directory):
        if index > len(sources):
            os.remove(os.path.join(directory, speaker_file(index)))


def _speaker_indices(directory: str | os.PathLike[str]) -> list[int]:
    matches = (_SPEAKER_FILE.match(name) for name in os.listdir(directory))
    return sorted(int(match.group(1)) for match in matches if match)


def read_data_dir(directory: str | os.PathLike[str]) -> DataDir:
    """Read a data directory's list files (no checks beyond well-formed lines)."""
    if not os.path.isdir(directory):
        raise DataDirError(f"{directory}: not a directory")
    mixtures = read_list(os.path.join(directory, MIXTURE_FILE))
    indices = _speaker_indices(directory)
    if indices != list(range(1, len(indices) + 1)):
        raise DataDirError(f"{directory}: speaker files must be spk1.scp … spkN.scp without gaps, found spk{indices}")
    sources = [read_list(os.path.join(directory, speaker_file(index))) for index in indices]
    num_samples = None
    num_samples_path = os.path.join(directory, NUM_SAMPLES_FILE)
    if os.path.exists(num_samples_path):
        num_samples = {}
        for key, value in read_list(num_samples_path).items():
            if not value.isdigit():
                raise DataDirError(f"{num_samples_path}: {key}: {value!r} is not a sample count")
            num_samples[key] = int(value)
    return DataDir(mixtures, sources, num_samples)


def _check_sorted(path: str, keys: Iterable[str]) -> None:
    keys = list(keys)
    for previous, current in zip(keys, keys[1:]):
        if current <= previous:
            raise DataDirError(f"{path}: not sorted by id ({current!r} after {previous!r})")


def _check_same_ids(path: str, keys: Iterable[str], expected: set[str]) -> None:
    keys = set(keys)
    if keys != expected:
        missing, extra = sorted(expected - keys), sorted(keys - expected)
        raise DataDirError(
            f"{path}: ids differ from {MIXTURE_FILE} "
            f"(missing {missing[:3]}{'…' if len(missing) > 3 else ''}, "
            f"extra {extra[:3]}{'…' if len(extra) > 3 else ''})"
        )


def validate_data_dir(
    directory: str | os.PathLike[str],
    num_speakers: int | None = None,
    sample_rate: int | None = None,
    check_audio: bool = True,
) -> DataDir:
    """Check a data directory and return its contents; raise :class:`DataDirError` otherwise.

    Checks: every list file sorted with the same ids as ``wav.scp``; at least one speaker
    file (exactly ``num_speakers`` when given); and, with ``check_audio``, every path is
    a readable audio file, all files of an utterance share one sample rate (``sample_rate``
    when given) and one length, equal to ``utt2num_samples`` when present.
    """
    data = read_data_dir(directory)
    if not data.sources:
        raise DataDirError(f"{directory}: no spk1.scp")
    if num_speakers is not None and len(data.sources) != num_speakers:
        raise DataDirError(f"{directory}: expected {num_speakers} speaker files, found {len(data.sources)}")
    named: list[tuple[str, Mapping[str, object]]] = [(MIXTURE_FILE, data.mixtures)]
    named += [(speaker_file(index + 1), mapping) for index, mapping in enumerate(data.sources)]
    if data.num_samples is not None:
        named.append((NUM_SAMPLES_FILE, data.num_samples))
    expected = set(data.mixtures)
    for name, mapping in named:
        path = os.path.join(directory, name)
        _check_sorted(path, mapping)
        _check_same_ids(path, mapping, expected)
    if check_audio:
        for utt_id in data.utt_ids:
            _check_utterance_audio(directory, utt_id, data, sample_rate)
    return data


def _check_utterance_audio(
    directory: str | os.PathLike[str], utt_id: str, data: DataDir, sample_rate: int | None
) -> None:
    paths = [data.mixtures[utt_id]] + [mapping[utt_id] for mapping in data.sources]
    shapes = set()
    for path in paths:
        if path.endswith("|"):
            raise DataDirError(f"{directory}: {utt_id}: piped commands are not supported ({path})")
        try:
            info = soundfile.info(path)
        except (RuntimeError, OSError) as error:  # soundfile raises on missing/unreadable files
            raise DataDirError(f"{directory}: {utt_id}: cannot read audio {path}: {error}") from None
        if sample_rate is not None and info.samplerate != sample_rate:
            raise DataDirError(
                f"{directory}: {utt_id}: {path} has sample rate {info.samplerate}, expected {sample_rate}"
            )
        shapes.add((info.samplerate, info.frames))
    if len(shapes) != 1:
        raise DataDirError(f"{directory}: {utt_id}: files differ in (sample rate, length): {sorted(shapes)}")
    ((_, frames),) = shapes
    if data.num_samples is not None and data.num_samples[utt_id] != frames:
        raise DataDirError(
            f"{directory}: {utt_id}: {NUM_SAMPLES_FILE} says {data.num_samples[utt_id]} samples, audio has {frames}"
        )
