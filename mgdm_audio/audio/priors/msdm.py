"""MSDM and ISDM priors from the published PyTorch-Lightning checkpoints (docs/method.md#msdm-priors-and-checkpoints).

:func:`read_checkpoint` is the only place in the code base that unpickles: a Lightning ``.ckpt``
needs ``torch.load(weights_only=False)``, which runs code stored in the file, so it warns
(:class:`UnsafeCheckpointWarning`). :func:`convert` turns one MSDM checkpoint (4 stems as
channels) or S single-stem ISDM checkpoints into a prior directory (safetensors + JSON, see
:mod:`mgdm_audio.core.priors.loading`) that ``mgdm_audio.priors.load(DIR)`` reads without unpickling.

Classes the checkpoint names but this environment cannot import (e.g. audio-diffusion-pytorch's
``LogNormalDistribution`` in ``hyper_parameters``, when the optional package is not installed) are
read as plain attribute holders, so conversion does not need the package; a hyper-parameter the
network's shape depends on that cannot be read that way is an error naming the missing module.
"""

from __future__ import annotations

import importlib
import os
import pickle
import types
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from mgdm_audio.common.checksum import file_sha256
from mgdm_audio.core.pretrained import CheckpointError
from mgdm_audio.core.priors.loading import load, save_prior

from ..nets.edm import EDMDenoiser
from ..nets.msdm_keys import msdm_denoiser_kwargs, msdm_state_dict_to_unet, msdm_unet_config
from ..nets.unet1d import UNet1d
from .isdm import StemwiseNets
from .music import DEFAULT_STEMS, MultiSourcePrior

#: The published setup: 22,050 Hz mono stems, trained on 262,144-sample chunks.
SAMPLE_RATE = 22050
SEGMENT_LENGTH = 262_144
#: Lightning-module arguments of MSDM's training module that are not AudioDiffusionModel's.
_TRAINING_ARGUMENTS = ("learning_rate", "beta1", "beta2")
#: Largest |difference| accepted between the converted denoiser and audio-diffusion-pytorch's (float32 rounding).
ORACLE_TOLERANCE = 1e-4


class UnsafeCheckpointWarning(UserWarning):
    """Unpickling a checkpoint runs code stored in it."""


class _Unresolved:
    """Stand-in for an object of a class that cannot be imported here: keeps its pickled state as attributes."""

    def __init__(self, *args: Any, **kwargs: Any):
        self.__dict__.update(kwargs)

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2:  # (__dict__, __slots__ state)
            state = {**(state[0] or {}), **(state[1] or {})}
        if isinstance(state, Mapping):
            self.__dict__.update(state)

    def __setitem__(self, key: Any, value: Any) -> None:  # a dict subclass's items
        self.__dict__[key] = value


class _LenientUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            return type(name, (_Unresolved,), {"__module__": module, "__qualname__": name})


_LENIENT_PICKLE = types.ModuleType("mgdm_audio_lenient_pickle")
_LENIENT_PICKLE.Unpickler = _LenientUnpickler
_LENIENT_PICKLE.load = lambda file, **kwargs: _LenientUnpickler(file, **kwargs).load()


@dataclass(frozen=True)
class Checkpoint:
    """What a Lightning checkpoint holds that conversion uses.

    state_dict: the LightningModule's tensors (``model.unet.*`` / ``model.diffusion.net.*``);
    hyper_parameters: its saved ``__init__`` arguments; info: provenance for the model card.
    """

    path: Path
    state_dict: dict[str, torch.Tensor]
    hyper_parameters: dict[str, Any]
    info: dict[str, Any]


def read_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Unpickle a PyTorch-Lightning ``.ckpt`` on the CPU (with an :class:`UnsafeCheckpointWarning`).

    Raises:
        FileNotFoundError: no such file. CheckpointError: not a Lightning checkpoint with
        ``state_dict`` and ``hyper_parameters``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: checkpoint not found")
    warnings.warn(
        f"{path}: unpickling with torch.load(weights_only=False) runs code stored in the file; "
        "convert only checkpoints from a source you trust",
        UnsafeCheckpointWarning,
        stacklevel=2,
    )
    try:
        document = torch.load(path, map_location="cpu", weights_only=False, pickle_module=_LENIENT_PICKLE)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, AttributeError, TypeError) as error:
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({' '.join(str(error).split())})") from None
    if not isinstance(document, Mapping) or not isinstance(document.get("state_dict"), Mapping):
        raise CheckpointError(f"{path}: not a PyTorch-Lightning checkpoint (no 'state_dict' entry)")
    hyper_parameters = document.get("hyper_parameters")
    if isinstance(hyper_parameters, _Unresolved):
        hyper_parameters = vars(hyper_parameters)
    if not isinstance(hyper_parameters, Mapping):
        raise CheckpointError(f"{path}: no 'hyper_parameters' entry: the network's shape is unknown")
    info = {
        key: document[key]
        for key in ("epoch", "global_step", "pytorch-lightning_version")
        if isinstance(document.get(key), (int, str))
    }
    return Checkpoint(path, dict(document["state_dict"]), dict(hyper_parameters), info)


def _network(checkpoint: Checkpoint) -> tuple[UNet1d, dict[str, Any]]:
    """The checkpoint's UNet1d with its weights, and its EDMDenoiser kwargs."""
    try:
        config = msdm_unet_config(checkpoint.hyper_parameters)
        for key, value in config.items():
            if isinstance(value, _Unresolved):
                package = type(value).__module__.split(".")[0]
                raise CheckpointError(
                    f"{checkpoint.path}: hyper_parameters[{key!r}] is a {type(value).__module__}."
                    f"{type(value).__name__} and {package} is not installed; install it to convert "
                    "this checkpoint"
                )
        net = UNet1d(**config)
        net.load_state_dict(msdm_state_dict_to_unet(checkpoint.state_dict), strict=True)
        return net, msdm_denoiser_kwargs(checkpoint.hyper_parameters)
    except CheckpointError:
        raise
    except (TypeError, ValueError, RuntimeError) as error:  # load_state_dict's RuntimeError is multi-line
        raise CheckpointError(
            f"{checkpoint.path}: not an MSDM AudioDiffusionModel checkpoint: {' '.join(str(error).split())}"
        ) from None


def msdm_prior(
    checkpoint: Checkpoint,
    sample_rate: int = SAMPLE_RATE,
    segment_length: int = SEGMENT_LENGTH,
    stems: Sequence[str] = DEFAULT_STEMS,
) -> MultiSourcePrior:
    """The multi-source prior of one MSDM checkpoint (one network over the S stems stacked as channels)."""
    net, kwargs = _network(checkpoint)
    if net.in_channels != len(stems):
        raise CheckpointError(
            f"{checkpoint.path}: the network takes {net.in_channels} channel(s), not one per stem "
            f"of {list(stems)}" + (" (an ISDM single-stem model? use --isdm)" if net.in_channels == 1 else "")
        )
    return MultiSourcePrior(EDMDenoiser(net, **kwargs), sample_rate, segment_length, stems)


def isdm_prior(
    checkpoints: Sequence[Checkpoint],
    sample_rate: int = SAMPLE_RATE,
    segment_length: int = SEGMENT_LENGTH,
    stems: Sequence[str] = DEFAULT_STEMS,
) -> MultiSourcePrior:
    """The ISDM prior: checkpoint k (a 1-channel model) denoises stem k (``stems[k]``)."""
    if len(checkpoints) != len(stems):
        raise CheckpointError(f"ISDM needs one checkpoint per stem {list(stems)}, got {len(checkpoints)}")
    built = [_network(checkpoint) for checkpoint in checkpoints]
    for checkpoint, (net, kwargs) in zip(checkpoints, built):
        if net.in_channels != 1:
            raise CheckpointError(f"{checkpoint.path}: an ISDM model takes 1 channel, this one {net.in_channels}")
        if kwargs != built[0][1]:
            raise CheckpointError(
                f"{checkpoint.path}: EDM settings {kwargs} differ from {checkpoints[0].path}'s "
                f"{built[0][1]}; one ISDM prior needs equal settings"
            )
    stacked = StemwiseNets([net.config for net, _ in built])
    for target, (net, _) in zip(stacked.nets, built):
        target.load_state_dict(net.state_dict(), strict=True)
    return MultiSourcePrior(EDMDenoiser(stacked, **built[0][1]), sample_rate, segment_length, stems)


def convert(
    paths: Sequence[str | os.PathLike],
    out_dir: str | os.PathLike,
    isdm: bool = False,
    sample_rate: int = SAMPLE_RATE,
    segment_length: int = SEGMENT_LENGTH,
    stems: Sequence[str] = DEFAULT_STEMS,
) -> tuple[Path, MultiSourcePrior]:
    """Convert one MSDM checkpoint (or, with ``isdm``, one per stem) into the prior directory ``out_dir``.

    Returns the directory and the prior built from the checkpoint(s) (for :func:`verify`). Writes
    ``config.json``, ``model.safetensors`` and ``MODEL_CARD.md`` (sources, SHA-256, settings), atomically.
    """
    if not isdm and len(paths) != 1:
        raise CheckpointError(f"an MSDM prior is one checkpoint, got {len(paths)} (ISDM: pass --isdm)")
    checkpoints = [read_checkpoint(path) for path in paths]
    prior = (
        isdm_prior(checkpoints, sample_rate, segment_length, stems)
        if isdm
        else msdm_prior(checkpoints[0], sample_rate, segment_length, stems)
    )
    directory = save_prior(prior, out_dir, model_card=_model_card(prior, checkpoints, isdm))
    return directory, prior.eval()


def verify(
    directory: str | os.PathLike,
    reference: MultiSourcePrior,
    multiples: int = 1,
    sigmas: Sequence[float] = (0.01, 0.5, 5.0),
    seed: int = 0,
) -> dict[str, Any]:
    """Check the converted directory against the prior built from the checkpoint(s).

    On a random input [1, S, multiples · length_multiple] at each σ: the reloaded denoiser must equal
    ``reference``'s exactly (a lossless conversion), and, when audio-diffusion-pytorch is installed,
    the package's ``denoise_fn`` (built from the same hyper-parameters and weights, per stem for ISDM)
    must agree within :data:`ORACLE_TOLERANCE`. Returns ``{"exact": True, "oracle_max_abs_diff": float
    or None}``; raises CheckpointError on a mismatch.
    """
    loaded = load(directory)
    denoiser = reference.denoiser
    length = multiples * reference.length_multiple
    x = 0.3 * torch.randn(1, len(reference.stems), length, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        for sigma in sigmas:
            if not torch.equal(loaded.denoiser(x, sigma), denoiser(x, sigma)):
                raise CheckpointError(
                    f"{directory}: the reloaded prior's denoiser differs from the checkpoint's at σ={sigma}"
                )
        del loaded
        oracle = _oracle_denoise_fn(reference)
        if oracle is None:
            return {"exact": True, "oracle_max_abs_diff": None}
        difference = max(float((oracle(x, sigma) - denoiser(x, sigma)).abs().max()) for sigma in sigmas)
    if not difference <= ORACLE_TOLERANCE:
        raise CheckpointError(
            f"{directory}: the denoiser differs from audio-diffusion-pytorch's denoise_fn by "
            f"{difference:.3g} (> {ORACLE_TOLERANCE})"
        )
    return {"exact": True, "oracle_max_abs_diff": difference}


def _oracle_denoise_fn(prior: MultiSourcePrior):
    """``x, σ → audio-diffusion-pytorch's denoise_fn`` with the prior's weights, or None without the package."""
    try:
        package = importlib.import_module("audio_diffusion_pytorch")
    except ImportError:
        return None
    denoiser = prior.denoiser
    nets = list(denoiser.net.nets) if isinstance(denoiser.net, StemwiseNets) else [denoiser.net]
    models = []
    for net in nets:
        model = package.AudioDiffusionModel(**net.config, diffusion_sigma_data=denoiser.sigma_data).eval()
        model.unet.load_state_dict(net.state_dict(), strict=True)
        models.append(model)
    width = len(prior.stems) // len(models)

    def denoise_fn(x: torch.Tensor, sigma: float) -> torch.Tensor:
        return torch.cat(
            [
                model.diffusion.denoise_fn(x[:, k * width : (k + 1) * width], sigma=sigma)
                for k, model in enumerate(models)
            ],
            dim=1,
        )

    return denoise_fn


def _model_card(prior: MultiSourcePrior, checkpoints: Sequence[Checkpoint], isdm: bool) -> str:
    parameters = sum(parameter.numel() for parameter in prior.parameters())
    kind = "ISDM: one single-stem model per stem" if isdm else "MSDM: one model over the stems stacked as channels"
    sources = "\n".join(
        f"- `{checkpoint.path.name}`"
        + (f" → {stem}" if isdm else "")
        + f": SHA-256 `{file_sha256(checkpoint.path)}`"
        + "".join(f", {key} {value}" for key, value in checkpoint.info.items())
        for checkpoint, stem in zip(checkpoints, prior.stems if isdm else [None])
    )
    training = {
        key: checkpoint_value
        for key, checkpoint_value in checkpoints[0].hyper_parameters.items()
        if key in _TRAINING_ARGUMENTS
    }
    return (
        f"# Converted diffusion prior ({kind})\n\n"
        f"Converted by `mgdm convert-msdm` from PyTorch-Lightning checkpoint(s) of the MSDM code base "
        f"(audio-diffusion-pytorch 0.0.43 `AudioDiffusionModel`; Mariani et al., ICLR 2024):\n\n{sources}\n\n"
        f"- stems (channel order): {', '.join(prior.stems)}\n"
        f"- sample rate {prior.sample_rate} Hz, training chunk {prior.segment_length} samples "
        f"({prior.segment_length / prior.sample_rate:.2f} s); lengths must be multiples of {prior.length_multiple}\n"
        f"- {parameters / 1e6:.1f} M parameters; EDM σ_data {prior.denoiser.sigma_data}, output clamped to [−1, 1]\n"
        f"- training settings recorded in the checkpoint: {training or 'none'}\n\n"
        "The weights are the checkpoints' own, unchanged (float32); see the MSDM release for their licence.\n"
    )
