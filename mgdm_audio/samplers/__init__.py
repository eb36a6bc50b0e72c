"""Posterior samplers over the prior / operator / likelihood contracts, and their presets."""
from __future__ import annotations

from typing import Any

from .base import DenoiserCalls, Sampler, SamplingResult, load_preset, preset_names
from .daps import DAPS, DAPSSettings
from .ddnm import DDNM, DDNMSettings
from .diffpir import DiffPIR, DiffPIRSettings
from .dirac import Dirac, DiracSettings
from .dps import DPS, DPSSettings
from .mgdm import MGDM, MGDMSettings
from .pigdm import PiGDM, PiGDMSettings
from .pnpdm import PnPDM, PnPDMSettings
from .reddiff import REDDiff, REDDiffSettings

SAMPLERS: dict[str, type[Sampler]] = {cls.name: cls for cls in (MGDM, DPS, Dirac, DiffPIR, PiGDM, DDNM, REDDiff,
                                                                 DAPS, PnPDM)}


def make_sampler(name: str, preset: str, **overrides: Any) -> Sampler:
    """The sampler ``name`` with settings from ``preset``, each overridable by keyword."""
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; available: {', '.join(SAMPLERS)}")
    return SAMPLERS[name](preset, **overrides)


__all__ = ["SAMPLERS", "make_sampler", "Sampler", "SamplingResult", "DenoiserCalls", "MGDM", "MGDMSettings",
           "DPS", "DPSSettings", "DiffPIR", "DiffPIRSettings", "PiGDM", "PiGDMSettings", "DDNM", "DDNMSettings",
           "REDDiff", "REDDiffSettings", "DAPS", "DAPSSettings", "PnPDM", "PnPDMSettings", "load_preset",
           "preset_names"]
