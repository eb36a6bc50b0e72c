"""What a separation does: the quality presets and :class:`SeparationSettings`, where every rule is checked.

A preset names a sampler, where it starts and its budget; explicit options replace single values
(:func:`build_settings`). The presets' costs are real-time factors (seconds of computing per second of audio)
measured with the embedded prior and separator on one thread of a 2-core CPU (benchmarks/results/separation.md).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from mgdm_audio.core.pretrained import read_section
from mgdm_audio.core.priors.loading import PRIOR_TYPES
from mgdm_audio.core.priors.loading import resolve as resolve_prior
from mgdm_audio.core.samplers import make_sampler

from ..separators.loading import SEPARATOR_TYPES
from ..separators.loading import resolve as resolve_separator
from .output import check_clip_policy

#: Where a sampler starts: from the discriminative separator's estimate, or from noise.
INITS = ("separator", "none")
#: How a multichannel mixture is separated: each channel on its own (each: channels times the cost); the channels'
#: mean once, each stem panned back into the channels (pan: the cost of mono); or down-mixed to mono stems (mono).
#: Measured in docs/audio.md, "Stereo and full band".
CHANNEL_MODES = ("each", "pan", "mono")


@dataclass(frozen=True)
class Quality:
    """sampler: a sampler name, or "none" (the separator's estimate as it is). init / start_sigma: see
    :class:`SeparationSettings`. overrides: settings of the sampler's "audio" preset. num_samples: draws averaged.
    cost: what it costs, in words. refine: see :class:`SeparationSettings`."""

    sampler: str
    init: str
    start_sigma: float | None
    overrides: dict[str, Any] = field(default_factory=dict)
    num_samples: int = 1
    cost: str = ""
    refine: tuple[str, ...] | None = None


QUALITIES = {
    "fast": Quality("none", "separator", None, cost="the separator alone: about 0.2× real time"),
    # Chosen on held-out sounds and works (benchmarks/results/varied4.md): the mean of two draws, MGDM's estimate
    # kept for bass and drums (a prior whose stems lack them refines all); the other settings as first chosen on
    # synth4 (benchmarks/results/separation.md).
    "default": Quality(
        "mgdm",
        "separator",
        0.05,
        {"steps": 8, "gibbs_reps": 1, "grad_steps": 3, "denoising_steps": 5},
        num_samples=2,
        cost="MGDM refining the separator's estimate from σ = 0.05 (K = 8, R = 1, 3 Adam steps, "
        "5-point x̂0 chains), the mean of 2 draws, kept for bass and drums: about 3.5× real time",
        refine=("bass", "drums"),
    ),
    "paper": Quality(
        "mgdm", "none", None, cost="MGDM from noise with the published settings (R = 6): about 160× real time"
    ),
}
DEFAULT_QUALITY = "default"


@dataclass(frozen=True)
class SeparationSettings:
    """Everything that determines a track's outputs (``--resume`` reuses results only when these are equal).
    Building one checks every rule; a bad value raises ValueError naming it.

    sampler / overrides: registry name and preset overrides (e.g. ``{"steps": 5}``), preset ``audio``; sampler
    "none" writes the initial estimate itself. init: "separator" (the discriminative separator's estimate, from
    which the sampler starts at noise level ``start_sigma``) or "none" (start from noise). separator: its
    directory (init "separator" only).
    sigma_y: likelihood std of the mixture (data units). seed: unit u (segment i, channel c: u = i · C + c)
    uses seed + u. num_samples: N draws per segment, averaged. batch_size: draws per ``ma.sample`` call
    (0: all N). segment_seconds: model segment length (None: the prior's). overlap: shared fraction of
    neighbouring segments, [0, 0.5]. project: make each segment's stems sum to its mixture, over the input's whole
    band (:mod:`.projection`). channels: one of :data:`CHANNEL_MODES`. keep_model_rate: write at the prior's rate.
    format / clip: see :mod:`.output`. save_samples: also write each draw. refine: the stems whose sampler draws are
    kept (None: all); the others keep the separator's estimate (init "separator", a sampler, only).
    """

    sampler: str = "mgdm"
    overrides: dict[str, Any] = field(default_factory=dict)
    init: str = "none"
    separator: str | None = None
    start_sigma: float | None = None
    sigma_y: float = 1e-4
    seed: int = 0
    num_samples: int = 1
    batch_size: int = 0
    segment_seconds: float | None = None
    overlap: float = 0.25
    project: bool = True
    channels: str = "each"
    keep_model_rate: bool = False
    format: str = "float32"
    clip: str = "rescale"
    save_samples: bool = False
    refine: tuple[str, ...] | None = None

    def __post_init__(self):
        if self.init not in INITS:
            raise ValueError(f"unknown init {self.init!r}; expected one of {INITS}")
        if self.sampler == "none":
            if self.init == "none":
                raise ValueError("sampler 'none' writes the separator's estimate: it needs init 'separator'")
            if self.num_samples != 1 or self.overrides:
                raise ValueError("sampler 'none' has no draws or sampler settings")
        else:
            make_sampler(self.sampler, "audio", **self.overrides)  # refuses invalid values now, not once per file
        warm = self.init == "separator" and self.sampler != "none"
        if self.start_sigma is not None and not warm:
            raise ValueError("start_sigma needs a sampler started from the separator (init 'separator')")
        if warm and not (self.start_sigma is not None and self.start_sigma > 0):
            raise ValueError(f"a sampler started from the separator needs start_sigma > 0, got {self.start_sigma}")
        if (self.separator is None) == (self.init == "separator"):
            raise ValueError("init 'separator' needs the separator's directory, and only it")
        if self.num_samples < 1 or self.batch_size < 0 or not self.sigma_y > 0:
            raise ValueError("need num_samples >= 1, batch_size >= 0 and sigma_y > 0")
        if self.segment_seconds is not None and not self.segment_seconds > 0:
            raise ValueError(f"segment_seconds must be > 0, got {self.segment_seconds}")
        if self.channels not in CHANNEL_MODES:
            raise ValueError(f"unknown channels {self.channels!r}; expected one of {CHANNEL_MODES}")
        if not 0.0 <= self.overlap <= 0.5:
            raise ValueError(f"overlap must be in [0, 0.5], got {self.overlap}")
        check_clip_policy(self.format, self.clip)
        if self.refine is not None:
            object.__setattr__(self, "refine", tuple(self.refine))
            if not warm:
                raise ValueError("refine (which stems the sampler refines) needs a sampler started from the separator")
            if not self.refine or len(set(self.refine)) != len(self.refine):
                raise ValueError(f"refine needs distinct stem names, got {list(self.refine)}")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def build_settings(
    quality: str,
    separator: str | os.PathLike = "default",
    sampler: str | None = None,
    init: str | None = None,
    start_sigma: float | None = None,
    num_samples: int | None = None,
    overrides: dict[str, Any] | None = None,
    refine: tuple[str, ...] | None = None,
    **options: Any,
) -> SeparationSettings:
    """The settings of preset ``quality`` with single values replaced.

    Args:
        quality: a name of :data:`QUALITIES`. separator: its name or directory (used with init "separator").
            sampler / init / start_sigma / num_samples: None keeps the preset's (the preset's start level and
            draws go with the preset's sampler and a warm start only).
        overrides: sampler settings given explicitly (e.g. ``{"steps": 5}``), over the preset's when the sampler
            is the preset's.
        refine: the stems the sampler refines (None: the preset's, for its own sampler started from the
            separator and a separator that has those stems; else all).
        **options: the other fields of :class:`SeparationSettings` (seed, sigma_y, segment_seconds, …).

    Raises:
        ValueError: an unknown preset, or (from :class:`SeparationSettings`) a value out of range or one that does
            not go with the others, named.
    """
    if quality not in QUALITIES:
        raise ValueError(f"unknown quality {quality!r}; expected one of {list(QUALITIES)}")
    preset = QUALITIES[quality]
    sampler = sampler or preset.sampler
    init = init or preset.init
    same_sampler = sampler == preset.sampler
    if start_sigma is None and init == "separator" and sampler != "none":
        start_sigma = preset.start_sigma
    if sampler != "none":
        overrides = {**(preset.overrides if same_sampler else {}), **(overrides or {})}
    separator_path = resolve_separator(separator).resolve() if init == "separator" else None
    if refine is None and same_sampler and init == "separator" and preset.refine is not None:
        stems = stems_and_rate(separator_path, "separator")
        refine = preset.refine if stems is not None and set(preset.refine) <= set(stems[0]) else None
    return SeparationSettings(
        sampler=sampler,
        overrides=overrides or {},
        init=init,
        start_sigma=start_sigma,
        num_samples=num_samples or (preset.num_samples if same_sampler else 1),
        separator=None if separator_path is None else str(separator_path),
        refine=refine,
        **options,
    )


def stems_and_rate(directory: str | os.PathLike, section: str) -> tuple[tuple[str, ...], int] | None:
    """A model directory's stems and rate from its config's ``section`` ("prior" or "separator"), or None when the
    config cannot be read."""
    types = PRIOR_TYPES if section == "prior" else SEPARATOR_TYPES
    try:
        _, config = read_section(directory, section, types)
    except (OSError, ValueError):
        return None
    return tuple(config.get("stems") or ()), config.get("sample_rate")


def choose_quality(quality: str | None, prior: str | os.PathLike, separator: str | os.PathLike) -> str:
    """``quality``, or when None the default preset if the separator suits the prior (same stems and rate, as the
    packaged pair, read from their configs), else ``"paper"`` (MGDM from noise needs no separator)."""
    if quality is not None:
        return quality
    pair = stems_and_rate(resolve_separator(separator), "separator")
    suits = pair is not None and pair == stems_and_rate(resolve_prior(prior), "prior")
    return DEFAULT_QUALITY if suits else "paper"
