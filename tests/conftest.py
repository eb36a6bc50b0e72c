import pytest
import torch


@pytest.fixture
def generator():
    return torch.Generator().manual_seed(1234)


def random_covariance(dim: int, generator: torch.Generator, floor: float = 0.1) -> torch.Tensor:
    """A well-conditioned random SPD matrix [dim, dim] (float64)."""
    factor = torch.randn(dim, dim, generator=generator, dtype=torch.float64)
    return factor @ factor.T / dim + floor * torch.eye(dim, dtype=torch.float64)


def pytest_configure(config):
    # The suite's tensors are small: one thread avoids oversubscription on a loaded 2-core machine.
    torch.set_num_threads(1)


@pytest.fixture
def browser():
    """A headless Chromium (Selenium WebDriver). Skipped where Chromium is not installed, except in CI, whose
    install step (tools/install_system_packages.sh, the test extra) provides it: there its absence fails."""
    import os

    from mgdm_audio.common.browser import headless_chromium, missing_browser

    reason = missing_browser()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {reason}")
    if reason:
        pytest.skip(reason)
    with headless_chromium() as driver:
        yield driver
