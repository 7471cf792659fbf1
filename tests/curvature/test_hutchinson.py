"""Hutchinson and Hutch++ trace estimates, the diagonal estimate, and function input."""

import numpy as np
import pytest

import wengert.numpy as wnp
from wengert.core.errors import WengertValueError
from wengert.curvature import LinearOperator, diagonal, hessian, trace


def _spd(n, seed):
    g = np.random.default_rng(seed).standard_normal((n, n))
    return g @ g.T / n + np.eye(n)


@pytest.mark.parametrize("method", ["hutchinson", "hutch++"])
@pytest.mark.parametrize("probe", ["rademacher", "gaussian"])
def test_trace_is_unbiased_within_standard_errors(method, probe):
    a = _spd(30, 1)
    rng = np.random.default_rng(2)
    runs = [trace(a, num_probes=24, method=method, probe=probe, rng=rng) for _ in range(200)]
    estimates = np.array([r.estimate for r in runs])
    assert all(r.num_matvecs == 24 for r in runs)
    # The mean of 200 runs is within 4 standard errors of the truth ...
    spread = estimates.std(ddof=1)
    assert abs(estimates.mean() - np.trace(a)) < 4 * spread / np.sqrt(len(runs))
    # ... and the reported standard error agrees with the spread over repeats.
    reported = np.sqrt(np.mean([r.stderr**2 for r in runs]))
    assert 0.7 < reported / spread < 1.4


def test_gaussian_hutchinson_variance_is_two_frobenius_squared_over_m():
    a = _spd(20, 3)
    rng = np.random.default_rng(4)
    estimates = [trace(a, num_probes=10, probe="gaussian", rng=rng).estimate for _ in range(400)]
    expected = 2 * np.sum(a**2) / 10
    assert 0.8 < np.var(estimates, ddof=1) / expected < 1.25


def test_hutch_plus_plus_beats_hutchinson_on_low_rank_plus_noise():
    rng = np.random.default_rng(5)
    n = 200
    u, _ = np.linalg.qr(rng.standard_normal((n, 10)))
    a = u @ np.diag(np.linspace(100.0, 50.0, 10)) @ u.T + 0.1 * np.eye(n)
    op = LinearOperator(lambda v: a @ v, a.shape)
    err = {}
    for method in ("hutchinson", "hutch++"):
        est = [trace(op, num_probes=30, method=method, rng=rng).estimate for _ in range(30)]
        err[method] = np.sqrt(np.mean((np.array(est) - np.trace(a)) ** 2))
    assert err["hutch++"] < 0.2 * err["hutchinson"]


def test_diagonal_estimate():
    a = _spd(15, 6)
    r = diagonal(a, num_probes=400, rng=np.random.default_rng(7))
    assert r.estimate.shape == r.stderr.shape == (15,)
    assert np.all(np.abs(r.estimate - np.diag(a)) < 5 * r.stderr)


def test_quadratic_function_with_pytree_point():
    a = _spd(6, 8)

    def f(p):
        # ravel orders dict leaves by key: "b" before "m".
        v = wnp.concatenate([p["b"], wnp.reshape(p["m"], (-1,))])
        return 0.5 * v @ (a @ v)

    x = {"m": np.ones((2, 2)), "b": np.arange(2.0)}
    np.testing.assert_allclose(hessian(f, x), a, atol=1e-12)
    # Rademacher probes with many samples; also the exact sketch of Hutch++ with 3 k >= n.
    r = trace(f, x, num_probes=300, rng=np.random.default_rng(9))
    assert abs(r.estimate - np.trace(a)) < 4 * r.stderr
    exact = trace(f, x, num_probes=20, method="hutch++", rng=np.random.default_rng(9))
    np.testing.assert_allclose(exact.estimate, np.trace(a), rtol=1e-10)
    d = diagonal(f, x, num_probes=300, rng=np.random.default_rng(10))
    assert d.estimate["m"].shape == (2, 2) and d.estimate["b"].shape == (2,)


def test_results_are_frozen_and_errors_explained():
    r = trace(np.eye(3), num_probes=3)
    with pytest.raises(AttributeError):
        r.estimate = 0.0
    with pytest.raises(WengertValueError, match="probe"):
        trace(np.eye(3), probe="uniform")
    with pytest.raises(WengertValueError, match="num_probes"):
        trace(np.eye(3), num_probes=1)
    with pytest.raises(WengertValueError, match="omitted"):
        trace(LinearOperator(lambda v: v, (3, 3)), np.ones(3))
    with pytest.raises(WengertValueError, match="square"):
        LinearOperator(lambda v: v, (3, 2))
