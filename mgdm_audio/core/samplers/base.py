"""What every sampler shares: settings (defaults, presets, shared checks), call counting, results."""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from ..likelihoods import GaussianLikelihood
from ..operators.base import Operator
from ..plugins import load_plugins
from ..priors.base import Prior
from .start import COLD, ColdStart

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


#: Folders of preset files ``<name>.toml``: the core's generic presets, then those plug-ins register.
PRESET_FOLDERS: list[Traversable] = [resources.files(__package__) / "presets"]


def register_presets(folder: Traversable) -> None:
    """Adds a plug-in's folder of presets (``<name>.toml``) to :func:`preset_names`."""
    if folder not in PRESET_FOLDERS:
        PRESET_FOLDERS.append(folder)


def _preset_files() -> dict[str, Traversable]:
    return {
        entry.name[:-5]: entry
        for folder in PRESET_FOLDERS
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    }


def preset_names() -> list[str]:
    """Names of the shipped presets: the core's and every plug-in's (see :mod:`mgdm_audio.core.plugins`)."""
    load_plugins()
    return sorted(_preset_files())


def load_preset(name: str) -> dict[str, dict[str, Any]]:
    """A preset: one table of settings per sampler name."""
    files = _preset_files()
    if name not in files:  # perhaps a plug-in's, not imported yet
        load_plugins()
        files = _preset_files()
    if name not in files:
        raise ValueError(f"unknown preset {name!r}; available: {', '.join(sorted(files))}")
    with files[name].open("rb") as handle:
        return tomllib.load(handle)


#: Cost of a forward+backward denoiser call in forward calls (the usual rule of thumb), for equal-cost comparisons.
FORWARDS_PER_BACKWARD = 3


@dataclass
class DenoiserCalls:
    """How many times the denoiser ran, without and with a backward pass (per batch of samples)."""

    forward: int = 0
    forward_backward: int = 0

    @property
    def forward_equivalents(self) -> int:
        """The cost in forward calls, a forward+backward counted as :data:`FORWARDS_PER_BACKWARD`."""
        return self.forward + FORWARDS_PER_BACKWARD * self.forward_backward


@dataclass
class SamplingResult:
    """Samples [num_samples, *event_shape] (decoded for latent priors), and how they were made."""

    samples: torch.Tensor
    sampler: str
    settings: dict[str, Any]
    calls: DenoiserCalls
    seconds: float
    trace: list[torch.Tensor] = field(default_factory=list)


@dataclass
class ConjugateGradientSettings:
    """The conjugate-gradient solves some samplers make: at most ``cg_iterations`` iterations, stopping once the
    relative residual ‖r‖ / ‖b‖ is at most ``cg_tolerance``."""

    cg_iterations: int = 50
    cg_tolerance: float = 1e-6

    def __post_init__(self):
        if self.cg_iterations < 1 or not self.cg_tolerance >= 0:
            raise ValueError("cg_iterations must be >= 1 and cg_tolerance >= 0")


def check_steps(sampler: str, steps: int, minimum: int = 2) -> None:
    """ValueError unless a sampler's grid has at least ``minimum`` points."""
    if steps < minimum:
        raise ValueError(f"{sampler} needs steps >= {minimum}, got {steps}")


class Sampler:
    """A posterior sampler over the prior / operator / likelihood contracts.

    Subclasses define ``name``, a ``Settings`` dataclass whose defaults work (the published settings), and
    :meth:`_run`. Build one from settings (``MGDM()``, ``MGDM(MGDMSettings(steps=50))``, ``MGDM(steps=50)``) or
    from a preset file with :meth:`from_preset`.

    Args:
        settings: a ``Settings`` instance (None: the defaults). **overrides: single settings over it.
    """

    name: ClassVar[str]
    Settings: ClassVar[type]

    def __init__(self, settings: Any = None, **overrides: Any):
        if settings is not None and not isinstance(settings, self.Settings):
            raise TypeError(f"{self.name} takes {self.Settings.__name__}, got {type(settings).__name__}")
        values = {} if settings is None else {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
        self.settings = self._build(values, overrides)
        self.preset: str | None = None

    @classmethod
    def from_preset(cls, preset: str, **overrides: Any) -> Sampler:
        """The sampler with the settings of preset ``preset`` (its table for this sampler over the defaults),
        single values replaced by ``overrides``."""
        sampler = cls(cls._build(dict(load_preset(preset).get(cls.name, {})), overrides, preset))
        sampler.preset = preset
        return sampler

    @classmethod
    def _build(cls, values: dict[str, Any], overrides: dict[str, Any], preset: str | None = None) -> Any:
        known = {f.name for f in dataclasses.fields(cls.Settings)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown {cls.name} setting(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")
        try:
            return cls.Settings(**{**values, **overrides})
        except TypeError as error:  # a preset naming a setting the sampler does not have
            raise ValueError(f"preset {preset!r}, sampler {cls.name}: {error}") from None

    def settings_dict(self) -> dict[str, Any]:
        """Settings as plain, JSON-serialisable values (schedules as their expressions)."""
        return {key: getattr(value, "spec", value) for key, value in dataclasses.asdict(self.settings).items()}

    def __call__(
        self,
        prior: Prior,
        operator: Operator,
        likelihood: GaussianLikelihood,
        num_samples: int,
        generator: torch.Generator | None = None,
        trace: bool = False,
        start: ColdStart = COLD,
        progress: Callable[[], None] | None = None,
    ) -> SamplingResult:
        """Draw ``num_samples`` samples, from noise or from ``start`` (a :class:`.start.WarmStart`). ``progress``
        is called once per outer step (each clean estimate the sampler records: about :meth:`outer_steps`)."""
        if num_samples < 1:
            raise ValueError(f"num_samples must be >= 1, got {num_samples}")
        if not operator.differentiable and self.differentiates_operator():
            raise ValueError(
                f"{self.name} takes gradients through the forward model, and {type(operator).__name__} is a black "
                "box without them: use mgdm (its x_s update pcn, or auto, needs forward calls only)"
            )
        self.check(prior, operator)
        calls = DenoiserCalls()
        steps: list[torch.Tensor] = []

        def record(x0: torch.Tensor) -> None:
            if trace:
                steps.append(x0.detach().cpu())
            if progress is not None:
                progress()

        started = time.perf_counter()
        with frozen(prior), counting(prior, calls):
            samples = self._run(prior, operator, likelihood, num_samples, generator, record, start)
            samples = prior.decode(samples).detach()
        return SamplingResult(
            samples,
            self.name,
            {"preset": self.preset, **self.settings_dict()},
            calls,
            time.perf_counter() - started,
            steps,
        )

    def outer_steps(self) -> int | None:
        """About how many outer steps a call makes (its ``steps`` or ``iterations`` setting), for progress bars."""
        return getattr(self.settings, "steps", None) or getattr(self.settings, "iterations", None)

    def differentiates_operator(self) -> bool:
        """Whether this sampler, with its settings, takes gradients through the forward model (default: yes; a
        black-box operator, ``differentiable`` False, needs a sampler that does not)."""
        return True

    def check(self, prior: Prior, operator: Operator) -> None:
        """Raise a clear error if this sampler cannot work with ``prior`` and ``operator`` (default: any)."""

    def _run(
        self,
        prior: Prior,
        operator: Operator,
        likelihood: GaussianLikelihood,
        num_samples: int,
        generator: torch.Generator | None,
        record: Callable[[torch.Tensor], None],
        start: ColdStart,
    ) -> torch.Tensor:
        """Return clean estimates [num_samples, *event_shape] in the prior's (latent) space, starting as ``start``
        says (its grid and initial state)."""
        raise NotImplementedError


def forward_model(prior: Prior, operator: Operator) -> Callable[[torch.Tensor], torch.Tensor]:
    """x̂0 ↦ A(decode(x̂0)): the forward model applied to a clean estimate of the prior's space."""
    return lambda x0: operator(prior.decode(x0))


class counting:
    """Context: counts the calls of the prior's network (its method named ``prior.network_method``) into ``calls``,
    the one place samplers' costs are counted. A call is a forward call until a gradient flows back through its
    output; then each backward pass through it is one forward+backward call (n backward passes through one
    output, e.g. a Jacobian's n rows, are n)."""

    def __init__(self, prior: Prior, calls: DenoiserCalls):
        self.prior, self.calls = prior, calls

    def __enter__(self):
        name = self.prior.network_method
        network, calls = getattr(self.prior, name), self.calls

        def counted(*args: Any, **kwargs: Any) -> torch.Tensor:
            output = network(*args, **kwargs)
            calls.forward += 1
            if output.requires_grad:
                backward_passes = [0]

                def on_backward(gradient: torch.Tensor) -> None:
                    calls.forward -= backward_passes[0] == 0  # the first backward pass: no longer forward-only
                    calls.forward_backward += 1
                    backward_passes[0] += 1

                output.register_hook(on_backward)
            return output

        setattr(self.prior, name, counted)  # the instance attribute shadows the method until __exit__
        return self.prior

    def __exit__(self, *exc):
        delattr(self.prior, self.prior.network_method)


class frozen:
    """Context: the prior's parameters need no gradients (samplers differentiate w.r.t. x only)."""

    def __init__(self, module: torch.nn.Module):
        self.module = module

    def __enter__(self):
        self.flags = [(p, p.requires_grad) for p in self.module.parameters()]
        for p, _ in self.flags:
            p.requires_grad_(False)
        return self.module

    def __exit__(self, *exc):
        for p, flag in self.flags:
            p.requires_grad_(flag)
