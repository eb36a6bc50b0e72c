"""Comparing the settings a run record or resume key holds with the settings of a new run."""

from __future__ import annotations

import json
from typing import Any


def same_settings(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Equal after a JSON round trip (tuples read back as lists, numbers as JSON numbers)."""
    return json.loads(json.dumps(first)) == json.loads(json.dumps(second))
