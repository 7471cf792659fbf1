"""Second derivatives: ``hvp`` (forward over reverse or reverse over reverse) and ``hessian``.

∇²f(x) v = d/dε ∇f(x + ε v) at ε = 0: one JVP of the gradient ("fwd-rev"), about the cost of
two or three gradients and no n×n matrix. Equally ∇²f(x) v = ∇_x ⟨∇f(x), v⟩ ("rev-rev"): a
gradient of the recorded gradient, which records the first backward sweep as well. A batch of vectors is one vmapped JVP of the gradient: the
gradient's own primal work is done once, only the tangent work is batched. ``hessian`` builds
the full matrix as ``jacfwd(jacrev(f))``: the vectorised forward sweep over the list that the
vectorised reverse sweep recorded. Imports: the other transforms.
"""

from __future__ import annotations

import numpy as np

from .. import tree as _tree
from ..core.errors import WengertValueError
from .batching import vmap
from .forward import jvp
from .jacobian import jacfwd, jacrev
from .reverse import grad

_STRATEGIES = ("fwd-rev", "rev-rev")


def hvp(fun, primals, tangents, batched: bool = False, strategy: str = "fwd-rev"):
    """Return ∇²f(x) @ v for scalar ``fun``; no Hessian is built.

    ``strategy="fwd-rev"`` (the default) is forward-over-reverse, the JVP of the gradient:
    d/dε ∇f(x + ε v) at ε = 0. ``strategy="rev-rev"`` is reverse-over-reverse, the gradient of
    x ↦ ⟨∇f(x), v⟩. Both give the same vector up to rounding; forward-over-reverse carries a
    tangent through one backward sweep, reverse-over-reverse records that sweep and runs a
    second one over it, so it keeps more intermediates.

    ``primals`` and ``tangents`` are tuples (one entry per argument of ``fun``); a single
    array is accepted for a one-argument function. The result has the structure of the
    primals (a tuple when ``fun`` has several arguments).

    With ``batched=True`` every leaf of ``tangents`` carries a leading batch axis of one
    length k (k vectors v_1 … v_k), and the result has that leading axis too: row r is
    ∇²f(x) @ v_r. It is ``vmap`` of the single-vector HVP over the tangents, so the gradient's
    primal work is done once and only the k tangent sweeps are batched.

    Cost: about two or three gradients (a batch: one gradient plus k batched tangent sweeps).

    Raises
    ------
    WengertValueError
        When ``strategy`` is not one of "fwd-rev", "rev-rev". With ``batched=True``, when a tangent leaf has no leading axis, when the batch lengths
        differ, or when a tangent's trailing shape differs from its primal's.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> f = lambda x: wnp.sum(x ** 3)
    >>> wg.hvp(f, np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    >>> wg.hvp(f, np.array([1.0, 2.0]), np.eye(2), batched=True)  # the Hessian's rows
    array([[ 6.,  0.],
           [ 0., 12.]])
    >>> wg.hvp(f, np.array([1.0, 2.0]), np.array([0.0, 1.0]), strategy="rev-rev")
    array([ 0., 12.])
    """
    if strategy not in _STRATEGIES:
        raise WengertValueError(
            f"hvp: strategy must be one of {_STRATEGIES}, but received {strategy!r}; pass "
            "'fwd-rev' (forward over reverse) or 'rev-rev' (reverse over reverse)."
        )
    single = not isinstance(primals, (tuple, list))
    if single:
        primals, tangents = (primals,), (tangents,)
    primals, tangents = tuple(primals), tuple(tangents)
    nums = tuple(range(len(primals)))
    g = grad(fun, argnums=nums)

    if strategy == "fwd-rev":
        def one(*ts):
            return jvp(lambda *xs: g(*xs), primals, ts)[1]
    else:
        def one(*ts):
            def inner(*xs):
                return _inner_product(g(*xs), ts)

            return grad(inner, argnums=nums)(*primals)

    if batched:
        _check_batch(primals, tangents)
        out = vmap(one)(*tangents)
    else:
        out = one(*tangents)
    return out[0] if single else out


def _inner_product(a, b):
    """Return Σ ⟨a_i, b_i⟩ over matching leaves of two pytrees (traced ``a``, plain ``b``)."""
    from .. import numpy as wnp

    total = 0.0
    for x, y in zip(_tree.leaves(a), _tree.leaves(b)):
        total = total + wnp.sum(x * y)
    return total


def _check_batch(primals, tangents):
    p_leaves, t_leaves = _tree.leaves(primals), _tree.leaves(tangents)
    if len(p_leaves) != len(t_leaves):
        raise WengertValueError(
            f"hvp: got {len(t_leaves)} tangent leaves for {len(p_leaves)} primal leaves; give "
            "each primal a batch of tangents of the same structure."
        )
    lengths = set()
    for k, (p, t) in enumerate(zip(p_leaves, t_leaves)):
        p_shape, t_shape = tuple(np.shape(p)), tuple(np.shape(t))
        if len(t_shape) != len(p_shape) + 1 or t_shape[1:] != p_shape:
            raise WengertValueError(
                f"hvp: with batched=True, tangent leaf {k} must have shape (k, *{p_shape}) (a "
                f"leading batch axis, then the primal's shape), but it has shape {t_shape}."
            )
        lengths.add(t_shape[0])
    if len(lengths) > 1:
        raise WengertValueError(
            f"hvp: with batched=True, every tangent leaf needs the same batch length, got "
            f"{sorted(lengths)}."
        )


def hessian(fun, argnums=0, has_aux=False, chunk_size: int | None = None,
            holomorphic: bool = False):
    """Return a function computing the Hessian of scalar ``fun`` (jacfwd of jacrev).

    ``chunk_size`` bounds the directions of the outer forward sweep (see :func:`jacfwd`).
    With ``holomorphic=True`` a complex-valued holomorphic ``fun`` of complex inputs has
    Hessian f''(z); without it, inputs and output must be real.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 3.0]))
    array([[6., 2.],
           [2., 0.]])
    >>> complex(wg.hessian(lambda z: z ** 3, holomorphic=True)(np.complex128(1j)))
    6j
    """
    if has_aux:
        def inner(*args, **kwargs):
            return jacrev(fun, argnums, has_aux=True, holomorphic=holomorphic)(*args, **kwargs)

        return jacfwd(inner, argnums, has_aux=True, chunk_size=chunk_size,
                      holomorphic=holomorphic)
    return jacfwd(jacrev(fun, argnums, holomorphic=holomorphic), argnums,
                  chunk_size=chunk_size, holomorphic=holomorphic)
