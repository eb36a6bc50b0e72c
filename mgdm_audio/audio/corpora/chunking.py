"""Cut the utterances of a data directory into short aligned chunks: a new data directory of excerpts.

Separation benchmarks on a CPU score many short excerpts rather than a few whole tracks. Each
utterance (mixture and every source) is cut at the same non-overlapping boundaries of ``chunk``
samples; a chunk is kept only when at least ``min_active`` sources (default: every one) are active in it
(‖s‖₂ / n ≥ ``activity_threshold``, the window criterion of
:func:`mgdm_audio.audio.metrics.windowed_si_sdri`), so by default each kept chunk has something to
separate in every stem; at most ``per_utterance`` chunks of an utterance are kept,
spread evenly over its eligible ones. Chunk ``k`` of utterance ``u`` is ``u-c<k>``, with its WAV files
under ``<out>/wav/<u>-c<k>/`` (PCM float, the input's rate) — written atomically; inputs are read only.

Command line: ``mgdm chunk-data-dir SRC_DIR OUT_DIR --chunk-samples N [--per-utterance K]
[--min-active M]``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile

from mgdm_audio.common.atomic import atomic_path

from ..metrics import ACTIVITY_THRESHOLD, chunk_starts
from .kaldi import DataDirError, read_data_dir, write_data_dir


def spread(items: list[int], count: int) -> list[int]:
    """``count`` items of ``items`` evenly spread from first to last (all of them when count ≥ len)."""
    if count >= len(items):
        return list(items)
    picks = np.linspace(0, len(items) - 1, count).round().astype(int)
    return [items[i] for i in picks]


def chunk_data_dir(
    src_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    chunk: int,
    per_utterance: int = 1,
    min_active: int | None = None,
    activity_threshold: float = ACTIVITY_THRESHOLD,
) -> list[str]:
    """Write the chunked data directory ``out_dir`` from ``src_dir``; returns the kept chunk ids.

    Raises:
        DataDirError: ``src_dir`` is not a data directory, or no chunk of any utterance qualifies.
    """
    if per_utterance < 1:
        raise ValueError(f"per_utterance must be >= 1, got {per_utterance}")
    data = read_data_dir(src_dir)
    min_active = len(data.sources) if min_active is None else min_active
    if not 1 <= min_active <= len(data.sources):
        raise ValueError(f"min_active must be in [1, {len(data.sources)}] (the sources), got {min_active}")
    out_dir = Path(out_dir)
    mixtures: dict[str, str] = {}
    sources: list[dict[str, str]] = [{} for _ in data.sources]
    lengths: dict[str, int] = {}
    for utt_id in data.utt_ids:
        mixture, rate = soundfile.read(data.mixtures[utt_id], dtype="float32", always_2d=True)
        stems = [soundfile.read(source[utt_id], dtype="float32", always_2d=True)[0] for source in data.sources]
        length = min(len(mixture), *(len(stem) for stem in stems))
        eligible = [
            start
            for start in chunk_starts(length, chunk)
            if sum(np.linalg.norm(stem[start : start + chunk]) / chunk >= activity_threshold for stem in stems)
            >= min_active
        ]
        for start in spread(eligible, per_utterance):
            chunk_id = f"{utt_id}-c{start // chunk}"
            folder = out_dir / "wav" / chunk_id
            folder.mkdir(parents=True, exist_ok=True)
            mixtures[chunk_id] = _write(folder / "mixture.wav", mixture[start : start + chunk], rate)
            for k, stem in enumerate(stems):
                sources[k][chunk_id] = _write(folder / f"spk{k + 1}.wav", stem[start : start + chunk], rate)
            lengths[chunk_id] = chunk
    if not mixtures:
        raise DataDirError(
            f"{src_dir}: no chunk of {chunk} samples has {min_active} of its {len(data.sources)} sources active"
        )
    write_data_dir(out_dir, mixtures, sources, lengths)
    return sorted(mixtures)


def _write(path: Path, audio: np.ndarray, rate: int) -> str:
    with atomic_path(path) as temporary:
        soundfile.write(temporary, audio, rate, subtype="FLOAT", format="WAV")
    return str(path.resolve())
