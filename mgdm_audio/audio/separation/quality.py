"""Quality presets of ``mgdm separate``: the settings a user gets with no options, and the others one option away.

Each preset names a sampler, where it starts and its budget; explicit options override single values. The
costs are real-time factors (seconds of computing per second of audio) measured with the embedded prior and
separator on one thread of a 2-core CPU (docs: benchmarks/results/separation.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Quality:
    """sampler: a sampler name, or "none" (the separator's estimate as it is). init / start_sigma: see
    :class:`.separator.SeparationSettings`. overrides: settings of the sampler's "audio" preset. num_samples:
    draws averaged. cost: what it costs, in words."""

    sampler: str
    init: str
    start_sigma: float | None
    overrides: dict[str, Any] = field(default_factory=dict)
    num_samples: int = 1
    cost: str = ""


QUALITIES = {
    "fast": Quality("none", "separator", None, cost="the separator alone: about 0.2× real time"),
    "default": Quality("mgdm", "separator", 0.05, {"steps": 8, "gibbs_reps": 1, "grad_steps": 3, "denoising_steps": 5},
                       cost="MGDM refining the separator's estimate from σ = 0.05 (K = 8, R = 1, 3 Adam steps, "
                            "5-point x̂0 chains): about 3× real time"),
    "paper": Quality("mgdm", "none", None, cost="MGDM from noise with the published settings (R = 6): about 160× "
                                                "real time"),
}
DEFAULT_QUALITY = "default"
