"""Segment plans and the linear cross-fade overlap-add (pure functions)."""

from __future__ import annotations

import numpy as np
import pytest

from mgdm_audio.audio.separation.segments import fade_weights, overlap_add, plan_segments

CASES = [
    (1000, 128, 0.25),
    (1000, 128, 0.0),
    (1000, 128, 0.5),
    (100, 128, 0.25),
    (128, 128, 0.25),
    (129, 128, 0.25),
    (977, 100, 0.3),
]


@pytest.mark.parametrize("total, length, overlap", CASES)
def test_plan_covers_the_signal_with_at_most_two_segments_per_sample(total, length, overlap):
    segments = plan_segments(total, length, overlap)
    assert segments[0].start == 0 and segments[-1].stop == total
    coverage = np.zeros(total, dtype=int)
    for previous, segment in zip(segments, segments[1:]):
        assert segment.start == previous.stop - previous.fade_out and segment.fade_in == previous.fade_out
    for segment in segments:
        assert segment.length <= length and segment.fade_in + segment.fade_out <= segment.length
        coverage[segment.start : segment.stop] += 1
    assert coverage.min() == 1 and coverage.max() <= 2


@pytest.mark.parametrize("total, length, overlap", CASES)
def test_cross_fade_weights_sum_to_one(total, length, overlap):
    weights = np.zeros(total)
    for segment in plan_segments(total, length, overlap):
        weights[segment.start : segment.stop] += fade_weights(segment)
    np.testing.assert_allclose(weights, 1.0, rtol=0, atol=1e-15)


@pytest.mark.parametrize("total, length, overlap", CASES)
def test_overlap_add_of_identity_separation_reconstructs_the_signal(total, length, overlap):
    signal = np.random.default_rng(0).standard_normal((2, 3, total))  # e.g. [stems, channels, samples]
    pieces = ((segment, signal[..., segment.start : segment.stop]) for segment in plan_segments(total, length, overlap))
    joined = np.concatenate(list(overlap_add(pieces)), axis=-1)
    assert joined.shape == signal.shape
    np.testing.assert_allclose(joined, signal, rtol=0, atol=1e-12)


def test_overlap_beyond_half_and_wrong_lengths_are_refused():
    with pytest.raises(ValueError, match=r"overlap must be in \[0, 0.5\]"):
        plan_segments(100, 10, 0.6)
    segment = plan_segments(100, 10, 0.2)[0]
    with pytest.raises(ValueError, match="segment 0 has 3 samples, expected 10"):
        list(overlap_add([(segment, np.zeros(3))]))


def test_the_incoming_segment_fades_in_and_the_outgoing_one_fades_out():
    """Joining a segment of ones to a segment of twos over a shared stretch: the result rises from 1 to 2 along the
    incoming ramp (k + ½) / size, as worked out by hand, and is 1 before and 2 after."""
    segments = plan_segments(20, 12, 1 / 3)  # shared: 4 samples, [8, 12)
    first, second = segments
    assert (first.fade_out, second.fade_in, second.start) == (4, 4, 8)
    joined = np.concatenate(list(overlap_add([(first, np.ones(first.length)), (second, np.full(second.length, 2.0))])))
    ramp = (np.arange(4) + 0.5) / 4
    np.testing.assert_allclose(joined, np.r_[np.ones(8), 1 + ramp, np.full(8, 2.0)])
    assert np.all(np.diff(fade_weights(second)[:4]) > 0) and np.all(np.diff(fade_weights(first)[-4:]) < 0)
