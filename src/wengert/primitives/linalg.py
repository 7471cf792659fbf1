"""Products: matmul and einsum (the rest of the linear-algebra family comes later).

``matmul`` follows NumPy's rules, batch dimensions included; its rules transpose the last two
axes (``mT``) and sum broadcast batch dimensions back with ``sum_to_shape``. Imports: core,
registry, shape, NumPy (in ``impl`` only).
"""

from __future__ import annotations

import numpy as np

from .registry import define, wnp
from .shape import sum_to_shape_p


def _mT(x):
    return wnp.swapaxes(x, -1, -2)


def _matmul_vjp_x(g, out, x, y):
    if y.ndim == 1:  # (..., n) @ (n,) -> (...): outer product with y
        gx = wnp.expand_dims(g, -1) * y
    elif x.ndim == 1:  # (n,) @ (..., n, k) -> (..., k)
        gx = wnp.matmul(wnp.expand_dims(g, -2), _mT(y))[..., 0, :]
    else:
        gx = wnp.matmul(g, _mT(y))
    return gx if gx.shape == x.shape else sum_to_shape_p(gx, shape=tuple(x.shape))


def _matmul_vjp_y(g, out, x, y):
    if x.ndim == 1 and y.ndim == 1:  # inner product
        gy = g * x
    elif x.ndim == 1:  # (n,) @ (..., n, k)
        gy = wnp.expand_dims(x, -1) * wnp.expand_dims(g, -2)
    elif y.ndim == 1:  # (..., m, n) @ (n,) -> (..., m)
        gy = wnp.matmul(wnp.expand_dims(g, -2), x)[..., 0, :]
    else:
        gy = wnp.matmul(_mT(x), g)
    return gy if gy.shape == y.shape else sum_to_shape_p(gy, shape=tuple(y.shape))


matmul_p = define(
    "matmul", np.matmul,
    jvp=(lambda x_dot, out, x, y: wnp.matmul(x_dot, y),
         lambda y_dot, out, x, y: wnp.matmul(x, y_dot)),
    vjp=(_matmul_vjp_x, _matmul_vjp_y),
)
