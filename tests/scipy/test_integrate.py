"""``wengert.scipy.integrate.odeint``: values and derivatives against closed forms.

Exponential decay y' = -k y (values and derivatives in y0, k and t, forward and reverse mode,
against y0 exp(-k (t - t0))); a 2-D linear system y' = A y against expm(t A) y0 and against
the derivative of wengert's own expm (an independent rule); a nonlinear, time-dependent system
against finite differences. The solver runs at rtol = atol = 1e-11, so derivatives are checked
to about 1e-6. Second derivatives (grad of grad, hessian, jvp of grad, forward over forward):
exponential decay against the closed-form Hessian in (y0, k, t), a linear system's Hessian in
its matrix against finite differences of its gradient, and check_grads(order=2) on a pendulum.
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


def _decay_end(x):
    """y0 exp(-k t1) from x = (y0, k, t1), by the solver, from t0 = 0."""
    t = wnp.concatenate([np.zeros(1), x[2:3]])
    return odeint(decay, x[0:1], t, args=(x[1],), rtol=1e-10, atol=1e-10)[-1, 0]


def test_second_derivatives_of_exponential_decay_match_the_closed_form():
    x = np.array([1.5, 0.8, 1.2])
    y0, k, t = x
    e = np.exp(-k * t)
    # The Hessian of y0 exp(-k t) in (y0, k, t).
    want = np.array([[0.0, -t * e, -k * e],
                     [-t * e, y0 * t * t * e, y0 * e * (k * t - 1)],
                     [-k * e, y0 * e * (k * t - 1), y0 * k * k * e]])
    # Forward over reverse and reverse over reverse.
    for hess in (wg.hessian(_decay_end), wg.jacrev(wg.grad(_decay_end))):
        np.testing.assert_allclose(hess(x), want, rtol=1e-6, atol=1e-8)
    g_kk = wg.grad(wg.grad(lambda k: _decay_end(wnp.stack([y0, k, t]))))(k)
    np.testing.assert_allclose(g_kk, y0 * t * t * e, rtol=1e-6)
    v, w = np.array([0.3, -1.0, 0.5]), np.array([-0.7, 0.2, 1.1])
    _, hv = wg.jvp(wg.grad(_decay_end), (x,), (v,))
    np.testing.assert_allclose(hv, want @ v, rtol=1e-6, atol=1e-8)
    # Forward over forward: wᵀ H v.
    _, whv = wg.jvp(lambda x: wg.jvp(_decay_end, (x,), (v,))[1], (x,), (w,))
    np.testing.assert_allclose(whv, w @ want @ v, rtol=1e-6, atol=1e-8)


def test_hessian_of_a_linear_system_matches_finite_differences_of_the_gradient():
    a = np.array([[-0.5, 1.0], [-1.0, -0.2]])
    y0, t, w = np.array([1.0, 0.5]), np.array([0.0, 0.6, 1.0]), np.array([0.3, -1.2])

    def loss(a):
        ys = odeint(lambda y, t, a: a @ y, y0, t, args=(a,), rtol=1e-10, atol=1e-10)
        return wnp.sum(w * ys[-1]) + wnp.sum(ys[1] ** 2)

    h = wg.hessian(loss)(a).reshape(4, 4)
    grad = wg.grad(loss)
    eps = 1e-4
    fd = np.stack([(grad(a + eps * d.reshape(2, 2)) - grad(a - eps * d.reshape(2, 2))).ravel()
                   / (2 * eps) for d in np.eye(4)], axis=1)
    np.testing.assert_allclose(h, fd, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(h, h.T, rtol=1e-6, atol=1e-8)


def test_second_order_check_grads_on_a_nonlinear_system():
    t = np.array([0.0, 0.5, 1.0])
    f = lambda y0, d, c: odeint(_pendulum, y0, t, args=(d, c), rtol=1e-10, atol=1e-10)[-1]
    args = (np.array([0.4, -0.1]), np.array(0.3), np.array(0.5))
    # Mode by mode: check_grads' exact JVP-versus-VJP cross-check (1e-9) is tighter than the
    # solver, and the two modes solve different auxiliary systems.
    for mode in ("fwd", "rev"):
        check_grads(f, args, order=2, modes=(mode,), rtol=1e-4, atol=1e-6)


def test_unsupported_options_and_bad_states_raise():
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
