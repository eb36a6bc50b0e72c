"""Separator directories: ``config.json`` (the network and a ``"separator"`` entry) + ``model.safetensors``
(+ ``MODEL_CARD.md``), the layout of prior directories (:mod:`mgdm_audio.core.priors.loading`)."""
from __future__ import annotations

import os
from pathlib import Path

import torch

from mgdm_audio.core.pretrained import CONFIG_FILE, WEIGHTS_FILE, from_pretrained, read_section, save_pretrained
from mgdm_audio.core.priors.loading import check_weights_file, write_model_card

from .model import MixtureSeparator

_ASSETS = Path(__file__).resolve().parents[2] / "assets" / "separators"
#: Names that :func:`load` resolves to packaged directories (a name wins over a same-named path).
NAMED_SEPARATORS = {"default": _ASSETS / "default"}
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
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (directory / name).is_file():
            raise FileNotFoundError(f"{directory / name}: missing; a separator directory holds {CONFIG_FILE} and "
                                    f"{WEIGHTS_FILE} (written by mgdm train-separator)")
    check_weights_file(directory / WEIGHTS_FILE)
    net = from_pretrained(directory, device)  # first: it names a config.json that is not valid JSON
    kind, settings = read_section(directory, "separator", SEPARATOR_TYPES)
    try:
        return SEPARATOR_TYPES[kind].from_config(net, settings).eval()
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{directory / CONFIG_FILE}: cannot build {kind} from its \"separator\" entry: "
                         f"{error!r}") from None


def save_separator(separator: MixtureSeparator, directory: str | os.PathLike, model_card: str | None = None) -> Path:
    """Writes ``separator`` to ``directory`` so that :func:`load` rebuilds it; returns the directory."""
    directory = save_pretrained(separator.net, directory,
                                {"separator": {"type": type(separator).__name__, **separator.config}})
    if model_card is not None:
        write_model_card(directory, model_card)
    return directory
