"""Reductions and scans: sum, max/min, prod, cumsum, cumprod, sort, argsort.

Every reduction takes a normalised ``axis`` tuple (sorted, non-negative) and ``keepdims``;
scans, ``sort`` and ``argsort`` take one non-negative ``axis``. The rules are written with ``wnp`` so that
they differentiate again, and none of them divides by ``x``: ``prod`` and ``cumprod`` are exact
(to every order) where ``x`` has zeros. Raw NumPy appears only in ``impl`` and in shape rules;
sort's derivative gathers and scatters by the recorded ``argsort`` permutation. Imports:
registry, shape, NumPy.
"""

from __future__ import annotations

import math

import numpy as np

from .registry import ShapeDtype, define, linear, nondifferentiable, wnp
from .shape import (
    broadcast_to_p,
    concatenate_p,
    put_along_axis_add_p,
    reshape_p,
    take_along_axis_p,
)


def _keepdims_shape(shape, axis):
    return tuple(1 if i in axis else s for i, s in enumerate(shape))


def _reduced_shape(shape, axis, keepdims):
    if keepdims:
        return _keepdims_shape(shape, axis)
    return tuple(s for i, s in enumerate(shape) if i not in axis)


def _accumulated_dtype(dtype):
    # NumPy's sum/prod/cumsum/cumprod widen bool and small integers to the platform integer.
    return np.add.reduce(np.zeros(1, dtype)).dtype


def _sum_like_shape(x: ShapeDtype, *, axis, keepdims):
    return _reduced_shape(x.shape, axis, keepdims), _accumulated_dtype(x.dtype)


def _extremum_shape(x: ShapeDtype, *, axis, keepdims):
    return _reduced_shape(x.shape, axis, keepdims), np.dtype(x.dtype)


def _scan_shape(x: ShapeDtype, *, axis):
    return tuple(x.shape), _accumulated_dtype(x.dtype)


def _expand_back(g, x, axis, keepdims):
    """Broadcast a reduced cotangent ``g`` back to ``x``'s shape."""
    if not keepdims:
        g = reshape_p(g, shape=_keepdims_shape(x.shape, axis))
    return broadcast_to_p(g, shape=tuple(x.shape))


def _index_at(ndim, axis, item):
    idx = [slice(None)] * ndim
    idx[axis] = item
    return tuple(idx)


def _flip(v, axis):
    return wnp.getitem(v, _index_at(v.ndim, axis, slice(None, None, -1)))


def _shift(v, axis, s, fill):
    """``v`` moved ``s`` places up along ``axis``; the first ``s`` entries become ``fill``."""
    n = v.shape[axis]
    pad_shape = list(v.shape)
    pad_shape[axis] = min(s, n)
    pad = (wnp.ones_like if fill == 1 else wnp.zeros_like)(v, shape=tuple(pad_shape))
    head = wnp.getitem(v, _index_at(v.ndim, axis, slice(0, max(n - s, 0))))
    # The primitive directly: pad and head already share their dtype and all but one axis.
    return concatenate_p(pad, head, axis=axis)


def _axis_batch(prim):
    """Batching rule of a one-operand primitive with an ``axis`` parameter: shift it by one.

    Reductions take a normalised tuple of non-negative axes, scans and sort one axis."""

    def rule(size, args, batched, *, axis, **params):
        shifted = tuple(a + 1 for a in axis) if isinstance(axis, tuple) else axis + 1
        return prim(args[0], axis=shifted, **params)

    return rule


# --- sum --------------------------------------------------------------------------------------

sum_p = linear(
    "sum", lambda x, *, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims),
    transpose=lambda g, x, *, axis, keepdims: _expand_back(g, x, axis, keepdims),
    shape=_sum_like_shape,
)


# --- max and min ------------------------------------------------------------------------------


def _argmax_weights(out, x, axis, keepdims):
    """Each position's share of the derivative of max/min: 1/count on the positions attaining
    the extremum, 0 elsewhere. A NaN propagates through max/min, so in a slice containing NaN
    the NaN positions are the ones attaining it (and share the derivative)."""
    o = out if keepdims else wnp.reshape(out, _keepdims_shape(x.shape, axis))
    mask = ((x == o) | wnp.isnan(x)).astype(x.dtype)
    count = wnp.sum(mask, axis=axis, keepdims=True)
    return mask / count


def _max_jvp(t, out, x, *, axis, keepdims):
    # Ties share the derivative evenly: the JVP averages the tangent over the tied positions.
    return wnp.sum(t * _argmax_weights(out, x, axis, keepdims), axis=axis, keepdims=keepdims)


def _max_vjp(g, out, x, *, axis, keepdims):
    # Ties share the cotangent evenly among the positions attaining the extremum (the adjoint
    # of the JVP above, so both modes agree exactly).
    return _expand_back(g, x, axis, keepdims) * _argmax_weights(out, x, axis, keepdims)


max_p = define("max", lambda x, *, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
               shape=_extremum_shape, jvp=(_max_jvp,), vjp=(_max_vjp,))
min_p = define("min", lambda x, *, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
               shape=_extremum_shape, jvp=(_max_jvp,), vjp=(_max_vjp,))


# --- cumsum and cumprod -------------------------------------------------------------------------

# cumsum is linear; its adjoint is the reversed cumulative sum (suffix sums).
cumsum_p = linear(
    "cumsum", lambda x, *, axis: np.cumsum(x, axis=axis),
    transpose=lambda g, x, *, axis: _flip(cumsum_p(_flip(g, axis), axis=axis), axis),
    shape=_scan_shape,
)


def _linear_scan(a, b, axis):
    """Solve y_k = a_k y_{k-1} + b_k (y_{-1} = 0) along ``axis`` by recursive doubling.

    Division-free, so exact where ``a`` has zeros. Cost: ceil(log2 n) rounds of a shift and
    three multiply-adds, O(n log n) work in all (Hillis-Steele scan).
    """
    n = a.shape[axis]
    s = 1
    while s < n:
        b = b + a * _shift(b, axis, s, 0)
        if 2 * s < n:
            a = a * _shift(a, axis, s, 0)
        s *= 2
    return b


def _cumprod_jvp(t, out, x, *, axis):
    # Product rule as a recurrence: C_k = x_k C_{k-1}, so dC_k = x_k dC_{k-1} + t_k C_{k-1}.
    return _linear_scan(x, t * _shift(out, axis, 1, 1), axis)


def _cumprod_vjp(g, out, x, *, axis):
    # x_bar_j = C_{j-1} s_j with the suffix recurrence s_j = g_j + x_{j+1} s_{j+1}
    # (a reversed scan); no division by x, so zeros in x are exact.
    s = _flip(_linear_scan(_shift(_flip(x, axis), axis, 1, 0), _flip(g, axis), axis), axis)
    return _shift(out, axis, 1, 1) * s


cumprod_p = define("cumprod", lambda x, *, axis: np.cumprod(x, axis=axis), shape=_scan_shape,
                   jvp=(_cumprod_jvp,), vjp=(_cumprod_vjp,))


# --- prod ---------------------------------------------------------------------------------------


def _prod_others(x, axis):
    """For each element, the product of all the other elements of its reduced slice.

    Built from exclusive left and right cumulative products along the reduced axes (moved
    last and merged), so it is exact where x has one or several zeros: no division by x.
    """
    keep = [i for i in range(x.ndim) if i not in axis]
    perm = keep + list(axis)
    kept_shape = tuple(x.shape[i] for i in keep)
    n = math.prod(x.shape[i] for i in axis)
    flat = wnp.reshape(wnp.transpose(x, perm), kept_shape + (n,))
    last = len(kept_shape)
    left = _shift(cumprod_p(flat, axis=last), last, 1, 1)
    right = _flip(_shift(cumprod_p(_flip(flat, last), axis=last), last, 1, 1), last)
    others = wnp.reshape(left * right, kept_shape + tuple(x.shape[i] for i in axis))
    return wnp.transpose(others, tuple(int(i) for i in np.argsort(perm)))


def _prod_jvp(t, out, x, *, axis, keepdims):
    return wnp.sum(t * _prod_others(x, axis), axis=axis, keepdims=keepdims)


def _prod_vjp(g, out, x, *, axis, keepdims):
    return _expand_back(g, x, axis, keepdims) * _prod_others(x, axis)


prod_p = define("prod", lambda x, *, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
                shape=_sum_like_shape, jvp=(_prod_jvp,), vjp=(_prod_vjp,))


# --- sort ---------------------------------------------------------------------------------------


def _argsort_shape(x, *, axis, kind=None, stable=None):
    return tuple(x.shape), np.dtype(np.intp)


def _argsort_impl(x, *, axis, kind=None, stable=None):
    extra = {} if stable is None else {"stable": stable}
    return np.argsort(x, axis=axis, kind=kind, **extra)


# argsort(x, axis, kind, stable): numpy.argsort along one non-negative axis; an integer index
# array with zero derivative, recorded like any primitive (so jit replays it and vmap batches it).
argsort_p = nondifferentiable("argsort", _argsort_impl, shape=_argsort_shape)


def _sort_jvp(t, out, x, *, axis):
    return take_along_axis_p(t, argsort_p(x, axis=axis, kind="stable"), axis=axis)


def _sort_vjp(g, out, x, *, axis):
    # The inverse permutation is a scatter by the permutation (no index repeats).
    perm = argsort_p(x, axis=axis, kind="stable")
    return put_along_axis_add_p(g, perm, axis=axis, shape=tuple(x.shape))


# Ties: the derivative follows the permutation of NumPy's stable argsort, so among equal values
# the one appearing first in x feeds the first of the tied output positions.
sort_p = define(
    "sort", lambda x, *, axis: np.sort(x, axis=axis, kind="stable"),
    shape=lambda x, *, axis: (tuple(x.shape), np.dtype(x.dtype)),
    jvp=(_sort_jvp,),
    vjp=(_sort_vjp,),
)


for _prim in (sum_p, max_p, min_p, cumsum_p, cumprod_p, prod_p, sort_p, argsort_p):
    _prim.batch = _axis_batch(_prim)
