"""``wengert.scipy.integrate.odeint``: values and derivatives against closed forms.

Exponential decay y' = -k y (values and derivatives in y0, k and t, forward and reverse mode,
against y0 exp(-k (t - t0))); a 2-D linear system y' = A y against expm(t A) y0 and against
the derivative of wengert's own expm (an independent rule); a nonlinear, time-dependent system
against finite differences. The solver runs at rtol = atol = 1e-11, so derivatives are checked
to about 1e-6.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate as si
import scipy.linalg as sl

import wengert as wg
import wengert.numpy as wnp
from wengert.core.errors import UnsupportedError, WengertValueError
from wengert.scipy.integrate import odeint
from wengert.scipy.linalg import expm
from wengert.testing import check_grads, check_jvp_vjp_consistency

TOL = {"rtol": 1e-11, "atol": 1e-11}
T = np.array([0.2, 0.7, 1.5, 2.0])


def decay(y, t, k):
    return -k * y


def _decay(y0, t, k):
    return odeint(decay, y0, t, args=(k,), **TOL)


def test_exponential_decay_values_and_gradients_match_the_closed_form():
    y0, k = np.array([2.0, -1.0]), np.array(0.8)
    expected = y0 * np.exp(-k * (T - T[0]))[:, None]
    np.testing.assert_allclose(_decay(y0, T, k), expected, rtol=1e-9)
    u = np.random.default_rng(0).standard_normal(expected.shape)
    # Closed-form derivatives of Σ u · y0 exp(-k (t - t0)).
    e = np.exp(-k * (T - T[0]))[:, None]
    g_y0 = np.sum(u * e, axis=0)
    g_k = np.sum(u * y0 * e * -(T - T[0])[:, None])
    g_t = np.sum(u * y0 * e * -k, axis=1)
    g_t[0] = -np.sum(g_t[1:])
    loss = lambda y0, t, k: wnp.sum(u * _decay(y0, t, k))
    grads = wg.grad(loss, argnums=(0, 1, 2))(y0, T, k)
    for got, want in zip(grads, (g_y0, g_t, g_k)):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)
    # Forward mode along each argument gives the same numbers.
    for i, want in enumerate((g_y0, g_t, g_k)):
        args = [y0, T, k]
        tangent = [np.zeros_like(a, dtype=float) for a in args]
        basis = np.zeros(np.size(args[i]))
        for j in range(basis.size):
            basis[:] = 0
            basis[j] = 1
            tangent[i] = basis.reshape(np.shape(args[i]))
            _, d = wg.jvp(loss, tuple(args), tuple(tangent))
            np.testing.assert_allclose(d, np.ravel(want)[j], rtol=1e-7, atol=1e-9)


def test_linear_system_matches_expm_and_its_derivative():
    a = np.array([[-0.5, 1.0], [-1.0, -0.2]])
    y0 = np.array([1.0, 0.5])
    t = np.array([0.0, 0.5, 1.0])
    ys = odeint(lambda y, t, a: a @ y, y0, t, args=(a,), **TOL)
    np.testing.assert_allclose(ys, [sl.expm(s * a) @ y0 for s in t], rtol=1e-9, atol=1e-10)
    # d/dA of y(1) = expm(A) y0, once by the adjoint and once through expm's Fréchet rule.
    w = np.array([0.3, -1.2])
    g_ode = wg.grad(lambda a: wnp.sum(w * odeint(lambda y, t, a: a @ y, y0, t, args=(a,),
                                                 **TOL)[-1]))(a)
    g_expm = wg.grad(lambda a: wnp.sum(w * (expm(a) @ y0)))(a)
    np.testing.assert_allclose(g_ode, g_expm, rtol=1e-7, atol=1e-10)
    _, d_ode = wg.jvp(lambda a: odeint(lambda y, t, a: a @ y, y0, t, args=(a,), **TOL)[-1],
                      (a,), (np.eye(2),))
    np.testing.assert_allclose(d_ode, wg.jvp(lambda a: expm(a) @ y0, (a,), (np.eye(2),))[1],
                               rtol=1e-7, atol=1e-10)


def _pendulum(y, t, damping, force):
    return wnp.stack([y[1], -damping * y[1] - wnp.sin(y[0]) + force * wnp.cos(t)])


def test_nonlinear_time_dependent_system_against_finite_differences():
    f = lambda y0, t, d, c: odeint(_pendulum, y0, t, args=(d, c), **TOL)
    args = (np.array([0.4, -0.1]), T, np.array(0.3), np.array(0.5))
    check_grads(f, args, order=1, rtol=1e-6, atol=1e-7)
    check_jvp_vjp_consistency(f, args, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(
        f(*args), si.odeint(lambda y, t: np.asarray(_pendulum(y, t, 0.3, 0.5)), args[0], T,
                            **TOL), rtol=1e-12)


def test_jacfwd_and_jacrev_agree():
    f = lambda y0: odeint(decay, y0, T, args=(0.5,), **TOL)[-1]
    y0 = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(wg.jacfwd(f)(y0), wg.jacrev(f)(y0), rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(wg.jacrev(f)(y0), np.exp(-0.5 * 1.8) * np.eye(3), rtol=1e-7,
                               atol=1e-10)


def test_scalar_state_and_plain_call():
    out = odeint(decay, 1.0, T, args=(0.5,))
    np.testing.assert_array_equal(out, si.odeint(decay, 1.0, T, args=(0.5,)))
    g = wg.grad(lambda y0: odeint(decay, y0, T, args=(0.5,), **TOL)[-1, 0])(1.0)
    np.testing.assert_allclose(g, np.exp(-0.5 * 1.8), rtol=1e-8)


def test_second_derivatives_and_unsupported_options_raise():
    f = lambda k: odeint(decay, np.array([1.0]), T, args=(k,))[-1, 0]
    with pytest.raises(UnsupportedError, match="first derivatives only"):
        wg.grad(wg.grad(f))(0.5)
    with pytest.raises(UnsupportedError, match="first derivatives only"):
        wg.hessian(f)(0.5)
    with pytest.raises(UnsupportedError, match="full_output"):
        wg.grad(lambda k: odeint(decay, np.array([1.0]), T, args=(k,), full_output=1)[0][-1, 0])(
            0.5)
    with pytest.raises(WengertValueError, match="y0 to be a scalar or a 1-D array"):
        wg.grad(lambda y: wnp.sum(odeint(decay, y, T, args=(0.5,))))(np.ones((2, 2)))


def test_vmap_solves_each_example_and_gives_per_example_gradients():
    ks = np.array([0.2, 0.5, 1.0])
    y0 = np.array([1.5])
    ys = wg.vmap(lambda k: _decay(y0, T, k))(ks)
    np.testing.assert_allclose(ys[:, -1, 0], 1.5 * np.exp(-ks * 1.8), rtol=1e-9)
    g = wg.vmap(wg.grad(lambda k: _decay(y0, T, k)[-1, 0]))(ks)
    np.testing.assert_allclose(g, -1.8 * 1.5 * np.exp(-ks * 1.8), rtol=1e-7)
