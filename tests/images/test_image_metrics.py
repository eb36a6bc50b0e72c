"""PSNR and SSIM against closed forms and scikit-image; LPIPS values only with its weights present, its input
mapping and output shape with a stand-in network."""

import math

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from mgdm_audio.image import metrics


def test_psnr_of_a_known_error():
    x = torch.full((2, 3, 16, 16), 0.5, dtype=torch.float64)
    signs = torch.randint(0, 2, x.shape, generator=torch.Generator().manual_seed(0)).double() * 2 - 1
    noisy = x + 0.1 * signs  # MSE exactly 0.01
    assert torch.allclose(metrics.psnr(x, noisy), torch.full((2,), 20.0, dtype=torch.float64))
    assert torch.allclose(metrics.psnr(2 * x, 2 * noisy, data_range=2.0), torch.full((2,), 20.0, dtype=torch.float64))
    assert math.isinf(float(metrics.psnr(x, x)[0]))


def test_ssim_closed_forms(generator):
    x = torch.rand(2, 3, 24, 20, generator=generator, dtype=torch.float64)
    assert torch.allclose(metrics.ssim(x, x), torch.ones(2, dtype=torch.float64))
    # Two constant images: no variance, so SSIM is the luminance term (2ab + C1) / (a² + b² + C1).
    a, b, c1 = 0.3, 0.7, 0.01**2
    ssim = metrics.ssim(torch.full((1, 1, 16, 16), a), torch.full((1, 1, 16, 16), b))
    assert float(ssim) == pytest.approx((2 * a * b + c1) / (a * a + b * b + c1), rel=1e-5)


def test_ssim_matches_scikit_image(generator):
    x = torch.rand(1, 3, 40, 32, generator=generator, dtype=torch.float64)
    y = (x + 0.1 * torch.randn(x.shape, generator=generator, dtype=torch.float64)).clamp(0, 1)
    reference = structural_similarity(
        x[0].permute(1, 2, 0).numpy(),
        y[0].permute(1, 2, 0).numpy(),
        channel_axis=2,
        data_range=1.0,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
    )
    assert float(metrics.ssim(x, y)) == pytest.approx(reference, abs=1e-10)
    # On [-1, 1] (data range 2) the constants C1 = (k1 · 2)², C2 = (k2 · 2)² follow the range.
    x2, y2 = 2 * x - 1, 2 * y - 1
    reference = structural_similarity(
        x2[0].permute(1, 2, 0).numpy(),
        y2[0].permute(1, 2, 0).numpy(),
        channel_axis=2,
        data_range=2.0,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
    )
    assert float(metrics.ssim(x2, y2, data_range=2.0)) == pytest.approx(reference, abs=1e-10)
    with pytest.raises(ValueError, match="at least 11×11"):
        metrics.ssim(x[..., :10], y[..., :10])


def test_lpips_needs_its_weights(generator):
    x = torch.rand(1, 3, 32, 32, generator=generator)
    if metrics.lpips_available("alex"):
        assert float(metrics.lpips(x, x)) == pytest.approx(0.0, abs=1e-6)
        assert float(metrics.lpips(x, 1 - x)) > 0.1
    else:
        with pytest.raises(RuntimeError, match=r"LPIPS \(alex\) is unavailable offline: .+"):
            metrics.lpips(x, x)
    with pytest.raises(ValueError, match="unknown LPIPS backbone 'squeeze'"):
        metrics.lpips_available("squeeze")
    assert isinstance(np.bool_(metrics.lpips_available("vgg")).item(), bool)


class _InnerProduct(torch.nn.Module):
    """Stands in for the LPIPS network (whose ImageNet weights this test cannot download): per image, the mean of
    a · b over its inputs, [B, 1, 1, 1] like LPIPS. Not translation invariant, so it shows which range it is fed."""

    def forward(self, a, b):
        return (a * b).mean(dim=(1, 2, 3), keepdim=True)


def test_lpips_feeds_the_network_images_in_minus_one_one_and_returns_one_value_per_image(monkeypatch, generator):
    """What this package adds around the LPIPS network: [0, 1] images mapped to [−1, 1] (2x − 1), one distance per
    image, the input's dtype. The network's own values need its weights (the test above, where present)."""
    monkeypatch.setattr(metrics, "_missing_for_lpips", lambda net: None)
    monkeypatch.setattr(metrics, "_lpips_model", lambda net: _InnerProduct())
    x = torch.rand(3, 3, 8, 8, generator=generator, dtype=torch.float64)
    y = torch.rand(3, 3, 8, 8, generator=generator, dtype=torch.float64)
    value = metrics.lpips(x, y)
    assert value.shape == (3,) and value.dtype == torch.float64
    assert torch.allclose(value, ((2 * x - 1) * (2 * y - 1)).mean(dim=(1, 2, 3)), atol=1e-6)
