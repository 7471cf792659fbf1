"""Complex numbers through the transforms: the gradient convention, holomorphic=True, errors.

For a real f of z = x + iy, ``grad`` returns ∂f/∂x − i ∂f/∂y (JAX's and autograd's
convention, docs/design.md §5c); ``grad(f, holomorphic=True)`` returns f'(z); a complex
output without it is refused. Compositions (reductions, products, indexing, shape functions)
need no rules of their own and are checked with ``check_grads`` along complex directions.
"""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core.errors import WengertError
from wengert.testing import check_grads, check_jvp_vjp_consistency, numerical_grad

Z = np.array([1.0 + 2.0j, -0.5 + 0.3j, 0.25 - 1.5j])
W = np.array([[0.3 - 0.2j, 1.1 + 0.4j, -0.7j], [0.5 + 0.5j, -1.0 + 0.1j, 0.2 + 0.9j]])


# --- the convention ---------------------------------------------------------------------------


def test_grad_of_abs_squared_is_twice_the_conjugate():
    # JAX's documented example: grad(|z|²) = 2 conj(z).
    g = wg.grad(lambda z: wnp.abs(z) ** 2)(np.complex128(3.0 - 4.0j))
    assert np.isclose(g, 6.0 + 8.0j, rtol=1e-15)
    np.testing.assert_allclose(wg.grad(lambda z: wnp.sum(wnp.abs(z) ** 2))(Z), 2 * np.conj(Z),
                               rtol=1e-15)


def test_grad_of_real_valued_function_is_df_dx_minus_i_df_dy():
    def f(z):
        return wnp.sum(wnp.real(z) ** 2 * wnp.imag(z) + wnp.abs(wnp.sin(z)) + wnp.angle(z))

    x, y = Z.real, Z.imag
    eps = 1e-6

    def f_xy(x, y):
        z = x + 1j * y
        return np.sum(x**2 * y + np.abs(np.sin(z)) + np.angle(z))

    df_dx = np.array([(f_xy(x + eps * e, y) - f_xy(x - eps * e, y)) / (2 * eps)
                      for e in np.eye(3)])
    df_dy = np.array([(f_xy(x, y + eps * e) - f_xy(x, y - eps * e)) / (2 * eps)
                      for e in np.eye(3)])
    g = wg.grad(f)(Z)
    np.testing.assert_allclose(g.real, df_dx, rtol=1e-7)
    np.testing.assert_allclose(g.imag, -df_dy, rtol=1e-7)
    np.testing.assert_allclose(g, numerical_grad(f, Z), rtol=1e-7)


def test_holomorphic_grad_is_the_complex_derivative():
    assert wg.grad(lambda z: z * z, holomorphic=True)(np.complex128(1 + 2j)) == 2 + 4j
    np.testing.assert_allclose(
        wg.grad(lambda z: wnp.sum(wnp.exp(z) * wnp.sin(z)), holomorphic=True)(Z),
        np.exp(Z) * (np.sin(Z) + np.cos(Z)), rtol=1e-14)
    val, g = wg.value_and_grad(lambda z: wnp.sum(z**3), holomorphic=True)(Z)
    assert val == np.sum(Z**3)
    np.testing.assert_allclose(g, 3 * Z**2, rtol=1e-14)


def test_real_input_through_complex_intermediates():
    # |x e^{ix}|² = x²: the gradient is 2x, real, and of the input's dtype.
    x = np.array([0.3, -1.2, 2.0])
    g = wg.grad(lambda v: wnp.sum(wnp.abs(v * wnp.exp(1j * v)) ** 2))(x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, 2 * x, rtol=1e-14)
    check_grads(lambda v: wnp.exp(1j * v) * v, (x,))
    x32 = x.astype(np.float32)
    g32 = wg.grad(lambda v: wnp.sum(wnp.real(wnp.exp(1j * v))))(x32)
    assert g32.dtype == np.float32


def test_complex64_in_complex64_out():
    z = Z.astype(np.complex64)
    assert wg.grad(lambda w: wnp.sum(wnp.abs(w) ** 2))(z).dtype == np.complex64
    assert wg.grad(lambda w: wnp.sum(w * w), holomorphic=True)(z).dtype == np.complex64
    assert wg.jvp(wnp.exp, (z,), (z,))[1].dtype == np.complex64


def test_jvp_vjp_pairing_is_bilinear_without_conjugation():
    f = lambda z: z * z * W[0]
    u = np.array([0.5 - 1.0j, 2.0j, 1.0 + 1.0j])
    v = np.array([1.0 + 0.5j, -0.3 + 0.0j, 0.7 - 2.0j])
    _, jv = wg.jvp(f, (Z,), (v,))
    (vjp_u,) = wg.vjp(f, Z)[1](u)
    # Re Σ u·(Jv) = Re Σ (Jᵀu)·v, with J = diag(2 z W0) (a holomorphic map: Jᵀu = J u).
    np.testing.assert_allclose(jv, 2 * Z * W[0] * v, rtol=1e-14)
    np.testing.assert_allclose(vjp_u, 2 * Z * W[0] * u, rtol=1e-14)
    assert np.isclose(np.sum(u * jv).real, np.sum(vjp_u * v).real, rtol=1e-14)
    check_jvp_vjp_consistency(lambda z: wnp.conj(z) * wnp.abs(z), (Z,))


# --- Jacobians, Hessians and vmap -------------------------------------------------------------


@pytest.mark.parametrize("jac", [wg.jacfwd, wg.jacrev, wg.jacobian])
def test_jacobian_of_holomorphic_function_is_diag_of_the_derivative(jac):
    J = jac(lambda z: z**3, holomorphic=True)(Z)
    np.testing.assert_allclose(J, np.diag(3 * Z**2), rtol=1e-14)
    A = W[:, :2]
    np.testing.assert_allclose(jac(lambda z: A @ z, holomorphic=True)(Z[:2]), A, rtol=1e-15)


def test_jacrev_of_real_valued_function_follows_the_grad_convention():
    f = lambda z: wnp.stack([wnp.sum(wnp.abs(z) ** 2), wnp.sum(wnp.real(z))])
    J = wg.jacrev(f)(Z)
    np.testing.assert_allclose(J[0], 2 * np.conj(Z), rtol=1e-15)
    np.testing.assert_allclose(J[1], np.ones(3), rtol=1e-15)


def test_hessian_of_real_function_of_real_input_through_complex_values():
    x = np.array([0.3, -1.2])
    # f(x) = Σ |x² e^{ix}| = Σ x²: Hessian 2 I.
    H = wg.hessian(lambda v: wnp.sum(wnp.abs(v * v * wnp.exp(1j * v))))(x)
    np.testing.assert_allclose(H, 2 * np.eye(2), rtol=1e-12, atol=1e-14)
    check_grads(lambda v: wnp.real(wnp.exp(1j * v) * v**2), (x,), order=3)


def test_holomorphic_second_derivative_by_forward_over_reverse():
    z = np.complex128(0.4 + 0.7j)
    d2 = wg.jvp(wg.grad(lambda w: wnp.exp(2 * w), holomorphic=True), (z,), (1.0 + 0j,))[1]
    np.testing.assert_allclose(d2, 4 * np.exp(2 * z), rtol=1e-14)


def test_vmap_over_complex_batches():
    zs = np.stack([Z, 2 * Z, Z * 1j])
    out = wg.vmap(lambda z: wnp.sum(wnp.abs(z) ** 2))(zs)
    np.testing.assert_allclose(out, np.sum(np.abs(zs) ** 2, axis=1), rtol=1e-14)
    grads = wg.vmap(wg.grad(lambda z: wnp.sum(wnp.abs(z) ** 2)))(zs)
    np.testing.assert_allclose(grads, 2 * np.conj(zs), rtol=1e-15)
    np.testing.assert_allclose(wg.vmap(lambda z: wnp.conj(z) * wnp.real(z))(zs),
                               np.conj(zs) * zs.real, rtol=1e-15)


# --- compositions: reductions, products, indexing --------------------------------------------

COMPOSED = {
    "sum": lambda z: wnp.sum(z * z, axis=1),
    "prod": lambda z: wnp.prod(z, axis=0),
    "mean": wnp.mean,
    "cumsum": lambda z: wnp.cumsum(z, axis=1),
    "cumprod": lambda z: wnp.cumprod(z, axis=1),
    "var": lambda z: wnp.var(z, axis=1),
    "std": lambda z: wnp.std(z, axis=0),
    "matmul": lambda z: z @ z.T,
    "einsum": lambda z: wnp.einsum("ij,kj->ik", z, wnp.conj(z)),
    "vdot": lambda z: wnp.vdot(z, z * z),
    "dot": lambda z: wnp.dot(z[0], z[1]),
    "getitem": lambda z: z[::-1, 1:] * z[0, 0],
    "transpose-reshape": lambda z: wnp.reshape(z.T, (-1,)) * z.mT.ravel(),
    "concatenate": lambda z: wnp.concatenate([z, wnp.conj(z)], axis=0),
    "where": lambda z: wnp.where(np.array([[True, False, True]]), z, 2 * z),
    "roll": lambda z: wnp.roll(z, 1, axis=1),
    "real-imag-methods": lambda z: z.real * z.imag + wnp.conjugate(z).real,
}


@pytest.mark.parametrize("name", sorted(COMPOSED))
def test_compositions_differentiate_along_complex_directions(name):
    f = COMPOSED[name]
    np.testing.assert_allclose(f(W), _plain(f)(W), rtol=1e-14)
    check_grads(f, (W,), order=2)
    check_jvp_vjp_consistency(f, (W,))


def _plain(f):
    # The same composition evaluated by NumPy (wengert.numpy passes plain arrays through).
    return lambda z: f(np.asarray(z))


def test_var_of_complex_is_real_mean_squared_distance():
    assert wnp.var(wg.jvp(lambda z: z, (Z,), (Z,))[0]).dtype == np.float64
    g = wg.grad(lambda z: wnp.var(z))(Z)
    np.testing.assert_allclose(g, 2 * np.conj(Z - Z.mean()) / Z.size, rtol=1e-14)


def test_sum_of_abs_fft_like_sum_is_linear_in_complex_directions():
    # A complex linear map written with matmul: its transpose (no conjugation) is the VJP.
    n = 4
    F = np.exp(-2j * np.pi * np.outer(np.arange(n), np.arange(n)) / n)
    x = np.arange(1.0, 5.0) + 0.5j
    (ct,) = wg.vjp(lambda v: F @ v, x)[1](np.ones(n, complex))
    np.testing.assert_allclose(ct, F.T @ np.ones(n), rtol=1e-14, atol=1e-14)


# --- errors -----------------------------------------------------------------------------------


def test_grad_of_complex_output_without_holomorphic_says_what_to_do():
    with pytest.raises(WengertError, match="holomorphic=True") as info:
        wg.grad(lambda z: z * z)(np.complex128(1 + 1j))
    assert isinstance(info.value, TypeError)
    assert "wnp.abs" in str(info.value) and "complex128" in str(info.value)


def test_holomorphic_requires_complex_input_and_output():
    with pytest.raises(WengertError, match="must be complex"):
        wg.grad(lambda z: z * z, holomorphic=True)(1.5)
    with pytest.raises(WengertError, match="must return a complex scalar"):
        wg.grad(lambda z: wnp.abs(z), holomorphic=True)(np.complex128(1 + 1j))


@pytest.mark.parametrize("fn", [
    lambda z: wnp.maximum(z, 0.0),
    lambda z: wnp.minimum(z, z),
    lambda z: wnp.fmax(z, 1.0),
    lambda z: wnp.fmin(1.0, z),
    lambda z: wnp.clip(z, -1.0, 1.0),
], ids=["maximum", "minimum", "fmax", "fmin", "clip"])
def test_orderings_of_complex_traced_values_are_refused(fn):
    with pytest.raises(WengertError, match="lexicographically") as info:
        wg.jvp(fn, (Z,), (Z,))
    assert isinstance(info.value, TypeError)
    fn(Z)  # plain NumPy input keeps NumPy's behaviour


def test_comparisons_of_complex_values_are_plain_and_non_differentiable():
    out = wg.jvp(lambda z: wnp.where(z == Z, z, 0.0), (Z,), (Z,))
    np.testing.assert_array_equal(out[1], Z)
    assert np.array_equal(wg.jvp(lambda z: z != 0, (Z,), (Z,))[0], Z != 0)


def test_real_if_close_on_traced_input():
    z = np.array([1.0 + 1e-20j, 2.0])
    out, out_dot = wg.jvp(wnp.real_if_close, (z,), (np.ones(2, complex),))
    assert out.dtype == np.float64 and out_dot.dtype == np.float64
    out, _ = wg.jvp(wnp.real_if_close, (Z,), (Z,))
    assert out.dtype == np.complex128
