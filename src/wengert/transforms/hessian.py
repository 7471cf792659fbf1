"""Second derivatives: ``hvp`` (forward over reverse) and ``hessian``.

∇²f(x) v = d/dε ∇f(x + ε v) at ε = 0: one JVP of the gradient, about the cost of two or three
gradients and no n×n matrix. ``hessian`` builds the full matrix as ``jacfwd(jacrev(f))``.
Imports: the other transforms.
"""

from __future__ import annotations

from .forward import jvp
from .jacobian import jacfwd, jacrev
from .reverse import grad


def hvp(fun, primals, tangents):
    """Return ∇²f(x) @ v for scalar ``fun``: forward-over-reverse, no Hessian is built.

    ``primals`` and ``tangents`` are tuples (one entry per argument of ``fun``); a single
    array is accepted for a one-argument function. The result has the structure of the
    primals (a tuple when ``fun`` has several arguments).

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> f = lambda x: wnp.sum(x ** 3)
    >>> wg.hvp(f, np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    """
    single = not isinstance(primals, (tuple, list))
    if single:
        primals, tangents = (primals,), (tangents,)
    nums = tuple(range(len(primals)))
    g = grad(fun, argnums=nums)
    out = jvp(lambda *xs: g(*xs), tuple(primals), tuple(tangents))[1]
    return out[0] if single else out


def hessian(fun, argnums=0, has_aux=False):
    """Return a function computing the Hessian of scalar ``fun`` (jacfwd of jacrev).

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.hessian(lambda x: x[0] ** 2 * x[1])(np.array([1.0, 3.0]))
    array([[6., 2.],
           [2., 0.]])
    """
    if has_aux:
        def inner(*args, **kwargs):
            return jacrev(fun, argnums, has_aux=True)(*args, **kwargs)

        return jacfwd(inner, argnums, has_aux=True)
    return jacfwd(jacrev(fun, argnums), argnums)
