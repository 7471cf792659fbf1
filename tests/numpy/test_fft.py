"""``wengert.numpy.fft`` against ``numpy.fft``: every function, every norm, odd and even n.

Each case checks: plain input gives NumPy's result exactly; traced input gives NumPy's value,
shape and dtype (rfft of real input is complex, irfft of complex input is real; float32 and
complex64 stay single precision); derivatives to order 2 in both modes (complex directions
for complex input); the exact cross-check Re(u·Jv) = Re(Jᵀu·v). Then closed forms: Parseval
(grad of Σ|fft(x)|² is 2 n x), the round trips, the Hermitian convention of irfft, and errors.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core.errors import WengertError
from wengert.testing import check_grads, check_jvp_vjp_consistency

SEED = 20240615
NORMS = [None, "backward", "ortho", "forward"]


def _real(shape, seed=SEED):
    return np.random.default_rng(seed).standard_normal(shape)


def _complex(shape, seed=SEED):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


class Case(NamedTuple):
    name: str
    kwargs: dict
    shape: tuple
    real_input: bool  # draw real input (rfft family); otherwise complex


def _cases():
    for name in ("fft", "ifft", "rfft", "irfft"):
        real = name == "rfft"
        for n in (None, 1, 4, 5, 8, 9):
            yield Case(name, {"n": n}, (7,), real)
        for norm in NORMS:
            yield Case(name, {"norm": norm, "axis": 0}, (6, 2), real)
            yield Case(name, {"norm": norm, "n": 3}, (2, 4), real)
    for name in ("fftn", "ifftn", "rfftn", "irfftn", "fft2", "ifft2", "rfft2", "irfft2"):
        real = name.startswith("rfft")
        yield Case(name, {}, (3, 4), real)
        yield Case(name, {"axes": (0,)}, (3, 4), real)
        yield Case(name, {"s": (4, 5), "axes": (1, 0)}, (3, 4), real)
        yield Case(name, {"s": (2, -1), "axes": (0, 2)}, (3, 2, 4), real)
        for norm in ("ortho", "forward"):
            yield Case(name, {"norm": norm}, (2, 3, 5), real)
    for name in ("fftshift", "ifftshift"):
        for axes in (None, 0, (1,), (0, 1)):
            yield Case(name, {"axes": axes}, (3, 4), False)
            yield Case(name, {"axes": axes}, (5, 2), True)


CASES = [pytest.param(c, id=f"{c.name}-{c.shape}-{c.kwargs}-{'real' if c.real_input else 'cx'}")
         for c in _cases()]


def _input(case):
    return _real(case.shape) if case.real_input else _complex(case.shape)


def _fns(case) -> tuple[Callable, Callable]:
    return (lambda a: getattr(wnp.fft, case.name)(a, **case.kwargs),
            lambda a: getattr(np.fft, case.name)(a, **case.kwargs))


@pytest.mark.parametrize("case", CASES)
def test_value_shape_dtype_like_numpy(case):
    fn, ref = _fns(case)
    x = _input(case)
    assert np.array_equal(fn(x), ref(x))  # plain input: NumPy's own call
    expected = ref(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, out_dot = wg.jvp(fn, (x,), (x,))
    assert out.shape == expected.shape and out.dtype == expected.dtype
    assert out_dot.dtype == expected.dtype
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    # Every function here is linear, so the JVP along x is the value again.
    np.testing.assert_allclose(out_dot, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_grads(case):
    fn, _ = _fns(case)
    x = _input(case)
    check_grads(fn, (x,), order=2, modes=("fwd", "rev"))
    check_jvp_vjp_consistency(fn, (x,), rng=np.random.default_rng(1))


@pytest.mark.parametrize("name", ["fft", "ifft", "irfft", "fftn", "irfftn", "fftshift"])
def test_real_input_to_complex_transforms(name):
    # Real input is cast to complex; its gradient is real (the real part of the cotangent).
    x = _real((4, 6))
    fn = getattr(wnp.fft, name)
    np.testing.assert_allclose(wg.jvp(fn, (x,), (x,))[0], getattr(np.fft, name)(x),
                               rtol=1e-12, atol=1e-12)
    check_grads(fn, (x,), order=2)
    assert wg.grad(lambda v: wnp.sum(wnp.real(fn(v)) ** 2))(x).dtype == np.float64


@pytest.mark.parametrize("name, make", [("fft", _complex), ("rfft", _real), ("irfft", _complex),
                                        ("fftn", _complex), ("irfftn", _complex)])
def test_single_precision_stays_single(name, make):
    x = make((4, 6)).astype(np.complex64 if make is _complex else np.float32)
    fn = getattr(wnp.fft, name)
    out = wg.jvp(fn, (x,), (x,))[0]
    assert out.dtype == getattr(np.fft, name)(x).dtype
    g = wg.grad(lambda v: wnp.sum(wnp.abs(fn(v)) ** 2))(x)
    assert g.dtype == x.dtype


# --- closed forms -----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 8])
def test_parseval_gradient_is_2_n_x(n):
    # Σ|fft(x)|² = n Σ|x|², so its gradient is 2 n x (2 n conj(z) for complex z, by the
    # convention ∂f/∂x − i ∂f/∂y).
    x = _real(n)
    z = _complex(n)
    f = lambda v: wnp.sum(wnp.abs(wnp.fft.fft(v)) ** 2)
    np.testing.assert_allclose(wg.grad(f)(x), 2 * n * x, rtol=1e-12)
    np.testing.assert_allclose(wg.grad(f)(z), 2 * n * np.conj(z), rtol=1e-12)
    ortho = lambda v: wnp.sum(wnp.abs(wnp.fft.fft(v, norm="ortho")) ** 2)
    np.testing.assert_allclose(wg.grad(ortho)(z), 2 * np.conj(z), rtol=1e-12)


def test_fft_vjp_is_fft_and_ifft_vjp_is_ifft():
    z, g = _complex(6), _complex(6, 1)
    np.testing.assert_allclose(wg.vjp(wnp.fft.fft, z)[1](g)[0], np.fft.fft(g), rtol=1e-13)
    np.testing.assert_allclose(wg.vjp(wnp.fft.ifft, z)[1](g)[0], np.fft.ifft(g), rtol=1e-13)


@pytest.mark.parametrize("n", [6, 7])
def test_rfft_vjp_in_closed_form(n):
    # rfft(x) = P F x with P the first n//2 + 1 rows, so the VJP is Re(Fᵀ Pᵀ g).
    x, g = _real(n), _complex(n // 2 + 1, 1)
    padded = np.concatenate([g, np.zeros(n - g.size)])
    np.testing.assert_allclose(wg.vjp(wnp.fft.rfft, x)[1](g)[0], np.fft.fft(padded).real,
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("n", [6, 7])
def test_irfft_ignores_the_imaginary_parts_numpy_ignores(n):
    # The imaginary part of X[0] (and of X[n/2] for even n) never reaches the output.
    X = _complex(n // 2 + 1)
    g = _real(n, 1)
    (X_bar,) = wg.vjp(lambda v: wnp.fft.irfft(v, n=n), X)[1](g)
    t = np.zeros_like(X)
    t[0] = 1j
    if n % 2 == 0:
        t[-1] = 1j
    np.testing.assert_array_equal(wg.jvp(lambda v: wnp.fft.irfft(v, n=n), (X,), (t,))[1],
                                  np.zeros(n))
    assert X_bar[0].imag == 0 and (n % 2 or X_bar[-1].imag == 0)
    # Directional derivatives of NumPy's own irfft (linear in X) match the JVP exactly.
    for k in range(X.size):
        for direction in (1.0, 1j):
            e = np.zeros_like(X)
            e[k] = direction
            _, dot = wg.jvp(lambda v: wnp.fft.irfft(v, n=n), (X,), (e,))
            np.testing.assert_allclose(dot, np.fft.irfft(e, n=n), atol=1e-15)


def test_round_trips_are_the_identity_with_identity_jacobian():
    x = _real(7)
    z = _complex((3, 4))
    roundtrip_r = lambda v: wnp.fft.irfft(wnp.fft.rfft(v), n=7)
    roundtrip_c = lambda v: wnp.fft.ifftn(wnp.fft.fftn(v, norm="ortho"), norm="ortho")
    np.testing.assert_allclose(wg.jacfwd(roundtrip_r)(x), np.eye(7), atol=1e-14)
    np.testing.assert_allclose(wg.jacrev(roundtrip_r)(x), np.eye(7), atol=1e-14)
    t = _complex((3, 4), 1)
    np.testing.assert_allclose(wg.jvp(roundtrip_c, (z,), (t,))[1], t, atol=1e-14)
    np.testing.assert_allclose(wg.vjp(roundtrip_c, z)[1](t)[0], t, atol=1e-14)


def test_shifts_are_rolls_and_inverse_of_each_other():
    z = _complex((5, 4))
    f = lambda v: wnp.fft.ifftshift(wnp.fft.fftshift(v))
    np.testing.assert_array_equal(wg.jvp(f, (z,), (z,))[1], z)
    (ct,) = wg.vjp(wnp.fft.fftshift, z)[1](z)
    np.testing.assert_array_equal(ct, np.fft.ifftshift(z))


def test_vmap_and_hessian():
    zs = _complex((3, 8))
    out = wg.vmap(lambda v: wnp.fft.rfft(wnp.real(v), n=6))(zs)
    np.testing.assert_allclose(out, np.fft.rfft(zs.real, n=6), rtol=1e-12, atol=1e-12)
    out = wg.vmap(wnp.fft.fft2, in_axes=2)(_complex((3, 4, 2)))
    np.testing.assert_allclose(out, np.stack([np.fft.fft2(e) for e in
                                              np.moveaxis(_complex((3, 4, 2)), 2, 0)]),
                               rtol=1e-12, atol=1e-12)
    # The Hessian of Σ|rfft(x)|² is a constant matrix: 2 Re(Fᵀ Pᵀ P F).
    x = _real(5)
    H = wg.hessian(lambda v: wnp.sum(wnp.abs(wnp.fft.rfft(v)) ** 2))(x)
    F = np.fft.fft(np.eye(5), axis=0)
    P = F[:3]
    np.testing.assert_allclose(H, 2 * np.real(P.conj().T @ P), rtol=1e-12, atol=1e-12)


# --- errors -----------------------------------------------------------------------------------


def _traced(fn):
    return lambda: wg.jvp(fn, (_complex(4),), (_complex(4),))


def test_errors_match_numpy():
    with pytest.raises(ValueError, match=r"Invalid number of FFT data points \(0\)"):
        _traced(lambda v: wnp.fft.fft(v, n=0))()
    with pytest.raises(ValueError, match="Invalid norm value"):
        _traced(lambda v: wnp.fft.fft(v, norm="unitary"))()
    with pytest.raises(ValueError, match="different lengths"):
        _traced(lambda v: wnp.fft.fftn(v, s=(2, 2), axes=(0,)))()


def test_rfft_of_complex_traced_input_says_what_to_do():
    with pytest.raises(WengertError, match="expected real input") as info:
        _traced(wnp.fft.rfft)()
    assert isinstance(info.value, TypeError) and "wnp.real" in str(info.value)


def test_out_is_refused_on_traced_input():
    with pytest.raises(WengertError, match="out="):
        _traced(lambda v: wnp.fft.ifft(v, out=np.empty(4, complex)))()


def test_s_without_axes_warns_like_numpy():
    x = _complex((3, 4))
    with pytest.warns(DeprecationWarning):
        out = wg.jvp(lambda v: wnp.fft.fftn(v, s=(2, 3)), (x,), (x,))[0]
    with pytest.warns(DeprecationWarning):
        expected = np.fft.fftn(x, s=(2, 3))
    np.testing.assert_allclose(out, expected, rtol=1e-12)
