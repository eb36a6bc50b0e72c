"""Checkpoint averaging: one prior whose weights are the uniform mean of several priors' of one architecture.

Averaging snapshots taken along one training run (Izmailov et al., 2018, "Averaging weights leads to wider
optima and better generalization"; ESPnet's ``average_checkpoints``) smooths what a constant learning rate
leaves between snapshots, over a longer window than the trainer's moving average.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import torch

from mgdm_audio.common.checksum import file_sha256

from ..pretrained import CONFIG_FILE, WEIGHTS_FILE
from .loading import MODEL_CARD_FILE, describe, load, resolve, save_prior


def average_priors(sources: Sequence[str | os.PathLike], destination: str | os.PathLike) -> Path:
    """Writes to ``destination`` the prior whose floating-point weights are the mean of ``sources``' (computed in
    float64, stored in each tensor's own dtype), with the first source's settings and a model card naming every
    source and its weights' SHA-256; returns ``destination``. The sources are only read.

    Raises:
        ValueError: fewer than two sources, a source that is not a prior directory of :func:`save_prior`'s
            layout, sources whose ``config.json`` differ, or ``destination`` being one of them (the message names
            the file).
        FileNotFoundError: a source directory or its files are missing.
    """
    directories = [resolve(source).resolve() for source in sources]
    if len(directories) < 2:
        raise ValueError(f"averaging needs two priors or more, got {len(directories)}")
    if Path(destination).resolve() in directories:
        raise ValueError(f"{destination}: is one of the priors to average; write the average elsewhere")
    for directory in directories:
        layout = describe(directory)["layout"]
        if layout != "mgdm":
            raise ValueError(
                f"{directory}: a prior in the {layout} layout; only config.json + {WEIGHTS_FILE} priors are averaged"
            )
    config = _config(directories[0])
    for directory in directories[1:]:
        if _config(directory) != config:
            raise ValueError(
                f"{directory / CONFIG_FILE}: differs from {directories[0] / CONFIG_FILE}; only priors "
                f"of one architecture and settings are averaged"
            )
    prior = load(directories[0])
    states = [prior.net.state_dict()] + [load(directory).net.state_dict() for directory in directories[1:]]
    average = {}
    for name, tensor in states[0].items():
        if tensor.is_floating_point():
            average[name] = torch.stack([state[name].double() for state in states]).mean(0).to(tensor.dtype)
        elif all(torch.equal(state[name], tensor) for state in states):
            average[name] = tensor
        else:
            raise ValueError(f"{directories[0]}: its non-float tensor {name} differs between the priors")
    prior.net.load_state_dict(average)
    return save_prior(prior, destination, _model_card(directories))


def _config(directory: Path) -> dict:
    return json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))


def _model_card(directories: list[Path]) -> str:
    rows = "\n".join(f"| `{directory}` | {file_sha256(directory / WEIGHTS_FILE)} |" for directory in directories)
    first = directories[0] / MODEL_CARD_FILE
    inherited = (
        f"\n\nThe first source's model card follows.\n\n---\n\n{first.read_text(encoding='utf-8')}"
        if first.is_file()
        else "\n"
    )
    return (
        "# Weight average of priors (written by `mgdm average-priors`)\n\n"
        f"The uniform mean of the weights of these {len(directories)} priors (one config.json; float64 sums):\n\n"
        f"| source | {WEIGHTS_FILE} SHA-256 |\n|---|---|\n{rows}{inherited}"
    )
