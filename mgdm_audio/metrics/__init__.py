"""Metrics: distances between sample sets and source-separation scores."""
from .distributions import sliced_wasserstein
from .separation import msdm_chunks, museval_sdr, si_snr, windowed_si_sdri

__all__ = ["msdm_chunks", "museval_sdr", "si_snr", "sliced_wasserstein", "windowed_si_sdri"]
