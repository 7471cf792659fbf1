"""Shape and layout functions of ``wengert.numpy``: reshape, transpose, indexing, joining.

Imports: core, primitives, ``_core``, NumPy.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..core.tracer import Tracer
from ..primitives import shape as S
from ._core import _concrete, _shape, is_traced, promote

__all__ = [
    "reshape", "ravel", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze",
    "broadcast_to", "getitem", "concatenate", "stack",
]


def _norm_axis(axis, ndim):
    ax = axis.__index__()
    if not -ndim <= ax < ndim:
        from numpy.exceptions import AxisError

        raise AxisError(axis, ndim)
    return ax % ndim


def reshape(a, shape, /, order="C"):
    """Give a new shape to an array without changing its data (C order)."""
    if not is_traced(a):
        return np.reshape(a, shape, order=order)
    if order != "C":
        raise NotImplementedError("reshape: only order='C' is supported on traced arrays")
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    shape = tuple(int(s) for s in shape)
    if -1 in shape:
        known = int(np.prod([s for s in shape if s != -1]))
        shape = tuple((a.size // known if known else 0) if s == -1 else s for s in shape)
    if shape == a.shape:
        return a
    if int(np.prod(shape)) != a.size:
        raise ValueError(f"cannot reshape array of size {a.size} into shape {shape}")
    return S.reshape_p(a, shape=shape)


def ravel(a, /, order="C"):
    """Return a contiguous flattened array."""
    return reshape(a, (-1,), order=order) if is_traced(a) else np.ravel(a, order=order)


def transpose(a, axes=None):
    """Permute the dimensions of an array (reverse them by default)."""
    if not is_traced(a):
        return np.transpose(a, axes)
    axes = tuple(range(a.ndim))[::-1] if axes is None else tuple(_norm_axis(x, a.ndim) for x in axes)
    if axes == tuple(range(a.ndim)):
        return a
    return S.transpose_p(a, axes=axes)


def swapaxes(a, axis1, axis2):
    """Interchange two axes of an array."""
    if not is_traced(a):
        return np.swapaxes(a, axis1, axis2)
    perm = list(range(a.ndim))
    i, j = _norm_axis(axis1, a.ndim), _norm_axis(axis2, a.ndim)
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


def moveaxis(a, source, destination):
    """Move axes of an array to new positions."""
    if not is_traced(a):
        return np.moveaxis(a, source, destination)
    src = np.atleast_1d(source)
    dst = np.atleast_1d(destination)
    src = [_norm_axis(int(s), a.ndim) for s in src]
    dst = [_norm_axis(int(d), a.ndim) for d in dst]
    order = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


def expand_dims(a, axis):
    """Insert new axes of length one at the positions ``axis``."""
    if not is_traced(a):
        return np.expand_dims(a, axis)
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    nd = a.ndim + len(axes)
    axes = sorted(_norm_axis(x, nd) for x in axes)
    shape = list(a.shape)
    for ax in axes:
        shape.insert(ax, 1)
    return reshape(a, tuple(shape))


def squeeze(a, axis=None):
    """Remove axes of length one."""
    if not is_traced(a):
        return np.squeeze(a, axis)
    if axis is None:
        axes = {i for i, s in enumerate(a.shape) if s == 1}
    else:
        axes = {_norm_axis(x, a.ndim) for x in ((axis,) if isinstance(axis, numbers.Integral) else axis)}
        bad = [i for i in axes if a.shape[i] != 1]
        if bad:
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return reshape(a, tuple(s for i, s in enumerate(a.shape) if i not in axes))


def broadcast_to(a, shape):
    """Broadcast an array to a new shape (its VJP sums back over the broadcast axes)."""
    if not is_traced(a):
        return np.broadcast_to(a, shape)
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    if shape == a.shape:
        return a
    np.broadcast_shapes(a.shape, shape)  # raises NumPy's error for incompatible shapes
    return S.broadcast_to_p(a, shape=shape)


def _normalize_index(idx):
    """Make an index static: traced index arrays become plain, boolean masks become integers."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = []
    for k in idx:
        k = _concrete(k)
        if isinstance(k, list):
            k = np.asarray(k)
        if isinstance(k, np.ndarray) and k.dtype == bool:
            out.extend(np.nonzero(k))
        else:
            out.append(k)
    return tuple(out)


def getitem(a, idx):
    """``a[idx]`` for integers, slices, ellipsis, None, integer arrays and boolean masks."""
    if not is_traced(a):
        return np.asarray(a)[_concrete(idx) if not isinstance(idx, tuple) else tuple(_concrete(i) for i in idx)]
    return S.getitem_p(a, idx=_normalize_index(idx))


def concatenate(arrays, axis=0):
    """Join a sequence of arrays along an existing axis."""
    arrays = list(arrays)
    if not any(is_traced(x) for x in arrays):
        return np.concatenate(arrays, axis=axis)
    if axis is None:
        arrays = [ravel(x) for x in arrays]
        axis = 0
    arrays = promote(*arrays) if len(arrays) > 1 else arrays
    nd = max(len(_shape(x)) for x in arrays)
    axis = _norm_axis(axis, nd)
    arrays = [x if is_traced(x) else np.asarray(x) for x in arrays]
    return S.concatenate_p(*arrays, axis=axis)


def stack(arrays, axis=0):
    """Join a sequence of arrays along a new axis."""
    arrays = list(arrays)
    if not any(is_traced(x) for x in arrays):
        return np.stack(arrays, axis=axis)
    nd = len(_shape(arrays[0])) + 1
    axis = _norm_axis(axis, nd)
    return concatenate([expand_dims(x, axis) if is_traced(x) else np.expand_dims(x, axis)
                        for x in arrays], axis=axis)
