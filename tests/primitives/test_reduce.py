"""Spec table for the reduction, scan and sort primitives.

Each row is (name, function, cases, domain sampler, order, tolerance, primitive, NumPy
reference); a case is (shape, static parameters). Every case is checked to the row's order in
forward and reverse mode against central differences, by the exact ⟨u, J v⟩ = ⟨Jᵀu, v⟩
cross-check, for value, shape and dtype against NumPy (plain and traced, no warnings), in
float32, for recording its primitive and for its shape rule.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.primitives import REGISTRY
from wengert.primitives.registry import ShapeDtype
from wengert.testing import check_grads, check_jvp_vjp_consistency

COVERED_PRIMITIVES = {"sum", "max", "min", "prod", "cumsum", "cumprod", "sort", "argsort"}


def normal(rng, shape):
    return rng.standard_normal(shape)


def near_one(rng, shape):
    # Products of many factors stay O(1), so finite differences stay accurate.
    return rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)


def with_zeros(k):
    """Sampler putting exact zeros at k positions of the (flattened) array."""

    def sample(rng, shape):
        x = near_one(rng, shape)
        flat = x.reshape(-1)
        flat[rng.choice(flat.size, size=min(k, flat.size), replace=False)] = 0.0
        return x

    sample.__name__ = f"with_{k}_zeros"
    return sample


class Row(NamedTuple):
    name: str
    fn: Callable  # fn(x, **params)
    cases: tuple  # each: (shape, params)
    sampler: Callable
    order: int
    rtol: float
    prim: str
    reference: Callable  # reference(x, **params), plain NumPy


# Axis/keepdims variants: axis None, 0, -1 and (0, 2) on a 3-D array, keepdims both ways,
# scalars, general shapes and empty arrays.
REDUCE_CASES = (
    ((), {}),
    ((), {"keepdims": True}),
    ((1,), {}),
    ((3,), {"axis": 0}),
    ((3,), {"axis": -1, "keepdims": True}),
    ((2, 3), {}),
    ((2, 3), {"axis": 0}),
    ((2, 3), {"axis": -1, "keepdims": True}),
    ((2, 3, 4), {"axis": (0, 2)}),
    ((2, 3, 4), {"axis": (0, 2), "keepdims": True}),
    ((2, 3, 4), {"axis": (-1, 0)}),
    ((2, 3, 4), {"axis": None, "keepdims": True}),
    ((2, 3, 4), {"axis": 1}),
    ((0,), {}),
    ((0,), {"keepdims": True}),
    ((2, 0, 3), {"axis": 1}),
    ((2, 0, 3), {"axis": (0, 2)}),
    ((2, 0, 3), {"keepdims": True}),
)
# max/min of a zero-length reduced axis raises (tested below); the rest of the variants apply.
EXTREMUM_CASES = tuple(
    c
    for c in REDUCE_CASES
    if not (
        0 in c[0]
        and (c[1].get("axis") is None or 0 in [c[0][a] for a in np.atleast_1d(c[1]["axis"])])
    )
)
SCAN_CASES = (
    ((), {}),
    ((1,), {"axis": 0}),
    ((3,), {"axis": 0}),
    ((5,), {"axis": -1}),
    ((2, 3), {"axis": 0}),
    ((2, 3), {"axis": -1}),
    ((2, 3), {}),  # axis=None flattens
    ((2, 3, 4), {"axis": 1}),
    ((0,), {"axis": 0}),
    ((2, 0, 3), {"axis": 1}),
    ((2, 0, 3), {"axis": 2}),
)
SORT_CASES = tuple(c for c in SCAN_CASES if c[0] != ()) + (((2, 3), {"axis": None}),)
ZERO_CASES = (((4,), {}), ((3, 4), {"axis": 1}), ((2, 3, 4), {"axis": (0, 2)}))
SCAN_ZERO_CASES = (((5,), {"axis": 0}), ((3, 4), {"axis": 1}), ((2, 3, 4), {"axis": 2}))

SPEC = [
    Row("sum", wnp.sum, REDUCE_CASES, normal, 2, 1e-5, "sum", np.sum),
    Row("max", wnp.max, EXTREMUM_CASES, normal, 2, 1e-5, "max", np.max),
    Row("min", wnp.min, EXTREMUM_CASES, normal, 2, 1e-5, "min", np.min),
    Row("prod", wnp.prod, REDUCE_CASES, near_one, 2, 1e-5, "prod", np.prod),
    Row("prod[1 zero]", wnp.prod, ZERO_CASES, with_zeros(1), 2, 1e-5, "prod", np.prod),
    Row("prod[2 zeros]", wnp.prod, ZERO_CASES, with_zeros(2), 2, 1e-5, "prod", np.prod),
    Row("cumsum", wnp.cumsum, SCAN_CASES, normal, 2, 1e-5, "cumsum", np.cumsum),
    Row("cumprod", wnp.cumprod, SCAN_CASES, near_one, 2, 1e-5, "cumprod", np.cumprod),
    Row(
        "cumprod[1 zero]",
        wnp.cumprod,
        SCAN_ZERO_CASES,
        with_zeros(1),
        2,
        1e-5,
        "cumprod",
        np.cumprod,
    ),
    Row(
        "cumprod[2 zeros]",
        wnp.cumprod,
        SCAN_ZERO_CASES,
        with_zeros(2),
        2,
        1e-5,
        "cumprod",
        np.cumprod,
    ),
    Row("sort", wnp.sort, SORT_CASES, normal, 2, 1e-5, "sort", np.sort),
]


def _case_id(row, shape, params):
    p = ",".join(f"{k}={v}" for k, v in params.items())
    return f"{row.name}-{'x'.join(map(str, shape)) or 'scalar'}-{p}"


CASES = [
    pytest.param(row, shape, params, id=_case_id(row, shape, params))
    for row in SPEC
    for shape, params in row.cases
]


def _arg(row, shape, seed=0, dtype=np.float64):
    return np.asarray(row.sampler(np.random.default_rng(seed), shape), dtype)


def _fn(row, params):
    return lambda x: row.fn(x, **params)


@pytest.mark.parametrize("row, shape, params", CASES)
def test_grads(row, shape, params):
    x = _arg(row, shape)
    f = _fn(row, params)
    order = row.order if x.size <= 12 else 1
    check_grads(f, (x,), order=order, modes=("fwd", "rev"), rtol=row.rtol)
    check_jvp_vjp_consistency(f, (x,), rng=np.random.default_rng(1))


@pytest.mark.parametrize("row, shape, params", CASES)
def test_value_shape_dtype_match_numpy(row, shape, params):
    x = _arg(row, shape)
    f = _fn(row, params)
    expected = row.reference(x, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plain = f(x)
        traced, tangent = wg.jvp(f, (x,), (x,))
        out, f_vjp = wg.vjp(f, x)
        (ct,) = f_vjp(np.ones_like(expected))
    assert type(plain) is type(expected)
    np.testing.assert_array_equal(plain, expected)
    for value in (traced, out):
        np.testing.assert_array_equal(value, expected)
        assert np.shape(value) == np.shape(expected) and value.dtype == expected.dtype
    assert np.shape(tangent) == np.shape(expected) and tangent.dtype == expected.dtype
    assert ct.shape == x.shape and ct.dtype == x.dtype


@pytest.mark.parametrize("row, shape, params", CASES)
def test_float32_in_float32_out(row, shape, params):
    x = _arg(row, shape, dtype=np.float32)
    f = _fn(row, params)
    out, tangent = wg.jvp(f, (x,), (x,))
    assert out.dtype == np.float32 and np.asarray(tangent).dtype == np.float32
    out, f_vjp = wg.vjp(f, x)
    (ct,) = f_vjp(np.ones_like(out))
    assert ct.dtype == np.float32
    np.testing.assert_array_equal(out, row.reference(x, **params))


def test_python_float_scalar():
    for f, ref in (
        (wnp.sum, np.sum),
        (wnp.prod, np.prod),
        (wnp.max, np.max),
        (wnp.min, np.min),
        (wnp.cumsum, np.cumsum),
        (wnp.cumprod, np.cumprod),
    ):
        assert f(2.5) == ref(2.5) and np.shape(f(2.5)) == np.shape(ref(2.5))
        np.testing.assert_array_equal(wg.grad(lambda x, f=f: wnp.sum(f(x)))(2.5), 1.0)


@pytest.mark.parametrize("row", SPEC, ids=[r.name for r in SPEC])
def test_records_its_primitive(row):
    shape, params = next(c for c in row.cases if np.prod(c[0]) > 1)
    trace = wg.trace(_fn(row, params))(_arg(row, shape))
    assert row.prim in [e.prim.name for e in trace.eqns]


@pytest.mark.parametrize("row, shape, params", CASES)
def test_shape_rule_agrees_with_impl(row, shape, params):
    trace = wg.trace(_fn(row, params))(_arg(row, shape))
    for eqn in trace.eqns:
        if eqn.prim.name != row.prim:
            continue
        ins = [trace.values[x.id] if hasattr(x, "id") else x.value for x in eqn.inputs]
        avals = [ShapeDtype(tuple(np.shape(v)), np.result_type(v)) for v in ins]
        s, dtype = eqn.prim.shape(*avals, **eqn.params)
        out = eqn.prim.impl(*ins, **eqn.params)
        assert s == np.shape(out) and dtype == out.dtype


@pytest.mark.parametrize("name", sorted(COVERED_PRIMITIVES))
def test_shape_rules_widen_small_integers_like_numpy(name):
    p = REGISTRY[name]
    params = (
        {"axis": 0} if name in ("cumsum", "cumprod", "sort", "argsort")
        else {"axis": (0,), "keepdims": False}
    )
    for dtype in (np.int8, np.bool_, np.float32, np.uint16):
        x = np.ones((3, 2), dtype)
        s, dt = p.shape(ShapeDtype((3, 2), np.dtype(dtype)), **params)
        out = p.impl(x, **params)
        assert s == out.shape and dt == out.dtype, (name, dtype)


def test_every_rule_differentiates_to_third_order():
    rng = np.random.default_rng(7)
    x = near_one(rng, (2, 3))
    x[0, 1] = 0.0  # a zero makes prod and cumprod take no shortcut
    check_grads(lambda x: wnp.prod(x, axis=1) * wnp.sum(x * x, axis=1), (x,), order=3)
    check_grads(
        lambda x: wnp.cumprod(x, axis=1) * wnp.max(x, axis=1, keepdims=True), (x,), order=3
    )
    check_grads(lambda x: wnp.sort(x * x, axis=0) * wnp.cumsum(x, axis=0), (x,), order=3)


def test_max_min_jvp_and_vjp_agree_exactly_with_ties():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    v = np.array([[0.3, -1.0, 2.0], [1.0, 4.0, -2.0]])
    for f in (lambda x: wnp.max(x, axis=1), lambda x: wnp.min(x, axis=1), wnp.max):
        _, t = wg.jvp(f, (x,), (v,))
        out, f_vjp = wg.vjp(f, x)
        u = np.linspace(1.0, 2.0, np.size(out)).reshape(np.shape(out))
        (ct,) = f_vjp(u)
        np.testing.assert_allclose(np.vdot(u, t), np.vdot(ct, v), rtol=1e-14)
    # The even split: max over rows gives 1/2 to each tied 3 and 1/3 to each 2.
    np.testing.assert_allclose(
        wg.jvp(lambda x: wnp.max(x, axis=1), (x,), (v,))[1],
        [(-1.0 + 2.0) / 2, (1.0 + 4.0 - 2.0) / 3],
    )


def test_max_of_nan_sends_the_derivative_to_the_nan():
    x = np.array([1.0, np.nan, 3.0])
    g = wg.grad(wnp.max)(x)
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0])


def test_empty_reduced_axis():
    e = np.zeros((2, 0, 3))
    # sum of nothing is 0 (and prod 1), with zero derivative.
    for f, value in ((wnp.sum, 0.0), (wnp.prod, 1.0)):
        out, t = wg.jvp(lambda x, f=f: f(x, axis=1), (e,), (e,))
        np.testing.assert_array_equal(out, np.full((2, 3), value))
        np.testing.assert_array_equal(t, np.zeros((2, 3)))
        np.testing.assert_array_equal(wg.grad(lambda x, f=f: wnp.sum(f(x, axis=1)))(e), e)
    for f in (wnp.max, wnp.min):
        with pytest.raises(ValueError, match="zero-size array to reduction operation"):
            wg.jvp(lambda x, f=f: f(x, axis=1), (e,), (e,))
        with pytest.raises(ValueError, match="zero-size array to reduction operation"):
            f(e, axis=1)


@pytest.mark.parametrize("shape, axis", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 0, 3), 1),
                                         ((0,), 0)])
@pytest.mark.parametrize("kind, stable", [("stable", None), (None, None), (None, True)])
def test_argsort_primitive_matches_numpy_and_is_recorded(shape, axis, kind, stable):
    p = REGISTRY["argsort"]
    # Ties included: the stable kinds must keep equal values in their input order.
    x = np.round(np.random.default_rng(4).standard_normal(shape), 0)
    extra = {} if stable is None else {"stable": stable}
    want = np.argsort(x, axis=axis, kind=kind, **extra)
    got = p(x, axis=axis, kind=kind, stable=stable)
    np.testing.assert_array_equal(got, want)
    assert p.shape(ShapeDtype(shape, x.dtype), axis=axis, kind=kind, stable=stable) == (
        want.shape, want.dtype)
    # Recorded on a traced operand, with an integer output that carries no derivative.
    (y, t) = wg.jvp(lambda v: p(v, axis=axis, kind=kind, stable=stable), (x,), (x,))
    np.testing.assert_array_equal(y, want)
    assert np.all(np.asarray(t) == 0)
    jitted = wg.jit(lambda v: p(v, axis=axis, kind=kind, stable=stable))
    for _ in range(2):  # recording, then the generated code
        np.testing.assert_array_equal(jitted(x), want)


def test_sort_derivative_gathers_by_the_recorded_permutation():
    # Under vmap, sort's rules bind argsort and the gather/scatter primitives (no Python loop
    # over examples); each example's derivative equals the unbatched one.
    xs = np.random.default_rng(6).standard_normal((3, 5))
    f = lambda x: wnp.sum(wnp.sort(x) * np.arange(5.0))
    got = wg.vmap(wg.grad(f))(xs)
    want = np.stack([wg.grad(f)(x) for x in xs])
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(want[0][np.argsort(xs[0], kind="stable")], np.arange(5.0))
