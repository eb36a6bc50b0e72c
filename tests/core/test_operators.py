"""Every operator: shapes, adjoint identity ⟨A x, y⟩ = ⟨x, Aᵀ y⟩, SVD reconstruction."""

import pytest
import torch

import mgdm_audio as ma


def _linear(generator):
    return ma.operators.Linear(torch.randn(5, 12, generator=generator, dtype=torch.float64)), (12,)


def _mixing(generator):
    gains = torch.randn(3, generator=generator, dtype=torch.float64)
    return ma.operators.Mixing(gains, stem_shape=(2, 5)), (3, 2, 5)


#: name -> factory(generator) -> (operator, input event shape). Every linear operator goes here.
LINEAR_OPERATORS = {"linear": _linear, "mixing": _mixing}


@pytest.mark.parametrize("name", LINEAR_OPERATORS)
def test_adjoint_identity(name, generator):
    operator, shape = LINEAR_OPERATORS[name](generator)
    x = torch.randn(3, *shape, generator=generator, dtype=torch.float64)
    y_shape = operator(x).shape
    y = torch.randn(y_shape, generator=generator, dtype=torch.float64)
    lhs = (operator(x) * y).flatten(1).sum(1)
    rhs = (x * operator.adjoint(y)).flatten(1).sum(1)
    assert torch.allclose(lhs, rhs, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", LINEAR_OPERATORS)
def test_svd_reconstructs_the_operator(name, generator):
    operator, shape = LINEAR_OPERATORS[name](generator)
    try:
        U, S, V = operator.svd()
    except NotImplementedError:
        pytest.skip(f"{name} has no SVD")
    x = torch.randn(4, *shape, generator=generator, dtype=torch.float64)
    flat = x.flatten(1)
    via_svd = (flat @ V) * S @ U.T
    assert torch.allclose(via_svd, operator(x).flatten(1), atol=1e-10)
    assert torch.allclose(U.T @ U, torch.eye(len(S), dtype=torch.float64), atol=1e-10)
    assert torch.allclose(V.T @ V, torch.eye(len(S), dtype=torch.float64), atol=1e-10)


def test_linear_rejects_wrong_input_size():
    operator = ma.operators.Linear(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="size 3"):
        operator(torch.zeros(4, 5))
    with pytest.raises(ValueError, match="2-D"):
        ma.operators.Linear(torch.zeros(3))


def test_gaussian_likelihood_is_sound_at_tiny_sigma():
    likelihood = ma.likelihoods.GaussianLikelihood(torch.ones(3), 1e-4)
    value = likelihood.neg_log(torch.ones(2, 3) + 1e-3)
    assert torch.isfinite(value).all() and torch.allclose(value, torch.full((2,), 0.5 * 3 * 100.0), rtol=1e-3)
    with pytest.raises(ValueError, match="sigma_y must be > 0"):
        ma.likelihoods.GaussianLikelihood(torch.ones(3), 0.0)
