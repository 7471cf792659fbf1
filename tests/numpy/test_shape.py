"""Spec table for the shape, layout and indexing functions of ``wengert.numpy``.

Each row is (name, function, cases, domain sampler, order, tolerance). The function takes the
module first, ``f(m, *arrays)``, so the same expression runs as ``f(np, ...)`` (the reference)
and ``f(wnp, ...)``; a case is a tuple of argument shapes. For every case: the result on plain
arrays is NumPy's (same type, shape, dtype and values, no warnings), the traced result equals
it, derivatives pass ``check_grads`` (order 2 on small inputs, both modes), and float32 in
gives float32 out with float32 derivatives. Hypothesis tests draw random shapes, permutations,
reshape targets and basic indices.
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wengert as wg
import wengert.numpy as wnp
from wengert.numpy._core import is_traced
from wengert.testing import check_grads


def normal(rng, shape):
    return rng.standard_normal(shape)


class Row(NamedTuple):
    name: str
    f: Callable  # f(m, *arrays) with m either numpy or wengert.numpy
    cases: tuple  # each: a tuple of argument shapes
    sampler: Callable = normal
    order: int = 2
    rtol: float = 1e-5


def one(*shapes):
    """Cases of a one-argument function."""
    return tuple((s,) for s in shapes)


def gi(m, x, idx):
    """``x[idx]`` through ``wnp.getitem`` (plain or traced) or NumPy's own indexing."""
    return m.getitem(x, idx) if m is wnp else x[idx]


def mask_of(shape, seed=4):
    return np.random.default_rng(seed).random(shape) > 0.5


ALL = ((), (1,), (3,), (2, 3), (0,), (2, 0, 3))
ND = ((3,), (2, 3), (0,), (2, 0, 3), (2, 3, 4))
PAIRS = (((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), (3,)), ((0,), (2, 0)))
FIXED = np.random.default_rng(11).standard_normal((2, 3))

SPEC = [
    # --- reshaping and permuting
    Row("reshape[-1]", lambda m, x: m.reshape(x, -1), one(*ALL)),
    Row("reshape[2,-1]", lambda m, x: m.reshape(x, (2, -1)), one((2, 3), (2, 0, 3), (4, 3))),
    Row("reshape[F]", lambda m, x: m.reshape(x, (3, -1), order="F"), one((2, 3, 2), (3, 2))),
    Row("ravel", lambda m, x: m.ravel(x), one(*ALL)),
    Row("ravel[F]", lambda m, x: m.ravel(x, order="F"), one((2, 3), (2, 3, 2))),
    Row("transpose", lambda m, x: m.transpose(x), one(*ALL)),
    Row("transpose[axes]", lambda m, x: m.transpose(x, (-1, 0, 1)), one((2, 3, 4), (2, 0, 3))),
    Row("swapaxes", lambda m, x: m.swapaxes(x, 0, -1), one((3,), (2, 3), (2, 0, 3))),
    Row("moveaxis", lambda m, x: m.moveaxis(x, 0, -1), one((3,), (2, 3), (2, 0, 3))),
    Row("moveaxis[multi]", lambda m, x: m.moveaxis(x, [0, 1], [-1, 0]), one((2, 3, 4))),
    Row("rollaxis", lambda m, x: m.rollaxis(x, 2), one((2, 3, 4), (2, 0, 3))),
    Row("rollaxis[start]", lambda m, x: m.rollaxis(x, -1, 1), one((2, 3, 4))),
    Row("expand_dims", lambda m, x: m.expand_dims(x, 0), one(*ALL)),
    Row("expand_dims[tuple]", lambda m, x: m.expand_dims(x, (0, -1)), one(*ALL)),
    Row("squeeze", lambda m, x: m.squeeze(x), one((), (1,), (1, 3, 1), (2, 0, 3))),
    Row("squeeze[axis]", lambda m, x: m.squeeze(x, axis=0), one((1, 3), (1, 0))),
    Row("broadcast_to", lambda m, x: m.broadcast_to(x, (2,) + x.shape), one(*ALL)),
    Row("broadcast_to[ones]", lambda m, x: m.broadcast_to(x, (2, 3, 4)), one((3, 1), (1,), ())),
    Row("broadcast_arrays", lambda m, x, y: m.broadcast_arrays(x, y), PAIRS),
    Row("atleast_1d", lambda m, x: m.atleast_1d(x), one(*ALL)),
    Row("atleast_2d", lambda m, x: m.atleast_2d(x), one(*ALL)),
    Row("atleast_3d", lambda m, x: m.atleast_3d(x), one(*ALL)),
    Row("atleast_2d[two]", lambda m, x, y: m.atleast_2d(x, y), (((), (3,)),)),
    # --- indexing
    Row("index[basic]", lambda m, x: gi(m, x, (slice(1, None), None, slice(None, None, -1))),
        one((3, 4), (3, 0))),
    Row("index[int]", lambda m, x: gi(m, x, -1), one((3,), (2, 3))),
    Row("index[ints]", lambda m, x: gi(m, x, (1, -2)), one((2, 3))),
    Row("index[ellipsis]", lambda m, x: gi(m, x, (Ellipsis, 0)), one((3,), (2, 3), (2, 0, 3))),
    Row("index[newaxis]", lambda m, x: gi(m, x, (None, Ellipsis, None)), one(*ALL)),
    Row("index[()]", lambda m, x: gi(m, x, ()), one(*ALL)),
    Row("index[repeats]", lambda m, x: gi(m, x, [0, 0, 1, -1]), one((3,), (2, 3))),
    Row("index[2d array]", lambda m, x: gi(m, x, np.array([[1, 0], [1, 1]])), one((2, 3))),
    Row("index[mask]", lambda m, x: gi(m, x, mask_of(x.shape)), one((3,), (2, 3), (2, 0, 3))),
    Row("index[mask list]", lambda m, x: gi(m, x, [True, False, True]), one((3,), (3, 2))),
    Row("index[mask+slice]", lambda m, x: gi(m, x, (slice(None), mask_of(x.shape[1:]))),
        one((2, 3), (2, 3, 4))),
    Row("index[mixed]", lambda m, x: gi(m, x, (slice(None), [2, 0, 2])), one((2, 3), (2, 3, 4))),
    Row("index[separated]", lambda m, x: gi(m, x, ([0, 1], slice(None), [1, 1])),
        one((2, 3, 4),)),
    Row("index[adjacent]", lambda m, x: gi(m, x, (slice(None), [0, 1], [2, 2])),
        one((2, 3, 4),)),
    Row("index[neg step]", lambda m, x: gi(m, x, slice(None, None, -2)), one((5,), (3, 2))),
    Row("index[neg step 2d]", lambda m, x: gi(m, x, (slice(-1, 0, -1), slice(None, None, -2))),
        one((3, 4),)),
    Row("index[empty slice]", lambda m, x: gi(m, x, slice(2, 1)), one((3,), (3, 2))),
    Row("index[empty list]", lambda m, x: gi(m, x, []), one((3,), (3, 2))),
    Row("take", lambda m, x: m.take(x, [[0, -1], [2, 2]]), one((3,), (2, 3))),
    Row("take[axis]", lambda m, x: m.take(x, [2, 0, 2], axis=-1), one((2, 3), (0, 3))),
    Row("take[scalar]", lambda m, x: m.take(x, 1, axis=0), one((3,), (2, 3))),
    Row("take[wrap]", lambda m, x: m.take(x, [5, -7, 1], axis=0, mode="wrap"), one((3,), (2, 3))),
    Row("take[clip]", lambda m, x: m.take(x, [5, -7, 1], axis=0, mode="clip"), one((3,), (2, 3))),
    Row("take_along_axis", lambda m, x: m.take_along_axis(x, np.argsort(FIXED, axis=1), axis=1),
        one((2, 3),)),
    Row("take_along_axis[0]",
        lambda m, x: m.take_along_axis(x, np.array([[1, 0, 1]]), axis=0), one((2, 3),)),
    Row("take_along_axis[None]", lambda m, x: m.take_along_axis(x, np.array([5, 0, 0]), None),
        one((2, 3),)),
    # --- joining
    Row("concatenate", lambda m, x, y: m.concatenate([x, y]), (((2, 3), (1, 3)), ((0,), (3,)))),
    Row("concatenate[-1]", lambda m, x, y: m.concatenate((x, y, x), axis=-1),
        (((2, 3), (2, 1)), ((2, 0, 3), (2, 0, 1)))),
    Row("concatenate[None]", lambda m, x, y: m.concatenate([x, y], axis=None),
        (((2, 3), (4,)), ((), (2, 0)))),
    Row("concatenate[const]", lambda m, x: m.concatenate([x, np.ones((1, 3))]), one((2, 3),)),
    Row("concatenate[dtype]", lambda m, x: m.concatenate([x, np.arange(2)], dtype=np.float64),
        one((3,),)),
    Row("stack", lambda m, x, y: m.stack([x, y]), tuple((s, s) for s in ALL)),
    Row("stack[-1]", lambda m, x, y: m.stack((x, y, x), axis=-1), (((2, 3),) * 2, ((0,),) * 2)),
    Row("vstack", lambda m, x, y: m.vstack([x, y]), (((3,), (3,)), ((2, 3), (3,)), ((), ()))),
    Row("row_stack", lambda m, x, y: (m.vstack if m is np else m.row_stack)([x, y]),
        (((3,), (3,)),)),
    Row("hstack", lambda m, x, y: m.hstack([x, y]), (((3,), (2,)), ((2, 3), (2, 1)), ((), ()))),
    Row("dstack", lambda m, x, y: m.dstack([x, y]), (((3,), (3,)), ((2, 3), (2, 3)))),
    Row("column_stack", lambda m, x, y: m.column_stack([x, y]),
        (((3,), (3,)), ((3,), (3, 2)), ((0,), (0,)))),
    Row("append", lambda m, x, y: m.append(x, y), (((2, 3), (2,)), ((), (0,)))),
    Row("append[axis]", lambda m, x, y: m.append(x, y, axis=0), (((2, 3), (1, 3)),)),
    # --- splitting (lists of sub-arrays)
    Row("split", lambda m, x: m.split(x, 3), one((6,), (3, 2), (0,))),
    Row("split[indices]", lambda m, x: m.split(x, [1, -1, 10], axis=-1), one((4,), (2, 5))),
    Row("array_split", lambda m, x: m.array_split(x, 3, axis=-1), one((7,), (2, 5))),
    Row("hsplit", lambda m, x: m.hsplit(x, 2), one((4,), (3, 4))),
    Row("vsplit", lambda m, x: m.vsplit(x, [1]), one((3, 2),)),
    Row("dsplit", lambda m, x: m.dsplit(x, 2), one((1, 2, 4),)),
    # --- repeating, flipping, rolling
    Row("repeat", lambda m, x: m.repeat(x, 2), one(*ALL)),
    Row("repeat[axis]", lambda m, x: m.repeat(x, 3, axis=-1), one((2, 3), (2, 0, 3))),
    Row("repeat[array]", lambda m, x: m.repeat(x, [1, 0, 3], axis=0), one((3,), (3, 2))),
    Row("repeat[zero]", lambda m, x: m.repeat(x, 0, axis=0), one((3,),)),
    Row("tile", lambda m, x: m.tile(x, 2), one(*ALL)),
    Row("tile[tuple]", lambda m, x: m.tile(x, (2, 1, 3)), one((3,), (2, 3), ())),
    Row("tile[short]", lambda m, x: m.tile(x, (2,)), one((2, 3),)),
    Row("flip", lambda m, x: m.flip(x), one(*ALL)),
    Row("flip[axis]", lambda m, x: m.flip(x, -1), one((3,), (2, 3), (2, 0, 3))),
    Row("flip[tuple]", lambda m, x: m.flip(x, (0, 2)), one((2, 3, 4),)),
    Row("fliplr", lambda m, x: m.fliplr(x), one((2, 3), (2, 0, 3))),
    Row("flipud", lambda m, x: m.flipud(x), one((3,), (2, 3))),
    Row("rot90", lambda m, x: m.rot90(x), one((2, 3), (2, 3, 2))),
    Row("rot90[2]", lambda m, x: m.rot90(x, 2), one((2, 3),)),
    Row("rot90[-1]", lambda m, x: m.rot90(x, -1, axes=(1, 2)), one((2, 3, 2),)),
    Row("roll", lambda m, x: m.roll(x, 2), one(*ALL)),
    Row("roll[axis]", lambda m, x: m.roll(x, -4, axis=1), one((2, 3), (2, 0, 3))),
    Row("roll[tuple]", lambda m, x: m.roll(x, (1, 2, -1), (0, 1, 0)), one((3, 4),)),
    # --- padding
    Row("pad[constant]", lambda m, x: m.pad(x, 1), one(*ALL)),
    Row("pad[values]", lambda m, x: m.pad(x, ((1, 0), (2, 1)), constant_values=((1, 2), (3, 4))),
        one((2, 3), (0, 2))),
    Row("pad[edge]", lambda m, x: m.pad(x, (2, 1), mode="edge"), one((3,), (2, 3), (1,))),
    Row("pad[reflect]", lambda m, x: m.pad(x, (2, 5), mode="reflect"), one((3,), (2, 3), (1,))),
    Row("pad[symmetric]", lambda m, x: m.pad(x, ((2, 5),), mode="symmetric"),
        one((3,), (2, 3))),
    Row("pad[wrap]", lambda m, x: m.pad(x, (4, 1), mode="wrap"), one((3,), (2, 3))),
    Row("pad[reflect odd]", lambda m, x: m.pad(x, (3, 5), mode="reflect", reflect_type="odd"),
        one((3,), (2, 3))),
    Row("pad[symmetric odd]",
        lambda m, x: m.pad(x, 2, mode="symmetric", reflect_type="odd"), one((3,), (2, 3))),
    Row("pad[linear_ramp]", lambda m, x: m.pad(x, (2, 3), mode="linear_ramp",
                                               end_values=((1, -2), (3, 0.5))), one((2, 3),)),
    Row("pad[mean]", lambda m, x: m.pad(x, (2, 1), mode="mean"), one((3,), (2, 3))),
    Row("pad[mean stat]", lambda m, x: m.pad(x, 2, mode="mean", stat_length=(1, 2)),
        one((4,), (2, 3))),
    Row("pad[maximum]", lambda m, x: m.pad(x, (1, 2), mode="maximum"), one((3,), (2, 3))),
    Row("pad[minimum]", lambda m, x: m.pad(x, (1, 2), mode="minimum", stat_length=2),
        one((3,), (2, 3))),
    Row("pad[median]", lambda m, x: m.pad(x, (2, 1), mode="median", stat_length=3),
        one((4,), (2, 4))),
    Row("pad[empty axis]", lambda m, x: m.pad(x, ((0, 0), (1, 1)), mode="edge"), one((0, 2),)),
    # --- diagonals and triangles
    Row("diag[1d]", lambda m, x: m.diag(x), one((3,), (1,), (0,))),
    Row("diag[1d k]", lambda m, x: m.diag(x, 1), one((3,),)),
    Row("diag[1d -k]", lambda m, x: m.diag(x, -2), one((2,),)),
    Row("diag[2d]", lambda m, x: m.diag(x), one((3, 3), (2, 3), (0, 2))),
    Row("diag[2d k]", lambda m, x: m.diag(x, 1), one((3, 3), (3, 2))),
    Row("diag[2d -k]", lambda m, x: m.diag(x, -1), one((3, 3), (2, 3))),
    Row("diag[far k]", lambda m, x: m.diag(x, 5), one((2, 3),)),
    Row("diagonal", lambda m, x: m.diagonal(x), one((2, 3), (3, 2))),
    Row("diagonal[batched]", lambda m, x: m.diagonal(x, 1, 1, 2), one((2, 3, 4), (2, 0, 3))),
    Row("diagonal[axes]", lambda m, x: m.diagonal(x, -1, -1, 0), one((3, 2, 4),)),
    Row("diagflat", lambda m, x: m.diagflat(x), one((2, 2), (3,), ())),
    Row("diagflat[k]", lambda m, x: m.diagflat(x, -1), one((2,),)),
    Row("trace", lambda m, x: m.trace(x), one((3, 3), (2, 3), (0, 0))),
    Row("trace[batched]", lambda m, x: m.trace(x, 1, axis1=1, axis2=2), one((2, 3, 3),)),
    Row("tril", lambda m, x: m.tril(x), one((3, 3), (2, 3), (2, 3, 3), (3,))),
    Row("tril[k]", lambda m, x: m.tril(x, -1), one((3, 4),)),
    Row("triu", lambda m, x: m.triu(x), one((3, 3), (2, 3), (2, 3, 3), (3,))),
    Row("triu[k]", lambda m, x: m.triu(x, 1), one((4, 3),)),
    # --- choosing and index helpers
    Row("select", lambda m, x, y: m.select([FIXED > 0, FIXED < -0.5], [x, y], default=7.0),
        (((2, 3), (2, 3)), ((3,), ())),),
    Row("select[default]", lambda m, x, y: m.select([FIXED > 0], [x], default=y),
        (((2, 3), (1, 3)),)),
    Row("select[int choice]", lambda m, x: m.select([FIXED > 0], [1], default=x), one((2, 3),)),
    Row("r_", lambda m, x, y: m.r_[x, 0:3, y, 2.5], (((3,), (2,)), ((), ()))),
    Row("r_[2d]", lambda m, x, y: m.r_[x, y], (((2, 3), (1, 3)),)),
    Row("r_[directive]", lambda m, x, y: m.r_["-1", x, y], (((2, 3), (2, 1)),)),
    Row("r_[ndmin]", lambda m, x, y: m.r_["0,2,0", x, y], (((3,), (2,)),)),
    Row("c_", lambda m, x, y: m.c_[x, y], (((3,), (3,)), ((2, 3), (2, 1)))),
    Row("c_[scalar]", lambda m, x: m.c_[x, np.zeros(3)], one((3,),)),
]

def _case_id(row, shapes):
    return row.name + "-" + "-".join("x".join(map(str, s)) or "scalar" for s in shapes)


CASES = [pytest.param(row, shapes, id=_case_id(row, shapes)) for row in SPEC
         for shapes in row.cases]


def _args(row, shapes, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(np.asarray(row.sampler(rng, s), dtype) for s in shapes)


def _assert_same(value, expected, exact, check_type):
    if isinstance(expected, (list, tuple)):
        assert type(value) is type(expected) and len(value) == len(expected)
        for v, e in zip(value, expected):
            _assert_same(v, e, exact, check_type)
        return
    if check_type:
        assert type(value) is type(expected)
    assert np.shape(value) == np.shape(expected)
    assert np.result_type(value) == np.result_type(expected)
    if exact:
        np.testing.assert_array_equal(value, expected)
    else:
        np.testing.assert_allclose(value, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("row, shapes", CASES)
def test_value_matches_numpy(row, shapes):
    args = _args(row, shapes)
    expected = row.f(np, *args)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plain = row.f(wnp, *args)
        traced, _ = wg.jvp(lambda *a: row.f(wnp, *a), args, args)
        out, f_vjp = wg.vjp(lambda *a: row.f(wnp, *a), *args)
        cts = f_vjp(wg.tree.map(np.ones_like, out))
    _assert_same(plain, expected, exact=True, check_type=True)
    _assert_same(traced, expected, exact=False, check_type=False)
    _assert_same(out, expected, exact=False, check_type=False)
    for ct, a in zip(cts, args):
        assert ct.shape == a.shape and ct.dtype == a.dtype


@pytest.mark.parametrize("row, shapes", CASES)
def test_grads(row, shapes):
    args = _args(row, shapes)
    order = row.order if sum(a.size for a in args) <= 12 else 1
    check_grads(lambda *a: row.f(wnp, *a), args, order=order, modes=("fwd", "rev"),
                rtol=row.rtol)


@pytest.mark.parametrize("row, shapes", CASES)
def test_float32_in_float32_out(row, shapes):
    args = _args(row, shapes, dtype=np.float32)
    expected = row.f(np, *args)
    f = lambda *a: row.f(wnp, *a)
    out, tangent = wg.jvp(f, args, args)
    for o, t, e in zip(wg.tree.leaves(out), wg.tree.leaves(tangent), wg.tree.leaves(expected)):
        assert np.result_type(o) == np.result_type(e) == np.result_type(t)
    out, f_vjp = wg.vjp(f, *args)
    for ct in f_vjp(wg.tree.map(np.ones_like, out)):
        assert ct.dtype == np.float32


# --- behaviour beyond the table ------------------------------------------------------------------


def test_gradient_of_repeated_indices_accumulates():
    x = np.array([1.0, 2.0, 3.0])
    w = np.array([10.0, 20.0, 40.0])
    g = wg.grad(lambda x: wnp.sum(x[[0, 0, 1]] * w))(x)
    np.testing.assert_array_equal(g, [30.0, 40.0, 0.0])
    g2 = wg.grad(lambda x: wnp.sum(x[np.array([[2, 2], [2, 0]])] ** 2))(x)
    np.testing.assert_array_equal(g2, [2.0, 0.0, 18.0])
    # A diagonal repeated by take also accumulates, in forward mode as well.
    _, t = wg.jvp(lambda x: wnp.sum(wnp.take(x, [1, 1, 1])), (x,), (np.ones(3),))
    assert t == 3.0


def test_boolean_mask_gradient():
    x = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, -6.0]])
    g = wg.grad(lambda x: wnp.sum(x[x > 0] ** 2))(x)
    np.testing.assert_array_equal(g, np.where(x > 0, 2 * x, 0.0))
    g = wg.grad(lambda x: wnp.sum(x[:, [True, False, True]]))(x)
    np.testing.assert_array_equal(g, [[1.0, 0.0, 1.0], [1.0, 0.0, 1.0]])


def test_traced_index_array_is_made_concrete():
    x = np.array([1.0, 2.0, 3.0])

    def f(x):
        # A recorded integer array: an index computed from the input.
        idx = wnp.astype(x * 0 + np.array([2.0, 0.0, 2.0]), np.intp)
        assert is_traced(idx)
        return wnp.sum(x[idx] * x) + wnp.sum(wnp.take(x, idx))

    # sum(x[idx] * x) = x2 x0 + x0 x1 + x2 x2 and sum(take(x, idx)) = 2 x2 + x0.
    np.testing.assert_array_equal(wg.grad(f)(x), [3.0 + 2.0 + 1.0, 1.0, 1.0 + 6.0 + 2.0])
    np.testing.assert_array_equal(wg.grad(lambda x: wnp.sum(x[x[:1] * 0 + 1 > 0]))(x),
                                  [1.0, 0.0, 0.0])


def test_negative_steps_and_empty_slices():
    x = np.arange(6.0).reshape(2, 3)
    g = wg.grad(lambda x: wnp.sum(x[::-1, ::-2] * np.array([1.0, 2.0])))(x)
    np.testing.assert_array_equal(g, [[2.0, 0.0, 1.0], [2.0, 0.0, 1.0]])
    out, f_vjp = wg.vjp(lambda x: x[1:1], x)
    assert out.shape == (0, 3)
    np.testing.assert_array_equal(f_vjp(np.zeros((0, 3)))[0], np.zeros((2, 3)))


def test_basic_indexing_records_one_getitem_and_plain_assignment_adjoint():
    trace = wg.trace(lambda x: x[1:, None, ::-1])(np.ones((3, 4)))
    assert [e.prim.name for e in trace.eqns] == ["getitem"]
    # Identity indices record nothing.
    assert wg.trace(lambda x: x[...])(np.ones(3)).eqns == ()
    assert wg.trace(lambda x: x[:, :])(np.ones((2, 2))).eqns == ()


def test_flip_roll_and_pad_use_slices_not_scatters():
    x = np.ones((3, 4))
    for f in (lambda x: wnp.flip(x), lambda x: wnp.roll(x, 1, 0),
              lambda x: wnp.pad(x, 2, mode="reflect"), lambda x: wnp.pad(x, 1, mode="edge")):
        eqns = wg.trace(f)(x).eqns
        for e in eqns:
            if e.prim.name == "getitem":
                assert not any(isinstance(k, np.ndarray) for k in e.params["idx"])


def test_pad_with_traced_constant_and_end_values():
    x = np.arange(6.0).reshape(2, 3)
    for c in (2.5, np.array([1.0, -1.0]), np.array([[1.0, 2.0], [3.0, 4.0]])):
        f = lambda x, c: wnp.pad(x, ((1, 2), (2, 0)), constant_values=c)
        np.testing.assert_array_equal(f(x, c), np.pad(x, ((1, 2), (2, 0)), constant_values=c))
        out, _ = wg.jvp(f, (x, c), (x, np.zeros_like(c)))
        np.testing.assert_array_equal(out, np.pad(x, ((1, 2), (2, 0)), constant_values=c))
        check_grads(f, (x, c), order=2)
    # The gradient of a scalar border value counts the border cells.
    g = wg.grad(lambda c: wnp.sum(wnp.pad(x, 1, constant_values=c)))(0.0)
    assert g == 4 * 5 - 6
    ramp = lambda x, e: wnp.pad(x, (2, 1), mode="linear_ramp", end_values=e)
    e = np.array([1.0, -3.0])
    out, _ = wg.jvp(ramp, (x, e), (x, e))
    np.testing.assert_allclose(out, np.pad(x, (2, 1), mode="linear_ramp", end_values=e),
                               rtol=1e-14)
    check_grads(ramp, (x, e), order=2)


def test_r_slices_give_constants_and_c_stacks_columns():
    np.testing.assert_array_equal(wnp.r_[0:3], np.r_[0:3])
    np.testing.assert_array_equal(wnp.r_[0:1:5j], np.r_[0:1:5j])
    np.testing.assert_array_equal(wnp.c_[np.arange(2), np.ones(2)], np.c_[np.arange(2), np.ones(2)])
    assert len(wnp.r_) == 0
    g = wg.grad(lambda x: wnp.sum(wnp.r_[x, 0:4] ** 2))(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, [2.0, 4.0])
    g = wg.grad(lambda x: wnp.sum(wnp.c_[x, 2 * x] @ np.array([1.0, 10.0])))(np.ones(3))
    np.testing.assert_array_equal(g, [21.0, 21.0, 21.0])
    with pytest.raises(ValueError, match="special directives must be the first entry"):
        wg.grad(lambda x: wnp.sum(wnp.r_[x, "0"]))(np.ones(2))


def test_stack_of_traced_scalars_is_differentiable():
    g = wg.grad(lambda x: wnp.sum(wnp.stack([x[0] * x[1], x[1], 3.0]) ** 2))(np.array([2.0, 3.0]))
    np.testing.assert_array_equal(g, [2 * 6.0 * 3.0, 2 * 6.0 * 2.0 + 2 * 3.0])


def test_select_takes_the_first_true_condition_and_blocks_nan():
    def f(x):
        return wnp.select([x > 0, x > -0.75], [wnp.sqrt(x), 2 * x], default=x * x)

    x = np.array([-1.0, -0.5, 2.0])
    with np.errstate(invalid="ignore"):
        expected = np.select([x > 0, x > -0.75], [np.sqrt(x), 2 * x], default=x * x)
        np.testing.assert_array_equal(f(x), expected)
        g = wg.grad(lambda x: wnp.sum(f(x)))(x)
    # x = 2 meets both conditions and takes the first; sqrt's NaN at -1 stays out.
    np.testing.assert_allclose(g, [-2.0, 2.0, 0.5 / np.sqrt(2.0)], rtol=1e-15)


@pytest.mark.parametrize("name, call", [
    ("reshape", lambda m, x: m.reshape(x, (4, 2))),
    ("reshape two -1", lambda m, x: m.reshape(x, (-1, -1))),
    ("transpose", lambda m, x: m.transpose(x, (0, 0))),
    ("transpose short", lambda m, x: m.transpose(x, (0,))),
    ("swapaxes", lambda m, x: m.swapaxes(x, 0, 2)),
    ("moveaxis", lambda m, x: m.moveaxis(x, [0, 1], [0])),
    ("squeeze", lambda m, x: m.squeeze(x, 0)),
    ("expand_dims", lambda m, x: m.expand_dims(x, (0, 0))),
    ("broadcast_to", lambda m, x: m.broadcast_to(x, (3, 3))),
    ("concatenate", lambda m, x: m.concatenate([x, np.ones((2, 2))], axis=0)),
    ("concatenate ndim", lambda m, x: m.concatenate([x, np.ones(3)])),
    ("concatenate 0-d", lambda m, x: m.concatenate([x[0, 0], x[0, 0]])),
    ("stack", lambda m, x: m.stack([x, x[:1]])),
    ("split", lambda m, x: m.split(x, 4, axis=1)),
    ("vsplit", lambda m, x: m.vsplit(x[0], 2)),
    ("fliplr", lambda m, x: m.fliplr(x[0])),
    ("rot90", lambda m, x: m.rot90(x, axes=(0, 0))),
    ("take", lambda m, x: m.take(x, [6])),
    ("take mode", lambda m, x: m.take(x, [1], mode="bogus")),
    ("getitem", lambda m, x: gi(m, x, (0, 5))),
    ("getitem float", lambda m, x: gi(m, x, np.array([0.5]))),
    ("repeat", lambda m, x: m.repeat(x, [1, 2, 3], axis=0)),
    ("repeat negative", lambda m, x: m.repeat(x, -1)),
    ("diag", lambda m, x: m.diag(x[None])),
    ("diagonal", lambda m, x: m.diagonal(x, 0, 1, 1)),
    ("pad negative", lambda m, x: m.pad(x, -1)),
    ("pad float width", lambda m, x: m.pad(x, 1.5)),
    ("pad mode", lambda m, x: m.pad(x, 1, mode="bogus")),
    ("pad kwargs", lambda m, x: m.pad(x, 1, mode="edge", constant_values=1)),
    ("select", lambda m, x: m.select([x > 0], [x, x])),
    ("take_along_axis", lambda m, x: m.take_along_axis(x, np.array([0]), axis=0)),
])
def test_errors_match_numpy(name, call):
    x = np.arange(6.0).reshape(2, 3)
    with pytest.raises(Exception) as expected:
        call(np, x)
    with pytest.raises(type(expected.value)) as got:
        wg.jvp(lambda x: call(wnp, x), (x,), (x,))
    assert str(got.value) == str(expected.value)


def test_methods_and_numpy_dispatch_reach_these_functions():
    x = np.arange(6.0).reshape(2, 3)

    def f(x):
        return (wnp.sum(x.repeat(2, axis=0)) + x.diagonal().sum() + x.trace()
                + wnp.sum(x.take([0, 0])) + wnp.sum(np.flip(x)[0]))

    expected = (np.sum(x.repeat(2, axis=0)) + x.diagonal().sum() + x.trace()
                + np.sum(x.take([0, 0])) + np.sum(np.flip(x)[0]))
    assert f(x) == expected
    g = wg.grad(f)(x)
    # repeat: 2 everywhere; diagonal and trace: 1 + 1 at (0, 0), (1, 1); take: 2 at (0, 0);
    # flip(x)[0] is the last row.
    np.testing.assert_array_equal(g, [[2 + 2 + 2, 2, 2], [2 + 1, 2 + 2 + 1, 2 + 1]])


# --- property tests ------------------------------------------------------------------------------

shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)


@st.composite
def shape_and_permutation(draw):
    shape = draw(shapes)
    return shape, tuple(draw(st.permutations(range(len(shape)))))


def _divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def shape_and_reshape_target(draw):
    shape = draw(st.lists(st.integers(1, 4), min_size=0, max_size=4).map(tuple))
    remaining = int(np.prod(shape, dtype=int))
    target = []
    for _ in range(draw(st.integers(0, 3))):
        d = draw(st.sampled_from(_divisors(remaining)))
        target.append(d)
        remaining //= d
    target.append(remaining)
    target = draw(st.permutations(target))
    if draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return shape, tuple(target)


@st.composite
def shape_and_basic_index(draw):
    shape = draw(shapes)
    bound = st.one_of(st.none(), st.integers(-6, 6))

    def entry(n):
        if n and draw(st.booleans()):
            return draw(st.integers(-n, n - 1))
        step = draw(st.sampled_from([None, 1, 2, -1, -2, 3]))
        return slice(draw(bound), draw(bound), step)

    # Entries for some leading dimensions, then optionally Ellipsis and entries for some
    # trailing ones; None may go anywhere since it consumes no dimension.
    k = draw(st.integers(0, len(shape)))
    key = [entry(n) for n in shape[:k]]
    if draw(st.booleans()):
        j = draw(st.integers(0, len(shape) - k))
        key += [Ellipsis] + [entry(n) for n in shape[len(shape) - j:]]
    if draw(st.booleans()):
        key.insert(draw(st.integers(0, len(key))), None)
    return shape, tuple(key)


def _check_property(f, x, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(f(x), expected)
        out, f_vjp = wg.vjp(f, x)
        np.testing.assert_array_equal(out, expected)
        (ct,) = f_vjp(np.ones(np.shape(expected)))
    assert ct.shape == x.shape and ct.dtype == x.dtype
    check_grads(f, (x,), order=1)


@settings(max_examples=40, deadline=None)
@given(shape_and_permutation())
def test_property_transpose(case):
    shape, perm = case
    x = np.random.default_rng(0).standard_normal(shape)
    _check_property(lambda x: wnp.transpose(x, perm), x, np.transpose(x, perm))


@settings(max_examples=40, deadline=None)
@given(shape_and_reshape_target())
def test_property_reshape(case):
    shape, target = case
    x = np.random.default_rng(0).standard_normal(shape)
    _check_property(lambda x: wnp.reshape(x, target), x, np.reshape(x, target))


@settings(max_examples=60, deadline=None)
@given(shape_and_basic_index())
def test_property_basic_index(case):
    shape, key = case
    x = np.random.default_rng(0).standard_normal(shape)
    _check_property(lambda x: x[key], x, x[key])
    # Basic indexing never repeats an element: the gradient of the sum is a 0/1 mask.
    mask = np.zeros(shape)
    mask[key] = 1.0
    np.testing.assert_array_equal(wg.grad(lambda x: wnp.sum(x[key]))(x), mask)


def test_operator_getitem_equals_wnp_getitem():
    x = np.arange(12.0).reshape(3, 4)
    for key in ((1, slice(None)), ([0, 2], [1, 1]), (Ellipsis, None, -1)):
        traced, _ = wg.jvp(lambda x, key=key: operator.getitem(x, key), (x,), (x,))
        np.testing.assert_array_equal(traced, x[key])
