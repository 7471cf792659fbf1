"""Elementwise primitives: unary and binary ufuncs, comparisons and logic.

A differentiable op is declared from its local partial derivatives ``d_i(*args, out)``; then
JVP_i = d_i * x_dot and VJP_i = d_i * out_bar. Both products go through ``safe_mul``, in which
zero is a *strong zero*: 0 * inf = 0 * NaN = 0. That is what keeps NaN from the
branch of ``where`` not taken out of gradients (``where(x > 0, sqrt(x), 0)`` at x <= 0), and
what keeps a basis direction that does not touch ``sqrt(x)`` at x = 0 from turning a Jacobian
entry into NaN. Binary primitives see operands of equal shape and dtype, because
``wengert.numpy`` inserts ``broadcast_to`` and ``astype`` first. Shape rules give NumPy's
own output dtype (``ufunc.resolve_dtypes``). Non-smooth conventions are stated beside each
rule and collected in docs/conventions.md. Imports: core, registry, NumPy (computation in
``impl`` and shape rules only; rules use ``np.errstate`` where an infinite derivative is the
documented convention, so that its divide-by-zero warning does not reach the user).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..core.tangent import Zero
from ..core.tracer import Tracer
from .batching import elementwise_batch
from .registry import REGISTRY, ShapeDtype, define, linear, nondifferentiable, wnp

_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))

# --- shape rules ----------------------------------------------------------------------------


def _operand_type(a):
    """What ``ufunc.resolve_dtypes`` takes for an operand: a dtype, or a Python scalar type."""
    if isinstance(a, ShapeDtype):
        return tuple(a.shape), np.dtype(a.dtype)
    if isinstance(a, (np.ndarray, np.generic)):
        return a.shape, a.dtype
    if isinstance(a, bool):
        return (), np.dtype(bool)
    if isinstance(a, (int, float, complex)):
        return (), type(a)
    a = np.asarray(a)
    return a.shape, a.dtype


def _ufunc_shape(ufunc):
    """Shape rule of an elementwise op: broadcast shape and NumPy's resolved output dtype."""

    def rule(*avals, **params):
        shapes, types = zip(*(_operand_type(a) for a in avals))
        dtype = ufunc.resolve_dtypes(tuple(types) + (None,))[-1]
        return tuple(np.broadcast_shapes(*shapes)), dtype

    return rule


def _aval(x, **params):
    """Shape and dtype of an operand (a Python scalar's default dtype)."""
    shape, t = _operand_type(x)
    return shape, (np.result_type(_dummy(t)) if isinstance(t, type) else t)


def _dummy(t):
    # A 0-d stand-in with the promotion behaviour of an operand type (Python scalars weak).
    return t(0) if isinstance(t, type) else np.zeros((), t)


def _float_shape(x):
    shape, t = _operand_type(x)
    dt = np.dtype(float) if isinstance(t, type) else t
    return shape, (dt if dt.kind in "fc" else np.dtype(np.float64))


# --- strong-zero multiplication ---------------------------------------------------------------


def _finite(x) -> bool:
    if type(x) is float:
        return math.isfinite(x)
    return type(x) is int or bool(np.isfinite(x).all())


def _safe_mul_impl(a, b):
    # Only 0 * inf and NaN make NaN; where either factor is 0 the product is 0. The common
    # case (both factors finite) is a plain multiply. Small operands are checked first (two
    # cheap scans); large ones are multiplied first and only the product is scanned, one pass
    # fewer: a finite product means no 0 * inf and no NaN occurred, so it is the answer.
    if type(a) is np.ndarray and a.size > _SCAN_PRODUCT and type(b) is np.ndarray:
        with np.errstate(invalid="ignore"):
            prod = np.multiply(a, b)
        if np.isfinite(prod).all():
            return prod
    elif _finite(a) and _finite(b):
        return np.multiply(a, b)
    else:
        with np.errstate(invalid="ignore"):
            prod = np.multiply(a, b)
    return np.where((np.asarray(a) == 0) | (np.asarray(b) == 0), np.zeros((), prod.dtype), prod)


# Above this many elements the product, not the factors, is scanned for non-finite values.
_SCAN_PRODUCT = 4096


def _smul(a, b):
    """``a * b`` with strong zeros (a derivative coefficient times a (co)tangent)."""
    # A finite nonzero Python number cannot meet 0 * inf: multiply plainly (x * 0.9).
    if type(a) in (float, int) and a != 0 and math.isfinite(a):
        return a * b
    if type(b) in (float, int) and b != 0 and math.isfinite(b):
        return a * b
    if isinstance(a, Tracer) or isinstance(b, Tracer):
        a, b = wnp._core.promote(a, b)
        return safe_mul_p(a, b)
    return _safe_mul_impl(a, b)


# safe_mul(a, b) = a * b, but exactly 0 wherever a == 0 or b == 0, even where the other factor
# is inf or NaN (a strong zero). Every derivative coefficient meets its (co)tangent here; its
# own rules are safe_mul again, so the strong zero holds at every order.
safe_mul_p = define(
    "safe_mul",
    _safe_mul_impl,
    shape=_ufunc_shape(np.multiply),
    jvp=(lambda a_dot, out, a, b: _smul(a_dot, b), lambda b_dot, out, a, b: _smul(a, b_dot)),
    vjp=(lambda g, out, a, b: _smul(g, b), lambda g, out, a, b: _smul(a, g)),
)


def _scale_rule(d, quiet, bounded=False):
    """The rule ``t -> d(*args, out) * t``, with strong zeros.

    ``quiet`` marks a derivative that is infinite or NaN at the edge of (or outside) the
    domain by convention (sqrt'(0) = inf); its divide/invalid warnings are not the user's.
    ``bounded`` marks a derivative that is finite wherever the input is (sin, tanh): a plain
    product cannot make 0 * inf there, so the strong-zero check is skipped (it is the hot path
    of small-array code).
    """
    if bounded:

        def rule(t, out, *args):
            return d(*args, out) * t
    elif quiet:

        def rule(t, out, *args):
            with np.errstate(divide="ignore", invalid="ignore"):
                coef = d(*args, out)
            return _smul(coef, t)
    else:

        def rule(t, out, *args):
            return _smul(d(*args, out), t)

    return rule


def _elementwise(name, impl, partials, *, quiet=False, bounded=False, shape=None):
    """Declare an elementwise primitive from its partials ``d_i(*args, out)``.

    The Jacobian of an elementwise map is diagonal, so one rule serves as JVP and VJP.
    """
    rules = tuple(_scale_rule(d, quiet, bounded) for d in partials)
    return define(name, impl, shape=shape or _ufunc_shape(impl), jvp=rules, vjp=rules)


# --- arithmetic -----------------------------------------------------------------------------

add_p = define(
    "add",
    np.add,
    shape=_ufunc_shape(np.add),
    jvp=(lambda x_dot, out, x, y: x_dot, lambda y_dot, out, x, y: y_dot),
    vjp=(lambda g, out, x, y: g, lambda g, out, x, y: g),
)
sub_p = define(
    "sub",
    np.subtract,
    shape=_ufunc_shape(np.subtract),
    jvp=(lambda x_dot, out, x, y: x_dot, lambda y_dot, out, x, y: -y_dot),
    vjp=(lambda g, out, x, y: g, lambda g, out, x, y: -g),
)
_mul_rules = (lambda t, out, x, y: _smul(y, t), lambda t, out, x, y: _smul(x, t))
mul_p = define("mul", np.multiply, shape=_ufunc_shape(np.multiply), jvp=_mul_rules, vjp=_mul_rules)
# d/dx (x / y) = 1 / y, d/dy = -out / y; infinite where y == 0, as the quotient itself.
div_p = _elementwise(
    "div", np.true_divide, (lambda x, y, out: 1 / y, lambda x, y, out: -(out / y)), quiet=True
)
neg_p = linear("neg", np.negative, transpose=lambda g, x: -g, shape=_ufunc_shape(np.negative))


def _pow_dx(x, y, out):
    # y * x**(y - 1); d/dx x**0 = 0 exactly (at x == 0 the product would be 0 * inf). At
    # x == 0 it is 0 for y > 1, 1 for y == 1 and +inf for 0 < y < 1 (as sqrt'(0) = inf).
    dx = y * x ** (y - 1)
    if isinstance(y, numbers.Number):
        return dx if y != 0 else wnp.zeros_like(out)
    return wnp.where(y == 0, wnp.zeros_like(out), dx)


def _pow_dy(x, y, out):
    # log(x) * x**y; taken as 0 where x == 0 (the limit for y > 0, a convention for y <= 0).
    # NaN for x < 0, where x**y is not real-differentiable in y.
    if isinstance(x, numbers.Number):
        if x == 0:
            return wnp.zeros_like(out)
        # A Python number stays weak (float32 out stays float32); complex for a complex base.
        return out * (complex(np.log(complex(x))) if isinstance(x, complex) else float(np.log(x)))
    zero = x == 0
    safe_x = wnp.where(zero, wnp.ones_like(x), x)
    return wnp.where(zero, wnp.zeros_like(out), out * wnp.log(safe_x))


pow_p = _elementwise("pow", np.power, (_pow_dx, _pow_dy), quiet=True)
# float_power computes in float64 with libm's pow (NumPy's power may use SIMD code, which can
# differ in the last bit), so it is its own primitive with pow's rules.
float_power_p = _elementwise("float_power", np.float_power, (_pow_dx, _pow_dy), quiet=True)


def _integer_pow_impl(x, *, n):
    x = np.asarray(x)
    return np.power(x, n) if n >= 0 else np.power(x.astype(np.result_type(x, 1.0)), n)


def _ipow(x, n):
    if n == 1:
        return x
    if n == 0:
        return wnp.ones_like(x)
    return integer_pow_p(x, n=n)


def _integer_pow_rule(t, out, x, *, n):
    # n * x**(n-1), exact at x <= 0 (unlike pow's log-based rule); n = 0 gives Zero.
    if n == 0:
        return Zero
    with np.errstate(divide="ignore", invalid="ignore"):
        coef = n * _ipow(x, n - 1)
    return _smul(coef, t)


def _integer_pow_shape(x, *, n):
    shape, t = _operand_type(x)
    if n >= 0:
        return shape, np.power.resolve_dtypes((t, int, None))[-1]
    return shape, np.result_type(_dummy(t), 1.0)


# x**n for a static Python integer n.
integer_pow_p = define(
    "integer_pow",
    _integer_pow_impl,
    shape=_integer_pow_shape,
    jvp=(_integer_pow_rule,),
    vjp=(_integer_pow_rule,),
)

# --- exponentials and logarithms ------------------------------------------------------------

exp_p = _elementwise("exp", np.exp, (lambda x, out: out,))
exp2_p = _elementwise("exp2", np.exp2, (lambda x, out: out * _LN2,))
expm1_p = _elementwise("expm1", np.expm1, (lambda x, out: out + 1,))
log_p = _elementwise("log", np.log, (lambda x, out: 1 / x,), quiet=True)
log2_p = _elementwise("log2", np.log2, (lambda x, out: 1 / (x * _LN2),), quiet=True)
log10_p = _elementwise("log10", np.log10, (lambda x, out: 1 / (x * _LN10),), quiet=True)
# log1p exists for accuracy near 0; its derivative 1/(1+x) keeps that accuracy.
log1p_p = _elementwise("log1p", np.log1p, (lambda x, out: 1 / (1 + x),), quiet=True)


def _logaddexp_partial(which, base2):
    # The weight exp(x - out) = sigmoid(x - y) (with (x - y) ln 2 in base 2), computed from
    # x - y rather than from the rounded out, so it is accurate to the last bit and exactly 1/2
    # at x == y (the tie rule of maximum). Each branch of the where is analytic on its side,
    # so higher derivatives are exact at ties too, and exp never overflows (its argument is
    # <= 0). Where both operands are the same infinity the weight is taken as 1/2 (the limit
    # along x == y); where this operand alone is +inf it is 1.
    def partial(x, y, out):
        first, other = (x, y) if which == 0 else (y, x)
        undefined = wnp.isinf(first) & (first == other)
        d = wnp.where(undefined, wnp.zeros_like(out), first - other)
        if base2:
            d = d * _LN2
        up = d >= 0
        e = wnp.exp(wnp.where(up, -d, d))
        w = 1 / (1 + e)
        return wnp.where(up, w, e * w)

    return partial


logaddexp_p = _elementwise(
    "logaddexp",
    np.logaddexp,
    (_logaddexp_partial(0, False), _logaddexp_partial(1, False)),
    quiet=True,
)
logaddexp2_p = _elementwise(
    "logaddexp2",
    np.logaddexp2,
    (_logaddexp_partial(0, True), _logaddexp_partial(1, True)),
    quiet=True,
)

# --- powers and roots -----------------------------------------------------------------------

# sqrt'(0) = +inf (the one-sided limit), never NaN; 0 * inf is 0 through safe_mul.
sqrt_p = _elementwise("sqrt", np.sqrt, (lambda x, out: 0.5 / out,), quiet=True)
# cbrt'(0) = +inf, as for sqrt.
cbrt_p = _elementwise("cbrt", np.cbrt, (lambda x, out: 1 / (3 * (out * out)),), quiet=True)

# --- trigonometric and hyperbolic -----------------------------------------------------------

sin_p = _elementwise("sin", np.sin, (lambda x, out: wnp.cos(x),), bounded=True)
cos_p = _elementwise("cos", np.cos, (lambda x, out: -wnp.sin(x),), bounded=True)
tan_p = _elementwise("tan", np.tan, (lambda x, out: 1 + out * out,))
# arcsin'(±1) = +inf and arccos'(±1) = -inf (the one-sided limits).
arcsin_p = _elementwise("arcsin", np.arcsin, (lambda x, out: 1 / wnp.sqrt(1 - x * x),), quiet=True)
arccos_p = _elementwise(
    "arccos", np.arccos, (lambda x, out: -1 / wnp.sqrt(1 - x * x),), quiet=True
)
arctan_p = _elementwise("arctan", np.arctan, (lambda x, out: 1 / (1 + x * x),), bounded=True)
sinh_p = _elementwise("sinh", np.sinh, (lambda x, out: wnp.cosh(x),))
cosh_p = _elementwise("cosh", np.cosh, (lambda x, out: wnp.sinh(x),))
def _tanh_rule(t, out, x):
    # (1 - out²) · t. With large plain arrays of one dtype and shape (no transform above this one,
    # so nothing to differentiate again) it is evaluated in one buffer: on large activations
    # the three temporaries of the operator form cost more than the arithmetic.
    if (type(out) is np.ndarray and type(t) is np.ndarray and out.size > 4096
            and out.dtype == t.dtype and out.shape == t.shape):
        d = np.multiply(out, out)
        np.subtract(1, d, out=d)
        return np.multiply(d, t, out=d)
    return t * (1 - out * out)  # the traced operand first: its own operator, no NumPy dispatch


# tanh' = 1 - tanh², from the stored output.
tanh_p = define("tanh", np.tanh, shape=_ufunc_shape(np.tanh), jvp=(_tanh_rule,),
                vjp=(_tanh_rule,))
arcsinh_p = _elementwise("arcsinh", np.arcsinh, (lambda x, out: 1 / wnp.sqrt(x * x + 1),), bounded=True)
# arccosh'(1) = +inf; sqrt(x-1)*sqrt(x+1) rather than sqrt(x*x-1) avoids cancellation near 1.
arccosh_p = _elementwise(
    "arccosh", np.arccosh, (lambda x, out: 1 / (wnp.sqrt(x - 1) * wnp.sqrt(x + 1)),), quiet=True
)
# arctanh'(±1) = +inf.
arctanh_p = _elementwise("arctanh", np.arctanh, (lambda x, out: 1 / (1 - x * x),), quiet=True)

# Taylor coefficients of sinc'(x) = sum_k c_k x**(2k-1), c_k = (-1)**k pi**(2k) 2k / (2k+1)!.
_SINC_D_SERIES = [
    (-1) ** k * np.pi ** (2 * k) * 2 * k / float(np.prod(np.arange(1, 2 * k + 2)))
    for k in range(1, 8)
]
_SINC_SMALL = 0.05


def _sinc_d(x, out):
    # sinc'(x) = (cos(pi x) - sinc(x)) / x. That quotient cancels catastrophically near 0, so
    # for |x| < 0.05 the odd Taylor series is used (terms to x**13: exact to rounding there,
    # and every derivative of sinc at 0 up to order 14 is exact, e.g. sinc'(0) = 0 and
    # sinc''(0) = -pi**2/3). Each branch is evaluated on inputs safe for it.
    small = wnp.abs(x) < _SINC_SMALL
    xs = wnp.where(small, x, wnp.zeros_like(x))
    xl = wnp.where(small, wnp.ones_like(x), x)
    x2 = xs * xs
    poly = _SINC_D_SERIES[-1]
    for c in _SINC_D_SERIES[-2::-1]:
        poly = poly * x2 + c
    series = xs * poly
    outl = wnp.where(small, wnp.ones_like(out), out)
    general = (wnp.cos(np.pi * xl) - outl) / xl
    return wnp.where(small, series, general)


def _sinc_shape(x):
    # numpy.sinc keeps inexact dtypes and computes integers in float64 (it is not a ufunc).
    return _float_shape(x)


sinc_p = _elementwise("sinc", np.sinc, (_sinc_d,), shape=_sinc_shape)


def _arctan2_partial(which):
    # d/dx1 arctan2(x1, x2) = x2 / r**2 and d/dx2 = -x1 / r**2 with r = hypot(x1, x2), written
    # as (x2 / r) / r so that r**2 never under- or overflows. At the origin both are taken as
    # 0 (arctan2 is discontinuous there; this matches hypot's convention).
    def partial(x1, x2, out):
        r = wnp.hypot(x1, x2)
        zero = r == 0
        safe_r = wnp.where(zero, wnp.ones_like(r), r)
        num = x2 if which == 0 else -x1
        return wnp.where(zero, wnp.zeros_like(r), (num / safe_r) / safe_r)

    return partial


arctan2_p = _elementwise("arctan2", np.arctan2, (_arctan2_partial(0), _arctan2_partial(1)))


def _hypot_partial(which):
    # d hypot(x, y) / dx = x / hypot; at the origin it is taken as 0 (the subgradient of
    # least norm of the cone |(x, y)|), in both arguments.
    def partial(x, y, out):
        num = x if which == 0 else y
        zero = out == 0
        return wnp.where(zero, wnp.zeros_like(out), num / wnp.where(zero, wnp.ones_like(out), out))

    return partial


hypot_p = _elementwise("hypot", np.hypot, (_hypot_partial(0), _hypot_partial(1)))

# --- complex parts ------------------------------------------------------------------------------
# Tangents and cotangents of complex values are complex; VJP rules transpose the JVP for the
# bilinear pairing <a, b> = Re Σ a·b (no conjugation), as in JAX and autograd. conj, real and
# imag are R-linear but not C-linear, so their VJPs are not their JVPs: conj's transpose is
# conj, real's is the embedding g -> g + 0i, imag's is g -> -i·g (Re(-i g t) = g Im t).


def _real_shape(x):
    shape, dt = _aval(x)
    return shape, np.real(np.zeros((), dt)).dtype


def _complex_of(g, dtype):
    """The real cotangent ``g`` as an array of the complex ``dtype`` (g + 0i)."""
    return astype_p(g, dtype=dtype) if g.dtype != dtype else g


conj_p = linear("conj", np.conjugate, transpose=lambda g, x: conj_p(g),
                shape=_ufunc_shape(np.conjugate))
real_p = define(
    "real",
    np.real,
    shape=_real_shape,
    jvp=(lambda t, out, x: real_p(t),),
    vjp=(lambda g, out, x: _complex_of(g, x.dtype),),
)
imag_p = define(
    "imag",
    np.imag,
    shape=_real_shape,
    jvp=(lambda t, out, x: imag_p(t),),
    vjp=(lambda g, out, x: _complex_of(g, x.dtype) * -1j,),
)

# --- piecewise-smooth ------------------------------------------------------------------------

def _abs_coef(x, out):
    # For complex z: conj(z) / |z|, taken as 0 at z = 0 (never NaN), as abs'(0) = 0 for reals.
    zero = out == 0
    safe = wnp.where(zero, wnp.ones_like(out), out)
    return wnp.where(zero, wnp.zeros_like(x), conj_p(x) / safe)


def _abs_jvp(t, out, x):
    # Real x: sign(x) · t, with abs'(0) = 0 (the subgradient of least norm), as sign(0) = 0.
    # Complex z: |z| is only R-differentiable, d|z| = Re(conj(z) · t) / |z|.
    if x.dtype.kind == "c":
        return real_p(_abs_coef(x, out) * t)
    return _smul(wnp.sign(x), t)


def _abs_vjp(g, out, x):
    # Complex z: the transpose of t -> Re(c · t) for the pairing Re Σ a·b is g -> g · c.
    if x.dtype.kind == "c":
        return _abs_coef(x, out) * g
    return _smul(wnp.sign(x), g)


abs_p = define("abs", np.abs, shape=_ufunc_shape(np.abs), jvp=(_abs_jvp,), vjp=(_abs_vjp,))


def _extremum_partial(which, win):
    # Ties split the derivative evenly, 0.5 to each argument (JAX's choice), so that
    # maximum(x, x) has derivative 1 and maximum(x, y) + minimum(x, y) = x + y holds exactly.
    # Where an operand is NaN both partials are 0.
    def partial(x, y, out):
        first, other = (x, y) if which == 0 else (y, x)
        wins = win(first, other).astype(out.dtype)
        tie = (first == other).astype(out.dtype)
        return wins + 0.5 * tie

    return partial


def _greater(a, b):
    return wnp.greater(a, b)


def _less(a, b):
    return wnp.less(a, b)


maximum_p = _elementwise(
    "maximum", np.maximum, (_extremum_partial(0, _greater), _extremum_partial(1, _greater))
)
minimum_p = _elementwise(
    "minimum", np.minimum, (_extremum_partial(0, _less), _extremum_partial(1, _less))
)


def _quotient(x, y, out):
    # The integer quotient q in x = q*y + out, for fmod (q truncated) and remainder (q floored):
    # (x - out) / y is q up to rounding, and q is an integer.
    return wnp.rint((x - out) / y)


# fmod and remainder are x - q*y with q piecewise constant: d/dx = 1, d/dy = -q. At the jumps
# (x/y an integer) the one-sided derivative of the side the value is taken from is used.
_mod_rules = (lambda t, out, x, y: t, lambda t, out, x, y: _smul(-_quotient(x, y, out), t))
fmod_p = define("fmod", np.fmod, shape=_ufunc_shape(np.fmod), jvp=_mod_rules, vjp=_mod_rules)
remainder_p = define(
    "remainder", np.remainder, shape=_ufunc_shape(np.remainder), jvp=_mod_rules, vjp=_mod_rules
)


def _clip_impl(x, lo, hi):
    return np.minimum(np.maximum(x, lo), hi)


def _clip_masks(x, lo, hi):
    # clip(x, lo, hi): the derivative goes to x where lo <= x <= hi (boundaries inclusive, as
    # PyTorch's clamp; both bounds get 0 there), to lo where x < lo, to hi where x > hi, and
    # to hi wherever lo > hi (NumPy then returns hi).
    to_hi = (x > hi) | (lo > hi)
    to_lo = (x < lo) & ~to_hi
    to_x = ~(to_hi | to_lo)
    return to_x, to_lo, to_hi


def _clip_rule(i):
    def rule(t, out, x, lo, hi):
        return wnp.where(_clip_masks(x, lo, hi)[i], t, wnp.zeros_like(t))

    return rule


def _clip_shape(x, lo, hi):
    (sx, tx), (sl, tl), (sh, th) = map(_operand_type, (x, lo, hi))
    inner = np.maximum.resolve_dtypes((tx, tl, None))[-1]
    return (
        tuple(np.broadcast_shapes(sx, sl, sh)),
        np.minimum.resolve_dtypes((inner, th, None))[-1],
    )


clip_p = define(
    "clip",
    _clip_impl,
    shape=_clip_shape,
    jvp=tuple(_clip_rule(i) for i in range(3)),
    vjp=tuple(_clip_rule(i) for i in range(3)),
)

# --- selection --------------------------------------------------------------------------------


def _where_rule(branch):
    # The (co)tangent goes to the taken branch only; the other branch gets an exact 0, and
    # safe_mul keeps that 0 exact through the rules of the branch not taken (0 * inf = 0).
    def rule(t, out, cond, x, y):
        z = wnp.zeros_like(t)
        return wnp.where(cond, t, z) if branch == 1 else wnp.where(cond, z, t)

    return rule


def _select_shape(c, x, y):
    (sc, _), (sx, tx), (sy, ty) = map(_operand_type, (c, x, y))
    return (
        tuple(np.broadcast_shapes(sc, sx, sy)),
        np.result_type(np.where(True, _dummy(tx), _dummy(ty))),
    )


select_p = define(
    "select",
    np.where,
    nondiff=(0,),
    shape=_select_shape,
    jvp=(None, _where_rule(1), _where_rule(2)),
    vjp=(None, _where_rule(1), _where_rule(2)),
)

# --- dtype and gradient control ----------------------------------------------------------------


def _astype_impl(x, *, dtype):
    return x.astype(dtype) if hasattr(x, "astype") else np.asarray(x, dtype)


def _inexact(dtype) -> bool:
    return np.dtype(dtype).kind in "fc"


def _astype_jvp(t, out, x, *, dtype):
    # A cast to or from an integer or boolean dtype has derivative zero (it is piecewise
    # constant, or its input carries no derivative). A cast from complex to real keeps the real
    # part (as NumPy, without its warning).
    if not (_inexact(dtype) and _inexact(x.dtype)):
        return Zero
    if np.dtype(x.dtype).kind == "c" and np.dtype(dtype).kind == "f":
        t = real_p(t)
    return astype_p(t, dtype=dtype) if t.dtype != dtype else t


def _astype_vjp(g, out, x, *, dtype):
    # The transpose of the embedding real -> complex is the real part (Re(g · t) = Re(g) t);
    # that of complex -> real is the embedding again.
    if not (_inexact(dtype) and _inexact(x.dtype)):
        return Zero
    if np.dtype(x.dtype).kind == "f" and g.dtype.kind == "c":
        g = real_p(g)
    return astype_p(g, dtype=x.dtype) if g.dtype != x.dtype else g


astype_p = define(
    "astype",
    _astype_impl,
    jvp=(_astype_jvp,),
    vjp=(_astype_vjp,),
    shape=lambda x, *, dtype: (_aval(x)[0], np.dtype(dtype)),
)

# stop_gradient: the identity whose derivative is zero, in every mode and at every order.
stop_gradient_p = nondifferentiable("stop_gradient", lambda x: x, shape=_aval)

# --- non-differentiable: rounding, sign, predicates, comparisons, logic -------------------------

_NONDIFF = {
    "sign": np.sign,
    "floor": np.floor,
    "ceil": np.ceil,
    "rint": np.rint,
    "trunc": np.trunc,
    "isfinite": np.isfinite,
    "isnan": np.isnan,
    "isinf": np.isinf,
    "signbit": np.signbit,
    "equal": np.equal,
    "not_equal": np.not_equal,
    "less": np.less,
    "less_equal": np.less_equal,
    "greater": np.greater,
    "greater_equal": np.greater_equal,
    "logical_and": np.logical_and,
    "logical_or": np.logical_or,
    "logical_xor": np.logical_xor,
    "logical_not": np.logical_not,
    "floor_divide": np.floor_divide,
    "heaviside": np.heaviside,
    "bitwise_and": np.bitwise_and,
    "bitwise_or": np.bitwise_or,
    "bitwise_xor": np.bitwise_xor,
    "invert": np.invert,
}
# sign, floor, ceil, rint, trunc, round, floor_divide and heaviside are piecewise constant:
# their derivative is taken as 0 everywhere, the jumps included.
NONDIFF_PRIMS = {
    name: nondifferentiable(name, fn, shape=_ufunc_shape(fn)) for name, fn in _NONDIFF.items()
}
NONDIFF_PRIMS["round"] = nondifferentiable(
    "round",
    lambda x, decimals=0: np.round(x, decimals),
    shape=_aval,
)


# Batching: every primitive of this family maps example by example, so one rule serves all.
for _prim in list(REGISTRY.values()):
    if _prim.family == "elementwise" and _prim.batch is None:
        _prim.batch = elementwise_batch(_prim)
