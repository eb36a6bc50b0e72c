"""Save and rebuild networks and the models around them as ``config.json`` + ``model.safetensors`` (no pickle).

A network class takes part by being registered with :func:`register_net` and by exposing
``config``: a JSON-serialisable dict of its constructor keyword arguments, so that
``cls(**net.config)`` rebuilds it. ``config.json`` records the class name and that dict::

    {"format": "mgdm_audio.net", "version": 1, "class_name": "UNet1d", "config": {...}}

A model directory (a prior, a discriminative separator) adds one entry naming the model's type and settings, e.g.
``"prior": {"type": "MultiSourcePrior", ...}``, and optionally ``MODEL_CARD.md``; :func:`save_model` writes one
and :func:`load_model` rebuilds it, for every kind of model alike (diffusers' ``from_pretrained``).
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors import SafetensorError
from safetensors.torch import load_model as load_weights
from safetensors.torch import save_model as save_weights
from torch import nn

from mgdm_audio.common.atomic import atomic_path

from .plugins import load_plugins
from .registry import register

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
MODEL_CARD_FILE = "MODEL_CARD.md"
#: The entries of config.json that say what kind of model a directory holds.
MODEL_SECTIONS = ("prior", "separator")
#: Packaged model directories: ``ASSETS/<kind>/<name>`` (kind "priors", "separators").
ASSETS = Path(__file__).resolve().parents[1] / "assets"
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
        save_weights(net, temporary)
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
        raise ValueError(f'{path}: not an mgdm_audio network config (no "format": "{_FORMAT}")')
    if document.get("version") != _VERSION:
        raise ValueError(f"{path}: config version {document.get('version')!r} unsupported (expected {_VERSION})")
    name, config = document.get("class_name"), document.get("config")
    if name not in _REGISTRY:
        load_plugins()  # perhaps a plug-in's network, not imported yet
    if name not in _REGISTRY:
        raise ValueError(f"{path}: unknown network class {name!r} (registered: {sorted(_REGISTRY)})")
    if not isinstance(config, dict):
        raise ValueError(f'{path}: "config" must be an object of constructor arguments')
    return name, config


def read_section(directory: str | os.PathLike, key: str, types: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(type name, settings) of the ``key`` entry of ``directory/config.json``: ``{"type": NAME, **settings}``
    with NAME one of ``types``. ValueError names the file when the entry is missing or of another type."""
    path = Path(directory) / CONFIG_FILE
    document = json.loads(path.read_text(encoding="utf-8"))
    section = document.get(key)
    other = next((name for name in MODEL_SECTIONS if name != key and name in document), None)
    if section is None and other is not None:
        raise ValueError(f'{path}: a {other} folder (its "{other}" entry), not a {key} folder')
    if not isinstance(section, dict) or section.get("type") not in types:
        found = section.get("type") if isinstance(section, dict) else None
        raise ValueError(f'{path}: no "{key}" entry of a known type (found {found!r}; known: {sorted(types)})')
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
        missing, unexpected = load_weights(net, weights, strict=False)
    except (RuntimeError, SafetensorError) as error:  # shape mismatch or unreadable file; multi-line
        summary = " ".join(str(error).split())
        raise ValueError(f"{weights}: weights do not fit {name} built from {CONFIG_FILE}: {summary}") from None
    if missing or unexpected:
        raise ValueError(
            f"{weights}: weights do not fit {name} built from {CONFIG_FILE}: "
            f"{len(missing)} missing (e.g. {sorted(missing)[:3]}), "
            f"{len(unexpected)} unexpected (e.g. {sorted(unexpected)[:3]})"
        )
    return net.to(device).eval()


def named_directories(kind: str) -> dict[str, Path]:
    """Name → directory of every packaged model of ``kind`` ("priors", "separators"): the folders of
    ``mgdm_audio/assets/<kind>``."""
    folder = ASSETS / kind
    return {path.name: path for path in sorted(folder.iterdir()) if path.is_dir()} if folder.is_dir() else {}


def check_weights_file(path: Path) -> None:
    """ValueError naming ``path`` when it is not a whole safetensors file: an 8-byte little-endian header length,
    a JSON header, then the tensors' bytes up to the largest ``data_offsets`` end (the format's layout,
    https://github.com/huggingface/safetensors#format). A copy or download cut short fails here, not as a
    shape mismatch."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        start = handle.read(8)
        if len(start) < 8:
            raise ValueError(f"{path}: truncated or not a safetensors file ({size} bytes, no header)")
        (header_length,) = struct.unpack("<Q", start)
        if 8 + header_length > size:
            raise ValueError(
                f"{path}: truncated or not a safetensors file ({size} bytes; its header alone "
                f"needs {8 + header_length})"
            )
        try:
            header = json.loads(handle.read(header_length))
            end = max((entry["data_offsets"][1] for name, entry in header.items() if name != "__metadata__"), default=0)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            raise ValueError(f"{path}: not a safetensors file (unreadable header)") from None
    if size < 8 + header_length + end:
        raise ValueError(f"{path}: truncated ({size} bytes; its header describes {8 + header_length + end})")


def load_model(
    directory: Path, section: str, types: dict[str, Any], device: torch.device | str = "cpu", writer: str = "save_model"
) -> nn.Module:
    """The model a directory holds, in eval mode on ``device``: its network (:func:`from_pretrained`) wrapped by
    ``types[kind].from_config(net, settings)``, where ``config.json``'s ``section`` entry is
    ``{"type": kind, **settings}``. ``writer`` names what writes such directories (for the error message).

    Raises:
        FileNotFoundError: the config or the weights are missing (the message names the path).
        ValueError: the files are not a model this version can build (the message names the file).
    """
    if not (directory / CONFIG_FILE).is_file() and not (directory / WEIGHTS_FILE).is_file():
        raise FileNotFoundError(
            f"{directory}: not a {section} folder ({CONFIG_FILE} and {WEIGHTS_FILE} missing; {writer} writes them)"
        )
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (directory / name).is_file():
            raise FileNotFoundError(
                f"{directory / name}: missing; a {section} directory holds {CONFIG_FILE} and "
                f"{WEIGHTS_FILE} (written by {writer})"
            )
    check_weights_file(directory / WEIGHTS_FILE)
    net = from_pretrained(directory, device)  # first: it names a config.json that is not valid JSON
    kind, settings = read_section(directory, section, types)
    try:
        return types[kind].from_config(net, settings).eval()
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f'{directory / CONFIG_FILE}: cannot build {kind} from its "{section}" entry: {error!r}'
        ) from None


def save_model(
    model: nn.Module, directory: str | os.PathLike, section: str, types: dict[str, Any], model_card: str | None = None
) -> Path:
    """Writes ``model`` (its ``net`` and ``config``) to ``directory`` so that :func:`load_model` rebuilds it; returns
    the directory. Every file is replaced atomically; ``model_card``: Markdown text for ``MODEL_CARD.md`` (left
    alone when None)."""
    name = type(model).__name__
    if types.get(name) is not type(model):
        raise ValueError(f"cannot save a {name}; known {section} types: {sorted(types)}")
    directory = save_pretrained(model.net, directory, {section: {"type": name, **model.config}})
    if model_card is not None:
        write_model_card(directory, model_card)
    return directory


def write_model_card(directory: Path, text: str) -> None:
    """``directory/MODEL_CARD.md``, replaced atomically."""
    with atomic_path(directory / MODEL_CARD_FILE) as temporary:
        Path(temporary).write_text(text, encoding="utf-8")
