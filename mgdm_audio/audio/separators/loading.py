"""Separator directories: ``config.json`` (the network and a ``"separator"`` entry) + ``model.safetensors``
(+ ``MODEL_CARD.md``), the layout of every model directory (:mod:`mgdm_audio.core.pretrained`)."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from mgdm_audio.core.pretrained import load_model, named_directories, save_model

from .model import MixtureSeparator

#: Names that :func:`load` resolves to packaged directories (a name wins over a same-named path): every folder
#: of ``mgdm_audio/assets/separators``, by its name.
NAMED_SEPARATORS = named_directories("separators")
SEPARATOR_TYPES = {"MixtureSeparator": MixtureSeparator}


def resolve(name_or_path: str | os.PathLike) -> Path:
    """The directory a separator name (see :data:`NAMED_SEPARATORS`) or path stands for."""
    return NAMED_SEPARATORS.get(str(name_or_path), Path(name_or_path))


def load(name_or_path: str | os.PathLike = "default", device: torch.device | str = "cpu") -> MixtureSeparator:
    """The separator saved in a directory (or a named one), in eval mode on ``device``.

    Raises:
        FileNotFoundError: the directory or one of its files is missing (the message names the path).
        ValueError: the files are not a separator this version can build (the message names the file).
    """
    directory = resolve(name_or_path)
    if not directory.is_dir():
        raise FileNotFoundError(
            f"{directory}: separator directory not found (a folder with config.json and model.safetensors, or a "
            f"packaged name: {', '.join(NAMED_SEPARATORS)})"
        )
    return load_model(directory, "separator", SEPARATOR_TYPES, device, writer="mgdm train-separator")


def save_separator(separator: MixtureSeparator, directory: str | os.PathLike, model_card: str | None = None) -> Path:
    """Writes ``separator`` to ``directory`` so that :func:`load` rebuilds it; returns the directory."""
    return save_model(separator, directory, "separator", SEPARATOR_TYPES, model_card)
