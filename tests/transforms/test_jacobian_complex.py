"""Jacobians with complex numbers: holomorphic=True gives f'(z); otherwise complex is refused."""

import warnings

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core.errors import WengertTypeError, WengertValueError

RNG = np.random.default_rng(11)
SWEEPS = ("fwd", "rev", "auto")


def _cvec(n):
    return RNG.normal(size=n) + 1j * RNG.normal(size=n)


def _all_jacobians(f, *args, **kw):
    """The complex Jacobian by every route: jacfwd, jacrev, jacobian per mode, in chunks."""
    out = {"jacfwd": wg.jacfwd(f, holomorphic=True, **kw)(*args),
           "jacrev": wg.jacrev(f, holomorphic=True, **kw)(*args),
           "jacfwd-chunk1": wg.jacfwd(f, holomorphic=True, chunk_size=1, **kw)(*args),
           "jacrev-chunk2": wg.jacrev(f, holomorphic=True, chunk_size=2, **kw)(*args)}
    for mode in SWEEPS:
        out[mode] = wg.jacobian(f, mode=mode, holomorphic=True, **kw)(*args)
    return out


def _fd_complex_jacobian(f, z, h=1e-6):
    """f'(z) by central differences along the real axis (for holomorphic f, the derivative)."""
    cols = []
    for k in range(z.size):
        e = np.zeros_like(z)
        e.reshape(-1)[k] = h
        d = (np.asarray(f(z + e)) - np.asarray(f(z - e))) / (2 * h)
        cols.append(d.reshape(-1))
    return np.stack(cols, axis=-1).reshape(np.shape(f(z)) + z.shape)


def test_square_has_jacobian_diag_2z():
    z = _cvec(4)
    for name, J in _all_jacobians(lambda z: z * z, z).items():
        assert J.dtype == np.complex128, name
        np.testing.assert_allclose(J, np.diag(2 * z), rtol=1e-12, err_msg=name)


def test_matrix_product_has_the_matrix_as_jacobian():
    A = RNG.normal(size=(3, 4)) + 1j * RNG.normal(size=(3, 4))
    z = _cvec(4)
    for name, J in _all_jacobians(lambda z: A @ z, z).items():
        np.testing.assert_allclose(J, A, rtol=1e-12, err_msg=name)


def test_matrix_argument_against_finite_differences():
    def f(Z):
        return wnp.sin(Z @ Z) * wnp.exp(Z[:, ::-1])

    Z = (RNG.normal(size=(2, 2)) + 1j * RNG.normal(size=(2, 2))) / 2
    expected = _fd_complex_jacobian(f, Z)
    for name, J in _all_jacobians(f, Z).items():
        assert J.shape == (2, 2, 2, 2), name
        np.testing.assert_allclose(J, expected, rtol=1e-6, atol=1e-8, err_msg=name)


def test_several_arguments_and_complex64():
    z, w = _cvec(2), _cvec(2)
    for name, (Jz, Jw) in _all_jacobians(lambda z, w: z * w ** 2, z, w,
                                         argnums=(0, 1)).items():
        np.testing.assert_allclose(Jz, np.diag(w ** 2), rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(Jw, np.diag(2 * z * w), rtol=1e-12, err_msg=name)
    z64 = z.astype(np.complex64)
    J = wg.jacrev(lambda z: z * z, holomorphic=True)(z64)
    assert J.dtype == np.complex64
    np.testing.assert_allclose(J, np.diag(2 * z64), rtol=1e-6)


def test_has_aux_and_hessian():
    z = _cvec(3)
    J, aux = wg.jacrev(lambda z: (wnp.exp(z), 5), has_aux=True, holomorphic=True)(z)
    np.testing.assert_allclose(J, np.diag(np.exp(z)), rtol=1e-12)
    assert aux == 5
    H = wg.hessian(lambda z: wnp.sum(z ** 3), holomorphic=True)(z)
    np.testing.assert_allclose(H, np.diag(6 * z), rtol=1e-12)
    H, aux = wg.hessian(lambda z: (z[0] * z[1] ** 2, 1), has_aux=True, holomorphic=True)(z)
    a, b = z[0], z[1]
    np.testing.assert_allclose(H, [[0, 2 * b, 0], [2 * b, 2 * a, 0], [0, 0, 0]], rtol=1e-12)


def test_complex_input_and_real_output_takes_reverse_mode():
    # As JAX: rows are gradients ∂f/∂x − i ∂f/∂y (the grad convention); the real basis of
    # forward mode would miss the imaginary directions, so jacfwd refuses.
    z = _cvec(3)

    def f(z):
        return wnp.stack([wnp.sum(wnp.abs(z) ** 2), wnp.sum(wnp.imag(z * z))])

    expected = np.stack([2 * np.conj(z), 2 * np.imag(z) - 2j * np.real(z)])
    for J in (wg.jacrev(f)(z), wg.jacrev(f, chunk_size=1)(z), wg.jacobian(f)(z)):
        np.testing.assert_allclose(J, expected, rtol=1e-13)
    J, report = wg.jacobian(f, explain=True)(z)
    assert report.choice == "rev" and "complex inputs" in report.reason
    with pytest.raises(WengertTypeError, match="forward mode needs real inputs.*use jacrev"):
        wg.jacfwd(f)(z)
    with pytest.raises(WengertTypeError, match="forward mode needs real inputs"):
        wg.jacobian(f, mode="fwd")(z)
    with pytest.raises(WengertTypeError, match="forward mode needs real inputs"):
        wg.hessian(lambda z: wnp.sum(wnp.abs(z) ** 2))(z)


def test_real_input_and_complex_output_takes_forward_mode():
    # A real-to-complex map has an exact complex Jacobian, column by column; real seeds of
    # reverse mode would give only its real part, so jacrev refuses.
    x = RNG.normal(size=3)
    c = np.array([1 + 2j, -1j, 0.5])

    def f(x):
        return c * wnp.exp(1j * x)

    expected = np.diag(1j * c * np.exp(1j * x))
    for J in (wg.jacfwd(f)(x), wg.jacfwd(f, chunk_size=2)(x), wg.jacobian(f)(x)):
        np.testing.assert_allclose(J, expected, rtol=1e-13)
    with pytest.raises(WengertTypeError, match="reverse mode needs real outputs.*use jacfwd"):
        wg.jacrev(f)(x)
    with pytest.raises(WengertTypeError, match="reverse mode needs real outputs"):
        wg.jacobian(f, mode="rev")(x)


@pytest.mark.parametrize("jac", [wg.jacfwd, wg.jacrev, wg.jacobian])
def test_complex_inputs_and_outputs_need_holomorphic(jac):
    # z ↦ conj(z) has no complex Jacobian: only a real 2n × 2n one, after splitting.
    with pytest.raises(WengertTypeError, match="holomorphic=True.*real and imaginary"):
        jac(wnp.conj)(_cvec(2))


@pytest.mark.parametrize("jac", [wg.jacfwd, wg.jacrev, wg.jacobian])
def test_holomorphic_requires_complex_inputs_and_outputs(jac):
    with pytest.raises(WengertTypeError, match="input 0 has dtype float64"):
        jac(lambda x: x * 1j, holomorphic=True)(np.ones(2))
    with pytest.raises(WengertTypeError, match="output 0 has dtype float64"):
        jac(lambda z: wnp.real(z), holomorphic=True)(_cvec(2))


def _through_complex(x):
    # Real in, real out, with R-linear (not C-linear) steps on complex values on the way:
    # the identity map, written so that treating conj as a complex scalar flips its sign.
    w = wnp.real(1j * wnp.conj(1j * x))
    return w * wnp.abs(wnp.fft.fft(x))


def test_real_function_through_complex_values_is_exact_and_warning_free():
    x = RNG.normal(size=3)
    eps = 1e-6
    expected = np.stack([(_through_complex(x + eps * e) - _through_complex(x - eps * e))
                         / (2 * eps) for e in np.eye(3)], axis=-1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for mode in SWEEPS:
            J = wg.jacobian(_through_complex, mode=mode)(x)
            assert J.dtype == np.float64
            np.testing.assert_allclose(J, expected, rtol=1e-6, atol=1e-8, err_msg=mode)
        _, report = wg.jacobian(_through_complex, explain=True)(x)
    assert report.mixed is None and report.choice != "mixed"


def test_mixed_mode_refuses_complex_values():
    # Vertex elimination would multiply conj's block as the complex number 1 and get -I.
    with pytest.raises(WengertValueError, match="mode='mixed'.*complex values"):
        wg.jacobian(_through_complex, mode="mixed")(np.ones(3))
    with pytest.raises(WengertValueError, match="mode='mixed'"):
        wg.jacobian(lambda z: z * z, mode="mixed", holomorphic=True)(_cvec(2))
