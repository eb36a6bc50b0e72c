"""Prior directories: ``config.json`` + ``model.safetensors`` (+ optional ``MODEL_CARD.md``).

The network is stored with :mod:`mgdm_audio.core.pretrained`; ``config.json`` is that module's
network document with one more entry, ``"prior"``, holding the prior's type and settings::

    {"format": "mgdm_audio.net", "version": 1, "class_name": "UNet1d", "config": {...},
     "prior": {"type": "MultiSourcePrior", "sample_rate": 22050, "stems": [...], ...}}

so :func:`mgdm_audio.core.pretrained.from_pretrained` also reads the bare network of a prior directory.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ..plugins import load_plugins
from ..pretrained import (
    CONFIG_FILE,
    MODEL_CARD_FILE,
    WEIGHTS_FILE,
    check_weights_file,
    load_model,
    named_directories,
    read_section,
    save_model,
    write_model_card,
)
from ..registry import register
from .base import Prior

__all__ = [
    "CONFIG_FILE",
    "MODEL_CARD_FILE",
    "NAMED_PRIORS",
    "PRIOR_TYPES",
    "WEIGHTS_FILE",
    "check_weights_file",
    "describe",
    "load",
    "register_layout",
    "register_prior_type",
    "resolve",
    "save_prior",
    "write_model_card",
]

#: Names that :func:`load` resolves to packaged directories (a name wins over a same-named path): every folder
#: of ``mgdm_audio/assets/priors``, by its name.
NAMED_PRIORS = named_directories("priors")
#: Prior types a directory may record, by the name stored under ``"prior"]["type"]``; plug-ins add theirs with
#: :func:`register_prior_type`. A type has ``config`` (JSON-serialisable settings), ``from_config(net, config)``
#: and ``net``, its registered network (:mod:`mgdm_audio.core.pretrained`).
PRIOR_TYPES: dict[str, type[Prior]] = {}

#: Other directory layouts plug-ins read, by name: (is this layout?, build the prior on a device), tried in order.
LAYOUTS: dict[str, tuple[Callable[[Path], bool], Callable[[Path, torch.device | str], Prior]]] = {}


def register_prior_type(cls: type[Prior]) -> type[Prior]:
    """Class decorator: :func:`load` builds ``cls`` from directories whose ``"prior"`` entry names it."""
    register(PRIOR_TYPES, cls.__name__, cls, "prior type")
    return cls


def register_layout(
    name: str, detect: Callable[[Path], bool], build: Callable[[Path, torch.device | str], Prior]
) -> None:
    """Lets :func:`load` read another directory layout ``name``: ``build(directory, device)`` where
    ``detect(directory)``."""
    register(LAYOUTS, name, (detect, build), "prior layout")


def resolve(name_or_path: str | os.PathLike) -> Path:
    """The directory a prior name (see :data:`NAMED_PRIORS`) or path stands for."""
    return NAMED_PRIORS.get(str(name_or_path), Path(name_or_path))


def load(name_or_path: str | os.PathLike = "default", device: torch.device | str = "cpu") -> Prior:
    """The prior saved in a directory (or a named one, e.g. ``"default"``), in eval mode on ``device``.

    Reads the layouts and prior types the plug-ins register (:mod:`mgdm_audio.core.plugins`), e.g. the
    diffusers layout (``model_index.json``, ``unet/``, ``scheduler_config.json``) of image priors.

    Raises:
        FileNotFoundError: the directory, its config or its weights are missing (message names the path).
        ValueError: the files are not a prior this version can build (message names the file).
    """
    directory = resolve(name_or_path)
    if not directory.is_dir():
        raise FileNotFoundError(
            f"{directory}: prior directory not found (a folder with {CONFIG_FILE} and {WEIGHTS_FILE}, or a packaged "
            f"name: {', '.join(NAMED_PRIORS)})"
        )
    load_plugins()
    for detect, build in LAYOUTS.values():
        if detect(directory):
            return build(directory, device)
    return load_model(directory, "prior", PRIOR_TYPES, device, writer="mgdm train-prior or a convert command")


def describe(name_or_path: str | os.PathLike) -> dict[str, Any]:
    """What a prior directory (or a named one) is, read from its files without building the network: ``path``
    (absolute), ``layout`` (``"mgdm"``: :func:`save_prior`'s files, or a plug-in's layout name, e.g.
    ``"diffusers"``) and, for the ``"mgdm"`` layout, ``type`` and the prior's settings (e.g. a music prior's
    ``sample_rate`` in Hz, ``segment_length`` in samples and ``stems``).

    Raises:
        FileNotFoundError / ValueError: no such directory, or no prior in it (the message names the path).
    """
    directory = resolve(name_or_path).resolve()
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: prior directory not found")
    load_plugins()
    for name, (detect, _) in LAYOUTS.items():
        if detect(directory):
            return {"path": str(directory), "layout": name}
    if not (directory / CONFIG_FILE).is_file():
        raise FileNotFoundError(f"{directory / CONFIG_FILE}: missing; not a prior directory")
    kind, settings = read_section(directory, "prior", PRIOR_TYPES)
    return {"path": str(directory), "layout": "mgdm", "type": kind, **settings}


def save_prior(prior: Prior, directory: str | os.PathLike, model_card: str | None = None) -> Path:
    """Writes ``prior`` to ``directory`` (created if needed) so that :func:`load` rebuilds it; returns it.

    Every file is replaced atomically (temporary file + rename). ``model_card``: Markdown text
    for ``MODEL_CARD.md`` (left alone when None).
    """
    return save_model(prior, directory, "prior", PRIOR_TYPES, model_card)
