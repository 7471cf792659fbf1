"""Spec table for the product primitives: matmul and einsum.

Each row is (name, function, shape cases, domain sampler, order, tolerance). Every shape case
of every row is checked to order 2 in forward and reverse mode against central differences,
by the exact ⟨u, J v⟩ = ⟨Jᵀu, v⟩ cross-check, for value, shape and dtype against NumPy (plain
and traced), in float32, and for recording its primitive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.primitives import REGISTRY
from wengert.primitives.linalg import diagonal_mask, einsum_optimize
from wengert.primitives.registry import ShapeDtype
from wengert.testing import check_grads, check_jvp_vjp_consistency, check_values

COVERED_PRIMITIVES = {"matmul", "einsum"}


def normal(rng, shape):
    return rng.standard_normal(shape)


class Row(NamedTuple):
    name: str
    fn: Callable
    shapes: tuple  # each case: a tuple of operand shapes
    sampler: Callable
    order: int
    rtol: float
    prim: str


def _einsum_row(subscripts, *cases, order=2, rtol=1e-5):
    return Row(
        f"einsum[{subscripts}]",
        lambda *xs: wnp.einsum(subscripts, *xs),
        cases,
        normal,
        order,
        rtol,
        "einsum",
    )


MATMUL_SHAPES = (
    ((3,), (3,)),  # (n,) @ (n,) -> ()
    ((3,), (3, 4)),  # (n,) @ (n, k)
    ((2, 3), (3,)),  # (m, n) @ (n,)
    ((2, 3), (3, 4)),  # (m, n) @ (n, k)
    ((2, 2, 3), (3, 4)),  # batched @ matrix
    ((2, 3), (2, 3, 4)),  # matrix @ batched
    ((2, 2, 3), (2, 3, 4)),  # batched @ batched
    ((2, 1, 2, 3), (3, 3, 4)),  # broadcast batches -> (2, 3, 2, 4)
    ((1, 2, 3), (2, 3, 1)),  # a batch of one against two
    ((3,), (2, 3, 4)),  # vector @ batched
    ((2, 2, 3), (3,)),  # batched @ vector
    ((1, 1), (1, 1)),
    ((0,), (0,)),  # zero-size contraction -> 0.0
    ((2, 0), (0, 3)),
    ((0, 3), (3, 2)),
    ((2, 0, 3), (3, 4)),
)

SPEC = [
    Row("matmul", lambda x, y: wnp.matmul(x, y), MATMUL_SHAPES, normal, 2, 1e-5, "matmul"),
    Row(
        "matmul[@]",
        lambda x, y: x @ y,
        (((2, 3), (3, 4)), ((2, 3), (3,))),
        normal,
        2,
        1e-5,
        "matmul",
    ),
    _einsum_row(
        "ij,jk->ik", ((2, 3), (3, 4)), ((1, 3), (3, 1)), ((2, 0), (0, 3)), ((2, 1), (3, 4))
    ),  # the last: j broadcasts from size 1
    _einsum_row("ij->", ((2, 3),), ((1, 1),), ((0, 3),)),
    _einsum_row("ii->i", ((3, 3),), ((1, 1),), ((0, 0),)),
    _einsum_row("ii->", ((3, 3),), ((1, 1),)),
    _einsum_row("iij->j", ((3, 3, 2),), ((2, 2, 0),)),
    _einsum_row("iji,jk->k", ((2, 3, 2), (3, 4))),
    _einsum_row("i,i->", ((3,), (3,)), ((1,), (1,)), ((0,), (0,))),
    _einsum_row("i,j->ij", ((2,), (3,)), ((0,), (3,))),
    _einsum_row("i,ij->j", ((2,), (2, 3))),  # i is contracted, j only in the second
    _einsum_row("ij,k->", ((2, 3), (4,))),  # every label summed out of its own operand
    _einsum_row("bij,bjk->bik", ((2, 2, 3), (2, 3, 4)), ((1, 2, 3), (1, 3, 1))),
    _einsum_row(
        "...ij,...jk->...ik", ((2, 1, 2, 3), (3, 3, 2)), ((2, 3), (3, 2)), ((2, 3), (4, 3, 2))
    ),
    _einsum_row("ijk->kji", ((2, 3, 4),), ((2, 0, 3),)),
    _einsum_row("ij,ij,ij->i", ((2, 3), (2, 3), (2, 3)), ((2, 3), (1, 3), (2, 1))),
    _einsum_row("ij,jk,kl->il", ((2, 3), (3, 2), (2, 2))),
    _einsum_row("i->", ((3,),), ((0,),)),
    _einsum_row(
        ",->",
        ((), ()),
    ),
    _einsum_row(",ij->ji", ((), (2, 3))),
    _einsum_row("->", ((),)),
    _einsum_row("ij,jk", ((2, 3), (3, 4))),  # implicit output
    _einsum_row("ii", ((3, 3),)),  # implicit: the trace
]

CASES = [
    pytest.param(row, shapes, id=f"{row.name}-{'x'.join(map(str, shapes))}")
    for row in SPEC
    for shapes in row.shapes
]


def _args(row, shapes, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return tuple(np.asarray(row.sampler(rng, s), dtype) for s in shapes)


def _reference(row, args):
    if row.prim == "matmul":
        return np.matmul(*args)
    subscripts = row.name[len("einsum[") : -1]
    return np.einsum(subscripts, *args)


@pytest.mark.parametrize("row, shapes", CASES)
def test_grads(row, shapes):
    args = _args(row, shapes)
    check_grads(row.fn, args, order=row.order, modes=("fwd", "rev"), rtol=row.rtol)
    check_jvp_vjp_consistency(row.fn, args, rng=np.random.default_rng(1))


def _random_matmul_shapes(rng):
    """A random batched matmul: broadcast batch dims of size 1, m, n, k in 1..5."""
    m, n, k = rng.integers(1, 6, size=3)
    batch = tuple(rng.integers(1, 4, size=rng.integers(0, 3)))
    bx = tuple(1 if rng.random() < 0.3 else b for b in batch)
    by = tuple(1 if rng.random() < 0.3 else b for b in batch)[rng.integers(0, len(batch) + 1) :]
    return bx + (m, n), by + (n, k)


@pytest.mark.parametrize("seed", range(5))
def test_random_shapes_first_order(seed):
    rng = np.random.default_rng(seed)
    sx, sy = _random_matmul_shapes(rng)
    x, y = rng.standard_normal(sx), rng.standard_normal(sy)
    for f in (wnp.matmul, lambda x, y: wnp.einsum("...ij,...jk->...ik", x, y)):
        check_grads(f, (x, y), order=1, rng=rng)
        check_jvp_vjp_consistency(f, (x, y), rng=rng)


@pytest.mark.parametrize("row, shapes", CASES)
def test_value_shape_dtype_match_numpy(row, shapes):
    args = _args(row, shapes)
    expected = _reference(row, args)
    assert type(row.fn(*args)) is type(expected)
    np.testing.assert_array_equal(row.fn(*args), expected)
    tangent, _ = check_values(row.fn, args, expected, rtol=1e-12, atol=1e-12)
    # Linear in each operand: the JVP along the primals themselves is (#operands) * value.
    np.testing.assert_allclose(tangent, len(args) * expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("row, shapes", CASES)
def test_float32_in_float32_out(row, shapes):
    args = _args(row, shapes, dtype=np.float32)
    out, tangent = wg.jvp(row.fn, args, args)
    assert out.dtype == np.float32 and np.asarray(tangent).dtype == np.float32
    out, f_vjp = wg.vjp(row.fn, *args)
    for ct in f_vjp(np.ones_like(out)):
        assert ct.dtype == np.float32
    np.testing.assert_allclose(out, _reference(row, args), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("row", SPEC, ids=[r.name for r in SPEC])
def test_records_its_primitive(row):
    args = _args(row, row.shapes[0])
    trace = wg.trace(row.fn)(*args)
    assert row.prim in [e.prim.name for e in trace.eqns]


@pytest.mark.parametrize("row, shapes", CASES)
def test_shape_rule_agrees_with_impl(row, shapes):
    args = _args(row, shapes)
    trace = wg.trace(row.fn)(*args)
    eqn = next(e for e in trace.eqns if e.prim.name == row.prim)
    avals = [ShapeDtype(tuple(x.shape), x.dtype) for x in eqn.inputs]
    shape, dtype = eqn.prim.shape(*avals, **eqn.params)
    out = eqn.prim.impl(
        *[trace.values[x.id] if hasattr(x, "id") else x.value for x in eqn.inputs], **eqn.params
    )
    assert shape == out.shape and dtype == out.dtype


def test_third_order_through_diagonal_rules():
    # The VJP of 'ii,i->i' uses the diagonal mask; the rules must differentiate again.
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 3)), rng.standard_normal(3)
    f = lambda a, b: wnp.einsum("ii,i->i", a, b) * wnp.einsum("ij->j", a)
    check_grads(f, (a, b), order=3)


def test_matmul_third_order_batched_broadcast():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((2, 1, 2, 3)), rng.standard_normal((2, 3, 2))
    check_grads(lambda a, b: wnp.matmul(a, b) * wnp.matmul(a, b), (a, b), order=3)


def test_matmul_shape_rule_raises_numpys_error():
    p = REGISTRY["matmul"]
    f64 = np.dtype("float64")
    with pytest.raises(ValueError, match="mismatch in its core dimension"):
        p.shape(ShapeDtype((2, 3), f64), ShapeDtype((4, 5), f64))
    with pytest.raises(ValueError, match="not have enough dimensions"):
        p.shape(ShapeDtype((), f64), ShapeDtype((3,), f64))
    assert p.shape(ShapeDtype((2, 1, 2, 3), f64), ShapeDtype((3, 3, 4), np.dtype("float32"))) == (
        (2, 3, 2, 4),
        f64,
    )


def test_diagonal_mask():
    m = diagonal_mask("iji", (2, 3, 2), np.float64)
    expected = np.zeros((2, 3, 2))
    for i in range(2):
        expected[i, :, i] = 1
    np.testing.assert_array_equal(m, expected)
    np.testing.assert_array_equal(diagonal_mask("ij", (2, 3), np.float64), np.ones((2, 3)))


def test_einsum_optimize_policy():
    assert not einsum_optimize("ij->ji", (100, 100))
    assert not einsum_optimize("ij,jk->ik", (4, 4), (4, 4))
    assert einsum_optimize("ij,jk->ik", (64, 64), (64, 64))
    assert einsum_optimize("i,i,i->", (2,), (2,), (2,))


def test_einsum_vjp_of_three_operands_with_the_same_array():
    # einsum('i,i,i->', x, x, x) = sum(x**3): the three slots' cotangents add up.
    x = np.array([0.5, -1.5, 2.0])
    g = wg.grad(lambda x: wnp.einsum("i,i,i->", x, x, x))(x)
    np.testing.assert_allclose(g, 3 * x**2, rtol=1e-14)


def _random_subscripts(rng):
    """A random normalised einsum: 1-3 operands over labels a-d, repeats and scalars allowed."""
    terms = [
        "".join(rng.choice(list("abcd"), size=rng.integers(0, 4)))
        for _ in range(rng.integers(1, 4))
    ]
    labels = sorted(set("".join(terms)))
    out = "".join(rng.permutation([c for c in labels if rng.random() < 0.5]).tolist())
    return ",".join(terms) + "->" + out


@pytest.mark.parametrize("seed", range(25))
def test_random_subscripts(seed):
    rng = np.random.default_rng(seed)
    sizes = {"a": 2, "b": 3, "c": 1, "d": 2}
    spec = _random_subscripts(rng)
    in_subs = spec.split("->")[0].split(",")
    args = tuple(rng.standard_normal(tuple(sizes[c] for c in t)) for t in in_subs)
    f = lambda *xs: wnp.einsum(spec, *xs)
    out, _ = wg.jvp(f, args, args)
    np.testing.assert_allclose(out, np.einsum(spec, *args), rtol=1e-12, atol=1e-12)
    check_grads(f, args, order=2, rng=rng)
    check_jvp_vjp_consistency(f, args, rng=rng)
