"""MUSDB18-HQ as a 4-stem Kaldi data directory for a prior over vocals, drums, bass and other.

Reads ``<root>/<split>/<track>/{vocals,drums,bass,other}.wav`` (MUSDB18-HQ: 44.1 kHz stereo WAV
stems per track folder); writes every stem down-mixed to mono and resampled to the prior's rate,
and the mixture as the sum of the four (so the mixture is exactly what the stems add up to;
MUSDB's own ``mixture.wav`` differs from that sum by rounding only), under ``<audio_dir>/<utt>/``.
``spk1.scp … spk4.scp`` follow the prior's stem order, which must name MUSDB's four stems. Utterance
ids are the track names with whitespace replaced by ``_``. Rerunning skips tracks already written.

MUSDB18 (not HQ) ships ``<track>.stem.mp4`` files: they are refused with a message pointing to
MUSDB18-HQ or to ``musdbconvert`` (from the ``musdb`` package, installed with museval), which
writes the HQ layout from them.

Command line::

    mgdm prepare-musdb ROOT DATA_DIR --audio-dir DIR --prior PRIOR_DIR [--split test]
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import soundfile

from mgdm_audio.core.pretrained import CONFIG_FILE

from .kaldi import write_data_dir
from .slakh import CorpusError, pad_to, read_mono
from .synth4.wav import write_wav

#: MUSDB18's stems.
STEMS = ("vocals", "drums", "bass", "other")
MIXTURE = "mixture"


def prior_stems(prior_dir: str | os.PathLike) -> tuple[tuple[str, ...], int]:
    """(stem names in channel order, sample rate) of a prior directory; CorpusError unless they are MUSDB's stems."""
    path = Path(prior_dir) / CONFIG_FILE
    try:
        prior = json.loads(path.read_text(encoding="utf-8"))["prior"]
        stems, rate = tuple(prior["stems"]), int(prior["sample_rate"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CorpusError(f"{path}: not a prior config with stems and sample_rate ({error!r})") from None
    if sorted(stems) != sorted(STEMS):
        raise CorpusError(
            f"{path}: the prior's stems ({', '.join(stems)}) are not MUSDB18's ({', '.join(STEMS)}); "
            "this recipe needs a prior over those four"
        )
    return stems, rate


def track_dirs(root: str | os.PathLike, split: str) -> list[Path]:
    """The track folders of ``<root>/<split>``, sorted; CorpusError for a missing root or the .stem.mp4 variant."""
    folder = Path(root) / split
    if not Path(root).is_dir():
        raise CorpusError(f"{root}: MUSDB18-HQ root not found (set it in db.sh)")
    if not folder.is_dir():
        raise CorpusError(f"{folder}: no '{split}' split under the MUSDB18-HQ root")
    if any(folder.glob("*.stem.mp4")):
        raise CorpusError(
            f"{folder}: holds MUSDB18 .stem.mp4 files; use MUSDB18-HQ, or convert them with "
            f"`musdbconvert {root} <out>` (pip package musdb) and point db.sh at <out>"
        )
    tracks = sorted(path for path in folder.iterdir() if path.is_dir())
    if not tracks:
        raise CorpusError(f"{folder}: no track folders")
    return tracks


def utterance_id(track: Path) -> str:
    """The track's name with whitespace replaced by ``_`` (list files separate id and path by whitespace)."""
    return re.sub(r"\s+", "_", track.name.strip())


def prepare(
    root: str | os.PathLike,
    data_dir: str | os.PathLike,
    audio_dir: str | os.PathLike,
    stems: Sequence[str] = STEMS,
    sample_rate: int = 22050,
    split: str = "test",
    max_tracks: int = 0,
) -> list[str]:
    """Write the data directory of ``<root>/<split>`` with spk1.scp … in ``stems`` order; returns the utterance ids."""
    mixtures: dict[str, str] = {}
    sources: list[dict[str, str]] = [{} for _ in stems]
    lengths: dict[str, int] = {}
    for track in track_dirs(root, split)[: max_tracks or None]:
        utt_id = utterance_id(track)
        if utt_id in mixtures:
            raise CorpusError(f"{track}: id {utt_id!r} already used by another track folder")
        folder = Path(audio_dir) / utt_id
        outputs = [folder / f"{name}.wav" for name in (MIXTURE, *stems)]
        if not all(path.is_file() for path in outputs):
            missing = [f"{stem}.wav" for stem in stems if not (track / f"{stem}.wav").is_file()]
            if missing:
                raise CorpusError(f"{track}: incomplete MUSDB18-HQ track, missing {', '.join(missing)}")
            signals = [read_mono(track / f"{stem}.wav", sample_rate) for stem in stems]
            signals = pad_to(signals, max(map(len, signals)))
            folder.mkdir(parents=True, exist_ok=True)
            for signal, path in zip([np.sum(signals, axis=0), *signals], outputs):
                write_wav(str(path), signal, sample_rate, "FLOAT")
        mixtures[utt_id] = str(outputs[0].resolve())
        for mapping, path in zip(sources, outputs[1:]):
            mapping[utt_id] = str(path.resolve())
        lengths[utt_id] = soundfile.info(outputs[0]).frames
    write_data_dir(data_dir, mixtures, sources, lengths)
    return sorted(mixtures)
