"""Sampler setting overrides shared by ``mgdm separate`` and ``mgdm restore``: option → setting, parsing, checks."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping
from typing import Any

from mgdm_audio.core.samplers import sampler_class

#: Sampler options → the settings names they set (only on samplers that have that setting).
SAMPLER_FLAGS = {"steps": "--steps", "gibbs_reps": "--gibbs-reps", "grad_steps": "--grad-steps", "lr": "--lr"}


def setting_names(sampler: str) -> set[str]:
    """The settings sampler ``sampler`` has."""
    return {field.name for field in dataclasses.fields(sampler_class(sampler).Settings)}


def sampler_overrides(args: argparse.Namespace, flags: Mapping[str, str] = SAMPLER_FLAGS) -> dict[str, Any]:
    """The settings of ``args.sampler`` that the options in ``flags`` (setting → option) set; numbers given as
    text become numbers. ValueError names an option given for a sampler without that setting."""
    names = setting_names(args.sampler)
    overrides: dict[str, Any] = {}
    for name, flag in flags.items():
        value = getattr(args, name)
        if value is None:
            continue
        if name not in names:
            raise ValueError(
                f"{flag}: sampler {args.sampler} has no setting {name!r} (it has {', '.join(sorted(names))})"
            )
        overrides[name] = parse_number(value) if isinstance(value, str) else value
    return overrides


def add_set_option(parser: argparse.ArgumentParser) -> None:
    """``--set NAME=VALUE`` (repeatable): any setting of the sampler."""
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="any other setting of the sampler, e.g. --set denoising_steps=10 (repeatable)",
    )


def set_overrides(items: list[str], sampler: str) -> dict[str, Any]:
    """The settings ``--set`` items give; ValueError names a bad item."""
    overrides = {}
    for item in items:
        try:
            name, value = parse_setting(item, sampler)
        except ValueError as error:
            raise ValueError(f"--set {error}") from None
        overrides[name] = value
    return overrides


def parse_setting(item: str, sampler: str) -> tuple[str, Any]:
    """``NAME=VALUE`` for a setting of ``sampler`` -> (name, value): numbers become numbers, true / false
    booleans, other text stays text (an expression in k, K, or a name such as an index rule).
    ValueError names the item and the sampler's settings."""
    names = setting_names(sampler)
    name, equals, value = item.partition("=")
    if not equals or name not in names:
        raise ValueError(
            f"{item}: expected NAME=VALUE with NAME a setting of sampler {sampler} ({', '.join(sorted(names))})"
        )
    return name, {"true": True, "false": False}.get(value.lower(), parse_number(value))


def parse_number(text: str) -> int | float | str:
    """A schedule option as a number when it is one (presets accept numbers or expressions in k, K)."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
