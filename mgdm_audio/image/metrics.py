"""Image quality metrics on batches [B, C, H, W] of images in [0, 1] (docs/method.md#image-priors-and-metrics).

PSNR and SSIM are computed here in torch. LPIPS needs the ``lpips`` package (which ships only its
linear heads) and torchvision's pretrained backbone weights, downloaded on first use; neither is
a dependency of this package, so :func:`lpips_available` says whether it can run offline and
:func:`lpips` raises a clear error when it cannot.
"""

from __future__ import annotations

import functools
import importlib.util
import os

import torch
import torch.nn.functional as F

#: torchvision's file names of the ImageNet backbones LPIPS builds on, in the torch hub cache.
LPIPS_BACKBONE_FILES = {"alex": "alexnet-owt-7be5be79.pth", "vgg": "vgg16-397923af.pth"}


def _check_pair(x: torch.Tensor, y: torch.Tensor) -> None:
    if x.shape != y.shape or x.ndim != 4:
        raise ValueError(
            f"need two batches of images [B, C, H, W] of one shape, got {tuple(x.shape)} and {tuple(y.shape)}"
        )


def psnr(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio 10 log10(range² / MSE) per image, in dB: [B] (inf for identical images)."""
    _check_pair(x, y)
    mse = (x - y).pow(2).flatten(1).mean(1)
    return 10 * torch.log10(data_range**2 / mse)


def gaussian_window(
    size: int = 11, sigma: float = 1.5, dtype: torch.dtype = torch.float64, device: torch.device | None = None
) -> torch.Tensor:
    """Normalised 2-D Gaussian window [size, size]."""
    offsets = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    profile = torch.exp(-0.5 * (offsets / sigma) ** 2)
    window = torch.outer(profile, profile)
    return window / window.sum()


def ssim(
    x: torch.Tensor,
    y: torch.Tensor,
    data_range: float = 1.0,
    window_size: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> torch.Tensor:
    """Structural similarity (Wang et al., 2004) per image: [B], 1 for identical images.

    As the authors' ``ssim.m``: local statistics under a ``window_size`` Gaussian window (σ ``sigma``
    pixels), population (co)variances, 'valid' filtering (no padding), C1 = (k1 L)², C2 = (k2 L)²
    with L = ``data_range``; the SSIM map is averaged over positions and then over channels.
    Images must be at least ``window_size`` pixels on each side. No automatic downsampling.
    Computed in float64 (the variances are differences of close moments) and returned in x's dtype.
    """
    _check_pair(x, y)
    dtype = x.dtype
    x, y = x.double(), y.double()
    if min(x.shape[-2:]) < window_size:
        raise ValueError(f"SSIM needs images of at least {window_size}×{window_size}, got {tuple(x.shape[-2:])}")
    channels = x.shape[1]
    window = gaussian_window(window_size, sigma, x.dtype, x.device).expand(channels, 1, window_size, window_size)

    def local_mean(image: torch.Tensor) -> torch.Tensor:
        return F.conv2d(image, window, groups=channels)

    mu_x, mu_y = local_mean(x), local_mean(y)
    var_x = local_mean(x * x) - mu_x**2
    var_y = local_mean(y * y) - mu_y**2
    cov = local_mean(x * y) - mu_x * mu_y
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    similarity = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return similarity.flatten(2).mean(2).mean(1).to(dtype)


def _missing_for_lpips(net: str) -> str | None:
    """Why LPIPS with backbone ``net`` cannot run offline, or None when it can."""
    if net not in LPIPS_BACKBONE_FILES:
        raise ValueError(f"unknown LPIPS backbone {net!r}; expected one of {', '.join(LPIPS_BACKBONE_FILES)}")
    for package in ("lpips", "torchvision"):
        if importlib.util.find_spec(package) is None:
            return f"the {package!r} package is not installed"
    weights = os.path.join(torch.hub.get_dir(), "checkpoints", LPIPS_BACKBONE_FILES[net])
    if not os.path.isfile(weights):
        return f"torchvision's {net} backbone weights are not in the cache ({weights})"
    return None


def lpips_available(net: str = "alex") -> bool:
    """Whether :func:`lpips` can run with backbone ``net`` ("alex" or "vgg") without downloading anything."""
    return _missing_for_lpips(net) is None


@functools.cache
def _lpips_model(net: str) -> torch.nn.Module:
    import lpips as lpips_package  # optional: checked by _missing_for_lpips

    return lpips_package.LPIPS(net=net, verbose=False).eval()


def lpips(x: torch.Tensor, y: torch.Tensor, net: str = "alex") -> torch.Tensor:
    """LPIPS distance (Zhang et al., 2018; v0.1 heads) per image: [B], 0 for identical images.

    RuntimeError, saying what is missing, unless :func:`lpips_available` (``pip install lpips`` and
    torchvision's ImageNet ``net`` weights in the torch hub cache).
    """
    _check_pair(x, y)
    missing = _missing_for_lpips(net)
    if missing is not None:
        raise RuntimeError(f"LPIPS ({net}) is unavailable offline: {missing}")
    model = _lpips_model(net).to(x.device)
    with torch.no_grad():  # LPIPS takes images in [−1, 1]
        return model(x.float() * 2 - 1, y.float() * 2 - 1).flatten().to(x.dtype)
