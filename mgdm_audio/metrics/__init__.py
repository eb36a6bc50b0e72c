"""Metrics: distances between sample sets (and, later, signal metrics)."""
from .distributions import sliced_wasserstein

__all__ = ["sliced_wasserstein"]
