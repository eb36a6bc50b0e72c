"""Name → class tables that plug-ins add to (networks, prior types, samplers)."""

from __future__ import annotations

from typing import Any


def register(table: dict[str, Any], name: str, value: Any, kind: str) -> None:
    """``table[name] = value``; ValueError when ``name`` already stands for another ``kind``."""
    existing = table.get(name)
    if existing is not None and existing is not value:
        raise ValueError(f"a different {kind} is already registered as {name!r}")
    table[name] = value
