"""Promotion helpers and the ufunc-style functions of ``wengert.numpy``.

Binary functions apply NumPy's dtype promotion (NEP 50: Python scalars are weak, NumPy scalars
and 0-d arrays are not) and then insert explicit ``astype`` and ``broadcast_to`` on traced
operands, so every primitive sees operands of one shape and dtype. Where a ufunc has its own
type resolution (``divide`` of integers computes in float64, ``sqrt`` of int8 in float16) the
operands are cast to the loop dtypes NumPy itself would pick. Constants are left as they are:
NumPy broadcasts them inside the implementation and no rule ever needs their derivative.

Every function first checks whether any argument is traced; if none is, it calls NumPy
directly, so plain inputs give exactly NumPy's result. Non-differentiable functions
(comparisons, rounding, predicates) bind their primitive, which returns a plain array with no
derivative. Functions that read values (``where`` with constant branches, ``all``, ``isclose``)
read them example by example under ``vmap`` (``primitives.batching.map_examples``), and refuse
a batch where no per-example result exists (``allclose``, one-argument ``where``). Imports:
core, primitives, NumPy.
"""

from __future__ import annotations

import builtins
import numbers

import numpy as np

from ..core.errors import UnsupportedError, WengertTypeError
from ..core.tracer import Tracer, bind
from ..primitives import elementwise as E
from ..primitives import shape as S
from ..primitives.batching import constant, is_batched, map_examples

__all__ = [
    "abs",
    "absolute",
    "add",
    "all",
    "allclose",
    "angle",
    "any",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "around",
    "array_equal",
    "astype",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "cbrt",
    "ceil",
    "clip",
    "conj",
    "conjugate",
    "copysign",
    "cos",
    "cosh",
    "deg2rad",
    "degrees",
    "divide",
    "divmod",
    "equal",
    "exp",
    "exp2",
    "expm1",
    "fabs",
    "fix",
    "float_power",
    "floor",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "greater",
    "greater_equal",
    "heaviside",
    "hypot",
    "imag",
    "invert",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "less",
    "less_equal",
    "log",
    "log1p",
    "log2",
    "log10",
    "logaddexp",
    "logaddexp2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "mod",
    "multiply",
    "nan_to_num",
    "ndim",
    "negative",
    "not_equal",
    "ones_like",
    "positive",
    "power",
    "rad2deg",
    "radians",
    "real",
    "real_if_close",
    "reciprocal",
    "remainder",
    "result_type",
    "rint",
    "round",
    "shape",
    "sign",
    "signbit",
    "sin",
    "sinc",
    "sinh",
    "size",
    "sqrt",
    "square",
    "stop_gradient",
    "subtract",
    "tan",
    "tanh",
    "true_divide",
    "trunc",
    "where",
    "zeros_like",
]

_tracer = Tracer
_MISSING = object()


def is_traced(x) -> bool:
    """Return True when ``x`` is being traced by some transform."""
    return isinstance(x, _tracer)


def _any_traced(xs) -> bool:
    return builtins.any(isinstance(x, _tracer) for x in xs)


def _dtype_arg(x):
    # For result_type: a traced or array operand contributes its dtype (strong); a Python
    # number stays weak, as NumPy 2 (NEP 50) treats it.
    if isinstance(x, (_tracer, np.ndarray, np.generic)):
        return x.dtype
    if isinstance(x, (numbers.Number, bool)):
        return x
    return np.asarray(x).dtype


def _ufunc_operand(x):
    # For ufunc.resolve_dtypes: a dtype, or the Python scalar's type (weak, NEP 50).
    if isinstance(x, (_tracer, np.ndarray, np.generic)):
        return x.dtype
    if isinstance(x, bool):
        return np.dtype(bool)
    if isinstance(x, (int, float, complex)):
        return type(x)
    return np.asarray(x).dtype


def _shape(x):
    return x.shape if isinstance(x, (_tracer, np.ndarray, np.generic)) else np.shape(x)


def _is_python_scalar(x) -> bool:
    return isinstance(x, (numbers.Number, bool)) and not isinstance(x, np.generic)


def coerce(x, dtype, shape):
    """Cast and broadcast a traced operand to (dtype, shape); cast a constant array only."""
    if isinstance(x, _tracer):
        if x.dtype != dtype:
            x = E.astype_p(x, dtype=np.dtype(dtype))
        if x.shape != shape:
            x = S.broadcast_to_p(x, shape=shape)
        return x
    if _is_python_scalar(x):
        return x
    x = np.asarray(x)
    return x.astype(dtype) if x.dtype != dtype else x


def promote(*xs, float_out: bool = False, ufunc=None):
    """Bring operands to one dtype and, where traced, one shape. Returns a list.

    With ``ufunc`` each operand is cast to the input dtype of the loop NumPy would select
    (``ufunc.resolve_dtypes``); otherwise to ``result_type`` of all (with ``float_out``, at
    least float16, as for unary float functions).
    """
    first = xs[0]
    if len(xs) == 2:
        # Fast path: a floating traced array with a Python float or int (weak, NEP 50: the
        # array's dtype wins, for every ufunc loop wengert uses), no cast and no broadcast.
        x, y = xs
        if type(y) in (float, int) and isinstance(x, _tracer) and x.dtype.kind == "f":
            return [x, y]
        if type(x) in (float, int) and isinstance(y, _tracer) and y.dtype.kind == "f":
            return [x, y]
        # Two arrays (one traced) of one floating dtype and shape: nothing to cast or broadcast.
        if (isinstance(x, (_tracer, np.ndarray)) and isinstance(y, (_tracer, np.ndarray))
                and x.dtype == y.dtype and x.dtype.kind in "fc" and x.shape == y.shape
                and (isinstance(x, _tracer) or isinstance(y, _tracer))):
            return [x, y]
    if not _any_traced(xs):
        return list(xs)
    # Fast path: operands (traced, or constant arrays) already of one floating dtype and one
    # shape need neither a cast nor a broadcast.
    if (
        isinstance(first, (_tracer, np.ndarray))
        and (first.dtype.kind in "fc" or not (float_out or ufunc is not None))
        and builtins.all(
            isinstance(x, (_tracer, np.ndarray)) and x.shape == first.shape
            and x.dtype == first.dtype
            for x in xs[1:]
        )
    ):
        return list(xs)
    if ufunc is not None:
        types = tuple(_ufunc_operand(x) for x in xs)
        dtypes = ufunc.resolve_dtypes(types + (None,) * ufunc.nout)[: len(xs)]
    else:
        args = [_dtype_arg(x) for x in xs]
        if float_out:
            args.append(np.float16)
        dtypes = (np.result_type(*args),) * len(xs)
    shape = tuple(np.broadcast_shapes(*[_shape(x) for x in xs]))
    return [coerce(x, dt, shape) for x, dt in zip(xs, dtypes)]


def _concrete(x, what="this function"):
    """The plain value of a possibly traced operand that must be one constant (a shape, a
    static index, a count). Under vmap, a value that varies across the batch is refused: read
    per-example values with ``map_examples`` instead."""
    return constant(x, what) if isinstance(x, _tracer) else x


def _traced_ufunc_kwargs(name, kwargs):
    """Check ufunc keywords on traced input; return the ``dtype=`` requested (or None)."""
    kwargs = dict(kwargs)
    out = kwargs.pop("out", None)
    outs = out if isinstance(out, tuple) else (out,)
    if builtins.any(o is not None for o in outs):
        raise UnsupportedError(
            f"wengert.numpy.{name}(..., out=...) would write a traced value into an array "
            "that cannot hold its derivative; drop out= and use the returned value."
        )
    if kwargs.pop("where", True) is not True:
        raise UnsupportedError(
            f"wengert.numpy.{name}(..., where=...) is not supported on traced arrays; compute "
            "the full result and select with wengert.numpy.where(mask, result, other)."
        )
    dtype = kwargs.pop("dtype", None)
    for k in ("casting", "order", "subok"):
        kwargs.pop(k, None)
    if kwargs:
        raise WengertTypeError(
            f"wengert.numpy.{name}: unsupported keyword argument(s) {sorted(kwargs)} on a "
            "traced array; the supported ones are out=None, where=True and dtype."
        )
    return None if dtype is None else np.dtype(dtype)


def _cast(x, dtype):
    """Cast an operand (traced, array or Python scalar) to ``dtype``."""
    if isinstance(x, _tracer):
        return astype(x, dtype)
    return np.asarray(x, dtype=dtype)


def _loop_cast(ufunc, x):
    """Cast a traced operand of a unary ufunc to the input dtype of NumPy's loop."""
    if x.dtype.kind in "fc":
        return x
    return astype(x, ufunc.resolve_dtypes((x.dtype, None))[0])


def _doc(fn, name, np_name=None, extra=""):
    npf = getattr(np, np_name or name, None)
    doc = getattr(npf, "__doc__", None) or ""
    lines = [ln.strip() for ln in doc.strip().splitlines() if ln.strip()]
    # A ufunc's docstring opens with its signature line; skip it.
    summary = next((ln for ln in lines if not ln.startswith(f"{np_name or name}(")), "")
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"{summary}\n\nLike ``numpy.{np_name or name}``; differentiable in both modes."
    if extra:
        fn.__doc__ += f" {extra}"
    return fn


def _unary(prim, ufunc, *, loop_cast=True, name=None, extra=""):
    np_name = ufunc.__name__
    name = name or np_name

    def fn(x, /, **kwargs):
        if not isinstance(x, _tracer):
            return ufunc(x, **kwargs)
        dtype = _traced_ufunc_kwargs(name, kwargs) if kwargs else None
        if dtype is not None:
            x = astype(x, dtype)
        if loop_cast and x.dtype.kind not in "fc":
            x = _loop_cast(ufunc, x)
        return bind(prim, x)

    fn = _doc(fn, np_name, extra=extra)
    fn.__name__ = fn.__qualname__ = name
    return fn


def _binary(prim, ufunc, *, extra="", ordered=False):
    name = ufunc.__name__

    def fn(x1, x2, /, **kwargs):
        if not (isinstance(x1, _tracer) or isinstance(x2, _tracer)):
            return ufunc(x1, x2, **kwargs)
        if ordered:
            _no_complex(name, x1, x2)
        dtype = _traced_ufunc_kwargs(name, kwargs) if kwargs else None
        if dtype is not None:
            x1, x2 = _cast(x1, dtype), _cast(x2, dtype)
        x1, x2 = promote(x1, x2, ufunc=ufunc)
        return bind(prim, x1, x2)

    return _doc(fn, name, extra=extra)


# --- arithmetic -------------------------------------------------------------------------------

add = _binary(E.add_p, np.add)
subtract = _binary(E.sub_p, np.subtract)
multiply = _binary(E.mul_p, np.multiply)
divide = _binary(E.div_p, np.divide, extra="Integer inputs are divided in float64, as NumPy.")
true_divide = divide
maximum = _binary(
    E.maximum_p,
    np.maximum,
    extra="At ties the derivative is split evenly, 1/2 to each argument.",
    ordered=True,
)
minimum = _binary(
    E.minimum_p,
    np.minimum,
    extra="At ties the derivative is split evenly, 1/2 to each argument.",
    ordered=True,
)
arctan2 = _binary(E.arctan2_p, np.arctan2, extra="Both partials are taken as 0 at the origin.")
hypot = _binary(E.hypot_p, np.hypot, extra="Both partials are taken as 0 at the origin.")
fmod = _binary(
    E.fmod_p, np.fmod, extra="d/dx1 = 1 and d/dx2 = -trunc(x1/x2) (piecewise constant quotient)."
)
remainder = _binary(
    E.remainder_p,
    np.remainder,
    extra="d/dx1 = 1 and d/dx2 = -floor(x1/x2) (piecewise constant quotient).",
)
mod = remainder
logaddexp = _binary(
    E.logaddexp_p,
    np.logaddexp,
    extra="The partials are the softmax weights; 1/2 each at x1 == x2.",
)
logaddexp2 = _binary(
    E.logaddexp2_p,
    np.logaddexp2,
    extra="The partials are the base-2 softmax weights; 1/2 each at x1 == x2.",
)


def power(x1, x2, /, **kwargs):
    """First array elements raised to powers from second array, element-wise.

    Like ``numpy.power``; differentiable in both modes. A static integer exponent uses the
    exact ``integer_pow`` rule n * x**(n-1) (negative bases allowed). For a traced exponent,
    d/dx2 x1**x2 = log(x1) x1**x2 is taken as 0 where x1 == 0.
    """
    if not (isinstance(x1, _tracer) or isinstance(x2, _tracer)):
        return np.power(x1, x2, **kwargs)
    dtype = _traced_ufunc_kwargs("power", kwargs) if kwargs else None
    if dtype is not None:
        x1, x2 = _cast(x1, dtype), _cast(x2, dtype)
    if isinstance(x1, _tracer) and isinstance(x2, numbers.Integral) and not isinstance(x2, bool):
        dt = np.power.resolve_dtypes((x1.dtype, _ufunc_operand(x2), None))[-1]
        if int(x2) >= 0 or dt.kind in "fc":
            return E.integer_pow_p(astype(x1, dt), n=int(x2))
    x1, x2 = promote(x1, x2, ufunc=np.power)
    return E.pow_p(x1, x2)


def float_power(x1, x2, /, **kwargs):
    """First array elements raised to powers from second array, element-wise, in float64.

    Like ``numpy.float_power``; differentiable in both modes, with the rules of ``power``.
    """
    if not (isinstance(x1, _tracer) or isinstance(x2, _tracer)):
        return np.float_power(x1, x2, **kwargs)
    dtype = _traced_ufunc_kwargs("float_power", kwargs) if kwargs else None
    if dtype is None:
        dtype = np.float_power.resolve_dtypes((_ufunc_operand(x1), _ufunc_operand(x2), None))[-1]
    x1 = _cast(x1, dtype)
    x2 = x2 if _is_python_scalar(x2) else _cast(x2, dtype)
    x1, x2 = promote(x1, x2, ufunc=np.float_power)
    return E.float_power_p(x1, x2)


def square(x, /, **kwargs):
    """Return the element-wise square of the input (as ``x**2``, with the integer_pow rule)."""
    if not isinstance(x, _tracer):
        return np.square(x, **kwargs)
    dtype = _traced_ufunc_kwargs("square", kwargs) if kwargs else None
    x = x if dtype is None else astype(x, dtype)
    return E.integer_pow_p(astype(x, np.square.resolve_dtypes((x.dtype, None))[0]), n=2)


def reciprocal(x, /, **kwargs):
    """Return the reciprocal of the argument, element-wise (as ``1 / x``).

    Integer input follows NumPy (integer division, not differentiable).
    """
    if not isinstance(x, _tracer):
        return np.reciprocal(x, **kwargs)
    dtype = _traced_ufunc_kwargs("reciprocal", kwargs) if kwargs else None
    if dtype is not None:
        x = astype(x, dtype)
    if x.dtype.kind not in "fc":
        return map_examples(np.reciprocal, x, elementwise=True)
    return divide(x.dtype.type(1), x)


def negative(x, /, **kwargs):
    """Numerical negative, element-wise."""
    if not isinstance(x, _tracer):
        return np.negative(x, **kwargs)
    dtype = _traced_ufunc_kwargs("negative", kwargs) if kwargs else None
    return E.neg_p(x if dtype is None else astype(x, dtype))


def positive(x, /, **kwargs):
    """Numerical positive, element-wise (returns its input when traced)."""
    if not isinstance(x, _tracer):
        return np.positive(x, **kwargs)
    dtype = _traced_ufunc_kwargs("positive", kwargs) if kwargs else None
    return x if dtype is None else astype(x, dtype)


# --- unary functions ----------------------------------------------------------------------------

exp = _unary(E.exp_p, np.exp)
exp2 = _unary(E.exp2_p, np.exp2)
expm1 = _unary(E.expm1_p, np.expm1)
log = _unary(E.log_p, np.log)
log2 = _unary(E.log2_p, np.log2)
log10 = _unary(E.log10_p, np.log10)
log1p = _unary(E.log1p_p, np.log1p)
sqrt = _unary(E.sqrt_p, np.sqrt, extra="The derivative at 0 is +inf (the one-sided limit).")
cbrt = _unary(E.cbrt_p, np.cbrt, extra="The derivative at 0 is +inf.")
sin = _unary(E.sin_p, np.sin)
cos = _unary(E.cos_p, np.cos)
tan = _unary(E.tan_p, np.tan)
arcsin = _unary(E.arcsin_p, np.arcsin)
arccos = _unary(E.arccos_p, np.arccos)
arctan = _unary(E.arctan_p, np.arctan)
sinh = _unary(E.sinh_p, np.sinh)
cosh = _unary(E.cosh_p, np.cosh)
tanh = _unary(E.tanh_p, np.tanh)
arcsinh = _unary(E.arcsinh_p, np.arcsinh)
arccosh = _unary(E.arccosh_p, np.arccosh)
arctanh = _unary(E.arctanh_p, np.arctanh)
absolute = _unary(
    E.abs_p, np.absolute, loop_cast=False, extra="The derivative at 0 is 0 (sign(0) = 0)."
)
abs = _unary(
    E.abs_p,
    np.absolute,
    loop_cast=False,
    name="abs",
    extra="The derivative at 0 is 0 (sign(0) = 0).",
)


def sinc(x):
    """Return the normalized sinc function sin(pi x) / (pi x), with sinc(0) = 1.

    Like ``numpy.sinc``; differentiable in both modes to any order, at 0 included
    (sinc'(0) = 0, sinc''(0) = -pi**2/3).
    """
    if not isinstance(x, _tracer):
        return np.sinc(x)
    if x.dtype.kind not in "fc":
        x = astype(x, np.float64)
    return E.sinc_p(x)


def fabs(x, /, **kwargs):
    """Compute the absolute values element-wise, in floating point.

    Like ``numpy.fabs``; differentiable in both modes, with abs'(0) = 0.
    """
    if not isinstance(x, _tracer):
        return np.fabs(x, **kwargs)
    dtype = _traced_ufunc_kwargs("fabs", kwargs) if kwargs else None
    x = _loop_cast(np.fabs, x if dtype is None else astype(x, dtype))
    return E.abs_p(x)


def _scale_angle(name, x, kwargs, num, den):
    # NumPy's deg2rad/rad2deg multiply by a constant computed in the loop's own precision;
    # its float16 loop computes in float32 and rounds once.
    ufunc = getattr(np, name)
    if not isinstance(x, _tracer):
        return ufunc(x, **kwargs)
    dtype = _traced_ufunc_kwargs(name, kwargs) if kwargs else None
    x = _loop_cast(ufunc, x if dtype is None else astype(x, dtype))
    if x.dtype == np.float16:
        return astype(_scale_angle(name, astype(x, np.float32), {}, num, den), np.float16)
    t = x.dtype.type
    return multiply(x, t(num) / t(den))


def deg2rad(x, /, **kwargs):
    """Convert angles from degrees to radians (x * pi/180, bit for bit as NumPy)."""
    return _scale_angle("deg2rad", x, kwargs, np.pi, 180)


def rad2deg(x, /, **kwargs):
    """Convert angles from radians to degrees (x * 180/pi, bit for bit as NumPy)."""
    return _scale_angle("rad2deg", x, kwargs, 180, np.pi)


radians = _doc(lambda x, /, **kwargs: deg2rad(x, **kwargs), "radians")
degrees = _doc(lambda x, /, **kwargs: rad2deg(x, **kwargs), "degrees")


def _nan_ignoring(npfn, extremum, word):
    def fn(x1, x2, /, **kwargs):
        if not (isinstance(x1, _tracer) or isinstance(x2, _tracer)):
            return npfn(x1, x2, **kwargs)
        _no_complex(npfn.__name__, x1, x2)
        if kwargs:
            _traced_ufunc_kwargs(npfn.__name__, kwargs)
        x1, x2 = promote(x1, x2, ufunc=npfn)
        return where(isnan(x2), x1, where(isnan(x1), x2, extremum(x1, x2)))

    fn.__name__ = fn.__qualname__ = npfn.__name__
    fn.__doc__ = (
        f"Element-wise {word} that ignores NaN.\n\n"
        f"Like ``numpy.{npfn.__name__}``; differentiable in both modes. Ties split the "
        f"derivative evenly, as in ``{extremum.__name__}``; where one operand is NaN the "
        "derivative goes to the other."
    )
    return fn


fmax = _nan_ignoring(np.fmax, maximum, "maximum")
fmin = _nan_ignoring(np.fmin, minimum, "minimum")


def copysign(x1, x2, /, **kwargs):
    """Change the sign of x1 to that of x2, element-wise.

    Like ``numpy.copysign``; differentiable in x1 (|x1| with abs'(0) = 0), while x2 only
    selects a sign and gets derivative 0.
    """
    if not (isinstance(x1, _tracer) or isinstance(x2, _tracer)):
        return np.copysign(x1, x2, **kwargs)
    if kwargs:
        _traced_ufunc_kwargs("copysign", kwargs)
    dt = np.copysign.resolve_dtypes((_ufunc_operand(x1), _ufunc_operand(x2), None))[-1]
    a = fabs(_cast(x1, dt))
    return where(signbit(x2), negative(a), a)


def clip(
    a,
    a_min=np._NoValue,
    a_max=np._NoValue,
    out=None,
    *,
    min=np._NoValue,
    max=np._NoValue,
    **kwargs,
):
    """Clip (limit) the values in an array.

    Like ``numpy.clip``; differentiable in ``a`` and in traced bounds. The derivative flows to
    ``a`` where a_min <= a <= a_max (both boundaries inclusive), to ``a_min`` where a < a_min
    and to ``a_max`` where a > a_max (and wherever a_min > a_max, where NumPy returns a_max).
    """
    if not _any_traced((a, a_min, a_max, min, max)):
        return np.clip(a, a_min, a_max, out, min=min, max=max, **kwargs)
    _no_complex("clip", a, a_min, a_max, min, max)
    if out is not None:
        _traced_ufunc_kwargs("clip", {"out": out})
    dtype = _traced_ufunc_kwargs("clip", kwargs) if kwargs else None
    if min is not np._NoValue:
        if a_min is not np._NoValue:
            raise TypeError("clip: pass either a_min or min, not both")
        a_min = min
    if max is not np._NoValue:
        if a_max is not np._NoValue:
            raise TypeError("clip: pass either a_max or max, not both")
        a_max = max
    lo = None if a_min is np._NoValue else a_min
    hi = None if a_max is np._NoValue else a_max
    if dtype is not None:
        a = _cast(a, dtype)
    res = np.result_type(*[_dtype_arg(v) for v in (a, lo, hi) if v is not None])
    # A missing bound is the dtype's extreme value, so it changes neither value nor dtype.
    lo = _extreme(res, -1) if lo is None else lo
    hi = _extreme(res, +1) if hi is None else hi
    a, lo, hi = promote(a, lo, hi)
    return E.clip_p(a, lo, hi)


def _extreme(dtype, sign):
    dtype = np.dtype(dtype)
    if dtype.kind in "fc":
        return dtype.type(sign * np.inf)
    if dtype.kind == "b":
        return dtype.type(sign > 0)
    info = np.iinfo(dtype)
    return dtype.type(info.max if sign > 0 else info.min)


def where(condition, x=_MISSING, y=_MISSING, /):
    """Return elements chosen from x or y depending on condition.

    Like ``numpy.where``; differentiable in x and y. Only the branch taken receives a
    derivative; the other gets an exact zero, which stays zero through the rules of the
    branch not taken (0 * inf = 0), so ``where(x > 0, sqrt(x), 0)`` has gradient 0 at x <= 0.
    Real NaN in the branch taken still propagates. ``where(condition)`` is ``nonzero``.

    Examples
    --------
    >>> import wengert as wg, wengert.numpy as wnp
    >>> float(wg.grad(lambda x: wnp.where(x > 0, wnp.sqrt(x), 0.0))(0.0))
    0.0
    """
    if x is _MISSING and y is _MISSING:
        if is_batched(condition):
            raise _shape_varies("where(condition)", "nonzero")
        return np.nonzero(_concrete(condition))
    if x is _MISSING or y is _MISSING:
        raise ValueError("either both or neither of x and y should be given")
    if not (isinstance(x, _tracer) or isinstance(y, _tracer) or isinstance(condition, _tracer)):
        return np.where(condition, x, y)
    if isinstance(condition, _tracer):
        cond = condition if condition.dtype == bool else not_equal(condition, 0)
    else:
        cond = np.asarray(condition)
        if cond.dtype != bool:
            cond = cond.astype(bool)
    dtype = np.result_type(_dtype_arg(x), _dtype_arg(y))
    shape = tuple(np.broadcast_shapes(_shape(cond), _shape(x), _shape(y)))
    return E.select_p(cond, coerce(x, dtype, shape), coerce(y, dtype, shape))


def _shape_varies(what, name):
    """The error for a function whose result's shape depends on the values, under vmap."""
    return WengertTypeError(
        f"{what}: its result's shape depends on the values ({name}), so it cannot be "
        "computed per example under vmap, where every example must have one shape. Keep "
        "shapes fixed with wnp.where(mask, x, fill), or call it outside vmap."
    )


def _single_bool(name, per_example):
    """The error for a function returning one Python bool, given a batched value."""
    return WengertTypeError(
        f"{name}: returns one Python bool, but its input varies across a vmap batch. For a "
        f"per-example answer use {per_example}, or call it outside vmap."
    )


# --- non-differentiable functions -----------------------------------------------------------


def _nondiff(name, extra=""):
    prim = E.NONDIFF_PRIMS[name]
    ufunc = getattr(np, name)

    if ufunc.nin == 1:

        def fn(x, /, **kwargs):
            if not isinstance(x, _tracer):
                return ufunc(x, **kwargs)
            dtype = _traced_ufunc_kwargs(name, kwargs) if kwargs else None
            return prim(x) if dtype is None else prim(x, dtype=dtype)
    else:

        def fn(x1, x2, /, **kwargs):
            if not (isinstance(x1, _tracer) or isinstance(x2, _tracer)):
                return ufunc(x1, x2, **kwargs)
            dtype = _traced_ufunc_kwargs(name, kwargs) if kwargs else None
            return prim(x1, x2) if dtype is None else prim(x1, x2, dtype=dtype)

    fn = _doc(fn, name)
    fn.__doc__ = fn.__doc__.replace(
        "differentiable in both modes.",
        "not differentiable: on traced input it returns a plain array (zero derivative)."
        + (f" {extra}" if extra else ""),
    )
    return fn


_sign_real = _nondiff("sign", "abs'(0) = 0 is consistent with sign(0) = 0.")


def sign(x, /, **kwargs):
    """Returns an element-wise indication of the sign of a number.

    Like ``numpy.sign``. On real input it is piecewise constant, so traced input gives a
    plain array (zero derivative; abs'(0) = 0 is consistent with sign(0) = 0). On complex
    input it is z / |z| (NumPy 2), differentiable away from 0, with sign(0) = 0 and
    derivative 0 there.
    """
    if not (isinstance(x, _tracer) and x.dtype.kind == "c"):
        return _sign_real(x, **kwargs)
    dtype = _traced_ufunc_kwargs("sign", kwargs) if kwargs else None
    if dtype is not None:
        x = astype(x, dtype)
    r = abs(x)
    zero = equal(r, 0)
    return where(zero, zeros_like(x), divide(x, where(zero, ones_like(r), r)))


floor = _nondiff("floor")
ceil = _nondiff("ceil")
rint = _nondiff("rint")
trunc = _nondiff("trunc")
isfinite = _nondiff("isfinite")
isnan = _nondiff("isnan")
isinf = _nondiff("isinf")
signbit = _nondiff("signbit")
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


def round(a, decimals=0, out=None):
    """Evenly round to the given number of decimals.

    Like ``numpy.round``; not differentiable: on traced input it returns a plain array.
    """
    if not isinstance(a, _tracer):
        return np.round(a, decimals, out)
    if out is not None:
        _traced_ufunc_kwargs("round", {"out": out})
    return E.NONDIFF_PRIMS["round"](a, decimals=decimals)


around = round


def fix(x, out=None):
    """Round to nearest integer towards zero.

    Like ``numpy.fix``; not differentiable: on traced input it returns a plain array.
    """
    if not isinstance(x, _tracer):
        return np.fix(x, out)
    if out is not None:
        _traced_ufunc_kwargs("fix", {"out": out})
    return E.NONDIFF_PRIMS["trunc"](x)


def divmod(x1, x2, /, **kwargs):
    """Return element-wise quotient and remainder simultaneously.

    Like ``numpy.divmod``: ``(floor_divide(x1, x2), remainder(x1, x2))``; the quotient is not
    differentiable, the remainder is.
    """
    if not (isinstance(x1, _tracer) or isinstance(x2, _tracer)):
        return np.divmod(x1, x2, **kwargs)
    if kwargs:
        _traced_ufunc_kwargs("divmod", kwargs)
    return floor_divide(x1, x2), remainder(x1, x2)


def all(a, axis=None, out=None, keepdims=np._NoValue, *, where=np._NoValue):
    """Test whether all array elements along a given axis evaluate to True.

    Like ``numpy.all``; not differentiable: traced input gives a plain result (under vmap,
    one result per example).
    """
    return map_examples(lambda v, w: np.all(v, axis=axis, out=out, keepdims=keepdims, where=w),
                        a, where)


def any(a, axis=None, out=None, keepdims=np._NoValue, *, where=np._NoValue):
    """Test whether any array element along a given axis evaluates to True.

    Like ``numpy.any``; not differentiable: traced input gives a plain result (under vmap,
    one result per example).
    """
    return map_examples(lambda v, w: np.any(v, axis=axis, out=out, keepdims=keepdims, where=w),
                        a, where)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Return a boolean array where two arrays are element-wise equal within a tolerance.

    Like ``numpy.isclose``; not differentiable: traced input gives a plain result (under
    vmap, one result per example).
    """
    return map_examples(
        lambda a, b, rtol, atol: np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan),
        a, b, rtol, atol, elementwise=True,
    )


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Return True if two arrays are element-wise equal within a tolerance.

    Like ``numpy.allclose``; not differentiable: traced input gives a plain result. Under
    vmap it raises: one bool cannot answer for every example.
    """
    if builtins.any(is_batched(v) for v in (a, b, rtol, atol)):
        raise _single_bool("allclose", "wnp.all(wnp.isclose(a, b))")
    return np.allclose(
        _concrete(a), _concrete(b), rtol=_concrete(rtol), atol=_concrete(atol), equal_nan=equal_nan
    )


def array_equal(a1, a2, equal_nan=False):
    """True if two arrays have the same shape and elements, False otherwise.

    Like ``numpy.array_equal``; not differentiable: traced input gives a plain result. Under
    vmap it raises: one bool cannot answer for every example.
    """
    if is_batched(a1) or is_batched(a2):
        raise _single_bool("array_equal", "wnp.all(wnp.equal(a1, a2))")
    return np.array_equal(_concrete(a1), _concrete(a2), equal_nan=equal_nan)


# --- gradient and dtype control -----------------------------------------------------------------


def stop_gradient(x):
    """Return ``x`` with zero derivative in every mode and at every order.

    ``x`` may be a pytree of arrays.

    Examples
    --------
    >>> import wengert as wg, wengert.numpy as wnp
    >>> float(wg.grad(lambda x: x * wnp.stop_gradient(x))(3.0))
    3.0
    """
    from .. import tree

    return tree.map(lambda v: E.stop_gradient_p(v) if isinstance(v, _tracer) else v, x)


def astype(x, dtype, /, *, copy=True, device=None):
    """Copy an array to a specified data type.

    Like ``numpy.astype``. Between floating dtypes the derivative is cast back to the input's
    dtype; a cast to or from an integer or boolean dtype has derivative zero.
    """
    dtype = np.dtype(dtype)
    if isinstance(x, _tracer):
        return x if x.dtype == dtype else E.astype_p(x, dtype=dtype)
    if device is not None:
        return np.astype(np.asarray(x), dtype, copy=copy, device=device)
    return np.asarray(x).astype(dtype, copy=copy)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """Replace NaN with zero and infinity with large finite numbers (default behaviour).

    Like ``numpy.nan_to_num``; the derivative is 1 where x is finite and 0 where it was
    replaced.
    """
    if not isinstance(x, _tracer):
        return np.nan_to_num(x, copy=copy, nan=nan, posinf=posinf, neginf=neginf)
    repl = map_examples(
        lambda v: np.asarray(np.nan_to_num(v, nan=nan, posinf=posinf, neginf=neginf), v.dtype),
        x, elementwise=True)
    return where(isfinite(x), x, repl)


def _no_complex(name, *xs, hint=""):
    """Refuse complex traced operands where NumPy orders complex numbers lexicographically.

    That order (by real part, then imaginary part) makes ``maximum`` or ``clip`` jump where
    two real parts cross, so it has no derivative a user could rely on.
    """
    if builtins.any(isinstance(x, _tracer) and x.dtype.kind == "c" for x in xs):
        raise WengertTypeError(
            f"wengert.numpy.{name}: expected real operands, but received a complex traced "
            "array; NumPy orders complex numbers lexicographically, which is not "
            f"differentiable. {hint or 'Compare real parts or magnitudes instead'} "
            "(e.g. wnp.real(z) or wnp.abs(z))."
        )


def real(val):
    """Return the real part of the complex argument (the identity on real input).

    Differentiable: the derivative of Re z is Re of the tangent; a cotangent g comes back
    as g + 0i.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> complex(wg.grad(lambda z: wnp.real(z * z))(np.complex128(1 + 2j)))
    (2+4j)
    """
    if not isinstance(val, _tracer):
        return np.real(val)
    return E.real_p(val) if val.dtype.kind == "c" else val


def imag(val):
    """Return the imaginary part of the complex argument (zeros for real input).

    Differentiable: the derivative of Im z is Im of the tangent; a cotangent g comes back
    as -i g (the convention grad f = df/dx - i df/dy).
    """
    if not isinstance(val, _tracer):
        return np.imag(val)
    return E.imag_p(val) if val.dtype.kind == "c" else zeros_like(val)


def conj(x, /, **kwargs):
    """Return the complex conjugate, element-wise (the identity on real input).

    Differentiable: the tangent and the cotangent are conjugated.
    """
    if not isinstance(x, _tracer):
        return np.conj(x, **kwargs)
    dtype = _traced_ufunc_kwargs("conjugate", kwargs) if kwargs else None
    if dtype is not None:
        x = astype(x, dtype)
    return E.conj_p(x) if x.dtype.kind == "c" else x


conjugate = conj


def angle(z, deg=False):
    """Return the angle of the complex argument, ``arctan2(imag(z), real(z))``.

    Differentiable on complex input (composed from ``arctan2``, whose partials are taken as 0
    at the origin, so angle'(0) = 0). On real input it is 0 for z >= 0 and pi for z < 0:
    piecewise constant, so traced real input gives a plain result.
    """
    if isinstance(z, _tracer) and z.dtype.kind == "c":
        a = arctan2(E.imag_p(z), E.real_p(z))
        return multiply(a, a.dtype.type(180 / np.pi)) if deg else a
    return map_examples(lambda v: np.angle(v, deg=deg), z, elementwise=True)


def real_if_close(a, tol=100):
    """If input is complex with all imaginary parts close to zero, return real parts.

    The identity on real traced input. On complex traced input the choice is made from the
    values (the result's dtype depends on them), so it is refused under ``vmap``.
    """
    if not (isinstance(a, _tracer) and a.dtype.kind == "c"):
        return a if isinstance(a, _tracer) else np.real_if_close(a, tol=tol)
    if is_batched(a):
        raise _shape_varies("real_if_close", "its dtype depends on the values")
    if np.real_if_close(_concrete(a), tol=tol).dtype.kind == "c":
        return a
    return real(a)


def zeros_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """Return an array of zeros with the same shape and type as a given array.

    Like ``numpy.zeros_like``; the result is a constant (plain array), even for traced ``a``.
    """
    if not isinstance(a, _tracer):
        return np.zeros_like(a, dtype, order, subok, shape, device=device)
    return np.zeros(a.shape if shape is None else shape, a.dtype if dtype is None else dtype)


def ones_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """Return an array of ones with the same shape and type as a given array.

    Like ``numpy.ones_like``; the result is a constant (plain array), even for traced ``a``.
    """
    if not isinstance(a, _tracer):
        return np.ones_like(a, dtype, order, subok, shape, device=device)
    return np.ones(a.shape if shape is None else shape, a.dtype if dtype is None else dtype)


def _dtype_of(a):
    return a.dtype if isinstance(a, (_tracer, np.ndarray, np.generic)) else np.asarray(a).dtype


# --- introspection (non-differentiable, never traced) -------------------------------------------


def ndim(a) -> int:
    """Return the number of dimensions of an array."""
    return len(_shape(a))


def shape(a) -> tuple:
    """Return the shape of an array."""
    return tuple(_shape(a))


def size(a, axis=None) -> int:
    """Return the number of elements along a given axis (all of them by default)."""
    s = _shape(a)
    return int(np.prod(s, dtype=np.int64)) if axis is None else int(s[axis])


def result_type(*arrays_and_dtypes):
    """Like ``numpy.result_type``; traced arrays contribute their dtype."""
    return np.result_type(
        *[
            _dtype_arg(x) if not isinstance(x, (np.dtype, type, str)) else x
            for x in arrays_and_dtypes
        ]
    )
