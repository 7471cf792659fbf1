"""Lanczos and power iteration on known spectra; SLQ density moments; function input."""

import numpy as np
import pytest

import wengert.numpy as wnp
from wengert.core.errors import WengertValueError
from wengert.curvature import LinearOperator, spectral_density, top_eigenvalues


def _conjugated(spectrum, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((len(spectrum),) * 2))
    return q @ np.diag(spectrum) @ q.T


def _top(spectrum, k):
    return np.array(sorted(spectrum, key=lambda v: -abs(v))[:k])


SPECTRUM = np.concatenate([[10.0, -8.0, 6.0, 5.0], np.linspace(-1.0, 1.0, 56)])


@pytest.mark.parametrize("matrix", [np.diag(SPECTRUM), _conjugated(SPECTRUM, 1)])
def test_lanczos_finds_top_eigenvalues(matrix):
    op = LinearOperator(lambda v: matrix @ v, matrix.shape)
    values, vectors = top_eigenvalues(op, k=4, rng=np.random.default_rng(2))
    np.testing.assert_allclose(values, _top(SPECTRUM, 4), atol=1e-8)
    assert vectors.shape == (4, 60)
    for lam, v in zip(values, vectors):
        np.testing.assert_allclose(matrix @ v, lam * v, atol=1e-6)


def test_power_iteration_with_deflation():
    matrix = _conjugated(SPECTRUM, 3)
    result = top_eigenvalues(matrix, k=3, method="power", rng=np.random.default_rng(4),
                             num_iters=2000)
    np.testing.assert_allclose(result.eigenvalues, _top(SPECTRUM, 3), rtol=1e-6)
    assert result.num_matvecs <= 3 * 2000


def test_eigenvalues_of_a_quadratic_with_pytree_point():
    a = _conjugated(np.array([4.0, 3.0, -2.0, 1.0, 0.5]), 5)

    def f(p):
        v = wnp.concatenate([p["u"], wnp.reshape(p["w"], (-1,))])
        return 0.5 * v @ (a @ v)

    x = {"u": np.ones(1), "w": np.zeros((2, 2))}
    values, vectors = top_eigenvalues(f, x, k=2)
    np.testing.assert_allclose(values, [4.0, 3.0], atol=1e-8)
    assert set(vectors[0]) == {"u", "w"} and vectors[0]["w"].shape == (2, 2)
    flat = np.concatenate([vectors[0]["u"], vectors[0]["w"].ravel()])
    np.testing.assert_allclose(a @ flat, 4.0 * flat, atol=1e-8)


def test_slq_integrates_to_one_and_matches_moments():
    spectrum = np.linspace(0.0, 4.0, 200) ** 2
    matrix = _conjugated(spectrum, 6)
    grid, density = spectral_density(matrix, num_starts=20, lanczos_steps=40, sigma=0.05,
                                     num_points=4000, rng=np.random.default_rng(7))
    assert grid.shape == density.shape == (4000,)
    assert np.all(density >= 0)
    np.testing.assert_allclose(np.trapezoid(density, grid), 1.0, rtol=1e-12)
    mean = np.trapezoid(grid * density, grid)
    second = np.trapezoid(grid**2 * density, grid)
    np.testing.assert_allclose(mean, spectrum.mean(), rtol=0.03)
    np.testing.assert_allclose(second, np.mean(spectrum**2) + 0.05**2, rtol=0.05)


def test_bad_arguments_are_explained():
    with pytest.raises(WengertValueError, match="method"):
        top_eigenvalues(np.eye(3), method="arnoldi")
    with pytest.raises(WengertValueError, match="k must"):
        top_eigenvalues(np.eye(3), k=4)
    with pytest.raises(WengertValueError, match="x is None"):
        top_eigenvalues(lambda x: x @ x)
    with pytest.raises(WengertValueError, match="sigma"):
        spectral_density(np.eye(3), sigma=-1.0)
