"""Shape and layout primitives: broadcasting, reshaping, transposing, indexing, joining.

All of these are linear maps, so each VJP is the adjoint map: ``broadcast_to`` ↔
``sum_to_shape``, ``getitem`` ↔ ``index_add`` (scatter-add, so duplicate indices
accumulate), ``concatenate`` ↔ slicing, ``pad`` ↔ slicing. Imports: core, registry, NumPy.
"""

from __future__ import annotations

import numpy as np

from .registry import Indexed, define, linear, wnp


def _sum_to_shape_impl(x, *, shape):
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1
    )
    out = np.sum(x, axis=axes, keepdims=True) if axes else x
    return out.reshape(shape)


def _broadcast_to_impl(x, *, shape):
    # A read-only zero-stride view, as NumPy's broadcast_to returns: no copy is made, which
    # matters for bias additions (the MLP benchmark spends a copy per layer otherwise).
    return np.broadcast_to(x, shape)


broadcast_to_p = linear(
    "broadcast_to", _broadcast_to_impl,
    transpose=lambda g, x, *, shape: sum_to_shape_p(g, shape=tuple(x.shape)),
    shape=lambda x, *, shape: (tuple(shape), x.dtype),
)
sum_to_shape_p = linear(
    "sum_to_shape", _sum_to_shape_impl,
    transpose=lambda g, x, *, shape: broadcast_to_p(g, shape=tuple(x.shape)),
    shape=lambda x, *, shape: (tuple(shape), x.dtype),
)
reshape_p = linear(
    "reshape", lambda x, *, shape: np.reshape(x, shape),
    transpose=lambda g, x, *, shape: reshape_p(g, shape=tuple(x.shape)),
)
transpose_p = linear(
    "transpose", lambda x, *, axes: np.transpose(x, axes),
    transpose=lambda g, x, *, axes: transpose_p(g, axes=tuple(np.argsort(axes))),
)


def _getitem_impl(x, *, idx):
    return np.asarray(x[idx]) if not isinstance(x, np.ndarray) else x[idx]


def _index_add_impl(g, *, idx, shape):
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, idx, g)
    return out


# x[idx] for any NumPy index (basic, advanced, boolean); idx holds no traced values.
getitem_p = linear(
    "getitem", _getitem_impl,
    transpose=lambda g, x, *, idx: index_add_p(g, idx=idx, shape=tuple(x.shape)),
)
# zeros(shape) with g added at idx; repeated indices accumulate (np.add.at).
index_add_p = linear(
    "index_add", _index_add_impl,
    transpose=lambda g, x, *, idx, shape: getitem_p(g, idx=idx),
    shape=lambda g, *, idx, shape: (tuple(shape), g.dtype),
)


def _concat_jvp(i, t, out, *xs, axis):
    # The tangent of one operand fills its slot; the other slots are zero.
    parts = [t if j == i else wnp.zeros_like(x) for j, x in enumerate(xs)]
    return concatenate_p(*parts, axis=axis)


def _concat_vjp(i, g, out, *xs, axis):
    start = sum(x.shape[axis] for x in xs[:i])
    idx = [slice(None)] * g.ndim
    idx[axis] = slice(start, start + xs[i].shape[axis])
    return getitem_p(g, idx=tuple(idx))


concatenate_p = define(
    "concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis),
    jvp=Indexed(_concat_jvp), vjp=Indexed(_concat_vjp),
)


def _pad_transpose(g, x, *, pad_width):
    idx = tuple(slice(lo, lo + n) for (lo, hi), n in zip(pad_width, x.shape))
    return getitem_p(g, idx=idx)


# Constant (zero) padding; other modes are composed in wengert.numpy.
pad_p = linear("pad", lambda x, *, pad_width: np.pad(x, pad_width),
               transpose=_pad_transpose)
