"""Lazy attributes of the public face (PEP 562): a domain's names import their plug-in on first use, so
``import mgdm_audio`` loads the core alone."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_attributes(
    module: str, namespace: dict[str, Any], table: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """(``__getattr__``, ``__dir__``) for module ``module`` whose globals are ``namespace``: ``table`` maps a name to
    ``"package.module:attribute"``, or to ``"package.module"`` for a whole module; a value is cached once loaded."""

    def __getattr__(name: str) -> Any:
        if name not in table:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        path, _, attribute = table[name].partition(":")
        value = importlib.import_module(path)
        if attribute:
            value = getattr(value, attribute)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *table})

    return __getattr__, __dir__
