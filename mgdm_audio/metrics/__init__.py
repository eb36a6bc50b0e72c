"""Metrics: distances between sample sets, source-separation scores, image quality."""
from . import image
from .distributions import sliced_wasserstein
from .image import lpips, lpips_available, psnr, ssim
from .separation import msdm_chunks, museval_sdr, si_snr, windowed_si_sdri

__all__ = ["msdm_chunks", "museval_sdr", "si_snr", "sliced_wasserstein", "windowed_si_sdri", "image", "psnr", "ssim",
           "lpips", "lpips_available"]
