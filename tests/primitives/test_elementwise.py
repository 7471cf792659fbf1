"""Spec table for the elementwise primitives (wengert/primitives/elementwise.py).

Each row is (name, function, NumPy reference, arity, domain sampler, order, tolerance); the
function binds the primitive (through its ``wnp`` wrapper, which adds the explicit broadcasts
for the broadcasting pairs). Every row is checked over the shape set, to its order in forward
and reverse mode against central differences, by the exact ⟨u, J v⟩ = ⟨Jᵀu, v⟩ cross-check,
for value, shape and dtype against NumPy (plain and traced, no warnings), in float32 and with
Python float scalars. The non-differentiable primitives have their own table: NumPy's values
on traced input and a zero derivative. Then the non-smooth conventions, one test each.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core.tracer import Tracer
from wengert.primitives import REGISTRY
from wengert.primitives import elementwise as E
from wengert.primitives.registry import ShapeDtype
from wengert.testing import check_grads, check_jvp_vjp_consistency, check_values

DIFFERENTIABLE = {
    "add",
    "sub",
    "mul",
    "div",
    "neg",
    "pow",
    "float_power",
    "integer_pow",
    "safe_mul",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "logaddexp",
    "logaddexp2",
    "sqrt",
    "cbrt",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "sinc",
    "arctan2",
    "hypot",
    "abs",
    "maximum",
    "minimum",
    "fmod",
    "remainder",
    "clip",
    "select",
    "astype",
}
NONDIFF = {
    "sign",
    "floor",
    "ceil",
    "rint",
    "trunc",
    "round",
    "isfinite",
    "isnan",
    "isinf",
    "signbit",
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "floor_divide",
    "heaviside",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "invert",
}
COVERED_PRIMITIVES = DIFFERENTIABLE | NONDIFF | {"stop_gradient"}

SEED = 20240612

# --- domain samplers: sampler(rng, shapes) -> tuple of float64 arrays --------------------------


def _each(draw):
    def sample(rng, shapes):
        return tuple(np.asarray(draw(rng, s), dtype=np.float64) for s in shapes)

    sample.__name__ = draw.__name__
    return sample


@_each
def normal(rng, shape):
    return rng.standard_normal(shape)


@_each
def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def interval(lo, hi):
    def draw(rng, shape):
        return rng.uniform(lo, hi, shape)

    draw.__name__ = f"interval({lo}, {hi})"
    return _each(draw)


@_each
def greater_than_one(rng, shape):
    return rng.uniform(1.2, 3.0, shape)


@_each
def away_from_zero(rng, shape):
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _rejection(draw, ok, name):
    """Redraw until ``ok(*args)`` holds on the broadcast arguments (a margin from a kink)."""

    def sample(rng, shapes):
        for _ in range(1000):
            args = draw(rng, shapes)
            if ok(*np.broadcast_arrays(*args)):
                return args
        raise RuntimeError(f"sampler {name} found no sample for shapes {shapes}")

    sample.__name__ = name
    return sample


def _margin(a, b, m=0.1):
    return a.size == 0 or bool(np.min(np.abs(a - b)) > m)


no_ties = _rejection(normal, lambda x, y: _margin(x, y), "no_ties")
base_and_exponent = _rejection(
    lambda rng, shapes: (positive(rng, shapes[:1])[0], normal(rng, shapes[1:])[0]),
    lambda x, y: True,
    "positive_base",
)
nonzero_divisor = _rejection(
    lambda rng, shapes: (normal(rng, shapes[:1])[0], away_from_zero(rng, shapes[1:])[0]),
    lambda x, y: True,
    "nonzero_divisor",
)
away_from_origin = _rejection(
    normal, lambda x, y: x.size == 0 or bool(np.min(np.hypot(x, y)) > 0.3), "away_from_origin"
)


def _frac_ok(x, y):
    # x / y stays away from integers, where fmod and remainder jump.
    if x.size == 0:
        return True
    q = x / y
    return bool(np.min(np.abs(q - np.round(q))) > 0.15)


def _half_integers_over_near_one(rng, shapes):
    # x = k + (0.35..0.65) and |y| in [1, 1.04]: x / y stays >= 0.15 from any integer.
    x = rng.integers(-4, 4, shapes[0]) + rng.uniform(0.35, 0.65, shapes[0])
    y = rng.uniform(1.0, 1.04, shapes[1]) * rng.choice([-1.0, 1.0], shapes[1])
    return np.asarray(x, np.float64), np.asarray(y)


quotient_off_integers = _rejection(_half_integers_over_near_one, _frac_ok, "quotient_off_integers")


def _clip_ok(x, lo, hi):
    return _margin(x, lo) and _margin(x, hi)


clip_bounds = _rejection(
    lambda rng, shapes: (
        1.5 * rng.standard_normal(shapes[0]),
        rng.uniform(-1.0, -0.4, shapes[1]),
        rng.uniform(0.4, 1.0, shapes[2]),
    ),
    _clip_ok,
    "clip_bounds",
)

# --- the table --------------------------------------------------------------------------------


class Row(NamedTuple):
    name: str  # the primitive (REGISTRY key)
    label: str
    fn: Callable  # differentiable function binding the primitive
    reference: Callable  # plain NumPy
    arity: int
    sampler: Callable
    order: int
    rtol: float
    eps: float = 1e-6


def _mask(*args):
    shape = np.broadcast_shapes(*[wnp.shape(a) for a in args])
    return np.arange(math.prod(shape)).reshape(shape) % 3 != 1


def _select(x, y):
    return wnp.where(_mask(x, y), x, y)


def _select_ref(x, y):
    return np.where(_mask(x, y), x, y)


def _safe_mul(x, y):
    return E._smul(x, y)


def _astype_roundtrip(x):
    return wnp.astype(wnp.astype(x, np.longdouble) * 3, x.dtype)


def _astype_ref(x):
    return (x.astype(np.longdouble) * 3).astype(x.dtype)


U = 1
B = 2
SPEC = [
    Row("add", "", wnp.add, np.add, B, normal, 2, 1e-5),
    Row("sub", "", wnp.subtract, np.subtract, B, normal, 2, 1e-5),
    Row("mul", "", wnp.multiply, np.multiply, B, normal, 2, 1e-5),
    Row("div", "", wnp.divide, np.divide, B, nonzero_divisor, 2, 1e-5),
    Row("neg", "", wnp.negative, np.negative, U, normal, 2, 1e-5),
    Row("pow", "", wnp.power, np.power, B, base_and_exponent, 2, 1e-5),
    Row("pow", "python-float-exponent", lambda x: x**2.5, lambda x: x**2.5, U, positive, 2, 1e-5),
    Row("pow", "python-float-base", lambda y: 2.0**y, lambda y: 2.0**y, U, normal, 2, 1e-5),
    Row("float_power", "", wnp.float_power, np.float_power, B, base_and_exponent, 2, 1e-5),
    Row("integer_pow", "cube", lambda x: x**3, lambda x: x**3, U, normal, 2, 1e-5),
    Row(
        "integer_pow",
        "negative",
        lambda x: wnp.power(x, -2),
        lambda x: np.power(x, -2.0),
        U,
        away_from_zero,
        2,
        1e-5,
    ),
    Row("integer_pow", "square", wnp.square, np.square, U, normal, 2, 1e-5),
    Row("safe_mul", "", _safe_mul, np.multiply, B, normal, 2, 1e-5),
    Row("exp", "", wnp.exp, np.exp, U, normal, 2, 1e-5),
    Row("exp2", "", wnp.exp2, np.exp2, U, normal, 2, 1e-5),
    Row("expm1", "", wnp.expm1, np.expm1, U, normal, 2, 1e-5),
    Row("log", "", wnp.log, np.log, U, positive, 2, 1e-5),
    Row("log2", "", wnp.log2, np.log2, U, positive, 2, 1e-5),
    Row("log10", "", wnp.log10, np.log10, U, positive, 2, 1e-5),
    Row("log1p", "", wnp.log1p, np.log1p, U, interval(-0.5, 2.0), 2, 1e-5),
    Row("logaddexp", "", wnp.logaddexp, np.logaddexp, B, normal, 2, 1e-5),
    Row("logaddexp2", "", wnp.logaddexp2, np.logaddexp2, B, normal, 2, 1e-5),
    Row("sqrt", "", wnp.sqrt, np.sqrt, U, positive, 2, 1e-5),
    Row("cbrt", "", wnp.cbrt, np.cbrt, U, away_from_zero, 2, 1e-5),
    Row("sin", "", wnp.sin, np.sin, U, normal, 2, 1e-5),
    Row("cos", "", wnp.cos, np.cos, U, normal, 2, 1e-5),
    Row("tan", "", wnp.tan, np.tan, U, interval(-1.2, 1.2), 2, 1e-5),
    Row("arcsin", "", wnp.arcsin, np.arcsin, U, interval(-0.9, 0.9), 2, 1e-5),
    Row("arccos", "", wnp.arccos, np.arccos, U, interval(-0.9, 0.9), 2, 1e-5),
    Row("arctan", "", wnp.arctan, np.arctan, U, normal, 2, 1e-5),
    Row("sinh", "", wnp.sinh, np.sinh, U, normal, 2, 1e-5),
    Row("cosh", "", wnp.cosh, np.cosh, U, normal, 2, 1e-5),
    Row("tanh", "", wnp.tanh, np.tanh, U, normal, 2, 1e-5),
    Row("arcsinh", "", wnp.arcsinh, np.arcsinh, U, normal, 2, 1e-5),
    Row("arccosh", "", wnp.arccosh, np.arccosh, U, greater_than_one, 2, 1e-5),
    Row("arctanh", "", wnp.arctanh, np.arctanh, U, interval(-0.9, 0.9), 2, 1e-5),
    Row("sinc", "", wnp.sinc, np.sinc, U, normal, 2, 1e-5),
    Row("sinc", "near-zero", wnp.sinc, np.sinc, U, interval(-0.04, 0.04), 2, 1e-5),
    Row("arctan2", "", wnp.arctan2, np.arctan2, B, away_from_origin, 2, 1e-5),
    Row("hypot", "", wnp.hypot, np.hypot, B, away_from_origin, 2, 1e-5),
    Row("abs", "", wnp.abs, np.abs, U, away_from_zero, 2, 1e-5),
    Row("maximum", "", wnp.maximum, np.maximum, B, no_ties, 2, 1e-5),
    Row("minimum", "", wnp.minimum, np.minimum, B, no_ties, 2, 1e-5),
    Row("fmod", "", wnp.fmod, np.fmod, B, quotient_off_integers, 2, 1e-5),
    Row("remainder", "", wnp.remainder, np.remainder, B, quotient_off_integers, 2, 1e-5),
    Row("clip", "", lambda x, lo, hi: wnp.clip(x, lo, hi), np.clip, 3, clip_bounds, 2, 1e-5),
    Row("select", "", _select, _select_ref, B, normal, 2, 1e-5),
    # Through long double and back (exact both ways, so the exact checks apply); the float32
    # cases are tested below.
    Row("astype", "longdouble-roundtrip", _astype_roundtrip, _astype_ref, U, normal, 2, 1e-5),
]

_shape_rng = np.random.default_rng(SEED)
RANDOM_SHAPES = [tuple(int(n) for n in _shape_rng.integers(1, 4, size=k)) for k in (1, 2, 3)]
SHAPES = [(), (1,), (3,), (2, 3), (0,), (2, 0, 3), *RANDOM_SHAPES]
BROADCAST = [((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), (3,))]
CLIP_BROADCAST = [((2, 3), (), (3,)), ((3, 1), (1, 4), ())]


def _shape_sets(arity):
    same = [(s,) * arity for s in SHAPES]
    if arity == 2:
        return same + BROADCAST
    if arity == 3:
        return same + CLIP_BROADCAST
    return same


def _sid(shapes):
    return "-".join("x".join(map(str, s)) or "scalar" for s in shapes)


def _rid(row):
    return row.name + (f"[{row.label}]" if row.label else "")


CASES = [
    pytest.param(row, shapes, id=f"{_rid(row)}-{_sid(shapes)}")
    for row in SPEC
    for shapes in _shape_sets(row.arity)
]


def _args(row, shapes, dtype=np.float64):
    args = row.sampler(np.random.default_rng(SEED), shapes)
    return tuple(np.asarray(a, dtype=dtype) for a in args)


@pytest.mark.parametrize("row, shapes", CASES)
def test_grads(row, shapes):
    args = _args(row, shapes)
    order = row.order if sum(a.size for a in args) <= 12 else 1
    check_grads(row.fn, args, order=order, modes=("fwd", "rev"), rtol=row.rtol, eps=row.eps)
    check_jvp_vjp_consistency(row.fn, args, rng=np.random.default_rng(1))


@pytest.mark.parametrize("row, shapes", CASES)
def test_value_shape_dtype_no_warnings(row, shapes):
    args = _args(row, shapes)
    check_values(row.fn, args, row.reference(*args))


@pytest.mark.parametrize("row, shapes", CASES)
def test_float32_in_float32_out(row, shapes):
    args = _args(row, shapes, dtype=np.float32)
    expected = np.asarray(row.reference(*args))
    out, tangent = wg.jvp(row.fn, args, args)
    # float32 stays float32, except where NumPy itself computes in float64 (float_power).
    assert expected.dtype == (np.float64 if row.name == "float_power" else np.float32)
    np.testing.assert_array_equal(out, expected)
    assert np.result_type(out) == expected.dtype and np.result_type(tangent) == expected.dtype
    out, f_vjp = wg.vjp(row.fn, *args)
    for ct in f_vjp(np.ones_like(expected)):
        assert ct.dtype == np.float32


SCALAR_ROWS = [pytest.param(row, id=_rid(row)) for row in SPEC]


@pytest.mark.parametrize("row", SCALAR_ROWS)
def test_python_float_scalars(row):
    args = _args(row, ((),) * row.arity)
    floats = tuple(float(a) for a in args)
    expected = row.reference(*args)
    for k in range(row.arity):
        # Argument k is a Python float, the others 0-d arrays; all are differentiated.
        mixed = tuple(f if i == k else a for i, (f, a) in enumerate(zip(floats, args)))
        value, tangent = wg.jvp(row.fn, mixed, tuple(1.0 for _ in mixed))
        _, ref_tangent = wg.jvp(row.fn, args, tuple(np.ones(()) for _ in args))
        np.testing.assert_array_equal(value, expected)
        np.testing.assert_allclose(tangent, ref_tangent, rtol=1e-15)
    grads = wg.grad(row.fn, argnums=tuple(range(row.arity)))(*floats)
    for g in grads:
        assert np.shape(g) == () and np.result_type(g) == np.float64


# --- shape rules ------------------------------------------------------------------------------


def _shape_rule_cases():
    for name, prim in REGISTRY.items():
        if prim.family != "elementwise":
            continue
        if name == "select":
            yield prim, [np.dtype(bool), None, None], {}
        elif name == "clip":
            yield prim, [None, None, None], {}
        elif name == "astype":
            yield prim, [None], {"dtype": np.dtype(np.float32)}
        elif name == "integer_pow":
            yield prim, [None], {"n": 3}
            yield prim, [None], {"n": -2}
        elif name == "round":
            yield prim, [None], {"decimals": 1}
        else:
            nin = getattr(getattr(np, name, None), "nin", None)
            nin = nin or (1 if name in ("neg", "sinc", "stop_gradient") else 2)
            yield prim, [None] * nin, {}


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int8", "bool"])
def test_shape_rules_agree_with_impl(dtype):
    checked = 0
    for prim, dtypes, params in _shape_rule_cases():
        shapes = [(2, 3), (3,), (2, 1)][: len(dtypes)]
        avals = [ShapeDtype(s, np.dtype(d or dtype)) for s, d in zip(shapes, dtypes)]
        dummies = [np.ones(a.shape, a.dtype) for a in avals]
        with np.errstate(all="ignore"):
            try:
                out = np.asarray(prim.impl(*dummies, **params))
            except (TypeError, ValueError):
                continue  # NumPy has no loop for this dtype (e.g. sqrt of bool is fine, invert of float is not)
        assert prim.shape(*avals, **params) == (out.shape, out.dtype), (prim.name, dtype)
        checked += 1
    assert checked >= 20


def test_shape_rules_with_python_scalars_are_weak():
    x = ShapeDtype((3,), np.dtype(np.float32))
    for name in ("add", "mul", "div", "pow", "maximum", "arctan2", "logaddexp", "safe_mul"):
        assert REGISTRY[name].shape(x, 2.0) == ((3,), np.dtype(np.float32)), name
    assert REGISTRY["add"].shape(x, np.float64(2.0)) == ((3,), np.dtype(np.float64))
    assert REGISTRY["select"].shape(np.ones(3, bool), x, 0.0) == ((3,), np.dtype(np.float32))


# --- the non-differentiable primitives --------------------------------------------------------


class NondiffRow(NamedTuple):
    name: str
    fn: Callable  # fn(*traced float args) -> plain array (binds the primitive)
    reference: Callable  # the same on plain arrays
    arity: int


def _ints(x):
    return (
        wnp.astype(wnp.floor(x * 4), np.int64)
        if isinstance(x, Tracer)
        else np.floor(x * 4).astype(np.int64)
    )


NONDIFF_SPEC = [
    NondiffRow("sign", wnp.sign, np.sign, 1),
    NondiffRow("floor", wnp.floor, np.floor, 1),
    NondiffRow("ceil", wnp.ceil, np.ceil, 1),
    NondiffRow("rint", wnp.rint, np.rint, 1),
    NondiffRow("trunc", wnp.trunc, np.trunc, 1),
    NondiffRow("trunc", wnp.fix, np.fix, 1),
    NondiffRow("round", lambda x: wnp.round(x, 1), lambda x: np.round(x, 1), 1),
    NondiffRow("isfinite", wnp.isfinite, np.isfinite, 1),
    NondiffRow("isnan", wnp.isnan, np.isnan, 1),
    NondiffRow("isinf", wnp.isinf, np.isinf, 1),
    NondiffRow("signbit", wnp.signbit, np.signbit, 1),
    NondiffRow("equal", wnp.equal, np.equal, 2),
    NondiffRow("not_equal", wnp.not_equal, np.not_equal, 2),
    NondiffRow("less", wnp.less, np.less, 2),
    NondiffRow("less_equal", wnp.less_equal, np.less_equal, 2),
    NondiffRow("greater", wnp.greater, np.greater, 2),
    NondiffRow("greater_equal", wnp.greater_equal, np.greater_equal, 2),
    NondiffRow("logical_and", wnp.logical_and, np.logical_and, 2),
    NondiffRow("logical_or", wnp.logical_or, np.logical_or, 2),
    NondiffRow("logical_xor", wnp.logical_xor, np.logical_xor, 2),
    NondiffRow("logical_not", wnp.logical_not, np.logical_not, 1),
    NondiffRow("floor_divide", wnp.floor_divide, np.floor_divide, 2),
    NondiffRow("heaviside", lambda x: wnp.heaviside(x, 0.5), lambda x: np.heaviside(x, 0.5), 1),
    NondiffRow(
        "bitwise_and",
        lambda x, y: wnp.bitwise_and(_ints(x), _ints(y)),
        lambda x, y: np.bitwise_and(_ints(x), _ints(y)),
        2,
    ),
    NondiffRow(
        "bitwise_or",
        lambda x, y: wnp.bitwise_or(_ints(x), _ints(y)),
        lambda x, y: np.bitwise_or(_ints(x), _ints(y)),
        2,
    ),
    NondiffRow(
        "bitwise_xor",
        lambda x, y: wnp.bitwise_xor(_ints(x), _ints(y)),
        lambda x, y: np.bitwise_xor(_ints(x), _ints(y)),
        2,
    ),
    NondiffRow("invert", lambda x: wnp.invert(_ints(x)), lambda x: np.invert(_ints(x)), 1),
]
NONDIFF_CASES = [
    pytest.param(row, shapes, id=f"{row.name}-{row.fn.__name__}-{_sid(shapes)}")
    for row in NONDIFF_SPEC
    for shapes in [((2, 3),) * row.arity, ((),) * row.arity, ((0,),) * row.arity]
    + (BROADCAST if row.arity == 2 else [])
]


def _nondiff_args(row, shapes):
    rng = np.random.default_rng(SEED)
    args = [np.round(rng.uniform(-2, 2, s), 1) + 0.05 for s in shapes]
    if row.arity == 2 and shapes[0] == shapes[1] and args[0].size:
        args[1].flat[0] = args[0].flat[0]  # one tie, so equal/less_equal see both outcomes
    return tuple(np.asarray(a, np.float64) for a in args)


def _sum_to(full, shape):
    lead = full.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and full.shape[lead + i] != 1
    )
    return np.sum(full, axis=axes, keepdims=True).reshape(shape) if axes else full


@pytest.mark.parametrize("row, shapes", NONDIFF_CASES)
def test_nondifferentiable_values_and_zero_derivative(row, shapes):
    args = _nondiff_args(row, shapes)
    expected = np.asarray(row.reference(*args))
    bound = []

    def probe(*xs):
        assert all(isinstance(x, Tracer) for x in xs)
        value = row.fn(*xs)
        bound.append(value)
        return value

    def f(*xs):
        # x * nd(x): the derivative must be nd(x) alone (nd contributes nothing).
        return wnp.sum(xs[0] * wnp.astype(probe(*xs), np.float64))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grads = wg.grad(f, argnums=tuple(range(row.arity)))(*args)
        _, tangent = wg.jvp(f, args, tuple(np.ones_like(a) for a in args))
    assert len(bound) == 2
    for value in bound:
        assert not isinstance(value, Tracer)
        np.testing.assert_array_equal(value, expected)
        assert np.result_type(value) == expected.dtype and np.shape(value) == expected.shape
    full = np.broadcast_to(
        expected.astype(np.float64), np.broadcast_shapes(*[a.shape for a in args])
    )
    np.testing.assert_array_equal(grads[0], _sum_to(full, args[0].shape))
    for g, a in zip(grads[1:], args[1:]):
        np.testing.assert_array_equal(g, np.zeros_like(a))
    np.testing.assert_allclose(tangent, np.sum(full), rtol=1e-14)


@pytest.mark.parametrize("name", sorted(NONDIFF))
def test_nondifferentiable_primitive_bound_directly_on_tracers(name):
    prim = E.NONDIFF_PRIMS[name]
    x = np.array([-1.5, 0.0, 2.25, np.nan, np.inf, -np.inf])
    if name in ("bitwise_and", "bitwise_or", "bitwise_xor", "invert"):
        args = (np.array([1, 6, -3, 4, 0, 7]),) * (1 if name == "invert" else 2)
    elif name == "heaviside":
        args = (x, np.array(0.5))
    elif getattr(getattr(np, name, None), "nin", 1) == 2:
        args = (x, x[::-1].copy())
    else:
        args = (x,)
    with np.errstate(all="ignore"):  # NaN and inf operands: NumPy's own forward warnings
        expected = prim.impl(*args)
    float_args = [a for a in args if a.dtype.kind == "f"]
    if not float_args:  # integer-only primitives: traced through an integer cast, reverse mode

        def f(v):
            value = prim(*[wnp.astype(v, a.dtype) for a in args])
            assert not isinstance(value, Tracer)
            np.testing.assert_array_equal(value, expected)
            return wnp.sum(v * value)

        np.testing.assert_array_equal(wg.grad(f)(args[0].astype(float)), expected)
        return

    def g(v):
        value = prim(v, *args[1:])
        assert not isinstance(value, Tracer)
        np.testing.assert_array_equal(value, expected)
        return value

    with np.errstate(all="ignore"):
        _, tangent = wg.jvp(g, (args[0],), (np.ones_like(args[0]),))
    np.testing.assert_array_equal(tangent, np.zeros(np.shape(expected)))


def test_nondifferentiable_second_order():
    x = np.array([0.3, -1.7, 2.2])
    check_grads(lambda x: x * x * wnp.floor(x) + wnp.sign(x) * x, (x,), order=2)
    hess_diag = wg.grad(lambda x: wnp.sum(wg.grad(lambda y: wnp.sum(y * y * wnp.floor(y)))(x)))(x)
    np.testing.assert_array_equal(hess_diag, 2 * np.floor(x))


def test_grad_of_x_times_floor_is_floor():
    x = np.array([0.5, -1.25, 3.75, 2.0])
    np.testing.assert_array_equal(wg.grad(lambda x: wnp.sum(x * wnp.floor(x)))(x), np.floor(x))


# --- stop_gradient ----------------------------------------------------------------------------


def test_stop_gradient_has_zero_derivative_in_both_modes_and_orders():
    x = np.array([0.5, -2.0, 3.0])
    sg = wnp.stop_gradient
    _, tangent = wg.jvp(lambda x: sg(x) * 1.0, (x,), (np.ones(3),))
    np.testing.assert_array_equal(tangent, np.zeros(3))
    _, f_vjp = wg.vjp(lambda x: sg(x * x), x)
    np.testing.assert_array_equal(f_vjp(np.ones(3))[0], np.zeros(3))
    np.testing.assert_array_equal(wg.grad(lambda x: wnp.sum(x * sg(x)))(x), x)
    # The inner gradient is sg(y): its derivative is zero.
    np.testing.assert_array_equal(
        wg.grad(lambda x: wnp.sum(wg.grad(lambda y: wnp.sum(y * sg(y)))(x)))(x), np.zeros(3)
    )
    d2 = wg.derivative(wg.derivative(lambda t: t * t * sg(t)))(1.5)
    assert float(d2) == 3.0  # d2/dt2 of t^2 * c is 2c with c = 1.5
    _, t2 = wg.jvp(
        lambda x: wg.jvp(lambda y: sg(y) * y, (x,), (np.ones(3),))[1], (x,), (np.ones(3),)
    )
    np.testing.assert_array_equal(t2, np.zeros(3))
    assert wnp.stop_gradient(x) is x  # plain input passes through
    values = wg.jvp(lambda x: sg({"a": x, "b": (x, 2.0)})["b"][0], (x,), (np.ones(3),))
    np.testing.assert_array_equal(values[0], x)
    np.testing.assert_array_equal(values[1], np.zeros(3))


# --- astype --------------------------------------------------------------------------------------


def test_astype_to_integer_or_bool_has_zero_derivative():
    x = np.array([0.5, -2.25, 3.75])
    for dtype in (np.int64, np.int32, bool):
        f = lambda x, dtype=dtype: wnp.sum(x * wnp.astype(x, dtype))
        np.testing.assert_array_equal(wg.grad(f)(x), x.astype(dtype).astype(float))
        _, t = wg.jvp(lambda x, dtype=dtype: wnp.astype(x, dtype), (x,), (np.ones(3),))
        assert np.result_type(t) in (np.dtype(dtype), np.dtype(float))
        np.testing.assert_array_equal(t, np.zeros(3))
        # Back to float: the integer detour still carries no derivative.
        g = wg.grad(lambda x, d=dtype: wnp.sum(wnp.astype(wnp.astype(x, d), np.float64)))(x)
        np.testing.assert_array_equal(g, np.zeros(3))


def test_astype_between_floats_casts_the_derivative_back():
    x32 = np.array([0.5, -2.0], np.float32)
    g = wg.grad(lambda x: wnp.sum(wnp.astype(x, np.float64) ** 2))(x32)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, 2 * x32)
    _, t = wg.jvp(lambda x: wnp.astype(x, np.float32), (x32.astype(np.float64),), (np.ones(2),))
    assert t.dtype == np.float32


# --- safe_mul: the strong zero -----------------------------------------------------------------


def test_safe_mul_zero_is_a_strong_zero():
    a = np.array([np.inf, np.nan, -np.inf, 2.0, np.inf, 0.0, 1.0, np.nan])
    b = np.array([0.0, 0.0, -0.0, 0.0, 3.0, np.inf, np.nan, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = E.safe_mul_p(a, b)
        swapped = E.safe_mul_p(b, a)
    # 0 times anything is 0; a NaN or inf meeting a nonzero factor still propagates.
    expected = [0.0, 0.0, 0.0, 0.0, np.inf, 0.0, np.nan, np.nan]
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(swapped, expected)
    assert E.safe_mul_p(2.0, np.float32(3.0)).dtype == np.float32
    x = np.array([1.0, 2.0])
    _, t = wg.jvp(
        lambda b: E.safe_mul_p(np.array([np.inf, 3.0]), b), (x,), (np.array([0.0, 1.0]),)
    )
    np.testing.assert_array_equal(t, [0.0, 3.0])


# --- non-smooth conventions and NaN safety -----------------------------------------------------


def _no_warnings():
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("error")
    return ctx


def _grads(f, *args):
    """Reverse-mode gradient and forward-mode partials (one basis tangent per argument)."""
    rev = wg.grad(f, argnums=tuple(range(len(args))))(*args)
    fwd = []
    for k in range(len(args)):
        tangents = tuple(
            np.ones_like(a) if i == k else np.zeros_like(a) for i, a in enumerate(args)
        )
        fwd.append(wg.jvp(f, args, tangents)[1])
    return rev, tuple(fwd)


def test_sqrt_derivative_at_zero_is_inf_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(wg.grad(wnp.sqrt)(0.0)) == np.inf
        assert float(wg.jvp(wnp.sqrt, (0.0,), (1.0,))[1]) == np.inf
        assert float(wg.grad(wnp.cbrt)(0.0)) == np.inf


def test_where_does_not_leak_nan_from_the_branch_not_taken():
    f = lambda x: wnp.where(x > 0, wnp.sqrt(x), 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(wg.grad(f)(0.0)) == 0.0
        assert float(wg.jvp(f, (0.0,), (1.0,))[1]) == 0.0
        assert float(wg.grad(f)(4.0)) == 0.25
    # At x < 0 the forward sqrt itself is NaN: NumPy warns about that (as it does without
    # wengert), and that is the only warning; the gradient is an exact 0.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert float(wg.grad(f)(-1.0)) == 0.0
        assert float(wg.jvp(f, (-1.0,), (1.0,))[1]) == 0.0
        x = np.array([-2.0, 0.0, 1e-300, 4.0])
        g = wg.grad(lambda x: wnp.sum(f(x)))(x)
    assert {str(w.message) for w in caught} <= {"invalid value encountered in sqrt"}
    np.testing.assert_array_equal(g[[0, 1, 3]], [0.0, 0.0, 0.25])
    assert np.isfinite(g).all()


def test_where_entropy_pattern_is_finite():
    # p log p with the 0 log 0 = 0 convention: log(0) = -inf must not reach the gradient.
    h = lambda p: wnp.sum(wnp.where(p > 0, p * wnp.log(wnp.where(p > 0, p, 1.0)), 0.0))
    h_naive = lambda p: wnp.sum(wnp.where(p > 0, p * wnp.log(p), 0.0))
    p = np.array([0.0, 0.25, 0.75])
    with np.errstate(divide="ignore", invalid="ignore"):  # the forward 0 * log(0), as NumPy
        for fn in (h, h_naive):
            g = wg.grad(fn)(p)
            np.testing.assert_allclose(g, [0.0, np.log(0.25) + 1, np.log(0.75) + 1], rtol=1e-15)
            hv = wg.jvp(wg.grad(fn), (p,), (np.ones(3),))[1]
            np.testing.assert_allclose(hv, [0.0, 4.0, 4 / 3], rtol=1e-14)


def test_where_keeps_real_nan_in_the_branch_taken():
    f = lambda x: wnp.where(x > -10, wnp.sqrt(x), 0.0)
    with np.errstate(invalid="ignore"):
        assert np.isnan(float(wg.grad(f)(-1.0)))


def test_zero_tangent_through_an_infinite_derivative_gives_exact_jacobian_entries():
    # f(x, y) = (sqrt(x) + y, y): the y-column is (1, 1) even at x = 0 where sqrt' = inf.
    f = lambda x, y: wnp.stack([wnp.sqrt(x) + y, y])
    _, col = wg.jvp(f, (0.0, 2.0), (0.0, 1.0))
    np.testing.assert_array_equal(col, [1.0, 1.0])
    _, f_vjp = wg.vjp(f, 0.0, 2.0)
    np.testing.assert_array_equal(np.array(f_vjp(np.array([0.0, 1.0]))), [0.0, 1.0])


def test_abs_derivative_at_zero_is_zero():
    rev, fwd = _grads(wnp.abs, 0.0)
    assert float(rev[0]) == 0.0 and float(fwd[0]) == 0.0
    assert float(wg.grad(wnp.fabs)(0.0)) == 0.0


@pytest.mark.parametrize("fn", [wnp.maximum, wnp.minimum, wnp.fmax, wnp.fmin])
def test_extremum_ties_split_evenly(fn):
    rev, fwd = _grads(fn, 1.5, 1.5)
    for parts in (rev, fwd):
        assert tuple(float(p) for p in parts) == (0.5, 0.5)
    assert float(wg.grad(lambda x: fn(x, x))(2.0)) == 1.0


def test_maximum_plus_minimum_has_derivative_one_everywhere():
    f = lambda x, y: wnp.maximum(x, y) + wnp.minimum(x, y)
    x = np.array([1.0, 2.0, -1.0, 0.0])
    y = np.array([1.0, 1.0, 3.0, 0.0])
    ones = np.ones(4)
    zeros = np.zeros(4)
    _, f_vjp = wg.vjp(f, x, y)
    for g in f_vjp(ones):
        np.testing.assert_array_equal(g, ones)
    for tangents in ((ones, zeros), (zeros, ones)):
        np.testing.assert_array_equal(wg.jvp(f, (x, y), tangents)[1], ones)


def test_fmax_derivative_goes_to_the_non_nan_operand():
    x = np.array([np.nan, 1.0, 3.0])
    y = np.array([2.0, np.nan, 1.0])
    gx, gy = wg.grad(lambda x, y: wnp.sum(wnp.fmax(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(gy, [1.0, 0.0, 0.0])


def test_clip_boundaries_are_inclusive():
    f = lambda x, lo, hi: wnp.clip(x, lo, hi)
    for x in (-1.0, 1.0, 0.5):
        rev, fwd = _grads(f, x, -1.0, 1.0)
        for parts in (rev, fwd):
            assert tuple(float(p) for p in parts) == (1.0, 0.0, 0.0)
    rev, fwd = _grads(f, -3.0, -1.0, 1.0)
    assert tuple(float(p) for p in rev) == (0.0, 1.0, 0.0)
    rev, fwd = _grads(f, 3.0, -1.0, 1.0)
    assert tuple(float(p) for p in rev) == (0.0, 0.0, 1.0)
    # lo > hi: NumPy returns hi, and the derivative goes to hi.
    rev, _ = _grads(f, 0.0, 1.0, -1.0)
    assert float(f(0.0, 1.0, -1.0)) == -1.0
    assert tuple(float(p) for p in rev) == (0.0, 0.0, 1.0)


def test_hypot_and_arctan2_at_the_origin():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in (wnp.hypot, wnp.arctan2):
            rev, fwd = _grads(fn, 0.0, 0.0)
            for parts in (rev, fwd):
                assert tuple(float(p) for p in parts) == (0.0, 0.0)
        # Tiny and huge arguments: r**2 would under/overflow, (x/r)/r does not.
        for s in (1e-200, 1e200):
            g = wg.grad(wnp.arctan2, argnums=(0, 1))(s, s)
            np.testing.assert_allclose([float(v) for v in g], [0.5 / s, -0.5 / s], rtol=1e-15)


def test_sinc_derivatives_at_zero():
    d = wg.derivative
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(wnp.sinc(0.0)) == 1.0
        assert float(d(wnp.sinc)(0.0)) == 0.0
        np.testing.assert_allclose(float(d(d(wnp.sinc))(0.0)), -(np.pi**2) / 3, rtol=1e-15)
        assert float(d(d(d(wnp.sinc)))(0.0)) == 0.0
        np.testing.assert_allclose(float(d(d(d(d(wnp.sinc))))(0.0)), np.pi**4 / 5, rtol=1e-14)
    # Either side of the series/quotient switch, the first derivative is accurate.
    for x in (0.0499, 0.0501, 1e-6, 0.3):
        exact = (np.cos(np.pi * x) - np.sinc(x)) / x
        if x < 0.01:
            exact = -(np.pi**2) * x / 3 + np.pi**4 * x**3 / 30
        np.testing.assert_allclose(float(d(wnp.sinc)(x)), exact, rtol=1e-12)


def test_pow_at_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(wg.grad(lambda x: x**2)(0.0)) == 0.0
        assert float(wg.grad(lambda x: x**2.0)(0.0)) == 0.0
        assert float(wg.grad(lambda x: wnp.power(x, np.array(1.0)))(0.0)) == 1.0
        assert float(wg.grad(lambda x: x**0.5)(0.0)) == np.inf
        # d/dx x**0 = 0, even at x = 0 (y * x**(y-1) would be 0 * inf).
        gx, gy = wg.grad(wnp.power, argnums=(0, 1))(0.0, 0.0)
        assert (float(gx), float(gy)) == (0.0, 0.0)
        # d/dy 0**y = 0 for y > 0.
        assert float(wg.grad(lambda y: wnp.power(0.0, y))(2.0)) == 0.0
        assert float(wg.grad(wnp.power, argnums=1)(np.array(0.0), 2.5)) == 0.0
    # integer_pow is exact at negative bases, where pow's log-based y-rule is not needed.
    assert float(wg.grad(lambda x: x**3)(-2.0)) == 12.0
    assert float(wg.grad(lambda x: x**-1)(-2.0)) == -0.25


def test_logaddexp_ties_and_infinities():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in (wnp.logaddexp, wnp.logaddexp2):
            rev, fwd = _grads(fn, 0.7, 0.7)
            for parts in (rev, fwd):
                assert tuple(float(p) for p in parts) == (0.5, 0.5)
        # The second derivative at a tie is the sigmoid's slope, 1/4 (times ln 2 in base 2).
        assert float(wg.grad(wg.grad(wnp.logaddexp))(1.0, 1.0)) == 0.25
        np.testing.assert_allclose(
            float(wg.grad(wg.grad(wnp.logaddexp2))(1.0, 1.0)), np.log(2) / 4, rtol=1e-15
        )
        # Tiny weights keep full relative accuracy.
        np.testing.assert_allclose(
            float(wg.grad(wnp.logaddexp)(-40.0, 0.0)), 1 / (1 + np.exp(40.0)), rtol=1e-15
        )
        cases = {
            (np.inf, np.inf): (0.5, 0.5),
            (-np.inf, -np.inf): (0.5, 0.5),
            (np.inf, 3.0): (1.0, 0.0),
            (-np.inf, 3.0): (0.0, 1.0),
        }
        for (x, y), expected in cases.items():
            rev, fwd = _grads(wnp.logaddexp, x, y)
            assert tuple(float(p) for p in rev) == expected
            assert tuple(float(p) for p in fwd) == expected


def test_logaddexp_matches_the_sum_of_exponentials():
    x = np.array([0.3, -2.0, 5.0])
    y = np.array([1.3, -2.0, -1.0])
    g = wg.grad(lambda x, y: wnp.sum(wnp.logaddexp(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(g[0], np.exp(x) / (np.exp(x) + np.exp(y)), rtol=1e-15)
    np.testing.assert_allclose(g[1], np.exp(y) / (np.exp(x) + np.exp(y)), rtol=1e-15)


def test_fmod_and_remainder_partials():
    x = np.array([5.5, -5.5, 7.25])
    y = np.array([2.0, 2.0, -3.0])
    for fn, q in ((wnp.fmod, np.trunc(x / y)), (wnp.remainder, np.floor(x / y))):
        gx, gy = wg.grad(lambda x, y, fn=fn: wnp.sum(fn(x, y)), argnums=(0, 1))(x, y)
        np.testing.assert_array_equal(gx, np.ones(3))
        np.testing.assert_array_equal(gy, -q)


def test_domain_edges_do_not_warn_in_rules():
    # The forward value is finite here; the infinite derivative is the documented limit.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(wg.grad(wnp.arcsin)(1.0)) == np.inf
        assert float(wg.grad(wnp.arccos)(1.0)) == -np.inf
        assert float(wg.grad(wnp.arccosh)(1.0)) == np.inf
        assert float(wg.grad(wnp.arctanh)(0.0)) == 1.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert float(wg.grad(lambda x: wnp.where(x > 0, wnp.log(x), 0.0))(0.0)) == 0.0
        assert float(wg.grad(lambda x: wnp.where(x != 0, 1.0 / x, 0.0))(0.0)) == 0.0
    # Only the forward pass warns (log(0), 1/0), as NumPy does on the same plain computation.
    assert len(caught) == 2
    assert all(str(w.message).startswith("divide by zero encountered in") for w in caught)


def test_equivalent_formulations_agree_at_kinks():
    # Each pair is the same function written two ways; their derivatives agree at the kink
    # because abs'(0) = 0, ties split 1/2, and 0 * inf = 0 in every rule.
    pairs = [
        (wnp.abs, lambda x: wnp.sqrt(x * x)),
        (lambda x: wnp.maximum(x, 0.0), lambda x: (x + wnp.abs(x)) / 2),
        (lambda x: wnp.hypot(x, 0.0), lambda x: wnp.sqrt(x * x + 0.0)),
        (lambda x: wnp.logaddexp(x, x), lambda x: x + np.log(2.0)),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f, g in pairs:
            for x in (0.0, 1.5, -0.5):
                assert float(wg.grad(f)(x)) == float(wg.grad(g)(x)), (f, g, x)
                assert float(wg.jvp(f, (x,), (1.0,))[1]) == float(wg.jvp(g, (x,), (1.0,))[1])
