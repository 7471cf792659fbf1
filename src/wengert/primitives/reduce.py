"""Reductions and scans: sum, max/min, prod, cumsum, cumprod, sort.

Every reduction takes a normalised ``axis`` tuple and ``keepdims``. Imports: core, registry,
shape, NumPy (in ``impl`` only).
"""

from __future__ import annotations

import numpy as np

from .registry import define, linear, wnp
from .shape import broadcast_to_p, reshape_p


def _keepdims_shape(shape, axis):
    return tuple(1 if i in axis else s for i, s in enumerate(shape))


def _expand_back(g, x, axis, keepdims):
    """Broadcast a reduced cotangent ``g`` back to ``x``'s shape."""
    if not keepdims:
        g = reshape_p(g, shape=_keepdims_shape(x.shape, axis))
    return broadcast_to_p(g, shape=tuple(x.shape))


sum_p = linear(
    "sum", lambda x, *, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims),
    transpose=lambda g, x, *, axis, keepdims: _expand_back(g, x, axis, keepdims),
)


def _max_rule(g, out, x, *, axis, keepdims):
    # Ties share the cotangent evenly among the positions attaining the maximum.
    o = out if keepdims else wnp.reshape(out, _keepdims_shape(x.shape, axis))
    mask = (x == o).astype(x.dtype)
    count = wnp.sum(mask, axis=axis, keepdims=True)
    return _expand_back(g, x, axis, keepdims) * (mask / count)


def _max_jvp(t, out, x, *, axis, keepdims):
    o = out if keepdims else wnp.reshape(out, _keepdims_shape(x.shape, axis))
    mask = (x == o).astype(x.dtype)
    count = wnp.sum(mask, axis=axis, keepdims=True)
    return wnp.sum(t * mask / count, axis=axis, keepdims=keepdims)


max_p = define("max", lambda x, *, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
               jvp=(_max_jvp,), vjp=(_max_rule,))
min_p = define("min", lambda x, *, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
               jvp=(_max_jvp,), vjp=(_max_rule,))
