"""Block reads with resampling context match resampling the whole signal."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from mgdm_audio.audio.separation.audio_io import alignment, read_block, resample, resampled_length, resampling_context


@pytest.mark.parametrize("from_rate, to_rate", [(44100, 8000), (16000, 22050), (22050, 22050)])
def test_blocks_read_with_context_resample_like_the_whole_signal(tmp_path, from_rate, to_rate):
    frames = 3000
    audio = np.random.default_rng(1).uniform(-0.5, 0.5, frames).astype(np.float32)
    path = tmp_path / "x.wav"
    soundfile.write(path, audio, from_rate, subtype="FLOAT")
    whole = resample(audio[None], from_rate, to_rate)
    assert whole.shape[-1] == resampled_length(frames, from_rate, to_rate)
    context, step = resampling_context(from_rate, to_rate), alignment(from_rate, to_rate)
    first, last = whole.shape[-1] // 3, 2 * whole.shape[-1] // 3  # a block in output samples
    start = (first * from_rate // to_rate - context) // step * step
    stop = -(-last * from_rate // to_rate) + context
    with soundfile.SoundFile(path) as handle:
        block = resample(read_block(handle, start, stop), from_rate, to_rate)
    offset = first - start * to_rate // from_rate
    np.testing.assert_allclose(block[:, offset : offset + last - first], whole[:, first:last], atol=1e-5)


def test_read_block_pads_outside_the_file(tmp_path):
    path = tmp_path / "s.wav"
    soundfile.write(path, np.ones((4, 2), dtype=np.float32), 8000, subtype="FLOAT")
    with soundfile.SoundFile(path) as handle:
        block = read_block(handle, -2, 6)
    assert block.shape == (2, 8)
    np.testing.assert_array_equal(block[0], [0, 0, 1, 1, 1, 1, 0, 0])
