import math

import torch

from mgdm_audio.metrics import sliced_wasserstein


def test_identical_sets_are_at_zero_distance(generator):
    x = torch.randn(500, 4, generator=generator)
    assert sliced_wasserstein(x, x.clone(), generator=generator) == 0.0


def test_a_shift_gives_its_closed_form(generator):
    """SW₂(N(0, I), N(m, I))² = E_θ (θᵀm)² = |m|² / d."""
    dim, shift = 5, torch.tensor([3.0, 0.0, 0.0, 4.0, 0.0])
    x = torch.randn(200, dim, generator=generator, dtype=torch.float64)
    y = x + shift  # the same points shifted: each projection's W₂ is exactly |θᵀm|
    value = sliced_wasserstein(x, y, num_projections=20000, generator=generator)
    assert abs(value - 5.0 / math.sqrt(dim)) < 0.05


def test_unequal_sample_sizes(generator):
    x = torch.randn(4000, 3, generator=generator, dtype=torch.float64)
    y = torch.randn(1000, 3, generator=generator, dtype=torch.float64)
    assert sliced_wasserstein(x, y, generator=generator) < 0.15
