"""SciPy special functions as primitives: the ``scipy`` extra's only derivative rules.

Each function here is elementwise (except ``logsumexp``, a reduction) and its derivative is
another special function: erf' is a Gaussian, gammaln' = digamma, digamma' = polygamma(1, .),
Bessel functions differentiate by their recurrences (iv' = (iv(v-1) + iv(v+1)) / 2). The rules
bind these primitives again (through ``wnp`` and each other), so every derivative is itself
differentiable, to any order. As in the elementwise family, a derivative coefficient meets its
(co)tangent through ``safe_mul`` (a strong zero), and ``wengert.scipy.special`` inserts the
casts and broadcasts first, so binary primitives see operands of one shape. Order arguments
of Bessel functions and ``polygamma``'s ``n`` are non-differentiable. SciPy has no closed
form for the derivative of ``betainc``/``gammainc`` (and ``stdtr``) in their shape parameters:
those are log-weighted integrals, the primitives ``gammainc_da`` and ``betainc_dab``, which
evaluate them by tanh-sinh quadrature and differentiate into each other.

This module imports SciPy, so only ``wengert.scipy.special`` imports it; ``import wengert``
never does. Imports: core, registry, batching, elementwise (its shape rule and strong-zero
product), NumPy and SciPy (in ``impl`` and shape rules only).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc

from .batching import elementwise_batch, materialize
from .elementwise import _smul, _ufunc_shape
from .registry import define, nondifferentiable, shape_by_eval, wnp

_2_SQRTPI = 2.0 / math.sqrt(math.pi)  # erf'(0)
_SQRTPI_2 = math.sqrt(math.pi) / 2.0  # erfinv'(0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)  # the standard normal density at 0
_LOG_PI = math.log(math.pi)


def _elementwise(name, impl, partials, *, nondiff=(), shape=None):
    """Declare an elementwise primitive from its partials ``d_i(*args, out)``.

    ``partials[i]`` is None for a non-differentiable argument; a partial receives the
    primitive's params (keyword-only) after ``out``.
    """
    rules = tuple(None if d is None else _scaled(d) for d in partials)
    prim = define(name, impl, shape=shape or _ufunc_shape(impl), jvp=rules, vjp=rules,
                  nondiff=nondiff)
    prim.batch = elementwise_batch(prim)
    return prim


def _scaled(d):
    """The rule ``t -> d(*args, out) * t`` (strong zeros), in the output's dtype.

    The coefficient is cast to the output's dtype: a derivative built from constants or from
    a SciPy loop that computes in float64 (``yn`` of an integer order, ``polygamma``) must not
    widen a float32 tangent.
    """

    def rule(t, out, *args, **params):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            coef = d(*args, out, **params)
        dtype = getattr(coef, "dtype", None)
        if dtype is not None and dtype != out.dtype:
            coef = wnp.astype(coef, out.dtype)
        return _smul(coef, t)

    return rule


# --- error function and the normal distribution ----------------------------------------------

erf_p = _elementwise("erf", sc.erf, (lambda x, out: _2_SQRTPI * wnp.exp(-(x * x)),))
erfc_p = _elementwise("erfc", sc.erfc, (lambda x, out: -_2_SQRTPI * wnp.exp(-(x * x)),))
# erfinv'(x) = sqrt(pi)/2 exp(erfinv(x)**2), read from the output; +inf at x = ±1.
erfinv_p = _elementwise("erfinv", sc.erfinv, (lambda x, out: _SQRTPI_2 * wnp.exp(out * out),))
erfcinv_p = _elementwise(
    "erfcinv", sc.erfcinv, (lambda x, out: -_SQRTPI_2 * wnp.exp(out * out),)
)
ndtr_p = _elementwise("ndtr", sc.ndtr, (lambda x, out: _INV_SQRT2PI * wnp.exp(-0.5 * (x * x)),))
# log_ndtr' = pdf / cdf = exp(-x²/2 - log_ndtr(x)) / sqrt(2 pi): one exp of a difference, so
# the ratio neither under- nor overflows in the far left tail (where it grows like -x).
log_ndtr_p = _elementwise(
    "log_ndtr", sc.log_ndtr, (lambda x, out: _INV_SQRT2PI * wnp.exp(-0.5 * (x * x) - out),)
)

# --- logistic -----------------------------------------------------------------------------------

# expit' = expit(x) expit(-x) rather than out (1 - out): 1 - out cancels for large x.
expit_p = _elementwise("expit", sc.expit, (lambda x, out: out * expit_p(-x),))
# logit'(x) = 1 / (x (1 - x)); +inf at 0 and 1.
logit_p = _elementwise("logit", sc.logit, (lambda x, out: 1 / (x * (1 - x)),))

# --- gamma family ---------------------------------------------------------------------------


def _digamma_d(x, out):
    return polygamma_p(1, x)


digamma_p = _elementwise("digamma", sc.digamma, (_digamma_d,))
gamma_p = _elementwise("gamma", sc.gamma, (lambda x, out: out * digamma_p(x),))
# gammaln is log|gamma|, whose derivative is digamma for negative x too.
gammaln_p = _elementwise("gammaln", sc.gammaln, (lambda x, out: digamma_p(x),))


def _rgamma_d(x, out):
    if x.dtype.kind == "c":
        # Off the real axis there are no poles: the regular formula holds (holomorphic).
        return -out * digamma_p(x)
    # (1/gamma)' = -digamma / gamma. At the poles of gamma (x = -n, n = 0, 1, ...) rgamma is 0
    # and digamma infinite; the limit there is (-1)**n n! = (-1)**n gamma(1 - x). That value is
    # exact to first order; higher derivatives at the poles are not (the branch is a constant
    # times gamma(1 - x) rather than the Taylor expansion of 1/gamma).
    pole = (x <= 0) & (wnp.floor(x) == x)
    even = wnp.floor(x / 2) * 2 == x
    one = wnp.ones_like(x)
    at_pole = wnp.where(even, one, -one) * gamma_p(1 - wnp.where(pole, x, wnp.zeros_like(x)))
    regular = -out * digamma_p(wnp.where(pole, wnp.full_like(x, 0.5), x))
    return wnp.where(pole, at_pole, regular)


rgamma_p = _elementwise("rgamma", sc.rgamma, (_rgamma_d,))
# sign(gamma(x)) is piecewise constant: derivative 0 everywhere, the poles included.
gammasgn_p = nondifferentiable("gammasgn", sc.gammasgn, shape=_ufunc_shape(sc.gammasgn))
gammasgn_p.batch = elementwise_batch(gammasgn_p)


# polygamma(n, x): d/dx = polygamma(n + 1, x); the integer order n is not differentiable.
# SciPy evaluates it at real x only; complex z goes through ``polygamma_complex``.

_PG_TERMS = 12  # Bernoulli terms of the asymptotic series
_PG_B2K = sc.bernoulli(2 * _PG_TERMS)[2::2]  # B_2, B_4, ..., B_24


def polygamma_complex(n: int, z: np.ndarray) -> np.ndarray:
    """Return ``polygamma(n, z)`` for an integer ``n >= 0`` and complex ``z`` (complex128).

    ``n = 0`` is SciPy's complex digamma. For ``n >= 1`` the recurrence
    ``psi⁽ⁿ⁾(z) = psi⁽ⁿ⁾(z + 1) + (-1)**(n+1) n! / z**(n+1)`` shifts ``z`` to
    ``Re z >= 15 + n``, where the asymptotic series
    ``(-1)**(n+1) [(n-1)!/zⁿ + n!/(2 z**(n+1)) + Σₖ B₂ₖ (2k+n-1)!/(2k)! / z**(2k+n)]``
    (twelve Bernoulli terms) is accurate to about 1e-15 relative. The recurrence needs no
    reflection formula, so every ``z`` off the poles ``0, -1, -2, ...`` is in the domain (the
    poles give inf or nan); the number of steps, and the rounding, grow with ``-Re z``
    (about 1e-13 relative at ``Re z = -1000``). Meant for small ``n`` (below about 100).

    Examples
    --------
    >>> import numpy as np, scipy.special as sc
    >>> z = np.array([2.0 + 0j])
    >>> bool(np.allclose(polygamma_complex(1, z), sc.polygamma(1, 2.0), rtol=1e-14))
    True
    """
    z = np.asarray(z, dtype=np.complex128)
    if n == 0:
        return sc.psi(z)
    x0 = 15.0 + n
    steps = np.where(z.real < x0, np.ceil(x0 - np.where(z.real < x0, z.real, x0)), 0.0)
    steps = steps.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        shifted = np.zeros_like(z)  # Σ over the shifts of 1 / (z + k)**(n + 1)
        for k in range(int(steps.max(initial=0))):
            shifted += np.where(k < steps, (z + k) ** -(n + 1), 0.0)
        w = z + steps
        inv = 1.0 / w
        inv2 = inv * inv
        tail = np.zeros_like(w)
        for k in range(_PG_TERMS, 0, -1):  # Horner in 1/w² for Σₖ cₖ / w**(2k)
            coef = _PG_B2K[k - 1] * (math.factorial(2 * k + n - 1) / math.factorial(2 * k))
            tail = (tail + coef) * inv2
        series = inv**n * (math.factorial(n - 1) + inv * (math.factorial(n) / 2.0) + tail)
        return (-1.0) ** (n + 1) * (series + math.factorial(n) * shifted)


def polygamma_values(n, x):
    """Return ``polygamma(n, x)``: SciPy's at real ``x``, ``polygamma_complex``'s at complex.

    A negative or non-integer order gives nan at complex ``x`` (as SciPy does at real ``x``).

    Examples
    --------
    >>> import numpy as np
    >>> polygamma_values(np.array([1, 2]), np.array([1.0 + 0j, 1.0 + 0j])).real.round(6)
    array([ 1.644934, -2.404114])
    """
    if np.dtype(x.dtype).kind != "c":
        return sc.polygamma(n, x)
    n, x = np.broadcast_arrays(np.asarray(n), x)
    out = np.full(x.shape, np.nan + 0j)
    valid = (n >= 0) & (np.floor(n) == n)
    for order in np.unique(n[valid]):
        at = valid & (n == order)
        out[at] = polygamma_complex(int(order), x[at])
    return out


polygamma_p = _elementwise(
    "polygamma", polygamma_values, (None, lambda n, x, out: polygamma_p(n + 1, x)), nondiff=(0,),
    shape=shape_by_eval(polygamma_values),
)


def _beta_partial(which):
    # d/da beta(a, b) = beta(a, b) (digamma(a) - digamma(a + b)); symmetric in b.
    def partial(a, b, out):
        return out * (digamma_p(a if which == 0 else b) - digamma_p(a + b))

    return partial


def _betaln_partial(which):
    # betaln is log|beta|: the same partials without the factor beta(a, b).
    def partial(a, b, out):
        return digamma_p(a if which == 0 else b) - digamma_p(a + b)

    return partial


beta_p = _elementwise("beta", sc.beta, (_beta_partial(0), _beta_partial(1)))
betaln_p = _elementwise("betaln", sc.betaln, (_betaln_partial(0), _betaln_partial(1)))

# --- incomplete gamma and beta ----------------------------------------------------------------
# SciPy has no closed form for the derivatives of P(a, x) = gammainc and I_x(a, b) = betainc in
# their shape parameters; they are integrals with log weights, evaluated here by quadrature:
#
#   d^n P / da^n is built from D_k(a, x) = (1/gamma(a)) int_0^x (ln t - psi(a))**k
#   t**(a-1) exp(-t) dt (the primitive ``gammainc_da``; D_0 = P), since
#   dD_k/da = D_{k+1} - k psi'(a) D_{k-1} and dD_k/dx = (ln x - psi(a))**k P'(x);
#
#   likewise E_jk(a, b, x) = (1/B(a, b)) int_0^x alpha**j beta**k t**(a-1) (1-t)**(b-1) dt with
#   alpha = ln t - psi(a) + psi(a+b), beta = ln(1-t) - psi(b) + psi(a+b) (the primitive
#   ``betainc_dab``; E_00 = I_x(a, b)), whose a-, b- and x-derivatives are again E's.
#
# Centring the logs on their means keeps the recursions short (dP/da = D_1) and makes the
# full-range integrals the central moments of ln T (T ~ Gamma(a) or Beta(a, b)), known from
# the cumulants psi^(n)(a): an integral is taken over the shorter side, [0, x] or [x, oo),
# and the other is the moment minus it. Each side is mapped onto (0, 1) (t = x u**(1/a) below
# x, t = x / u above) and integrated by tanh-sinh quadrature, which converges exponentially
# despite the log (and algebraic) end-point singularities: about 1e-12 relative to the
# derivative over a in [0.5, 20], x in (0, 30] (b likewise), in absolute terms where a
# derivative nearly cancels (d²P/da² far in the tail, where P is nearly 1).

_TS_STEP = 1.0 / 32
_TS_T = np.arange(-128, 129) * _TS_STEP  # tanh-sinh abscissae: u = expit(pi sinh t)
_TS_LOG_U = sc.log_expit(math.pi * np.sinh(_TS_T))
_TS_LOG_1MU = sc.log_expit(-math.pi * np.sinh(_TS_T))
_TS_W = _TS_STEP * math.pi * np.cosh(_TS_T) * np.exp(_TS_LOG_U + _TS_LOG_1MU)  # du/dt h
_CHUNK = 2048  # elements per quadrature block (each block holds CHUNK x 257 floats)


def _quadrature(integrand, *arrays):
    """Sum ``integrand(*columns) * w`` over the tanh-sinh nodes, elementwise, in blocks."""
    flat = [np.ravel(v) for v in arrays]
    out = np.empty(flat[0].shape)
    for s in range(0, out.size, _CHUNK):
        cols = [v[s:s + _CHUNK, None] for v in flat]
        with np.errstate(all="ignore"):
            out[s:s + _CHUNK] = integrand(*cols) @ _TS_W
    return out.reshape(arrays[0].shape)


def _moments_from_cumulants(kappa, j, k):
    """The central moment E[X**j Y**k] from the joint cumulants ``kappa(p, q)`` (p + q >= 2).

    The recursion of d/ds of the moment generating function exp(K(s)):
    mu_pq = sum_{i<p, l<=q} C(p-1, i) C(q, l) kappa_{i+1,l} mu_{p-1-i,q-l} (p >= 1).
    """
    memo = {(0, 0): 1.0}

    def kap(p, q):
        return 0.0 if p + q < 2 else kappa(p, q)

    def mu(p, q):
        if (p, q) not in memo:
            if p == 0:  # the same recursion in q
                memo[p, q] = sum(math.comb(q - 1, l) * kap(0, l + 1) * mu(0, q - 1 - l)
                                 for l in range(q))
            else:
                memo[p, q] = sum(math.comb(p - 1, i) * math.comb(q, l) * kap(i + 1, l)
                                 * mu(p - 1 - i, q - l) for i in range(p) for l in range(q + 1))
        return memo[p, q]

    return mu(j, k)


def _float_args(*args):
    dtype = np.result_type(*(np.asarray(v).dtype for v in args), np.float16)
    return np.broadcast_arrays(*(np.asarray(v, np.float64) for v in args)), dtype


def _gammainc_da_impl(a, x, *, k):
    """D_k(a, x): the k-th centred log moment of gamma(a) over [0, x] (quadrature)."""
    (a, x), dtype = _float_args(a, x)
    psi = sc.digamma(a)
    moment = _moments_from_cumulants(lambda p, q: sc.polygamma(p - 1, a), k, 0)

    def lower(a, x, psi):  # t = x u**(1/a): x**a / gamma(a+1) int_0^1 (..)**k exp(-t) du
        log_t = np.log(x) + _TS_LOG_U / a
        return (log_t - psi) ** k * np.exp(-np.exp(log_t))

    def upper(a, x, psi):  # t = x / u: x**a e**-x / gamma(a) int_0^1 (..)**k u**(-a-1) e**(x-t) du
        return ((np.log(x) - _TS_LOG_U - psi) ** k
                * np.exp(-(a + 1) * _TS_LOG_U - x * np.exp(_TS_LOG_1MU - _TS_LOG_U)))

    below = x <= a
    with np.errstate(all="ignore"):
        log_x = np.log(x)
        low = np.exp(a * log_x - sc.gammaln(a + 1)) * _quadrature(lower, a, x, psi)
        up = np.exp(a * log_x - x - sc.gammaln(a)) * _quadrature(upper, a, x, psi)
    out = np.where(below, low, moment - up)
    out = np.where(x == 0, 0.0, np.where(x == np.inf, moment, out))
    return out.astype(dtype, copy=False)


def _betainc_lower(j, k, a, b, x, center_a, center_b):
    """(1/B(a, b)) int_0^x alpha**j beta**k t**(a-1) (1-t)**(b-1) dt, with t = x u**(1/a)."""

    def integrand(a, b, x, center_a, center_b):
        log_t = np.log(x) + _TS_LOG_U / a
        log_1mt = np.log1p(-np.exp(log_t))
        return ((log_t - center_a) ** j * (log_1mt - center_b) ** k
                * np.exp((b - 1) * log_1mt))

    with np.errstate(all="ignore"):
        scale = np.exp(a * np.log(x) - np.log(a) - sc.betaln(a, b))
        return scale * _quadrature(integrand, a, b, x, center_a, center_b)


def _betainc_dab_impl(a, b, x, *, j, k):
    """E_jk(a, b, x): the (j, k)-th centred log moment of beta(a, b) over [0, x]."""
    (a, b, x), dtype = _float_args(a, b, x)
    psi_ab = sc.digamma(a + b)
    center_a, center_b = sc.digamma(a) - psi_ab, sc.digamma(b) - psi_ab

    def kappa(p, q):  # the cumulants of (ln T, ln(1-T)): derivatives of ln B(a+s, b+r)
        c = -sc.polygamma(p + q - 1, a + b)
        return c + (sc.polygamma(p - 1, a) if q == 0 else 0) + (
            sc.polygamma(q - 1, b) if p == 0 else 0)

    moment = _moments_from_cumulants(kappa, j, k)
    # Over [x, 1], t -> 1 - t swaps the roles of (a, alpha) and (b, beta).
    below = x * (a + b) <= a
    low = _betainc_lower(j, k, a, b, np.where(below, x, 0.5), center_a, center_b)
    up = moment - _betainc_lower(k, j, b, a, np.where(below, 0.5, 1 - x), center_b, center_a)
    out = np.where(below, low, up)
    out = np.where(x <= 0, 0.0, np.where(x >= 1, moment, out))
    return out.astype(dtype, copy=False)


def _gammainc_moment(a, x, k):
    return gammainc_p(a, x) if k == 0 else gammainc_da_p(a, x, k=k)


def _betainc_moment(a, b, x, j, k):
    return betainc_p(a, b, x) if j == k == 0 else betainc_dab_p(a, b, x, j=j, k=k)


def _gammainc_da_da(a, x, out, *, k):
    # dD_k/da = D_{k+1} - k psi'(a) D_{k-1}.
    return _gammainc_moment(a, x, k + 1) - k * polygamma_p(1, a) * _gammainc_moment(a, x, k - 1)


def _gammainc_da_dx(a, x, out, *, k):
    return (wnp.log(x) - digamma_p(a)) ** k * _gammainc_dx(a, x, out)


def _betainc_dab_da(a, b, x, out, *, j, k):
    # dE_jk/da = E_{j+1,k} + j (psi'(a+b) - psi'(a)) E_{j-1,k} + k psi'(a+b) E_{j,k-1}.
    d = _betainc_moment(a, b, x, j + 1, k)
    if j:
        d = d + j * (polygamma_p(1, a + b) - polygamma_p(1, a)) * _betainc_moment(
            a, b, x, j - 1, k)
    if k:
        d = d + k * polygamma_p(1, a + b) * _betainc_moment(a, b, x, j, k - 1)
    return d


def _betainc_dab_db(a, b, x, out, *, j, k):
    # dE_jk/db = E_{j,k+1} + j psi'(a+b) E_{j-1,k} + k (psi'(a+b) - psi'(b)) E_{j,k-1}.
    d = _betainc_moment(a, b, x, j, k + 1)
    if j:
        d = d + j * polygamma_p(1, a + b) * _betainc_moment(a, b, x, j - 1, k)
    if k:
        d = d + k * (polygamma_p(1, a + b) - polygamma_p(1, b)) * _betainc_moment(
            a, b, x, j, k - 1)
    return d


def _betainc_dab_dx(a, b, x, out, *, j, k):
    psi_ab = digamma_p(a + b)
    alpha = wnp.log(x) - digamma_p(a) + psi_ab
    beta = wnp.log1p(-x) - digamma_p(b) + psi_ab
    return alpha ** j * beta ** k * _betainc_dx(a, b, x, out)


def _betainc_dx(a, b, x, out, **params):
    # d/dx I_x(a, b) = x**(a-1) (1-x)**(b-1) / B(a, b), in logs with xlogy/xlog1py so that
    # a = 1 or b = 1 at the end points gives 0 * log 0 = 0 (the density stays finite).
    return wnp.exp(xlogy_p(a - 1, x) + xlog1py_p(b - 1, -x) - betaln_p(a, b))


def _gammainc_dx(a, x, out, **params):
    # d/dx P(a, x) = x**(a-1) exp(-x) / gamma(a).
    return wnp.exp(xlogy_p(a - 1, x) - x - gammaln_p(a))


def _stdtr_dt(df, t, out):
    # The Student t density: gamma((df+1)/2) / (sqrt(df pi) gamma(df/2)) (1 + t²/df)**-((df+1)/2).
    return wnp.exp(
        gammaln_p((df + 1) / 2) - gammaln_p(df / 2) - 0.5 * (wnp.log(df) + _LOG_PI)
        - (df + 1) / 2 * wnp.log1p(t * t / df)
    )


def _stdtr_ddf(df, t, out):
    # stdtr(df, t) = I_z(df/2, df/2) with z = 1/2 + t / (2 sqrt(df + t²)), smooth in t (no
    # sign(t) to break the mixed derivatives at t = 0); by the chain rule
    # d/ddf = (E_10 + E_01)(df/2, df/2, z) / 2 + I'_z dz/ddf, dz/ddf = -t / (4 (df + t²)**1.5).
    s = df + t * t
    r = wnp.sqrt(s)
    z = 0.5 + t / (2 * r)
    h = df / 2
    shape = betainc_dab_p(h, h, z, j=1, k=0) + betainc_dab_p(h, h, z, j=0, k=1)
    return shape / 2 - t / (4 * s * r) * _betainc_dx(h, h, z, out)


gammainc_da_p = _elementwise(
    "gammainc_da", _gammainc_da_impl, (_gammainc_da_da, _gammainc_da_dx),
    shape=_ufunc_shape(sc.gammainc),
)
betainc_dab_p = _elementwise(
    "betainc_dab", _betainc_dab_impl, (_betainc_dab_da, _betainc_dab_db, _betainc_dab_dx),
    shape=_ufunc_shape(sc.betainc),
)
betainc_p = _elementwise(
    "betainc",
    sc.betainc,
    (lambda a, b, x, out: betainc_dab_p(a, b, x, j=1, k=0),
     lambda a, b, x, out: betainc_dab_p(a, b, x, j=0, k=1), _betainc_dx),
)
betaincc_p = _elementwise(
    "betaincc",
    sc.betaincc,
    (lambda a, b, x, out: -betainc_dab_p(a, b, x, j=1, k=0),
     lambda a, b, x, out: -betainc_dab_p(a, b, x, j=0, k=1),
     lambda a, b, x, out: -_betainc_dx(a, b, x, out)),
)
gammainc_p = _elementwise(
    "gammainc", sc.gammainc, (lambda a, x, out: gammainc_da_p(a, x, k=1), _gammainc_dx)
)
gammaincc_p = _elementwise(
    "gammaincc",
    sc.gammaincc,
    (lambda a, x, out: -gammainc_da_p(a, x, k=1), lambda a, x, out: -_gammainc_dx(a, x, out)),
)
stdtr_p = _elementwise("stdtr", sc.stdtr, (_stdtr_ddf, _stdtr_dt))

# --- x log y ----------------------------------------------------------------------------------


def _xlog_partials(log_fn, shift):
    # f = x log(y + shift), and f = 0 wherever x == 0, for every y (even y + shift == 0).
    # d/dx = log(y + shift): -inf at y + shift == 0 (the one-sided limit, as log'(0) = +inf).
    # d/dy = x / (y + shift), taken as exactly 0 wherever x == 0: f is identically 0 on that
    # line, so no 0/0 appears.
    def dx(x, y, out):
        return log_fn(y)

    def dy(x, y, out):
        zero = x == 0
        denom = wnp.where(zero, wnp.ones_like(y), y + shift if shift else y)
        return wnp.where(zero, wnp.zeros_like(out), x / denom)

    return dx, dy


xlogy_p = _elementwise("xlogy", sc.xlogy, _xlog_partials(lambda y: wnp.log(y), 0))
xlog1py_p = _elementwise("xlog1py", sc.xlog1py, _xlog_partials(lambda y: wnp.log1p(y), 1))

# --- Bessel functions ---------------------------------------------------------------------------
# The order v (or n) is not differentiable; derivatives in x come from the recurrences
# I_v' = (I_{v-1} + I_{v+1}) / 2, J_v' = (J_{v-1} - J_{v+1}) / 2, Y_v' = (Y_{v-1} - Y_{v+1}) / 2.

iv_p = _elementwise(
    "iv", sc.iv, (None, lambda v, x, out: (iv_p(v - 1, x) + iv_p(v + 1, x)) / 2), nondiff=(0,)
)
# ive = iv exp(-|x|): ive' = (ive(v-1) + ive(v+1)) / 2 - sign(x) ive, with sign(0) = 0 (the
# convention of abs'(0) = 0).
ive_p = _elementwise(
    "ive",
    sc.ive,
    (None, lambda v, x, out: (ive_p(v - 1, x) + ive_p(v + 1, x)) / 2 - wnp.sign(x) * out),
    nondiff=(0,),
)
i0_p = _elementwise("i0", sc.i0, (lambda x, out: i1_p(x),))
# i1' = (i0 + i2) / 2, which stays finite at 0 (unlike i0 - i1/x).
i1_p = _elementwise("i1", sc.i1, (lambda x, out: (i0_p(x) + iv_p(2, x)) / 2,))
jv_p = _elementwise(
    "jv", sc.jv, (None, lambda v, x, out: (jv_p(v - 1, x) - jv_p(v + 1, x)) / 2), nondiff=(0,)
)
j0_p = _elementwise("j0", sc.j0, (lambda x, out: -j1_p(x),))
j1_p = _elementwise("j1", sc.j1, (lambda x, out: (j0_p(x) - jv_p(2, x)) / 2,))
yn_p = _elementwise(
    "yn", sc.yn, (None, lambda n, x, out: (yn_p(n - 1, x) - yn_p(n + 1, x)) / 2), nondiff=(0,)
)
y0_p = _elementwise("y0", sc.y0, (lambda x, out: -y1_p(x),))
y1_p = _elementwise("y1", sc.y1, (lambda x, out: (y0_p(x) - yn_p(2, x)) / 2,))

# --- logsumexp -----------------------------------------------------------------------------------


def _reduced(shape, axis, keepdims):
    if keepdims:
        return tuple(1 if i in axis else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axis)


def _logsumexp_impl(a, b=None, *, axis, keepdims):
    # log |sum b exp(a)| (SciPy's value with return_sign=True); the sign is read separately.
    # Complex input: log s itself (SciPy's value without return_sign), holomorphic in a and b.
    # SciPy returns shape (1,) for a 0-d input with axis=(), hence the reshape.
    cplx = np.iscomplexobj(a) or np.iscomplexobj(b)
    out = sc.logsumexp(a, axis=axis or None, b=b, keepdims=keepdims, return_sign=not cplx)
    out = out if cplx else out[0]
    return np.reshape(out, _reduced(np.shape(a), axis, keepdims))


def _logsumexp_shape(a, b=None, *, axis, keepdims):
    dtype = np.result_type(a.dtype, *(() if b is None else (b.dtype,)), np.float16)
    return _reduced(tuple(a.shape), axis, keepdims), dtype


def _weights(out, a, b, axis, keepdims, scaled):
    """The partials d out / d a_i = b_i exp(a_i - out) sign(s) (``scaled``), or d out / d b_i
    = exp(a_i - out) sign(s): the softmax weights. Where out is infinite (every term 0, or an
    infinite a_i) the shift is 0 instead, so all -inf entries give weights 0, not NaN."""
    out_k = out if keepdims else wnp.expand_dims(out, axis)
    shift = wnp.where(wnp.isfinite(out_k), out_k, wnp.zeros_like(out_k))
    e = wnp.exp(a - shift)
    if b is None:
        return e
    # Cancelling terms: out = log|s|, so d out = ds / s; the sign of s is piecewise constant.
    w = _smul(b, e)
    if out.dtype.kind == "c":
        # exp(out) = s exactly: the phase of s is already in out.
        return w if scaled else e
    sgn = wnp.sign(wnp.sum(w, axis=axis, keepdims=True))
    return w * sgn if scaled else e * sgn


def _lse_rule(which, transpose):
    def rule(t, out, a, b=None, *, axis, keepdims):
        w = _weights(out, a, b, axis, keepdims, scaled=which == 0)
        if transpose:
            g = t if keepdims else wnp.expand_dims(t, axis)
            return _smul(w, g)
        return wnp.sum(_smul(w, t), axis=axis, keepdims=keepdims)

    return rule


def _lse_batch(size, args, batched, *, axis, keepdims):
    args = [materialize(size, x, bt) for x, bt in zip(args, batched)]
    return logsumexp_p(*args, axis=tuple(i + 1 for i in axis), keepdims=keepdims)


# logsumexp(a[, b], axis, keepdims) = log |sum b exp(a)|, SciPy's value (its max-shifted,
# log1p-separated evaluation keeps full precision); the gradient in a is the softmax
# b exp(a - out) sign(s). ``axis`` is a sorted tuple of non-negative axes; b, when given, has
# a's shape.
logsumexp_p = define(
    "logsumexp",
    _logsumexp_impl,
    shape=_logsumexp_shape,
    jvp=(_lse_rule(0, False), _lse_rule(1, False)),
    vjp=(_lse_rule(0, True), _lse_rule(1, True)),
    batch=_lse_batch,
)
