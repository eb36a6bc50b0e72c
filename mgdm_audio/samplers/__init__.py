"""Posterior samplers over the prior / operator / likelihood contracts, and their presets: the core's, and the
plug-ins' (MSDM's ``Dirac``) on first use."""

from .._lazy import lazy_attributes
from ..core.samplers import *  # noqa: F401,F403  (the public face re-exports the core's samplers)
from ..core.samplers import __all__ as _core_names

__getattr__, __dir__ = lazy_attributes(
    __name__,
    globals(),
    {
        "Dirac": "mgdm_audio.audio.dirac:Dirac",
        "DiracSettings": "mgdm_audio.audio.dirac:DiracSettings",
    },
)

__all__ = [*_core_names, "Dirac", "DiracSettings"]  # noqa: F405 (Dirac's names load lazily)
