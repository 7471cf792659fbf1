"""Elementwise primitives: unary and binary ufuncs, comparisons and logic.

Each differentiable op is declared from its local partial derivative ``d``; the registry turns
that into JVP = d * x_dot and VJP = d * out_bar. Binary primitives see operands of equal shape
and dtype, because ``wengert.numpy`` inserts ``broadcast_to`` and ``astype`` first.
Non-smooth conventions are stated beside each rule and collected in docs/conventions.md.
Imports: core, registry, NumPy (in ``impl`` only).
"""

from __future__ import annotations

import numpy as np

from ..core.tangent import Zero
from .registry import define, elementwise, linear, nondifferentiable, wnp

# --- arithmetic -----------------------------------------------------------------------------

add_p = define(
    "add", np.add,
    jvp=(lambda x_dot, out, x, y: x_dot, lambda y_dot, out, x, y: y_dot),
    vjp=(lambda g, out, x, y: g, lambda g, out, x, y: g),
    shape=lambda x, y: (x.shape, np.result_type(x.dtype, y.dtype)),
)
sub_p = define(
    "sub", np.subtract,
    jvp=(lambda x_dot, out, x, y: x_dot, lambda y_dot, out, x, y: -y_dot),
    vjp=(lambda g, out, x, y: g, lambda g, out, x, y: -g),
    shape=lambda x, y: (x.shape, np.result_type(x.dtype, y.dtype)),
)
mul_p = define(
    "mul", np.multiply,
    jvp=(lambda x_dot, out, x, y: x_dot * y, lambda y_dot, out, x, y: x * y_dot),
    vjp=(lambda g, out, x, y: g * y, lambda g, out, x, y: x * g),
    shape=lambda x, y: (x.shape, np.result_type(x.dtype, y.dtype)),
)
div_p = define(
    "div", np.true_divide,
    jvp=(lambda x_dot, out, x, y: x_dot / y, lambda y_dot, out, x, y: -(out / y) * y_dot),
    vjp=(lambda g, out, x, y: g / y, lambda g, out, x, y: -(g * out) / y),
    shape=lambda x, y: (x.shape, np.result_type(x.dtype, y.dtype, np.float16)),
)
neg_p = linear("neg", np.negative, transpose=lambda g, x: -g,
               shape=lambda x: (x.shape, x.dtype))


def _pow_dy(x, y, out):
    # d/dy x**y = log(x) x**y; taken as 0 where x == 0 and y > 0 (the limit along x**y -> 0).
    safe_x = wnp.where(x == 0, wnp.ones_like(x), x)
    return wnp.where((x == 0) & (y > 0), wnp.zeros_like(out), out * wnp.log(safe_x))


def _pow_dx(x, y, out):
    # y * x**(y-1), written without dividing by x so that x == 0 is exact.
    return y * x ** (y - 1)


pow_p = elementwise("pow", np.power, d=(_pow_dx, _pow_dy))


def _integer_pow_impl(x, *, n):
    return np.power(x, n) if n >= 0 else np.power(x.astype(np.result_type(x, 1.0)), n)


# x**n for a static integer n: exact at x <= 0, unlike pow's log-based rule.
integer_pow_p = define(
    "integer_pow", _integer_pow_impl,
    jvp=(lambda x_dot, out, x, *, n: Zero if n == 0 else (n * _ipow(x, n - 1)) * x_dot,),
    vjp=(lambda g, out, x, *, n: Zero if n == 0 else (n * _ipow(x, n - 1)) * g,),
    shape=lambda x, *, n: (x.shape, x.dtype if n >= 0 else np.result_type(x.dtype, 1.0)),
)


def _ipow(x, n):
    if n == 1:
        return x
    if n == 0:
        return wnp.ones_like(x)
    return integer_pow_p(x, n=n)


# --- exponentials and logarithms ------------------------------------------------------------

exp_p = elementwise("exp", np.exp, d=lambda x, out: out, float_out=True)
expm1_p = elementwise("expm1", np.expm1, d=lambda x, out: out + 1, float_out=True)
log_p = elementwise("log", np.log, d=lambda x, out: 1 / x, float_out=True)
# log1p exists for accuracy near 0; its derivative 1/(1+x) keeps that accuracy.
log1p_p = elementwise("log1p", np.log1p, d=lambda x, out: 1 / (1 + x), float_out=True)

# --- powers and roots -----------------------------------------------------------------------

# sqrt'(0) = +inf (the one-sided limit), never NaN.
sqrt_p = elementwise("sqrt", np.sqrt, d=lambda x, out: 0.5 / out, float_out=True)
# cbrt'(0) = +inf, as for sqrt.
cbrt_p = elementwise("cbrt", np.cbrt, d=lambda x, out: 1 / (3 * out * out), float_out=True)

# --- trigonometric and hyperbolic -----------------------------------------------------------

sin_p = elementwise("sin", np.sin, d=lambda x, out: wnp.cos(x), float_out=True)
cos_p = elementwise("cos", np.cos, d=lambda x, out: -wnp.sin(x), float_out=True)
tan_p = elementwise("tan", np.tan, d=lambda x, out: 1 + out * out, float_out=True)
arcsin_p = elementwise("arcsin", np.arcsin, d=lambda x, out: 1 / wnp.sqrt(1 - x * x),
                       float_out=True)
arccos_p = elementwise("arccos", np.arccos, d=lambda x, out: -1 / wnp.sqrt(1 - x * x),
                       float_out=True)
arctan_p = elementwise("arctan", np.arctan, d=lambda x, out: 1 / (1 + x * x), float_out=True)
sinh_p = elementwise("sinh", np.sinh, d=lambda x, out: wnp.cosh(x), float_out=True)
cosh_p = elementwise("cosh", np.cosh, d=lambda x, out: wnp.sinh(x), float_out=True)
tanh_p = elementwise("tanh", np.tanh, d=lambda x, out: 1 - out * out, float_out=True)
arcsinh_p = elementwise("arcsinh", np.arcsinh, d=lambda x, out: 1 / wnp.sqrt(x * x + 1),
                        float_out=True)
arccosh_p = elementwise("arccosh", np.arccosh,
                        d=lambda x, out: 1 / (wnp.sqrt(x - 1) * wnp.sqrt(x + 1)), float_out=True)
arctanh_p = elementwise("arctanh", np.arctanh, d=lambda x, out: 1 / (1 - x * x),
                        float_out=True)


def _sinc_d(x, out):
    # sinc'(0) = 0; elsewhere (cos(pi x) - sinc(x)) / x. The safe denominator keeps NaN out.
    zero = x == 0
    safe = wnp.where(zero, wnp.ones_like(x), x)
    return wnp.where(zero, wnp.zeros_like(x), (wnp.cos(np.pi * x) - out) / safe)


sinc_p = elementwise("sinc", np.sinc, d=_sinc_d, float_out=True)

arctan2_p = elementwise(
    "arctan2", np.arctan2,
    d=(lambda x, y, out: y / (x * x + y * y), lambda x, y, out: -x / (x * x + y * y)),
    float_out=True,
)


def _hypot_d(which):
    # d hypot = x / hypot; at the origin the derivative is taken as 0 (subgradient).
    def d(x, y, out):
        num = x if which == 0 else y
        zero = out == 0
        return wnp.where(zero, wnp.zeros_like(out), num / wnp.where(zero, wnp.ones_like(out), out))

    return d


hypot_p = elementwise("hypot", np.hypot, d=(_hypot_d(0), _hypot_d(1)), float_out=True)

# --- piecewise-smooth ------------------------------------------------------------------------


def _abs_d(x, out):
    # abs'(0) = 0 (the subgradient of least norm), matching sign(0) = 0.
    return wnp.sign(x)


abs_p = elementwise("abs", np.abs, d=_abs_d)


def _max_d(which, pick):
    # Ties split the derivative evenly: 0.5 to each argument (JAX's choice), so that
    # maximum(x, x) has derivative 1 and maximum(x, y) + minimum(x, y) = x + y holds exactly.
    def d(x, y, out):
        first = x if which == 0 else y
        other = y if which == 0 else x
        win = getattr(wnp, pick)(first, other).astype(out.dtype)
        tie = (first == other).astype(out.dtype)
        return win + 0.5 * tie

    return d


maximum_p = elementwise("maximum", np.maximum,
                        d=(_max_d(0, "greater"), _max_d(1, "greater")))
minimum_p = elementwise("minimum", np.minimum, d=(_max_d(0, "less"), _max_d(1, "less")))

# fmod/remainder are x - q*y with q piecewise constant: d/dx = 1, d/dy = -q.
fmod_p = elementwise("fmod", np.fmod,
                     d=(lambda x, y, out: wnp.ones_like(out),
                        lambda x, y, out: -wnp.trunc(x / y)))
remainder_p = elementwise("remainder", np.remainder,
                          d=(lambda x, y, out: wnp.ones_like(out),
                             lambda x, y, out: -wnp.floor(x / y)))


def _clip_impl(x, lo, hi):
    return np.minimum(np.maximum(x, lo), hi)


# clip(x, lo, hi): the derivative goes to x where lo <= x <= hi (boundaries inclusive, as
# PyTorch's clamp), to lo where x < lo, to hi where x > hi (and hi < lo picks hi, as NumPy).
def _clip_masks(x, lo, hi):
    to_hi = (x > hi) | (lo > hi)
    to_lo = (x < lo) & ~to_hi
    to_x = ~(to_hi | to_lo)
    return to_x, to_lo, to_hi


def _clip_rule(i):
    def rule(t, out, x, lo, hi):
        m = _clip_masks(x, lo, hi)[i]
        return wnp.where(m, t, wnp.zeros_like(t))

    return rule


clip_p = define("clip", _clip_impl,
                jvp=tuple(_clip_rule(i) for i in range(3)),
                vjp=tuple(_clip_rule(i) for i in range(3)),
                shape=lambda x, lo, hi: (x.shape, np.result_type(x.dtype, lo.dtype, hi.dtype)))

# --- selection --------------------------------------------------------------------------------


def _where_rule(branch):
    # The cotangent goes to the taken branch only; the other branch gets an exact 0 (never
    # 0 * inf), so NaN from the branch not taken does not leak into the gradient.
    def rule(t, out, cond, x, y):
        z = wnp.zeros_like(t)
        return wnp.where(cond, t, z) if branch == 1 else wnp.where(cond, z, t)

    return rule


select_p = define("select", np.where, nondiff=(0,),
                  jvp=(None, _where_rule(1), _where_rule(2)),
                  vjp=(None, _where_rule(1), _where_rule(2)),
                  shape=lambda c, x, y: (x.shape, np.result_type(x.dtype, y.dtype)))

# --- dtype and gradient control ----------------------------------------------------------------


def _astype_impl(x, *, dtype):
    return x.astype(dtype) if hasattr(x, "astype") else np.asarray(x, dtype)


def _astype_transpose(g, x, *, dtype):
    return astype_p(g, dtype=x.dtype) if g.dtype != x.dtype else g


astype_p = linear("astype", _astype_impl, transpose=_astype_transpose,
                  shape=lambda x, *, dtype: (x.shape, np.dtype(dtype)))

# stop_gradient: the identity whose derivative is zero, in every mode and at every order.
stop_gradient_p = nondifferentiable("stop_gradient", lambda x: x,
                                    shape=lambda x: (x.shape, x.dtype))

# --- non-differentiable: rounding, sign, predicates, comparisons, logic -------------------------

_NONDIFF = {
    "sign": np.sign, "floor": np.floor, "ceil": np.ceil, "rint": np.rint, "trunc": np.trunc,
    "isfinite": np.isfinite, "isnan": np.isnan, "isinf": np.isinf,
    "equal": np.equal, "not_equal": np.not_equal, "less": np.less, "less_equal": np.less_equal,
    "greater": np.greater, "greater_equal": np.greater_equal,
    "logical_and": np.logical_and, "logical_or": np.logical_or, "logical_xor": np.logical_xor,
    "logical_not": np.logical_not, "floor_divide": np.floor_divide, "heaviside": np.heaviside,
    "round": np.round, "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or,
    "bitwise_xor": np.bitwise_xor, "invert": np.invert,
}
NONDIFF_PRIMS = {name: nondifferentiable(name, fn) for name, fn in _NONDIFF.items()}
