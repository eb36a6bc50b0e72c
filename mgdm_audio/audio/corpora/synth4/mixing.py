"""Stem levels, the mixture, and the guarantees the corpus gives about them.

Each stem is brought to a target loudness (RMS while it plays, in dB full scale) that varies
randomly from track to track; all stems get the same short fade-out at the cut end; if the
mixture or any stem would peak above :data:`PEAK_LIMIT`, every stem of the track is scaled
by one common factor. The mixture is the sum of the stems as stored: exactly for int16
files (the stems are quantised first, then summed), to float32 rounding for float files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

# Typical playing loudness per class, dBFS RMS, and the random spread around it (± dB); the
# mixture then peaks near -2 dBFS, so the anti-clipping scale is the exception.
STEM_LEVELS_DBFS = {"bass": -23.0, "drums": -22.0, "guitar": -25.0, "piano": -25.0}
LEVEL_SPREAD_DB = 3.0
PEAK_LIMIT = 0.95
FADE_OUT_SECONDS = 0.05
# Frames quieter than this (relative to the loudest frame) do not count as playing.
_ACTIVE_FLOOR_DB = -40.0
_FRAME_SECONDS = 0.05
WAV_SUBTYPES = {"float": "FLOAT", "int16": "PCM_16"}
_INT16_SCALE = 32768.0  # soundfile's int16 ↔ float convention


@dataclass(frozen=True)
class Mix:
    """Final stems and their sum, all shape (num_samples,), float32 or int16 (as written);
    ``gains_db`` applied to each rendered stem; ``peak_scale`` ≤ 1 the common anti-clipping
    factor (1 when none was needed)."""

    stems: dict[str, np.ndarray]
    mixture: np.ndarray
    gains_db: dict[str, float]
    peak_scale: float


def active_rms(signal: np.ndarray, sample_rate: int) -> float:
    """RMS over the 50 ms frames within 40 dB of the loudest frame (0 for silence)."""
    frame = max(1, int(_FRAME_SECONDS * sample_rate))
    usable = len(signal) // frame * frame
    if usable == 0:
        return float(np.sqrt(np.mean(np.square(signal, dtype=np.float64)))) if len(signal) else 0.0
    power = np.mean(np.square(signal[:usable], dtype=np.float64).reshape(-1, frame), axis=1)
    if power.max() <= 0.0:
        return 0.0
    active = power >= power.max() * 10.0 ** (_ACTIVE_FLOOR_DB / 10.0)
    return float(np.sqrt(power[active].mean()))


def _fade_out(signal: np.ndarray, sample_rate: int) -> np.ndarray:
    """Raised-cosine fade over the last 50 ms, so the cut end does not click."""
    length = min(len(signal), int(FADE_OUT_SECONDS * sample_rate))
    ramp = 0.5 * (1.0 + np.cos(np.linspace(0.0, np.pi, length)))
    faded = signal.astype(np.float64)
    faded[len(signal) - length :] *= ramp
    return faded


def mix_stems(
    rendered: Mapping[str, np.ndarray],
    sample_rate: int,
    rng: np.random.Generator,
    wav_format: str = "float",
    level_spread_db: float = LEVEL_SPREAD_DB,
) -> Mix:
    """Level, fade and sum rendered stems (equal-length 1-D arrays; keys of
    :data:`STEM_LEVELS_DBFS`); each stem's level is drawn within ± ``level_spread_db`` of its
    class's typical loudness; ``wav_format`` is a key of :data:`WAV_SUBTYPES`."""
    if wav_format not in WAV_SUBTYPES:
        raise ValueError(f"wav format must be one of {sorted(WAV_SUBTYPES)}, got {wav_format!r}")
    if len({len(signal) for signal in rendered.values()}) != 1:
        raise ValueError("rendered stems differ in length")
    stems, gains_db = {}, {}
    for name, signal in rendered.items():
        target_db = STEM_LEVELS_DBFS[name] + rng.uniform(-level_spread_db, level_spread_db)
        rms = active_rms(signal, sample_rate)
        gains_db[name] = float(target_db - 20.0 * np.log10(rms)) if rms > 0.0 else 0.0
        stems[name] = _fade_out(signal, sample_rate) * 10.0 ** (gains_db[name] / 20.0)
    mixture = np.sum(list(stems.values()), axis=0)
    peak = max(float(np.max(np.abs(signal), initial=0.0)) for signal in [mixture, *stems.values()])
    peak_scale = min(1.0, PEAK_LIMIT / peak) if peak > 0.0 else 1.0
    if wav_format == "int16":
        quantised = {
            name: np.round(signal * peak_scale * _INT16_SCALE).astype(np.int16) for name, signal in stems.items()
        }
        total = np.sum([signal.astype(np.int32) for signal in quantised.values()], axis=0)
        return Mix(quantised, total.astype(np.int16), gains_db, peak_scale)
    scaled = {name: (signal * peak_scale).astype(np.float32) for name, signal in stems.items()}
    total = np.sum([signal.astype(np.float64) for signal in scaled.values()], axis=0)
    return Mix(scaled, total.astype(np.float32), gains_db, peak_scale)


def silent_chunks(
    signal: np.ndarray, sample_rate: int, chunk_seconds: float = 1.5, threshold: float = 1e-4
) -> tuple[int, int]:
    """(silent, total) count of whole ``chunk_seconds`` chunks whose RMS (on the float scale
    ±1; int16 input is divided by 32768) is below ``threshold``."""
    scale = _INT16_SCALE if signal.dtype == np.int16 else 1.0
    chunk = int(round(chunk_seconds * sample_rate))
    count = len(signal) // chunk
    if count == 0:
        return 0, 0
    chunks = signal[: count * chunk].astype(np.float64).reshape(count, chunk) / scale
    rms = np.sqrt(np.mean(np.square(chunks), axis=1))
    return int(np.sum(rms < threshold)), count
