"""wnp's products against NumPy: matmul, dot, vdot, inner, outer, tensordot, einsum, kron, cross.

Each case checks: the plain-input result is NumPy's exactly; the traced value has NumPy's
value, shape and dtype; derivatives to order 2 in both modes; float32 in gives float32 out
and float32 derivatives; shape errors are NumPy's own ValueError and message.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import wengert as wg
import wengert.numpy as wnp
from wengert.testing import check_grads, check_jvp_vjp_consistency


class Case(NamedTuple):
    name: str
    fn: Callable  # wengert version, taking the arrays only
    np_fn: Callable  # NumPy version
    shapes: tuple
    order: int = 2
    warns: bool = False  # NumPy warns (2-vector cross products are deprecated)


def _case(name, wfn, nfn, *shape_sets, order=2, warns=False, **kwargs):
    f = (lambda *xs: wfn(*xs, **kwargs)) if kwargs else wfn
    g = (lambda *xs: nfn(*xs, **kwargs)) if kwargs else nfn
    label = name + ("" if not kwargs else str(sorted(kwargs.items())))
    return [Case(label, f, g, shapes, order, warns) for shapes in shape_sets]


def _einsum(spec):
    return (lambda *xs: wnp.einsum(spec, *xs)), (lambda *xs: np.einsum(spec, *xs))


CASES = [
    *_case(
        "matmul",
        wnp.matmul,
        np.matmul,
        ((3,), (3,)),
        ((3,), (3, 4)),
        ((2, 3), (3,)),
        ((2, 3), (3, 4)),
        ((2, 2, 3), (3, 4)),
        ((2, 2, 3), (2, 3, 4)),
        ((2, 1, 2, 3), (3, 3, 4)),
        ((0,), (0,)),
        ((2, 0), (0, 3)),
        ((0, 2), (2, 3)),
        ((2, 0, 3), (3, 1)),
    ),
    *_case(
        "dot",
        wnp.dot,
        np.dot,
        ((), (3,)),
        ((2, 3), ()),
        ((3,), (3,)),
        ((2, 3), (3,)),
        ((3,), (3, 4)),
        ((2, 3), (3, 4)),
        ((2, 2, 3), (3,)),
        ((3,), (2, 3, 4)),
        ((2, 3), (2, 3, 4)),
        ((2, 2, 3), (2, 3, 2)),
        ((2, 2, 3), (3, 4)),
        ((0,), (0,)),
        ((2, 0), (0, 3)),
        ((2, 3, 0), (2, 0, 2)),
    ),
    *_case(
        "vdot",
        wnp.vdot,
        np.vdot,
        ((3,), (3,)),
        ((2, 3), (3, 2)),
        ((), ()),
        ((2, 3), (6,)),
        ((0,), (0, 2)),
    ),
    *_case(
        "inner",
        wnp.inner,
        np.inner,
        ((), (2, 3)),
        ((3,), ()),
        ((3,), (3,)),
        ((2, 3), (3,)),
        ((3,), (2, 3)),
        ((2, 3), (4, 3)),
        ((2, 2, 3), (4, 3)),
        ((2, 3), (2, 2, 3)),
        ((0,), (0,)),
        ((2, 0), (3, 0)),
        ((0, 2), (3, 2)),
    ),
    *_case("outer", wnp.outer, np.outer, ((3,), (4,)), ((2, 3), (2,)), ((), (3,)), ((0,), (3,))),
    *_case("tensordot", wnp.tensordot, np.tensordot, ((2, 3, 4), (3, 4, 2)), ((2, 3), (2, 3))),
    *_case("tensordot", wnp.tensordot, np.tensordot, ((2, 3), (3, 4)), ((2, 0), (0, 3)), axes=1),
    *_case("tensordot", wnp.tensordot, np.tensordot, ((2,), (3,)), ((), (2, 3)), axes=0),
    *_case("tensordot", wnp.tensordot, np.tensordot, ((2, 3), (3, 2)), axes=([1, 0], [0, 1])),
    *_case("tensordot", wnp.tensordot, np.tensordot, ((3, 2), (4, 3)), axes=([0], [1])),
    *_case("tensordot", wnp.tensordot, np.tensordot, ((2, 3), (3, 4)), axes=(1, 0)),
    *_case(
        "tensordot", wnp.tensordot, np.tensordot, ((2, 3, 2), (3, 2, 2)), axes=([2, -2], [1, 0])
    ),
    *_case(
        "einsum[...ij,...jk]", *_einsum("...ij,...jk"), ((2, 1, 2, 3), (3, 3, 2)), ((2, 3), (3, 2))
    ),
    *_case("einsum[i...->...]", *_einsum("i...->..."), ((2, 3),), ((2,),)),
    *_case("einsum[...,...]", *_einsum("...,..."), ((2, 3), (3,)), ((), ())),
    *_case(
        "einsum[ij...,jk...->ik...]",
        *_einsum("ij...,jk...->ik..."),
        ((2, 3, 4), (3, 2, 1)),
    ),
    *_case("einsum[Ba,aC]", *_einsum("Ba,aC"), ((2, 3), (3, 4))),
    *_case("einsum[aB]", *_einsum("aB"), ((2, 3),)),
    *_case("einsum[i j -> j i]", *_einsum("i j -> j i"), ((2, 3),)),
    *_case("einsum[ii]", *_einsum("ii"), ((3, 3),)),
    *_case("einsum[ij,ij,ij->i]", *_einsum("ij,ij,ij->i"), ((2, 3), (2, 3), (2, 3))),
    *_case(
        "einsum[sublist]",
        lambda a, b: wnp.einsum(a, [0, 1], b, [1, 27], [27, 0]),
        lambda a, b: np.einsum(a, [0, 1], b, [1, 27], [27, 0]),
        ((2, 3), (3, 4)),
    ),
    *_case(
        "einsum[sublist implicit ...]",
        lambda a, b: wnp.einsum(a, [Ellipsis, 0, 1], b, [1, 2]),
        lambda a, b: np.einsum(a, [Ellipsis, 0, 1], b, [1, 2]),
        ((2, 2, 3), (3, 4)),
    ),
    *_case(
        "kron",
        wnp.kron,
        np.kron,
        ((2,), (3,)),
        ((2, 2), (2, 3)),
        ((2,), (2, 3)),
        ((2, 3), (2,)),
        ((), (2, 3)),
        ((2, 3), ()),
        ((2, 1, 2), (2, 2)),
        ((0, 2), (2, 2)),
    ),
    *_case(
        "cross",
        wnp.cross,
        np.cross,
        ((3,), (3,)),
        ((4, 3), (3,)),
        ((2, 1, 3), (4, 3)),
        ((0, 3), (3,)),
    ),
    *_case(
        "cross",
        wnp.cross,
        np.cross,
        ((2,), (2,)),
        ((3, 2), (2,)),
        ((3,), (2,)),
        ((2, 2), (2, 3)),
        warns=True,
    ),
    *_case("cross", wnp.cross, np.cross, ((3, 4), (4, 3)), axisa=0, axisb=-1, axisc=0),
    *_case("cross", wnp.cross, np.cross, ((3, 2), (3, 1)), axis=0),
]

PARAMS = [pytest.param(c, id=f"{c.name}-{'x'.join(map(str, c.shapes))}") for c in CASES]


def _args(case, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal(s).astype(dtype) for s in case.shapes)


@contextlib.contextmanager
def _no_warnings(case):
    """Warnings are errors, except NumPy's own deprecation of 2-vector cross products."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if case.warns else "error")
        yield


@pytest.mark.parametrize("case", PARAMS)
def test_plain_input_is_numpys_result(case):
    args = _args(case)
    with _no_warnings(case):
        got, expected = case.fn(*args), case.np_fn(*args)
    assert type(got) is type(expected)
    np.testing.assert_array_equal(got, expected)
    assert np.shape(got) == np.shape(expected) and got.dtype == expected.dtype


@pytest.mark.parametrize("case", PARAMS)
def test_traced_value_shape_dtype(case):
    args = _args(case)
    with _no_warnings(case):
        expected = np.asarray(case.np_fn(*args))
        primal, tangent = wg.jvp(case.fn, args, args)
        out, f_vjp = wg.vjp(case.fn, *args)
        cts = f_vjp(np.ones_like(expected))
    for value in (primal, out, tangent):
        assert np.shape(value) == expected.shape and value.dtype == expected.dtype
    np.testing.assert_allclose(primal, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    # Every product is bilinear: the JVP along the primals themselves is 2 * value.
    np.testing.assert_allclose(tangent, len(args) * expected, rtol=1e-12, atol=1e-12)
    for ct, a in zip(cts, args):
        assert ct.shape == a.shape and ct.dtype == a.dtype


@pytest.mark.parametrize("case", PARAMS)
def test_grads(case):
    args = _args(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        check_grads(case.fn, args, order=case.order, modes=("fwd", "rev"))
        check_jvp_vjp_consistency(case.fn, args, rng=np.random.default_rng(1))


@pytest.mark.parametrize("case", PARAMS)
def test_float32_preserved(case):
    args = _args(case, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        out, tangent = wg.jvp(case.fn, args, args)
        assert out.dtype == np.float32 and tangent.dtype == np.float32
        out, f_vjp = wg.vjp(case.fn, *args)
        for ct in f_vjp(np.ones_like(out)):
            assert ct.dtype == np.float32
        np.testing.assert_allclose(out, case.np_fn(*args), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", [p for p in PARAMS if len(p.values[0].shapes) == 2])
def test_one_traced_one_constant(case):
    a, b = _args(case)
    with _no_warnings(case):
        expected = case.np_fn(a, b)
        for f, x, const in ((lambda x: case.fn(x, b), a, b), (lambda y: case.fn(a, y), b, a)):
            out, tangent = wg.jvp(f, (x,), (x,))
            np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(tangent, expected, rtol=1e-12, atol=1e-12)
            check_grads(f, (x,), order=1)


# --- errors ---------------------------------------------------------------------------------

ERRORS = [
    ("matmul", wnp.matmul, np.matmul, ((2, 3), (4, 5))),
    ("matmul", wnp.matmul, np.matmul, ((2, 2, 3), (4, 3, 5))),
    ("matmul", wnp.matmul, np.matmul, ((), (3,))),
    ("matmul", wnp.matmul, np.matmul, ((3,), ())),
    ("dot", wnp.dot, np.dot, ((2, 3), (4, 5))),
    ("dot", wnp.dot, np.dot, ((3,), (4,))),
    ("dot", wnp.dot, np.dot, ((2, 2, 3), (2, 4, 2))),
    ("vdot", wnp.vdot, np.vdot, ((3,), (4,))),
    ("inner", wnp.inner, np.inner, ((2, 3), (4, 5))),
    ("tensordot", wnp.tensordot, np.tensordot, ((2, 3), (3, 2))),
    (
        "tensordot",
        lambda a, b: wnp.tensordot(a, b, ([0, 0], [0, 1])),
        lambda a, b: np.tensordot(a, b, ([0, 0], [0, 1])),
        ((2, 2), (2, 2)),
    ),
    (
        "tensordot",
        lambda a, b: wnp.tensordot(a, b, ([0], [0, 1])),
        lambda a, b: np.tensordot(a, b, ([0], [0, 1])),
        ((2, 3), (2, 3)),
    ),
    (
        "einsum",
        lambda a, b: wnp.einsum("ij,jk", a, b),
        lambda a, b: np.einsum("ij,jk", a, b),
        ((2, 3), (4, 5)),
    ),
    ("einsum", lambda a: wnp.einsum("ij->iij", a), lambda a: np.einsum("ij->iij", a), ((2, 3),)),
    ("einsum", lambda a: wnp.einsum("ii->i", a), lambda a: np.einsum("ii->i", a), ((2, 3),)),
    ("einsum", lambda a: wnp.einsum("...i->i", a), lambda a: np.einsum("...i->i", a), ((2, 3),)),
    ("einsum", lambda a: wnp.einsum("ijk", a), lambda a: np.einsum("ijk", a), ((2, 3),)),
    ("einsum", lambda a: wnp.einsum("i->j", a), lambda a: np.einsum("i->j", a), ((2,),)),
    ("einsum", lambda a: wnp.einsum("i,i", a), lambda a: np.einsum("i,i", a), ((2,),)),
    ("einsum", lambda a: wnp.einsum("i1", a), lambda a: np.einsum("i1", a), ((2, 2),)),
    (
        "einsum",
        lambda a: wnp.einsum(a, [0, 60]),
        lambda a: np.einsum(a, [0, 60]),
        ((2, 2),),
    ),
    ("einsum", lambda a: wnp.einsum("ii->i", a), lambda a: np.einsum("ii->i", a), ((1, 3),)),
    ("cross", wnp.cross, np.cross, ((4,), (3,))),
    ("cross", wnp.cross, np.cross, ((), (3,))),
    (
        "cross",
        lambda a, b: wnp.cross(a, b, axisa=2),
        lambda a, b: np.cross(a, b, axisa=2),
        ((3,), (3,)),
    ),
]


@pytest.mark.parametrize(
    "name, wfn, nfn, shapes", ERRORS, ids=[f"{e[0]}-{'x'.join(map(str, e[3]))}" for e in ERRORS]
)
def test_errors_are_numpys(name, wfn, nfn, shapes):
    args = tuple(np.ones(s) for s in shapes)
    with pytest.raises(Exception) as expected:
        nfn(*args)
    with pytest.raises(type(expected.value)) as plain:
        wfn(*args)
    with pytest.raises(type(expected.value)) as traced:
        wg.jvp(wfn, args, args)
    with pytest.raises(type(expected.value)) as recorded:
        wg.vjp(wfn, *args)
    assert isinstance(expected.value, ValueError)
    for err in (plain, traced, recorded):
        assert str(err.value) == str(expected.value)


# --- dtypes and mixed operands --------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, np_fn",
    [
        (wnp.dot, np.dot),
        (wnp.inner, np.inner),
        (wnp.outer, np.outer),
        (wnp.kron, np.kron),
        (lambda a, b: wnp.tensordot(a, b, 0), lambda a, b: np.tensordot(a, b, 0)),
        (lambda a, b: wnp.einsum("i,->i", a, b), lambda a, b: np.einsum("i,->i", a, b)),
    ],
)
def test_python_scalar_promotes_like_numpy(fn, np_fn):
    # NumPy's product functions convert a Python float with asarray: it counts as float64.
    x = np.arange(3, dtype=np.float32)
    expected = np_fn(x, 2.0)
    out, _ = wg.jvp(lambda x: fn(x, 2.0), (x,), (x,))
    assert out.dtype == expected.dtype
    np.testing.assert_allclose(out, expected)


def test_mixed_dtypes_promote():
    x32 = np.ones((2, 3), np.float32)
    w64 = np.full((3, 2), 0.5)
    out, f_vjp = wg.vjp(lambda x: wnp.matmul(x, w64), x32)
    assert out.dtype == np.float64
    (g,) = f_vjp(np.ones((2, 2)))
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, np.ones((2, 2)) @ w64.T)
    wi = np.ones((3, 2), np.int64)
    out, _ = wg.jvp(lambda x: wnp.matmul(x, wi), (x32,), (x32,))
    assert out.dtype == np.matmul(x32, wi).dtype


def test_operators_and_methods_on_traced_arrays():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    f = lambda a, b: (a @ b) + np.matmul(a, b) + (a.T.T @ b)
    out, _ = wg.jvp(f, (a, b), (a, b))
    np.testing.assert_allclose(out, 3 * (a @ b))
    g = wg.grad(lambda b: (a @ b).sum())(b)  # ndarray @ traced goes through __rmatmul__
    np.testing.assert_allclose(g, np.broadcast_to(a.sum(0)[:, None], b.shape))
    check_grads(lambda a, b: a.dot(b), (a, b), order=1)
    check_grads(lambda a, b: np.dot(a, b), (a, b), order=1)
    check_grads(lambda a, b: np.einsum("ij,jk->ki", a, b), (a, b), order=1)


def test_gradients_are_writable_arrays():
    x = np.ones((2, 3))
    g = wg.grad(lambda x: wnp.einsum("ij->", x))(x)
    g[0, 0] = 5.0  # a broadcast view would be read-only
    assert g.flags.writeable


def test_einsum_dtype_argument():
    x = np.ones(3, np.float32)
    out, _ = wg.jvp(lambda x: wnp.einsum("i->", x, dtype=np.float64), (x,), (x,))
    assert out.dtype == np.einsum("i->", x, dtype=np.float64).dtype


def test_einsum_of_five_operands_second_order():
    rng = np.random.default_rng(2)
    args = tuple(rng.standard_normal(s) for s in ((2, 3), (3,), (3, 2), (2,), (2, 2)))
    spec = "ij,j,jk,k,kl->il"
    f = lambda *xs: wnp.einsum(spec, *xs)
    np.testing.assert_allclose(wg.jvp(f, args, args)[0], np.einsum(spec, *args))
    check_grads(f, args, order=2)


def test_mlp_layer_gradient_matches_manual():
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)

    def loss(w, b):
        return wnp.sum(wnp.tanh(wnp.matmul(x, w) + b) ** 2)

    gw, gb = wg.grad(loss, argnums=(0, 1))(w, b)
    h = np.tanh(x @ w + b)
    delta = 2 * h * (1 - h**2)
    np.testing.assert_allclose(gw, x.T @ delta, rtol=1e-12)
    np.testing.assert_allclose(gb, delta.sum(0), rtol=1e-12)


# --- hypothesis -----------------------------------------------------------------------------


@st.composite
def matmul_shapes(draw):
    """Random matmul-compatible shapes, 1-D promotion and batch broadcasting included."""
    m, n, k = draw(st.integers(0, 4)), draw(st.integers(0, 4)), draw(st.integers(0, 4))
    batch = draw(st.lists(st.integers(1, 3), max_size=3))
    bx = [b if draw(st.booleans()) else 1 for b in batch]
    by = [b if draw(st.booleans()) else 1 for b in batch]
    bx = bx[draw(st.integers(0, len(bx))) :]
    by = by[draw(st.integers(0, len(by))) :]
    sx = (n,) if draw(st.integers(0, 4)) == 0 else (*bx, m, n)
    sy = (n,) if draw(st.integers(0, 4)) == 0 else (*by, n, k)
    return tuple(sx), tuple(sy)


@settings(max_examples=60, deadline=None)
@given(matmul_shapes(), st.integers(0, 2**32 - 1))
def test_hypothesis_matmul(shapes, seed):
    rng = np.random.default_rng(seed)
    x, y = (rng.standard_normal(s) for s in shapes)
    expected = np.matmul(x, y)
    np.testing.assert_array_equal(wnp.matmul(x, y), expected)
    out, f_vjp = wg.vjp(wnp.matmul, x, y)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    assert np.shape(out) == expected.shape
    gx, gy = f_vjp(rng.standard_normal(expected.shape))
    assert gx.shape == x.shape and gy.shape == y.shape
    gx, gy = wg.grad(lambda x, y: wnp.sum(wnp.matmul(x, y)), argnums=(0, 1))(x, y)
    assert gx.shape == x.shape and gy.shape == y.shape
    # d/dx sum(x @ y) contracts ones with y: compare with the explicit einsum form.
    np.testing.assert_allclose(
        wg.grad(lambda x: wnp.sum(wnp.einsum("...ij,...jk->...ik", x, y)))(x)
        if x.ndim >= 2 and y.ndim >= 2
        else gx,
        gx,
        rtol=1e-12,
        atol=1e-12,
    )
    check_jvp_vjp_consistency(wnp.matmul, (x, y), rng=rng)


@pytest.mark.parametrize(
    "name, fn",
    [
        ("dot", lambda s, x: wnp.dot(s, x)),
        ("inner", lambda s, x: wnp.inner(s, x)),
        ("outer", lambda s, x: wnp.outer(s, x)),
        ("kron", lambda s, x: wnp.kron(s, x)),
        ("tensordot", lambda s, x: wnp.tensordot(s, x, 0)),
        ("einsum", lambda s, x: wnp.einsum(",i->i", s, x)),
        ("vdot", lambda s, x: wnp.vdot(s, x[:1])),
    ],
)
def test_python_float_argument(name, fn):
    x = np.array([0.5, -1.0, 2.0])
    check_grads(lambda s: fn(s, x), (2.0,), order=2)
    check_grads(lambda x: fn(2.0, x), (x,), order=2)
