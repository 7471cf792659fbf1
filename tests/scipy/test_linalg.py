"""``wengert.scipy.linalg`` against closed forms and independent methods.

The spec table in tests/primitives/test_scipy_linalg.py checks every function against finite
differences; here each derivative is compared with a formula that does not use the rule being
tested: the eigendecomposition formula for expm's Fréchet derivative, d/dt expm(tA) = A
expm(tA), sqrtm(A)² = A and d tr sqrtm(A) = ½ tr(sqrtm(A)⁻¹ dA), the Sylvester residual and
its derivative, dense solves for the triangular, Cholesky and banded solves, and d log det A.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl

import wengert as wg
import wengert.numpy as wnp
import wengert.scipy.linalg as wsl
from wengert.core.errors import WengertValueError
from wengert.testing import check_grads

RNG = np.random.default_rng(20)


def _spd(n, rng=RNG):
    m = rng.standard_normal((n, n))
    return m @ m.T + n * np.eye(n)


def test_expm_frechet_matches_the_eigendecomposition_formula():
    # A = V diag(λ) V⁻¹ (non-normal): L(A, E) = V (F ∘ (V⁻¹ E V)) V⁻¹ with the divided
    # differences F_ij = (e^λi - e^λj) / (λi - λj).
    rng = np.random.default_rng(1)
    v = rng.standard_normal((3, 3)) + 2 * np.eye(3)
    lam = np.array([-0.5, 0.3, 1.1])
    a = v @ np.diag(lam) @ np.linalg.inv(v)
    e = rng.standard_normal((3, 3))
    el = np.exp(lam)
    diff = lam[:, None] - lam[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(np.eye(3, dtype=bool), el[:, None],
                     (el[:, None] - el[None, :]) / np.where(diff == 0, 1, diff))
    vinv = np.linalg.inv(v)
    expected = v @ (f * (vinv @ e @ v)) @ vinv
    out, tangent = wg.jvp(wsl.expm, (a,), (e,))
    np.testing.assert_allclose(out, v @ np.diag(el) @ vinv, rtol=1e-12)
    np.testing.assert_allclose(tangent, expected, rtol=1e-10, atol=1e-12)
    # Reverse mode: ⟨G, L(A, E)⟩ = ⟨Ā, E⟩ for the same formula.
    g = rng.standard_normal((3, 3))
    _, f_vjp = wg.vjp(wsl.expm, a)
    np.testing.assert_allclose(np.sum(f_vjp(g)[0] * e), np.sum(g * expected), rtol=1e-10)


def test_expm_time_derivative_is_a_times_expm():
    a = np.array([[0.2, 1.0, 0.0], [0.0, -0.3, 2.0], [0.5, 0.0, 0.1]])
    for t in (0.0, 0.7, 1.5):
        _, d = wg.jvp(lambda t: wsl.expm(t * a), (t,), (1.0,))
        np.testing.assert_allclose(d, a @ sl.expm(t * a), rtol=1e-11, atol=1e-13)
        d2 = wg.jvp(lambda t: wg.jvp(lambda s: wsl.expm(s * a), (t,), (1.0,))[1],
                    (t,), (1.0,))[1]
        np.testing.assert_allclose(d2, a @ a @ sl.expm(t * a), rtol=1e-10, atol=1e-12)
    # grad of tr expm(A) is expm(A)ᵀ.
    g = wg.grad(lambda a: wnp.trace(wsl.expm(a)))(a)
    np.testing.assert_allclose(g, sl.expm(a).T, rtol=1e-11)


def test_sqrtm_squares_back_and_trace_gradient():
    a = 2 * np.eye(3) + 0.3 * np.random.default_rng(2).standard_normal((3, 3))
    s = wsl.sqrtm(a)
    np.testing.assert_allclose(s @ s, a, rtol=1e-12, atol=1e-12)
    # The derivative of S² = A: S dS + dS S = dA.
    e = np.random.default_rng(3).standard_normal((3, 3))
    _, ds = wg.jvp(wsl.sqrtm, (a,), (e,))
    np.testing.assert_allclose(s @ ds + ds @ s, e, rtol=1e-10, atol=1e-12)
    # d tr S = ½ tr(S⁻¹ dA), so the gradient of tr S is ½ S⁻ᵀ.
    g = wg.grad(lambda a: wnp.trace(wsl.sqrtm(a)))(a)
    np.testing.assert_allclose(g, 0.5 * np.linalg.inv(s).T, rtol=1e-10)


def test_sqrtm_of_real_matrix_without_real_root_raises():
    a = np.diag([4.0, -1.0])
    assert np.iscomplexobj(wsl.sqrtm(a))  # plain input: SciPy's complex answer
    with pytest.raises(WengertValueError, match="real principal square root"):
        wg.grad(lambda a: wnp.sum(wsl.sqrtm(a)))(a)
    # A complex matrix has a complex root, whose JVP satisfies S dS + dS S = dA.
    z = a.astype(complex)
    s, ds = wg.jvp(wsl.sqrtm, (z,), (np.eye(2, dtype=complex),))
    np.testing.assert_allclose(s @ ds + ds @ s, np.eye(2), atol=1e-12)


def test_sylvester_residual_and_its_derivative():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((2, 2)) + 3 * np.eye(2)
    q = rng.standard_normal((3, 2))
    da, db, dq = (rng.standard_normal(x.shape) for x in (a, b, q))
    x, dx = wg.jvp(wsl.solve_sylvester, (a, b, q), (da, db, dq))
    np.testing.assert_allclose(a @ x + x @ b, q, rtol=1e-12, atol=1e-12)
    # Differentiating A X + X B = Q: dA X + A dX + dX B + X dB = dQ.
    np.testing.assert_allclose(da @ x + a @ dx + dx @ b + x @ db, dq, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("trans", [0, 1, 2, "N", "T", "C"])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("unit", [True, False])
def test_solve_triangular_against_a_dense_solve(trans, lower, unit):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((4, 4)) + 4 * np.eye(4)
    b = rng.standard_normal(4)
    t = np.tril(a) if lower else np.triu(a)
    if unit:
        t = t - np.diag(np.diag(t)) + np.eye(4)
    m = t if trans in (0, "N") else t.T
    x = wsl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)
    np.testing.assert_allclose(x, np.linalg.solve(m, b), rtol=1e-12)
    # grad of sum(x) in b is M⁻ᵀ 1; in a it is -(M⁻ᵀ 1) xᵀ (transposed for op = ᵀ), masked.
    ga, gb = wg.grad(lambda a, b: wnp.sum(
        wsl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)),
        argnums=(0, 1))(a, b)
    b_bar = np.linalg.solve(m.T, np.ones(4))
    np.testing.assert_allclose(gb, b_bar, rtol=1e-12)
    full = -np.outer(b_bar, x) if trans in (0, "N") else -np.outer(x, b_bar)
    mask = np.tri(4, 4, -1 if unit else 0)
    np.testing.assert_allclose(ga, full * (mask if lower else mask.T), rtol=1e-11, atol=1e-14)


def test_cho_factor_and_solve_match_dense_algebra():
    a = _spd(4)
    b = RNG.standard_normal((4, 2))
    for lower in (True, False):
        (c, flag), _ = wg.jvp(lambda a, lo=lower: wsl.cho_factor(a, lower=lo), (a,), (a,))
        assert bool(flag) is lower  # jvp returns the flag as a 0-d array
        np.testing.assert_allclose(c @ c.T if lower else c.T @ c, a, rtol=1e-12)
        x, dx = wg.jvp(lambda a, b, lo=lower: wsl.cho_solve(wsl.cho_factor(a, lower=lo), b),
                       (a, b), (np.eye(4), np.zeros_like(b)))
        np.testing.assert_allclose(x, np.linalg.solve(a, b), rtol=1e-12)
        # d(A⁻¹ b) along dA = I is -A⁻¹ A⁻¹ b.
        np.testing.assert_allclose(dx, -np.linalg.solve(a, x), rtol=1e-10)


def _hpd(rng, n):
    """A complex Hermitian positive-definite matrix B Bᴴ + n I."""
    b = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    return b @ b.conj().T + n * np.eye(n)


def test_complex_cho_factor_and_solve_match_scipy():
    rng = np.random.default_rng(11)
    a = _hpd(rng, 3)
    a_read = a + np.triu(rng.standard_normal((3, 3)), 1) + 0.5j * np.eye(3)  # unread entries
    b = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    for lower in (True, False):
        junk = a_read if lower else a_read.conj().T
        (c, _), _ = wg.jvp(lambda a, lo=lower: wsl.cho_factor(a, lower=lo), (junk,), (junk,))
        ref = sl.cho_factor(junk, lower=lower)[0]
        np.testing.assert_allclose(c, np.tril(ref) if lower else np.triu(ref), rtol=1e-12)
        np.testing.assert_allclose(c @ c.conj().T if lower else c.conj().T @ c, a, rtol=1e-12)
        x, dx = wg.jvp(lambda a, b, lo=lower: wsl.cho_solve(wsl.cho_factor(a, lower=lo), b),
                       (a, b), (np.eye(3, dtype=complex), np.zeros_like(b)))
        np.testing.assert_allclose(x, sl.cho_solve(sl.cho_factor(a, lower=lower), b),
                                   rtol=1e-12)
        np.testing.assert_allclose(dx, -np.linalg.solve(a, x), rtol=1e-10)


@pytest.mark.parametrize("lower", [True, False])
def test_complex_cho_factor_and_solve_second_order(lower):
    # Hermitian-preserving parametrisations A = B Bᴴ + n I with B complex, both modes.
    rng = np.random.default_rng(12)
    n = 2
    bmat = rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))
    rhs = rng.standard_normal(n) + 1j * rng.standard_normal(n)

    def hpd(b):
        return b @ wnp.conj(wnp.swapaxes(b, -1, -2)) + n * np.eye(n)

    check_grads(lambda b: wsl.cho_factor(hpd(b), lower=lower)[0], (bmat,), order=2)
    check_grads(lambda b, r: wsl.cho_solve(wsl.cho_factor(hpd(b), lower=lower), r),
                (bmat, rhs), order=2)
    # cho_solve alone, differentiable in a complex factor c and right-hand side b.
    c = sl.cho_factor(_hpd(rng, n), lower=lower)[0]
    c = np.tril(c) if lower else np.triu(c)
    check_grads(lambda c, r: wsl.cho_solve((c, lower), r), (c, rhs), order=2)


def test_log_det_through_cho_factor_has_the_inverse_as_gradient():
    # log det A = 2 Σ log diag L, d log det A = tr(A⁻¹ dA). Only the lower triangle is read, so
    # the gradient is A⁻¹ on the diagonal and 2 A⁻¹ below it (each entry stands for two).
    a = _spd(4)
    g = wg.grad(lambda a: 2 * wnp.sum(wnp.log(wnp.diagonal(wsl.cho_factor(a, lower=True)[0]))))(a)
    inv = np.linalg.inv(a)
    np.testing.assert_allclose(g, np.tril(2 * inv, -1) + np.diag(np.diag(inv)), rtol=1e-11,
                               atol=1e-14)


def test_solve_banded_matches_the_dense_solve_and_its_gradient():
    rng = np.random.default_rng(6)
    lower, upper, n = 1, 2, 5
    ab = rng.standard_normal((lower + upper + 1, n))
    ab[upper] += 8
    dense = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if -upper <= i - j <= lower:
                dense[i, j] = ab[upper + i - j, j]
    b = rng.standard_normal(n)
    x = wsl.solve_banded((lower, upper), ab, b)
    np.testing.assert_allclose(x, np.linalg.solve(dense, b), rtol=1e-12)
    gab, gb = wg.grad(lambda ab, b: wnp.sum(wsl.solve_banded((lower, upper), ab, b)),
                      argnums=(0, 1))(ab, b)
    b_bar = np.linalg.solve(dense.T, np.ones(n))
    np.testing.assert_allclose(gb, b_bar, rtol=1e-12)
    a_bar = -np.outer(b_bar, x)
    expected = np.zeros_like(ab)
    for k in range(lower + upper + 1):
        for j in range(n):
            i = k - upper + j
            if 0 <= i < n:
                expected[k, j] = a_bar[i, j]
    np.testing.assert_allclose(gab, expected, rtol=1e-11, atol=1e-14)


def test_plain_inputs_return_scipys_results():
    a = _spd(3)
    b = np.arange(3.0)
    np.testing.assert_array_equal(wsl.expm(a), sl.expm(a))
    np.testing.assert_array_equal(wsl.sqrtm(a), sl.sqrtm(a))
    np.testing.assert_array_equal(wsl.solve_triangular(a, b), sl.solve_triangular(a, b))
    np.testing.assert_array_equal(wsl.solve_sylvester(a, a, a), sl.solve_sylvester(a, a, a))
    c, lower = wsl.cho_factor(a)
    np.testing.assert_array_equal(c, np.triu(sl.cho_factor(a)[0]))
    assert lower is False
    np.testing.assert_array_equal(wsl.cho_solve((c, lower), b), sl.cho_solve((c, lower), b))


def test_errors_name_the_function_and_the_fix():
    x = np.ones((2, 3))
    with pytest.raises(WengertValueError, match="expm: expected A to be a square matrix"):
        wg.grad(lambda x: wnp.sum(wsl.expm(x)))(x)
    with pytest.raises(WengertValueError, match="trans to be 0, 1, 2"):
        wsl.solve_triangular(np.eye(2), np.ones(2), trans="X")
    with pytest.raises(WengertValueError, match="b of shape"):
        wg.grad(lambda a: wnp.sum(wsl.solve_triangular(a, np.ones(3))))(np.eye(2))
    with pytest.raises(WengertValueError, match="l_and_u"):
        wsl.solve_banded((1, -1), np.ones((3, 3)), np.ones(3))
    with pytest.raises(WengertValueError, match=r"ab of shape \(\.\.\., l \+ u \+ 1, n\)"):
        wg.grad(lambda ab: wnp.sum(wsl.solve_banded((1, 1), ab, np.ones(3))))(np.ones((2, 3)))
    with pytest.raises(WengertValueError, match="q of shape"):
        wg.grad(lambda q: wnp.sum(wsl.solve_sylvester(np.eye(2), np.eye(3), q)))(np.ones((3, 2)))
    with pytest.raises(WengertValueError, match="c_and_lower"):
        wsl.cho_solve(np.eye(2), np.ones(2))
