"""SciPy special functions as primitives: the ``scipy`` extra's only derivative rules.

Each function here is elementwise (except ``logsumexp``, a reduction) and its derivative is
another special function: erf' is a Gaussian, gammaln' = digamma, digamma' = polygamma(1, .),
Bessel functions differentiate by their recurrences (iv' = (iv(v-1) + iv(v+1)) / 2). The rules
bind these primitives again (through ``wnp`` and each other), so every derivative is itself
differentiable, to any order. As in the elementwise family, a derivative coefficient meets its
(co)tangent through ``safe_mul`` (a strong zero), and ``wengert.scipy.special`` inserts the
casts and broadcasts first, so binary primitives see operands of one shape. Order arguments
of Bessel functions and ``polygamma``'s ``n`` are non-differentiable. SciPy has no closed
form for the derivative of ``betainc``/``gammainc`` (and ``stdtr``) in their shape parameters;
those rules raise :class:`~wengert.core.errors.UnsupportedError` rather than guess.

This module imports SciPy, so only ``wengert.scipy.special`` imports it; ``import wengert``
never does. Imports: core, registry, batching, elementwise (its shape rule and strong-zero
product), NumPy and SciPy (in ``impl`` and shape rules only).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.special as sc

from ..core.errors import UnsupportedError
from .batching import elementwise_batch, materialize
from .elementwise import _smul, _ufunc_shape
from .registry import define, nondifferentiable, shape_by_eval, wnp

_2_SQRTPI = 2.0 / math.sqrt(math.pi)  # erf'(0)
_SQRTPI_2 = math.sqrt(math.pi) / 2.0  # erfinv'(0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)  # the standard normal density at 0
_LOG_PI = math.log(math.pi)


def _elementwise(name, impl, partials, *, nondiff=(), shape=None):
    """Declare an elementwise primitive from its partials ``d_i(*args, out)``.

    ``partials[i]`` is None for a non-differentiable argument, or a rule-raising function
    (``_no_closed_form``) for one whose derivative SciPy does not give.
    """
    rules = tuple(
        None if d is None else (d.rule if isinstance(d, _NoClosedForm) else _scaled(d))
        for d in partials
    )
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

    def rule(t, out, *args):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            coef = d(*args, out)
        dtype = getattr(coef, "dtype", None)
        if dtype is not None and dtype != out.dtype:
            coef = wnp.astype(coef, out.dtype)
        return _smul(coef, t)

    return rule


class _NoClosedForm:
    """The rule of an argument whose derivative wengert does not implement: it raises."""

    def __init__(self, fn: str, arg: str, index: int, why: str):
        self.fn, self.arg, self.index, self.why = fn, arg, index, why

    def rule(self, t, out, *args):
        raise UnsupportedError(
            f"wengert.scipy.special.{self.fn}: cannot differentiate with respect to "
            f"{self.arg} (argument {self.index}): {self.why} Pass {self.arg} as a constant, "
            f"or wrap it in wengert.numpy.stop_gradient({self.arg}) if its derivative is not "
            "needed."
        )


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
    if x.dtype.kind == "c":
        raise UnsupportedError(
            "wengert.scipy.special.digamma: its derivative at complex z is polygamma(1, z), "
            "which SciPy does not evaluate at complex arguments, so digamma (and gamma beyond "
            "the first derivative) is differentiable only at real x. Differentiate at real "
            "values, or stop the gradient with wengert.numpy.stop_gradient."
        )
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
polygamma_p = _elementwise(
    "polygamma", sc.polygamma, (None, lambda n, x, out: polygamma_p(n + 1, x)), nondiff=(0,),
    shape=shape_by_eval(sc.polygamma),
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

_SHAPE_WHY = (
    "SciPy has no closed form for the derivative of the regularised incomplete {} function "
    "in its shape parameters, and wengert does not approximate one."
)


def _betainc_dx(a, b, x, out):
    # d/dx I_x(a, b) = x**(a-1) (1-x)**(b-1) / B(a, b), in logs with xlogy/xlog1py so that
    # a = 1 or b = 1 at the end points gives 0 * log 0 = 0 (the density stays finite).
    return wnp.exp(xlogy_p(a - 1, x) + xlog1py_p(b - 1, -x) - betaln_p(a, b))


def _gammainc_dx(a, x, out):
    # d/dx P(a, x) = x**(a-1) exp(-x) / gamma(a).
    return wnp.exp(xlogy_p(a - 1, x) - x - gammaln_p(a))


def _stdtr_dt(df, t, out):
    # The Student t density: gamma((df+1)/2) / (sqrt(df pi) gamma(df/2)) (1 + t²/df)**-((df+1)/2).
    return wnp.exp(
        gammaln_p((df + 1) / 2) - gammaln_p(df / 2) - 0.5 * (wnp.log(df) + _LOG_PI)
        - (df + 1) / 2 * wnp.log1p(t * t / df)
    )


_BETA_WHY = _SHAPE_WHY.format("beta")
_GAMMA_WHY = _SHAPE_WHY.format("gamma")
betainc_p = _elementwise(
    "betainc",
    sc.betainc,
    (_NoClosedForm("betainc", "a", 0, _BETA_WHY), _NoClosedForm("betainc", "b", 1, _BETA_WHY),
     _betainc_dx),
)
betaincc_p = _elementwise(
    "betaincc",
    sc.betaincc,
    (_NoClosedForm("betaincc", "a", 0, _BETA_WHY), _NoClosedForm("betaincc", "b", 1, _BETA_WHY),
     lambda a, b, x, out: -_betainc_dx(a, b, x, out)),
)
gammainc_p = _elementwise(
    "gammainc", sc.gammainc, (_NoClosedForm("gammainc", "a", 0, _GAMMA_WHY), _gammainc_dx)
)
gammaincc_p = _elementwise(
    "gammaincc",
    sc.gammaincc,
    (_NoClosedForm("gammaincc", "a", 0, _GAMMA_WHY),
     lambda a, x, out: -_gammainc_dx(a, x, out)),
)
stdtr_p = _elementwise(
    "stdtr",
    sc.stdtr,
    (_NoClosedForm("stdtr", "df", 0, "SciPy has no closed form for the derivative of the "
                   "Student t distribution function in its degrees of freedom, and wengert "
                   "does not approximate one."), _stdtr_dt),
)

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
