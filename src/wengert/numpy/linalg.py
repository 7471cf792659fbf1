"""``wengert.numpy.linalg``: NumPy's linear algebra, differentiable and batched.

Each function accepts plain and traced arrays. Without a traced argument it returns exactly what
``numpy.linalg`` returns; with one it records the primitives of ``primitives/decompositions.py``
and slices their packed outputs back into NumPy's results (the same named tuples). Every
function works on stacks of matrices (leading batch axes), as NumPy's do, except ``lstsq`` and
``multi_dot``, which NumPy defines for single matrices only. ``matrix_rank`` and ``cond`` are
not differentiable: they return constants.

Where derivatives are and are not defined (the rules' docstrings say more):

* ``solve``, ``inv``, ``det``, ``slogdet``: at invertible matrices.
* ``cholesky``, ``eigh``, ``eigvalsh``: only the triangle NumPy reads (``UPLO``) is an input,
  so the derivative with respect to the other triangle is zero.
* ``eigh``, ``svd``: eigenvalues and singular values everywhere they are simple; with repeated
  values, derivatives of basis-independent quantities (their sums, ``|det|``, projectors onto
  whole eigenspaces) are finite and correct, but individual vectors in a degenerate subspace
  have no derivative (their pairs are masked to 0). The extra columns of ``full_matrices=True``
  and of ``qr(mode="complete")`` are a basis of a complement: only quantities that do not
  depend on which basis (such as its projector) have meaningful derivatives.
* ``eig``, ``eigvals``: at diagonalisable matrices. Eigenvalues where they are simple;
  eigenvectors where all eigenvalues are distinct, through quantities that do not depend on
  each vector's sign or phase. Degenerate pairs are masked, as for ``eigh``: the sum of a
  repeated group has every derivative, its other symmetric functions (the product) first
  derivatives. On traced input the results are always complex, even where NumPy's are real.
* ``svd``'s singular vectors of a rectangular matrix need nonzero singular values.
* ``qr``: the leading min(m, n) columns must have full rank.
* ``pinv``, ``lstsq``: where the numerical rank is locally constant (full rank or not).
* ``norm``: the gradient at the zero vector (and zero matrix, for ``'fro'``) is 0, the
  least-norm subgradient, at every order; ties of max/min-based orders share the derivative.

Imports: core, primitives, ``wengert.numpy`` (lazily, through the registry), NumPy.
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

from ..core.errors import UnsupportedError, WengertValueError
from ..primitives import decompositions as D
from ..primitives.batching import anywhere, map_examples
from ..primitives.registry import wnp as _wnp
from ._construct import is_traced

__all__ = [
    "LinAlgError",
    "cholesky",
    "cond",
    "det",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "inv",
    "lstsq",
    "matrix_power",
    "matrix_rank",
    "multi_dot",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
]

EigResult = np.linalg._linalg.EigResult
EighResult = np.linalg._linalg.EighResult
SVDResult = np.linalg._linalg.SVDResult
QRResult = np.linalg._linalg.QRResult
SlogdetResult = np.linalg._linalg.SlogdetResult


class LinAlgError(WengertValueError, np.linalg.LinAlgError):
    """A linear-algebra argument of the wrong shape (also a ``numpy.linalg.LinAlgError``)."""


def _traced(*xs) -> bool:
    return any(is_traced(x) for x in xs)


def _as_float(x):
    """``x`` as an inexact array: integers and booleans become float64, as in NumPy."""
    x = x if is_traced(x) else np.asarray(x)
    if np.dtype(x.dtype).kind in "biu":
        return _wnp.astype(x, np.float64)
    return x


def _promote(*xs):
    xs = [x if is_traced(x) else np.asarray(x) for x in xs]
    dtype = np.result_type(*[x.dtype for x in xs])
    if dtype.kind in "biu":
        dtype = np.dtype(np.float64)
    return [x if x.dtype == dtype else _wnp.astype(x, dtype) for x in xs]


def _require_matrix(name, a, square=True):
    if a.ndim < 2:
        raise LinAlgError(
            f"{name}: expected an array of at least 2 dimensions (a matrix or a stack of "
            f"matrices), but got shape {tuple(a.shape)}. Reshape it, e.g. a[None, :]."
        )
    if square and a.shape[-1] != a.shape[-2]:
        raise LinAlgError(
            f"{name}: the last two dimensions must be square, but got shape "
            f"{tuple(a.shape)}. Pass square matrices (use lstsq or pinv for rectangular ones)."
        )


# --- solve, inv, det, slogdet ---------------------------------------------------------------------


def solve(a, b):
    """Solve ``a @ x = b`` for ``x``, over leading batch dimensions.

    ``b`` is one right-hand side when it is 1-D, otherwise a stack of ``(n, k)`` matrices whose
    batch dimensions broadcast with ``a``'s (NumPy 2 rules). Derivatives: dx = A⁻¹(db − dA x).

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> a = np.array([[2.0, 0.0], [0.0, 4.0]])
    >>> wg.grad(lambda b: wnp.linalg.solve(a, b).sum())(np.ones(2))
    array([0.5 , 0.25])
    """
    if not _traced(a, b):
        return np.linalg.solve(a, b)
    a, b = _promote(a, b)
    _require_matrix("solve", a)
    vector = b.ndim == 1
    if vector:
        b = _wnp.expand_dims(b, -1)
    if b.shape[-2] != a.shape[-1]:
        raise LinAlgError(
            f"solve: b must have {a.shape[-1]} rows to match a of shape {tuple(a.shape)}, but "
            f"got shape {tuple(b.shape)}."
        )
    batch = np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    a = _wnp.broadcast_to(a, batch + tuple(a.shape[-2:]))
    b = _wnp.broadcast_to(b, batch + tuple(b.shape[-2:]))
    x = D.solve_p(a, b)
    return x[..., 0] if vector else x


def inv(a):
    """Return the inverse of each square matrix; d(A⁻¹) = −A⁻¹ dA A⁻¹.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.grad(lambda a: wnp.trace(wnp.linalg.inv(a)))(np.array([[2.0]]))
    array([[-0.25]])
    """
    if not _traced(a):
        return np.linalg.inv(a)
    a = _as_float(a)
    _require_matrix("inv", a)
    return D.inv_p(a)


def det(a):
    """Return the determinant of each square matrix; d det A = det A · tr(A⁻¹ dA).

    The derivative needs an invertible ``a`` (it is formed with A⁻¹, not the adjugate).

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.grad(wnp.linalg.det)(np.array([[2.0, 1.0], [0.0, 3.0]]))
    array([[ 3.,  0.],
           [-1.,  2.]])
    """
    if not _traced(a):
        return np.linalg.det(a)
    a = _as_float(a)
    _require_matrix("det", a)
    return D.det_p(a)


def slogdet(a):
    """Return ``(sign, logabsdet)`` of each square matrix; d log|det A| = Re tr(A⁻¹ dA).

    For real ``a`` the sign is locally constant (zero derivative).

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.grad(lambda a: wnp.linalg.slogdet(a)[1])(np.array([[2.0, 1.0], [0.0, 4.0]]))
    array([[ 0.5  ,  0.   ],
           [-0.125,  0.25 ]])
    """
    if not _traced(a):
        return np.linalg.slogdet(a)
    a = _as_float(a)
    _require_matrix("slogdet", a)
    packed = D.slogdet_p(a)
    sign, logabs = packed[..., 0], packed[..., 1]
    if np.dtype(a.dtype).kind == "c":
        logabs = _wnp.real(logabs)
    return SlogdetResult(sign, logabs)


# --- cholesky, eigh, svd, qr ----------------------------------------------------------------------


def cholesky(a, /, *, upper=False):
    """Return the Cholesky factor L (``a = L Lᴴ``), or U = Lᴴ with ``upper=True``.

    Only the lower (``upper=True``: upper) triangle of ``a`` is read, as in NumPy, so the
    derivative with respect to the other triangle is zero:
    dL = L Φ(L⁻¹ dS L⁻ᴴ), Φ = lower triangle with the diagonal halved, dS the symmetric
    tangent read from that triangle.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.grad(lambda a: wnp.linalg.cholesky(a)[0, 0])(np.array([[4.0, 1.0], [1.0, 2.0]]))
    array([[0.25, 0.  ],
           [0.  , 0.  ]])
    """
    if not _traced(a):
        return np.linalg.cholesky(a, upper=upper)
    a = _as_float(a)
    _require_matrix("cholesky", a)
    return D.cholesky_p(a, upper=bool(upper))


def _uplo(name, UPLO):
    uplo = str(UPLO).upper()
    if uplo not in ("L", "U"):
        raise WengertValueError(f"{name}: UPLO must be 'L' or 'U', but got {UPLO!r}.")
    return uplo


def eigh(a, UPLO="L"):
    """Return the eigenvalues (ascending) and eigenvectors of each Hermitian matrix.

    Only the ``UPLO`` triangle is read. dλᵢ = vᵢᴴ dA vᵢ; dV = V (F ∘ Vᴴ dA V) with
    F_ij = 1/(λⱼ − λᵢ). Pairs of equal eigenvalues (|λⱼ − λᵢ| <= n·eps·max|λ|) are masked to 0:
    there individual eigenvectors have no derivative, but the derivatives of basis-independent
    quantities (functions of the eigenvalues, projectors onto whole eigenspaces) are finite and
    correct. Eigenvectors are determined up to sign (a phase, for complex input): differentiate
    only quantities that do not depend on it.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> a = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> np.round(wg.grad(lambda a: wnp.linalg.eigh(a)[0][1])(a), 6)
    array([[0.5, 0. ],
           [1. , 0.5]])
    """
    if not _traced(a):
        return np.linalg.eigh(a, UPLO=UPLO)
    a = _as_float(a)
    _require_matrix("eigh", a)
    n = a.shape[-1]
    w, v = D._unpack(D.eigh_p(a, uplo=_uplo("eigh", UPLO)), [(n,), (n, n)])
    if np.dtype(a.dtype).kind == "c":
        w = _wnp.real(w)
    return EighResult(w, v)


def eigvalsh(a, UPLO="L"):
    """Return the eigenvalues (ascending) of each Hermitian matrix; dλᵢ = vᵢᴴ dA vᵢ.

    Only the ``UPLO`` triangle is read. Sums over a group of equal eigenvalues are
    differentiable even where they repeat; a single one of them is only directionally so.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.grad(lambda a: wnp.linalg.eigvalsh(a).sum())(np.eye(2))
    array([[1., 0.],
           [0., 1.]])
    """
    if not _traced(a):
        return np.linalg.eigvalsh(a, UPLO=UPLO)
    return eigh(a, UPLO).eigenvalues


def eig(a):
    """Return the eigenvalues and right eigenvectors of each general square matrix.

    As ``numpy.linalg.eig``: ``a @ v[..., :, i] = w[..., i] * v[..., :, i]``, each eigenvector
    of unit 2-norm with its largest entry real. On plain input the result is NumPy's own (real
    arrays when the input and its whole spectrum are real); on traced input it is always
    complex, since a dtype that depends on the values cannot be recorded.

    With A = V diag(w) V⁻¹ and M = V⁻¹ dA V: dwᵢ = Mᵢᵢ (= uᵢᵀ dA vᵢ / uᵢᵀ vᵢ with left
    eigenvectors uᵢ), dV = dU + V diag(c) with dU = V (F ∘ M), F_ij = 1/(wⱼ − wᵢ), and c
    keeping the normalisation: cᵢ = −Re(vᵢᴴ dUᵢ) − i Im(dU_kᵢ,ᵢ)/V_kᵢ,ᵢ at the real largest
    entry kᵢ of vᵢ.
    This is the derivative of NumPy's output wherever LAPACK keeps each vector's sign (and
    its largest entry) locally fixed; the sign can jump between nearby matrices, so
    differentiate quantities that do not depend on it: |vᵢ|², projectors vᵢvᵢᴴ or
    vᵢ (V⁻¹)ᵢ, functions of the eigenvalues. It needs a diagonalisable ``a``. Pairs of
    eigenvalues equal to rounding (|wⱼ − wᵢ| <= n·eps·‖A‖_F·(κᵢ + κⱼ), κ the eigenvalue
    condition numbers) are masked to 0: the sum of a repeated group keeps every derivative,
    its product its first; its single eigenvalues and eigenvectors have none.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> a = np.array([[2.0, 1.0], [0.0, 3.0]])
    >>> wg.grad(lambda a: wnp.real(wnp.linalg.eig(a)[0][1]))(a)
    array([[0., 0.],
           [1., 1.]])
    """
    if not _traced(a):
        return np.linalg.eig(a)
    a = _as_float(a)
    _require_matrix("eig", a)
    n = a.shape[-1]
    w, v = D._unpack(D.eig_p(a), [(n,), (n, n)])
    return EigResult(w, v)


def eigvals(a):
    """Return the eigenvalues of each general square matrix; dwᵢ = uᵢᵀ dA vᵢ / uᵢᵀ vᵢ.

    uᵢ and vᵢ are left and right eigenvectors. On traced input the result is always complex
    (see ``eig``). At a repeated eigenvalue the sum of its group keeps every derivative and
    its product the first; a single eigenvalue of the group has none.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.grad(lambda a: wnp.real(wnp.linalg.eigvals(a).sum()))(np.eye(2))
    array([[1., 0.],
           [0., 1.]])
    """
    if not _traced(a):
        return np.linalg.eigvals(a)
    return eig(a).eigenvalues


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Return ``U, S, Vh`` with ``a = U @ (S[..., None] * Vh)``, or ``S`` alone.

    ``hermitian=True`` is accepted and computed as a general SVD (same singular values; the
    singular vectors may differ from NumPy's by signs). Derivatives: dsᵢ = Re uᵢᴴ dA vᵢ, the
    singular vectors with F_ij = 1/(sⱼ² − sᵢ²) masked on repeated singular values (as ``eigh``):
    sums of singular values (the nuclear norm) and projectors onto whole singular subspaces
    stay finite where singular values repeat. Singular vectors of a rectangular matrix need
    nonzero singular values (the 1/s terms are taken as 0 at s = 0). With
    ``full_matrices=True`` and m != n, the extra columns are a basis of the complement, which
    is not unique: its derivative is the least-rotation one, meaningful only for quantities
    that do not depend on the basis.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> a = np.array([[3.0, 0.0], [0.0, -2.0]])
    >>> wg.grad(lambda a: wnp.linalg.svd(a, compute_uv=False).sum())(a)
    array([[ 1.,  0.],
           [ 0., -1.]])
    """
    if not _traced(a):
        return np.linalg.svd(a, full_matrices, compute_uv, hermitian)
    a = _as_float(a)
    _require_matrix("svd", a, square=False)
    m, n = a.shape[-2:]
    full = bool(full_matrices) and bool(compute_uv)
    u, s, vh = D._unpack(D.svd_p(a, full_matrices=full), D.svd_shapes(m, n, full))
    if np.dtype(a.dtype).kind == "c":
        s = _wnp.real(s)
    return SVDResult(u, s, vh) if compute_uv else s


def qr(a, mode="reduced"):
    """Return ``Q, R`` with ``a = Q @ R`` (``mode="r"``: ``R`` alone).

    Modes ``"reduced"``, ``"complete"`` and ``"r"``; ``"raw"`` (Householder reflectors) is not
    supported on traced arrays. Derivatives need the leading min(m, n) columns of ``a`` to be
    linearly independent. For ``"complete"`` with m > n the last m − n columns of Q are a basis
    of a complement (not unique): their derivative is the least-rotation one.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.grad(lambda a: wnp.linalg.qr(a, mode="r")[0, 0])(np.array([[3.0], [4.0]]))
    array([[-0.6],
           [-0.8]])
    """
    if not _traced(a):
        return np.linalg.qr(a, mode)
    if mode not in ("reduced", "complete", "r"):
        raise UnsupportedError(
            f"qr: mode must be 'reduced', 'complete' or 'r' for traced arrays, but got "
            f"{mode!r}. Use one of those ('raw' returns Householder reflectors, which are not "
            "differentiable here)."
        )
    a = _as_float(a)
    _require_matrix("qr", a, square=False)
    m, n = a.shape[-2:]
    prim_mode = "complete" if mode == "complete" else "reduced"
    q, r = D._unpack(D.qr_p(a, mode=prim_mode), D.qr_shapes(m, n, prim_mode))
    return r if mode == "r" else QRResult(q, r)


# --- pinv, lstsq ----------------------------------------------------------------------------------


def _pinv_rtol(a, rcond, rtol):
    if rcond is None:
        if rtol is np._NoValue:
            return 1e-15
        if rtol is None:
            return float(max(a.shape[-2:]) * np.finfo(np.dtype(a.dtype)).eps)
        return float(rtol)
    if rtol is not np._NoValue:
        raise WengertValueError("pinv: rtol and rcond cannot both be set; pass only rtol.")
    return float(rcond)


def pinv(a, rcond=None, hermitian=False, *, rtol=np._NoValue):
    """Return the Moore–Penrose pseudo-inverse A⁺ of each matrix.

    Singular values at or below ``rtol · max(s)`` count as zero, with NumPy's defaults. The
    derivative (Golub–Pereyra) holds where the numerical rank is locally constant:
    dA⁺ = −A⁺ dA A⁺ + A⁺A⁺ᴴ dAᴴ (I − AA⁺) + (I − A⁺A) dAᴴ A⁺ᴴA⁺. ``hermitian`` only selects
    NumPy's algorithm for plain arrays.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.grad(lambda a: wnp.linalg.pinv(a).sum())(np.array([[2.0, 0.0]]))
    array([[-0.25,  0.25]])
    """
    if not _traced(a):
        if rtol is np._NoValue:
            return np.linalg.pinv(a, rcond, hermitian)
        return np.linalg.pinv(a, rcond, hermitian, rtol=rtol)
    if rcond is not None and not isinstance(rcond, numbers.Real):
        raise WengertValueError(
            f"pinv: rcond must be a Python or NumPy float for traced arrays, but got "
            f"{type(rcond).__name__}. Pass one cutoff for every matrix."
        )
    a = _as_float(a)
    _require_matrix("pinv", a, square=False)
    return D.pinv_p(a, rtol=_pinv_rtol(a, rcond, rtol))


def lstsq(a, b, rcond=None):
    """Return ``(x, residuals, rank, s)`` of the least-squares problem min ‖b − a x‖, as NumPy.

    ``x = pinv(a, rcond) @ b`` is the minimum-norm solution, differentiable in ``a`` and ``b``
    for full-rank and rank-deficient ``a`` (where the rank is locally constant). ``residuals``
    (squared norms of b − a x per column; empty unless rank = n < m) and ``s`` (singular values
    of ``a``) are differentiable too; ``rank`` is a constant. ``rcond=None`` means
    ``eps · max(m, n)``.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> a = np.array([[1.0], [1.0]])
    >>> wg.grad(lambda b: wnp.linalg.lstsq(a, b)[0].sum())(np.array([1.0, 3.0]))
    array([0.5, 0.5])
    """
    if not _traced(a, b):
        return np.linalg.lstsq(a, b, rcond)
    a, b = _promote(a, b)
    if a.ndim != 2 or b.ndim not in (1, 2):
        raise LinAlgError(
            f"lstsq: expected a 2-D a and a 1-D or 2-D b (as numpy.linalg.lstsq), but got "
            f"shapes {tuple(a.shape)} and {tuple(b.shape)}. Use vmap for a stack of problems."
        )
    m, n = a.shape
    if b.shape[0] != m:
        raise LinAlgError(
            f"lstsq: b must have {m} rows to match a of shape {(m, n)}, but got shape "
            f"{tuple(b.shape)}."
        )
    rcond = float(np.finfo(np.dtype(a.dtype)).eps * max(m, n)) if rcond is None else rcond
    x = _wnp.matmul(D.pinv_p(a, rtol=float(rcond)), b)
    s = svd(a, compute_uv=False)
    rank = map_examples(lambda v: np.linalg.matrix_rank(v, rtol=rcond), a)
    full = not anywhere(rank != n)
    if not full and anywhere(rank == n):
        raise WengertValueError(
            "lstsq: under vmap some problems have full rank and others not, so the "
            "residuals would differ in shape; compute b - a @ x yourself."
        )
    if full and m > n:
        r = b - _wnp.matmul(a, x)
        residuals = _wnp.sum(_wnp.real(r * _wnp.conj(r)), axis=0)
        if b.ndim == 1:
            residuals = _wnp.reshape(residuals, (1,))
    else:
        residuals = np.empty((0,), dtype=np.finfo(np.dtype(a.dtype)).dtype)
    return x, residuals, rank, s


# --- matrix_power, multi_dot ----------------------------------------------------------------------


def matrix_power(a, n):
    """Raise each square matrix to the integer power ``n`` (``n < 0`` through ``inv``).

    Repeated squaring with ``matmul``, so derivatives come from matmul (and inv).

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.grad(lambda a: wnp.linalg.matrix_power(a, 3)[0, 0])(np.array([[2.0]]))
    array([[12.]])
    """
    if not _traced(a):
        return np.linalg.matrix_power(a, n)
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(
            f"matrix_power: n must be an integer, but got {type(n).__name__}. Pass an int."
        ) from None
    _require_matrix("matrix_power", a)
    if n == 0:
        eye = np.eye(a.shape[-1], dtype=a.dtype)
        return np.broadcast_to(eye, tuple(a.shape)).copy()
    if n < 0:
        a = inv(a)
        n = -n
    result, power = None, a
    while n:
        if n & 1:
            result = power if result is None else _wnp.matmul(result, power)
        n >>= 1
        if n:
            power = _wnp.matmul(power, power)
    return result


def _chain_order(shapes):
    """Cheapest parenthesisation of a matrix chain (NumPy's dynamic programme)."""
    dims = [shapes[0][0]] + [s[1] for s in shapes]
    k = len(shapes)
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            cost[i][j] = None
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s
    return split


def multi_dot(arrays, *, out=None):
    """Return the product of two or more matrices in the cheapest order (as ``numpy``).

    The first array may be 1-D (a row) and the last 1-D (a column). Differentiable through
    ``matmul``.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> a, b = np.ones((2, 3)), np.ones((3, 2))
    >>> wg.grad(lambda v: wnp.linalg.multi_dot([v, a, b]).sum())(np.ones(2))
    array([6., 6.])
    """
    arrays = list(arrays)
    if not _traced(*arrays):
        return np.linalg.multi_dot(arrays, out=out)
    if out is not None:
        raise UnsupportedError("multi_dot: out= is not supported for traced arrays; drop it.")
    if len(arrays) < 2:
        raise WengertValueError("multi_dot: expected at least two arrays, but got fewer.")
    arrays = _promote(*arrays)
    first, last = arrays[0].ndim, arrays[-1].ndim
    if first == 1:
        arrays[0] = _wnp.reshape(arrays[0], (1, arrays[0].shape[0]))
    if last == 1:
        arrays[-1] = _wnp.reshape(arrays[-1], (arrays[-1].shape[0], 1))
    for x in arrays:
        if x.ndim != 2:
            raise LinAlgError(
                f"multi_dot: every array must be 2-D (the first and last may be 1-D), but got "
                f"shape {tuple(x.shape)}."
            )
    split = _chain_order([tuple(x.shape) for x in arrays])

    def product(i, j):
        if i == j:
            return arrays[i]
        s = split[i][j]
        return _wnp.matmul(product(i, s), product(s + 1, j))

    result = product(0, len(arrays) - 1)
    if first == 1 and last == 1:
        return result[0, 0]
    if first == 1 or last == 1:
        return _wnp.reshape(result, (result.size,))
    return result


# --- matrix_rank, cond (not differentiable) ------------------------------------------------------


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """Return the rank of each matrix by counting singular values above the tolerance.

    Not differentiable: a constant, also on traced input (per example under ``vmap``).

    Examples
    --------
    >>> import numpy as np, wengert.numpy as wnp
    >>> int(wnp.linalg.matrix_rank(np.eye(3)))
    3
    """
    return map_examples(lambda v: np.linalg.matrix_rank(v, tol, hermitian, rtol=rtol), A)


def cond(x, p=None):
    """Return the condition number of each matrix in the norm ``p``, as NumPy.

    Not differentiable: a constant, also on traced input (per example under ``vmap``).

    Examples
    --------
    >>> import numpy as np, wengert.numpy as wnp
    >>> float(wnp.linalg.cond(np.diag([1.0, 4.0])))
    4.0
    """
    return map_examples(lambda v: np.linalg.cond(v, p), x)


# --- norm -----------------------------------------------------------------------------------------


def _abs2(x):
    if np.dtype(x.dtype).kind == "c":
        return _wnp.real(x * _wnp.conj(x))
    return x * x


def _safe_root(total, p):
    """``total ** (1/p)`` with derivative 0 where ``total == 0`` (norm at zero: least-norm
    subgradient), at every order."""
    nonzero = total > 0
    root = _wnp.sqrt if p == 2 else (lambda t: _wnp.power(t, 1.0 / p))
    return _wnp.where(nonzero, root(_wnp.where(nonzero, total, 1.0)), 0.0)


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return _safe_root(_wnp.sum(_abs2(x), axis=axis, keepdims=keepdims), 2)
    if isinstance(ord, str):
        raise WengertValueError(
            f"norm: ord {ord!r} is a matrix norm, but a vector norm was requested (one axis). "
            "Use a number, inf or -inf, or pass two axes."
        )
    ax = _wnp.abs(x)
    if ord == np.inf:
        return _wnp.max(ax, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return _wnp.min(ax, axis=axis, keepdims=keepdims)
    if ord == 0:  # a count: no derivative
        nonzero = _wnp.astype(x != 0, np.finfo(np.dtype(ax.dtype)).dtype)
        return _wnp.sum(nonzero, axis=axis, keepdims=keepdims)
    if ord == 1:
        return _wnp.sum(ax, axis=axis, keepdims=keepdims)
    p = float(ord)
    return _safe_root(_wnp.sum(_wnp.power(ax, p), axis=axis, keepdims=keepdims), p)


def _matrix_norm(x, ord, axes, keepdims):
    row, col = axes
    if ord in (None, "fro", "f"):
        return _safe_root(_wnp.sum(_abs2(x), axis=axes, keepdims=keepdims), 2)
    if ord in ("nuc", 2, -2):
        s = svd(_wnp.moveaxis(x, (row, col), (-2, -1)), compute_uv=False)
        if ord == "nuc":
            result = _wnp.sum(s, axis=-1)
        elif ord == 2:
            result = _wnp.max(s, axis=-1)
        else:
            result = _wnp.min(s, axis=-1)
    elif ord in (1, -1, np.inf, -np.inf):
        ax = _wnp.abs(x)
        summed, reduced = (row, col) if ord in (1, -1) else (col, row)
        if reduced > summed:
            reduced -= 1
        reduce = _wnp.max if ord in (1, np.inf) else _wnp.min
        result = reduce(_wnp.sum(ax, axis=summed), axis=reduced)
    else:
        raise WengertValueError(
            f"norm: invalid matrix norm order {ord!r}; expected None, 'fro', 'nuc', 1, -1, 2, "
            "-2, inf or -inf."
        )
    if keepdims:
        shape = list(x.shape)
        shape[row] = shape[col] = 1
        result = _wnp.reshape(result, tuple(shape))
    return result


def norm(x, ord=None, axis=None, keepdims=False):
    """Return a vector or matrix norm, as ``numpy.linalg.norm`` (every ``ord`` and ``axis``).

    At the zero vector (and the zero matrix, for ``None``/``'fro'``) the derivative is 0 at
    every order, the least-norm subgradient, as for ``abs`` at 0. Orders built on max/min
    (``inf``, ``-inf``, matrix ``1``, ``-1``, ``2``, ``-2``) share the derivative evenly among
    tied entries; ``'nuc'`` has the derivative U Vᴴ (finite at repeated singular values).
    ``ord=0`` counts nonzeros (zero derivative).

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.grad(wnp.linalg.norm)(np.array([3.0, 4.0]))
    array([0.6, 0.8])
    >>> wg.grad(wnp.linalg.norm)(np.zeros(2))
    array([0., 0.])
    """
    if not _traced(x):
        return np.linalg.norm(x, ord, axis, keepdims)
    x = _as_float(x)
    nd = x.ndim
    if axis is None:
        if ord is None:
            result = _safe_root(_wnp.sum(_abs2(x)), 2)
            return _wnp.reshape(result, (1,) * nd) if keepdims else result
        if nd == 1:
            axis = (0,)
        elif nd == 2:
            axis = (0, 1)
        else:
            raise WengertValueError(
                f"norm: ord={ord!r} needs a 1-D or 2-D array or an explicit axis, but got "
                f"{nd} dimensions. Pass axis."
            )
    elif not isinstance(axis, tuple):
        axis = (operator.index(axis),)
    if not all(-nd <= operator.index(a) < nd for a in axis):
        raise WengertValueError(
            f"norm: axis {axis} is out of range for an array of {nd} dimensions."
        )
    axis = tuple(operator.index(a) % nd for a in axis)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis, keepdims)
    if len(axis) == 2:
        if axis[0] == axis[1]:
            raise WengertValueError("norm: the two axes must differ.")
        return _matrix_norm(x, ord, axis, keepdims)
    raise WengertValueError(f"norm: axis must be an int or a pair of ints, but got {axis}.")
