"""Tests for wengert.optim: convergence, rates, histories, schedules and the SciPy bridge."""

import numpy as np
import pytest

import wengert.numpy as wnp
from wengert import optim
from wengert.core.errors import WengertTypeError, WengertValueError

LAMBDAS = np.array([1.0, 2.0, 5.0, 10.0])  # μ = 1, L = 10


def _quadratic(seed=0, d=4):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    a = q @ np.diag(np.linspace(1.0, 10.0, d)) @ q.T
    b = rng.standard_normal(d)

    def f(x):
        return 0.5 * wnp.sum(x * (a @ x)) + wnp.sum(b * x)

    return f, -np.linalg.solve(a, b)


def _diagonal(x):
    return 0.5 * wnp.sum(LAMBDAS * x * x)


def _rosenbrock(p):
    x, y = p
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def test_gd_follows_the_linear_rate_on_a_diagonal_quadratic():
    steps, big_l, mu = 30, LAMBDAS.max(), LAMBDAS.min()
    res = optim.gd(_diagonal, np.ones(4), steps=steps, lr=1 / big_l)
    k = np.arange(steps)
    # x_k = (1 − λ_i/L)^k x_0 exactly, so the loss is ½ Σ λ_i (1 − λ_i/L)^{2k}.
    expected = 0.5 * np.sum(LAMBDAS * (1 - LAMBDAS / big_l) ** (2 * k[:, None]), axis=1)
    np.testing.assert_allclose(res.history.loss, expected, rtol=1e-10)
    np.testing.assert_allclose(res.x, (1 - LAMBDAS / big_l) ** steps, rtol=1e-10)
    # The slowest mode sets the rate: f(x_k)/f(x_0) ≤ (1 − μ/L)^{2k}, and tends to it.
    ratio = res.history.loss / res.history.loss[0]
    assert np.all(ratio <= (1 - mu / big_l) ** (2 * k) * (1 + 1e-12))
    np.testing.assert_allclose(ratio[-1] / (1 - mu / big_l) ** (2 * k[-1]),
                               LAMBDAS[0] / LAMBDAS.sum(), rtol=1e-2)


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        (optim.gd, {"lr": 0.1}),
        (optim.momentum, {"lr": 0.05, "beta": 0.5}),
        (optim.momentum, {"lr": 0.05, "beta": 0.5, "nesterov": True}),
        (optim.adam, {"lr": lambda k: 0.1 / (1 + k / 50)}),
    ],
)
def test_first_order_methods_converge_on_a_strongly_convex_quadratic(method, kwargs):
    f, x_star = _quadratic()
    steps = 400
    res = method(f, np.zeros(4), steps=steps, **kwargs)
    assert np.linalg.norm(res.x - x_star) < 1e-5
    h = res.history
    assert len(h) == steps
    for column in (h.loss, h.grad_norm, h.num_evals, h.num_grads, h.time, h.lr):
        assert column.shape == (steps,)
    np.testing.assert_array_equal(h.num_evals, np.arange(1, steps + 1))
    np.testing.assert_array_equal(h.num_grads, np.arange(1, steps + 1))
    assert np.all(np.diff(h.time) >= 0)
    assert res.loss <= h.loss[-1] + 1e-12


def test_nesterov_beats_heavy_ball_and_gd_on_an_ill_conditioned_quadratic():
    f, x_star = _quadratic()
    errors = {}
    for name, run in {
        "gd": lambda: optim.gd(f, np.zeros(4), steps=60, lr=0.1),
        "nesterov": lambda: optim.momentum(f, np.zeros(4), steps=60, lr=0.1, beta=0.5,
                                           nesterov=True),
    }.items():
        errors[name] = np.linalg.norm(run().x - x_star)
    assert errors["nesterov"] < errors["gd"]


def test_schedules_are_called_per_step_and_recorded():
    lr = lambda k: 0.1 / (1 + k)
    res = optim.gd(_diagonal, np.ones(4), steps=5, lr=lr)
    np.testing.assert_allclose(res.history.lr, [0.1 / (1 + k) for k in range(5)])
    x = np.ones(4)
    for k in range(5):
        x = x - lr(k) * LAMBDAS * x
    np.testing.assert_allclose(res.x, x, rtol=1e-12)


def test_pytree_x0_keeps_its_structure():
    def f(p):
        return wnp.sum((p["w"] - 1.0) ** 2) + wnp.sum((p["b"] + 2.0) ** 2)

    res = optim.gd(f, {"w": np.zeros((2, 2)), "b": np.zeros(3)}, steps=60, lr=0.25)
    np.testing.assert_allclose(res.x["w"], np.ones((2, 2)))
    np.testing.assert_allclose(res.x["b"], -2 * np.ones(3))


def test_zeroth_gd_converges_on_a_small_quadratic():
    f, x_star = _quadratic(d=3)
    res = optim.zeroth_gd(f, np.zeros(3), steps=600, lr=1 / (3 * 10.0), method="sphere",
                          rng=np.random.default_rng(0))
    assert np.linalg.norm(res.x - x_star) < 1e-4
    h = res.history
    np.testing.assert_array_equal(h.num_evals, 2 * np.arange(1, 601))
    np.testing.assert_array_equal(h.num_grads, np.zeros(600))
    again = optim.zeroth_gd(f, np.zeros(3), steps=600, lr=1 / 30.0, method="sphere",
                            rng=np.random.default_rng(0))
    np.testing.assert_array_equal(res.x, again.x)


def test_zeroth_gd_with_central_differences_tracks_gd():
    f, _ = _quadratic()
    exact = optim.gd(f, np.zeros(4), steps=20, lr=0.1)
    central = optim.zeroth_gd(f, np.zeros(4), steps=20, lr=0.1, method="central")
    np.testing.assert_allclose(central.x, exact.x, atol=1e-8)
    np.testing.assert_allclose(central.history.loss, exact.history.loss, atol=1e-8)
    np.testing.assert_array_equal(central.history.num_evals, 8 * np.arange(1, 21))


def test_zero_steps_give_an_empty_history():
    res = optim.adam(_diagonal, np.ones(4), steps=0)
    assert len(res.history) == 0 and res.history.num_evals.dtype == np.int64
    np.testing.assert_array_equal(res.x, np.ones(4))


@pytest.mark.parametrize(
    ("method", "hessp"), [("BFGS", False), ("Newton-CG", True), ("trust-ncg", True)]
)
def test_scipy_minimize_solves_rosenbrock(method, hessp):
    # x0 is a tuple: the bridge must not mistake it for several arguments.
    x0 = (np.array(-1.2), np.array(1.0))
    options = {"gtol": 1e-10} if method != "Newton-CG" else {"xtol": 1e-12}
    res = optim.scipy_minimize(_rosenbrock, x0, method=method, hessp=hessp, options=options)
    assert res.success, res.message
    assert isinstance(res.x, tuple) and len(res.x) == 2
    np.testing.assert_allclose(np.array(res.x, dtype=float), [1.0, 1.0], atol=1e-6)
    if hessp:
        assert res.nhev > 0


def test_scipy_minimize_with_a_dict_pytree():
    def f(p):
        return _rosenbrock((p["x"][0], p["x"][1])) + wnp.sum((p["c"] - 3.0) ** 2)

    res = optim.scipy_minimize(f, {"x": np.array([-1.2, 1.0]), "c": np.zeros(2)},
                               method="trust-ncg", hessp=True, options={"gtol": 1e-10})
    np.testing.assert_allclose(res.x["x"], [1.0, 1.0], atol=1e-6)
    np.testing.assert_allclose(res.x["c"], [3.0, 3.0], atol=1e-6)
    assert res.jac["c"].shape == (2,)


def test_bad_arguments_are_explained():
    with pytest.raises(WengertValueError, match="steps must be"):
        optim.gd(_diagonal, np.ones(4), steps=-1)
    with pytest.raises(WengertValueError, match="lr must be"):
        optim.gd(_diagonal, np.ones(4), lr=-0.1)
    with pytest.raises(WengertTypeError, match="floating"):
        optim.gd(_diagonal, np.arange(4))
    with pytest.raises(WengertValueError, match="beta"):
        optim.momentum(_diagonal, np.ones(4), beta=1.0)
    with pytest.raises(WengertValueError, match="jac and hess"):
        optim.scipy_minimize(_diagonal, np.ones(4), jac=True)
