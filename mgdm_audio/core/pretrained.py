"""Save and rebuild networks as ``config.json`` + ``model.safetensors`` (no pickle).

A network class takes part by being registered with :func:`register_net` and by exposing
``config``: a JSON-serialisable dict of its constructor keyword arguments, so that
``cls(**net.config)`` rebuilds it. ``config.json`` records the class name and that dict::

    {"format": "mgdm_audio.net", "version": 1, "class_name": "UNet1d", "config": {...}}
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors import SafetensorError
from safetensors.torch import load_model, save_model
from torch import nn

from mgdm_audio.common.atomic import atomic_path

from .plugins import load_plugins
from .registry import register

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
_FORMAT = "mgdm_audio.net"
_VERSION = 1

_REGISTRY: dict[str, type[nn.Module]] = {}

ModuleClass = TypeVar("ModuleClass", bound=type[nn.Module])


class CheckpointError(ValueError):
    """A checkpoint is not one this converter understands; the one-line message names the file."""


def register_net(cls: ModuleClass) -> ModuleClass:
    """Class decorator: makes ``cls`` loadable by :func:`from_pretrained` under ``cls.__name__``."""
    register(_REGISTRY, cls.__name__, cls, "network class")
    return cls


def registered_nets() -> dict[str, type[nn.Module]]:
    """Name → class of every registered network."""
    return dict(_REGISTRY)


def save_pretrained(net: nn.Module, directory: str | os.PathLike, sections: dict[str, Any] | None = None) -> Path:
    """Writes ``directory/config.json`` and ``directory/model.safetensors``; returns the directory.

    ``sections``: more top-level entries of ``config.json`` (JSON-serialisable), e.g. what a prior or a
    separator records around its network. Each file is replaced atomically (temporary file + rename), so an
    interrupted save never leaves a truncated file behind.
    """
    name = type(net).__name__
    if _REGISTRY.get(name) is not type(net):
        raise ValueError(f"{name} is not registered with register_net; cannot save it")
    config = getattr(net, "config", None)
    if not isinstance(config, dict):
        raise ValueError(f"{name} has no `config` dict of constructor arguments; cannot save it")
    document = {**(sections or {}), "format": _FORMAT, "version": _VERSION, "class_name": name, "config": config}
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with atomic_path(directory / WEIGHTS_FILE) as temporary:
        save_model(net, temporary)
    with atomic_path(directory / CONFIG_FILE) as temporary:
        Path(temporary).write_text(text, encoding="utf-8")
    return directory


def read_config(directory: str | os.PathLike) -> tuple[str, dict[str, Any]]:
    """(class name, constructor kwargs) from ``directory/config.json``."""
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: network config not found (written by save_pretrained)")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(document, dict) or document.get("format") != _FORMAT:
        raise ValueError(f"{path}: not an mgdm_audio network config (no \"format\": \"{_FORMAT}\")")
    if document.get("version") != _VERSION:
        raise ValueError(f"{path}: config version {document.get('version')!r} unsupported (expected {_VERSION})")
    name, config = document.get("class_name"), document.get("config")
    if name not in _REGISTRY:
        load_plugins()  # perhaps a plug-in's network, not imported yet
    if name not in _REGISTRY:
        raise ValueError(f"{path}: unknown network class {name!r} (registered: {sorted(_REGISTRY)})")
    if not isinstance(config, dict):
        raise ValueError(f"{path}: \"config\" must be an object of constructor arguments")
    return name, config


def read_section(directory: str | os.PathLike, key: str, types: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(type name, settings) of the ``key`` entry of ``directory/config.json``: ``{"type": NAME, **settings}``
    with NAME one of ``types``. ValueError names the file when the entry is missing or of another type."""
    path = Path(directory) / CONFIG_FILE
    section = json.loads(path.read_text(encoding="utf-8")).get(key)
    if not isinstance(section, dict) or section.get("type") not in types:
        found = section.get("type") if isinstance(section, dict) else None
        raise ValueError(f"{path}: no \"{key}\" entry of a known type (found {found!r}; known: {sorted(types)})")
    return section["type"], {name: value for name, value in section.items() if name != "type"}


def from_pretrained(directory: str | os.PathLike, device: torch.device | str = "cpu") -> nn.Module:
    """Rebuilds a network saved by :func:`save_pretrained`, in eval mode, on ``device``."""
    directory = Path(directory)
    name, config = read_config(directory)
    try:
        net = _REGISTRY[name](**config)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{directory / CONFIG_FILE}: cannot build {name} from its config: {error}") from None
    weights = directory / WEIGHTS_FILE
    if not weights.is_file():
        raise FileNotFoundError(f"{weights}: network weights not found (written by save_pretrained)")
    try:
        missing, unexpected = load_model(net, weights, strict=False)
    except (RuntimeError, SafetensorError) as error:  # shape mismatch or unreadable file; multi-line
        summary = " ".join(str(error).split())
        raise ValueError(f"{weights}: weights do not fit {name} built from {CONFIG_FILE}: {summary}") from None
    if missing or unexpected:
        raise ValueError(f"{weights}: weights do not fit {name} built from {CONFIG_FILE}: "
                         f"{len(missing)} missing (e.g. {sorted(missing)[:3]}), "
                         f"{len(unexpected)} unexpected (e.g. {sorted(unexpected)[:3]})")
    return net.to(device).eval()
