"""Products of ``wengert.numpy``: matmul, dot and friends.

Imports: core, primitives, ``_core``, NumPy.
"""

from __future__ import annotations

import numpy as np

from ..primitives import linalg as L
from ._core import is_traced, promote

__all__ = ["matmul", "dot"]


def matmul(x1, x2, /):
    """Matrix product of two arrays, with NumPy's batching and 1-D promotion rules."""
    if not (is_traced(x1) or is_traced(x2)):
        return np.matmul(x1, x2)
    x1, x2 = _promote_keep_shape(x1, x2)
    if np.ndim(x1) == 0 or np.ndim(x2) == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    return L.matmul_p(x1, x2)


def _promote_keep_shape(x, y):
    from ._core import _dtype_arg, coerce

    dtype = np.result_type(_dtype_arg(x), _dtype_arg(y))
    return coerce(x, dtype, x.shape if is_traced(x) else np.shape(x)), coerce(
        y, dtype, y.shape if is_traced(y) else np.shape(y))


def dot(a, b, /):
    """Dot product: matmul for 1-D and 2-D operands, multiply for scalars."""
    if not (is_traced(a) or is_traced(b)):
        return np.dot(a, b)
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        from ._core import multiply

        return multiply(a, b)
    if np.ndim(b) <= 2:
        return matmul(a, b)
    from ._shape import moveaxis

    return matmul(a, moveaxis(b, -2, 0)) if np.ndim(a) == 1 else _dot_nd(a, b)


def _dot_nd(a, b):
    from ._shape import moveaxis, reshape

    # dot(a, b)[i,j,k,m] = sum(a[i,j,:] * b[k,:,m]): move b's contracted axis last-but-one.
    bb = moveaxis(b, -2, 0)
    out = matmul(reshape(a, (-1, a.shape[-1])), reshape(bb, (bb.shape[0], -1)))
    return reshape(out, a.shape[:-1] + b.shape[:-2] + b.shape[-1:])
