"""Bandwidth extension: the observation is the signal low-passed at a cut-off frequency."""

from __future__ import annotations

import torch

from mgdm_audio.core.operators.base import LinearOperator


class LowPass(LinearOperator):
    """An ideal (brick-wall, zero-phase) low-pass filter on waveforms x [B, L] → y [B, L]: the DFT bins above
    ``cutoff_hz`` are zeroed (circularly: the whole signal is one period).

    It is an orthogonal projection onto the band below the cut-off: Aᵀ = A = A² exactly, which is what the
    likelihood of a band-limited recording needs; an analogue or IIR filter's transition band is not modelled.
    """

    def __init__(self, length: int, sample_rate: int, cutoff_hz: float):
        super().__init__()
        if not 0 < cutoff_hz < sample_rate / 2:
            raise ValueError(f"the cut-off {cutoff_hz} Hz must lie between 0 and the Nyquist frequency")
        self.length, self.sample_rate, self.cutoff_hz = int(length), int(sample_rate), float(cutoff_hz)
        frequencies = torch.fft.rfftfreq(self.length, 1.0 / self.sample_rate)
        self.register_buffer("passband", frequencies <= self.cutoff_hz)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.length:
            raise ValueError(f"LowPass of {self.length} samples got input of shape {tuple(x.shape)}")
        spectrum = torch.fft.rfft(x, dim=-1) * self.passband.to(x.device)
        return torch.fft.irfft(spectrum, n=self.length, dim=-1)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        return self.forward(y)
