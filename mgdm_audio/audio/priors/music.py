"""Multi-source waveform priors: one EDM denoiser over the stems of a mixture, stacked as channels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch

from mgdm_audio.core.priors.loading import register_prior_type
from mgdm_audio.core.priors.ve import VEDenoiserPrior
from mgdm_audio.core.schedules import karras_sigmas

from ..nets.edm import EDMDenoiser

#: The stems of the MSDM / Slakh2100 4-stem setup, in channel order (docs/method.md#msdm-priors-and-checkpoints).
DEFAULT_STEMS = ("bass", "drums", "guitar", "piano")


@dataclass(frozen=True)
class SigmaSchedule:
    """The Karras σ table the sampler's levels 1..num_levels follow
    (the published audio setup, docs/method.md#variance-exploding-priors)."""

    num_levels: int = 1000
    sigma_min: float = 5e-4
    sigma_max: float = 20.0
    rho: float = 3.0

    def sigmas(self) -> torch.Tensor:
        """Increasing noise levels [num_levels] (float64, data units)."""
        return karras_sigmas(self.num_levels, self.sigma_min, self.sigma_max, self.rho)


@register_prior_type
class MultiSourcePrior(VEDenoiserPrior):
    """p_0 over S aligned mono stems x_0 [S, L] in [−1, 1], through an :class:`EDMDenoiser`.

    The denoiser's network must map [B, S, L] to [B, S, L] and accept lengths that are multiples
    of its ``length_multiple`` (as :class:`mgdm_audio.audio.nets.UNet1d`). It is called with σ as a
    Python float, as MSDM's ``denoise_fn``.

    Args:
        denoiser: D(x_VE, σ) with its network as ``denoiser.net``.
        sample_rate: Hz of the waveforms the prior was trained on.
        segment_length: training chunk length in samples; the default event length.
        stems: stem names in channel order (S = len(stems)).
        length: event length L in samples (default ``segment_length``); see :meth:`with_length`.
        schedule: the σ table of the VP view.

    Attributes:
        event_shape: (S, L).
    """

    def __init__(
        self,
        denoiser: EDMDenoiser,
        sample_rate: int,
        segment_length: int,
        stems: Sequence[str] = DEFAULT_STEMS,
        length: int | None = None,
        schedule: SigmaSchedule = SigmaSchedule(),
    ):
        stems = tuple(str(stem) for stem in stems)
        in_channels = getattr(denoiser.net, "in_channels", None)
        if in_channels != len(stems):
            raise ValueError(f"the network takes {in_channels} channels but {len(stems)} stems are named {stems}")
        multiple = int(denoiser.net.length_multiple)
        length = segment_length if length is None else length
        for name, value in (("segment length", segment_length), ("length", length)):
            if value < 1 or value % multiple != 0:
                raise ValueError(
                    f"{name} {value} is not a positive multiple of the network's length multiple "
                    f"{multiple}; use e.g. {_round_up(value, multiple)}"
                )
        super().__init__(denoiser, schedule.sigmas(), (len(stems), length), default_preset="audio")
        self.length_multiple = multiple
        self.sample_rate = int(sample_rate)
        self.segment_length = int(segment_length)
        self.stems = stems
        self.schedule = schedule

    @property
    def length(self) -> int:
        """L: samples per stem of one event."""
        return self.event_shape[1]

    def with_length(self, num_samples: int) -> MultiSourcePrior:
        """The same prior (shared denoiser, no copy) over events of ``num_samples`` samples per stem.

        Raises:
            ValueError: ``num_samples`` is not a positive multiple of :attr:`length_multiple`.
        """
        return MultiSourcePrior(
            self.denoiser, self.sample_rate, self.segment_length, self.stems, num_samples, self.schedule
        ).train(self.training)

    def valid_length(self, num_samples: int) -> int:
        """The smallest accepted length ≥ ``num_samples`` (a multiple of :attr:`length_multiple`)."""
        return _round_up(num_samples, self.length_multiple)

    @property
    def net(self) -> torch.nn.Module:
        """The denoiser's network: what :func:`mgdm_audio.core.priors.loading.save_prior` stores."""
        return self.denoiser.net

    @property
    def config(self) -> dict[str, Any]:
        """Everything but the network (JSON-serialisable): what :mod:`mgdm_audio.core.priors.loading` records."""
        denoiser = self.denoiser
        return dict(
            sample_rate=self.sample_rate,
            segment_length=self.segment_length,
            stems=list(self.stems),
            sigma_data=denoiser.sigma_data,
            clamp=denoiser.clamp,
            log_sigma_mean=denoiser.log_sigma_mean,
            log_sigma_std=denoiser.log_sigma_std,
            schedule=asdict(self.schedule),
        )

    @classmethod
    def from_config(cls, net: torch.nn.Module, config: dict[str, Any]) -> MultiSourcePrior:
        """Inverse of :attr:`config`, around a built network ``net``."""
        denoiser = EDMDenoiser(
            net,
            sigma_data=config["sigma_data"],
            clamp=config["clamp"],
            log_sigma_mean=config["log_sigma_mean"],
            log_sigma_std=config["log_sigma_std"],
        )
        return cls(
            denoiser,
            config["sample_rate"],
            config["segment_length"],
            config["stems"],
            schedule=SigmaSchedule(**config["schedule"]),
        )


def _round_up(num_samples: int, multiple: int) -> int:
    return max(1, -(-num_samples // multiple)) * multiple
