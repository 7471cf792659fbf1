"""Spec table for the elementwise primitives over complex inputs (primitives/elementwise.py).

Tangents and cotangents of complex values are complex, and VJP rules transpose the JVP for the
bilinear pairing Re Σ a·b (docs/design.md §5c). Holomorphic primitives keep their real rules
(JVP = VJP = f'(z) · t); ``conj``, ``real``, ``imag`` and ``abs`` (and ``angle``, ``sign``,
composed from them) are only R-linear and have rules of their own. Every row is checked to
order 2 in both modes along complex directions, by the exact cross-check
Re(u·Jv) = Re(Jᵀu·v), and for value and dtype against NumPy (complex128 and complex64). The
non-holomorphic rows are also compared with finite differences along the real and the
imaginary direction separately.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.testing import check_grads, check_jvp_vjp_consistency, numerical_jvp

COVERED_PRIMITIVES = {"conj", "real", "imag"}

SEED = 20240613

# --- domain samplers: sampler(rng, shape) -> complex128 array ------------------------------------


def _complex(re, im):
    return np.asarray(re + 1j * im, dtype=np.complex128)


def normal(rng, shape):
    return _complex(rng.standard_normal(shape), rng.standard_normal(shape)) * 0.7


def right_half(rng, shape):
    # Away from the branch cut of log, sqrt and pow on the negative real axis.
    return _complex(rng.uniform(0.5, 2.0, shape), rng.uniform(-1.0, 1.0, shape))


def small(rng, shape):
    # |z| < 0.9: away from the cuts of arcsin, arccos, arctan, arcsinh, arctanh (|.| >= 1).
    r = rng.uniform(0.1, 0.85, shape)
    return r * np.exp(1j * rng.uniform(-np.pi, np.pi, shape))


def right_of_one(rng, shape):
    # Re z > 1.2: away from arccosh's cut (-inf, 1].
    return _complex(rng.uniform(1.2, 3.0, shape), rng.uniform(-1.0, 1.0, shape))


def near_zero(rng, shape):
    return _complex(rng.uniform(-0.03, 0.03, shape), rng.uniform(-0.03, 0.03, shape))


def away_from_zero(rng, shape):
    r = rng.uniform(0.4, 2.0, shape)
    return r * np.exp(1j * rng.uniform(-np.pi, np.pi, shape))


def off_cut(rng, shape):
    # |z| >= 0.4 and |arg z| <= 2.5: away from the origin and from angle's jump at arg = pi.
    r = rng.uniform(0.4, 2.0, shape)
    return r * np.exp(1j * rng.uniform(-2.5, 2.5, shape))


class Row(NamedTuple):
    name: str
    fn: Callable  # the wengert.numpy function
    reference: Callable  # plain NumPy
    samplers: tuple  # one per argument
    holomorphic: bool = True


_W = np.array(0.8 - 0.3j)

SPEC = [
    Row("add", wnp.add, np.add, (normal, normal)),
    Row("sub", wnp.subtract, np.subtract, (normal, normal)),
    Row("mul", wnp.multiply, np.multiply, (normal, normal)),
    Row("div", wnp.divide, np.divide, (normal, away_from_zero)),
    Row("neg", wnp.negative, np.negative, (normal,)),
    Row("pow", wnp.power, np.power, (right_half, normal)),
    Row("float_power", wnp.float_power, np.float_power, (right_half, normal)),
    Row("integer_pow", lambda z: z**3, lambda z: z**3, (normal,)),
    Row("integer_pow[-2]", lambda z: wnp.power(z, -2), lambda z: np.power(z, -2.0),
        (away_from_zero,)),
    Row("square", wnp.square, np.square, (normal,)),
    Row("reciprocal", wnp.reciprocal, np.reciprocal, (away_from_zero,)),
    Row("exp", wnp.exp, np.exp, (normal,)),
    Row("exp2", wnp.exp2, np.exp2, (normal,)),
    Row("expm1", wnp.expm1, np.expm1, (normal,)),
    Row("log", wnp.log, np.log, (right_half,)),
    Row("log2", wnp.log2, np.log2, (right_half,)),
    Row("log10", wnp.log10, np.log10, (right_half,)),
    Row("log1p", wnp.log1p, np.log1p, (right_half,)),
    Row("sqrt", wnp.sqrt, np.sqrt, (right_half,)),
    Row("sin", wnp.sin, np.sin, (normal,)),
    Row("cos", wnp.cos, np.cos, (normal,)),
    Row("tan", wnp.tan, np.tan, (small,)),
    Row("arcsin", wnp.arcsin, np.arcsin, (small,)),
    Row("arccos", wnp.arccos, np.arccos, (small,)),
    Row("arctan", wnp.arctan, np.arctan, (small,)),
    Row("sinh", wnp.sinh, np.sinh, (normal,)),
    Row("cosh", wnp.cosh, np.cosh, (normal,)),
    Row("tanh", wnp.tanh, np.tanh, (small,)),
    Row("arcsinh", wnp.arcsinh, np.arcsinh, (small,)),
    Row("arccosh", wnp.arccosh, np.arccosh, (right_of_one,)),
    Row("arctanh", wnp.arctanh, np.arctanh, (small,)),
    Row("sinc", wnp.sinc, np.sinc, (normal,)),
    Row("sinc[near-zero]", wnp.sinc, np.sinc, (near_zero,)),
    Row("select", lambda x, y: wnp.where(np.array([True, False, True]), x, y),
        lambda x, y: np.where(np.array([True, False, True]), x, y), (normal, normal)),
    Row("safe_mul", lambda x, y: wg.primitives.elementwise._smul(x, y), np.multiply,
        (normal, normal)),
    # Not holomorphic: R-linear or only R-differentiable.
    Row("conj", wnp.conj, np.conj, (normal,), False),
    Row("real", wnp.real, np.real, (normal,), False),
    Row("imag", wnp.imag, np.imag, (normal,), False),
    Row("abs", wnp.abs, np.abs, (away_from_zero,), False),
    Row("angle", wnp.angle, np.angle, (off_cut,), False),
    Row("angle[deg]", lambda z: wnp.angle(z, deg=True), lambda z: np.angle(z, deg=True),
        (off_cut,), False),
    Row("sign", wnp.sign, np.sign, (away_from_zero,), False),
    Row("mul-by-conj", lambda z: z * wnp.conj(z * _W), lambda z: z * np.conj(z * _W),
        (normal,), False),
]

SHAPES = [(), (3,), (2, 3), (0,)]
BROADCAST = [((3, 1), (1, 4)), ((), (2, 3))]


def _cases():
    for row in SPEC:
        shapes = [(s,) * len(row.samplers) for s in SHAPES]
        if len(row.samplers) == 2 and row.name != "select":
            shapes += BROADCAST
        if row.name == "select":
            shapes = [((3,), (3,)), ((2, 3), (2, 3))]
        for sh in shapes:
            sid = "-".join("x".join(map(str, s)) or "scalar" for s in sh)
            yield pytest.param(row, sh, id=f"{row.name}-{sid}")


CASES = list(_cases())


def _args(row, shapes, seed=SEED):
    rng = np.random.default_rng(seed)
    return tuple(draw(rng, s) for draw, s in zip(row.samplers, shapes))


@pytest.mark.parametrize("row, shapes", CASES)
def test_grads_along_complex_directions(row, shapes):
    args = _args(row, shapes)
    check_grads(row.fn, args, order=2, modes=("fwd", "rev"))
    check_jvp_vjp_consistency(row.fn, args, rng=np.random.default_rng(1))


@pytest.mark.parametrize("row, shapes", CASES)
@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_value_and_dtype_match_numpy_without_warnings(row, shapes, dtype):
    args = tuple(a.astype(dtype) for a in _args(row, shapes))
    expected = row.reference(*args)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, out_dot = wg.jvp(row.fn, args, tuple(np.ones_like(a) for a in args))
        _, f_vjp = wg.vjp(row.fn, *args)
        cts = f_vjp(np.ones_like(out))
    assert out.dtype == expected.dtype and out.shape == expected.shape
    assert out_dot.dtype == expected.dtype
    assert all(c.dtype == a.dtype for c, a in zip(cts, args))
    tol = 1e-12 if dtype == np.complex128 else 1e-5
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)


def _holomorphic_unary():
    for row in SPEC:
        if row.holomorphic and len(row.samplers) == 1:
            yield pytest.param(row, id=row.name)


@pytest.mark.parametrize("row", list(_holomorphic_unary()))
def test_holomorphic_jvp_is_multiplication_by_the_complex_derivative(row):
    # f(z + h) ≈ f(z) + f'(z) h for real and imaginary h alike: the tangent along i is i
    # times the tangent along 1 (the Cauchy-Riemann equations).
    z = _args(row, [(4,)])[0]
    _, along_1 = wg.jvp(row.fn, (z,), (np.ones_like(z),))
    _, along_i = wg.jvp(row.fn, (z,), (1j * np.ones_like(z),))
    np.testing.assert_allclose(along_i, 1j * along_1, rtol=1e-12, atol=1e-14)
    # grad with holomorphic=True gives f'(z), the same derivative.
    g = wg.grad(lambda w: wnp.sum(row.fn(w)), holomorphic=True)(z)
    np.testing.assert_allclose(g, along_1, rtol=1e-12, atol=1e-14)


def _non_holomorphic():
    for row in SPEC:
        if not row.holomorphic:
            yield pytest.param(row, id=row.name)


@pytest.mark.parametrize("row", list(_non_holomorphic()))
@pytest.mark.parametrize("direction", [1.0, 1j], ids=["real", "imaginary"])
def test_non_holomorphic_jvp_matches_finite_differences_per_direction(row, direction):
    z = _args(row, [(5,)])[0]
    t = direction * np.ones_like(z)
    _, out_dot = wg.jvp(row.fn, (z,), (t,))
    np.testing.assert_allclose(out_dot, numerical_jvp(row.fn, (z,), (t,)), rtol=1e-6,
                               atol=1e-8)


@pytest.mark.parametrize("row", list(_non_holomorphic()))
def test_non_holomorphic_grad_is_df_dx_minus_i_df_dy(row):
    z = _args(row, [(5,)])[0]

    def f(w):
        out = row.fn(w)
        return wnp.sum(wnp.real(out) * 0.7 + wnp.imag(out) * 1.3)

    dx = numerical_jvp(f, (z,), (np.ones_like(z),))
    expected = np.array([
        numerical_jvp(f, (z,), (e,)) - 1j * numerical_jvp(f, (z,), (1j * e,))
        for e in np.eye(z.size, dtype=complex)
    ])
    assert np.isfinite(dx)
    np.testing.assert_allclose(wg.grad(f)(z), expected, rtol=1e-6, atol=1e-8)


# --- the rules at hand: closed forms and the conventions at 0 ---------------------------------


def test_conj_real_imag_rules_in_closed_form():
    z = np.array([1.0 + 2.0j, -0.5 + 0.25j])
    t = np.array([0.3 - 1.0j, 2.0 + 0.5j])
    g = np.array([1.5, -2.0])
    gc = np.array([1.0 - 1.0j, 0.5 + 2.0j])
    assert np.array_equal(wg.jvp(wnp.conj, (z,), (t,))[1], np.conj(t))
    assert np.array_equal(wg.vjp(wnp.conj, z)[1](gc)[0], np.conj(gc))
    assert np.array_equal(wg.jvp(wnp.real, (z,), (t,))[1], t.real)
    assert np.array_equal(wg.vjp(wnp.real, z)[1](g)[0], g.astype(complex))
    assert np.array_equal(wg.jvp(wnp.imag, (z,), (t,))[1], t.imag)
    assert np.array_equal(wg.vjp(wnp.imag, z)[1](g)[0], -1j * g)


def test_abs_rules_in_closed_form_and_zero_at_the_origin():
    z = np.array([3.0 + 4.0j, 0.0j, -1.0j])
    t = np.array([1.0 - 2.0j, 5.0 + 1.0j, 2.0 + 3.0j])
    g = np.array([2.0, 7.0, -1.0])
    r = np.abs(z)
    safe = np.where(r == 0, 1.0, r)
    expected_jvp = np.where(r == 0, 0.0, np.real(np.conj(z) * t) / safe)
    expected_vjp = np.where(r == 0, 0.0, g * np.conj(z) / safe)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(wg.jvp(wnp.abs, (z,), (t,))[1], expected_jvp, rtol=1e-15)
        np.testing.assert_allclose(wg.vjp(wnp.abs, z)[1](g)[0], expected_vjp, rtol=1e-15)
        grad0 = wg.grad(lambda w: wnp.sum(wnp.abs(w)))(np.zeros(2, complex))
        sign0 = wg.jvp(wnp.sign, (np.zeros(2, complex),), (np.ones(2, complex),))
        angle0 = wg.grad(lambda w: wnp.sum(wnp.angle(w)))(np.zeros(2, complex))
    assert np.array_equal(grad0, np.zeros(2, complex))
    assert np.array_equal(sign0[0], np.zeros(2, complex))
    assert np.array_equal(sign0[1], np.zeros(2, complex))
    assert np.array_equal(angle0, np.zeros(2, complex))


def test_angle_gradient_in_closed_form():
    # angle(x + iy) = atan2(y, x): d/dx = -y/r², d/dy = x/r², so grad = (-y - i x) / r².
    z = np.array([1.0 + 2.0j, -0.5 + 0.25j])
    expected = (-z.imag - 1j * z.real) / np.abs(z) ** 2
    np.testing.assert_allclose(wg.grad(lambda w: wnp.sum(wnp.angle(w)))(z), expected,
                               rtol=1e-14)


def test_casts_between_real_and_complex_transpose_to_the_real_part():
    x = np.array([0.3, -1.2])
    z = np.array([1.0 + 2.0j, -0.5 + 0.25j])
    # real -> complex: the cotangent is the real part of the complex one.
    _, f_vjp = wg.vjp(lambda v: wnp.astype(v, np.complex128), x)
    assert np.array_equal(f_vjp(np.array([1.0 + 5.0j, 2.0 - 1.0j]))[0], np.array([1.0, 2.0]))
    check_grads(lambda v: wnp.astype(v, np.complex128) * (1 + 2j), (x,))
    # complex -> real keeps the real part (as NumPy, whose warning is its own, not the rules').
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        out, out_dot = wg.jvp(lambda w: wnp.astype(w, np.float64), (z,), (z * 1j,))
        _, f_vjp = wg.vjp(lambda w: wnp.astype(w, np.float64), z)
    assert np.array_equal(out, z.real) and np.array_equal(out_dot, (z * 1j).real)
    assert np.array_equal(f_vjp(np.array([1.0, 2.0]))[0], np.array([1.0, 2.0], complex))
