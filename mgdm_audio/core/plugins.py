"""Domain plug-ins: packages that register prior types, prior layouts, named priors, networks, samplers and
presets with the core when imported.

The core never imports a domain at import time; it imports the packages of :data:`PLUGINS` (once) only when
asked for something no registered piece answers: an unknown prior type, sampler, preset or network class.
A new domain registers itself in its package's ``__init__`` and adds its package name here.
"""

from __future__ import annotations

import importlib

#: The domain packages, imported by :func:`load_plugins`.
PLUGINS = ("mgdm_audio.audio", "mgdm_audio.image")


def load_plugins() -> None:
    """Imports every package of :data:`PLUGINS` (a no-op once they are imported)."""
    for name in PLUGINS:
        importlib.import_module(name)
