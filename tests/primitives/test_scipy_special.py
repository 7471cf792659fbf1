"""Spec table for the SciPy special-function primitives (wengert/primitives/scipy_special.py).

Each row is (primitive, label, function of the differentiable arguments, SciPy reference,
arity, domain sampler, order, tolerance); orders of Bessel functions and ``polygamma``, and
the shape parameters of ``betainc``/``gammainc``/``stdtr``, are fixed constants inside the
function (the shape derivatives, by quadrature, have their own tests at the end). Every row is
checked over the shape set, to its order in forward and reverse mode against central
differences, by the exact ⟨u, J v⟩ = ⟨Jᵀu, v⟩ cross-check, and for value, shape and dtype
against SciPy (plain and traced, exactly equal, no warnings). ``logsumexp`` (a reduction) has
its axis/keepdims/``b`` table. Then closed forms: each derivative against the special
function it should be, computed by SciPy independently.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as st

import wengert as wg
import wengert.numpy as wnp
import wengert.scipy.special as S  # registers the primitives
from wengert.core.tracer import Tracer
from wengert.primitives import REGISTRY
from wengert.primitives import scipy_special as P
from wengert.primitives.registry import ShapeDtype
from wengert.testing import check_grads, check_jvp_vjp_consistency, check_values

COVERED_PRIMITIVES = {
    "erf", "erfc", "erfinv", "erfcinv", "ndtr", "log_ndtr", "expit", "logit", "digamma",
    "gamma", "gammaln", "rgamma", "gammasgn", "polygamma", "beta", "betaln", "betainc",
    "betaincc", "gammainc", "gammaincc", "stdtr", "xlogy", "xlog1py", "iv", "ive", "i0", "i1",
    "jv", "j0", "j1", "yn", "y0", "y1", "logsumexp", "gammainc_da", "betainc_dab",
}

SEED = 20240613

# --- domain samplers: sampler(rng, shapes) -> tuple of float64 arrays ------------------------


def _each(draw, name):
    def sample(rng, shapes):
        return tuple(np.asarray(draw(rng, s), dtype=np.float64) for s in shapes)

    sample.__name__ = name
    return sample


normal = _each(lambda rng, s: rng.standard_normal(s), "normal")
positive = _each(lambda rng, s: rng.uniform(0.5, 2.0, s), "positive")


def interval(lo, hi):
    return _each(lambda rng, s: rng.uniform(lo, hi, s), f"interval({lo}, {hi})")


away_from_zero = _each(
    lambda rng, s: rng.uniform(0.3, 2.0, s) * rng.choice([-1.0, 1.0], s), "away_from_zero"
)


def _normal_and_positive(rng, shapes):
    return normal(rng, shapes[:1]) + positive(rng, shapes[1:])


# --- the table --------------------------------------------------------------------------------


class Row(NamedTuple):
    name: str  # the primitive (REGISTRY key)
    label: str
    fn: Callable  # differentiable function binding the primitive
    reference: Callable  # SciPy
    arity: int
    sampler: Callable
    order: int = 2
    rtol: float = 1e-5


def _fixed(fn, *first):
    """``fn`` with its leading (non-differentiable) arguments fixed."""
    return lambda *xs: fn(*first, *xs)


U, B = 1, 2
SPEC = [
    Row("erf", "", S.erf, sc.erf, U, normal),
    Row("erfc", "", S.erfc, sc.erfc, U, normal),
    Row("erfinv", "", S.erfinv, sc.erfinv, U, interval(-0.9, 0.9)),
    Row("erfcinv", "", S.erfcinv, sc.erfcinv, U, interval(0.1, 1.9)),
    Row("ndtr", "", S.ndtr, sc.ndtr, U, normal),
    Row("log_ndtr", "", S.log_ndtr, sc.log_ndtr, U, normal),
    Row("log_ndtr", "left-tail", S.log_ndtr, sc.log_ndtr, U, interval(-30.0, -10.0)),
    Row("expit", "", S.expit, sc.expit, U, normal),
    Row("logit", "", S.logit, sc.logit, U, interval(0.1, 0.9)),
    Row("gamma", "", S.gamma, sc.gamma, U, positive),
    Row("gamma", "negative", S.gamma, sc.gamma, U, interval(-1.8, -1.2)),
    Row("gammaln", "", S.gammaln, sc.gammaln, U, positive),
    Row("gammaln", "negative", S.gammaln, sc.gammaln, U, interval(-0.8, -0.2)),
    Row("rgamma", "", S.rgamma, sc.rgamma, U, positive),
    Row("digamma", "", S.digamma, sc.digamma, U, positive),
    Row("digamma", "psi", S.psi, sc.psi, U, positive),
    Row("polygamma", "n=1", _fixed(S.polygamma, 1), _fixed(sc.polygamma, 1), U, positive),
    Row("polygamma", "n=3", _fixed(S.polygamma, 3), _fixed(sc.polygamma, 3), U, positive),
    Row("beta", "", S.beta, sc.beta, B, positive),
    Row("betaln", "", S.betaln, sc.betaln, B, positive),
    Row("betainc", "x", _fixed(S.betainc, 2.5, 1.5), _fixed(sc.betainc, 2.5, 1.5), U,
        interval(0.1, 0.9)),
    Row("betaincc", "x", _fixed(S.betaincc, 0.7, 3.0), _fixed(sc.betaincc, 0.7, 3.0), U,
        interval(0.1, 0.9)),
    Row("gammainc", "x", _fixed(S.gammainc, 2.5), _fixed(sc.gammainc, 2.5), U, positive),
    Row("gammaincc", "x", _fixed(S.gammaincc, 0.6), _fixed(sc.gammaincc, 0.6), U, positive),
    Row("stdtr", "t", _fixed(S.stdtr, 3.5), _fixed(sc.stdtr, 3.5), U, normal),
    Row("xlogy", "", S.xlogy, sc.xlogy, B, _normal_and_positive),
    Row("xlog1py", "", S.xlog1py, sc.xlog1py, B, _normal_and_positive),
    Row("iv", "v=1.5", _fixed(S.iv, 1.5), _fixed(sc.iv, 1.5), U, positive),
    Row("iv", "v=2", _fixed(S.iv, 2), _fixed(sc.iv, 2), U, normal),
    Row("ive", "v=1.5", _fixed(S.ive, 1.5), _fixed(sc.ive, 1.5), U, positive),
    Row("ive", "v=0", _fixed(S.ive, 0), _fixed(sc.ive, 0), U, away_from_zero),
    Row("i0", "", S.i0, sc.i0, U, normal),
    Row("i1", "", S.i1, sc.i1, U, normal),
    Row("jv", "v=2.5", _fixed(S.jv, 2.5), _fixed(sc.jv, 2.5), U, positive),
    Row("jv", "jn-n=3", _fixed(S.jn, 3), _fixed(sc.jn, 3), U, normal),
    Row("j0", "", S.j0, sc.j0, U, normal),
    Row("j1", "", S.j1, sc.j1, U, normal),
    Row("yn", "n=2", _fixed(S.yn, 2), _fixed(sc.yn, 2), U, positive),
    Row("y0", "", S.y0, sc.y0, U, positive),
    Row("y1", "", S.y1, sc.y1, U, positive),
]

_shape_rng = np.random.default_rng(SEED)
RANDOM_SHAPES = [tuple(int(n) for n in _shape_rng.integers(1, 4, size=k)) for k in (1, 2)]
SHAPES = [(), (1,), (3,), (2, 3), (0,), (2, 0, 3), *RANDOM_SHAPES]
BROADCAST = [((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), (3,))]


def _shape_sets(arity):
    same = [(s,) * arity for s in SHAPES]
    return same + BROADCAST if arity == 2 else same


def _sid(shapes):
    return "-".join("x".join(map(str, s)) or "scalar" for s in shapes)


def _rid(row):
    return row.name + (f"[{row.label}]" if row.label else "")


CASES = [
    pytest.param(row, shapes, id=f"{_rid(row)}-{_sid(shapes)}")
    for row in SPEC
    for shapes in _shape_sets(row.arity)
]


def _args(row, shapes, dtype=np.float64):
    args = row.sampler(np.random.default_rng(SEED), shapes)
    return tuple(np.asarray(a, dtype=dtype) for a in args)


def test_spec_covers_every_primitive_of_the_family():
    family = {n for n, p in REGISTRY.items() if p.family == "scipy_special"}
    assert family == COVERED_PRIMITIVES
    # The shape-derivative primitives have no SciPy reference: their tests are at the end.
    tabled = {r.name for r in SPEC} | {"logsumexp", "gammasgn", "gammainc_da", "betainc_dab"}
    assert tabled == COVERED_PRIMITIVES


@pytest.mark.parametrize("row, shapes", CASES)
def test_grads(row, shapes):
    args = _args(row, shapes)
    order = row.order if sum(a.size for a in args) <= 12 else 1
    check_grads(row.fn, args, order=order, modes=("fwd", "rev"), rtol=row.rtol)
    check_jvp_vjp_consistency(row.fn, args, rng=np.random.default_rng(1))


@pytest.mark.parametrize("row, shapes", CASES)
def test_value_shape_dtype_no_warnings(row, shapes):
    args = _args(row, shapes)
    check_values(row.fn, args, row.reference(*args))


FLOAT32_ROWS = [pytest.param(r, id=_rid(r)) for r in SPEC if r.name != "polygamma"]


@pytest.mark.parametrize("row", FLOAT32_ROWS)
def test_float32_in_float32_out(row):
    args = _args(row, ((3,),) * row.arity, dtype=np.float32)
    expected = np.asarray(row.reference(*args))
    out, tangent = wg.jvp(row.fn, args, args)
    np.testing.assert_array_equal(out, expected)
    # SciPy's loop decides: float32 for most, float64 where SciPy has no float32 loop for the
    # operand types (yn with an integer order, gammainc with a Python float shape).
    assert np.result_type(out) == expected.dtype
    assert np.result_type(tangent) == expected.dtype
    if row.name not in ("yn", "gammainc", "gammaincc"):
        assert expected.dtype == np.float32


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_shape_rules_agree_with_impl(dtype):
    for name in sorted(COVERED_PRIMITIVES - {"logsumexp"}):
        prim = REGISTRY[name]
        nin = {"polygamma": 2, "iv": 2, "ive": 2, "jv": 2, "yn": 2, "beta": 2, "betaln": 2,
               "betainc": 3, "betaincc": 3, "gammainc": 2, "gammaincc": 2, "stdtr": 2,
               "xlogy": 2, "xlog1py": 2, "gammainc_da": 2, "betainc_dab": 3}.get(name, 1)
        params = {"gammainc_da": {"k": 2}, "betainc_dab": {"j": 1, "k": 1}}.get(name, {})
        shapes = [(2, 3), (3,), (2, 1)][:nin]
        avals = [ShapeDtype(s, np.dtype(dtype)) for s in shapes]
        out = np.asarray(prim.impl(*[np.full(a.shape, 1, a.dtype) for a in avals], **params))
        assert prim.shape(*avals, **params) == (out.shape, out.dtype), (name, dtype)
    a = ShapeDtype((2, 3, 4), np.dtype("float32"))
    assert REGISTRY["logsumexp"].shape(a, axis=(0, 2), keepdims=False) == ((3,), np.float32)
    assert REGISTRY["logsumexp"].shape(a, a, axis=(1,), keepdims=True) == ((2, 1, 4),
                                                                           np.float32)


# --- logsumexp: axis, keepdims, b ---------------------------------------------------------------

LSE_CASES = [
    ((4,), None, False, False),
    ((2, 3), 1, False, False),
    ((2, 3), 0, True, False),
    ((2, 3, 2), (0, 2), False, False),
    ((2, 3), -1, True, True),
    ((3,), None, False, True),
    ((), None, False, False),
]


@pytest.mark.parametrize("shape, axis, keepdims, weighted", LSE_CASES)
def test_logsumexp_grads_and_values(shape, axis, keepdims, weighted):
    rng = np.random.default_rng(SEED)
    a = rng.standard_normal(shape)
    if weighted:
        b = rng.uniform(0.5, 2.0, shape)

        def f(a, b):
            return S.logsumexp(a, axis=axis, b=b, keepdims=keepdims)

        args = (a, b)
        expected = sc.logsumexp(a, axis=axis, b=b, keepdims=keepdims)
    else:

        def f(a):
            return S.logsumexp(a, axis=axis, keepdims=keepdims)

        args = (a,)
        expected = sc.logsumexp(a, axis=axis, keepdims=keepdims)
    order = 2 if a.size <= 6 else 1
    check_grads(f, args, order=order, modes=("fwd", "rev"))
    check_jvp_vjp_consistency(f, args, rng=np.random.default_rng(1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, _ = wg.jvp(f, args, args)
    np.testing.assert_array_equal(out, expected)
    assert np.shape(out) == np.shape(expected)


def test_logsumexp_with_cancelling_weights_is_signed():
    # b with negative entries: out = log|s|; the gradient is that of log|s|.
    a = np.array([0.3, -0.2, 1.1])
    b = np.array([1.0, -2.0, 0.5])

    def f(a, b):
        return S.logsumexp(a, b=b, return_sign=True)[0]

    check_grads(f, (a, b), order=2, modes=("fwd", "rev"))
    s = np.sum(b * np.exp(a))
    ga, gb = wg.grad(f, argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, b * np.exp(a) / s, rtol=1e-13)
    np.testing.assert_allclose(gb, np.exp(a) / s, rtol=1e-13)


def test_import_wengert_does_not_import_scipy_special():
    code = ("import sys, wengert, wengert.numpy, wengert.scipy; "
            "assert 'wengert.primitives.scipy_special' not in sys.modules; "
            "assert 'scipy.special' not in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "ok"


# --- closed forms: each derivative against the special function it should be ------------------


def _d(f, x):
    """Elementwise derivative of an elementwise f at the array x, by forward mode."""
    return wg.jvp(f, (x,), (np.ones_like(x),))[1]


def _rev(f, x):
    return wg.vjp(f, x)[1](np.ones_like(x))[0]


X = np.array([0.35, 0.9, 1.7, 3.2])


@pytest.mark.parametrize("d", [_d, _rev], ids=["fwd", "rev"])
def test_closed_form_derivatives(d):
    close = np.testing.assert_allclose
    close(d(S.gammaln, X), sc.digamma(X), rtol=1e-14)
    close(d(S.digamma, X), sc.polygamma(1, X), rtol=1e-14)
    close(d(lambda x: d(S.digamma, x), X), sc.polygamma(2, X), rtol=1e-13)
    close(d(S.erf, X), 2 / np.sqrt(np.pi) * np.exp(-X**2), rtol=1e-14)
    close(d(S.ndtr, X), st.norm.pdf(X), rtol=1e-14)
    close(d(S.log_ndtr, -10 * X), st.norm.pdf(-10 * X) / sc.ndtr(-10 * X), rtol=1e-12)
    close(d(S.erfinv, X / 4), 1 / (2 / np.sqrt(np.pi) * np.exp(-sc.erfinv(X / 4) ** 2)),
          rtol=1e-14)
    close(d(S.expit, X), sc.expit(X) * (1 - sc.expit(X)), rtol=1e-14)
    close(d(S.gamma, X), sc.gamma(X) * sc.digamma(X), rtol=1e-14)
    close(d(lambda x: S.gammainc(2.5, x), X), st.gamma.pdf(X, 2.5), rtol=1e-13)
    close(d(lambda x: S.gammaincc(2.5, x), X), -st.gamma.pdf(X, 2.5), rtol=1e-13)
    close(d(lambda x: S.betainc(2.5, 1.5, x), X / 4), st.beta.pdf(X / 4, 2.5, 1.5), rtol=1e-13)
    close(d(lambda t: S.stdtr(3.5, t), X - 1), st.t.pdf(X - 1, 3.5), rtol=1e-13)
    close(d(S.j0, X), -sc.j1(X), rtol=1e-14)
    close(d(S.y0, X), -sc.y1(X), rtol=1e-14)
    close(d(S.i0, X), sc.i1(X), rtol=1e-14)
    close(d(S.j1, X), sc.jvp(1, X), rtol=1e-13)
    close(d(S.y1, X), sc.yvp(1, X), rtol=1e-13)
    close(d(S.i1, X), sc.ivp(1, X), rtol=1e-13)
    close(d(lambda x: S.iv(1.5, x), X), sc.ivp(1.5, X), rtol=1e-13)
    close(d(lambda x: S.jv(2.5, x), X), sc.jvp(2.5, X), rtol=1e-13)
    close(d(lambda x: S.yn(3, x), X), sc.yvp(3, X), rtol=1e-13)
    close(d(lambda x: d(lambda y: S.jv(2.5, y), x), X), sc.jvp(2.5, X, n=2), rtol=1e-12)
    close(d(lambda x: S.ive(1.5, x), X), sc.ivp(1.5, X) * np.exp(-X) - sc.ive(1.5, X),
          rtol=1e-13)


def test_beta_partials():
    a, b = np.array([0.7, 2.0]), np.array([1.5, 0.4])
    ga, gb = wg.grad(lambda a, b: wnp.sum(S.betaln(a, b)), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, sc.digamma(a) - sc.digamma(a + b), rtol=1e-14)
    np.testing.assert_allclose(gb, sc.digamma(b) - sc.digamma(a + b), rtol=1e-14)
    ga = wg.grad(lambda a: wnp.sum(S.beta(a, b)))(a)
    np.testing.assert_allclose(ga, sc.beta(a, b) * (sc.digamma(a) - sc.digamma(a + b)),
                               rtol=1e-14)


# --- edge cases and conventions -----------------------------------------------------------------


def test_expit_at_large_arguments():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x in (800.0, -800.0, 40.0, -40.0):
            g = wg.grad(S.expit)(x)
            assert g == pytest.approx(sc.expit(x) * sc.expit(-x), rel=1e-14, abs=0.0)
        assert wg.grad(S.expit)(800.0) == 0.0


def test_xlogy_at_zero():
    # xlogy(0, y) = 0 for all y: d/dy = 0 there, and d/dx = log y (-inf at y = 0).
    gx, gy = wg.grad(S.xlogy, argnums=(0, 1))(0.0, 0.0)
    assert gx == -np.inf and gy == 0.0
    gx, gy = wg.grad(S.xlogy, argnums=(0, 1))(0.0, 2.0)
    assert gx == pytest.approx(np.log(2.0)) and gy == 0.0
    _, t = wg.jvp(S.xlog1py, (0.0, -1.0), (0.0, 1.0))
    assert t == 0.0
    assert S.xlogy(wnp.asarray(0.0), 0.0) == 0.0


def test_rgamma_at_the_poles_of_gamma():
    # 1/gamma(x) near x = -n is (-1)**n n! (x + n): the derivative there is (-1)**n n!.
    for n in range(4):
        g = wg.grad(S.rgamma)(float(-n))
        assert g == pytest.approx((-1) ** n * float(np.prod(np.arange(1, n + 1))), rel=1e-14)


def test_gammasgn_is_not_differentiable():
    x = np.array([-2.5, -1.5, 0.5, 3.0])
    seen = []

    def f(x):
        s = S.gammasgn(x)
        seen.append(s)
        return wnp.sum(x * s)

    g = wg.grad(f)(x)
    np.testing.assert_array_equal(g, sc.gammasgn(x))
    assert not isinstance(seen[0], Tracer)
    np.testing.assert_array_equal(seen[0], sc.gammasgn(x))


# --- shape parameters of gammainc / betainc / stdtr (quadrature) -------------------------------


def _richardson(f, p, h):
    """df/dp by central differences with steps h, h/2, ..., h/16, Richardson-extrapolated."""
    table = [[(f(p + h / 2**i) - f(p - h / 2**i)) / (2 * h / 2**i)] for i in range(5)]
    for i in range(1, 5):
        for j in range(1, i + 1):
            table[i].append(table[i][j - 1] + (table[i][j - 1] - table[i - 1][j - 1]) / (4**j - 1))
    return table[-1][-1]


def _elementwise_d(fn, argnum, *args):
    """The elementwise derivative of ``fn`` in argument ``argnum`` (grad of the sum)."""
    return wg.grad(lambda *a: wnp.sum(fn(*a)), argnums=argnum)(*args)


_A, _X = np.meshgrid([0.5, 0.9, 2.5, 7.0, 20.0], [0.01, 0.6, 3.0, 12.0, 21.0, 30.0])
_AB, _BB, _XB = np.meshgrid([0.5, 1.7, 10.0], [0.5, 3.0, 10.0], [0.002, 0.3, 0.6, 0.97])


def test_gammainc_in_a_matches_scipy_differences():
    # The reference differentiates SciPy's value on the side where it is not nearly 1.
    below = _X <= _A
    ref = _richardson(lambda a: np.where(below, sc.gammainc(a, _X), -sc.gammaincc(a, _X)),
                      _A, np.minimum(0.1, _A / 4))
    np.testing.assert_allclose(_elementwise_d(S.gammainc, 0, _A, _X), ref, rtol=1e-10)
    np.testing.assert_allclose(_elementwise_d(S.gammaincc, 0, _A, _X), -ref, rtol=1e-10)


def test_betainc_in_a_and_b_match_scipy_differences():
    below = _XB < 0.5

    def ref(i):
        def f(p):
            a, b = (p, _BB) if i == 0 else (_AB, p)
            return np.where(below, sc.betainc(a, b, _XB), -sc.betaincc(a, b, _XB))

        p = (_AB, _BB)[i]
        return _richardson(f, p, np.minimum(0.1, p / 4))

    for i in (0, 1):
        np.testing.assert_allclose(_elementwise_d(S.betainc, i, _AB, _BB, _XB), ref(i),
                                   rtol=1e-9)
        np.testing.assert_allclose(_elementwise_d(S.betaincc, i, _AB, _BB, _XB), -ref(i),
                                   rtol=1e-9)


def test_stdtr_in_df_matches_scipy_differences():
    df, t = np.meshgrid([0.7, 3.0, 12.0], [-25.0, -1.3, 0.2, 2.0, 8.0])
    # stdtr(df, t) = 1 - stdtr(df, -t): difference the side where it is not nearly 1.
    ref = _richardson(lambda d: np.where(t > 0, -sc.stdtr(d, -t), sc.stdtr(d, t)), df,
                      np.minimum(0.1, df / 4))
    np.testing.assert_allclose(_elementwise_d(S.stdtr, 0, df, t), ref, rtol=1e-9)
    np.testing.assert_allclose(_elementwise_d(S.stdtr, 0, df, np.zeros_like(t)), 0, atol=1e-15)
    # The mixed derivative two ways: d/dt of the df rule, and d/ddf of the density (closed form).
    for t0 in (0.0, -0.4, 3.0):
        d_dt = wg.grad(wg.grad(S.stdtr, 0), 1)(3.0, t0)
        assert d_dt == pytest.approx(wg.grad(wg.grad(S.stdtr, 1), 0)(3.0, t0), rel=1e-11)


def test_shape_derivatives_against_closed_forms():
    x = np.array([0.05, 1.0, 5.0, 30.0])
    # P(1, x) = 1 - exp(-x): dP/da at a = 1 is int_0^x (ln t + gamma_E) e^-t dt
    # = -e^-x (ln x + gamma_E) - E1(x).
    want = -np.exp(-x) * (np.log(x) + np.euler_gamma) - sc.exp1(x)
    np.testing.assert_allclose(_elementwise_d(S.gammainc, 0, np.ones(4), x), want, rtol=1e-12)
    # I_x(a, 1) = x**a and I_x(1, b) = 1 - (1-x)**b, to the second order.
    a, u = np.array([0.5, 1.3, 4.0, 9.0]), np.array([0.01, 0.3, 0.7, 0.99])
    d_a = wg.grad(lambda a: wnp.sum(S.betainc(a, 1.0, u)))
    np.testing.assert_allclose(d_a(a), u**a * np.log(u), rtol=1e-12)
    # Second order: relative, or absolute where it nearly cancels (b = 9, x = 0.99: 2e-17).
    np.testing.assert_allclose(np.diag(wg.jacfwd(d_a)(a)), u**a * np.log(u) ** 2, rtol=1e-11,
                               atol=1e-15)
    d_b = wg.grad(lambda b: wnp.sum(S.betainc(1.0, b, u)))
    np.testing.assert_allclose(d_b(a), -((1 - u) ** a) * np.log1p(-u), rtol=1e-12)
    np.testing.assert_allclose(np.diag(wg.jacrev(d_b)(a)), -((1 - u) ** a) * np.log1p(-u) ** 2,
                               rtol=1e-11, atol=1e-15)


def test_second_shape_derivatives_agree_with_symmetry_and_differences():
    # I_x(a, b) = 1 - I_{1-x}(b, a): one side integrates below x, the other above.
    a, b, x = np.array([0.6, 2.0, 7.5]), np.array([3.0, 0.8, 6.0]), np.array([0.2, 0.9, 0.5])
    h1 = wg.hessian(lambda p: wnp.sum(S.betainc(p[0], p[1], x[0])))(np.array([a[0], b[0]]))
    h2 = wg.hessian(lambda p: -wnp.sum(S.betainc(p[1], p[0], 1 - x[0])))(np.array([a[0], b[0]]))
    np.testing.assert_allclose(h1, h2, rtol=1e-11)
    # d²P/da² against Richardson differences of dP/da (from SciPy's values, rtol 1e-7).
    for a0, x0 in [(0.5, 0.3), (2.5, 4.0), (20.0, 15.0)]:
        d2 = wg.grad(wg.grad(lambda a, x0=x0: S.gammainc(a, x0)))(a0)
        ref = _richardson(
            lambda a, x0=x0: _richardson(lambda b: sc.gammainc(b, x0), a, 1e-2), a0, 5e-2)
        assert d2 == pytest.approx(ref, rel=1e-7)


@pytest.mark.parametrize(
    "fn, args",
    [
        (lambda a, x: S.gammainc(a, x), (np.array([0.5, 3.0, 20.0]), np.array([0.2, 5.0, 30.0]))),
        (lambda a, x: S.gammaincc(a, x), (np.array([0.7, 9.0]), np.array([2.0, 4.0]))),
        (lambda a, b, x: S.betainc(a, b, x),
         (np.array([0.5, 4.0, 10.0]), np.array([10.0, 0.7, 2.0]), np.array([0.05, 0.5, 0.95]))),
        (lambda a, b, x: S.betaincc(a, b, x), (np.array([1.5]), np.array([2.5]), np.array([0.6]))),
        (lambda df, t: S.stdtr(df, t), (np.array([0.8, 5.0]), np.array([-3.0, 0.7]))),
    ],
    ids=["gammainc", "gammaincc", "betainc", "betaincc", "stdtr"],
)
def test_shape_derivatives_to_second_order(fn, args):
    check_grads(fn, args, order=2, modes=("fwd", "rev"))


def test_log_moment_primitives_block_and_batch(monkeypatch):
    a, x = np.linspace(0.5, 8, 12).reshape(3, 4), np.linspace(0.1, 12, 12).reshape(3, 4)
    want = P.gammainc_da_p.impl(a, x, k=2)
    monkeypatch.setattr(P, "_CHUNK", 5)  # several quadrature blocks, ragged last one
    np.testing.assert_allclose(P.gammainc_da_p.impl(a, x, k=2), want, rtol=1e-15)
    np.testing.assert_allclose(
        P.betainc_dab_p.impl(a, a[::-1], x / 13, j=1, k=2),
        [[P.betainc_dab_p.impl(p, q, y, j=1, k=2) for p, q, y in zip(*r)]
         for r in zip(a, a[::-1], x / 13)], rtol=1e-14)
    # End points: 0 below, the central moment of ln T at the top.
    assert P.gammainc_da_p.impl(np.array(2.0), np.array(0.0), k=1) == 0.0
    assert P.gammainc_da_p.impl(np.array(2.0), np.array(np.inf), k=2) == pytest.approx(
        sc.polygamma(1, 2.0), rel=1e-15)
    assert P.betainc_dab_p.impl(np.array(2.0), np.array(3.0), np.array(1.0), j=1, k=1) == \
        pytest.approx(-sc.polygamma(1, 5.0), rel=1e-15)
    total = wg.grad(lambda r: wnp.sum(S.gammainc(r, x[0])))
    np.testing.assert_allclose(wg.vmap(total)(a), np.stack([total(r) for r in a]), rtol=1e-14)

def test_batching_rules_match_a_loop():
    rng = np.random.default_rng(SEED)
    x = rng.uniform(0.5, 2.0, (3, 4))
    v = np.array([0.0, 1.0, 2.5, 3.0])
    for fn in (lambda x: S.iv(v, x), lambda x: S.jv(v, x), lambda x: S.polygamma(1, x),
               lambda x: S.betainc(2.0, 3.0, x / 3), lambda x: S.xlogy(x, x + 1),
               lambda x: S.logsumexp(x), lambda x: S.logsumexp(x, b=x, return_sign=True)[0]):
        np.testing.assert_allclose(wg.vmap(fn)(x), np.stack([fn(r) for r in x]), rtol=1e-14)
        total = wg.grad(lambda r, fn=fn: wnp.sum(fn(r)))
        np.testing.assert_allclose(wg.vmap(total)(x), np.stack([total(r) for r in x]),
                                   rtol=1e-13)


def test_all_primitives_bind_through_their_family_module():
    for name in COVERED_PRIMITIVES:
        assert getattr(P, f"{name}_p").name == name
