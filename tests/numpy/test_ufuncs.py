"""Tests of wengert/numpy/_core.py: the ufunc-style functions of ``wengert.numpy``.

Every function of ``_core`` (the composites included) is checked against NumPy: on plain input
the result is NumPy's exactly (type, shape, dtype and bits); on traced input the value is the
same and the dtype follows NumPy's promotion (float32 stays float32, Python scalars are weak
under NEP 50, NumPy scalars and 0-d arrays are not, integer inputs use NumPy's loop dtypes);
derivatives pass ``check_grads`` where the function is differentiable, including broadcasting
pairs. Non-differentiable functions return plain NumPy values with zero derivative. A
Hypothesis test draws broadcast-compatible shape pairs.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import wengert as wg
import wengert.numpy as wnp
from wengert.core.errors import UnsupportedError, WengertError
from wengert.core.tracer import Tracer
from wengert.numpy import _core
from wengert.testing import check_grads, check_jvp_vjp_consistency

SEED = 31

# --- samplers: sampler(rng, shape) -> float64 array ------------------------------------------


def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def unit(rng, shape):
    return rng.uniform(-0.9, 0.9, shape)


def above_one(rng, shape):
    return rng.uniform(1.2, 3.0, shape)


def nonzero(rng, shape):
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def moderate(rng, shape):
    return rng.uniform(-1.2, 1.2, shape)


def half_integers(rng, shape):
    # k + (0.35..0.65): away from the jumps of fmod/remainder for divisors near 1.
    return rng.integers(-4, 4, shape) + rng.uniform(0.35, 0.65, shape)


def near_one(rng, shape):
    return rng.uniform(1.0, 1.04, shape) * rng.choice([-1.0, 1.0], shape)


class Fn(NamedTuple):
    name: str
    reference: Callable
    samplers: tuple  # one sampler per argument
    differentiable: bool = True


U = (normal,)
B = (normal, normal)
FUNCS = [
    Fn("negative", np.negative, U),
    Fn("positive", np.positive, U),
    Fn("square", np.square, U),
    Fn("sqrt", np.sqrt, (positive,)),
    Fn("cbrt", np.cbrt, (nonzero,)),
    Fn("reciprocal", np.reciprocal, (nonzero,)),
    Fn("abs", np.abs, (nonzero,)),
    Fn("absolute", np.absolute, (nonzero,)),
    Fn("fabs", np.fabs, (nonzero,)),
    Fn("exp", np.exp, U),
    Fn("exp2", np.exp2, U),
    Fn("expm1", np.expm1, U),
    Fn("log", np.log, (positive,)),
    Fn("log2", np.log2, (positive,)),
    Fn("log10", np.log10, (positive,)),
    Fn("log1p", np.log1p, (positive,)),
    Fn("sin", np.sin, U),
    Fn("cos", np.cos, U),
    Fn("tan", np.tan, (moderate,)),
    Fn("arcsin", np.arcsin, (unit,)),
    Fn("arccos", np.arccos, (unit,)),
    Fn("arctan", np.arctan, U),
    Fn("sinh", np.sinh, U),
    Fn("cosh", np.cosh, U),
    Fn("tanh", np.tanh, U),
    Fn("arcsinh", np.arcsinh, U),
    Fn("arccosh", np.arccosh, (above_one,)),
    Fn("arctanh", np.arctanh, (unit,)),
    Fn("deg2rad", np.deg2rad, U),
    Fn("rad2deg", np.rad2deg, U),
    Fn("degrees", np.degrees, U),
    Fn("radians", np.radians, U),
    Fn("sinc", np.sinc, U),
    Fn("nan_to_num", np.nan_to_num, U),
    Fn("real", np.real, U),
    Fn("imag", np.imag, U),
    Fn("conj", np.conj, U),
    Fn("conjugate", np.conjugate, U),
    Fn("real_if_close", np.real_if_close, U),
    Fn("add", np.add, B),
    Fn("subtract", np.subtract, B),
    Fn("multiply", np.multiply, B),
    Fn("divide", np.divide, (normal, nonzero)),
    Fn("true_divide", np.true_divide, (normal, nonzero)),
    Fn("power", np.power, (positive, normal)),
    Fn("float_power", np.float_power, (positive, normal)),
    Fn("mod", np.mod, (half_integers, near_one)),
    Fn("remainder", np.remainder, (half_integers, near_one)),
    Fn("fmod", np.fmod, (half_integers, near_one)),
    Fn("logaddexp", np.logaddexp, B),
    Fn("logaddexp2", np.logaddexp2, B),
    Fn("arctan2", np.arctan2, (nonzero, nonzero)),
    Fn("hypot", np.hypot, (nonzero, nonzero)),
    Fn("maximum", np.maximum, (positive, lambda r, s: -positive(r, s))),
    Fn("minimum", np.minimum, (positive, lambda r, s: -positive(r, s))),
    Fn("fmax", np.fmax, (positive, lambda r, s: -positive(r, s))),
    Fn("fmin", np.fmin, (positive, lambda r, s: -positive(r, s))),
    Fn("copysign", np.copysign, (nonzero, nonzero)),
    Fn(
        "clip",
        np.clip,
        (
            lambda r, s: 3 * unit(r, s),
            lambda r, s: -positive(r, s) / 2,
            lambda r, s: positive(r, s) / 2,
        ),
    ),
    # Non-differentiable: plain values, zero derivative.
    Fn("sign", np.sign, U, False),
    Fn("floor", np.floor, U, False),
    Fn("ceil", np.ceil, U, False),
    Fn("rint", np.rint, U, False),
    Fn("trunc", np.trunc, U, False),
    Fn("fix", np.fix, U, False),
    Fn("round", np.round, U, False),
    Fn("around", np.around, U, False),
    Fn("isfinite", np.isfinite, U, False),
    Fn("isnan", np.isnan, U, False),
    Fn("isinf", np.isinf, U, False),
    Fn("signbit", np.signbit, U, False),
    Fn("angle", np.angle, U, False),
    Fn("heaviside", np.heaviside, B, False),
    Fn("floor_divide", np.floor_divide, (normal, nonzero), False),
    Fn("equal", np.equal, B, False),
    Fn("not_equal", np.not_equal, B, False),
    Fn("less", np.less, B, False),
    Fn("less_equal", np.less_equal, B, False),
    Fn("greater", np.greater, B, False),
    Fn("greater_equal", np.greater_equal, B, False),
    Fn("logical_and", np.logical_and, B, False),
    Fn("logical_or", np.logical_or, B, False),
    Fn("logical_xor", np.logical_xor, B, False),
    Fn("logical_not", np.logical_not, U, False),
    Fn("isclose", np.isclose, B, False),
]
BY_NAME = {f.name: f for f in FUNCS}
DIFF = [f for f in FUNCS if f.differentiable]
NONDIFF = [f for f in FUNCS if not f.differentiable]

SHAPES = [(), (1,), (3,), (2, 3), (0,), (2, 0, 3)]
PAIRS = [((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), (3,))]


def _case_shapes(fn):
    n = len(fn.samplers)
    cases = [(s,) * n for s in SHAPES]
    if n == 2:
        cases += PAIRS
    if n == 3:
        cases += [((2, 3), (), (3,)), ((3, 1), (1, 4), ())]
    return cases


def _sid(shapes):
    return "-".join("x".join(map(str, s)) or "scalar" for s in shapes)


def _args(fn, shapes, dtype=np.float64, seed=SEED):
    rng = np.random.default_rng(seed)
    return tuple(np.asarray(s(rng, shape), dtype=dtype) for s, shape in zip(fn.samplers, shapes))


def _params(fns):
    return [
        pytest.param(f, shapes, id=f"{f.name}-{_sid(shapes)}")
        for f in fns
        for shapes in _case_shapes(f)
    ]


def test_every_core_function_is_checked_here():
    others = {
        "where",
        "stop_gradient",
        "astype",
        "zeros_like",
        "ones_like",
        "ndim",
        "shape",
        "size",
        "result_type",
        "divmod",
        "all",
        "any",
        "allclose",
        "array_equal",
        "bitwise_and",
        "bitwise_or",
        "bitwise_xor",
        "invert",
    }
    assert set(_core.__all__) == set(BY_NAME) | others
    for name in _core.__all__:
        assert callable(getattr(wnp, name)), name


def test_surface_names_exist():
    surface = """add subtract multiply divide true_divide floor_divide negative positive power
    square sqrt cbrt reciprocal abs absolute fabs sign mod remainder fmod exp exp2 expm1 log log2
    log10 log1p logaddexp logaddexp2 sin cos tan arcsin arccos arctan arctan2 hypot sinh cosh
    tanh arcsinh arccosh arctanh deg2rad rad2deg degrees radians sinc maximum minimum fmax fmin
    clip nan_to_num real imag conj conjugate angle real_if_close floor ceil round rint trunc
    isfinite isnan isinf heaviside equal not_equal less less_equal greater greater_equal
    logical_and logical_or logical_not logical_xor all any allclose isclose array_equal"""
    missing = [n for n in surface.split() if not callable(getattr(wnp, n, None))]
    assert missing == []


# --- plain input: exactly NumPy -------------------------------------------------------------


@pytest.mark.parametrize("fn, shapes", _params(FUNCS))
def test_plain_input_is_exactly_numpy(fn, shapes):
    f = getattr(wnp, fn.name)
    for dtype in (np.float64, np.float32):
        args = _args(fn, shapes, dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = f(*args)
        expected = fn.reference(*args)
        assert type(got) is type(expected)
        assert np.shape(got) == np.shape(expected)
        assert np.result_type(got) == np.result_type(expected)
        np.testing.assert_array_equal(got, expected)


def test_plain_python_scalars_and_lists_are_numpy():
    for name in ("sqrt", "exp", "abs", "sinc", "square", "reciprocal", "deg2rad", "sign"):
        assert_same(getattr(wnp, name)(2.0), getattr(np, name)(2.0))
        assert_same(getattr(wnp, name)([1, 2]), getattr(np, name)([1, 2]))
        assert_same(getattr(wnp, name)(3), getattr(np, name)(3))
    for name in ("add", "divide", "power", "maximum", "arctan2", "logaddexp", "copysign"):
        assert_same(getattr(wnp, name)(2, 3), getattr(np, name)(2, 3))
        assert_same(getattr(wnp, name)([1.5, 2], 3), getattr(np, name)([1.5, 2], 3))
    assert_same(wnp.clip([1, 5, 3], 2, 4), np.clip([1, 5, 3], 2, 4))
    assert_same(wnp.where([True, False], 1, 2.5), np.where([True, False], 1, 2.5))


def assert_same(got, expected):
    assert type(got) is type(expected), (type(got), type(expected))
    assert np.result_type(got) == np.result_type(expected)
    np.testing.assert_array_equal(got, expected)


def test_plain_ufunc_keywords_pass_through():
    x = np.array([1.0, 4.0])
    out = np.empty(2)
    assert wnp.sqrt(x, out=out) is out
    np.testing.assert_array_equal(out, [1.0, 2.0])
    assert wnp.add(x, 1, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(wnp.exp(x, where=x > 2, out=np.zeros(2)), [0.0, np.exp(4.0)])


# --- traced input: NumPy's values and dtypes --------------------------------------------------


def _traced(f, args, mode):
    """f(*args) with every argument traced, in forward or reverse mode; checks it is traced."""
    seen = {}

    def g(*xs):
        assert all(isinstance(x, Tracer) for x in xs)
        seen["out"] = f(*xs)
        return seen["out"]

    if mode == "fwd":
        out, _ = wg.jvp(g, args, tuple(np.ones_like(a) for a in args))
    else:
        out, _ = wg.vjp(g, *args)
    return out


@pytest.mark.parametrize("fn, shapes", _params(FUNCS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_traced_value_and_dtype_match_numpy(fn, shapes, dtype):
    f = getattr(wnp, fn.name)
    args = _args(fn, shapes, dtype)
    expected = np.asarray(fn.reference(*args))
    for mode in ("fwd", "rev"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = _traced(f, args, mode)
        assert np.shape(out) == expected.shape and np.result_type(out) == expected.dtype
        np.testing.assert_array_equal(out, expected)


BINARY = [f for f in DIFF if len(f.samplers) == 2]


@pytest.mark.parametrize("fn", BINARY, ids=lambda f: f.name)
def test_nep50_scalar_promotion(fn):
    f = getattr(wnp, fn.name)
    rng = np.random.default_rng(SEED)
    x32 = np.asarray(fn.samplers[0](rng, (3,)), np.float32)
    y32 = np.asarray(fn.samplers[1](rng, (3,)), np.float32)
    s = float(y32[0])
    others = [
        s,
        2,
        np.float64(s),
        np.float32(s),
        np.array(s),
        np.array(s, np.float32),
        y32.astype(np.float64),
        y32.astype(np.float16),
    ]
    for other in others:
        for a, b in ((x32, other), (other, y32)):
            traced_first = a is x32
            with np.errstate(all="ignore"):
                expected = np.asarray(fn.reference(a, b))
                fn1 = (lambda t, b=b: f(t, b)) if traced_first else (lambda t, a=a: f(a, t))
                primal = a if traced_first else b
                out, tangent = wg.jvp(fn1, (primal,), (np.ones_like(primal),))
            assert out.dtype == expected.dtype, (fn.name, type(other), traced_first)
            assert tangent.dtype == expected.dtype
            np.testing.assert_array_equal(out, expected)


def test_nep50_examples_from_the_brief():
    x = np.array([1.0, 2.0], np.float32)
    out = wg.jvp(lambda x: wnp.add(x, 2.0), (x,), (x,))[0]
    assert out.dtype == np.float32
    out = wg.jvp(lambda x: x + np.float64(2), (x,), (x,))[0]
    assert out.dtype == (x + np.float64(2)).dtype == np.float64
    g = wg.grad(lambda x: wnp.sum(wnp.sqrt(x) * 2.0))(x)
    assert g.dtype == np.float32


INT_CASES = [
    "sqrt",
    "exp",
    "exp2",
    "log2",
    "sin",
    "arctan",
    "sinc",
    "deg2rad",
    "rad2deg",
    "fabs",
    "reciprocal",
    "abs",
    "negative",
    "square",
    "divide",
    "true_divide",
    "arctan2",
    "hypot",
    "add",
    "multiply",
    "maximum",
    "power",
    "float_power",
    "logaddexp",
    "fmod",
    "remainder",
    "copysign",
    "fmax",
    "clip",
]


@pytest.mark.parametrize("name", INT_CASES)
@pytest.mark.parametrize("int_dtype", [np.int8, np.int16, np.int64, np.bool_])
def test_integer_and_bool_inputs_follow_numpy_loops(name, int_dtype):
    # Integer arrays are traced in reverse mode (an integer cast inside the function).
    fn = BY_NAME[name]
    f = getattr(wnp, name)
    base = np.array([1.0, 2.0, 3.0])
    xs = (base,) * len(fn.samplers)
    if int_dtype == np.bool_ and name in (
        "negative",
        "reciprocal",
        "power",
        "fmod",
        "remainder",
        "divide",
        "true_divide",
        "clip",
    ):
        xs = ()  # NumPy itself rejects (or divides by zero on) booleans here
    if not xs:
        return
    plain = tuple(x.astype(int_dtype) for x in xs)
    with np.errstate(all="ignore"):
        expected = np.asarray(fn.reference(*plain))
    got = {}

    def g(*vs):
        ints = [wnp.astype(v, int_dtype) for v in vs]
        assert all(isinstance(i, Tracer) for i in ints)
        got["out"] = f(*ints)
        return wnp.sum(wnp.astype(got["out"], np.float64) * vs[0])

    with np.errstate(all="ignore"):
        wg.grad(g, argnums=tuple(range(len(xs))))(*xs)
    assert np.result_type(got["out"]) == expected.dtype, (name, int_dtype)
    np.testing.assert_array_equal(
        got["out"].primal_value() if isinstance(got["out"], Tracer) else got["out"], expected
    )


# --- derivatives --------------------------------------------------------------------------------


@pytest.mark.parametrize("fn, shapes", _params(DIFF))
def test_check_grads(fn, shapes):
    f = getattr(wnp, fn.name)
    args = _args(fn, shapes)
    order = 2 if sum(a.size for a in args) <= 12 else 1
    check_grads(f, args, order=order, modes=("fwd", "rev"))
    check_jvp_vjp_consistency(f, args, rng=np.random.default_rng(3))


@pytest.mark.parametrize("fn", DIFF, ids=lambda f: f.name)
def test_float32_derivatives(fn):
    f = getattr(wnp, fn.name)
    args = _args(fn, ((2, 3),) * len(fn.samplers), np.float32)
    grads = wg.grad(
        lambda *xs: wnp.sum(wnp.astype(f(*xs), np.float32)), argnums=tuple(range(len(args)))
    )(*args)
    for g in grads:
        assert g.dtype == np.float32
    _, tangent = wg.jvp(f, args, args)
    assert tangent.dtype == np.asarray(fn.reference(*args)).dtype


@pytest.mark.parametrize("fn, shapes", _params(NONDIFF))
def test_nondifferentiable_functions_return_plain_values(fn, shapes):
    f = getattr(wnp, fn.name)
    args = _args(fn, shapes)
    expected = np.asarray(fn.reference(*args))
    seen = []

    def loss(*xs):
        value = f(*xs)
        seen.append(value)
        return wnp.sum(xs[0] * wnp.astype(value, np.float64))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grads = wg.grad(loss, argnums=tuple(range(len(args))))(*args)
        _, tangent = wg.jvp(lambda *xs: f(*xs), args, args)
    for value in seen:
        assert not isinstance(value, Tracer)
        assert np.result_type(value) == expected.dtype
        np.testing.assert_array_equal(value, expected)
    np.testing.assert_array_equal(tangent, np.zeros(expected.shape))
    for g in grads[1:]:
        np.testing.assert_array_equal(g, np.zeros_like(g))


def test_grad_of_x_times_rounding_is_the_rounding():
    x = np.array([0.4, -1.6, 2.5, 3.0])
    for name in ("floor", "ceil", "rint", "trunc", "fix", "round", "sign"):
        f = getattr(wnp, name)
        grad = wg.grad(lambda x, f=f: wnp.sum(x * f(x)))(x)
        np.testing.assert_array_equal(grad, getattr(np, name)(x))


def test_real_imag_conj_on_real_input():
    x = np.array([0.5, -2.0])
    np.testing.assert_array_equal(wg.grad(lambda x: wnp.sum(wnp.real(x) * x))(x), 2 * x)
    np.testing.assert_array_equal(wg.grad(lambda x: wnp.sum(wnp.conj(x) * x))(x), 2 * x)
    _, t = wg.jvp(wnp.imag, (x,), (np.ones(2),))
    np.testing.assert_array_equal(t, np.zeros(2))
    out = wg.jvp(wnp.imag, (x,), (np.ones(2),))[0]
    assert out.dtype == np.float64 and not out.any()
    assert float(wg.grad(lambda x: wnp.real_if_close(x) * 3.0)(2.0)) == 3.0


def test_where_values_gradients_and_broadcasting():
    rng = np.random.default_rng(SEED)
    cond = rng.random((2, 3)) > 0.5
    x = rng.standard_normal((3,))
    y = rng.standard_normal((2, 1))
    check_grads(lambda x, y: wnp.where(cond, x, y), (x, y), order=2)
    gx, gy = wg.grad(lambda x, y: wnp.sum(wnp.where(cond, x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, cond.sum(0))
    np.testing.assert_array_equal(gy, (~cond).sum(1, keepdims=True))
    x32 = x.astype(np.float32)
    out = wg.jvp(lambda x: wnp.where(cond, x, 0.0), (x32,), (x32,))[0]
    assert out.dtype == np.float32 and out.shape == (2, 3)
    np.testing.assert_array_equal(out, np.where(cond, x32, 0.0))
    # A traced condition is used for its value only; a non-bool one means "nonzero".
    out = wg.jvp(lambda x: wnp.where(x, x, 5.0), (np.array([0.0, 2.0]),), (np.ones(2),))
    np.testing.assert_array_equal(out[0], [5.0, 2.0])
    np.testing.assert_array_equal(out[1], [0.0, 1.0])
    np.testing.assert_array_equal(wnp.where(np.array([0, 3, 0, 1])), (np.array([1, 3]),))
    with pytest.raises(ValueError, match="both or neither"):
        wnp.where(cond, x)


def test_clip_signatures_and_missing_bounds():
    x = np.array([-2.0, 0.5, 3.0])
    for kwargs in (
        {"a_min": 0.0, "a_max": 1.0},
        {"min": 0.0, "max": 1.0},
        {"a_min": None, "a_max": 1.0},
        {"min": 0.0},
        {"max": 1.0},
    ):
        expected = np.clip(x, **kwargs)
        np.testing.assert_array_equal(wnp.clip(x, **kwargs), expected)
        out, t = wg.jvp(lambda x, kw=kwargs: wnp.clip(x, **kw), (x,), (np.ones(3),))
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_array_equal(t, (out == x).astype(float))
    ints = wg.vjp(lambda v: wnp.clip(wnp.astype(v, np.int64), None, 2), x)[0]
    assert ints.dtype == np.clip(x.astype(np.int64), None, 2).dtype
    with pytest.raises(TypeError):
        wg.jvp(lambda x: wnp.clip(x, 0.0, a_max=1.0, min=0.0), (x,), (x,))
    with pytest.raises(UnsupportedError):
        wg.jvp(lambda x: wnp.clip(x, 0.0, 1.0, out=np.empty(3)), (x,), (x,))


def test_traced_ufunc_keywords():
    x = np.array([1.0, 4.0])
    out = wg.jvp(lambda x: wnp.sqrt(x, dtype=np.float32), (x,), (x,))[0]
    assert out.dtype == np.float32
    out = wg.jvp(lambda x: wnp.add(x, 1, out=None, where=True), (x,), (x,))[0]
    np.testing.assert_array_equal(out, [2.0, 5.0])
    with pytest.raises(UnsupportedError, match="out="):
        wg.jvp(lambda x: wnp.exp(x, out=np.empty(2)), (x,), (x,))
    with pytest.raises(UnsupportedError, match="where="):
        wg.jvp(lambda x: wnp.multiply(x, 2.0, where=x > 2), (x,), (x,))
    with pytest.raises(WengertError, match="unsupported keyword"):
        wg.jvp(lambda x: wnp.sin(x, bogus=1), (x,), (x,))


def test_predicates_and_reductions_of_booleans_on_traced_input():
    x = np.array([0.5, -1.0, 2.0])
    y = x + np.array([0.0, 1e-9, 1.0])
    seen = {}

    def f(x):
        seen["all"] = wnp.all(x > -2)
        seen["any"] = wnp.any(x > 5, axis=0, keepdims=True)
        seen["allclose"] = wnp.allclose(x, y)
        seen["isclose"] = wnp.isclose(x, y, rtol=0, atol=1e-6)
        seen["array_equal"] = wnp.array_equal(x, x)
        seen["divmod"] = wnp.divmod(x, 0.75)
        return wnp.sum(seen["divmod"][1])

    g = wg.grad(f)(x)
    np.testing.assert_array_equal(g, np.ones(3))
    assert seen["all"] is np.True_ or seen["all"] == np.all(x > -2)
    np.testing.assert_array_equal(seen["any"], np.any(x > 5, axis=0, keepdims=True))
    assert seen["allclose"] is np.allclose(x, y)
    np.testing.assert_array_equal(seen["isclose"], np.isclose(x, y, rtol=0, atol=1e-6))
    assert seen["array_equal"] is True
    q, _ = seen["divmod"]
    np.testing.assert_array_equal(q, np.floor_divide(x, 0.75))
    assert not isinstance(q, Tracer)
    for name in ("all", "any", "allclose", "isclose", "array_equal"):
        assert list(inspect.signature(getattr(wnp, name)).parameters) == list(
            inspect.signature(getattr(np, name)).parameters
        ), name


def test_bitwise_and_invert_on_traced_integers():
    x = np.array([1.0, 6.0, 3.0])

    def f(v):
        i = wnp.astype(v, np.int64)
        assert isinstance(i, Tracer)
        out = wnp.bitwise_and(i, 3) + wnp.bitwise_or(i, 8) + wnp.bitwise_xor(i, 5) + wnp.invert(i)
        assert not isinstance(out, Tracer)
        return wnp.sum(v * out)

    i = x.astype(np.int64)
    expected = (i & 3) + (i | 8) + (i ^ 5) + ~i
    np.testing.assert_array_equal(wg.grad(f)(x), expected)


def test_introspection_and_like_constructors_on_traced_input():
    x32 = np.ones((2, 3), np.float32)
    seen = {}

    def f(x):
        seen["ndim"], seen["shape"], seen["size"] = wnp.ndim(x), wnp.shape(x), wnp.size(x, 1)
        seen["result_type"] = wnp.result_type(x, 2.0, np.float16)
        seen["zeros"] = wnp.zeros_like(x)
        seen["ones"] = wnp.ones_like(x, dtype=np.int8, shape=(4,))
        return x

    wg.jvp(f, (x32,), (x32,))
    assert (seen["ndim"], seen["shape"], seen["size"]) == (2, (2, 3), 3)
    assert seen["result_type"] == np.float32
    assert_same(seen["zeros"], np.zeros_like(x32))
    assert_same(seen["ones"], np.ones_like(x32, dtype=np.int8, shape=(4,)))
    for name in ("zeros_like", "ones_like", "nan_to_num", "clip", "astype", "round", "angle"):
        assert list(inspect.signature(getattr(wnp, name)).parameters) == list(
            inspect.signature(getattr(np, name)).parameters
        ), name


def test_numpy_ufuncs_on_traced_arrays_reach_wengert():
    x = np.array([0.5, 1.5])
    out, t = wg.jvp(lambda x: np.logaddexp(x, 1.0) + np.hypot(x, 2.0), (x,), (np.ones(2),))
    np.testing.assert_array_equal(out, np.logaddexp(x, 1.0) + np.hypot(x, 2.0))
    np.testing.assert_allclose(t, 1 / (1 + np.exp(1.0 - x)) + x / np.hypot(x, 2.0), rtol=1e-15)


def test_deg2rad_and_rad2deg_are_bitwise_numpy_in_float32():
    x = np.random.default_rng(SEED).standard_normal(1000).astype(np.float32) * 100
    for name in ("deg2rad", "rad2deg"):
        out = wg.jvp(getattr(wnp, name), (x,), (x,))[0]
        np.testing.assert_array_equal(out, getattr(np, name)(x))


def test_fmax_fmin_nan_and_copysign_signs():
    x = np.array([np.nan, 1.0, np.nan, -0.0])
    y = np.array([2.0, np.nan, np.nan, 0.0])
    for ours, theirs in ((wnp.fmax, np.fmax), (wnp.fmin, np.fmin)):
        out = wg.jvp(lambda a, f=ours: f(a, y), (x,), (np.ones(4),))[0]
        np.testing.assert_array_equal(out, theirs(x, y))
    s = np.array([-1.0, 2.0, -0.0, 0.0])
    v = np.array([3.0, -4.0, 5.0, -6.0])
    out, t = wg.jvp(lambda a: wnp.copysign(a, s), (v,), (np.ones(4),))
    np.testing.assert_array_equal(out, np.copysign(v, s))
    np.testing.assert_array_equal(np.signbit(out), np.signbit(np.copysign(v, s)))
    np.testing.assert_array_equal(t, np.sign(v) * np.where(np.signbit(s), -1, 1))
    assert float(wg.grad(lambda a: wnp.copysign(a, -1.0))(0.0)) == 0.0


def test_nan_to_num_derivative_is_one_where_finite():
    x = np.array([np.nan, 1.5, np.inf, -np.inf])
    out, t = wg.jvp(lambda x: wnp.nan_to_num(x, nan=-1.0, posinf=9.0), (x,), (np.ones(4),))
    np.testing.assert_array_equal(out, np.nan_to_num(x, nan=-1.0, posinf=9.0))
    np.testing.assert_array_equal(t, [0.0, 1.0, 0.0, 0.0])


def test_power_routes():
    x = np.array([-2.0, 0.5, 3.0])
    # A Python integer exponent: exact integer_pow, negative bases allowed.
    np.testing.assert_array_equal(wg.grad(lambda x: wnp.sum(wnp.power(x, 3)))(x), 3 * x**2)
    # A strong NumPy integer scalar promotes float32 as NumPy does.
    x32 = x.astype(np.float32)
    out = wg.jvp(lambda x: wnp.power(x, np.int64(2)), (x32,), (x32,))[0]
    assert out.dtype == np.power(x32, np.int64(2)).dtype == np.float64
    out = wg.jvp(lambda x: x**2, (x32,), (x32,))[0]
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, x32**2)
    with pytest.raises(ValueError):
        wg.vjp(lambda v: wnp.power(wnp.astype(v, np.int64), -1), x)


# --- Hypothesis: broadcasting ---------------------------------------------------------------


_BCAST_FUNCS = {
    "add": (normal, normal),
    "multiply": (normal, normal),
    "maximum": (positive, lambda r, s: -positive(r, s)),
    "arctan2": (nonzero, nonzero),
}


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(sorted(_BCAST_FUNCS)),
    mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    st.integers(0, 2**32 - 1),
)
def test_broadcasting_shapes_and_gradient_shapes(name, shapes, seed):
    rng = np.random.default_rng(seed)
    samplers = _BCAST_FUNCS[name]
    x, y = (
        np.asarray(s(rng, shape), np.float64) for s, shape in zip(samplers, shapes.input_shapes)
    )
    f = getattr(wnp, name)
    expected = getattr(np, name)(x, y)
    out, f_vjp = wg.vjp(f, x, y)
    assert out.shape == expected.shape == shapes.result_shape
    np.testing.assert_array_equal(out, expected)
    gx, gy = wg.grad(lambda a, b: wnp.sum(f(a, b)), argnums=(0, 1))(x, y)
    assert gx.shape == x.shape and gy.shape == y.shape
    cx, cy = f_vjp(np.ones(expected.shape))
    np.testing.assert_allclose(gx, cx, rtol=1e-15)
    np.testing.assert_allclose(gy, cy, rtol=1e-15)
    if x.size + y.size <= 12:
        check_jvp_vjp_consistency(f, (x, y), rng=rng)
