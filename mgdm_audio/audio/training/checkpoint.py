"""Training checkpoints: everything a restart needs to continue exactly where a run stopped.

One file, replaced atomically: model and optimizer state, the weight average (if any), the step,
the training seconds so far and the run's identity (the settings that must not change across a restart). It holds
no random state: every draw of a step comes from seeds of (seed, step, example) (:mod:`.examples`). Read with
``weights_only=True``: it holds only tensors and plain Python values.
"""

from __future__ import annotations

import os
from typing import Any

import torch

from mgdm_audio.common.atomic import atomic_path

CHECKPOINT_FILE = "checkpoint.pt"


def save_checkpoint(
    path: str | os.PathLike,
    *,
    step: int,
    seconds: float,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    identity: dict[str, Any],
    average: dict[str, torch.Tensor] | None = None,
) -> None:
    state = dict(
        step=step,
        seconds=seconds,
        model=model.state_dict(),
        optimizer=optimizer.state_dict(),
        identity=identity,
        average=average,
    )
    with atomic_path(path) as temporary:
        torch.save(state, temporary)


def restore_checkpoint(
    path: str | os.PathLike,
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    identity: dict[str, Any],
    average: dict[str, torch.Tensor] | None = None,
) -> tuple[int, float]:
    """Loads the checkpoint into the given objects (``average``'s tensors in place); returns (step, training
    seconds so far).

    Raises:
        ValueError: the file is unreadable or was made with a different identity (the message names
            the file and the first setting that differs).
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises several types for truncated or foreign files
        raise ValueError(
            f"{path}: unreadable checkpoint ({type(error).__name__}: {error}); delete it to start over"
        ) from None
    saved = state["identity"]
    for key in sorted(set(saved) | set(identity)):
        if saved.get(key) != identity.get(key):
            raise ValueError(
                f"{path}: made with {key} = {saved.get(key)!r}, this run has {identity.get(key)!r}; "
                f"resume with the same options or use another output directory"
            )
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    for name, tensor in (average or {}).items():
        tensor.copy_(state["average"][name])
    return int(state["step"]), float(state["seconds"])
