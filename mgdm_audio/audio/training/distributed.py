"""The processes of a data-parallel training run: which one this is, how many there are, and their device.

A run of N processes is started by ``torchrun`` (or ``srun torchrun`` under Slurm), which sets RANK, WORLD_SIZE,
LOCAL_RANK, MASTER_ADDR and MASTER_PORT; :func:`join` then opens PyTorch's default process group over them (gloo
between CPU processes, NCCL between GPUs) and gives each process its device (GPU LOCAL_RANK of its node). Without
those variables a run is one process, with no process group.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from mgdm_audio.common.hardware import resolve_device


@dataclass(frozen=True)
class World:
    """This process's ``rank`` among ``size`` processes (0 of 1 when alone)."""

    rank: int = 0
    size: int = 1

    @property
    def is_main(self) -> bool:
        """Whether this process writes checkpoints, logs and the model, and validates."""
        return self.rank == 0

    @classmethod
    def current(cls) -> World:
        """The world of the default process group, or a world of one when there is none."""
        if dist.is_available() and dist.is_initialized():
            return cls(dist.get_rank(), dist.get_world_size())
        return cls()


def join(device_name: str) -> torch.device:
    """Open the default process group when ``torchrun`` started this process (WORLD_SIZE > 1), and return its
    device: ``device_name`` as :func:`resolve_device` reads it, with a CUDA device narrowed to GPU LOCAL_RANK.

    Raises:
        ValueError: the device does not exist.
    """
    device = resolve_device(device_name)
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or dist.is_initialized():
        return device
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def leave() -> None:
    """Close the default process group, if this process opened one."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
