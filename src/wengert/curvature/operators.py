"""Linear operators for curvature: a matvec with a shape, or the Hessian of a function at a point.

``LinearOperator(matvec, shape)`` wraps any symmetric n×n linear map given as a matvec;
``hessian_operator(f, x)`` is the Hessian of scalar ``f`` at a pytree ``x``, acting on the
raveled vector (``wengert.tree.ravel``): with the default forward-over-reverse strategy the
gradient is linearized once at ``x`` and each product is one tangent sweep over that list;
several vectors at once are one vmapped :func:`wengert.hvp`. ``hessian`` builds the dense matrix for small problems. The estimators
in ``hutchinson`` and ``lanczos`` accept either input through ``as_operator``.
Imports: tree, core.errors, transforms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import tree as _tree
from ..compiler import jit
from ..core.errors import ReplayError, WengertTypeError, WengertValueError
from ..transforms.hessian import hessian as _hessian_transform
from ..transforms.hessian import hvp
from ..transforms.jacobian import linearize
from ..transforms.reverse import grad


@dataclass(frozen=True)
class LinearOperator:
    """A linear map on R^n given by its matvec, ``A @ v = matvec(v)``.

    ``matmat(V)``, when given, maps an (n, k) array to A @ V at once; otherwise it applies
    ``matvec`` column by column. The estimators assume A is symmetric (a Hessian).

    Examples
    --------
    >>> import numpy as np
    >>> from wengert.curvature import LinearOperator
    >>> A = LinearOperator(lambda v: 2.0 * v, (3, 3))
    >>> A @ np.ones(3)
    array([2., 2., 2.])
    """

    matvec: Callable[[np.ndarray], np.ndarray]
    shape: tuple[int, int]
    matmat_fn: Callable[[np.ndarray], np.ndarray] | None = None
    unravel: Callable[[np.ndarray], Any] | None = None

    def __post_init__(self):
        shape = tuple(int(s) for s in self.shape)
        if len(shape) != 2 or shape[0] != shape[1]:
            raise WengertValueError(
                f"LinearOperator: shape must be a square (n, n), but received {self.shape}; "
                "curvature operators map R^n to R^n."
            )
        object.__setattr__(self, "shape", shape)

    @property
    def size(self) -> int:
        """The dimension n."""
        return self.shape[0]

    def matmat(self, vectors: np.ndarray) -> np.ndarray:
        """Return A @ V for an (n, k) array V."""
        vectors = np.asarray(vectors)
        if self.matmat_fn is not None:
            return np.asarray(self.matmat_fn(vectors))
        cols = [np.asarray(self.matvec(vectors[:, j])) for j in range(vectors.shape[1])]
        return np.stack(cols, axis=1) if cols else np.zeros_like(vectors)

    def __matmul__(self, other):
        other = np.asarray(other)
        return self.matmat(other) if other.ndim == 2 else np.asarray(self.matvec(other))


def hessian_operator(fun: Callable, x: Any, strategy: str = "fwd-rev") -> LinearOperator:
    """Return the Hessian of scalar ``fun`` at the pytree ``x`` as a LinearOperator.

    The operator acts on the raveled vector of ``x`` (``wengert.tree.ravel``); its
    ``unravel`` turns a vector back into a pytree shaped like ``x``. ``matmat`` of k vectors
    is one HVP vmapped over the k tangents.

    With ``strategy="fwd-rev"`` (the default) the first matvec records the gradient of
    ``fun`` at ``x`` once (``linearize(grad(fun), x)``) and compiles its tangent sweep with
    ``jit``; every matvec then runs only the tangent arithmetic, without redoing the primal
    forward and backward passes. On the MLP of ``benchmarks/bench_hvp.py`` that is about 1.9
    gradients per product against about 3 for a fresh :func:`wengert.hvp`. The price is memory: the operator
    holds the gradient's intermediates while it lives. ``strategy="rev-rev"`` runs a full
    reverse-over-reverse HVP per product.

    Examples
    --------
    >>> import numpy as np, wengert.numpy as wnp
    >>> from wengert.curvature import hessian_operator
    >>> H = hessian_operator(lambda p: wnp.sum(p["a"] ** 2), {"a": np.ones(2)})
    >>> H @ np.array([1.0, 3.0])
    array([2., 6.])
    """
    if strategy not in ("fwd-rev", "rev-rev"):
        raise WengertValueError(
            f"hessian_operator: strategy must be one of ('fwd-rev', 'rev-rev'), but received "
            f"{strategy!r}; pass 'fwd-rev' (forward over reverse) or 'rev-rev'."
        )
    flat, unravel = _tree.ravel(x)
    n = flat.shape[0]
    dtype = flat.dtype

    def ravel_batch(tree_batch, k):
        leaves = _tree.leaves(tree_batch)
        return np.concatenate([np.reshape(leaf, (k, -1)) for leaf in leaves], axis=1).astype(
            dtype
        )

    linearized: list[Callable] = []

    def matvec(v):
        tangent = unravel(np.asarray(v, dtype=dtype))
        if strategy == "fwd-rev":
            if not linearized:
                linearized.append(_compiled_sweep(linearize(grad(fun), x)[1], tangent))
            out = linearized[0](tangent)
        else:
            out = hvp(fun, (x,), (tangent,), strategy=strategy)[0]
        return _tree.ravel(out)[0].astype(dtype)

    def matmat(vectors):
        k = vectors.shape[1]
        if k == 0:
            return np.zeros((n, 0), dtype)
        trees = [unravel(np.ascontiguousarray(vectors[:, j], dtype=dtype)) for j in range(k)]
        batch = _tree.map(lambda *leaves: np.stack(leaves), *trees)
        out = hvp(fun, (x,), (batch,), batched=True, strategy=strategy)[0]
        return ravel_batch(out, k).T

    return LinearOperator(matvec, (n, n), matmat_fn=matmat, unravel=unravel)


def _compiled_sweep(f_jvp: Callable, example) -> Callable:
    """``f_jvp`` compiled with ``jit`` (the tangent sweep as straight-line NumPy), or itself.

    The sweep's primal values are constants of the compiled code, so each product runs only
    the tangent arithmetic. A sweep that reads a traced value (a rule that jit refuses)
    keeps running uncompiled; the numbers are the same either way.
    """
    compiled = jit(f_jvp)
    try:
        compiled.lower(example)
    except ReplayError:
        return f_jvp
    return compiled


def as_operator(name: str, fun, x) -> LinearOperator:
    """Return the operator for ``fun`` (a LinearOperator, a square array, or a function at ``x``)."""
    if isinstance(fun, LinearOperator):
        if x is not None:
            raise WengertValueError(
                f"{name}: x must be omitted when f is a LinearOperator, but received x; pass "
                "only the operator, or pass a function and a point."
            )
        return fun
    if isinstance(fun, np.ndarray):
        if x is not None:
            raise WengertValueError(f"{name}: x must be omitted when f is a matrix.")
        matrix = fun
        return LinearOperator(lambda v: matrix @ v, matrix.shape, matmat_fn=lambda v: matrix @ v)
    if not callable(fun):
        raise WengertTypeError(
            f"{name}: f must be a scalar function, a LinearOperator or a square array, but "
            f"received {type(fun).__name__}."
        )
    if x is None:
        raise WengertValueError(
            f"{name}: a function f needs the point x at which its Hessian is taken, but x is "
            "None; pass x (any pytree of arrays), or wrap a matvec in LinearOperator."
        )
    return hessian_operator(fun, x)


def hessian(fun, x=None) -> np.ndarray:
    """Return the dense Hessian of scalar ``fun`` at pytree ``x`` over the raveled vector.

    For a LinearOperator (``x`` omitted) returns the dense matrix A @ I. Cost: n HVPs worth of
    work (jacfwd of jacrev) and n² memory: for small problems only.

    Examples
    --------
    >>> import numpy as np, wengert.numpy as wnp
    >>> from wengert.curvature import hessian
    >>> hessian(lambda p: p["a"][0] ** 2 * p["b"], {"a": np.array([1.0]), "b": 3.0})
    array([[6., 2.],
           [2., 0.]])
    """
    op = as_operator("hessian", fun, x)
    if op.unravel is None:
        return op.matmat(np.eye(op.size))
    flat, unravel = _tree.ravel(x)
    return np.asarray(_hessian_transform(lambda v: fun(unravel(v)))(flat))
