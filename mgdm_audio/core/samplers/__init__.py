"""The generic posterior samplers over the prior / operator / likelihood contracts, their registry and presets."""

from __future__ import annotations

from typing import Any

from ..plugins import load_plugins
from ..registry import register
from .base import DenoiserCalls, Sampler, SamplingResult, load_preset, preset_names, register_presets
from .daps import DAPS, DAPSSettings
from .ddnm import DDNM, DDNMSettings
from .diffpir import DiffPIR, DiffPIRSettings
from .dps import DPS, DPSSettings
from .mgdm import MGDM, MGDMSettings
from .pigdm import PiGDM, PiGDMSettings
from .pnpdm import PnPDM, PnPDMSettings
from .reddiff import REDDiff, REDDiffSettings

#: Sampler name → class: the generic ones here, and those plug-ins add with :func:`register_sampler`.
SAMPLERS: dict[str, type[Sampler]] = {cls.name: cls for cls in (MGDM, DPS, DiffPIR, PiGDM, DDNM, REDDiff, DAPS, PnPDM)}


def register_sampler(cls: type[Sampler]) -> type[Sampler]:
    """Class decorator: makes a plug-in's sampler available by its ``name`` to :func:`make_sampler`."""
    register(SAMPLERS, cls.name, cls, "sampler")
    return cls


def sampler_names() -> list[str]:
    """Every sampler's name, the plug-ins' included."""
    load_plugins()
    return list(SAMPLERS)


def sampler_class(name: str) -> type[Sampler]:
    """The class of sampler ``name``; ValueError lists the available ones."""
    if name not in SAMPLERS:
        load_plugins()  # perhaps a plug-in's
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; available: {', '.join(SAMPLERS)}")
    return SAMPLERS[name]


def make_sampler(name: str, preset: str, **overrides: Any) -> Sampler:
    """The sampler ``name`` with settings from ``preset``, each overridable by keyword."""
    return sampler_class(name).from_preset(preset, **overrides)


__all__ = [
    "SAMPLERS",
    "make_sampler",
    "register_sampler",
    "sampler_class",
    "sampler_names",
    "Sampler",
    "SamplingResult",
    "DenoiserCalls",
    "MGDM",
    "MGDMSettings",
    "DPS",
    "DPSSettings",
    "DiffPIR",
    "DiffPIRSettings",
    "PiGDM",
    "PiGDMSettings",
    "DDNM",
    "DDNMSettings",
    "REDDiff",
    "REDDiffSettings",
    "DAPS",
    "DAPSSettings",
    "PnPDM",
    "PnPDMSettings",
    "load_preset",
    "preset_names",
    "register_presets",
]
