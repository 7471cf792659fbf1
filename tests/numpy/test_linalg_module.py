"""``wengert.numpy.linalg``: NumPy's values, closed-form derivatives, degenerate spectra, norms.

The spec table of the primitives (tests/primitives/test_decompositions.py) checks every rule
against finite differences; here each function is compared with NumPy and its derivative with
an independent closed form where one exists.
"""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core.tracer import Tracer
from wengert.testing import check_grads, check_jvp_vjp_consistency

la = wnp.linalg
RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
B = RNG.standard_normal((3, 2))
SPD = A @ A.T
RECT = RNG.standard_normal((4, 3))
# Real, non-normal, with a complex-conjugate pair 1 ± 2i and the real eigenvalue 3.
ROT = np.array([[1.0, -2.0, 0.5], [2.0, 1.0, -1.0], [0.0, 0.3, 3.0]])
# Real, non-normal, with distinct real eigenvalues.
UPPER = np.array([[1.0, 2.0, -1.0], [0.1, -2.0, 0.5], [0.0, 0.4, 3.5]])
CPLX = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))


def _traced_value(f, *args):
    """f's value computed while traced (forward mode), to compare with NumPy."""
    return wg.jvp(f, args, tuple(np.zeros_like(a) for a in args))[0]


@pytest.mark.parametrize(
    "name, f, args",
    [
        ("solve", la.solve, (A, B)),
        ("inv", la.inv, (A,)),
        ("det", la.det, (A,)),
        ("slogdet", la.slogdet, (A,)),
        ("cholesky", la.cholesky, (SPD,)),
        ("eigvalsh", la.eigvalsh, (SPD,)),
        ("eigh", la.eigh, (SPD,)),
        ("eig", la.eig, (ROT,)),
        ("eig[complex]", la.eig, (CPLX,)),
        ("eigvals", la.eigvals, (ROT,)),
        ("eigvals[complex]", la.eigvals, (CPLX,)),
        ("eig[stack]", la.eig, (np.stack([ROT, CPLX]),)),
        ("svd", la.svd, (RECT,)),
        ("svd[s]", lambda a: la.svd(a, compute_uv=False), (RECT,)),
        ("qr", la.qr, (RECT,)),
        ("qr[complete]", lambda a: la.qr(a, "complete"), (RECT,)),
        ("pinv", la.pinv, (RECT,)),
        (
            "lstsq",
            lambda a, b: la.lstsq(a, b)[:2] + la.lstsq(a, b)[3:],
            (RECT, B[:, 0].tolist() + [1.0]),
        ),
        ("matrix_power", lambda a: la.matrix_power(a, -3), (A,)),
        ("multi_dot", lambda a, b: la.multi_dot([a, a, b, b.T]), (A, B)),
        ("norm", lambda a: la.norm(a, "nuc"), (RECT,)),
    ],
)
def test_values_match_numpy(name, f, args):
    args = tuple(np.asarray(x) for x in args)
    plain = f(*args)
    traced = _traced_value(f, *args)
    assert type(traced) is type(plain)
    for t, p in zip(wg.tree.leaves(traced), wg.tree.leaves(plain)):
        assert np.shape(t) == np.shape(p) and np.asarray(t).dtype == np.asarray(p).dtype
        np.testing.assert_allclose(t, p, rtol=1e-10, atol=1e-12)


def test_closed_forms_of_determinants_and_inverses():
    a_inv = np.linalg.inv(A)
    np.testing.assert_allclose(wg.grad(lambda a: la.slogdet(a)[1])(A), a_inv.T, rtol=1e-12)
    np.testing.assert_allclose(wg.grad(la.det)(A), np.linalg.det(A) * a_inv.T, rtol=1e-12)
    # d tr(A⁻¹) = −tr(A⁻¹ dA A⁻¹), so the gradient is −(A⁻²)ᵀ.
    np.testing.assert_allclose(
        wg.grad(lambda a: wnp.trace(la.inv(a)))(A), -(a_inv @ a_inv).T, rtol=1e-12
    )
    # d solve(A, b) = −A⁻¹ dA x along dA.
    b = B[:, 0]
    x = np.linalg.solve(A, b)
    d_a = RNG.standard_normal((3, 3))
    _, x_dot = wg.jvp(lambda a: la.solve(a, b), (A,), (d_a,))
    np.testing.assert_allclose(x_dot, -a_inv @ d_a @ x, rtol=1e-12)


def test_closed_forms_of_spectral_derivatives():
    _w, v = np.linalg.eigh(SPD)
    d_a = RNG.standard_normal((3, 3))
    d_a = d_a + d_a.T
    _, w_dot = wg.jvp(la.eigvalsh, (SPD,), (d_a,))
    np.testing.assert_allclose(w_dot, np.einsum("ji,jk,ki->i", v, d_a, v), rtol=1e-12)
    u, _s, vh = np.linalg.svd(RECT, full_matrices=False)
    np.testing.assert_allclose(wg.grad(lambda a: la.norm(a, "nuc"))(RECT), u @ vh, rtol=1e-12)
    np.testing.assert_allclose(
        wg.grad(lambda a: la.norm(a, 2))(RECT), np.outer(u[:, 0], vh[0]), rtol=1e-12
    )


def test_eig_of_a_real_spectrum_is_complex_on_traced_input():
    # NumPy returns real arrays here; a traced result is always complex (same values).
    w, v = np.linalg.eig(UPPER)
    assert w.dtype == v.dtype == np.float64
    w_t, v_t = _traced_value(la.eig, UPPER)
    assert w_t.dtype == v_t.dtype == np.complex128
    np.testing.assert_allclose(w_t, w, rtol=1e-12)
    np.testing.assert_allclose(v_t, v, rtol=1e-12)
    assert la.eigvals(UPPER).dtype == np.float64


def test_eig_of_empty_matrices_has_empty_derivatives():
    z = np.zeros((2, 0, 0))
    (w, v), (w_dot, v_dot) = wg.jvp(lambda a: tuple(la.eig(a)), (z,), (z,))
    assert w.shape == w_dot.shape == (2, 0) and v.shape == v_dot.shape == (2, 0, 0)
    assert wg.grad(lambda a: wnp.real(wnp.sum(la.eig(a)[1])))(z).shape == (2, 0, 0)


def _left_eigenvectors(a, w):
    """Left eigenvectors uᵢ (uᵢᵀ A = wᵢ uᵢᵀ) from eig(Aᵀ), matched to ``w`` by value."""
    w_left, u = np.linalg.eig(a.T)
    order = [int(np.argmin(np.abs(w_left - wi))) for wi in w]
    return u[:, order]


@pytest.mark.parametrize("a", [ROT, UPPER, CPLX], ids=["pairs", "real", "complex"])
def test_eigenvalue_derivative_is_the_left_right_quotient(a):
    # dwᵢ = uᵢᵀ dA vᵢ / (uᵢᵀ vᵢ), independently of the eigenvectors' normalisation.
    w, v = np.linalg.eig(a)
    u = _left_eigenvectors(a, w)
    d_a = RNG.standard_normal(a.shape) + (1j * RNG.standard_normal(a.shape) if a is CPLX else 0)
    expected = np.einsum("ji,jk,ki->i", u, d_a, v) / np.einsum("ji,ji->i", u, v)
    _, w_dot = wg.jvp(la.eigvals, (a,), (d_a,))
    np.testing.assert_allclose(w_dot, expected, rtol=1e-10)
    # Reverse mode: the gradient of Re wᵢ is Re(uᵢ vᵢᵀ / uᵢᵀ vᵢ) for real A.
    if a is not CPLX:
        for i in range(3):
            g = wg.grad(lambda a, i=i: wnp.real(la.eigvals(a)[i]))(a)
            expected_g = np.real(np.outer(u[:, i], v[:, i]) / (u[:, i] @ v[:, i]))
            np.testing.assert_allclose(g, expected_g, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("a", [ROT, UPPER, CPLX], ids=["pairs", "real", "complex"])
def test_symmetric_functions_of_the_eigenvalues(a):
    # Σ wᵢ = tr A and Π wᵢ = det A, whatever the eigenvectors.
    trace = lambda a: la.eigvals(a).sum()
    det = lambda a: wnp.prod(la.eigvals(a))
    np.testing.assert_allclose(wg.grad(lambda a: wnp.real(trace(a)))(a), np.eye(3), atol=1e-12)
    if a is not CPLX:
        np.testing.assert_allclose(
            wg.grad(lambda a: wnp.real(det(a)))(a),
            np.linalg.det(a) * np.linalg.inv(a).T,
            rtol=1e-10,
        )
    for f in (trace, det):
        check_grads(f, (a,), order=2)
        check_grads(lambda a, f=f: (wnp.real(f(a)), wnp.imag(f(a))), (a,), order=2)


@pytest.mark.parametrize("a", [ROT, UPPER], ids=["pairs", "real"])
def test_single_eigenvalues_by_real_and_imaginary_parts(a):
    for i in range(3):
        f = lambda a, i=i: (wnp.real(la.eigvals(a)[i]), wnp.imag(la.eigvals(a)[i]))
        check_grads(f, (a,), order=2)
        check_jvp_vjp_consistency(f, (a,), rng=np.random.default_rng(i))


@pytest.mark.parametrize("a", [ROT, UPPER, CPLX], ids=["pairs", "real", "complex"])
def test_spectral_projectors_against_their_closed_form(a):
    # Eᵢ = vᵢ (V⁻¹)ᵢ does not depend on how vᵢ is scaled; its derivative is
    # dEᵢ = Σ_{j≠i} (Eⱼ dA Eᵢ + Eᵢ dA Eⱼ) / (wᵢ − wⱼ).
    w, v = np.linalg.eig(a)
    v_inv = np.linalg.inv(v)
    proj = [np.outer(v[:, i], v_inv[i]) for i in range(3)]
    d_a = RNG.standard_normal(a.shape).astype(a.dtype)

    def spectral(a, i):
        v = la.eig(a)[1]
        return v[:, i : i + 1] @ la.inv(v)[i : i + 1, :]

    for i in range(3):
        expected = sum(
            (proj[j] @ d_a @ proj[i] + proj[i] @ d_a @ proj[j]) / (w[i] - w[j])
            for j in range(3)
            if j != i
        )
        _, e_dot = wg.jvp(lambda a, i=i: spectral(a, i), (a,), (d_a,))
        np.testing.assert_allclose(e_dot, expected, rtol=1e-9, atol=1e-12)
    # The normalisation term: |vᵢ|² (unit columns) against finite differences.
    check_grads(lambda a: wnp.abs(la.eig(a)[1]) ** 2, (a,), order=2)


def test_eig_is_batched_and_vmap_equals_the_batched_call():
    stack = np.stack([ROT, UPPER, ROT.T])
    w, v = np.linalg.eig(stack)
    w_t, v_t = _traced_value(la.eig, stack)
    np.testing.assert_allclose(w_t, w, rtol=1e-12)
    np.testing.assert_allclose(v_t, v, rtol=1e-12)
    f = lambda a: (la.eigvals(a), wnp.abs(la.eig(a)[1]) ** 2)
    for m, d in zip(wg.tree.leaves(wg.vmap(f)(stack)), wg.tree.leaves(f(stack))):
        np.testing.assert_allclose(m, d, rtol=1e-12, atol=1e-14)
    check_grads(f, (stack,), order=2)
    g_vmap = wg.grad(lambda a: wnp.sum(wnp.real(wg.vmap(f)(a)[0] ** 2)))(stack)
    g_loop = np.stack([wg.grad(lambda a: wnp.sum(wnp.real(f(a)[0] ** 2)))(x) for x in stack])
    np.testing.assert_allclose(g_vmap, g_loop, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_eig_at_repeated_eigenvalues_keeps_the_trace_finite(scale):
    # Identity (every pair degenerate) and S diag(2, 2, 5) S⁻¹ (a non-normal repeated pair).
    s = RNG.standard_normal((3, 3)) + 2 * np.eye(3)
    repeated = s @ np.diag([2.0, 2.0, 5.0]) @ np.linalg.inv(s)
    trace = lambda a: wnp.real(la.eigvals(a).sum())
    for a in (scale * np.eye(3), repeated):
        np.testing.assert_allclose(wg.grad(trace)(a), np.eye(3), atol=1e-12)
        np.testing.assert_allclose(wg.hessian(trace)(a), 0, atol=1e-10)
        check_grads(trace, (a,), order=2)
    # First derivatives of other symmetric functions of the repeated pair are exact too.
    det = lambda a: wnp.real(wnp.prod(la.eigvals(a)))
    np.testing.assert_allclose(
        wg.grad(det)(repeated), 20.0 * np.linalg.inv(repeated).T, rtol=1e-10
    )


def test_lstsq_against_the_normal_equations():
    b = RNG.standard_normal(4)
    x = la.lstsq(RECT, b)[0]
    np.testing.assert_allclose(x, np.linalg.solve(RECT.T @ RECT, RECT.T @ b), rtol=1e-10)
    normal_eq = lambda a, b: wnp.linalg.solve(a.T @ a, a.T @ b)
    for argnum in (0, 1):
        g = wg.grad(lambda a, b: la.lstsq(a, b)[0].sum(), argnums=argnum)(RECT, b)
        g_ref = wg.grad(lambda a, b: normal_eq(a, b).sum(), argnums=argnum)(RECT, b)
        np.testing.assert_allclose(g, g_ref, rtol=1e-10)
    check_grads(lambda a, b: la.lstsq(a, b)[1], (RECT, b), order=2)
    res = la.lstsq(RECT, wg.jvp(lambda b: b, (b,), (b,))[0])
    assert res[2] == 3


def test_lstsq_rank_deficient_is_the_minimum_norm_solution():
    left, right = RNG.standard_normal((4, 2)), RNG.standard_normal((2, 3))
    b = RNG.standard_normal(4)
    x, res, rank, _s = la.lstsq(left @ right, b)
    np.testing.assert_allclose(x, np.linalg.pinv(left @ right) @ b, rtol=1e-10)
    assert rank == 2 and res.shape == (0,)
    check_grads(lambda lft, rgt, b: la.lstsq(lft @ rgt, b)[0], (left, right, b), order=2)


def test_pinv_identities_and_their_derivatives():
    p = la.pinv(RECT)
    np.testing.assert_allclose(RECT @ p @ RECT, RECT, atol=1e-12)
    # A⁺ A = I for full column rank, so its derivative vanishes.
    _, d = wg.jvp(lambda a: la.pinv(a) @ a, (RECT,), (RNG.standard_normal(RECT.shape),))
    np.testing.assert_allclose(d, 0, atol=1e-12)


@pytest.mark.parametrize("repeat", [1, 3])
def test_degenerate_spectra_give_finite_basis_independent_gradients(repeat):
    # Eigenvalues 2 (repeated) and 5: sums, the projector onto the eigenspace, |det| and the
    # nuclear norm all have finite, exact gradients.
    q, _ = np.linalg.qr(RNG.standard_normal((3, 3)))
    w = np.array([2.0, 2.0, 5.0])
    a = (q * w) @ q.T
    g_sum = wg.grad(lambda a: la.eigvalsh(a).sum())(a)
    np.testing.assert_allclose(g_sum, np.eye(3), atol=1e-12)
    proj = lambda a: la.eigh(a)[1][:, :2] @ la.eigh(a)[1][:, :2].T
    projector = q[:, :2] @ q[:, :2].T
    np.testing.assert_allclose(proj(a), projector, atol=1e-12)
    d_a = RNG.standard_normal((3, 3))
    d_a = d_a + d_a.T
    _, p_dot = wg.jvp(proj, (a,), (d_a,))
    # Projector derivative: P⊥ dA P / (2 − 5) + its transpose.
    perp = np.eye(3) - projector
    expected = (perp @ d_a @ projector + projector @ d_a @ perp) / (2.0 - 5.0)
    np.testing.assert_allclose(p_dot, expected, atol=1e-10)
    u_bar = RNG.standard_normal((3, 3))
    check_jvp_vjp_consistency(proj, (a,), rng=np.random.default_rng(repeat))
    g = wg.grad(lambda a: wnp.sum(proj(a) * u_bar))(a)
    assert np.all(np.isfinite(g))
    g_nuc = wg.grad(lambda a: la.svd(a, compute_uv=False).sum())(a)
    np.testing.assert_allclose(g_nuc, np.eye(3), atol=1e-12)
    g_absdet = wg.grad(lambda a: wnp.abs(la.det(a)))(a)
    np.testing.assert_allclose(g_absdet, 20.0 * np.linalg.inv(a).T, rtol=1e-10)
    h = wg.hessian(lambda a: la.eigvalsh(a).sum())(np.eye(3) * repeat)
    assert np.all(np.isfinite(h))
    g_id = wg.grad(lambda a: la.norm(a, "nuc"))(np.eye(3) * repeat)
    np.testing.assert_allclose(g_id, np.eye(3), atol=1e-12)


VECTOR_ORDERS = [None, 2, 1, np.inf, -np.inf, 3, 0.5, -1.5, 0]
MATRIX_ORDERS = [None, "fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2]


@pytest.mark.parametrize("ord", VECTOR_ORDERS, ids=str)
def test_vector_norms(ord):
    x = RNG.standard_normal((3, 4))
    for axis, keepdims in ((1, True), (0, False), (-1, False)):
        f = lambda x, o=ord, ax=axis, kd=keepdims: la.norm(x, o, ax, kd)
        np.testing.assert_allclose(
            _traced_value(f, x), np.linalg.norm(x, ord, axis, keepdims), rtol=1e-12
        )
        check_grads(f, (x,), order=2)
    v = x[0]
    check_grads(lambda v: la.norm(v, ord), (v,), order=2)


@pytest.mark.parametrize("ord", MATRIX_ORDERS, ids=str)
def test_matrix_norms(ord):
    x = RNG.standard_normal((2, 3, 4))
    for axis, keepdims in (((1, 2), False), ((2, 0), True)):
        f = lambda x, o=ord, ax=axis, kd=keepdims: la.norm(x, o, ax, kd)
        np.testing.assert_allclose(
            _traced_value(f, x), np.linalg.norm(x, ord, axis, keepdims), rtol=1e-12
        )
        check_grads(f, (x,), order=2)
    check_grads(lambda m: la.norm(m, ord), (x[0],), order=2)


def test_norm_at_zero_has_zero_gradient_not_nan():
    for ord in (None, 2, 1, 3, np.inf):
        assert np.all(wg.grad(lambda x, o=ord: la.norm(x, o))(np.zeros(3)) == 0)
    assert np.all(wg.hessian(la.norm)(np.zeros(3)) == 0)
    assert np.all(wg.grad(lambda m: la.norm(m, "fro"))(np.zeros((2, 2))) == 0)
    assert np.all(wg.grad(la.norm)(np.zeros((2, 3, 2))) == 0)  # axis=None, any ndim


def test_matrix_power_and_multi_dot():
    for n in (-2, 0, 1, 2, 5):
        np.testing.assert_allclose(
            _traced_value(lambda a, n=n: la.matrix_power(a, n), A),
            np.linalg.matrix_power(A, n),
            rtol=1e-10,
        )
    check_grads(lambda a: la.matrix_power(a, 3), (A,), order=2)
    check_grads(lambda a: la.matrix_power(a, -2), (A,), order=2)
    check_grads(lambda a: la.matrix_power(a, 2), (np.stack([A, A.T]),), order=2)
    v = RNG.standard_normal(3)
    for arrays in ((A, B), (v, A, B), (A, A, B, v[:2]), (B.T, A, A, A, B)):

        def f(*xs):
            return la.multi_dot(list(xs))

        np.testing.assert_allclose(
            _traced_value(f, *arrays), np.linalg.multi_dot(arrays), rtol=1e-10
        )
        check_grads(f, arrays, order=2)


def test_rank_and_cond_are_constants():
    def f(a):
        rank = la.matrix_rank(a)
        c = la.cond(a)
        assert not isinstance(rank, Tracer) and not isinstance(c, Tracer)
        return la.det(a) * c * rank

    g = wg.grad(f)(A)
    c = np.linalg.cond(A)
    np.testing.assert_allclose(g, 3 * c * np.linalg.det(A) * np.linalg.inv(A).T, rtol=1e-10)
    ranks = wg.vmap(la.matrix_rank)(np.stack([np.eye(3), np.diag([1.0, 0, 0])]))
    np.testing.assert_array_equal(ranks, [3, 1])


def test_errors_say_what_was_expected():
    with pytest.raises(np.linalg.LinAlgError, match="at least 2 dimensions"):
        wg.grad(lambda v: la.inv(v).sum())(np.ones(3))
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        wg.grad(lambda a: la.det(a))(np.ones((2, 3)))
    with pytest.raises(np.linalg.LinAlgError, match="square"):
        wg.grad(lambda a: wnp.real(la.eigvals(a).sum()))(np.ones((2, 3)))
    with pytest.raises(ValueError, match="UPLO"):
        wg.grad(lambda a: la.eigvalsh(a, UPLO="X").sum())(np.eye(2))
    with pytest.raises(NotImplementedError, match="raw"):
        wg.grad(lambda a: la.qr(a, mode="raw")[0].sum())(np.eye(2))
    with pytest.raises(ValueError, match="matrix norm"):
        wg.grad(lambda v: la.norm(v, "fro", axis=0))(np.ones(3))


def test_plain_inputs_return_numpys_own_results():
    assert la.norm(np.ones(4)) == 2.0
    assert isinstance(la.eigh(SPD), np.linalg._linalg.EighResult)
    np.testing.assert_array_equal(la.solve(A, B), np.linalg.solve(A, B))
