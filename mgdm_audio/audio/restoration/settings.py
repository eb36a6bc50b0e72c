"""What an audio restoration does: the task, its level, and how the stems are drawn (the default and each option).

The sampling settings are separation's (:class:`..separation.settings.SeparationSettings`) with what restoration
fixes: no projection onto the mixture (the observation is not the mixture), the prior's rate kept (the degradation
is simulated and inverted there), every stem refined.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..operators.tasks import BLACK_BOX, TASKS
from ..separation.settings import SeparationSettings
from ..separators.loading import resolve as resolve_separator

#: The default: MGDM refining, from noise level ``start_sigma``, the classical restoration split into stems by the
#: separator, with separation's default budget per step (K = 8, R = 1, 3 Adam steps, 5-point x̂0 chains) and one
#: draw. σ = 0.02 was chosen on three synth4 validation excerpts against 0.1 and 0.2: the farther MGDM starts from
#: the classical restoration, the lower the SDR of gaps, clipping and bandwidth extension
#: (benchmarks/results/audio_restoration.md).
DEFAULTS: dict[str, Any] = {
    "sampler": "mgdm",
    "init": "separator",
    "start_sigma": 0.02,
    "overrides": {"steps": 8, "gibbs_reps": 1, "grad_steps": 3, "denoising_steps": 5},
    "num_samples": 1,
    "sigma_y": 1e-3,
}


@dataclass(frozen=True)
class RestorationSettings:
    """task / level: see :data:`..operators.tasks.TASKS` (level in the task's unit). sampling: how the stems of
    each segment are drawn. consistent: make each draw consistent with the observation (see
    :class:`.sampling.RestorationSampler`). Building one checks every rule; a bad value raises ValueError naming it."""

    task: str
    level: float
    sampling: SeparationSettings
    consistent: bool = True

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"unknown audio task {self.task!r}; expected one of {', '.join(TASKS)}")
        if self.sampling.project or not self.sampling.keep_model_rate or self.sampling.refine is not None:
            raise ValueError("restoration neither projects onto the observation nor leaves the prior's rate")

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.task, "level": self.level, "consistent": self.consistent, **self.sampling.as_dict()}


def build_restoration_settings(
    task: str,
    level: float | None = None,
    separator: str | os.PathLike = "default",
    overrides: dict[str, Any] | None = None,
    consistent: bool = True,
    **options: Any,
) -> RestorationSettings:
    """The default settings (:data:`DEFAULTS`) of ``task`` at ``level`` (None: the task's default level) with
    single values replaced.

    Args:
        separator: its name or directory (init "separator"). overrides: sampler settings, over the default's when
            the sampler is the default's.
        **options: the other fields of :class:`..separation.settings.SeparationSettings` (sampler, init,
            start_sigma, num_samples, sigma_y, seed, segment_seconds, overlap, channels, format, clip, …).
    """
    if task not in TASKS:
        raise ValueError(f"unknown audio task {task!r}; expected one of {', '.join(TASKS)}")
    values = {**DEFAULTS, **{name: value for name, value in options.items() if value is not None}}
    same_sampler = values["sampler"] == DEFAULTS["sampler"]
    values["overrides"] = {**(DEFAULTS["overrides"] if same_sampler else {}), **(overrides or {})}
    if task in BLACK_BOX and values["sampler"] == "mgdm":
        # The published update (variational) differentiates the operator; "auto" takes pCN on a black box.
        values["overrides"].setdefault("intermediate_update", "auto")
    if values["init"] != "separator":
        values["start_sigma"] = options.get("start_sigma")
    values["separator"] = str(resolve_separator(separator).resolve()) if values["init"] == "separator" else None
    sampling = SeparationSettings(project=False, keep_model_rate=True, **values)
    return RestorationSettings(task, float(TASKS[task][3] if level is None else level), sampling, consistent)
