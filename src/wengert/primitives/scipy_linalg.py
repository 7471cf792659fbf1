"""SciPy's matrix functions, structured solves and convolution: primitives of ``wengert.scipy``.

``solve_triangular``, ``cho_factor`` (the Cholesky factor of the lower triangle), ``expm``,
``sqrtm``, ``solve_sylvester`` and ``solve_banded``, each over leading batch dimensions (SciPy
1.11+ batches them all; the batching rule is the primitive itself on materialised operands).
Every rule is written with these primitives, ``matmul`` and ``wnp``, so it differentiates
again:

* ``solve_triangular(a, b)`` solves ``op(T) x = b`` with ``T`` the triangle of ``a`` that SciPy
  reads (strict triangle when ``unit_diagonal``) and ``op`` the identity, the transpose or the
  conjugate transpose; its JVP is the same solve of ``b_dot - op(T_dot) x`` and its VJP the
  transposed solve;
* ``cho_factor(a)`` is the lower Cholesky factor ``L`` of the Hermitian (real: symmetric)
  matrix ``S`` read from the lower triangle of ``a`` (what LAPACK reads, the real part of the
  diagonal); ``L_dot = L Φ(L⁻¹ S_dot L⁻ᴴ)``, Φ taking the strict lower triangle and half the
  (real) diagonal, the same rule as ``wnp.linalg.cholesky``'s with triangular solves;
* ``expm``: the Fréchet derivative ``L(A, E)`` is the top-right block of
  ``expm([[A, E], [0, A]])``; the VJP is ``L(Aᵀ, G)`` (valid for non-normal ``A``);
* ``sqrtm``: ``S dS + dS S = dA``, a Sylvester equation; the VJP solves the transposed one;
* ``solve_sylvester(a, b, q)``: ``A X + X B = Q``, differentiated by further Sylvester solves;
* ``solve_banded(ab, b)``: the band stored as in LAPACK (``ab[u + i - j, j] = A[i, j]``); the
  JVP multiplies by the dense band, the VJP solves with the transposed band;
* ``convolve(x, y)`` (``scipy.signal``, full mode, n-dimensional) is bilinear: its JVPs are
  convolutions with the other operand, its VJPs correlations (convolutions with the flipped
  operand, cropped); the other modes crop its output in ``wengert.scipy.signal``.

The VJPs are transposes for the bilinear pairing ⟨a, b⟩ = Re Σ a·b (design.md §5c), so they use
plain transposes, never conjugates, except where the primitive itself conjugates (``trans=2``).
This module is imported only by ``wengert.scipy``; ``import wengert`` never loads SciPy.
Imports: core errors, registry, linalg (matmul), batching helpers, decompositions (the
Hermitian-part helpers shared with ``cholesky``), NumPy, and ``scipy.linalg``
and ``scipy.signal`` (in ``impl`` only).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.signal

from ..core.errors import WengertValueError
from .batching import materialize
from .decompositions import _cast, _hermitian_part, _hermitian_part_transpose, _real
from .linalg import matmul_p
from .registry import define, wnp


def _mT(x):
    return wnp.swapaxes(x, -1, -2)


def _H(x):
    return wnp.conj(wnp.swapaxes(x, -1, -2))


def _same_shape(x, *rest, **params):
    return tuple(x.shape), np.result_type(x.dtype, *[r.dtype for r in rest])


def _batched_self(prim):
    """Batching rule: every operand gets the leading batch axis; the impls batch natively."""

    def rule(size, args, batched, **params):
        return prim(*[materialize(size, a, b) for a, b in zip(args, batched)], **params)

    return rule


# --- solve_triangular -----------------------------------------------------------------------


def _tri_mask(n: int, lower: bool, unit_diagonal: bool, dtype) -> np.ndarray:
    """The constant 0/1 mask of the entries SciPy reads: a triangle, strict if unit diagonal."""
    k = -1 if unit_diagonal else 0
    mask = np.tri(n, n, k) if lower else np.tri(n, n, k).T
    return mask.astype(dtype)


def _op(m, trans: int):
    if trans == 0:
        return m
    return _mT(m) if trans == 1 else wnp.conj(_mT(m))


def _solve_triangular_impl(a, b, *, lower, trans, unit_diagonal):
    return scipy.linalg.solve_triangular(
        a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal, check_finite=False
    )


def _solve_triangular_jvp_a(a_dot, x, a, b, *, lower, trans, unit_diagonal):
    t_dot = a_dot * _tri_mask(a.shape[-1], lower, unit_diagonal, a_dot.dtype)
    rhs = -matmul_p(_op(t_dot, trans), x)
    return solve_triangular_p(a, rhs, lower=lower, trans=trans, unit_diagonal=unit_diagonal)


def _solve_triangular_jvp_b(b_dot, x, a, b, *, lower, trans, unit_diagonal):
    return solve_triangular_p(a, b_dot, lower=lower, trans=trans, unit_diagonal=unit_diagonal)


def _solve_triangular_b_bar(g, a, *, lower, trans, unit_diagonal):
    """``op(T)⁻ᵀ g``: the cotangent of ``b`` (and the left factor of ``a``'s)."""
    if trans == 2:  # op(T)ᵀ = conj(T)
        return solve_triangular_p(wnp.conj(a), g, lower=lower, trans=0,
                                  unit_diagonal=unit_diagonal)
    return solve_triangular_p(a, g, lower=lower, trans=1 - trans, unit_diagonal=unit_diagonal)


def _solve_triangular_vjp_a(g, x, a, b, *, lower, trans, unit_diagonal):
    b_bar = _solve_triangular_b_bar(g, a, lower=lower, trans=trans, unit_diagonal=unit_diagonal)
    if trans == 0:
        a_bar = -matmul_p(b_bar, _mT(x))
    else:  # op(dT) = dTᵀ (or its conjugate, whose transpose for Re Σ a·b conjugates)
        a_bar = -matmul_p(x, _mT(b_bar))
        if trans == 2:
            a_bar = wnp.conj(a_bar)
    return a_bar * _tri_mask(a.shape[-1], lower, unit_diagonal, a_bar.dtype)


def _solve_triangular_vjp_b(g, x, a, b, *, lower, trans, unit_diagonal):
    return _solve_triangular_b_bar(g, a, lower=lower, trans=trans, unit_diagonal=unit_diagonal)


solve_triangular_p = define(
    "solve_triangular",
    _solve_triangular_impl,
    shape=lambda a, b, **p: (tuple(b.shape), np.result_type(a.dtype, b.dtype, np.float32)),
    jvp=(_solve_triangular_jvp_a, _solve_triangular_jvp_b),
    vjp=(_solve_triangular_vjp_a, _solve_triangular_vjp_b),
)
solve_triangular_p.batch = _batched_self(solve_triangular_p)


# --- cho_factor (lower Cholesky factor of the lower triangle) -------------------------------


def _cho_factor_impl(a):
    # The Hermitian (real: symmetric) matrix LAPACK reads from the lower triangle; it ignores
    # the imaginary part of the diagonal.
    strict = np.tril(a, -1)
    diag = np.diagonal(a, 0, -2, -1).real
    herm = strict + np.conj(np.swapaxes(strict, -1, -2)) + diag[..., None] * np.eye(a.shape[-1])
    return np.linalg.cholesky(herm.astype(a.dtype, copy=False))


def _phi(x):
    """Φ: the strict lower triangle of ``x`` plus half the real part of its diagonal.

    The diagonal of ``L⁻¹ Ṡ L⁻ᴴ`` is real for a Hermitian ``Ṡ``; keeping only its real part
    drops rounding noise. Φ is its own transpose for the bilinear pairing.
    """
    n = x.shape[-1]
    strict = x * _lower_mask(n, x.dtype, -1)
    diag = _real(wnp.diagonal(x, 0, -2, -1))
    return strict + _cast(wnp.expand_dims(0.5 * diag, -1) * np.eye(n, dtype=diag.dtype), x.dtype)


def _lower_mask(n, dtype, k=0):
    return np.tri(n, n, k).astype(dtype)


def _cho_factor_jvp(a_dot, c, a):
    # LAPACK reads only the lower triangle: the Hermitian matrix it sees moves by Ṡ.
    s_dot = _hermitian_part(a_dot, "L")
    y = solve_triangular_p(c, s_dot, lower=True, trans=0, unit_diagonal=False)  # L⁻¹ Ṡ
    m = _H(solve_triangular_p(c, _H(y), lower=True, trans=0, unit_diagonal=False))  # y L⁻ᴴ
    return matmul_p(c, _phi(m))


def _cho_factor_vjp(c_bar, c, a):
    # The transpose of the JVP's chain for Re Σ a·b: S̄ = L⁻ᵀ Φ(Lᵀ L̄) conj(L)⁻¹, onto the
    # lower triangle read.
    p = _phi(matmul_p(_mT(c), c_bar))
    z = solve_triangular_p(c, p, lower=True, trans=1, unit_diagonal=False)  # L⁻ᵀ P
    # z conj(L)⁻¹ = (Lᴴ⁻¹ zᵀ)ᵀ, and Lᴴ is trans=2 (trans=1 on real input, the same thing).
    trans = 2 if np.dtype(c.dtype).kind == "c" else 1
    s_bar = _mT(solve_triangular_p(c, _mT(z), lower=True, trans=trans, unit_diagonal=False))
    return _hermitian_part_transpose(s_bar, "L")


cho_factor_p = define(
    "cho_factor",
    _cho_factor_impl,
    shape=lambda a: (tuple(a.shape), np.result_type(a.dtype, np.float32)),
    jvp=(_cho_factor_jvp,),
    vjp=(_cho_factor_vjp,),
)
cho_factor_p.batch = _batched_self(cho_factor_p)


# --- expm -----------------------------------------------------------------------------------


def _expm_frechet(a, e):
    """``L(A, E)``: the top-right block of ``expm([[A, E], [0, A]])`` (Higham, ch. 3)."""
    n = a.shape[-1]
    top = wnp.concatenate([a, e], axis=-1)
    bottom = wnp.concatenate([wnp.zeros_like(a), a], axis=-1)
    return expm_p(wnp.concatenate([top, bottom], axis=-2))[..., :n, n:]


expm_p = define(
    "expm",
    lambda a: scipy.linalg.expm(a),
    shape=lambda a: (tuple(a.shape), np.result_type(a.dtype, np.float32)),
    # ⟨G, L(A, E)⟩ = ⟨L(Aᵀ, G), E⟩: the Fréchet derivative's transpose is at Aᵀ.
    jvp=(lambda a_dot, out, a: _expm_frechet(a, a_dot),),
    vjp=(lambda g, out, a: _expm_frechet(_mT(a), g),),
)
expm_p.batch = _batched_self(expm_p)


# --- solve_sylvester ------------------------------------------------------------------------


def _sylvester_shape(a, b, q):
    return tuple(q.shape), np.result_type(a.dtype, b.dtype, q.dtype, np.float32)


def _q_bar(g, a, b):
    # The adjoint of X ↦ A X + X B is Y ↦ Aᵀ Y + Y Bᵀ.
    return solve_sylvester_p(_mT(a), _mT(b), g)


solve_sylvester_p = define(
    "solve_sylvester",
    lambda a, b, q: scipy.linalg.solve_sylvester(a, b, q),
    shape=_sylvester_shape,
    jvp=(
        lambda a_dot, x, a, b, q: solve_sylvester_p(a, b, -matmul_p(a_dot, x)),
        lambda b_dot, x, a, b, q: solve_sylvester_p(a, b, -matmul_p(x, b_dot)),
        lambda q_dot, x, a, b, q: solve_sylvester_p(a, b, q_dot),
    ),
    vjp=(
        lambda g, x, a, b, q: -matmul_p(_q_bar(g, a, b), _mT(x)),
        lambda g, x, a, b, q: -matmul_p(_mT(x), _q_bar(g, a, b)),
        lambda g, x, a, b, q: _q_bar(g, a, b),
    ),
)
solve_sylvester_p.batch = _batched_self(solve_sylvester_p)


# --- sqrtm ----------------------------------------------------------------------------------


def _sqrtm_impl(a):
    out = scipy.linalg.sqrtm(a)
    if np.iscomplexobj(out) and not np.iscomplexobj(a):
        # A tangent keeps its primal's dtype, so a real input needs a real root.
        scale = np.max(np.abs(out), initial=0.0)
        if np.max(np.abs(out.imag), initial=0.0) > np.sqrt(np.finfo(a.dtype).eps) * scale:
            raise WengertValueError(
                "wengert.scipy.linalg.sqrtm: expected a real matrix with a real principal "
                "square root (no eigenvalues on the negative real axis), but its root is "
                "complex. Pass the matrix as complex (a.astype(complex)) to differentiate it."
            )
        out = out.real.astype(a.dtype)
    return out


sqrtm_p = define(
    "sqrtm",
    _sqrtm_impl,
    shape=lambda a: (tuple(a.shape), np.result_type(a.dtype, np.float32)),
    # S dS + dS S = dA, and the transpose solves Sᵀ Ā + Ā Sᵀ = G.
    jvp=(lambda a_dot, s, a: solve_sylvester_p(s, s, a_dot),),
    vjp=(lambda g, s, a: solve_sylvester_p(_mT(s), _mT(s), g),),
)
sqrtm_p.batch = _batched_self(sqrtm_p)


# --- solve_banded ---------------------------------------------------------------------------


def _gather(x, rows, cols, mask):
    """``x[..., rows, cols] * mask``: a differentiable gather with constant indices."""
    return x[..., rows, cols] * mask.astype(x.dtype)


def _band_to_dense(ab, lower, upper):
    """The dense matrix ``A[i, j] = ab[u + i - j, j]`` (zero outside the band)."""
    n = ab.shape[-1]
    i, j = np.indices((n, n))
    k = upper + i - j
    mask = (k >= 0) & (k <= lower + upper)
    return _gather(ab, np.clip(k, 0, lower + upper), j, mask)


def _dense_to_band(m, lower, upper):
    """The band storage of ``m``: ``ab[k, j] = m[k - u + j, j]``, zero where out of range."""
    n = m.shape[-1]
    k, j = np.indices((lower + upper + 1, n))
    i = k - upper + j
    mask = (i >= 0) & (i < n)
    return _gather(m, np.clip(i, 0, n - 1), j, mask)


def _band_transpose(ab, lower, upper):
    """Band storage of Aᵀ (``upper`` and ``lower`` swap): ``abT[k, j] = ab[l+u-k, j+k-l]``."""
    n = ab.shape[-1]
    k, j = np.indices((lower + upper + 1, n))
    cols = j + k - lower
    mask = (cols >= 0) & (cols < n)
    return _gather(ab, lower + upper - k, np.clip(cols, 0, n - 1), mask)


def _solve_banded_impl(ab, b, *, lower, upper):
    return scipy.linalg.solve_banded((lower, upper), ab, b, check_finite=False)


def _solve_banded_b_bar(g, ab, lower, upper):
    return solve_banded_p(_band_transpose(ab, lower, upper), g, lower=upper, upper=lower)


solve_banded_p = define(
    "solve_banded",
    _solve_banded_impl,
    shape=lambda ab, b, **p: (tuple(b.shape), np.result_type(ab.dtype, b.dtype, np.float32)),
    jvp=(
        lambda ab_dot, x, ab, b, *, lower, upper: solve_banded_p(
            ab, -matmul_p(_band_to_dense(ab_dot, lower, upper), x), lower=lower, upper=upper
        ),
        lambda b_dot, x, ab, b, *, lower, upper: solve_banded_p(
            ab, b_dot, lower=lower, upper=upper
        ),
    ),
    vjp=(
        lambda g, x, ab, b, *, lower, upper: _dense_to_band(
            -matmul_p(_solve_banded_b_bar(g, ab, lower, upper), _mT(x)), lower, upper
        ),
        lambda g, x, ab, b, *, lower, upper: _solve_banded_b_bar(g, ab, lower, upper),
    ),
)
solve_banded_p.batch = _batched_self(solve_banded_p)


# --- convolve (scipy.signal; full mode, n-dimensional) --------------------------------------


def _convolve_impl(x, y, *, method):
    return scipy.signal.convolve(x, y, mode="full", method=method)


def _correlate_back(g, other, own_shape, method):
    """The transpose of ``x ↦ convolve(x, other)``: a valid correlation of ``g`` with
    ``other``, i.e. ``convolve(g, flip(other))`` cropped to ``x``'s shape (no conjugate, as the
    pairing is bilinear)."""
    full = convolve_p(g, wnp.flip(other), method=method)
    index = tuple(slice(m - 1, m - 1 + n) for m, n in zip(other.shape, own_shape))
    return full[index]


def _convolve_batch(size, args, batched, *, method):
    x, y = args
    if batched[0] and batched[1]:  # per-example kernels: one convolution per example
        return wnp.stack([convolve_p(x[k], y[k], method=method) for k in range(size)])
    # An unbatched operand gets a length-1 batch axis: the full convolution along that axis
    # has length size + 1 - 1 and leaves every example's result in its place.
    x, y = (x, wnp.expand_dims(y, 0)) if batched[0] else (wnp.expand_dims(x, 0), y)
    return convolve_p(x, y, method=method)


convolve_p = define(
    "convolve",
    _convolve_impl,
    shape=lambda x, y, **p: (
        tuple(m + n - 1 for m, n in zip(x.shape, y.shape)),
        np.result_type(x.dtype, y.dtype),
    ),
    batch=_convolve_batch,
    # Bilinear: each JVP convolves the tangent with the other operand.
    jvp=(
        lambda x_dot, out, x, y, *, method: convolve_p(x_dot, y, method=method),
        lambda y_dot, out, x, y, *, method: convolve_p(x, y_dot, method=method),
    ),
    vjp=(
        lambda g, out, x, y, *, method: _correlate_back(g, y, x.shape, method),
        lambda g, out, x, y, *, method: _correlate_back(g, x, y.shape, method),
    ),
)
