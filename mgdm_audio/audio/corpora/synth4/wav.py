"""Byte-for-byte reproducible, atomic mono WAV writing."""

from __future__ import annotations

import numpy as np
import soundfile

from mgdm_audio.common.atomic import atomic_path

# libsndfile command (sndfile.h) that turns the PEAK chunk of float files on or off.
_SFC_SET_ADD_PEAK_CHUNK = 0x1050


def write_wav(path: str, signal: np.ndarray, sample_rate: int, subtype: str) -> None:
    """Write ``signal`` (shape (num_samples,)) as a mono WAV file of libsndfile ``subtype``
    ("FLOAT" or "PCM_16"), via a temporary file renamed into place.

    libsndfile adds a PEAK chunk holding the write time to float files, which would make
    two renders of the same track differ; it is switched off through libsndfile's command
    interface (reached through soundfile's private handles, the only way it offers).
    """
    with atomic_path(path) as temporary:
        with soundfile.SoundFile(temporary, "w", sample_rate, 1, subtype=subtype, format="WAV") as handle:
            soundfile._snd.sf_command(handle._file, _SFC_SET_ADD_PEAK_CHUNK, soundfile._ffi.NULL, 0)
            handle.write(signal)
