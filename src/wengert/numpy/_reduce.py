"""Reductions, scans, sorting and order statistics of ``wengert.numpy``.

sum, prod, max/min, cumsum, cumprod and sort bind their primitives; everything else (mean,
var, std, ptp, diff, average, median, quantile, the nan-functions) is composed from them and
so is differentiable for free. Index-valued functions (argmax, argsort, ...) and predicates
(all, any, count_nonzero) are not differentiable: on traced input they return plain NumPy
values computed from the traced value; under ``vmap``, computed example by example and
returned as a batch. The NaN masks and ``where=`` masks of the other functions are read the
same way.

Non-smooth conventions (also stated at each function):

* max/min/amax/amin/ptp: ties share the derivative evenly among the tied positions.
* sort, median, quantile, partition: the derivative follows NumPy's *stable* argsort
  permutation, so among tied values the derivative of a given output rank goes to the tied
  element that occurs first in the input, not to all of them evenly.
* std: at zero spread (all values of a slice equal) the derivative is taken as 0, the
  subgradient of least norm, instead of sqrt'(0) * 0 = inf * 0 = NaN.
* nansum/nanmean/nanprod/nanmax/nanmin: NaN positions get a zero derivative.

Imports: core, primitives, ``_core``, ``_shape``, NumPy.
"""

from __future__ import annotations

import builtins
import numbers
import warnings

import numpy as np

from ..core.errors import ReplayError, UnsupportedError
from ..primitives import reduce as R
from ..primitives import shape as S
from ..primitives.batching import anywhere, is_batched, map_examples
from ._core import (
    _concrete,
    _no_complex,
    add,
    astype,
    divide,
    is_traced,
    maximum,
    minimum,
    multiply,
    sqrt,
    subtract,
)
from ._core import conj as _conj
from ._core import real as _real
from ._core import where as _where
from ._shape import broadcast_to, getitem, moveaxis, ravel, reshape, stack, transpose

__all__ = [
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "argpartition",
    "argsort",
    "average",
    "count_nonzero",
    "cumprod",
    "cumsum",
    "diff",
    "max",
    "mean",
    "median",
    "min",
    "nanmax",
    "nanmean",
    "nanmin",
    "nanprod",
    "nansum",
    "partition",
    "percentile",
    "prod",
    "ptp",
    "quantile",
    "sort",
    "std",
    "sum",
    "var",
]

_NoValue = np._NoValue


# --- argument handling -------------------------------------------------------------------------


def norm_axes(axis, ndim) -> tuple:
    """Normalise ``axis`` (None, int or tuple, negatives allowed) to a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    out = [_axis_index(a, ndim) for a in axes]
    if len(set(out)) != len(out):
        raise ValueError("duplicate value in 'axis'")
    return tuple(sorted(out))


def _axis_index(axis, ndim) -> int:
    a = axis.__index__()
    if not -ndim <= a < ndim:
        from numpy.exceptions import AxisError

        raise AxisError(a, ndim)
    return a % ndim


def _contains_traced(a) -> bool:
    if isinstance(a, (list, tuple)):
        return builtins.any(_contains_traced(v) for v in a)
    return is_traced(a)


def _as_input(a):
    """A (nested) list or tuple holding traced values becomes one stacked traced array."""
    if isinstance(a, (list, tuple)) and _contains_traced(a):
        return stack([_as_input(v) for v in a])
    return a


def _array(a):
    return a if is_traced(a) else np.asarray(a)


def _no_out(name, out):
    if out is not None:
        raise UnsupportedError(
            f"{name}: out= is not supported on traced arrays (it would write in place); use "
            f"the returned value instead, y = wnp.{name}(x, ...)."
        )


def _opt(**kwargs):
    """Keyword arguments the caller actually gave (NumPy distinguishes 'not given')."""
    return {k: v for k, v in kwargs.items() if v is not None and v is not _NoValue}


def _bool_mask(where, shape):
    """The ``where=`` mask as booleans of ``shape``: a constant, or per example under vmap."""

    def batched(nb, w):
        w = w.reshape(w.shape[:nb] + (1,) * (len(shape) + nb - w.ndim) + w.shape[nb:])
        return np.broadcast_to(w.astype(bool), w.shape[:nb] + tuple(shape))

    return map_examples(lambda w: np.broadcast_to(np.asarray(w, dtype=bool), shape), where,
                        batched=batched)


def _count_true(m, axes, keepdims):
    """``np.sum`` of a boolean mask over the per-example ``axes``, one count per example."""
    return map_examples(
        lambda v: np.sum(v, axis=axes, dtype=np.intp, keepdims=keepdims), m,
        batched=lambda nb, v: np.sum(v, axis=tuple(a + nb for a in axes), dtype=np.intp,
                                     keepdims=keepdims))


def _mask_fill(a, where, fill):
    """``a`` with the positions outside the ``where`` mask replaced by the constant ``fill``."""
    return _where(_bool_mask(where, a.shape), a, fill)


def _count(shape, axes, keepdims, where):
    """Number of elements reduced into each output: an int, or an intp array with ``where``
    (per example under vmap when the mask varies across the batch)."""
    if where is None:
        n = 1
        for i in axes:
            n *= shape[i]
        return n
    return _count_true(_bool_mask(where, shape), axes, bool(keepdims))


def _cast_to(v, dtype):
    """``v`` (a number, array or traced value) as ``dtype``."""
    return astype(v, dtype) if is_traced(v) else np.asarray(v, dtype=dtype)


def _divide_count(s, n, empty="nan"):
    """``s / n`` keeping s's dtype (as NumPy's unsafe-casting true_divide does).

    Where ``n`` is 0, ``empty="nan"`` gives a constant NaN (the mean of nothing, which depends
    on no input, so its derivative is exactly zero); ``empty="divide"`` divides by zero as
    NumPy does (var with ddof >= n: inf, or NaN for 0/0).
    """
    n_arr = n if is_batched(n) else np.asarray(n)  # counts per example under vmap
    zero = n_arr == 0
    if empty == "nan" and anywhere(zero):
        safe = astype(_where(zero, 1, n_arr), s.dtype)
        with np.errstate(invalid="ignore"):
            r = divide(s, safe)
        r = _where(broadcast_to(zero, tuple(np.shape(r))), np.nan, r)
    elif isinstance(n, int) and n != 0:
        r = divide(s, n)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            r = divide(s, astype(n_arr, s.dtype))
    return astype(r, s.dtype) if r.dtype != s.dtype else r


def _is_float(a) -> bool:
    return np.dtype(a.dtype).kind in "fc"


# --- sum, prod, mean ----------------------------------------------------------------------------


def _fold(a, axis, dtype, out, keepdims, initial, where, npfn, prim, combine, identity):
    """sum and prod: NumPy's signature, with masked-out entries set to the identity."""
    a = _as_input(a)
    if not (is_traced(a) or is_traced(initial)):
        return npfn(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                    **_opt(initial=initial, where=where))
    _no_out(npfn.__name__, out)
    a = _array(a)
    axes = norm_axes(axis, a.ndim)
    if dtype is not None:
        a = astype(a, dtype)
    if where is not None:
        a = _mask_fill(a, where, identity)
    keepdims = bool(keepdims)
    r = prim(a, axis=axes, keepdims=keepdims) if is_traced(a) else npfn(
        a, axis=axes, keepdims=keepdims)
    if initial is not None:
        r = combine(r, _cast_to(initial, r.dtype))
    return r


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Sum array elements over the given axes.

    Like ``numpy.sum``; linear, so its derivative broadcasts the cotangent back.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.grad(lambda x: wnp.sum(x * x))(np.array([1.0, 2.0]))
    array([2., 4.])
    """
    return _fold(a, axis, dtype, out, keepdims, initial, where, np.sum, R.sum_p, add, 0)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Multiply array elements over the given axes.

    Like ``numpy.prod``. The derivative with respect to each element is the product of the
    other elements of its slice, built from exclusive cumulative products (no division by
    x), so it is exact, to every order, where x has one or several zeros.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.grad(wnp.prod)(np.array([2.0, 0.0, 3.0]))
    array([0., 6., 0.])
    """
    return _fold(a, axis, dtype, out, keepdims, initial, where, np.prod, R.prod_p, multiply, 1)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """Average over the given axes: the sum divided by the count.

    Like ``numpy.mean``: integers average in float64, float16 accumulates in float32 and
    returns float16, and an empty slice gives NaN with a "Mean of empty slice" warning.
    """
    a = _as_input(a)
    if not is_traced(a):
        return np.mean(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                       **_opt(where=where))
    _no_out("mean", out)
    axes = norm_axes(axis, a.ndim)
    n = _count(a.shape, axes, keepdims, where)
    cast_back = None
    if dtype is None:
        if a.dtype.kind in "biu":
            dtype = np.float64
        elif a.dtype == np.float16:
            dtype, cast_back = np.float32, np.float16
    s = sum(a, axes, dtype=dtype, keepdims=keepdims, where=where)
    if anywhere(n == 0):
        warnings.warn("Mean of empty slice", RuntimeWarning, stacklevel=2)
    r = _divide_count(s, n)
    return astype(r, cast_back) if cast_back is not None else r


_mean = mean


# --- max, min, ptp ------------------------------------------------------------------------------


def _lowest(dtype, largest):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return -np.inf if largest else np.inf
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return info.min if largest else info.max
    return not largest if dtype.kind == "b" else None


def _extremum(name, prim, ufunc, npfn, largest):
    def fn(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        a = _as_input(a)
        if not (is_traced(a) or is_traced(initial)):
            return npfn(a, axis=axis, out=out, keepdims=keepdims,
                        **_opt(initial=initial, where=where))
        _no_complex(name, a, initial)
        _no_out(name, out)
        a = _array(a)
        axes = norm_axes(axis, a.ndim)
        if where is not None and initial is None:
            raise ValueError(f"reduction operation '{ufunc}' does not have an identity, so to "
                             "use a where mask one has to specify 'initial'")
        empty = builtins.any(a.shape[i] == 0 for i in axes)
        if empty and initial is None:
            raise ValueError(f"zero-size array to reduction operation {ufunc} which has no "
                             "identity")
        if empty:
            shape = R._reduced_shape(a.shape, axes, bool(keepdims))
            return _copy(broadcast_to(_cast_to(initial, a.dtype), shape))
        if where is not None:
            # Masked-out positions hold -inf (+inf for min), which never wins against initial.
            a = _mask_fill(a, where, _lowest(a.dtype, largest))
        r = prim(a, axis=axes, keepdims=bool(keepdims)) if is_traced(a) else npfn(
            a, axis=axes, keepdims=bool(keepdims))
        if initial is not None:
            # A tie between the slice's extremum and initial splits the derivative 1/2 : 1/2.
            r = (maximum if largest else minimum)(r, _cast_to(initial, r.dtype))
        return r

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        f"Return the {'maximum' if largest else 'minimum'} over the given axes.\n\n"
        f"Like ``numpy.{name}``. Ties share the derivative evenly among the positions that "
        "attain the extremum (a NaN propagates, and the NaN positions take the derivative).\n"
    )
    return fn


max = _extremum("max", R.max_p, "maximum", np.max, largest=True)
min = _extremum("min", R.min_p, "minimum", np.min, largest=False)
amax = max
amin = min


def ptp(a, axis=None, out=None, keepdims=False):
    """Return the range (maximum - minimum) over the given axes; ties split as in max/min."""
    a = _as_input(a)
    if not is_traced(a):
        return np.ptp(a, axis=axis, out=out, keepdims=keepdims)
    _no_complex("ptp", a)
    _no_out("ptp", out)
    return subtract(max(a, axis, keepdims=keepdims), min(a, axis, keepdims=keepdims))


# --- var, std -----------------------------------------------------------------------------------


def _var(name, a, axis, dtype, out, ddof, keepdims, where, mean, correction):
    _no_out(name, out)
    if correction is not None and correction is not _NoValue:
        if ddof != 0:
            raise ValueError("ddof and correction can't be provided simultaneously.")
        ddof = correction
    a = _array(a)
    axes = norm_axes(axis, a.ndim)
    n = _count(a.shape, axes, keepdims, where)
    if anywhere(map_examples(lambda c: ddof >= c, n)):
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=3)
    if dtype is None and a.dtype.kind in "biu":
        dtype = np.float64
    if mean is None or mean is _NoValue:
        n_keep = _count(a.shape, axes, True, where)
        mean = _divide_count(sum(a, axes, dtype=dtype, keepdims=True, where=where), n_keep)
    d = subtract(a, mean)
    # d * d rather than d ** 2: the same value as NumPy's square and a plain product rule;
    # for complex data |d|² = Re(conj(d) d), as NumPy.
    dd = _real(multiply(_conj(d), d)) if d.dtype.kind == "c" else multiply(d, d)
    ss = sum(dd, axes, dtype=dtype, keepdims=keepdims, where=where)
    dof = map_examples(lambda c: np.maximum(np.asarray(c) - ddof, 0), n)
    if not is_batched(dof) and dof.ndim == 0:
        dof = int(dof)
    return _divide_count(ss, dof, empty="divide")


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
        correction=None):
    """Compute the variance over the given axes: sum((a - mean)**2) / (N - ddof).

    Like ``numpy.var``, including ``ddof``/``correction``, ``where`` and a precomputed
    ``mean``; composed from sum, subtract and multiply.
    """
    a = _as_input(a)
    if not (is_traced(a) or is_traced(mean)):
        return np.var(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                      **_opt(where=where, mean=mean, correction=correction))
    return _var("var", a, axis, dtype, out, ddof, keepdims, where, mean, correction)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
        correction=None):
    """Compute the standard deviation over the given axes: sqrt(var).

    Like ``numpy.std``. At zero spread (every value of a slice equal, var = 0) std is not
    differentiable; the derivative there is taken as 0 (the subgradient of least norm) rather
    than sqrt'(0) * 0 = inf * 0 = NaN. Only exact zeros of var are treated so: a NaN in the
    data still gives a NaN value and NaN derivatives.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.grad(wnp.std)(np.array([1.0, 1.0, 1.0]))
    array([0., 0., 0.])
    """
    a = _as_input(a)
    if not (is_traced(a) or is_traced(mean)):
        return np.std(a, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims,
                      **_opt(where=where, mean=mean, correction=correction))
    v = _var("std", a, axis, dtype, out, ddof, keepdims, where, mean, correction)
    if not is_traced(v):
        return np.sqrt(v)
    zero = map_examples(lambda u: np.asarray(u == 0), v, elementwise=True)
    if not anywhere(zero):
        return sqrt(v)
    # std'(x) at zero spread := 0: the zero branch is a constant, and the sqrt branch never
    # sees the 0 (it gets 1 there), so no inf * 0 arises.
    return _where(zero, 0, sqrt(_where(zero, 1, v)))


# --- cumulative sums and products, diff -----------------------------------------------------------


def _scan(name, prim, npfn):
    def fn(a, axis=None, dtype=None, out=None):
        a = _as_input(a)
        if not is_traced(a):
            return npfn(a, axis=axis, dtype=dtype, out=out)
        _no_out(name, out)
        if axis is None or a.ndim == 0:
            # axis=None scans the flattened array; NumPy treats a 0-d input as 1-d.
            a = ravel(a)
        ax = 0 if axis is None else _axis_index(axis, a.ndim)
        if dtype is not None:
            a = astype(a, dtype)
        return prim(a, axis=ax)

    fn.__name__ = fn.__qualname__ = name
    return fn


cumsum = _scan("cumsum", R.cumsum_p, np.cumsum)
cumsum.__doc__ = """Return the cumulative sum along an axis (the flattened array when axis is None).

Like ``numpy.cumsum``; linear, its VJP is the reversed cumulative sum.
"""
cumprod = _scan("cumprod", R.cumprod_p, np.cumprod)
cumprod.__doc__ = """Return the cumulative product along an axis (the flattened array when axis is None).

Like ``numpy.cumprod``. The derivative is computed without dividing by x (a recursive-
doubling linear scan, O(n log n)), so it is exact where x has zeros.
"""


def diff(a, n=1, axis=-1, prepend=_NoValue, append=_NoValue):
    """Take the n-th discrete difference along ``axis``: a[1:] - a[:-1], n times.

    Like ``numpy.diff`` (``prepend``/``append`` may be traced); linear.
    """
    a = _as_input(a)
    if not builtins.any(is_traced(v) for v in (a, prepend, append)):
        return np.diff(a, n=n, axis=axis, prepend=prepend, append=append)
    if n == 0:
        return a
    if n < 0:
        raise ValueError("order must be non-negative but got " + repr(n))
    a = _array(a)
    if a.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = _axis_index(axis, a.ndim)
    parts = []
    for extra in (prepend, None, append):
        if extra is None:
            parts.append(a)
        elif extra is not _NoValue:
            extra = _array(extra)
            if extra.ndim == 0:
                shape = list(a.shape)
                shape[axis] = 1
                extra = broadcast_to(extra, tuple(shape))
            parts.append(extra)
    if len(parts) > 1:
        a = _concatenate(parts, axis)
    upper = R._index_at(a.ndim, axis, slice(1, None))
    lower = R._index_at(a.ndim, axis, slice(None, -1))
    for _ in range(n):
        a = subtract(getitem(a, upper), getitem(a, lower))
    return a


# --- average ------------------------------------------------------------------------------------


def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """Compute the weighted average sum(a * w) / sum(w) over the given axes.

    Like ``numpy.average``; differentiable in both ``a`` and ``weights``.
    """
    a = _as_input(a)
    weights = _as_input(weights)
    if not (is_traced(a) or is_traced(weights)):
        return np.average(a, axis=axis, weights=weights, returned=returned, keepdims=keepdims)
    a = _array(a)
    given = None
    if axis is not None:
        given = [(_axis_index(x, a.ndim)) for x in
                 ((axis,) if isinstance(axis, numbers.Integral) else tuple(axis))]
        if len(set(given)) != len(given):
            raise ValueError("duplicate value in 'axis'")
    axes = None if given is None else tuple(sorted(given))
    if weights is None:
        avg = _mean(a, axes, keepdims=keepdims)
        scl = np.dtype(avg.dtype).type(a.size / _size(avg))
    else:
        wgt = _array(weights)
        if tuple(a.shape) != tuple(wgt.shape):
            if given is None:
                raise TypeError("Axis must be specified when shapes of a and weights differ.")
            if tuple(wgt.shape) != tuple(a.shape[ax] for ax in given):
                raise ValueError("Shape of weights must be consistent with shape of a along "
                                 "specified axis.")
            wgt = transpose(wgt, tuple(int(i) for i in np.argsort(given)))
            wgt = reshape(wgt, tuple(s if ax in given else 1 for ax, s in enumerate(a.shape)))
        if a.dtype.kind in "biu":
            result_dtype = np.result_type(a.dtype, wgt.dtype, "f8")
        else:
            result_dtype = np.result_type(a.dtype, wgt.dtype)
        scl = sum(wgt, axes, dtype=result_dtype, keepdims=keepdims)
        if anywhere(scl == 0.0):
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        prod_aw = multiply(_cast_to(a, result_dtype), _cast_to(wgt, result_dtype))
        avg = divide(sum(prod_aw, axes, keepdims=keepdims), scl)
    if returned:
        if tuple(np.shape(scl)) != tuple(avg.shape):
            scl = _copy(broadcast_to(scl, tuple(avg.shape)))
        return avg, scl
    return avg


def _concatenate(parts, axis):
    """Join arrays that differ only along ``axis``, in their common dtype."""
    dtype = np.result_type(*[p.dtype for p in parts])
    return S.concatenate_p(*[_cast_to(p, dtype) for p in parts], axis=axis)


def _size(x):
    return int(np.prod(x.shape, dtype=np.int64))


def _copy(x):
    return x if is_traced(x) else np.array(x)


# --- sorting and order statistics -----------------------------------------------------------------


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """Return a sorted copy of an array (the flattened array when axis is None).

    Like ``numpy.sort``. The derivative permutes the tangent by NumPy's stable argsort of the
    values: among tied values, the first in ``a`` feeds the first tied output position.
    """
    a = _as_input(a)
    if not is_traced(a):
        return np.sort(a, axis=axis, kind=kind, order=order, **_opt(stable=stable))
    _no_complex("sort", a)
    if order is not None:
        raise UnsupportedError("sort: order= (structured arrays) is not supported on traced "
                               "arrays; sort a plain float array.")
    if axis is None:
        a = ravel(a)
        axis = 0
    return R.sort_p(a, axis=_axis_index(axis, a.ndim))


def _sorted_last(a, axis):
    """Sort ``a`` with the reduced ``axis`` (None, int or tuple) moved last and merged into one.

    Returns (sorted array of shape kept + (n,), the keepdims output shape).
    """
    axes = norm_axes(axis, a.ndim)
    keep = [i for i in range(a.ndim) if i not in axes]
    kept_shape = tuple(a.shape[i] for i in keep)
    n = 1
    for i in axes:
        n *= a.shape[i]
    t = reshape(transpose(a, tuple(keep) + axes), kept_shape + (n,))
    return R.sort_p(t, axis=len(kept_shape)), R._keepdims_shape(a.shape, axes)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """Compute the median over the given axes (the mean of the middle two for an even count).

    Like ``numpy.median`` (a slice holding NaN gives NaN). Computed by sorting, so the
    derivative goes to the element(s) the stable sort puts in the middle: with ties at the
    middle rank it goes to the tied element that occurs first in ``a`` (for an odd count) and
    is not shared among all the tied elements.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.grad(wnp.median)(np.array([1.0, 2.0, 2.0]))
    array([0., 1., 0.])
    """
    a = _as_input(a)
    if not is_traced(a):
        return np.median(a, axis=axis, out=out, overwrite_input=overwrite_input,
                         keepdims=keepdims)
    _no_complex("median", a)
    _no_out("median", out)
    s, kshape = _sorted_last(a, axis)
    n = s.shape[-1]
    if n == 0:
        r = _mean(s, axis=-1)
    else:
        half = n // 2
        middle = slice(half, half + 1) if n % 2 else slice(half - 1, half + 1)
        r = _mean(getitem(s, (Ellipsis, middle)), axis=-1)
        r = _nan_slices(s, r)
    return reshape(r, kshape) if keepdims else r


def _nan_slices(s, r):
    """Where a sorted slice holds NaN (sorted last), the result is that NaN, as in NumPy."""
    if not _is_float(s) or s.shape[-1] == 0:
        return r
    last = getitem(s, (Ellipsis, -1))
    has_nan = _nan_mask(last)
    if not anywhere(has_nan):
        return r
    if tuple(has_nan.shape) != tuple(r.shape):
        has_nan = broadcast_to(has_nan, tuple(r.shape))
        last = broadcast_to(last, tuple(r.shape))
    return _where(has_nan, _cast_to(last, r.dtype), r)


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
             *, weights=None):
    """Compute q-th quantiles over the given axes, interpolating between order statistics.

    Like ``numpy.quantile`` with the default ``method="linear"`` (the only method on traced
    arrays); ``q`` is a constant. Differentiable in ``a``: each quantile is
    (1 - g) * s[i] + g * s[i + 1] for the sorted values s, with ties broken by the stable sort.
    """
    return _quantile("quantile", a, q, 1.0, axis, out, overwrite_input, method, keepdims,
                     weights)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None):
    """Compute q-th percentiles over the given axes: quantile(a, q / 100)."""
    return _quantile("percentile", a, q, 100.0, axis, out, overwrite_input, method, keepdims,
                     weights)


def _quantile(name, a, q, scale, axis, out, overwrite_input, method, keepdims, weights):
    a = _as_input(a)
    if not is_traced(a):
        return getattr(np, name)(a, q, axis=axis, out=out, overwrite_input=overwrite_input,
                                 method=method, keepdims=keepdims, **_opt(weights=weights))
    _no_complex(name, a)
    _no_out(name, out)
    if is_traced(q):
        raise UnsupportedError(f"{name}: a traced q is not supported; pass q as a constant "
                               "(wnp.stop_gradient(q) if it comes from a traced value).")
    if method != "linear" or weights is not None:
        raise UnsupportedError(f"{name}: only method='linear' without weights is supported on "
                               "traced arrays.")
    weak_q = type(q) in (int, float)
    q = np.asanyarray(q)
    if scale != 1.0:
        q = np.true_divide(q, scale)
    if not (q.ndim == 0 and 0 <= q <= 1 or q.ndim > 0 and np.all(0 <= q) and np.all(q <= 1)):
        raise ValueError("Quantiles must be in the range [0, 1]" if scale == 1.0 else
                         "Percentiles must be in the range [0, 100]")
    if q.ndim > 2:
        raise ValueError("q must be a scalar or 1d")
    s, kshape = _sorted_last(a, axis)
    n = s.shape[-1]
    # NumPy's "linear" method (Hyndman & Fan 7): virtual index (n - 1) q.
    virtual = np.asanyarray((n - 1) * q)
    prev = np.floor(virtual)
    gamma = np.asanyarray(virtual - prev, dtype=virtual.dtype)
    prev = prev.astype(np.intp)
    nxt = prev + 1
    top = virtual >= n - 1
    prev = np.where(top, n - 1, prev)
    nxt = np.where(top, n - 1, nxt)
    lo = moveaxis(getitem(s, (Ellipsis, prev)), tuple(range(-q.ndim, 0)), tuple(range(q.ndim)))
    hi = moveaxis(getitem(s, (Ellipsis, nxt)), tuple(range(-q.ndim, 0)), tuple(range(q.ndim)))
    batch = s.ndim - 1
    if weak_q:
        t = float(gamma)
        upper = t >= 0.5
    else:
        t = gamma.reshape(gamma.shape + (1,) * batch)
        upper = np.broadcast_to(t >= 0.5, lo.shape)
    # NumPy's _lerp: a + (b - a) t below t = 1/2, b - (b - a)(1 - t) from 1/2 on (same value
    # to rounding, exact at both ends).
    d = subtract(hi, lo)
    below = add(lo, multiply(d, t))
    above = subtract(hi, multiply(d, 1 - t))
    r = _where(upper, above, below) if not isinstance(upper, bool) else (above if upper else below)
    if _is_float(s) and n > 0:
        has_nan = _nan_mask(getitem(s, (Ellipsis, -1)))
        if anywhere(has_nan):
            last = broadcast_to(getitem(s, (Ellipsis, -1)), tuple(r.shape))
            r = _where(broadcast_to(has_nan, tuple(r.shape)), _cast_to(last, r.dtype), r)
    if keepdims:
        r = reshape(r, tuple(q.shape) + kshape)
    return r


def partition(a, kth, axis=-1, kind="introselect", order=None):
    """Partially sort ``a`` so that position ``kth`` holds the value it would have when sorted.

    Like ``numpy.partition``, but on traced arrays it fully sorts (a valid partition), so the
    result equals NumPy's at the ``kth`` positions only; NumPy leaves the other positions in an
    unspecified order. The derivative is that of sort.
    """
    a = _as_input(a)
    if not is_traced(a):
        return np.partition(a, kth, axis=axis, kind=kind, order=order)
    _no_complex("partition", a)
    ks = np.atleast_1d(np.asarray(_concrete(kth, "partition: kth")))
    if ks.dtype.kind not in "iu":
        raise TypeError("Partition index must be integer")
    n = a.size if axis is None else a.shape[_axis_index(axis, a.ndim)]
    for k in ks.ravel():
        if not -n <= k < n:
            raise ValueError(f"kth(={k}) out of bounds ({n})")
    return sort(a, axis=axis, order=order)


# --- non-differentiable: indices and predicates ----------------------------------------------------


def _flat_axis(v, nb, axis):
    """``(v, axis)`` for a NumPy index function over the examples on ``v``'s first ``nb`` axes:
    ``axis`` of one example shifted past them, or, for None, each example flattened."""
    if axis is None:
        return v.reshape(v.shape[:nb] + (-1,)), -1
    return v, _axis_index(axis, v.ndim - nb) + nb


def _index_fn(name, a, out, per_example, batched):
    """Run an index-valued NumPy function on ``a``'s value, example by example under vmap.

    A complex traced ``a`` is refused: its lexicographic order would make the indices jump
    where two real parts cross, silently, inside a differentiated function.
    """
    _no_complex(name, a)
    if out is not None and is_batched(a):
        _no_out(name, out)
    return map_examples(per_example, a, batched=batched)


def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """Return the indices that sort ``a`` (non-differentiable: a plain index array).

    Under vmap each example is sorted on its own (the result is a batch of indices).
    """
    kw = dict(kind=kind, order=order, **_opt(stable=stable))
    try:
        return _index_fn("argsort", a, None, lambda v: np.argsort(v, axis=axis, **kw),
                         lambda nb, v: np.argsort(*_flat_axis(v, nb, axis), **kw))
    except ReplayError:
        if order is not None:
            raise
    # Under jit the value cannot be read: record the argsort primitive instead (same result).
    if axis is None:
        a, axis = ravel(a), 0
    return R.argsort_p(a, axis=_axis_index(axis, a.ndim), kind=kind, stable=stable)


def _arg_extremum(npfn, a, axis, out, keepdims):
    def batched(nb, v):
        w, ax = _flat_axis(v, nb, axis)
        r = npfn(w, axis=ax, keepdims=bool(keepdims) and axis is not None)
        return r.reshape(r.shape + (1,) * (v.ndim - nb)) if keepdims and axis is None else r

    return _index_fn(npfn.__name__, a, out,
                     lambda v: npfn(v, axis=axis, out=out, keepdims=keepdims), batched)


def argmax(a, axis=None, out=None, *, keepdims=False):
    """Return the indices of the maximum values (non-differentiable: plain indices).

    Under vmap each example is searched on its own (``axis=None`` flattens one example).
    """
    return _arg_extremum(np.argmax, a, axis, out, keepdims)


def argmin(a, axis=None, out=None, *, keepdims=False):
    """Return the indices of the minimum values (non-differentiable: plain indices).

    Under vmap each example is searched on its own (``axis=None`` flattens one example).
    """
    return _arg_extremum(np.argmin, a, axis, out, keepdims)


def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """Return the indices that partition ``a`` (non-differentiable: a plain index array).

    Under vmap each example is partitioned on its own; ``kth`` is one constant for all.
    """
    kth = _concrete(kth, "argpartition: kth")

    def batched(nb, v):
        w, ax = _flat_axis(v, nb, axis)
        return np.argpartition(w, kth, axis=ax, kind=kind, order=order)

    return _index_fn("argpartition", a, None,
                     lambda v: np.argpartition(v, kth, axis=axis, kind=kind, order=order),
                     batched)


def _predicate(npfn, a, axis, out, keepdims, where):
    """all/any: one boolean per example (and per kept position) under vmap."""
    if out is not None and (is_batched(a) or is_batched(where)):
        _no_out(npfn.__name__, out)

    def batched(nb, v):
        axes = None if axis is None else norm_axes(axis, v.ndim - nb)
        axes = tuple(range(nb, v.ndim)) if axes is None else tuple(i + nb for i in axes)
        return npfn(v, axis=axes, keepdims=keepdims)

    if where is None:
        return map_examples(lambda v: npfn(v, axis=axis, out=out, keepdims=keepdims), a,
                            batched=batched)
    return map_examples(
        lambda v, w: npfn(v, axis=axis, out=out, keepdims=keepdims, where=w), a, where)


def all(a, axis=None, out=None, keepdims=False, *, where=None):
    """Test whether all elements are true (non-differentiable: a plain boolean).

    Under vmap, one answer per example.
    """
    return _predicate(np.all, a, axis, out, keepdims, where)


def any(a, axis=None, out=None, keepdims=False, *, where=None):
    """Test whether any element is true (non-differentiable: a plain boolean).

    Under vmap, one answer per example.
    """
    return _predicate(np.any, a, axis, out, keepdims, where)


def count_nonzero(a, axis=None, *, keepdims=False):
    """Count the non-zero values (non-differentiable: a plain integer array).

    Under vmap, one count per example.
    """

    def batched(nb, v):
        axes = tuple(range(nb, v.ndim)) if axis is None else tuple(
            i + nb for i in norm_axes(axis, v.ndim - nb))
        return np.count_nonzero(v, axis=axes, keepdims=keepdims)

    return map_examples(lambda v: np.count_nonzero(v, axis=axis, keepdims=keepdims), a,
                        batched=batched)


# --- NaN-ignoring reductions -----------------------------------------------------------------------


def _nan_mask(a):
    """Where ``a`` is NaN: a constant mask, or one per example under vmap."""
    if not _is_float(a):
        return np.zeros(a.shape, dtype=bool)
    return map_examples(np.isnan, a, elementwise=True)


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Sum, treating NaN as zero; NaN positions get a zero derivative."""
    a = _as_input(a)
    if not (is_traced(a) or is_traced(initial)):
        return np.nansum(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                         **_opt(initial=initial, where=where))
    a = _array(a)
    mask = _nan_mask(a)
    if anywhere(mask):
        a = _where(mask, 0, a)
    return sum(a, axis, dtype=dtype, out=out, keepdims=keepdims, initial=initial, where=where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Multiply, treating NaN as one; NaN positions get a zero derivative."""
    a = _as_input(a)
    if not (is_traced(a) or is_traced(initial)):
        return np.nanprod(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                          **_opt(initial=initial, where=where))
    a = _array(a)
    mask = _nan_mask(a)
    if anywhere(mask):
        a = _where(mask, 1, a)
    return prod(a, axis, dtype=dtype, out=out, keepdims=keepdims, initial=initial, where=where)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """Average, ignoring NaN; NaN positions get a zero derivative. An all-NaN slice gives NaN."""
    a = _as_input(a)
    if not is_traced(a):
        return np.nanmean(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims,
                          **_opt(where=where))
    if not _is_float(a):
        return mean(a, axis, dtype=dtype, out=out, keepdims=keepdims, where=where)
    _no_out("nanmean", out)
    axes = norm_axes(axis, a.ndim)
    valid = map_examples(np.logical_not, _nan_mask(a), elementwise=True)
    if where is not None:
        valid = map_examples(np.logical_and, valid, _bool_mask(where, a.shape),
                             elementwise=True)
    cnt = _count_true(valid, axes, bool(keepdims))
    tot = nansum(a, axes, dtype=dtype, keepdims=keepdims, where=where)
    if anywhere(cnt == 0):
        warnings.warn("Mean of empty slice", RuntimeWarning, stacklevel=2)
    return _divide_count(tot, cnt)


def _nanextremum(name, fn, npfn, largest):
    def nanfn(a, axis=None, out=None, keepdims=False, initial=None, where=None):
        a = _as_input(a)
        if not (is_traced(a) or is_traced(initial)):
            return npfn(a, axis=axis, out=out, keepdims=keepdims,
                        **_opt(initial=initial, where=where))
        _no_complex(name, a, initial)
        a = _array(a)
        mask = _nan_mask(a)
        if not anywhere(mask):
            return fn(a, axis, out=out, keepdims=keepdims, initial=initial, where=where)
        r = fn(_where(mask, _lowest(a.dtype, largest), a), axis, out=out, keepdims=keepdims,
               initial=initial, where=where)
        if initial is None:
            all_nan = all(mask, axis=norm_axes(axis, a.ndim), keepdims=bool(keepdims))
            if anywhere(all_nan):
                warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=2)
                r = _where(all_nan, np.nan, r)
        return r

    nanfn.__name__ = nanfn.__qualname__ = name
    nanfn.__doc__ = (f"Return the {name[3:]}imum, ignoring NaN, like ``numpy.{name}`` (an "
                     "all-NaN slice gives NaN).\n\nNaN positions get a zero derivative; ties "
                     "split evenly.\n")
    return nanfn


nanmax = _nanextremum("nanmax", max, np.nanmax, largest=True)
nanmin = _nanextremum("nanmin", min, np.nanmin, largest=False)
