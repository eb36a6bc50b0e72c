"""Latent image priors: a diffusers ``UNet2DModel`` over the latents of a ``VQModel`` or ``AutoencoderKL``."""

from __future__ import annotations

import torch

from .diffusers_pixel import DiffusersPixelPrior


class DiffusersLatentPrior(DiffusersPixelPrior):
    """p_0 over latents z_0 [c, h, w] whose decoding is an image [C, H, W] in [−1, 1]
    (docs/method.md#the-sampler, #image-priors-and-metrics).

    The samplers work on latents; :meth:`decode` maps them to images, so the likelihood
    g(y | A(decode(D_s(z)))) needs no encoder.

    - ``VQModel`` (e.g. CompVis/ldm-celebahq-256): the UNet's latents are the VQ model's
      pre-quantisation latents, unscaled; decoding skips the codebook (``force_not_quantize=True``)
      so it stays a smooth function of z that gradients pass through.
    - ``AutoencoderKL`` (Stable-Diffusion style): the UNet sees (z_vae − shift) · scaling_factor,
      so decoding first undoes that (shift 0 when the config has no ``shift_factor``).

    Args:
        unet, alphas_cumprod, prediction_type: as :class:`DiffusersPixelPrior`, over latents.
        autoencoder: a ``diffusers.VQModel`` or ``diffusers.AutoencoderKL``.
        default_preset: sampler preset (default ``image_latent``).

    Attributes:
        event_shape: (c, h, w) latent shape. image_shape: (C, H, W) decoded shape, H = h · 2^(levels − 1)
            as diffusers' pipelines compute the autoencoder's downsampling factor.
    """

    def __init__(
        self,
        unet: torch.nn.Module,
        autoencoder: torch.nn.Module,
        alphas_cumprod: torch.Tensor,
        prediction_type: str = "epsilon",
        default_preset: str = "image_latent",
    ):
        super().__init__(unet, alphas_cumprod, prediction_type, default_preset)
        kind = type(autoencoder).__name__
        if kind not in ("VQModel", "AutoencoderKL"):
            raise ValueError(f"unsupported autoencoder {kind}; expected VQModel or AutoencoderKL")
        config = autoencoder.config
        if int(config.latent_channels) != self.event_shape[0]:
            raise ValueError(
                f"the UNet works on {self.event_shape[0]} latent channels but the {kind} has {config.latent_channels}"
            )
        self.autoencoder = autoencoder
        self.quantized = kind == "VQModel"
        # VQ latents are unscaled, as CompVis trained the LDMs. diffusers' LDMPipeline divides by the config's
        # scaling_factor (VQModel's default 0.18215 when the config has none), which spoils
        # CompVis/ldm-celebahq-256's samples (diffusers issue #6725).
        self.latent_scale = 1.0 if self.quantized else float(config.scaling_factor)
        self.latent_shift = 0.0 if self.quantized else float(getattr(config, "shift_factor", None) or 0.0)
        factor = 2 ** (len(config.block_out_channels) - 1)
        self._image_shape = (int(config.out_channels), self.event_shape[1] * factor, self.event_shape[2] * factor)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return self._image_shape

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Images [B, C, H, W] (about [−1, 1], not clipped) from UNet latents z [B, c, h, w]."""
        latents = z / self.latent_scale + self.latent_shift
        if self.quantized:
            return self.autoencoder.decode(latents, force_not_quantize=True).sample
        return self.autoencoder.decode(latents).sample
