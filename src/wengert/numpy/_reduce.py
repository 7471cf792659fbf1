"""Reductions of ``wengert.numpy``: sum, mean, max, min and friends.

Imports: core, primitives, ``_core``, NumPy.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..primitives import reduce as R
from ._core import astype, divide, is_traced

__all__ = ["sum", "mean", "max", "min", "amax", "amin"]


def norm_axes(axis, ndim) -> tuple:
    """Normalise ``axis`` (None, int or tuple, negatives allowed) to a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    out = []
    for a in axes:
        a = a.__index__()
        if not -ndim <= a < ndim:
            from numpy.exceptions import AxisError

            raise AxisError(a, ndim)
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError("duplicate value in 'axis'")
    return tuple(sorted(out))


def sum(a, axis=None, dtype=None, keepdims=False):
    """Sum of array elements over the given axes."""
    if not is_traced(a):
        return np.sum(a, axis=axis, dtype=dtype, keepdims=keepdims)
    if dtype is not None:
        a = astype(a, dtype)
    return R.sum_p(a, axis=norm_axes(axis, a.ndim), keepdims=bool(keepdims))


def mean(a, axis=None, dtype=None, keepdims=False):
    """Arithmetic mean over the given axes."""
    if not is_traced(a):
        return np.mean(a, axis=axis, dtype=dtype, keepdims=keepdims)
    axes = norm_axes(axis, a.ndim)
    n = int(np.prod([a.shape[i] for i in axes]))
    if a.dtype.kind not in "fc":
        a = astype(a, np.float64)
    return divide(sum(a, axes, dtype, keepdims), n)


def _extremum(prim, npfn):
    def fn(a, axis=None, keepdims=False, initial=None, where=None):
        if not is_traced(a):
            kw = {} if initial is None else {"initial": initial}
            if where is not None:
                kw["where"] = where
            return npfn(a, axis=axis, keepdims=keepdims, **kw)
        if initial is not None or where is not None:
            raise NotImplementedError(f"{npfn.__name__}: initial= and where= are not supported on traced arrays")
        axes = norm_axes(axis, a.ndim)
        if any(a.shape[i] == 0 for i in axes):
            raise ValueError(f"zero-size array to reduction operation {npfn.__name__} which has no identity")
        return prim(a, axis=axes, keepdims=bool(keepdims))

    fn.__name__ = npfn.__name__
    fn.__doc__ = (f"{npfn.__name__.capitalize()} of an array along the given axes.\n\n"
                  "Ties share the derivative evenly among the positions that attain it.")
    return fn


max = _extremum(R.max_p, np.max)
min = _extremum(R.min_p, np.min)
amax = max
amin = min
