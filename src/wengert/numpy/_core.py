"""Promotion helpers and the ufunc-style functions of ``wengert.numpy``.

Binary functions apply NumPy's dtype promotion (NEP 50: Python scalars are weak) and then
insert explicit ``astype`` and ``broadcast_to`` on traced operands, so every primitive sees
operands of one shape and dtype. Constants are left as they are: NumPy broadcasts them inside
the implementation and no rule ever needs their derivative. Imports: core, primitives, NumPy.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..core.errors import WengertTypeError
from ..core.tracer import Tracer
from ..primitives import elementwise as E
from ..primitives import shape as S

__all__ = [
    "add", "subtract", "multiply", "divide", "true_divide", "power", "negative", "positive",
    "square", "sqrt", "cbrt", "reciprocal", "abs", "absolute", "fabs", "sign", "mod",
    "remainder", "fmod", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "logaddexp",
    "logaddexp2", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "hypot",
    "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "deg2rad", "rad2deg", "degrees",
    "radians", "sinc", "maximum", "minimum", "fmax", "fmin", "clip", "floor", "ceil", "round",
    "around", "rint", "trunc", "fix", "isfinite", "isnan", "isinf", "heaviside", "floor_divide",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
    "logical_or", "logical_not", "logical_xor", "where", "stop_gradient", "astype",
    "nan_to_num", "real", "imag", "conj", "conjugate", "angle", "real_if_close", "signbit",
    "copysign", "float_power", "divmod", "bitwise_and", "bitwise_or", "bitwise_xor", "invert",
    "zeros_like", "ones_like", "ndim", "shape", "size", "result_type",
]

_tracer = Tracer


def is_traced(x) -> bool:
    """Return True when ``x`` is being traced by some transform."""
    return isinstance(x, _tracer)


def _dtype_arg(x):
    # For result_type: a traced or array operand contributes its dtype (strong); a Python
    # number stays weak, as NumPy 2 (NEP 50) treats it.
    if isinstance(x, (_tracer, np.ndarray, np.generic)):
        return x.dtype
    if isinstance(x, (numbers.Number, bool)):
        return x
    return np.asarray(x).dtype


def _shape(x):
    return x.shape if isinstance(x, (_tracer, np.ndarray, np.generic)) else np.shape(x)


def coerce(x, dtype, shape):
    """Cast and broadcast a traced operand to (dtype, shape); cast a constant array only."""
    if isinstance(x, _tracer):
        if x.dtype != dtype:
            x = E.astype_p(x, dtype=np.dtype(dtype))
        if x.shape != shape:
            x = S.broadcast_to_p(x, shape=shape)
        return x
    if isinstance(x, (numbers.Number, bool)) and not isinstance(x, np.generic):
        return x
    x = np.asarray(x)
    return x.astype(dtype) if x.dtype != dtype else x


def promote(*xs, float_out: bool = False):
    """Bring operands to one dtype and, where traced, one shape. Returns a list."""
    if not any(isinstance(x, _tracer) for x in xs):
        return list(xs)
    first = xs[0]
    if len(xs) == 2:
        # Fast path: a floating traced array with a Python number (weak: keeps the dtype).
        x, y = xs
        if type(y) in (float, int) and isinstance(x, _tracer) and x.dtype.kind in "fc":
            return [x, y]
        if type(x) in (float, int) and isinstance(y, _tracer) and y.dtype.kind in "fc":
            return [x, y]
    if isinstance(first, _tracer) and all(
        isinstance(x, _tracer) and x.shape == first.shape and x.dtype == first.dtype
        for x in xs[1:]
    ) and (not float_out or first.dtype.kind in "fc"):
        return list(xs)
    args = [_dtype_arg(x) for x in xs]
    if float_out:
        args.append(np.float16)
    dtype = np.result_type(*args)
    shape = tuple(np.broadcast_shapes(*[_shape(x) for x in xs]))
    return [coerce(x, dtype, shape) for x in xs]


def _unary(prim, float_out=True):
    def fn(x, /):
        if isinstance(x, _tracer):
            if float_out and x.dtype.kind not in "fc":
                x = E.astype_p(x, dtype=np.result_type(x.dtype, np.float16))
            return prim(x)
        return prim.impl(x if isinstance(x, np.ndarray) else np.asarray(x))

    fn.__name__ = prim.name
    return fn


def _binary(prim, float_out=False):
    def fn(x, y, /):
        if isinstance(x, _tracer) or isinstance(y, _tracer):
            x, y = promote(x, y, float_out=float_out)
            return prim(x, y)
        return prim.impl(x, y)

    fn.__name__ = prim.name
    return fn


def _doc(fn, name, np_name=None):
    npf = getattr(np, np_name or name, None)
    summary = (npf.__doc__ or "").strip().splitlines()[0] if npf is not None and npf.__doc__ else ""
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"{summary}\n\nLike ``numpy.{np_name or name}``; differentiable in both modes."
    return fn


add = _doc(_binary(E.add_p), "add")
subtract = _doc(_binary(E.sub_p), "subtract")
multiply = _doc(_binary(E.mul_p), "multiply")
divide = _doc(_binary(E.div_p, float_out=True), "divide")
true_divide = divide
maximum = _doc(_binary(E.maximum_p), "maximum")
minimum = _doc(_binary(E.minimum_p), "minimum")
arctan2 = _doc(_binary(E.arctan2_p, float_out=True), "arctan2")
hypot = _doc(_binary(E.hypot_p, float_out=True), "hypot")
fmod = _doc(_binary(E.fmod_p), "fmod")
remainder = _doc(_binary(E.remainder_p), "remainder")
mod = remainder


def power(x, y, /):
    """First array elements raised to powers from second array, element-wise.

    A static integer exponent uses the exact ``integer_pow`` rule (negative bases allowed).
    """
    if isinstance(y, numbers.Integral) and not isinstance(y, bool) and isinstance(x, _tracer):
        if y >= 0 or x.dtype.kind in "fc":
            return E.integer_pow_p(x, n=int(y))
    if isinstance(x, _tracer) or isinstance(y, _tracer):
        x, y = promote(x, y)
        return E.pow_p(x, y)
    return np.power(x, y)


def float_power(x, y, /):
    """Like ``numpy.float_power``: power computed in float64."""
    return power(astype(x, np.float64), astype(y, np.float64) if not isinstance(y, numbers.Number) else float(y))


def square(x, /):
    """Return the element-wise square of the input."""
    return power(x, 2)


def reciprocal(x, /):
    """Return the reciprocal of the argument, element-wise."""
    return divide(1, x)


def negative(x, /):
    """Numerical negative, element-wise."""
    return E.neg_p(x) if isinstance(x, _tracer) else np.negative(x)


def positive(x, /):
    """Numerical positive, element-wise (returns its input)."""
    return x if isinstance(x, _tracer) else np.positive(x)


exp = _doc(_unary(E.exp_p), "exp")
expm1 = _doc(_unary(E.expm1_p), "expm1")
log = _doc(_unary(E.log_p), "log")
log1p = _doc(_unary(E.log1p_p), "log1p")
sqrt = _doc(_unary(E.sqrt_p), "sqrt")
cbrt = _doc(_unary(E.cbrt_p), "cbrt")
sin = _doc(_unary(E.sin_p), "sin")
cos = _doc(_unary(E.cos_p), "cos")
tan = _doc(_unary(E.tan_p), "tan")
arcsin = _doc(_unary(E.arcsin_p), "arcsin")
arccos = _doc(_unary(E.arccos_p), "arccos")
arctan = _doc(_unary(E.arctan_p), "arctan")
sinh = _doc(_unary(E.sinh_p), "sinh")
cosh = _doc(_unary(E.cosh_p), "cosh")
tanh = _doc(_unary(E.tanh_p), "tanh")
arcsinh = _doc(_unary(E.arcsinh_p), "arcsinh")
arccosh = _doc(_unary(E.arccosh_p), "arccosh")
arctanh = _doc(_unary(E.arctanh_p), "arctanh")
sinc = _doc(_unary(E.sinc_p), "sinc")
abs = _doc(_unary(E.abs_p, float_out=False), "abs")
absolute = abs


def fabs(x, /):
    """Absolute value in floating point, element-wise."""
    return abs(astype(x, np.result_type(_dtype_arg(x), np.float16)))


_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))


def exp2(x, /):
    """Calculate 2**x for all x in the input array (as exp(x log 2))."""
    return exp(multiply(x, _LN2)) if is_traced(x) else np.exp2(x)


def log2(x, /):
    """Base-2 logarithm of x (as log(x) / log 2)."""
    return divide(log(x), _LN2) if is_traced(x) else np.log2(x)


def log10(x, /):
    """Base-10 logarithm of x (as log(x) / log 10)."""
    return divide(log(x), _LN10) if is_traced(x) else np.log10(x)


def logaddexp(x, y, /):
    """log(exp(x) + exp(y)), computed stably as max(x, y) + log1p(exp(-|x - y|)).

    At x == y both partial derivatives are exactly 1/2 (maximum's tie rule plus abs'(0) = 0).
    """
    if not (is_traced(x) or is_traced(y)):
        return np.logaddexp(x, y)
    m = maximum(x, y)
    return add(m, log1p(exp(negative(abs(subtract(x, y))))))


def logaddexp2(x, y, /):
    """log2(2**x + 2**y), via logaddexp."""
    if not (is_traced(x) or is_traced(y)):
        return np.logaddexp2(x, y)
    return divide(logaddexp(multiply(x, _LN2), multiply(y, _LN2)), _LN2)


def deg2rad(x, /):
    """Convert angles from degrees to radians."""
    return multiply(x, np.pi / 180) if is_traced(x) else np.deg2rad(x)


def rad2deg(x, /):
    """Convert angles from radians to degrees."""
    return multiply(x, 180 / np.pi) if is_traced(x) else np.rad2deg(x)


radians = deg2rad
degrees = rad2deg


def fmax(x, y, /):
    """Element-wise maximum that ignores NaN (ties split as in maximum)."""
    if not (is_traced(x) or is_traced(y)):
        return np.fmax(x, y)
    x, y = promote(x, y)
    return where(isnan(y), x, where(isnan(x), y, maximum(x, y)))


def fmin(x, y, /):
    """Element-wise minimum that ignores NaN (ties split as in minimum)."""
    if not (is_traced(x) or is_traced(y)):
        return np.fmin(x, y)
    x, y = promote(x, y)
    return where(isnan(y), x, where(isnan(x), y, minimum(x, y)))


def clip(a, a_min=None, a_max=None, /, **kwargs):
    """Clip (limit) the values in an array.

    The derivative flows to ``a`` where a_min <= a <= a_max (boundaries inclusive), and to a
    traced bound where it is active.
    """
    a_min = kwargs.pop("min", a_min)
    a_max = kwargs.pop("max", a_max)
    if kwargs:
        raise WengertTypeError(f"clip: unexpected keyword arguments {sorted(kwargs)}")
    if not any(is_traced(v) for v in (a, a_min, a_max)):
        return np.clip(a, a_min, a_max)
    lo = -np.inf if a_min is None else a_min
    hi = np.inf if a_max is None else a_max
    a, lo, hi = promote(a, lo, hi)
    return E.clip_p(a, lo, hi)


def where(condition, x=None, y=None, /):
    """Return elements chosen from x or y depending on condition.

    Only the branch taken receives a derivative; the other gets an exact zero, so a NaN or
    inf in the branch not taken does not leak into gradients.
    """
    if x is None and y is None:
        return np.nonzero(_concrete(condition))
    if not (is_traced(x) or is_traced(y)):
        return np.where(_concrete(condition), x, y)
    cond = np.asarray(_concrete(condition), dtype=bool)
    x, y = promote(x, y)
    shape = tuple(np.broadcast_shapes(cond.shape, _shape(x), _shape(y)))
    dtype = x.dtype if is_traced(x) else y.dtype
    x = coerce(x, dtype, shape)
    y = coerce(y, dtype, shape)
    return E.select_p(cond, x, y)


def _concrete(x):
    """The plain value of a possibly traced, non-differentiable operand (a mask, an index)."""
    return x.primal_value() if isinstance(x, _tracer) else x


def _nondiff(name):
    prim = E.NONDIFF_PRIMS[name]

    def fn(*args, **kwargs):
        if any(isinstance(a, _tracer) for a in args):
            args = [_concrete(a) for a in args]
        return prim.impl(*args, **kwargs)

    return _doc(fn, name)


# Non-differentiable functions return plain NumPy values even for traced inputs: their
# derivative is zero, so nothing needs recording.
sign = _nondiff("sign")
floor = _nondiff("floor")
ceil = _nondiff("ceil")
rint = _nondiff("rint")
trunc = _nondiff("trunc")
fix = trunc
round = _nondiff("round")
around = round
isfinite = _nondiff("isfinite")
isnan = _nondiff("isnan")
isinf = _nondiff("isinf")
heaviside = _nondiff("heaviside")
floor_divide = _nondiff("floor_divide")
equal = _nondiff("equal")
not_equal = _nondiff("not_equal")
less = _nondiff("less")
less_equal = _nondiff("less_equal")
greater = _nondiff("greater")
greater_equal = _nondiff("greater_equal")
logical_and = _nondiff("logical_and")
logical_or = _nondiff("logical_or")
logical_xor = _nondiff("logical_xor")
logical_not = _nondiff("logical_not")
bitwise_and = _nondiff("bitwise_and")
bitwise_or = _nondiff("bitwise_or")
bitwise_xor = _nondiff("bitwise_xor")
invert = _nondiff("invert")


def signbit(x, /):
    """Return True where the sign bit is set (non-differentiable)."""
    return np.signbit(_concrete(x))


def copysign(x, y, /):
    """|x| with the sign of y; differentiable in x (y only selects a sign)."""
    if not is_traced(x):
        return np.copysign(x, _concrete(y))
    s = np.where(np.signbit(_concrete(y)), -1.0, 1.0)
    return multiply(abs(x), s.astype(x.dtype) if s.ndim else x.dtype.type(s))


def divmod(x, y, /):
    """Return (floor_divide(x, y), mod(x, y))."""
    return floor_divide(x, y), mod(x, y)


def stop_gradient(x):
    """Return ``x`` with zero derivative in every mode and at every order.

    Examples
    --------
    >>> import wengert as wg, wengert.numpy as wnp
    >>> float(wg.grad(lambda x: x * wnp.stop_gradient(x))(3.0))
    3.0
    """
    from .. import tree

    return tree.map(lambda v: E.stop_gradient_p(v) if is_traced(v) else v, x)


def astype(x, dtype, /, copy=True):
    """Cast to ``dtype``; the derivative is cast back to the input's dtype."""
    dtype = np.dtype(dtype)
    if isinstance(x, _tracer):
        return x if x.dtype == dtype else E.astype_p(x, dtype=dtype)
    return np.asarray(x).astype(dtype, copy=copy)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """Replace NaN and infinities; the derivative is 1 where x was finite and 0 elsewhere."""
    if not is_traced(x):
        return np.nan_to_num(x, copy=copy, nan=nan, posinf=posinf, neginf=neginf)
    v = _concrete(x)
    repl = np.nan_to_num(v, nan=nan, posinf=posinf, neginf=neginf)
    return where(np.isfinite(v), x, repl.astype(x.dtype))


def real(x, /):
    """Real part (complex support arrives with the complex-number issue; identity on reals)."""
    _require_real("real", x)
    return x if is_traced(x) else np.real(x)


def imag(x, /):
    """Imaginary part (zero for real input)."""
    _require_real("imag", x)
    return zeros_like(x) if is_traced(x) else np.imag(x)


def conj(x, /):
    """Complex conjugate (identity on real input)."""
    _require_real("conj", x)
    return x if is_traced(x) else np.conj(x)


conjugate = conj


def angle(x, deg=False):
    """Angle of the complex argument: 0 for x >= 0 and pi for x < 0 on real input."""
    _require_real("angle", x)
    return np.angle(_concrete(x), deg=deg)


def real_if_close(a, tol=100):
    """Return real parts if the imaginary parts are close to zero (identity on real input)."""
    _require_real("real_if_close", a)
    return a if is_traced(a) else np.real_if_close(a, tol=tol)


def _require_real(name, x):
    if is_traced(x) and x.dtype.kind == "c":
        from ..core.errors import UnsupportedError

        raise UnsupportedError(
            f"{name}: complex traced arrays are not supported yet (they arrive with the "
            "complex-number issue); split the computation into real and imaginary parts."
        )


def zeros_like(a, dtype=None, shape=None):
    """Return zeros with the shape and dtype of ``a`` (a constant, never traced)."""
    return np.zeros(_shape(a) if shape is None else shape, dtype or _dtype_of(a))


def ones_like(a, dtype=None, shape=None):
    """Return ones with the shape and dtype of ``a`` (a constant, never traced)."""
    return np.ones(_shape(a) if shape is None else shape, dtype or _dtype_of(a))


def _dtype_of(a):
    return a.dtype if isinstance(a, (_tracer, np.ndarray, np.generic)) else np.asarray(a).dtype


# --- introspection (non-differentiable, never traced) -------------------------------------------


def ndim(a) -> int:
    """Number of dimensions of ``a``."""
    return len(_shape(a))


def shape(a) -> tuple:
    """Shape of ``a``."""
    return tuple(_shape(a))


def size(a, axis=None) -> int:
    """Number of elements of ``a`` (along ``axis`` if given)."""
    s = _shape(a)
    return int(np.prod(s, dtype=np.int64)) if axis is None else int(s[axis])


def result_type(*arrays_and_dtypes):
    """Like ``numpy.result_type``; traced arrays contribute their dtype."""
    return np.result_type(*[_dtype_arg(x) if not isinstance(x, (np.dtype, type, str)) else x
                            for x in arrays_and_dtypes])
