"""``wengert.scipy.special``: the public functions (the primitives' rules are tested in
tests/primitives/test_scipy_special.py). Values against SciPy, the compositions
(``softmax``, ``log_softmax``, ``multigammaln``) to second order in both modes, closed forms
(d logsumexp = softmax, the softmax Jacobian) and the edge cases of ``logsumexp``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.special as sc

import wengert as wg
import wengert.numpy as wnp
from wengert.core.errors import WengertTypeError, WengertValueError
from wengert.scipy import special as S
from wengert.testing import check_grads, check_jvp_vjp_consistency

SURFACE = [  # SURFACE.md, wengert.scipy special
    "logsumexp", "expit", "logit", "erf", "erfc", "erfinv", "erfcinv", "gamma", "gammaln",
    "gammasgn", "rgamma", "digamma", "psi", "polygamma", "multigammaln", "beta", "betaln",
    "betainc", "gammainc", "gammaincc", "xlogy", "xlog1py", "softmax", "log_softmax", "i0", "i1",
    "iv", "ive", "j0", "j1", "jn", "y0", "y1", "yn",
]


def test_every_surface_name_is_provided():
    assert set(SURFACE) <= set(S.__all__)
    for name in S.__all__:
        assert callable(getattr(S, name)) and getattr(S, name).__doc__


def _traced_value(f, *args):
    return wg.jvp(f, args, tuple(np.zeros_like(a) for a in args))[0]


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_matches_scipy(axis, keepdims):
    a = np.random.default_rng(0).standard_normal((2, 3)) * 30
    b = np.array([[1.0, -0.5, 2.0], [0.0, 3.0, -1.0]])
    for kw in ({}, {"b": b}, {"b": b, "return_sign": True}):
        ref = sc.logsumexp(a, axis=axis, keepdims=keepdims, **kw)

        def f(a, kw=kw):
            return S.logsumexp(a, axis=axis, keepdims=keepdims, **kw)

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = _traced_value(f, a)
        for got, want in zip(out if kw.get("return_sign") else (out,),
                             ref if kw.get("return_sign") else (ref,)):
            np.testing.assert_array_equal(got, want)
            assert np.shape(got) == np.shape(want)


def test_logsumexp_gradient_is_softmax():
    a = np.random.default_rng(1).standard_normal((3, 4))
    g = wg.grad(lambda a: wnp.sum(S.logsumexp(a, axis=1)))(a)
    np.testing.assert_allclose(g, sc.softmax(a, axis=1), rtol=1e-14)
    h = wg.hessian(lambda v: S.logsumexp(v))(a[0])
    s = sc.softmax(a[0])
    np.testing.assert_allclose(h, np.diag(s) - np.outer(s, s), rtol=1e-12, atol=1e-15)


def test_logsumexp_with_minus_inf_entries():
    a = np.array([-np.inf, 0.0, np.log(3.0), -np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _traced_value(S.logsumexp, a) == sc.logsumexp(a)
        g = wg.grad(S.logsumexp)(a)
        _, t = wg.jvp(S.logsumexp, (a,), (np.ones(4),))
    np.testing.assert_allclose(g, [0.0, 0.25, 0.75, 0.0], rtol=1e-15)
    assert t == pytest.approx(1.0, rel=1e-15)
    # Every entry -inf: the value is -inf and the gradient 0 (not NaN).
    allinf = np.full(3, -np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = wg.grad(S.logsumexp)(allinf)
    assert _traced_value(S.logsumexp, allinf) == -np.inf
    np.testing.assert_array_equal(g, np.zeros(3))
    # Large entries neither overflow nor lose the small ones.
    big = np.array([1000.0, 1000.0 + np.log(3.0)])
    np.testing.assert_allclose(wg.grad(S.logsumexp)(big), [0.25, 0.75], rtol=1e-13)


def test_logsumexp_with_zero_weights_ignores_their_entries():
    a = np.array([np.inf, 0.0, 1.0])
    b = np.array([0.0, 1.0, 1.0])
    assert _traced_value(lambda a: S.logsumexp(a, b=b), a) == sc.logsumexp(a, b=b)
    g = wg.grad(lambda a: S.logsumexp(a, b=b))(a)
    np.testing.assert_allclose(g, [0.0, *sc.softmax(a[1:])], rtol=1e-14)


def test_logsumexp_negative_sum_is_nan_without_return_sign():
    a, b = np.array([0.0, 1.0]), np.array([1.0, -1.0])
    assert np.isnan(_traced_value(lambda a: S.logsumexp(a, b=b), a))
    out, sgn = S.logsumexp(wnp.asarray(a), b=b, return_sign=True)
    ref = sc.logsumexp(a, b=b, return_sign=True)
    assert out == ref[0] and sgn == ref[1] == -1


@pytest.mark.parametrize("fn, ref", [(S.softmax, sc.softmax), (S.log_softmax, sc.log_softmax)],
                         ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [None, 0, -1])
def test_softmax_family(fn, ref, axis):
    x = np.random.default_rng(2).standard_normal((2, 3))
    np.testing.assert_array_equal(_traced_value(lambda x: fn(x, axis=axis), x), ref(x, axis=axis))
    check_grads(lambda x: fn(x, axis=axis), (x,), order=2, modes=("fwd", "rev"))
    check_jvp_vjp_consistency(lambda x: fn(x, axis=axis), (x,))


def test_softmax_closed_forms():
    x = np.array([0.3, -1.2, 2.0, 0.1])
    s = sc.softmax(x)
    np.testing.assert_allclose(wg.jacfwd(S.softmax)(x), np.diag(s) - np.outer(s, s),
                               rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(wg.jacrev(S.log_softmax)(x), np.eye(4) - s, rtol=1e-13)
    # Large and -inf entries: values as SciPy, no warnings, finite gradients.
    y = np.array([1000.0, 1.0, -np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(_traced_value(S.log_softmax, y), sc.log_softmax(y))
        np.testing.assert_array_equal(_traced_value(S.softmax, y), sc.softmax(y))
        g = wg.grad(lambda y: S.log_softmax(y)[1])(y)
    np.testing.assert_allclose(g, [-1.0, 1.0, 0.0], atol=1e-300)


def test_multigammaln():
    a = np.array([2.2, 3.5, 1.7])
    for d in (1, 2, 3):
        np.testing.assert_allclose(_traced_value(lambda a, d=d: S.multigammaln(a, d), a),
                                   sc.multigammaln(a, d), rtol=1e-14)
        check_grads(lambda a, d=d: S.multigammaln(a, d), (a,), order=2, modes=("fwd", "rev"))
    g = wg.grad(lambda a: wnp.sum(S.multigammaln(a, 3)))(a)
    np.testing.assert_allclose(g, sum(sc.digamma(a - j / 2) for j in range(3)), rtol=1e-14)
    with pytest.raises(WengertValueError, match="a > \\(d - 1\\) / 2"):
        wg.grad(lambda a: wnp.sum(S.multigammaln(a, 5)))(a)
    with pytest.raises(WengertValueError, match="positive integer"):
        wg.grad(lambda a: wnp.sum(S.multigammaln(a, 0)))(a)


def test_polygamma_with_an_array_of_orders():
    n = np.array([0, 1, 2, 3])
    x = np.array([1.5, 0.7, 2.2, 3.0])
    np.testing.assert_array_equal(_traced_value(lambda x: S.polygamma(n, x), x),
                                  sc.polygamma(n, x))
    g = wg.grad(lambda x: wnp.sum(S.polygamma(n, x)))(x)
    np.testing.assert_allclose(g, sc.polygamma(n + 1, x), rtol=1e-13)
    check_grads(lambda x: S.polygamma(n, x), (x,), order=2, modes=("fwd", "rev"))
    # A scalar x broadcast against the orders.
    g = wg.grad(lambda x: wnp.sum(S.polygamma(n, x)))(1.5)
    assert g == pytest.approx(np.sum(sc.polygamma(n + 1, 1.5)), rel=1e-13)


def test_bessel_orders_broadcast_against_x():
    v = np.array([[0.0], [1.5], [3.0]])
    x = np.array([0.5, 1.0, 2.0, 4.0])
    for fn, ref, deriv in ((S.iv, sc.iv, sc.ivp), (S.jv, sc.jv, sc.jvp), (S.jn, sc.jn, sc.jvp)):
        np.testing.assert_array_equal(_traced_value(lambda x, fn=fn: fn(v, x), x), ref(v, x))
        g = wg.grad(lambda x, fn=fn: wnp.sum(fn(v, x)))(x)
        np.testing.assert_allclose(g, np.sum(deriv(v, x), axis=0), rtol=1e-13)
    n = np.array([[0], [1], [4]])
    g = wg.grad(lambda x: wnp.sum(S.yn(n, x)))(x)
    np.testing.assert_allclose(g, np.sum(sc.yvp(n, x), axis=0), rtol=1e-13)


def test_plain_inputs_call_scipy():
    x = np.array([0.5, 1.5])
    assert S.erf(x) is not None
    np.testing.assert_array_equal(S.gammaln(x), sc.gammaln(x))
    assert type(S.erf(0.5)) is type(sc.erf(0.5))
    np.testing.assert_array_equal(S.logsumexp(x, return_sign=True),
                                  sc.logsumexp(x, return_sign=True))


# --- complex input -----------------------------------------------------------------------------

_Z = np.array([0.3 + 0.4j, 1.2 - 0.5j, -0.7 + 0.9j])
_W = np.array([0.8 - 0.2j, 0.5 + 1.1j, 1.5 + 0.3j])

# Holomorphic where SciPy evaluates them at complex arguments: (function, args, order).
COMPLEX = {
    "erf": (lambda z: S.erf(z), (_Z,), 2),
    "erfc": (lambda z: S.erfc(z), (_Z,), 2),
    "ndtr": (lambda z: S.ndtr(z), (_Z,), 2),
    "log_ndtr": (lambda z: S.log_ndtr(z), (_Z,), 2),
    # Beyond the first order these need polygamma(n, z), which wengert evaluates itself.
    "gamma": (lambda z: S.gamma(z), (_Z + 1,), 2),
    "rgamma": (lambda z: S.rgamma(z), (_Z,), 2),
    "digamma": (lambda z: S.digamma(z), (_Z,), 2),
    "psi": (lambda z: S.psi(z), (_Z - 2,), 2),
    "xlogy": (lambda z, w: S.xlogy(z, w), (_Z, _W), 2),
    "xlog1py": (lambda z, w: S.xlog1py(z, w), (_Z, _W), 2),
    "iv": (lambda z: S.iv(1.5, z), (_Z,), 2),
    "jv": (lambda z: S.jv(0.5, z), (_Z,), 2),
    "jn": (lambda z: S.jn(2, z), (_Z,), 2),
    "logsumexp": (lambda z: S.logsumexp(z), (_Z,), 2),
    "logsumexp_b": (lambda z, w: S.logsumexp(z, b=w), (_Z, _W), 2),
    "softmax": (lambda z: S.softmax(z), (_Z,), 2),
    "log_softmax": (lambda z: S.log_softmax(z), (_Z,), 2),
}


def _scipy_value(name, *args):
    name = name.removesuffix("_b")
    fixed = {"iv": (1.5,), "jv": (0.5,), "jn": (2,)}.get(name, ())
    if name == "logsumexp" and len(args) == 2:
        return sc.logsumexp(args[0], b=args[1])
    return getattr(sc, name)(*fixed, *args)


@pytest.mark.parametrize("name", sorted(COMPLEX))
def test_complex_input_values_and_derivatives(name):
    f, args, order = COMPLEX[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = _traced_value(f, *args)
    want = _scipy_value(name, *args)
    assert got.dtype == np.complex128
    np.testing.assert_allclose(got, want, rtol=1e-13)
    check_grads(f, args, order=order, modes=("fwd", "rev"))
    check_jvp_vjp_consistency(f, args)


def test_complex_derivatives_are_the_closed_forms():
    J = wg.jacfwd(S.erf, holomorphic=True)(_Z)
    np.testing.assert_allclose(np.diag(J), 2 / np.sqrt(np.pi) * np.exp(-_Z ** 2), rtol=1e-13)
    g = wg.grad(lambda z: S.gamma(z), holomorphic=True)(np.complex128(1.5 + 0.5j))
    z = 1.5 + 0.5j
    np.testing.assert_allclose(g, sc.gamma(z) * sc.digamma(z), rtol=1e-13)
    J = wg.jacrev(lambda z: S.logsumexp(z, axis=0), holomorphic=True)(_Z)
    np.testing.assert_allclose(J, np.exp(_Z) / np.exp(_Z).sum(), rtol=1e-13)
    g = wg.grad(lambda w: S.xlogy(w, 2.0 + 1j), holomorphic=True)(np.complex128(0.5j))
    np.testing.assert_allclose(g, np.log(2.0 + 1j), rtol=1e-14)


def test_complex_logsumexp_with_return_sign_is_scipys_pair():
    out, sgn = _traced_value(lambda z: S.logsumexp(z, b=_W, return_sign=True), _Z)
    want_out, want_sgn = sc.logsumexp(_Z, b=_W, return_sign=True)
    np.testing.assert_allclose(out, want_out, rtol=1e-13)
    np.testing.assert_allclose(sgn, want_sgn, rtol=1e-13)
    check_grads(lambda z: S.logsumexp(z, b=_W, return_sign=True)[0], (_Z,), order=2)


def _cauchy_derivative(f, n, z, r=0.25, m=128):
    """``f⁽ⁿ⁾(z)`` by the trapezoidal Cauchy integral on a circle of radius ``r``."""
    theta = 2 * np.pi * np.arange(m) / m
    samples = f(z[..., None] + r * np.exp(1j * theta))
    return math.factorial(n) / (m * r**n) * np.sum(samples * np.exp(-1j * n * theta), axis=-1)


def test_complex_polygamma_values():
    # SciPy's polygamma takes real x only: check wengert's complex evaluation against it on the
    # real axis, against a Cauchy integral of SciPy's complex digamma, and against reflection.
    x = np.array([0.1, 0.5, 1.0, 2.5, 7.3, 14.9, 30.0, 200.0, -0.5, -3.7, -20.3])
    for n in range(1, 7):
        np.testing.assert_allclose(S.polygamma(n, x + 0j), sc.polygamma(n, x), rtol=1e-13)
    rng = np.random.default_rng(3)
    z = rng.uniform(-8, 20, 100) + 1j * rng.choice([-1, 1], 100) * rng.uniform(0.6, 10, 100)
    np.testing.assert_allclose(S.polygamma(1, z), _cauchy_derivative(sc.psi, 1, z), rtol=1e-12)
    # psi1(1 - z) + psi1(z) = pi² / sin²(pi z), and its derivative, scaled by the terms' size.
    z = rng.uniform(-6, 6, 100) + 1j * rng.uniform(-3, 3, 100)
    s, c = np.sin(np.pi * z), np.cos(np.pi * z)
    p1, q1 = S.polygamma(1, z), S.polygamma(1, 1 - z)
    assert np.max(np.abs(p1 + q1 - np.pi**2 / s**2) / (np.abs(p1) + np.abs(q1))) < 1e-13
    p2, q2 = S.polygamma(2, z), S.polygamma(2, 1 - z)
    assert np.max(np.abs(p2 - q2 + 2 * np.pi**3 * c / s**3) / (np.abs(p2) + np.abs(q2))) < 1e-13
    # Far left of the real axis (many recurrence steps) and conjugate symmetry.
    far = np.array([-300.5 + 0.7j, -50.5 + 3j])
    np.testing.assert_allclose(S.polygamma(1, far), _cauchy_derivative(sc.psi, 1, far),
                               rtol=1e-12)
    np.testing.assert_array_equal(S.polygamma(3, np.conj(z)), np.conj(S.polygamma(3, z)))
    np.testing.assert_allclose(S.polygamma(0, z), sc.psi(z), rtol=1e-15)
    assert np.isnan(S.polygamma(-1, 1.0 + 1j))


def test_complex_digamma_derivatives_are_polygammas():
    z = _Z + 1
    np.testing.assert_allclose(_traced_value(S.digamma, z), sc.digamma(z), rtol=1e-13)
    np.testing.assert_allclose(wg.jacfwd(S.psi, holomorphic=True)(z),
                               np.diag(S.polygamma(1, z)), rtol=1e-13)
    g2 = wg.grad(wg.grad(S.gamma, holomorphic=True), holomorphic=True)(np.complex128(z[0]))
    want = sc.gamma(z[0]) * (sc.digamma(z[0]) ** 2 + S.polygamma(1, z[0]))
    np.testing.assert_allclose(g2, want, rtol=1e-13)
    check_grads(lambda z: S.polygamma(2, z), (_Z,), order=2, modes=("fwd", "rev"))


NO_COMPLEX = {  # traced complex input raises a clear error instead of SciPy's deep TypeError
    "expit": lambda z: S.expit(z), "logit": lambda z: S.logit(z),
    "erfinv": lambda z: S.erfinv(z), "erfcinv": lambda z: S.erfcinv(z),
    "gammaln": lambda z: S.gammaln(z), "gammasgn": lambda z: S.gammasgn(z),
    "beta": lambda z: S.beta(z, 2.0), "betaln": lambda z: S.betaln(2.0, z),
    "betainc": lambda z: S.betainc(2.0, 3.0, z), "betaincc": lambda z: S.betaincc(2.0, 3.0, z),
    "gammainc": lambda z: S.gammainc(2.0, z), "gammaincc": lambda z: S.gammaincc(2.0, z),
    "stdtr": lambda z: S.stdtr(3.0, z), "i0": lambda z: S.i0(z), "i1": lambda z: S.i1(z),
    "j0": lambda z: S.j0(z), "j1": lambda z: S.j1(z), "y0": lambda z: S.y0(z),
    "y1": lambda z: S.y1(z), "yn": lambda z: S.yn(2, z),
    "polygamma": lambda z: S.polygamma(z, 1.5), "multigammaln": lambda z: S.multigammaln(z, 2),
    "iv": lambda z: S.iv(z, 1.5),  # a complex order
}


@pytest.mark.parametrize("name", sorted(NO_COMPLEX))
def test_complex_input_without_a_scipy_loop_is_refused(name):
    with pytest.raises(WengertTypeError, match=f"special.{name}: expected a real argument.*"
                       "SciPy does not evaluate"):
        wg.jvp(NO_COMPLEX[name], (_Z,), (np.ones_like(_Z),))


def test_complex_ive_is_refused_as_not_holomorphic():
    with pytest.raises(WengertTypeError, match="ive.*not holomorphic"):
        wg.jvp(lambda z: S.ive(1.5, z), (_Z,), (np.ones_like(_Z),))
