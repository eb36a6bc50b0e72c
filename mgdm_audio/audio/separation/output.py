"""Writing stems incrementally and finishing them in the requested format and clipping policy.

Stems are first appended, block by block, to 32-bit float WAV files in a work folder; :meth:`StemFiles.finish`
then moves or converts every one to a temporary file beside its final name and, only once all are written, renames
them onto their names (a reader never sees a partial stem; a failed write, e.g. a full disk, leaves the previous
stems as they were). libsndfile's write errors are raised as OSError.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np
import soundfile

from mgdm_audio.common.atomic import atomic_path

#: ``--format`` choices → libsndfile WAV subtypes.
FORMATS = {"int16": "PCM_16", "int24": "PCM_24", "float32": "FLOAT"}

#: ``--clip`` choices.
CLIP_MODES = ("rescale", "clamp", "none")

#: Samples per block while converting a finished float file.
CONVERT_BLOCK = 1 << 17


class StemFiles:
    """Float32 WAV files ``work/<name>.wav`` [samples, channels], appended in order; tracks each file's peak.

    Args:
        names: output file names without extension (e.g. ``bass``, ``bass_sample0``).
        work: folder for the float files (created). sample_rate: Hz. channels: per file.
    """

    def __init__(self, names: list[str], work: Path, sample_rate: int, channels: int):
        work.mkdir(parents=True, exist_ok=True)
        self.names = names
        self.paths = {name: work / f"{name}.wav" for name in names}
        self.handles: dict[str, soundfile.SoundFile] = {}
        with _as_os_error():
            for name in names:
                self.handles[name] = soundfile.SoundFile(self.paths[name], "w", sample_rate, channels, subtype="FLOAT")
        self.peaks = dict.fromkeys(names, 0.0)

    def append(self, blocks: np.ndarray) -> None:
        """Append ``blocks`` [len(names), channels, n] (one block per file, in ``names`` order)."""
        for name, block in zip(self.names, blocks):
            with _as_os_error():
                self.handles[name].write(block.T.astype(np.float32))
            if block.size:
                self.peaks[name] = max(self.peaks[name], float(np.abs(block).max()))

    def close(self) -> None:
        with _as_os_error():
            for handle in self.handles.values():
                handle.close()

    def finish(self, folder: Path, sample_format: str, clip: str) -> dict[str, dict[str, object]]:
        """Close, then write ``folder/<name>.wav`` in ``sample_format``, applying ``clip`` where a peak exceeds 1
        (see :func:`clip_action`; ``none`` keeps such samples: float32 only, integer formats cannot hold them).
        Returns per file its peak and the action taken."""
        self.close()
        actions = {}
        # Every temporary is renamed when the stack closes without error, and removed when any write failed.
        with ExitStack() as renames, _as_os_error():
            for name in self.names:
                temporary = renames.enter_context(atomic_path(folder / f"{name}.wav"))
                action, gain = clip_action(self.peaks[name], clip)
                clamped = 0
                if action == "none" and sample_format == "float32":
                    os.replace(self.paths[name], temporary)
                else:
                    clamped = _convert(self.paths[name], Path(temporary), FORMATS[sample_format], gain)
                actions[name] = describe_clipping(self.peaks[name], action, clamped)
        return actions


def clip_action(peak: float, clip: str) -> tuple[str, float]:
    """What ``clip`` does to an output whose largest |sample| is ``peak``: ("none", 1) when it fits in [−1, 1] or
    clip is "none"; ("rescale", 1 / peak): divide it by its peak; ("clamp", 1): limit its samples to [−1, 1]."""
    action = "none" if peak <= 1.0 or clip == "none" else clip
    return action, 1.0 / peak if action == "rescale" else 1.0


def limit(block: np.ndarray, gain: float) -> tuple[np.ndarray, int]:
    """``block`` (float64) times ``gain``, clamped to [−1, 1], and the number of samples clamped."""
    block = block * gain
    return np.clip(block, -1.0, 1.0), int((np.abs(block) > 1.0).sum())


def describe_clipping(peak: float, action: str, clamped: int) -> dict[str, object]:
    """The record's entry for one output: its peak and the action taken, in words."""
    if action == "clamp":
        action = f"clamped {clamped} samples"
    elif action == "rescale":
        action = f"rescaled by 1/{peak:.4f}"
    return {"peak": round(peak, 6), "action": action}


def clip_arrays(outputs: np.ndarray, names: list[str], clip: str) -> tuple[np.ndarray, dict[str, dict[str, object]]]:
    """Outputs held in memory, [len(names), channels, n] float64, as float32 under ``clip``: the values and
    actions :class:`StemFiles` would write to float32 files and read back."""
    values = outputs.astype(np.float32)  # what the work files hold
    actions = {}
    for index, name in enumerate(names):
        peak = float(np.abs(outputs[index]).max(initial=0.0))
        action, gain = clip_action(peak, clip)
        clamped = 0
        if action != "none":
            limited, clamped = limit(values[index].astype(np.float64), gain)
            values[index] = limited.astype(np.float32)
        actions[name] = describe_clipping(peak, action, clamped)
    return values, actions


def check_clip_policy(sample_format: str, clip: str) -> None:
    """Raises ValueError for a policy that would let an integer format wrap or clip silently."""
    if sample_format not in FORMATS or clip not in CLIP_MODES:
        raise ValueError(f"format must be one of {list(FORMATS)} and clip one of {list(CLIP_MODES)}")
    if clip == "none" and sample_format != "float32":
        raise ValueError(
            f"--format {sample_format} cannot hold samples beyond ±1: use --clip rescale or clamp (or --format float32)"
        )


@contextmanager
def _as_os_error() -> Iterator[None]:
    """libsndfile's errors (RuntimeErrors, e.g. a full disk) as OSError, so callers tell write failures apart."""
    try:
        yield
    except RuntimeError as error:
        raise OSError(" ".join(str(error).split())) from None


def _convert(source: Path, target: Path, subtype: str, gain: float) -> int:
    """Copy ``source`` to ``target`` in ``subtype`` times ``gain``, clamped to [−1, 1]; returns samples clamped."""
    clamped = 0
    with (
        soundfile.SoundFile(source) as reader,
        soundfile.SoundFile(target, "w", reader.samplerate, reader.channels, subtype=subtype) as writer,
    ):
        for block in reader.blocks(CONVERT_BLOCK, dtype="float64", always_2d=True):
            block, count = limit(block, gain)
            clamped += count
            writer.write(block)
    return clamped
