"""Discriminative separators (mixture → stems in one pass): a baseline and a sampler's initial estimate."""

from .loading import NAMED_SEPARATORS, load, save_separator
from .model import MixtureSeparator

__all__ = ["MixtureSeparator", "NAMED_SEPARATORS", "load", "save_separator"]
