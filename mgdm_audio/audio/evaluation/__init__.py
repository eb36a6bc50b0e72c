"""Evaluation of separations: score a folder of estimated stems against a Kaldi data dir."""

from .score import DEFAULT_STEMS, ScoreResult, score_separation
from .summary import StemSummary
from .tracks import ScoringError

__all__ = ["DEFAULT_STEMS", "ScoreResult", "ScoringError", "StemSummary", "score_separation"]
