"""Rules that pick the mixture component s (a table index) at each outer step (docs/method.md#index-rules)."""

from __future__ import annotations

import torch

INDEX_RULES = ("mix", "uniform", "deterministic", "midpoint")


def choose_index(
    rule: str, k: int, t: int, t_prev: int, min_index: int, mix_threshold: int, generator: torch.Generator | None
) -> int:
    """Table index s with 1 <= s < t for outer step k at grid time t (previous grid time t_prev).

    - ``mix``: s ~ Uniform{min_index, …, t_prev − 1} while k < mix_threshold, then s = t_prev;
    - ``uniform``: s ~ Uniform{min_index, …, t_prev − 1} at every step;
    - ``deterministic``: s = t_prev;
    - ``midpoint``: s = t // 2.
    When t_prev − 1 < min_index the uniform draw starts at t_prev − 1 instead.
    """
    if rule == "deterministic" or (rule == "mix" and k >= mix_threshold):
        return max(t_prev, 1)
    if rule == "midpoint":
        return max(t // 2, 1)
    if rule in ("mix", "uniform"):
        high = t_prev - 1
        if high < 1:
            return max(t_prev, 1)
        low = min(min_index, high)
        device = generator.device if generator is not None else "cpu"
        return int(torch.randint(low, high + 1, (1,), generator=generator, device=device))
    raise ValueError(f"unknown index rule {rule!r}; expected one of {INDEX_RULES}")
