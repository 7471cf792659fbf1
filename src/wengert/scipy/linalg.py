"""``wengert.scipy.linalg``: SciPy's structured solves and matrix functions, differentiable.

``solve_triangular``, ``cho_factor``/``cho_solve``, ``expm``, ``sqrtm``, ``solve_sylvester`` and
``solve_banded`` take SciPy's arguments and, on plain arrays, return what SciPy returns.
On traced arrays they bind the primitives of ``wengert/primitives/scipy_linalg.py`` (which hold
the derivative rules), over leading batch dimensions that broadcast as in SciPy 1.15+. Every
function is differentiable in both modes to any order in its array arguments.

Two deliberate differences: ``cho_factor`` always returns the *clean* factor (zeros in the
triangle SciPy leaves unspecified), and ``sqrtm`` of a traced real matrix without a real
principal square root raises instead of silently turning complex (pass a complex matrix).
Imports: core, primitives (including ``scipy_linalg``), ``wengert.numpy``, NumPy and SciPy.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as _sl

from .. import numpy as wnp
from ..core.errors import WengertValueError, describe
from ..core.tracer import Tracer
from ..primitives import scipy_linalg as P

__all__ = [
    "cho_factor",
    "cho_solve",
    "expm",
    "solve_banded",
    "solve_sylvester",
    "solve_triangular",
    "sqrtm",
]

_TRANS = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2, "n": 0, "t": 1, "c": 2}


def _traced(*xs) -> bool:
    return any(isinstance(x, Tracer) for x in xs)


def _operands(*xs):
    """The operands as arrays of one inexact dtype (integers become float64, as in SciPy)."""
    xs = [x if isinstance(x, Tracer) else np.asarray(x) for x in xs]
    dtype = np.result_type(*[x.dtype for x in xs])
    if dtype.kind in "biu":
        dtype = np.dtype(np.float64)
    elif dtype == np.float16:
        dtype = np.dtype(np.float32)
    return [x if x.dtype == dtype else wnp.astype(x, dtype) for x in xs]


def _square(name, arg, x):
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise WengertValueError(
            f"wengert.scipy.linalg.{name}: expected {arg} to be a square matrix (or a stack of "
            f"them, shape (..., n, n)), but received {describe(x)}. Pass a square matrix."
        )


def _broadcast_batch(name, pairs):
    """Broadcast the leading (batch) axes of ``(array, core_ndim)`` pairs to one shape."""
    try:
        batch = np.broadcast_shapes(*[tuple(x.shape[: x.ndim - k]) for x, k in pairs])
    except ValueError:
        shapes = ", ".join(str(tuple(x.shape)) for x, _ in pairs)
        raise WengertValueError(
            f"wengert.scipy.linalg.{name}: the leading (batch) axes of operands of shapes "
            f"{shapes} do not broadcast. Give them batch shapes that broadcast."
        ) from None
    out = []
    for x, k in pairs:
        shape = batch + tuple(x.shape[x.ndim - k :])
        out.append(x if tuple(x.shape) == shape else wnp.broadcast_to(x, shape))
    return out


def _rhs(name, a, b, n):
    """``b`` as a stack of matrices (1-D ``b`` is one vector, as in SciPy) and whether it was
    a vector."""
    if b.ndim == 0 or b.shape[-1 if b.ndim == 1 else -2] != n:
        raise WengertValueError(
            f"wengert.scipy.linalg.{name}: expected b of shape (n,) or (..., n, k) with "
            f"n = {n} (the matrix's order), but received {describe(b)}. Pass a right-hand side "
            "with n rows."
        )
    vector = b.ndim == 1
    return (wnp.expand_dims(b, -1) if vector else b), vector


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """Solve ``op(a) x = b`` for ``x``, where ``a`` is triangular.

    Only the triangle named by ``lower`` is read (its strict part if ``unit_diagonal``, with ones
    assumed on the diagonal); ``op`` is the identity (``trans=0``/``'N'``), the transpose
    (``1``/``'T'``) or the conjugate transpose (``2``/``'C'``). ``b`` is ``(n,)`` or
    ``(..., n, k)``; leading axes of ``a`` and ``b`` broadcast. Differentiable in ``a`` (its read
    triangle) and ``b``: ``dx = op(a)⁻¹ (db - op(da) x)``.

    Examples
    --------
    >>> import numpy as np, wengert as wg
    >>> from wengert.scipy.linalg import solve_triangular
    >>> a = np.array([[2.0, 0.0], [1.0, 4.0]])
    >>> solve_triangular(a, np.array([2.0, 5.0]), lower=True)
    array([1., 1.])
    >>> wg.grad(lambda b: solve_triangular(a, b, lower=True).sum())(np.array([2.0, 5.0]))
    array([0.375, 0.25 ])
    """
    if trans not in _TRANS:
        raise WengertValueError(
            "wengert.scipy.linalg.solve_triangular: expected trans to be 0, 1, 2, 'N', 'T' or "
            f"'C', but received {trans!r}."
        )
    if not _traced(a, b):
        return _sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal,
                                    overwrite_b=overwrite_b, check_finite=check_finite)
    a, b = _operands(a, b)
    _square("solve_triangular", "a", a)
    t = _TRANS[trans]
    if t == 2 and a.dtype.kind != "c":
        t = 1  # the conjugate transpose of a real matrix is its transpose
    b, vector = _rhs("solve_triangular", a, b, a.shape[-1])
    a, b = _broadcast_batch("solve_triangular", [(a, 2), (b, 2)])
    x = P.solve_triangular_p(a, b, lower=bool(lower), trans=t,
                             unit_diagonal=bool(unit_diagonal))
    return x[..., 0] if vector else x


def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """Return ``(c, lower)``: the Cholesky factor of a Hermitian positive-definite matrix.

    ``c`` is ``L`` with ``a = L Lᴴ`` (``lower=True``) or ``U`` with ``a = Uᴴ U`` (SciPy's
    default ``lower=False``); ``ᴴ`` is the plain transpose for real ``a``. Only that triangle of
    ``a`` is read, as in SciPy (and only the real part of its diagonal), so the derivative is
    that of the Hermitian matrix built from it. The other triangle of ``c`` is zero (SciPy
    leaves it unspecified, "random data"). Complex derivatives follow the bilinear pairing
    (design §5c).

    Examples
    --------
    >>> import numpy as np, wengert as wg
    >>> from wengert.scipy.linalg import cho_factor, cho_solve
    >>> a = np.array([[4.0, 2.0], [2.0, 3.0]])
    >>> f = lambda a: cho_solve(cho_factor(a), np.ones(2)).sum()
    >>> bool(np.isclose(f(a), np.linalg.solve(a, np.ones(2)).sum()))
    True
    >>> g = wg.grad(lambda a: cho_factor(a, lower=True)[0][1, 1])(a)  # sqrt(a11 - a10²/a00)
    >>> print(np.round(g, 4) + 0.0)  # only the lower triangle is read
    [[ 0.0884  0.    ]
     [-0.3536  0.3536]]
    """
    if not _traced(a):
        # The same clean factor as when traced, so values never depend on being traced.
        # (SciPy returns ``lower`` as an array for a stack of matrices; a bool here.)
        c, _ = _sl.cho_factor(a, lower=lower, overwrite_a=overwrite_a, check_finite=check_finite)
        return (np.tril(c) if lower else np.triu(c)), bool(lower)
    (a,) = _operands(a)
    _square("cho_factor", "a", a)
    if lower:
        return P.cho_factor_p(a), True
    # The upper triangle of a is the lower triangle of aᵀ, which gives conj(S) = conj(L) conj(L)ᴴ,
    # so U = Lᴴ is that factor transposed.
    return wnp.swapaxes(P.cho_factor_p(wnp.swapaxes(a, -1, -2)), -1, -2), False


def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` given ``(c, lower) = cho_factor(a)``.

    Two triangular solves, so it is differentiable in ``c`` (its read triangle) and ``b``.

    Examples
    --------
    >>> import numpy as np
    >>> from wengert.scipy.linalg import cho_factor, cho_solve
    >>> cho_solve(cho_factor(np.array([[4.0, 2.0], [2.0, 3.0]])), np.array([6.0, 5.0]))
    array([1., 1.])
    """
    if not isinstance(c_and_lower, (tuple, list)) or len(c_and_lower) != 2:
        raise WengertValueError(
            "wengert.scipy.linalg.cho_solve: expected c_and_lower to be the pair (c, lower) "
            f"returned by cho_factor, but received {describe(c_and_lower)}."
        )
    c, lower = c_and_lower
    if not _traced(c, b):
        return _sl.cho_solve((c, lower), b, overwrite_b=overwrite_b, check_finite=check_finite)
    # The conjugate transpose of the factor: trans=2 on complex c, the plain one on real c.
    h = 2 if np.dtype(c.dtype).kind == "c" else 1
    if lower:  # a = L Lᴴ: solve L y = b, then Lᴴ x = y
        y = solve_triangular(c, b, lower=True)
        return solve_triangular(c, y, trans=h, lower=True)
    y = solve_triangular(c, b, trans=h, lower=False)  # a = Uᴴ U
    return solve_triangular(c, y, lower=False)


def expm(A):
    """Return the matrix exponential ``exp(A) = Σ Aᵏ / k!`` (batched over leading axes).

    The JVP is the Fréchet derivative ``L(A, E)``, read off the top-right block of
    ``expm([[A, E], [0, A]])``; the VJP is ``L(Aᵀ, G)``. Both hold for non-normal ``A``.

    Examples
    --------
    >>> import numpy as np, wengert as wg
    >>> from wengert.scipy.linalg import expm
    >>> a = np.array([[0.0, 1.0], [0.0, 0.0]])
    >>> expm(a)
    array([[1., 1.],
           [0., 1.]])
    >>> wg.jvp(lambda t: expm(t * a), (1.0,), (1.0,))[1]  # d/dt expm(tA) = A expm(tA)
    array([[0., 1.],
           [0., 0.]])
    """
    if not _traced(A):
        return _sl.expm(A)
    (A,) = _operands(A)
    _square("expm", "A", A)
    return P.expm_p(A)


def sqrtm(A):
    """Return the principal square root ``S`` of ``A`` (``S @ S = A``), batched.

    The JVP solves the Sylvester equation ``S dS + dS S = dA``; the VJP solves
    ``Sᵀ Ā + Ā Sᵀ = G``. Defined where ``A`` has no eigenvalues on the closed negative real
    axis. A traced real ``A`` must have a real principal square root.

    Raises
    ------
    WengertValueError
        If ``A`` is traced, real, and its principal square root is not real.

    Examples
    --------
    >>> import numpy as np, wengert as wg
    >>> from wengert.scipy.linalg import sqrtm
    >>> sqrtm(np.array([[4.0, 0.0], [0.0, 9.0]]))
    array([[2., 0.],
           [0., 3.]])
    >>> wg.grad(lambda a: sqrtm(a)[1, 1])(np.array([[4.0, 0.0], [0.0, 9.0]]))
    array([[0.        , 0.        ],
           [0.        , 0.16666667]])
    """
    if not _traced(A):
        return _sl.sqrtm(A)
    (A,) = _operands(A)
    _square("sqrtm", "A", A)
    return P.sqrtm_p(A)


def solve_sylvester(a, b, q):
    """Solve the Sylvester equation ``a x + x b = q`` for ``x`` (batched over leading axes).

    ``a`` is ``(m, m)``, ``b`` ``(n, n)``, ``q`` ``(m, n)``. Differentiable in all three:
    ``a dx + dx b = dq - da x - x db``; the VJP solves ``aᵀ q̄ + q̄ bᵀ = g``, then
    ``ā = -q̄ xᵀ`` and ``b̄ = -xᵀ q̄``.

    Examples
    --------
    >>> import numpy as np
    >>> from wengert.scipy.linalg import solve_sylvester
    >>> solve_sylvester(np.eye(2), 2 * np.eye(2), 3 * np.ones((2, 2)))
    array([[1., 1.],
           [1., 1.]])
    """
    if not _traced(a, b, q):
        return _sl.solve_sylvester(a, b, q)
    a, b, q = _operands(a, b, q)
    _square("solve_sylvester", "a", a)
    _square("solve_sylvester", "b", b)
    if q.ndim < 2 or q.shape[-2:] != (a.shape[-1], b.shape[-1]):
        raise WengertValueError(
            "wengert.scipy.linalg.solve_sylvester: expected q of shape (..., m, n) = "
            f"(..., {a.shape[-1]}, {b.shape[-1]}) for a of order m and b of order n, but "
            f"received {describe(q)}."
        )
    a, b, q = _broadcast_batch("solve_sylvester", [(a, 2), (b, 2), (q, 2)])
    return P.solve_sylvester_p(a, b, q)


def solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
    """Solve ``a x = b`` for a banded ``a`` stored as ``ab[u + i - j, j] = a[i, j]``.

    ``l_and_u = (l, u)`` are the numbers of sub- and super-diagonals; ``ab`` is
    ``(..., l + u + 1, n)`` and ``b`` ``(n,)`` or ``(..., n, k)``. Differentiable in ``ab`` (the
    cotangent is zero on the unused corners of the storage) and ``b``.

    Examples
    --------
    >>> import numpy as np, wengert as wg
    >>> from wengert.scipy.linalg import solve_banded
    >>> ab = np.array([[0.0, 1.0, 1.0], [4.0, 4.0, 4.0], [1.0, 1.0, 0.0]])  # tridiagonal
    >>> solve_banded((1, 1), ab, np.array([5.0, 6.0, 5.0]))
    array([1., 1., 1.])
    >>> wg.grad(lambda b: solve_banded((1, 1), ab, b)[0])(np.array([5.0, 6.0, 5.0]))
    array([ 0.26785714, -0.07142857,  0.01785714])
    """
    try:
        lower, upper = (int(v) for v in l_and_u)
    except (TypeError, ValueError):
        lower = upper = -1
    if lower < 0 or upper < 0:
        raise WengertValueError(
            "wengert.scipy.linalg.solve_banded: expected l_and_u to be a pair of non-negative "
            f"integers (sub- and super-diagonals), but received {l_and_u!r}."
        )
    if not _traced(ab, b):
        return _sl.solve_banded((lower, upper), ab, b, overwrite_ab=overwrite_ab,
                                overwrite_b=overwrite_b, check_finite=check_finite)
    ab, b = _operands(ab, b)
    if ab.ndim < 2 or ab.shape[-2] != lower + upper + 1:
        raise WengertValueError(
            "wengert.scipy.linalg.solve_banded: expected ab of shape (..., l + u + 1, n) = "
            f"(..., {lower + upper + 1}, n), but received {describe(ab)}."
        )
    b, vector = _rhs("solve_banded", ab, b, ab.shape[-1])
    ab, b = _broadcast_batch("solve_banded", [(ab, 2), (b, 2)])
    x = P.solve_banded_p(ab, b, lower=lower, upper=upper)
    return x[..., 0] if vector else x
