"""ADM priors from guided-diffusion ``.pt`` checkpoints (the DPS FFHQ 256 and ImageNet 256 models).

A released ADM checkpoint is a bare ``UNetModel`` state dict saved with ``torch.save``; it carries no
architecture, so the guided-diffusion script flags it was trained with come from a preset
(:data:`mgdm_audio.image.nets.adm.ADM_PRESETS`) and optional overrides. :func:`read_state_dict` is the only
place that unpickles such a file, with ``torch.load(weights_only=True)`` (tensors and containers
only; no code in the file runs). :func:`convert` writes a prior directory (safetensors + JSON) that
``mgdm_audio.priors.load(DIR)`` reads as an :class:`~mgdm_audio.image.priors.adm.ADMPrior`.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from mgdm_audio.common.checksum import file_sha256
from mgdm_audio.core.pretrained import CheckpointError
from mgdm_audio.core.priors.loading import load, save_prior

from ..nets.adm import ADM_PRESETS, GUIDED_DIFFUSION_DEFAULTS, ADMUNet, adm_config_from_flags
from .adm import ADMPrior

#: Largest |difference| of ε accepted between the converted prior and guided-diffusion's UNetModel.
ORACLE_TOLERANCE = 1e-4


def read_state_dict(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], list[str]]:
    """(the state dict, on the CPU; its floating dtypes, sorted) of an ADM ``.pt``.

    Raises:
        FileNotFoundError: no such file. CheckpointError: not a ``torch.save``'d dict of tensors.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found")
    try:
        document = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, AttributeError, TypeError) as error:
        raise CheckpointError(
            f"{path}: not a readable PyTorch state dict ({' '.join(str(error).split())[:200]})"
        ) from None
    if (
        not isinstance(document, Mapping)
        or not document
        or not all(isinstance(value, torch.Tensor) for value in document.values())
    ):
        raise CheckpointError(f"{path}: not a state dict (a dict of tensors, as guided-diffusion saves its models)")
    stored = sorted(
        {str(value.dtype).removeprefix("torch.") for value in document.values() if value.is_floating_point()}
    )
    # float16-trained models (use_fp16) are saved from float32 master weights; a half-precision file is widened
    # when load_state_dict copies it into the float32 network.
    return dict(document), stored


def resolve_flags(preset: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The guided-diffusion script flags of ``preset`` (a key of ``ADM_PRESETS``) with ``overrides``."""
    if preset not in ADM_PRESETS:
        raise ValueError(f"unknown ADM preset {preset!r}; known: {sorted(ADM_PRESETS)}")
    return {**ADM_PRESETS[preset], **(overrides or {})}


def adm_prior(path: str | os.PathLike, flags: Mapping[str, Any]) -> tuple[ADMPrior, list[str]]:
    """The prior of the checkpoint at ``path`` built with guided-diffusion script ``flags``, and the stored
    dtypes. CheckpointError (naming the file) when the weights do not fit the flags' network."""
    state, stored = read_state_dict(path)
    merged = {**GUIDED_DIFFUSION_DEFAULTS, **flags}
    if merged["noise_schedule"] != "linear" or merged["predict_xstart"] or merged["timestep_respacing"]:
        raise CheckpointError(
            f"{path}: only ε-prediction on the full linear schedule is supported (flags "
            f"noise_schedule={merged['noise_schedule']!r}, "
            f"predict_xstart={merged['predict_xstart']}, "
            f"timestep_respacing={merged['timestep_respacing']!r})"
        )
    net = ADMUNet(**adm_config_from_flags(dict(flags)))
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as error:  # multi-line: missing, unexpected, shape mismatches
        raise CheckpointError(
            f"{path}: the weights do not fit the ADM network of these flags: {' '.join(str(error).split())[:400]}"
        ) from None
    return ADMPrior(net, int(merged["diffusion_steps"]), merged["noise_schedule"]).eval(), stored


def convert(
    path: str | os.PathLike, out_dir: str | os.PathLike, preset: str, overrides: Mapping[str, Any] | None = None
) -> tuple[Path, ADMPrior]:
    """Convert the ADM checkpoint ``path`` into the prior directory ``out_dir`` (config.json,
    model.safetensors, MODEL_CARD.md, each written atomically); returns it and the prior built from the
    checkpoint (for :func:`verify`)."""
    flags = resolve_flags(preset, overrides)
    prior, stored = adm_prior(path, flags)
    directory = save_prior(prior, out_dir, model_card=_model_card(prior, Path(path), preset, flags, stored))
    return directory, prior


def verify(
    directory: str | os.PathLike,
    reference: ADMPrior,
    flags: Mapping[str, Any],
    indices: Sequence[int] = (1, 500, 1000),
    seed: int = 0,
) -> dict[str, Any]:
    """Check the converted directory against the prior built from the checkpoint.

    On a random image [1, C, H, W] at each table index: the reloaded prior's ε̂ must equal
    ``reference``'s exactly, and, when guided-diffusion's code is importable (``guided_diffusion``,
    e.g. the guided-diffusion-sdk package), the first C channels of its ``UNetModel`` (built by its
    ``create_model`` from ``flags``, with the same weights, in float32) must agree within
    :data:`ORACLE_TOLERANCE`. Returns ``{"exact": True, "oracle_max_abs_diff": float or None}``;
    raises CheckpointError on a mismatch.
    """
    loaded = load(directory)
    x = torch.randn(1, *reference.event_shape, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        for index in indices:
            if not torch.equal(loaded.eps(x, index), reference.eps(x, index)):
                raise CheckpointError(
                    f"{directory}: the reloaded prior's ε̂ differs from the checkpoint's at table index {index}"
                )
        del loaded
        oracle = oracle_unet(reference.net, flags)
        if oracle is None:
            return {"exact": True, "oracle_max_abs_diff": None}
        channels = reference.event_shape[0]
        difference = max(
            float((oracle(x, torch.tensor([index - 1]))[:, :channels] - reference.eps(x, index)).abs().max())
            for index in indices
        )
    if not difference <= ORACLE_TOLERANCE:
        raise CheckpointError(
            f"{directory}: ε̂ differs from guided-diffusion's UNetModel by {difference:.3g} (> {ORACLE_TOLERANCE})"
        )
    return {"exact": True, "oracle_max_abs_diff": difference}


def oracle_unet(net: ADMUNet, flags: Mapping[str, Any]) -> torch.nn.Module | None:
    """guided-diffusion's own ``UNetModel`` for ``flags`` holding ``net``'s weights (float32, eval), or None
    when its code is not importable."""
    try:
        script_util = importlib.import_module("guided_diffusion.script_util")
    except ImportError:
        return None
    merged = {**GUIDED_DIFFUSION_DEFAULTS, **flags, "use_fp16": False}
    accepted = inspect.signature(script_util.create_model).parameters
    model = script_util.create_model(**{key: value for key, value in merged.items() if key in accepted})
    model.load_state_dict(net.state_dict(), strict=True)
    return model.eval()


def _model_card(prior: ADMPrior, path: Path, preset: str, flags: Mapping[str, Any], stored: list[str]) -> str:
    parameters = sum(parameter.numel() for parameter in prior.parameters())
    listed = ", ".join(f"{key}={value}" for key, value in sorted(flags.items()))
    return (
        f"# Converted diffusion prior (ADM, guided-diffusion UNetModel)\n\n"
        f"Converted by `mgdm convert-adm` from `{path.name}`: SHA-256 `{file_sha256(path)}`.\n\n"
        f"- preset `{preset}`; guided-diffusion flags: {listed}\n"
        f"- images {prior.event_shape[1]}×{prior.event_shape[2]}, {prior.event_shape[0]} channels in [−1, 1]; "
        f"ε-prediction"
        + (" (the learned-variance channels are ignored)" if prior.net.out_channels == 2 * prior.event_shape[0] else "")
        + "\n"
        f"- schedule: {prior.noise_schedule} β over {prior.diffusion_steps} steps\n"
        f"- {parameters / 1e6:.1f} M parameters; stored as {', '.join(stored)}, written as float32\n\n"
        "The weights are the checkpoint's own; see the model's release for its licence.\n"
    )
