"""Load a track's mixture, references and estimates for scoring, checking rates and lengths.

References come from a Kaldi data dir (``wav.scp``: mixture, ``spk1.scp`` … ``spkS.scp``: the
stems in order); estimates from ``<separation_dir>/<utt_id>/<stem>.wav``. All files must be mono
and share one sample rate. Every error message names the offending file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from ..corpora.kaldi import DataDir


class ScoringError(ValueError):
    """Inputs of scoring are missing or inconsistent; the one-line message names the file."""


@dataclass(frozen=True)
class Track:
    """One utterance ready to score: mixture [N], references and estimates [S, N] (float64),
    at ``sample_rate`` Hz; ``cropped_from``: the longest original length when ``crop`` cut
    files to the shortest one, else None."""

    utt_id: str
    mixture: np.ndarray
    references: np.ndarray
    estimates: np.ndarray
    sample_rate: int
    cropped_from: int | None


def estimate_folder(separation_dir: str | os.PathLike[str], utt_id: str) -> Path:
    """Folder holding the estimated stems of ``utt_id``."""
    return Path(separation_dir) / utt_id


def read_mono(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """A mono audio file as float64 [N] and its sample rate; :class:`ScoringError` otherwise."""
    try:
        audio, rate = soundfile.read(path, dtype="float64", always_2d=True)
    except (RuntimeError, OSError) as error:  # soundfile raises these on missing/unreadable files
        raise ScoringError(f"{path}: cannot read audio ({error})") from None
    if audio.shape[1] != 1:
        raise ScoringError(f"{path}: {audio.shape[1]} channels, expected mono")
    return audio[:, 0], rate


def load_track(
    data: DataDir, separation_dir: str | os.PathLike[str], utt_id: str, stems: list[str], crop: bool = False
) -> Track:
    """Read and check one utterance. The mixture and references must have equal lengths; an
    estimate of another length than its reference is an error unless ``crop``, which cuts every
    signal of the track to the shortest one (as MSDM, whose chunked separations drop the
    track's last partial chunk)."""
    folder = estimate_folder(separation_dir, utt_id)
    named = [data.mixtures[utt_id]] + [mapping[utt_id] for mapping in data.sources]
    named += [str(folder / f"{stem}.wav") for stem in stems]
    signals, rates = zip(*(read_mono(path) for path in named))
    for path, rate in zip(named, rates):
        if rate != rates[0]:
            raise ScoringError(f"{path}: sample rate {rate} Hz, but {named[0]} has {rates[0]} Hz")
    num_references = 1 + len(stems)  # the mixture and the reference stems
    for path, signal in zip(named[1:num_references], signals[1:num_references]):
        if len(signal) != len(signals[0]):
            raise ScoringError(f"{path}: {len(signal)} samples, but the mixture {named[0]} has {len(signals[0])}")
    lengths = [len(signal) for signal in signals]
    cropped_from = None
    if len(set(lengths)) > 1:
        if not crop:
            path, length = next((p, n) for p, n in zip(named, lengths) if n != lengths[0])
            raise ScoringError(
                f"{path}: {length} samples, but the reference has {lengths[0]} (--crop scores the common part)"
            )
        cropped_from = max(lengths)
    shortest = min(lengths)
    signals = [signal[:shortest] for signal in signals]
    return Track(
        utt_id,
        signals[0],
        np.stack(signals[1:num_references]),
        np.stack(signals[num_references:]),
        rates[0],
        cropped_from,
    )
