"""Domain plug-ins: packages that register prior types, prior layouts, named priors, networks, samplers and
presets with the core when imported.

A plug-in is any installed package named in the ``mgdm_audio.plugins`` entry-point group of its distribution's
metadata (this project's own ``audio`` and ``image`` are declared in ``setup.py``); importing it registers its
pieces with the core's ``register_*`` functions. The core never imports a plug-in at import time; it imports them
all (once) only when asked for something no registered piece answers: an unknown prior type, sampler, preset or
network class. A third-party domain needs no change here: it declares its package in the same group.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

#: The entry-point group that names plug-in packages.
GROUP = "mgdm_audio.plugins"


def plugin_modules() -> list[str]:
    """The module names of every installed plug-in, sorted by entry-point name."""
    return [point.value for point in sorted(entry_points(group=GROUP), key=lambda point: point.name)]


def load_plugins() -> None:
    """Imports every installed plug-in (a no-op once they are imported)."""
    for name in plugin_modules():
        importlib.import_module(name)
