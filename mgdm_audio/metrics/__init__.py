"""Metrics: distances between sample sets (core), source-separation scores (audio), image quality (image)."""

from .._lazy import lazy_attributes
from ..core.metrics import sliced_wasserstein

__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {
        **{
            name: f"mgdm_audio.audio.metrics:{name}"
            for name in ("msdm_chunks", "museval_sdr", "si_snr", "windowed_si_sdri")
        },
        **{name: f"mgdm_audio.image.metrics:{name}" for name in ("psnr", "ssim", "lpips", "lpips_available")},
        "image": "mgdm_audio.image.metrics",
    },
)

__all__ = [
    "msdm_chunks",
    "museval_sdr",
    "si_snr",
    "sliced_wasserstein",
    "windowed_si_sdri",
    "image",
    "psnr",
    "ssim",
    "lpips",
    "lpips_available",
]
