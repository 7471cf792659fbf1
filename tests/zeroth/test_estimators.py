"""Tests for wengert.zeroth: bias and variance of the estimators against the exact gradient."""

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert import zeroth
from wengert.core.errors import WengertTypeError, WengertValueError

D = 5


def _quadratic(seed=0, d=D):
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((d, d))
    a = m @ m.T + d * np.eye(d)
    b = rng.standard_normal(d)
    x = rng.standard_normal(d)

    def f(x):
        return 0.5 * wnp.sum(x * (a @ x)) + wnp.sum(b * x)

    return f, a, x, np.asarray(wg.grad(f)(x))


def _repeat(f, x, n, **kwargs):
    rng = np.random.default_rng(42)
    return np.array([zeroth.gradient(f, x, rng=rng, **kwargs).estimate for _ in range(n)])


def _within(mean_of, samples, expected, k=4.0):
    mean = samples.mean(axis=0)
    stderr = samples.std(axis=0, ddof=1) / np.sqrt(len(samples))
    assert np.all(np.abs(mean - expected) <= k * stderr), (mean, expected, stderr, mean_of)


def test_central_differences_are_exact_on_quadratics():
    f, _, x, g = _quadratic()
    est = zeroth.gradient(f, x, method="central")
    np.testing.assert_allclose(est.estimate, g, rtol=0, atol=1e-8)
    assert est.num_evals == 2 * D and est.stderr is None and est.method == "central"


def test_forward_differences_have_the_predicted_bias():
    # On a quadratic (f(x + εe_i) − f(x))/ε = g_i + (ε/2) A_ii exactly.
    f, a, x, g = _quadratic()
    eps = 1e-4
    est = zeroth.gradient(f, x, method="forward", eps=eps)
    np.testing.assert_allclose(est.estimate, g + 0.5 * eps * np.diag(a), rtol=0, atol=1e-8)
    assert est.num_evals == D + 1


@pytest.mark.parametrize(
    ("method", "antithetic", "second_moment"),
    [
        # E‖G‖² = d‖g‖² on the unit sphere, (d + 2)‖g‖² for N(0, I) (fourth moments of u).
        ("sphere", True, D),
        ("gaussian", True, D + 2),
        # One-sided: unbiased on quadratics (the extra term is odd in v); at ε = 1.5e-8 its
        # variance contribution is negligible, so the second moment is the same.
        ("sphere", False, D),
        ("gaussian", False, D + 2),
    ],
)
def test_random_estimators_are_unbiased_with_the_predicted_variance(
    method, antithetic, second_moment
):
    f, _, x, g = _quadratic()
    samples = _repeat(f, x, 3000, method=method, antithetic=antithetic)
    _within("estimate", samples, g)
    _within("‖G‖²", np.sum(samples**2, axis=1), second_moment * g @ g)


def test_orthogonal_sphere_directions_reduce_the_variance():
    # m orthogonal directions: G = (d/m) P g for a random rank-m projection P, so
    # E‖G‖² = (d/m)‖g‖², against (1 + (d − 1)/m)‖g‖² for independent directions.
    f, _, x, g = _quadratic()
    m = 2
    samples = _repeat(f, x, 1000, method="sphere", num_directions=m, orthogonal=True)
    _within("estimate", samples, g)
    _within("‖G‖²", np.sum(samples**2, axis=1), D / m * g @ g)
    independent = _repeat(f, x, 1000, method="sphere", num_directions=m)
    _within("‖G‖² independent", np.sum(independent**2, axis=1), (1 + (D - 1) / m) * g @ g)


def test_a_full_orthogonal_set_recovers_the_gradient():
    f, _, x, g = _quadratic()
    est = zeroth.gradient(f, x, "sphere", num_directions=D, orthogonal=True,
                          rng=np.random.default_rng(3))
    np.testing.assert_allclose(est.estimate, g, rtol=1e-8)
    assert est.num_evals == 2 * D


def test_orthogonal_gaussian_directions_are_unbiased_beyond_one_block():
    f, _, x, g = _quadratic()
    samples = _repeat(f, x, 500, method="gaussian", num_directions=D + 2, orthogonal=True)
    _within("estimate", samples, g)


def test_stderr_covers_the_error_of_an_average():
    f, _, x, g = _quadratic()
    est = zeroth.gradient(f, x, "gaussian", num_directions=400, rng=np.random.default_rng(1))
    assert est.num_evals == 800
    assert np.all(np.abs(est.estimate - g) <= 4 * est.stderr)
    one_sided = zeroth.gradient(f, x, "gaussian", num_directions=7, antithetic=False,
                                rng=np.random.default_rng(1))
    assert one_sided.num_evals == 8


def test_rng_makes_estimates_reproducible():
    f, _, x, _ = _quadratic()
    first = zeroth.gradient(f, x, num_directions=3, rng=np.random.default_rng(7))
    again = zeroth.gradient(f, x, num_directions=3, rng=np.random.default_rng(7))
    other = zeroth.gradient(f, x, num_directions=3, rng=np.random.default_rng(8))
    np.testing.assert_array_equal(first.estimate, again.estimate)
    assert not np.allclose(first.estimate, other.estimate)


def test_pytree_points():
    rng = np.random.default_rng(5)
    p = {"w": rng.standard_normal((2, 2)), "b": rng.standard_normal(3)}

    def f(p):
        return wnp.sum(p["w"] ** 2) + wnp.sum(wnp.sin(p["b"])) + p["w"][0, 1] * p["b"][2]

    exact = wg.grad(f)(p)
    est = zeroth.gradient(f, p, method="central")
    assert est.num_evals == 14
    for key, value in p.items():
        assert est.estimate[key].shape == value.shape
        np.testing.assert_allclose(est.estimate[key], exact[key], atol=1e-8)
    rand = zeroth.gradient(f, p, num_directions=2, rng=np.random.default_rng(0))
    assert rand.estimate["w"].shape == (2, 2) and rand.stderr["b"].shape == (3,)


def test_bad_arguments_are_explained():
    f, _, x, _ = _quadratic()
    with pytest.raises(WengertValueError, match="method must be one of"):
        zeroth.gradient(f, x, method="spherical")
    with pytest.raises(WengertValueError, match="eps must be a positive"):
        zeroth.gradient(f, x, eps=0.0)
    with pytest.raises(WengertValueError, match="num_directions"):
        zeroth.gradient(f, x, num_directions=0)
    with pytest.raises(WengertTypeError, match="floating"):
        zeroth.gradient(f, np.arange(D))
    with pytest.raises(WengertValueError, match="must return a scalar"):
        zeroth.gradient(lambda x: x, x, method="central")
