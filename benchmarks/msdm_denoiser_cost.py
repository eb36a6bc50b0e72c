"""What one denoiser call of the published MSDM prior costs on this machine, and what a chunk costs per sampler.

Builds MSDM's architecture (``MSDM_SLAKH_UNET_CONFIG``, ≈ 405 M parameters;
docs/method.md#msdm-priors-and-checkpoints) with random weights inside an
:class:`~mgdm_audio.audio.nets.EDMDenoiser` (σ_d 0.2, clamp), and times on one
262,144-sample 4-stem chunk [1, 4, 262144]:

- forward: D(x, σ) under ``torch.no_grad`` (what Dirac and MGDM's x̂0 chains call);
- forward+backward: D(x, σ), then the gradient of a scalar of it with respect to x only (parameters
  frozen, as the samplers do: DPS's step and MGDM's variational fit of x_s).

for each requested number of torch threads, then extrapolates per chunk with the denoiser calls of
each sampler's published setting (docs/method.md#published-settings, #baselines): MGDM ≈ 1,430 forward + ≈ 1,020
forward+backward, Dirac with correction 300 forward, DPS 1,000 forward+backward. Sampler arithmetic
outside the network is ignored (it is a few element-wise operations per call).

    nice -n 10 python benchmarks/msdm_denoiser_cost.py [--threads 1 2] [--repeats 2] [--device cpu]

Memory: ≈ 1.6 GB of weights plus the activations of one chunk (more with the backward pass).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from mgdm_audio.audio.metrics import MSDM_CHUNK
from mgdm_audio.audio.nets import EDMDenoiser, UNet1d
from mgdm_audio.audio.nets.msdm_keys import MSDM_SLAKH_UNET_CONFIG

#: Denoiser calls per chunk of each sampler's published setting: (forward, forward+backward).
SAMPLER_CALLS = {"mgdm (audio preset)": (1430, 1020), "dirac + correction": (300, 0), "dps": (0, 1000)}
SIGMA = 0.5  # any σ > 0: the network's cost does not depend on it


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_calls(denoiser: EDMDenoiser, x: torch.Tensor, repeats: int) -> tuple[float, float]:
    """Median seconds of a forward call and of a forward+backward call (after one untimed warm-up of each)."""

    def forward() -> None:
        with torch.no_grad():
            denoiser(x, SIGMA)

    def forward_backward() -> None:
        inputs = x.detach().requires_grad_(True)
        torch.autograd.grad(denoiser(inputs, SIGMA).square().sum(), inputs)

    medians = []
    for call in (forward, forward_backward):
        seconds = []
        for attempt in range(repeats + 1):
            _synchronize(x.device)
            started = time.perf_counter()
            call()
            _synchronize(x.device)
            if attempt:  # the first call is the warm-up
                seconds.append(time.perf_counter() - started)
        medians.append(statistics.median(seconds))
    return medians[0], medians[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch thread counts (CPU)")
    parser.add_argument("--repeats", type=int, default=2, help="timed calls of each kind per setting")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (threads are then irrelevant)")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    net = UNet1d(**MSDM_SLAKH_UNET_CONFIG)
    denoiser = EDMDenoiser(net, sigma_data=0.2).to(device).eval().requires_grad_(False)
    x = 0.3 * torch.randn(1, net.in_channels, MSDM_CHUNK, device=device)
    print(
        f"MSDM denoiser: {sum(p.numel() for p in net.parameters()) / 1e6:.1f} M parameters, input "
        f"{list(x.shape)} ({MSDM_CHUNK / 22050:.2f} s at 22,050 Hz), device {device}, median of {args.repeats}\n"
    )
    print(
        "| threads | forward (s) | forward+backward (s) | ratio | "
        + " | ".join(f"{name} per chunk" for name in SAMPLER_CALLS)
        + " |"
    )
    print("|---|---|---|---|" + "---|" * len(SAMPLER_CALLS))
    for threads in args.threads if device.type == "cpu" else [torch.get_num_threads()]:
        torch.set_num_threads(threads)
        forward, backward = time_calls(denoiser, x, args.repeats)
        costs = [calls_f * forward + calls_b * backward for calls_f, calls_b in SAMPLER_CALLS.values()]
        print(
            f"| {threads} | {forward:.2f} | {backward:.2f} | {backward / forward:.2f} | "
            + " | ".join(_duration(cost) for cost in costs)
            + " |",
            flush=True,
        )


def _duration(seconds: float) -> str:
    return f"{seconds:,.0f} s ({seconds / 3600:.1f} h)"


if __name__ == "__main__":
    main()
