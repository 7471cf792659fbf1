"""Spec table for the shape, layout and indexing primitives.

Each row is (name, primitive, case builder, sampler, order, tolerance, NumPy reference); the
builder turns a shape from the shape set into cases (argument shapes and static parameters).
Every case is checked to the row's order in forward and reverse mode against central
differences, by the exact ⟨u, J v⟩ = ⟨Jᵀu, v⟩ cross-check, for value, shape and dtype against
an independent NumPy reference (plain and traced, no warnings), for its shape rule and in
float32.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

import wengert as wg
from wengert.primitives import shape as S
from wengert.primitives.registry import ShapeDtype
from wengert.testing import check_grads, check_jvp_vjp_consistency

COVERED_PRIMITIVES = {
    "broadcast_to",
    "sum_to_shape",
    "reshape",
    "transpose",
    "getitem",
    "index_add",
    "concatenate",
    "pad",
    "take_along_axis",
    "put_along_axis_add",
}

_shape_rng = np.random.default_rng(20240611)
RANDOM_SHAPES = [tuple(int(n) for n in _shape_rng.integers(1, 4, size=k)) for k in (1, 2, 3)]
SHAPES = [(), (1,), (3,), (2, 3), (0,), (2, 0, 3), *RANDOM_SHAPES]


def normal(rng, shape):
    return rng.standard_normal(shape)


class Case(NamedTuple):
    label: str
    arg_shapes: tuple
    params: dict


class Row(NamedTuple):
    name: str
    prim: object
    cases: Callable  # cases(shape) -> list of Case
    sampler: Callable
    order: int
    rtol: float
    reference: Callable  # reference(*args, **params), plain NumPy


def _grow(shape):
    """``shape`` with each 1 widened to 4: a shape that broadcasts onto ``(2,) + that``."""
    return (2,) + tuple(4 if s == 1 else s for s in shape)


def _sum_to_shape_ref(x, *, shape):
    x = np.sum(x, axis=tuple(range(x.ndim - len(shape))))
    axes = tuple(i for i, s in enumerate(shape) if s == 1)
    return np.sum(x, axis=axes, keepdims=True).reshape(shape)


def _index_add_ref(g, *, idx, shape):
    # Independent of np.add.at: the flat position of every selected element, then bincount.
    size = int(np.prod(shape, dtype=np.int64))
    pos = np.arange(size).reshape(shape)[idx].ravel()
    out = np.bincount(pos, weights=np.ravel(g), minlength=size)
    return out.reshape(shape).astype(np.result_type(g))


def _indices(shape):
    """Index tuples for ``shape``: basic, integer, advanced with repeats, mixed, mask, empty."""
    nd = len(shape)
    if nd == 0:
        return [("newaxis", (None, Ellipsis)), ("empty-tuple", ())]
    n0 = shape[0]
    out = [
        ("reverse-newaxis", (slice(None, None, -1), Ellipsis, None)),
        ("empty-slice", (slice(2, 1),)),
        ("repeats", (np.array([0, 0, -1]) if n0 else np.array([], dtype=np.intp),)),
    ]
    if n0:
        out.append(("negative-int", (-1,)))
        out.append(("step", (slice(None, None, 2),) + (slice(1, None),) * (nd - 1)))
    mask = np.random.default_rng(3).random(shape) > 0.4
    out.append(("mask", np.nonzero(mask)))
    if nd >= 2 and n0 and shape[-1]:
        last = shape[-1]
        out.append(
            (
                "separated-advanced",
                (np.array([n0 - 1, 0, 0]),)
                + (slice(None),) * (nd - 2)
                + (np.array([0, last - 1, 0]),),
            )
        )
        out.append(
            (
                "slice-then-advanced",
                (slice(None, None, -1), Ellipsis, np.array([[last - 1, 0], [0, 0]])),
            )
        )
    return out


def _getitem_cases(shape):
    return [Case(label, (shape,), {"idx": idx}) for label, idx in _indices(shape)]


def _index_add_cases(shape):
    return [
        Case(label, (np.zeros(shape)[idx].shape,), {"idx": idx, "shape": shape})
        for label, idx in _indices(shape)
    ]


def _transpose_cases(shape):
    nd = len(shape)
    cases = [Case("roll", (shape,), {"axes": tuple(range(1, nd)) + ((0,) if nd else ())})]
    if nd >= 3:
        cases.append(Case("swap-last", (shape,), {"axes": (0,) + tuple(range(nd - 1, 0, -1))}))
    return cases


def _concat_cases(shape):
    if not shape:
        return []
    longer = (shape[0] + 1,) + shape[1:]
    cases = [Case("two-axis0", (shape, longer), {"axis": 0})]
    last = shape[:-1] + (2,)
    cases.append(Case("three-last", (shape, last, shape), {"axis": len(shape) - 1}))
    return cases


def _pad_cases(shape):
    nd = len(shape)
    cases = [Case("1-2", (shape,), {"pad_width": ((1, 2),) * nd})]
    if nd:
        cases.append(Case("last-only", (shape,), {"pad_width": ((0, 0),) * (nd - 1) + ((2, 0),)}))
    return cases


SPEC = [
    Row(
        "broadcast_to",
        S.broadcast_to_p,
        lambda s: [Case("grow", (s,), {"shape": _grow(s)})],
        normal,
        2,
        1e-5,
        np.broadcast_to,
    ),
    Row(
        "sum_to_shape",
        S.sum_to_shape_p,
        lambda s: [Case("shrink", (_grow(s),), {"shape": s})],
        normal,
        2,
        1e-5,
        _sum_to_shape_ref,
    ),
    Row(
        "reshape",
        S.reshape_p,
        lambda s: [Case("reverse", (s,), {"shape": s[::-1] + (1,)})],
        normal,
        2,
        1e-5,
        lambda x, *, shape: np.reshape(x, shape),
    ),
    Row(
        "transpose",
        S.transpose_p,
        _transpose_cases,
        normal,
        2,
        1e-5,
        lambda x, *, axes: np.transpose(x, axes),
    ),
    Row("getitem", S.getitem_p, _getitem_cases, normal, 2, 1e-5, lambda x, *, idx: x[idx]),
    Row("index_add", S.index_add_p, _index_add_cases, normal, 2, 1e-5, _index_add_ref),
    Row(
        "concatenate",
        S.concatenate_p,
        _concat_cases,
        normal,
        2,
        1e-5,
        lambda *xs, axis: np.concatenate(xs, axis=axis),
    ),
    Row(
        "pad",
        S.pad_p,
        _pad_cases,
        normal,
        2,
        1e-5,
        lambda x, *, pad_width: np.pad(x, pad_width) if pad_width else x.copy(),
    ),
]


def _shape_id(shape):
    return "x".join(map(str, shape)) or "scalar"


CASES = [
    pytest.param(row, case, id=f"{row.name}-{_shape_id(shape)}-{case.label}")
    for row in SPEC
    for shape in SHAPES
    for case in row.cases(shape)
]


def _args(row, case, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(np.asarray(row.sampler(rng, s), dtype) for s in case.arg_shapes)


def _fn(row, case):
    return lambda *xs: row.prim(*xs, **case.params)


@pytest.mark.parametrize("row, case", CASES)
def test_grads(row, case):
    args = _args(row, case)
    f = _fn(row, case)
    order = row.order if sum(a.size for a in args) <= 12 else 1
    check_grads(f, args, order=order, modes=("fwd", "rev"), rtol=row.rtol)
    check_jvp_vjp_consistency(f, args, rng=np.random.default_rng(1))


@pytest.mark.parametrize("row, case", CASES)
def test_value_shape_dtype_and_shape_rule(row, case):
    args = _args(row, case)
    f = _fn(row, case)
    expected = np.asarray(row.reference(*args, **case.params))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plain = f(*args)
        traced, tangents = wg.jvp(f, args, args)
        out, f_vjp = wg.vjp(f, *args)
        cts = f_vjp(np.ones_like(expected))
    for value in (plain, traced, out, tangents):
        # Linear maps, so the tangent along x equals the value; sums may round differently.
        np.testing.assert_allclose(value, expected, rtol=1e-14, atol=0)
        assert np.shape(value) == expected.shape and np.result_type(value) == expected.dtype
    for ct, a in zip(cts, args):
        assert ct.shape == a.shape and ct.dtype == a.dtype
    avals = [ShapeDtype(a.shape, a.dtype) for a in args]
    assert row.prim.shape(*avals, **case.params) == (expected.shape, expected.dtype)


@pytest.mark.parametrize("row, case", CASES)
def test_float32_in_float32_out(row, case):
    args = _args(row, case, dtype=np.float32)
    f = _fn(row, case)
    out, tangent = wg.jvp(f, args, args)
    assert np.result_type(out) == np.float32 and np.result_type(tangent) == np.float32
    out, f_vjp = wg.vjp(f, *args)
    for ct in f_vjp(np.ones_like(out)):
        assert ct.dtype == np.float32
    np.testing.assert_allclose(out, row.reference(*args, **case.params), rtol=1e-5, atol=1e-6)


def test_python_float_scalar():
    cases = [
        (lambda x: S.broadcast_to_p(x, shape=(2, 2)), np.full((2, 2), 1.0)),
        (lambda x: S.reshape_p(x, shape=(1, 1)), np.ones((1, 1))),
        (lambda x: S.getitem_p(x, idx=(None,)), np.ones(1)),
        (lambda x: S.pad_p(x, pad_width=()), np.asarray(1.0)),
    ]
    for f, dx in cases:
        out, t = wg.jvp(f, (2.5,), (1.0,))
        np.testing.assert_array_equal(out, 2.5 * dx)
        np.testing.assert_array_equal(t, dx)


def test_every_rule_differentiates_to_third_order():
    x = np.random.default_rng(5).standard_normal((2, 3))

    def f(x):
        y = S.getitem_p(x, idx=(np.array([1, 1, 0]), slice(None, None, -1)))
        y = S.concatenate_p(y, S.pad_p(x, pad_width=((0, 1), (0, 0))), axis=0)
        y = S.transpose_p(S.reshape_p(y * y, shape=(3, 2, 3)), axes=(2, 0, 1))
        return S.sum_to_shape_p(S.broadcast_to_p(y * x[0, 0], shape=(2, 3, 3, 2)), shape=(3, 1))

    check_grads(f, (x,), order=3)


def test_index_add_accumulates_repeated_indices():
    g = np.array([1.0, 2.0, 4.0, 8.0])
    out = S.index_add_p(g, idx=(np.array([2, 0, 2, 2]),), shape=(3,))
    np.testing.assert_array_equal(out, [2.0, 0.0, 13.0])
    # ...and its transpose gathers: the JVP of getitem and the VJP of index_add agree.
    x = np.array([1.0, 2.0, 3.0])
    (ct,) = wg.vjp(lambda g: S.index_add_p(g, idx=(np.array([2, 0, 2, 2]),), shape=(3,)), g)[1](x)
    np.testing.assert_array_equal(ct, [3.0, 1.0, 3.0, 3.0])


def test_transpose_vjp_uses_the_inverse_permutation():
    x = np.arange(24.0).reshape(2, 3, 4)
    f = lambda x: S.transpose_p(x, axes=(2, 0, 1))
    out, f_vjp = wg.vjp(f, x)
    (ct,) = f_vjp(out)
    np.testing.assert_array_equal(ct, x)
    (eqn,) = wg.trace(lambda g: f_vjp(g)[0])(out).eqns
    assert eqn.params["axes"] == (1, 2, 0)
    assert all(type(a) is int for a in eqn.params["axes"])


# --- gather and scatter-add along an axis: the index array is an operand -----------------------


def _along_cases():
    """(x shape, index array, axis): repeats, negative indices, a longer index axis, empties."""
    rng = np.random.default_rng(8)
    return [
        ((5,), np.array([0, -1, 2, 2, 4, -5]), 0),
        ((3, 4), rng.integers(-4, 4, (3, 2)), 1),
        ((3, 4), rng.integers(-3, 3, (5, 4)), 0),
        ((2, 3, 2), rng.integers(0, 3, (2, 4, 2)), 1),
        ((2, 3), np.zeros((2, 0), dtype=np.intp), 1),
        ((2, 0, 3), np.zeros((2, 0, 3), dtype=np.intp), 1),
    ]


def _scatter_ref(g, idx, axis, shape):
    # Independent of np.add.at: a loop over every element of g.
    out = np.zeros(shape, g.dtype)
    for pos in np.ndindex(*g.shape):
        target = list(pos)
        target[axis] = idx[pos]
        out[tuple(target)] += g[pos]
    return out


@pytest.mark.parametrize("shape, idx, axis", _along_cases())
def test_take_along_axis_and_its_adjoint(shape, idx, axis):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    g = rng.standard_normal(idx.shape)
    gather = lambda v: S.take_along_axis_p(v, idx, axis=axis)
    scatter = lambda v: S.put_along_axis_add_p(v, idx, axis=axis, shape=shape)
    want = np.take_along_axis(x, idx, axis=axis)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(gather(x), want)
        np.testing.assert_allclose(scatter(g), _scatter_ref(g, idx, axis, shape), rtol=1e-14)
    assert S.take_along_axis_p.shape(ShapeDtype(shape, x.dtype), ShapeDtype(idx.shape, idx.dtype),
                                     axis=axis) == (want.shape, want.dtype)
    assert S.put_along_axis_add_p.shape(ShapeDtype(idx.shape, g.dtype),
                                        ShapeDtype(idx.shape, idx.dtype), axis=axis,
                                        shape=shape) == (shape, g.dtype)
    for f, a in ((gather, x), (scatter, g)):
        check_grads(f, (a,), order=2, modes=("fwd", "rev"))
        check_jvp_vjp_consistency(f, (a,), rng=np.random.default_rng(1))
    # The scatter is the gather's adjoint: <g, gather(x)> == <scatter(g), x>.
    np.testing.assert_allclose(np.vdot(g, gather(x)), np.vdot(scatter(g), x), rtol=1e-12,
                               atol=1e-14)
    out, f_vjp = wg.vjp(gather, x.astype(np.float32))
    assert out.dtype == np.float32 and f_vjp(np.ones_like(out))[0].dtype == np.float32


def test_take_along_axis_rejects_out_of_range_indices_like_numpy():
    with pytest.raises(IndexError):
        S.take_along_axis_p(np.ones(3), np.array([3]), axis=0)
    with pytest.raises(IndexError):
        wg.grad(lambda x: S.take_along_axis_p(x, np.array([-4]), axis=0).sum())(np.ones(3))


def test_wnp_indexing_with_a_traced_index_array_records_the_gather():
    import wengert.numpy as wnp

    x = np.array([[3.0, 1.0, 2.0], [0.5, -1.0, 4.0]])
    i = np.array([[0, -1], [2, 2]])

    def f(x, i):
        return wnp.sum(x[:, i] ** 2) + wnp.sum(wnp.take_along_axis(x, wnp.argsort(x), 1) * x)

    want = wg.value_and_grad(f)(x, i)
    jitted = wg.jit(wg.value_and_grad(f))
    for _ in range(2):  # recording, then the generated code
        got = jitted(x, i)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
    # Per-example indices under vmap of grad: the gather's batching rule, no loop.
    rows = np.array([[0, 0], [1, -1]])
    g = wg.vmap(wg.grad(lambda v, k: wnp.sum(v[k] ** 2)))(x, rows)
    np.testing.assert_array_equal(g, [[12.0, 0.0, 0.0], [0.0, -2.0, 8.0]])
