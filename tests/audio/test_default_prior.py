"""The shipped default prior loads and denoises real held-out stems (examples/) better than identity."""

from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from mgdm_audio.core.priors.loading import NAMED_PRIORS
from mgdm_audio.priors import load

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

pytestmark = pytest.mark.skipif(
    not (NAMED_PRIORS["default"] / "config.json").is_file(),
    reason="no default prior is shipped in mgdm_audio/assets/priors/default yet",
)


def example_stems(prior) -> torch.Tensor:
    """[tracks, S, L] references of the shipped examples (synth4 test tracks, never trained on)."""
    tracks = sorted(mixture.with_suffix("") for mixture in EXAMPLES.glob("*.wav"))
    stems = [[soundfile.read(track / f"{stem}.wav", dtype="float32")[0] for stem in prior.stems] for track in tracks]
    length = (len(stems[0][0]) // prior.length_multiple) * prior.length_multiple
    return torch.from_numpy(np.asarray(stems)[:, :, :length])


def test_default_prior_loads():
    prior = load("default")
    assert prior.sample_rate == 22050 and prior.stems == ("bass", "drums", "guitar", "piano")
    assert (NAMED_PRIORS["default"] / "MODEL_CARD.md").is_file()


@pytest.mark.parametrize("sigma", [0.1, 0.5])
def test_default_prior_denoises_held_out_stems_better_than_identity(sigma):
    prior = load("default")
    clean = example_stems(prior)
    noisy = clean + sigma * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        denoised = prior.denoiser(noisy, sigma)
    assert float(((denoised - clean) ** 2).mean()) < float(((noisy - clean) ** 2).mean())
