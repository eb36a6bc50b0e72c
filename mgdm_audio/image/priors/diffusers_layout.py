"""Reading image priors stored in the diffusers directory layout.

Layouts understood (as the Hugging Face repositories are stored, read from a local folder only):

- pipeline folder: ``model_index.json`` and one subfolder per component, e.g. ``unet/`` +
  ``scheduler/`` (DDPMPipeline), or ``unet/`` + ``vqvae/`` (or ``vae/``) + ``scheduler/`` (LDMPipeline);
- the older single-model repositories (e.g. google/ddpm-celebahq-256): ``model_index.json`` next to
  the UNet's ``config.json`` and weights and ``scheduler_config.json``, all at the top;
- a bare UNet folder: ``config.json`` + weights + ``scheduler_config.json``.

The schedule comes from the scheduler's config (its own class rebuilds ``alphas_cumprod``); the
prediction type from the same config (default ``epsilon``, as diffusers).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from .diffusers_latent import DiffusersLatentPrior
from .diffusers_pixel import DiffusersPixelPrior

PIPELINE_FILE = "model_index.json"
MODEL_CONFIG_FILE = "config.json"
SCHEDULER_CONFIG_FILE = "scheduler_config.json"

#: Component names an autoencoder is stored under, in the order they are looked for.
AUTOENCODER_ROLES = ("vqvae", "vae")


def is_diffusers_directory(directory: Path) -> bool:
    """Whether ``directory`` looks like one of the layouts above (not an mgdm_audio prior directory)."""
    return any((directory / name).exists() for name in (PIPELINE_FILE, SCHEDULER_CONFIG_FILE, "unet"))


def load_diffusers_prior(directory: Path, device: torch.device | str = "cpu") -> DiffusersPixelPrior:
    """The pixel or latent prior stored in ``directory``, in eval mode on ``device``.

    Raises:
        FileNotFoundError: a needed component folder or config file is missing (message names it).
        ValueError: a component is of a kind this adapter does not handle (message names its config).
    """
    import diffusers

    unet_dir = _component(directory, "unet")
    unet = _load_model(diffusers, unet_dir, ("UNet2DModel",))
    alphas_cumprod, prediction_type = _schedule(diffusers, directory)
    autoencoder_dir = next((directory / role for role in AUTOENCODER_ROLES if (directory / role).is_dir()), None)
    if autoencoder_dir is None:
        prior = DiffusersPixelPrior(unet, alphas_cumprod, prediction_type)
    else:
        autoencoder = _load_model(diffusers, autoencoder_dir, ("VQModel", "AutoencoderKL"))
        prior = DiffusersLatentPrior(unet, autoencoder, alphas_cumprod, prediction_type)
    return prior.to(device).eval()


def _component(directory: Path, role: str) -> Path:
    """The folder holding component ``role``: its subfolder, else the top folder (single-model layout)."""
    for folder in (directory / role, directory):
        if (folder / MODEL_CONFIG_FILE).is_file():
            return folder
    raise FileNotFoundError(f"{directory}: no {role}/{MODEL_CONFIG_FILE} nor {MODEL_CONFIG_FILE} (diffusers layout)")


def _load_model(diffusers, folder: Path, classes: tuple[str, ...]) -> torch.nn.Module:
    path = folder / MODEL_CONFIG_FILE
    try:
        name = json.loads(path.read_text(encoding="utf-8")).get("_class_name")
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: unreadable config ({error})") from None
    if name not in classes:
        hint = " (text-conditioned UNets are not supported)" if name == "UNet2DConditionModel" else ""
        raise ValueError(f"{path}: a {name!r} model; expected one of {', '.join(classes)}{hint}")
    try:
        # low_cpu_mem_usage=False: the default asks for the optional `accelerate` package, with a warning.
        return getattr(diffusers, name).from_pretrained(folder, local_files_only=True, low_cpu_mem_usage=False)
    except (OSError, ValueError, RuntimeError) as error:
        raise ValueError(f"{folder}: cannot load the {name}: {error}") from None


def _schedule(diffusers, directory: Path) -> tuple[torch.Tensor, str]:
    """(the scheduler's alphas_cumprod [N], prediction type) from ``scheduler/`` or the top folder."""
    candidates = (directory / "scheduler" / SCHEDULER_CONFIG_FILE, directory / SCHEDULER_CONFIG_FILE)
    path = next((candidate for candidate in candidates if candidate.is_file()), None)
    if path is None:
        raise FileNotFoundError(f"{directory}: no scheduler/{SCHEDULER_CONFIG_FILE} nor {SCHEDULER_CONFIG_FILE}")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
        scheduler = getattr(diffusers, config.get("_class_name", "DDPMScheduler")).from_config(config)
        alphas_cumprod = torch.as_tensor(scheduler.alphas_cumprod, dtype=torch.float64)
    except (OSError, ValueError, AttributeError, TypeError, NotImplementedError) as error:
        raise ValueError(f"{path}: not a scheduler config with a noise schedule ({error!r})") from None
    return alphas_cumprod, config.get("prediction_type", "epsilon")
