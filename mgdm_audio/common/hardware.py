"""Choosing the compute device, and describing it for model cards and run records."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import torch


def resolve_device(name: str) -> torch.device:
    """``"auto"``: CUDA when available, else the CPU; any other name as ``torch.device`` reads it."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} requested but CUDA is not available (use --device cpu or auto)")
    return device


def describe_device(device: torch.device) -> str:
    """One line: the GPU's name, or the CPU model with its core and thread counts."""
    if device.type == "cuda":
        return f"GPU {torch.cuda.get_device_name(device)}"
    return f"CPU {_cpu_model()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads"


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()
