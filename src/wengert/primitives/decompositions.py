"""Matrix functions and decompositions: solve, inv, det, slogdet, cholesky, eigh, eig, svd, qr,
pinv.

Every primitive works on stacks of matrices (leading batch axes; NumPy's linear algebra already
does), so each batching rule is the primitive itself on operands given a common batch axis.
A decomposition is *one* primitive whose output packs its results (design §5c): each result is
flattened per matrix and the pieces are concatenated along the last axis; ``wengert.numpy.linalg``
slices them back out. The JVP returns the packed tangent and the VJP unpacks the packed
cotangent. When a cotangent piece is a concrete all-zero array (only the eigenvalues were used,
say), the terms it would feed are skipped: the result is the same, and a degenerate spectrum
then never meets ``1/(λⱼ − λᵢ)`` at all.

Complex inputs follow the bilinear pairing ⟨a, b⟩ = Re Σ a·b (design §5c). The rules of
holomorphic maps (solve, inv, det, pinv's first term) are the real rules with plain transposes.
For the others (eigh, svd, qr, cholesky, slogdet's sign) the VJP is written in the familiar
Hermitian form and converted: bilinear cotangent = conj(Hermitian cotangent of conj(out_bar)).
On real inputs every ``conj`` is the identity.

Degenerate spectra. Eigenvector and singular-vector rules use F_ij = 1/(λⱼ − λᵢ) (for the SVD,
1/(sⱼ² − sᵢ²)); pairs with |λⱼ − λᵢ| <= n·eps·max|λ| are *masked to 0* instead of dividing by
(nearly) zero. Within a degenerate eigenspace the vectors are not unique, so their derivative is
not defined; the masked rule is the derivative of basis-independent quantities (sums of
eigenvalues or singular values, projectors onto whole eigenspaces, |det|), which stay finite and
correct, and of nothing else there.

General eigenproblems (``eig``) use F_ij = 1/(wⱼ − wᵢ) with complex w, masked with a tolerance
scaled by the eigenvalues' condition numbers (``_eig_inverse_gaps``), and need a diagonalisable
A (V invertible). At a repeated eigenvalue the masked rule gives the first derivatives of
symmetric functions of the group (its sum, its product) and every derivative of its sum; the
second derivative of, say, the product would need the finite limits of the masked terms.
Eigenvector tangents keep NumPy's normalisation (unit norm, real largest entry), but LAPACK's
sign for a vector can jump between nearby matrices, so only quantities that do not depend on
it (|vᵢ|², projectors, eigenvalues) are smooth functions of A.

Imports: core, registry, batching helpers, the product primitive (``linalg``), NumPy (in
``impl``, shape rules and constant masks only).
"""

from __future__ import annotations

import numpy as np

from .batching import materialize
from .registry import define, wnp

# --- helpers ----------------------------------------------------------------------------------


def _mT(x):
    return wnp.swapaxes(x, -1, -2)


def _H(x):
    return wnp.conj(wnp.swapaxes(x, -1, -2))


def _is_complex(x) -> bool:
    return np.dtype(x.dtype).kind == "c"


def _is_zero(x) -> bool:
    """A concrete all-zero cotangent piece (a shortcut only: the full rule gives the same)."""
    return isinstance(x, np.ndarray) and not x.any()


def _diag(v):
    """``(..., n) -> (..., n, n)`` with ``v`` on the diagonal."""
    n = v.shape[-1]
    return wnp.expand_dims(v, -1) * np.eye(n, dtype=np.dtype(v.dtype))


def _diagonal(x):
    return wnp.diagonal(x, 0, -2, -1)


def _trace(x):
    return wnp.sum(_diagonal(x), axis=-1)


def _cast(x, dtype):
    return x if np.dtype(x.dtype) == np.dtype(dtype) else wnp.astype(x, dtype)


def _real(x):
    return wnp.real(x) if _is_complex(x) else x


def _safe_inverse(s):
    """``1/s`` where ``s != 0``, and 0 where ``s == 0`` (rank-deficient directions)."""
    nonzero = s != 0
    return wnp.where(nonzero, 1.0 / wnp.where(nonzero, s, 1.0), 0.0)


def _inverse_gaps(w):
    """F_ij = 1/(w_j − w_i), masked to 0 on the diagonal and on degenerate pairs.

    A pair is degenerate when |w_j − w_i| <= n·eps·max|w| (the mask is a constant).
    """
    n = w.shape[-1]
    eps = np.finfo(np.dtype(w.dtype)).eps
    d = wnp.expand_dims(w, -2) - wnp.expand_dims(w, -1)
    w0 = wnp.stop_gradient(w)
    tol = n * eps * wnp.max(wnp.abs(w0), axis=-1, keepdims=True)
    keep = wnp.abs(wnp.stop_gradient(d)) > wnp.expand_dims(tol, -1)
    return wnp.where(keep, 1.0 / wnp.where(keep, d, 1.0), 0.0)


def _hermitian_part(x, uplo):
    """The Hermitian matrix LAPACK sees when it reads only the ``uplo`` triangle of ``x``.

    Strict triangle plus its conjugate transpose, and the real part of the diagonal.
    """
    strict = wnp.tril(x, -1) if uplo == "L" else wnp.triu(x, 1)
    return strict + _H(strict) + _diag(_real(_diagonal(x)))


def _hermitian_part_transpose(x, uplo):
    """The transpose of ``_hermitian_part`` for the bilinear pairing: its VJP."""
    if uplo == "L":
        strict = wnp.tril(x, -1) + wnp.tril(_H(x), -1)
    else:
        strict = wnp.triu(x, 1) + wnp.triu(_H(x), 1)
    d = _diag(_real(_diagonal(x)))
    return strict + _cast(d, x.dtype)


def _pack(*parts):
    """Flatten the last ``core`` axes of each ``(part, core)`` and concatenate them."""
    flat = []
    for part, core in parts:
        batch = tuple(part.shape[: part.ndim - core])
        flat.append(wnp.reshape(part, batch + (int(np.prod(part.shape[part.ndim - core :])),)))
    dtype = np.result_type(*[np.dtype(f.dtype) for f in flat])
    return wnp.concatenate([_cast(f, dtype) for f in flat], axis=-1)


def _unpack(packed, shapes):
    """Slice a packed array into pieces of the given core shapes (as ``wnp`` views)."""
    batch = tuple(packed.shape[:-1])
    out, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(wnp.reshape(packed[..., start : start + size], batch + tuple(shape)))
        start += size
    return out


def _pack_np(*parts):
    """The NumPy version of ``_pack`` for ``impl``: ``(array, core)`` pairs."""
    flat = [p.reshape(p.shape[: p.ndim - c] + (-1,)) for p, c in parts]
    dtype = np.result_type(*flat)
    return np.concatenate([f.astype(dtype, copy=False) for f in flat], axis=-1)


def _same_batch(prim_ref):
    """Batching rule: give every operand the leading batch axis, then apply the primitive."""

    def rule(size, args, batched, **params):
        return prim_ref()(*[materialize(size, a, b) for a, b in zip(args, batched)], **params)

    return rule


def _float_aval(a, shape):
    return tuple(shape), np.dtype(a.dtype)


# --- solve and inv ------------------------------------------------------------------------------


def _solve_jvp_a(a_dot, out, a, b):
    return -solve_p(a, wnp.matmul(a_dot, out))


def _solve_vjp_a(g, out, a, b):
    return -wnp.matmul(solve_p(_mT(a), g), _mT(out))


# ``b`` is a stack of matrices with the batch axes of ``a`` (``wnp.linalg.solve`` broadcasts
# and turns a vector into one column first). Holomorphic: plain transposes for complex input.
solve_p = define(
    "solve",
    np.linalg.solve,
    shape=lambda a, b: (tuple(b.shape), np.result_type(a.dtype, b.dtype)),
    batch=_same_batch(lambda: solve_p),
    jvp=(_solve_jvp_a, lambda b_dot, out, a, b: solve_p(a, b_dot)),
    vjp=(_solve_vjp_a, lambda g, out, a, b: solve_p(_mT(a), g)),
)

inv_p = define(
    "inv",
    np.linalg.inv,
    shape=lambda a: _float_aval(a, a.shape),
    batch=_same_batch(lambda: inv_p),
    jvp=(lambda a_dot, out, a: -wnp.matmul(wnp.matmul(out, a_dot), out),),
    vjp=(lambda g, out, a: -wnp.matmul(wnp.matmul(_mT(out), g), _mT(out)),),
)


# --- det and slogdet ----------------------------------------------------------------------------


def _det_vjp(g, out, a):
    # d det A = det A · tr(A⁻¹ dA), so Ā = ḡ det A · A⁻ᵀ (undefined at singular A: the
    # adjugate is not formed).
    scale = wnp.expand_dims(wnp.expand_dims(g * out, -1), -1)
    return scale * _mT(inv_p(a))


det_p = define(
    "det",
    np.linalg.det,
    shape=lambda a: _float_aval(a, a.shape[:-2]),
    batch=_same_batch(lambda: det_p),
    jvp=(lambda a_dot, out, a: out * _trace(solve_p(a, a_dot)),),
    vjp=(_det_vjp,),
)


def _slogdet_impl(a):
    sign, logabs = np.linalg.slogdet(a)
    return np.stack([sign, logabs.astype(sign.dtype)], axis=-1)


def _slogdet_jvp(a_dot, out, a):
    # d log|det A| = Re tr(A⁻¹ dA); the sign is locally constant for real A, and moves by
    # sign · i Im tr(A⁻¹ dA) for complex A.
    t = _trace(solve_p(a, a_dot))
    if _is_complex(a):
        sign = out[..., 0]
        parts = [sign * (1j * wnp.imag(t)), _cast(wnp.real(t), out.dtype)]
    else:
        parts = [wnp.zeros_like(t), t]
    return wnp.stack(parts, axis=-1)


def _slogdet_vjp(g, out, a):
    g_log = g[..., 1]
    if _is_complex(a):
        # Transpose of the JVP above for Re Σ a·b: Ā = (Re ḡ_log − i Re(i ḡ_sign sign)) A⁻ᵀ.
        sign = out[..., 0]
        c = _cast(wnp.real(g_log), g.dtype) - 1j * wnp.real(1j * g[..., 0] * sign)
    else:
        c = g_log
    return wnp.expand_dims(wnp.expand_dims(c, -1), -1) * _mT(inv_p(a))


# Packed output (..., 2): [sign, log|det|].
slogdet_p = define(
    "slogdet",
    _slogdet_impl,
    shape=lambda a: _float_aval(a, a.shape[:-2] + (2,)),
    batch=_same_batch(lambda: slogdet_p),
    jvp=(_slogdet_jvp,),
    vjp=(_slogdet_vjp,),
)


# --- cholesky -----------------------------------------------------------------------------------


def _phi(x):
    """Lower triangle with the diagonal halved (Φ of the Cholesky derivative)."""
    return wnp.tril(x) - 0.5 * _diag(_diagonal(x))


def _cholesky_jvp(a_dot, out, a, *, upper):
    # L = chol(S) for the Hermitian S read from one triangle; dL = L Φ(L⁻¹ dS L⁻ᴴ).
    low = _H(out) if upper else out
    s_dot = _hermitian_part(a_dot, "U" if upper else "L")
    y = solve_p(low, s_dot)
    x = _H(solve_p(low, _H(y)))
    l_dot = wnp.matmul(low, _phi(x))
    return _H(l_dot) if upper else l_dot


def _cholesky_vjp(g, out, a, *, upper):
    # Transpose of the JVP for Re Σ a·b: S̄ = L⁻ᵀ Φ(Lᵀ L̄) conj(L)⁻¹, then onto the triangle read.
    low = _H(out) if upper else out
    g_low = _H(g) if upper else g
    p = _phi(wnp.matmul(_mT(low), g_low))
    z = solve_p(_mT(low), p)
    s_bar = _mT(solve_p(_H(low), _mT(z)))
    return _hermitian_part_transpose(s_bar, "U" if upper else "L")


cholesky_p = define(
    "cholesky",
    lambda a, *, upper: np.linalg.cholesky(a, upper=upper),
    shape=lambda a, *, upper: _float_aval(a, a.shape),
    batch=_same_batch(lambda: cholesky_p),
    jvp=(_cholesky_jvp,),
    vjp=(_cholesky_vjp,),
)


# --- eigh -----------------------------------------------------------------------------------------


def _eigh_impl(a, *, uplo):
    w, v = np.linalg.eigh(a, UPLO=uplo)
    return _pack_np((w, 1), (v, 2))


def _eigh_unpack(out, n):
    w, v = _unpack(out, [(n,), (n, n)])
    return _real(w), v


def _eigh_jvp(a_dot, out, a, *, uplo):
    # With M = Vᴴ dS V: dλ = Re diag M, dV = V (F ∘ M), F_ij = 1/(λⱼ − λᵢ) (degenerate pairs
    # masked to 0: see the module docstring for what that defines).
    n = a.shape[-1]
    w, v = _eigh_unpack(out, n)
    m = wnp.matmul(wnp.matmul(_H(v), _hermitian_part(a_dot, uplo)), v)
    w_dot = _real(_diagonal(m))
    v_dot = wnp.matmul(v, _inverse_gaps(w) * m)
    return _pack((w_dot, 1), (v_dot, 2))


def _eigh_vjp(g, out, a, *, uplo):
    # Hermitian form: Ā = V (diag λ̄ + F ∘ (Vᴴ V̄)) Vᴴ; bilinear: conj(V) (...) Vᵀ with Vᵀ V̄.
    n = a.shape[-1]
    w, v = _eigh_unpack(out, n)
    g_w, g_v = _unpack(g, [(n,), (n, n)])
    inner = _diag(_real(g_w))
    if not _is_zero(g_v):
        inner = inner + _inverse_gaps(w) * wnp.matmul(_mT(v), g_v)
    x = wnp.matmul(wnp.matmul(wnp.conj(v), _cast(inner, v.dtype)), _mT(v))
    return _hermitian_part_transpose(x, uplo)


def _eigh_shape(a, *, uplo):
    n = a.shape[-1]
    return tuple(a.shape[:-2]) + (n + n * n,), np.dtype(a.dtype)


# Packed output (..., n + n²): [eigenvalues, eigenvectors (row-major)].
eigh_p = define(
    "eigh",
    _eigh_impl,
    shape=_eigh_shape,
    batch=_same_batch(lambda: eigh_p),
    jvp=(_eigh_jvp,),
    vjp=(_eigh_vjp,),
)


# --- eig ------------------------------------------------------------------------------------------


def _complex_dtype(dtype):
    return np.result_type(dtype, np.complex64)


def _eig_impl(a):
    # Always complex: NumPy's real result for a real spectrum is data-dependent in dtype.
    w, v = np.linalg.eig(a)
    return _pack_np((w, 1), (v, 2)).astype(_complex_dtype(a.dtype), copy=False)


def _eig_shape(a):
    n = a.shape[-1]
    return tuple(a.shape[:-2]) + (n + n * n,), _complex_dtype(a.dtype)


def _eig_inverse_gaps(w, v, a):
    """F_ij = 1/(wⱼ − wᵢ) for ``eig``, masked on the diagonal and on degenerate pairs.

    An eigenvalue of a non-normal A is computed to about eps·‖A‖·κᵢ, where κᵢ = ‖row i of V⁻¹‖
    is its condition number (for unit vᵢ); so a pair is degenerate when
    |wⱼ − wᵢ| <= n·eps·‖A‖_F·(κᵢ + κⱼ). ``_inverse_gaps``' tolerance would let the rounding
    split of a repeated eigenvalue through as a huge 1/(wⱼ − wᵢ). The mask is a constant.
    """
    n = w.shape[-1]
    eps = np.finfo(np.dtype(w.dtype)).eps
    v0, a0 = wnp.stop_gradient(v), wnp.stop_gradient(a)
    kappa = wnp.sqrt(wnp.sum(wnp.abs(inv_p(v0)) ** 2, axis=-1))
    norm_a = wnp.sqrt(wnp.sum(wnp.abs(a0) ** 2, axis=(-2, -1)))
    pair = wnp.expand_dims(kappa, -1) + wnp.expand_dims(kappa, -2)
    tol = (n * eps) * wnp.expand_dims(wnp.expand_dims(norm_a, -1), -1) * pair
    d = wnp.expand_dims(w, -2) - wnp.expand_dims(w, -1)
    keep = wnp.abs(wnp.stop_gradient(d)) > tol
    return wnp.where(keep, 1.0 / wnp.where(keep, d, 1.0), 0.0)


def _eig_pivots(v):
    """A mask of each eigenvector's pivot (no derivative): the entry LAPACK made real.

    ``geev`` scales every eigenvector to unit 2-norm and turns its largest entry real (exactly:
    imaginary part 0). The pivot is the largest entry among the exactly real ones (the first on
    ties, as LAPACK's ``i?amax``); for a real eigenvector that is simply the largest entry.
    """
    if v.shape[-1] == 0:
        return np.zeros((0, 0), dtype=bool)
    v0 = wnp.stop_gradient(v)
    score = wnp.where(wnp.imag(v0) == 0, wnp.abs(v0), -1.0)
    # The first maximum of each column, from primitives only (no value is read, so jit and
    # vmap record it): the positions attaining the maximum whose running count is 1.
    hit = score == wnp.max(score, axis=-2, keepdims=True)
    return hit & (wnp.cumsum(hit, axis=-2) == 1)


def _eig_gauge(v, du, pivots):
    """c with dV = dU + V diag(c) keeping NumPy's normalisation of each eigenvector vᵢ.

    ‖vᵢ‖ = 1 needs Re(vᵢᴴ dvᵢ) = 0, and a real pivot entry v_kᵢ needs Im(dv_kᵢ) = 0, so
    cᵢ = −Re(vᵢᴴ duᵢ) − i Im(du_kᵢ)/v_kᵢ (v_kᵢ is real and at least 1/√n in size).
    """
    norm_part = wnp.real(wnp.sum(wnp.conj(v) * du, axis=-2))
    v_k = wnp.real(wnp.sum(wnp.where(pivots, v, 0.0), axis=-2))
    du_k = wnp.sum(wnp.where(pivots, du, 0.0), axis=-2)
    return -_cast(norm_part, v.dtype) - 1j * (wnp.imag(du_k) / v_k)


def _eig_jvp(a_dot, out, a):
    # A = V diag(w) V⁻¹, M = V⁻¹ dA V: dw = diag M, dU = V (F ∘ M) with F_ij = 1/(wⱼ − wᵢ)
    # (degenerate pairs masked to 0: ``_eig_inverse_gaps``), then dV = dU + V diag(c), the
    # normalisation kept by ``_eig_gauge``.
    n = a.shape[-1]
    w, v = _unpack(out, [(n,), (n, n)])
    m = solve_p(v, wnp.matmul(_cast(a_dot, v.dtype), v))
    du = wnp.matmul(v, _eig_inverse_gaps(w, v, a) * m)
    c = _eig_gauge(v, du, _eig_pivots(v))
    return _pack((_diagonal(m), 1), (du + v * wnp.expand_dims(c, -2), 2))


def _eig_vjp(g, out, a):
    # Transpose of the JVP for Re Σ a·b. The gauge term is only R-linear in dU: with
    # s = diag(Vᵀ V̄) it sends V̄ to Ḡ = V̄ − conj(V) diag(Re s) − i K diag(Im s / v_k) (K: the
    # pivot mask). Then Ā = V⁻ᵀ (diag w̄ + F ∘ (Vᵀ Ḡ)) Vᵀ, and its real part for real A.
    n = a.shape[-1]
    w, v = _unpack(out, [(n,), (n, n)])
    g_w, g_v = _unpack(g, [(n,), (n, n)])
    inner = _diag(g_w)
    if not _is_zero(g_v):
        pivots = _eig_pivots(v)
        s = wnp.expand_dims(wnp.sum(v * g_v, axis=-2), -2)
        v_k = wnp.real(wnp.sum(wnp.where(pivots, v, 0.0), axis=-2, keepdims=True))
        g_u = g_v - wnp.conj(v) * _cast(wnp.real(s), v.dtype)
        g_u = g_u - 1j * wnp.where(pivots, wnp.imag(s) / v_k, 0.0)
        inner = inner + _eig_inverse_gaps(w, v, a) * wnp.matmul(_mT(v), g_u)
    a_bar = solve_p(_mT(v), wnp.matmul(_cast(inner, v.dtype), _mT(v)))
    return a_bar if _is_complex(a) else wnp.real(a_bar)


# Packed output (..., n + n²), always complex: [eigenvalues, eigenvectors (row-major)], as
# ``numpy.linalg.eig`` (unit 2-norm vectors, each with a real largest entry). Derivatives need
# a diagonalisable A; eigenvectors need distinct eigenvalues (see the module docstring).
eig_p = define(
    "eig",
    _eig_impl,
    shape=_eig_shape,
    batch=_same_batch(lambda: eig_p),
    jvp=(_eig_jvp,),
    vjp=(_eig_vjp,),
)


# --- svd ------------------------------------------------------------------------------------------


def svd_shapes(m, n, full_matrices):
    """Core shapes of the packed ``svd`` pieces: U, s, Vh."""
    k = min(m, n)
    if full_matrices:
        return [(m, m), (k,), (n, n)]
    return [(m, k), (k,), (k, n)]


def _svd_impl(a, *, full_matrices):
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    return _pack_np((u, 2), (s, 1), (vh, 2))


def _svd_shape(a, *, full_matrices):
    m, n = a.shape[-2:]
    size = sum(int(np.prod(s)) for s in svd_shapes(m, n, full_matrices))
    return tuple(a.shape[:-2]) + (size,), np.dtype(a.dtype)


def _svd_unpack(x, a, full_matrices):
    m, n = a.shape[-2:]
    return _unpack(x, svd_shapes(m, n, full_matrices))


def _svd_jvp(a_dot, out, a, *, full_matrices):
    # Reduced SVD A = U S Vᴴ, dP = Uᴴ dA V, F_ij = 1/(sⱼ² − sᵢ²) (degenerate pairs masked):
    #   ds = Re diag dP,  dU = U (F ∘ (dP S + S dPᴴ)) + (I − UUᴴ) dA V S⁻¹ (+ a phase term),
    #   dV = V (F ∘ (S dP + dPᴴ S)) + (I − VVᴴ) dAᴴ U S⁻¹.
    # S⁻¹ is taken as 0 where s = 0. The extra columns of full_matrices=True (a basis of the
    # complement) move with the least rotation: dU⊥ = −U (dUᴴ U⊥), the same for V.
    m, n = a.shape[-2:]
    k = min(m, n)
    u_full, s, vh_full = _svd_unpack(out, a, full_matrices)
    s = _real(s)
    u, vh = u_full[..., :, :k], vh_full[..., :k, :]
    v = _H(vh)
    dp = wnp.matmul(wnp.matmul(_H(u), a_dot), v)
    ds = _real(_diagonal(dp))
    f = _cast(_inverse_gaps(s * s), a.dtype)
    s_row = _cast(wnp.expand_dims(s, -2), a.dtype)
    s_inv_row = _cast(wnp.expand_dims(_safe_inverse(s), -2), a.dtype)
    dss = dp * s_row
    sds = _mT(s_row) * dp
    du = wnp.matmul(u, f * (dss + _H(dss)))
    dv = wnp.matmul(v, f * (sds + _H(sds)))
    if _is_complex(a):
        d = _diagonal(dp)
        du = du + wnp.matmul(u, _diag(0.5 * (d - wnp.conj(d)) * s_inv_row[..., 0, :]))
    if m > k:
        dav = wnp.matmul(a_dot, v)
        du = du + (dav - wnp.matmul(u, wnp.matmul(_H(u), dav))) * s_inv_row
    if n > k:
        dahu = wnp.matmul(_H(a_dot), u)
        dv = dv + (dahu - wnp.matmul(v, wnp.matmul(_H(v), dahu))) * s_inv_row
    if full_matrices and m > k:
        u_perp = u_full[..., :, k:]
        du = wnp.concatenate([du, -wnp.matmul(u, wnp.matmul(_H(du), u_perp))], axis=-1)
    if full_matrices and n > k:
        v_perp = _H(vh_full[..., k:, :])
        dv = wnp.concatenate([dv, -wnp.matmul(v, wnp.matmul(_H(dv), v_perp))], axis=-1)
    return _pack((du, 2), (ds, 1), (_H(dv), 2))


def _svd_vjp(g, out, a, *, full_matrices):
    # Hermitian form, on conj(out_bar), with J = F ∘ (Uᴴ Ū), K = F ∘ (Vᴴ V̄):
    #   Ā = U [diag s̄ + (J + Jᴴ) S + S (K + Kᴴ)] Vᴴ + (I − UUᴴ) Ū S⁻¹ Vᴴ + U S⁻¹ V̄ᴴ (I − VVᴴ)
    # (+ the phase term for complex input); the bilinear cotangent is its conjugate.
    m, n = a.shape[-2:]
    k = min(m, n)
    u_full, s, vh_full = _svd_unpack(out, a, full_matrices)
    s = _real(s)
    g_u_full, g_s, g_vh_full = _svd_unpack(g, a, full_matrices)
    u, vh = u_full[..., :, :k], vh_full[..., :k, :]
    v = _H(vh)
    inner = _cast(_diag(_real(g_s)), a.dtype)
    result_extra = None
    if not (_is_zero(g_u_full) and _is_zero(g_vh_full)):
        g_u = wnp.conj(g_u_full)
        g_v = _mT(g_vh_full)
        if full_matrices and m > k:
            u_perp = u_full[..., :, k:]
            g_u = g_u[..., :, :k] - wnp.matmul(u_perp, wnp.matmul(_H(g_u[..., :, k:]), u))
        if full_matrices and n > k:
            v_perp = _H(vh_full[..., k:, :])
            g_v = g_v[..., :, :k] - wnp.matmul(v_perp, wnp.matmul(_H(g_v[..., :, k:]), v))
        f = _cast(_inverse_gaps(s * s), a.dtype)
        s_row = _cast(wnp.expand_dims(s, -2), a.dtype)
        s_inv = _safe_inverse(s)
        s_inv_row = _cast(wnp.expand_dims(s_inv, -2), a.dtype)
        uhgu = wnp.matmul(_H(u), g_u)
        j = f * uhgu
        kk = f * wnp.matmul(_H(v), g_v)
        inner = inner + (j + _H(j)) * s_row + _mT(s_row) * (kk + _H(kk))
        if _is_complex(a):
            inner = inner + _diag(1j * wnp.imag(_diagonal(uhgu)) * s_inv)
        if m > k:
            proj = (g_u - wnp.matmul(u, uhgu)) * s_inv_row
            result_extra = wnp.matmul(proj, vh)
        if n > k:
            proj = _mT(s_inv_row) * _H(g_v - wnp.matmul(v, wnp.matmul(_H(v), g_v)))
            term = wnp.matmul(u, proj)
            result_extra = term if result_extra is None else result_extra + term
    a_bar = wnp.matmul(wnp.matmul(u, inner), vh)
    if result_extra is not None:
        a_bar = a_bar + result_extra
    return wnp.conj(a_bar)


# Packed output: [U, s, Vh], each flattened (shapes from ``svd_shapes``).
svd_p = define(
    "svd",
    _svd_impl,
    shape=_svd_shape,
    batch=_same_batch(lambda: svd_p),
    jvp=(_svd_jvp,),
    vjp=(_svd_vjp,),
)


# --- qr -------------------------------------------------------------------------------------------


def qr_shapes(m, n, mode):
    """Core shapes of the packed ``qr`` pieces: Q, R."""
    k = min(m, n)
    if mode == "complete":
        return [(m, m), (m, n)]
    return [(m, k), (k, n)]


def _qr_impl(a, *, mode):
    q, r = np.linalg.qr(a, mode=mode)
    return _pack_np((q, 2), (r, 2))


def _qr_shape(a, *, mode):
    m, n = a.shape[-2:]
    size = sum(int(np.prod(s)) for s in qr_shapes(m, n, mode))
    return tuple(a.shape[:-2]) + (size,), np.dtype(a.dtype)


def _right_solve(x, r):
    """``x R⁻¹`` for square ``R``."""
    return _mT(solve_p(_mT(r), _mT(x)))


def _qr_tall_jvp(q, r, a_dot):
    # m >= n, R square: C = Qᴴ dA R⁻¹, Ω = tril(C,−1) − tril(C,−1)ᴴ (+ i Im diag C, so that
    # diag dR stays real for complex input); dR = (C − Ω) R, dQ = dA R⁻¹ + Q (Ω − C).
    dx_rinv = _right_solve(a_dot, r)
    c = wnp.matmul(_H(q), dx_rinv)
    low = wnp.tril(c, -1)
    omega = low - _H(low)
    if _is_complex(c):
        omega = omega + _diag(1j * wnp.imag(_diagonal(c)))
    dq = wnp.matmul(q, omega - c) + dx_rinv
    dr = wnp.matmul(c - omega, r)
    return dq, dr


def _qr_tall_vjp_hermitian(q, r, g_q, g_r):
    # Transpose of _qr_tall_jvp, Hermitian form: X = R̄ Rᴴ − Qᴴ Q̄,
    # C̄ = X − tril(X − Xᴴ, −1) (− i Im diag X), Ā = (Q̄ + Q C̄) R⁻ᴴ.
    x = wnp.matmul(g_r, _H(r)) - wnp.matmul(_H(q), g_q)
    c_bar = x - wnp.tril(x - _H(x), -1)
    if _is_complex(x):
        c_bar = c_bar - _diag(1j * wnp.imag(_diagonal(x)))
    return _H(solve_p(r, _H(g_q + wnp.matmul(q, c_bar))))


def _qr_jvp(a_dot, out, a, *, mode):
    # Wide A = [A1 A2] (m < n): Q R1 = A1 is a square QR and R2 = Qᴴ A2. The extra columns of
    # mode="complete" (m > n) move with the least rotation, dQ⊥ = −Q (dQᴴ Q⊥).
    m, n = a.shape[-2:]
    k = min(m, n)
    q_full, r_full = _unpack(out, qr_shapes(m, n, mode))
    q, r = q_full[..., :, :k], r_full[..., :k, :]
    if m >= n:
        dq, dr = _qr_tall_jvp(q, r, a_dot)
    else:
        dq, dr1 = _qr_tall_jvp(q, r[..., :, :m], a_dot[..., :, :m])
        dr2 = wnp.matmul(_H(dq), a[..., :, m:]) + wnp.matmul(_H(q), a_dot[..., :, m:])
        dr = wnp.concatenate([dr1, dr2], axis=-1)
    if mode == "complete" and m > n:
        q_perp = q_full[..., :, n:]
        dq = wnp.concatenate([dq, -wnp.matmul(q, wnp.matmul(_H(dq), q_perp))], axis=-1)
        dr = wnp.concatenate([dr, wnp.zeros_like(dr, shape=dr.shape[:-2] + (m - n, n))], axis=-2)
    return _pack((dq, 2), (dr, 2))


def _qr_vjp(g, out, a, *, mode):
    m, n = a.shape[-2:]
    k = min(m, n)
    q_full, r_full = _unpack(out, qr_shapes(m, n, mode))
    q, r = q_full[..., :, :k], r_full[..., :k, :]
    g_q_full, g_r_full = _unpack(g, qr_shapes(m, n, mode))
    g_q, g_r = wnp.conj(g_q_full), wnp.conj(g_r_full[..., :k, :])
    if mode == "complete" and m > n:
        q_perp = q_full[..., :, n:]
        g_q = g_q[..., :, :n] - wnp.matmul(q_perp, wnp.matmul(_H(g_q[..., :, n:]), q))
    if m >= n:
        a_bar = _qr_tall_vjp_hermitian(q, r, g_q, g_r)
    else:
        g_r1, g_r2 = g_r[..., :, :m], g_r[..., :, m:]
        g_q = g_q + wnp.matmul(a[..., :, m:], _H(g_r2))
        a_bar1 = _qr_tall_vjp_hermitian(q, r[..., :, :m], g_q, g_r1)
        a_bar = wnp.concatenate([a_bar1, wnp.matmul(q, g_r2)], axis=-1)
    return wnp.conj(a_bar)


# Packed output: [Q, R], each flattened (shapes from ``qr_shapes``). Derivatives need R's
# leading k×k block to be invertible (A, or its first m columns when wide, of full rank).
qr_p = define(
    "qr",
    _qr_impl,
    shape=_qr_shape,
    batch=_same_batch(lambda: qr_p),
    jvp=(_qr_jvp,),
    vjp=(_qr_vjp,),
)


# --- pinv ---------------------------------------------------------------------------------------


def _pinv_jvp(a_dot, out, a, *, rtol):
    # Golub–Pereyra, valid where the rank is locally constant (P = A⁺):
    # dP = −P dA P + P Pᴴ dAᴴ (I − A P) + (I − P A) dAᴴ Pᴴ P.
    p = out
    a_dot_h = _H(a_dot)
    first = -wnp.matmul(wnp.matmul(p, a_dot), p)
    y = wnp.matmul(wnp.matmul(p, _H(p)), a_dot_h)
    z = wnp.matmul(a_dot_h, wnp.matmul(_H(p), p))
    return first + (y - wnp.matmul(wnp.matmul(y, a), p)) + (z - wnp.matmul(p, wnp.matmul(a, z)))


def _pinv_vjp(g, out, a, *, rtol):
    # Transpose, Hermitian form on Ḡ = conj(out_bar):
    # Ā = −Pᴴ Ḡ Pᴴ + (I − A P) Ḡᴴ P Pᴴ + Pᴴ P Ḡᴴ (I − P A); the bilinear one is its conjugate.
    p = out
    g_h = _H(wnp.conj(g))
    first = -wnp.matmul(wnp.matmul(_H(p), wnp.conj(g)), _H(p))
    y = wnp.matmul(g_h, wnp.matmul(p, _H(p)))
    z = wnp.matmul(wnp.matmul(_H(p), p), g_h)
    a_bar = first + (y - wnp.matmul(a, wnp.matmul(p, y))) + (z - wnp.matmul(wnp.matmul(z, p), a))
    return wnp.conj(a_bar)


def _pinv_shape(a, *, rtol):
    return tuple(a.shape[:-2]) + (a.shape[-1], a.shape[-2]), np.dtype(a.dtype)


# ``rtol``: singular values below rtol · max(s) count as zero (an array broadcast against the
# batch, or a float), as ``numpy.linalg.pinv``'s.
pinv_p = define(
    "pinv",
    lambda a, *, rtol: np.linalg.pinv(a, rtol=rtol),
    shape=_pinv_shape,
    batch=_same_batch(lambda: pinv_p),
    jvp=(_pinv_jvp,),
    vjp=(_pinv_vjp,),
)
