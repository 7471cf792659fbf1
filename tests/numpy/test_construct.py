"""Tests of wengert/numpy/_construct.py: construction and introspection.

Constructors equal NumPy's on plain input and return plain arrays for traced shape-like
arguments; ``array``/``asarray`` of traced values, ``full`` with a traced fill value and the
grids built from traced end points (linspace, logspace, geomspace, meshgrid) are checked against
NumPy's values and against finite differences.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core.errors import WengertTypeError
from wengert.core.tracer import Tracer
from wengert.testing import check_grads

SEED = 20240611


def _ones_like(a):
    return np.ones_like(np.asarray(a))


def primal_and_tangent(f, *args):
    """Run f under jvp with all-ones tangents; returns (primal output, output tangent)."""
    args = tuple(np.asarray(a) for a in args)
    return wg.jvp(f, args, tuple(_ones_like(a) for a in args))


def inside(f, *args):
    """Call f(*traced args) inside jvp and return what it returned, unconverted."""
    seen = {}

    def g(*xs):
        seen["out"] = f(*xs)
        return xs[0]

    args = tuple(np.asarray(a) for a in args)
    wg.jvp(g, args, tuple(_ones_like(a) for a in args))
    return seen["out"]


# --- plain input equals NumPy ------------------------------------------------------------------

# (name, wengert call, NumPy call): the same arguments on plain input.
PLAIN_CASES = [
    ("array_list", lambda m: m.array([[1.0, 2.0], [3.0, 4.0]])),
    ("array_dtype", lambda m: m.array([1, 2, 3], dtype=np.float32)),
    ("array_ndmin", lambda m: m.array([1.0, 2.0], ndmin=3)),
    ("array_scalar", lambda m: m.array(2.5)),
    ("asarray", lambda m: m.asarray([1.0, 2.0])),
    ("asarray_dtype", lambda m: m.asarray((1, 2), dtype=float)),
    ("asanyarray", lambda m: m.asanyarray([[1, 2]])),
    ("ascontiguousarray", lambda m: m.ascontiguousarray(3.0)),
    ("copy", lambda m: m.copy(np.arange(4.0))),
    ("zeros", lambda m: m.zeros((2, 3))),
    ("zeros_int", lambda m: m.zeros(4, dtype=int)),
    ("ones", lambda m: m.ones((3,), dtype=np.float32)),
    ("full", lambda m: m.full((2, 2), 7.0)),
    ("full_int", lambda m: m.full(3, 2)),
    ("empty_shape", lambda m: m.empty((2, 0, 3)).shape),
    ("eye", lambda m: m.eye(3)),
    ("eye_rect", lambda m: m.eye(2, 4, k=1, dtype=np.float32)),
    ("identity", lambda m: m.identity(4)),
    ("arange_stop", lambda m: m.arange(5)),
    ("arange_float", lambda m: m.arange(0.5, 3.0, 0.25)),
    ("arange_dtype", lambda m: m.arange(2, 8, 2, dtype=np.float64)),
    ("linspace", lambda m: m.linspace(0.0, 1.0, 7)),
    ("linspace_noend", lambda m: m.linspace(-1.0, 2.0, 4, endpoint=False)),
    ("linspace_retstep", lambda m: m.linspace(0.0, 3.0, 4, retstep=True)),
    ("linspace_arrays", lambda m: m.linspace(np.zeros(2), np.array([1.0, 2.0]), 3, axis=1)),
    ("linspace_int", lambda m: m.linspace(0, 10, 4, dtype=int)),
    ("logspace", lambda m: m.logspace(0.0, 2.0, 5)),
    ("logspace_base", lambda m: m.logspace(0.0, 3.0, 4, base=2.0, endpoint=False)),
    ("geomspace", lambda m: m.geomspace(1.0, 1000.0, 4)),
    ("geomspace_neg", lambda m: m.geomspace(-1.0, -16.0, 5)),
    ("meshgrid_xy", lambda m: m.meshgrid(np.arange(3.0), np.arange(2.0))),
    ("meshgrid_ij", lambda m: m.meshgrid(np.arange(3.0), np.arange(2.0), indexing="ij")),
    ("meshgrid_sparse", lambda m: m.meshgrid(np.arange(3.0), np.arange(2.0), sparse=True)),
    ("zeros_like", lambda m: m.zeros_like(np.ones((2, 3), np.float32))),
    ("ones_like", lambda m: m.ones_like(np.zeros(3, int))),
    ("full_like", lambda m: m.full_like(np.zeros((2, 2)), 3.5)),
    ("full_like_int", lambda m: m.full_like(np.zeros(3, int), 2.7)),
    ("empty_like_shape", lambda m: m.empty_like(np.zeros((3, 2), np.float32)).shape),
    ("tri", lambda m: m.tri(3, 4, k=1)),
    ("indices", lambda m: m.indices((2, 3))),
    ("diag_indices", lambda m: m.diag_indices(3)),
    ("tril_indices", lambda m: m.tril_indices(3, k=-1)),
    ("triu_indices", lambda m: m.triu_indices(3, m=4)),
    ("isscalar_float", lambda m: m.isscalar(3.0)),
    ("isscalar_array", lambda m: m.isscalar(np.array(3.0))),
    ("iscomplexobj", lambda m: m.iscomplexobj(np.array([1.0 + 0j]))),
    ("isrealobj", lambda m: m.isrealobj(np.array([1.0]))),
    ("iscomplex", lambda m: m.iscomplex(np.array([1.0 + 1j, 2.0]))),
    ("isreal", lambda m: m.isreal(np.array([1.0 + 1j, 2.0]))),
    ("result_type", lambda m: m.result_type(np.float32, 1.0)),
    ("can_cast", lambda m: m.can_cast(np.float32, np.float64)),
    ("can_cast_no", lambda m: m.can_cast(np.float64, np.int32)),
    ("promote_types", lambda m: m.promote_types(np.float32, np.int64)),
    ("ndim", lambda m: m.ndim(np.zeros((2, 3)))),
    ("shape", lambda m: m.shape(np.zeros((2, 3)))),
    ("size", lambda m: m.size(np.zeros((2, 3)))),
]


def _assert_same(got, want):
    if isinstance(want, (tuple, list)):
        assert type(got) in (tuple, list) and len(got) == len(want)
        for g, w in zip(got, want):
            _assert_same(g, w)
        return
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
        return
    if isinstance(want, np.dtype):
        assert isinstance(got, np.dtype) and got == want
        return
    assert type(got) is type(want) and got == want


@pytest.mark.parametrize("name, call", PLAIN_CASES, ids=[c[0] for c in PLAIN_CASES])
def test_plain_input_equals_numpy(name, call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = call(wnp)
    _assert_same(got, call(np))


def test_every_name_is_exported():
    from wengert.numpy import _construct

    for name in _construct.__all__:
        assert callable(getattr(wnp, name)), name
    for name in ("zeros_like", "ones_like", "ndim", "shape", "size", "result_type"):
        assert callable(getattr(wnp, name)), name


# --- traced shape-like arguments give plain (constant) arrays -------------------------------------

TRACED_PLAIN = [
    ("zeros", lambda x: wnp.zeros(x.shape), lambda x: np.zeros(x.shape)),
    ("ones_dtype", lambda x: wnp.ones(x.shape, dtype=x.dtype), lambda x: np.ones(x.shape)),
    ("empty_shape", lambda x: wnp.empty(x.shape).shape, lambda x: x.shape),
    ("zeros_like", lambda x: wnp.zeros_like(x), lambda x: np.zeros_like(x)),
    ("ones_like", lambda x: wnp.ones_like(x), lambda x: np.ones_like(x)),
    ("full_like_const", lambda x: wnp.full_like(x, 2.0), lambda x: np.full_like(x, 2.0)),
    ("empty_like_shape", lambda x: wnp.empty_like(x).shape, lambda x: x.shape),
    ("eye", lambda x: wnp.eye(x.shape[-1], dtype=x.dtype), lambda x: np.eye(x.shape[-1])),
    ("identity", lambda x: wnp.identity(len(x)), lambda x: np.identity(len(x))),
    ("arange_len", lambda x: wnp.arange(len(x)), lambda x: np.arange(len(x))),
    ("tri", lambda x: wnp.tri(x.shape[0]), lambda x: np.tri(x.shape[0])),
    ("indices", lambda x: wnp.indices(x.shape), lambda x: np.indices(x.shape)),
    (
        "tril_indices",
        lambda x: wnp.tril_indices(x.shape[0]),
        lambda x: np.tril_indices(x.shape[0]),
    ),
    (
        "triu_indices",
        lambda x: wnp.triu_indices(x.shape[0], 1, x.shape[1]),
        lambda x: np.triu_indices(x.shape[0], 1, x.shape[1]),
    ),
    (
        "diag_indices",
        lambda x: wnp.diag_indices(x.shape[0]),
        lambda x: np.diag_indices(x.shape[0]),
    ),
    ("isscalar", lambda x: wnp.isscalar(x), lambda x: False),
    ("isscalar_0d", lambda x: wnp.isscalar(x[0, 0]), lambda x: False),
    ("iscomplexobj", lambda x: wnp.iscomplexobj(x), lambda x: False),
    ("isrealobj", lambda x: wnp.isrealobj(x), lambda x: True),
    ("iscomplex", lambda x: wnp.iscomplex(x), lambda x: np.iscomplex(x)),
    ("isreal", lambda x: wnp.isreal(x), lambda x: np.isreal(x)),
    ("result_type", lambda x: wnp.result_type(x, 1.0), lambda x: np.result_type(x, 1.0)),
    ("can_cast", lambda x: wnp.can_cast(x, np.float32), lambda x: np.can_cast(x, np.float32)),
    (
        "can_cast_safe",
        lambda x: wnp.can_cast(x, np.complex128),
        lambda x: np.can_cast(x, np.complex128),
    ),
    (
        "promote_types",
        lambda x: wnp.promote_types(x.dtype, np.int64),
        lambda x: np.promote_types(x.dtype, np.int64),
    ),
    ("ndim", lambda x: wnp.ndim(x), lambda x: np.ndim(x)),
    ("shape", lambda x: wnp.shape(x), lambda x: np.shape(x)),
    ("size", lambda x: wnp.size(x), lambda x: np.size(x)),
    # NumPy's own constructors dispatch to ours through __array_function__.
    ("np.zeros_like", lambda x: np.zeros_like(x), lambda x: np.zeros_like(x)),
    ("np.full_like", lambda x: np.full_like(x, 3.0), lambda x: np.full_like(x, 3.0)),
    ("np.iscomplexobj", lambda x: np.iscomplexobj(x), lambda x: False),
    (
        "np.result_type",
        lambda x: np.result_type(x, np.float32),
        lambda x: np.result_type(x, np.float32),
    ),
    ("np.can_cast", lambda x: np.can_cast(x, np.float32), lambda x: np.can_cast(x, np.float32)),
]


@pytest.mark.parametrize("name, f, expected", TRACED_PLAIN, ids=[c[0] for c in TRACED_PLAIN])
def test_traced_arguments_give_plain_values(name, f, expected):
    x = np.random.default_rng(SEED).standard_normal((3, 4))
    got = inside(f, x)
    _assert_plain(got)
    _assert_same(got, expected(x))


def _assert_plain(v):
    if isinstance(v, (tuple, list)):
        for w in v:
            _assert_plain(w)
    else:
        assert not isinstance(v, Tracer), f"expected a plain value, got {type(v).__name__}"


def test_arange_with_traced_integer_bound_is_plain():
    out = inside(lambda n: wnp.arange(n), np.array(4.0))
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, np.arange(4.0))


# --- array / asarray of traced values --------------------------------------------------------------


def test_array_of_traced_returns_it():
    def f(x):
        assert wnp.array(x) is x
        assert wnp.asarray(x) is x
        assert wnp.asanyarray(x) is x
        assert wnp.copy(x) is x
        y = wnp.array(x, dtype=np.float32)
        assert isinstance(y, Tracer) and y.dtype == np.float32
        z = wnp.array(x, ndmin=3)
        assert isinstance(z, Tracer) and z.shape == (1, 1, 3)
        c = wnp.ascontiguousarray(x[0])
        assert isinstance(c, Tracer) and c.shape == (1,)
        return wnp.sum(y) + wnp.sum(z) + wnp.sum(c)

    g = wg.grad(f)(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(g, [3.0, 2.0, 2.0])


def test_grad_through_array_of_traced_scalars():
    # f = (xy)^2 + x^2 + 4: df/dx = 2xy^2 + 2x, df/dy = 2x^2 y.
    f = lambda x, y: wnp.sum(wnp.array([x * y, x, 2.0]) ** 2)
    gx, gy = wg.grad(f, argnums=(0, 1))(1.5, -0.5)
    np.testing.assert_allclose(gx, 2 * 1.5 * 0.25 + 2 * 1.5)
    np.testing.assert_allclose(gy, 2 * 1.5**2 * -0.5)
    check_grads(f, (np.array(1.5), np.array(-0.5)), order=2)


def test_nested_asarray_of_traced_scalars():
    f = lambda x, y: wnp.asarray([[x, 1.0], [2.0, y]])
    out, tangent = primal_and_tangent(f, 3.0, 4.0)
    np.testing.assert_array_equal(out, [[3.0, 1.0], [2.0, 4.0]])
    np.testing.assert_array_equal(tangent, [[1.0, 0.0], [0.0, 1.0]])
    check_grads(f, (np.array(3.0), np.array(4.0)), order=2)

    # det of the matrix: xy - 2.
    def det(x, y):
        m = f(x, y)
        return m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]

    gx, gy = wg.grad(det, argnums=(0, 1))(3.0, 4.0)
    assert (float(gx), float(gy)) == (4.0, 3.0)


@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 3), (0,), (2, 0, 3)])
def test_array_of_traced_arrays_stacks(shape):
    rng = np.random.default_rng(SEED)
    x, y = rng.standard_normal(shape), rng.standard_normal(shape)
    const = rng.standard_normal(shape)
    f = lambda x, y: wnp.array([x, const, (x * y, y)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, _ = primal_and_tangent(lambda x, y: wnp.array([[x, const], [x * y, y]]), x, y)
    want = np.array([[x, const], [x * y, y]])
    assert out.shape == want.shape and out.dtype == want.dtype
    np.testing.assert_array_equal(out, want)
    check_grads(
        lambda x, y: wnp.array([[x, const], [x * y, y]]),
        (x, y),
        order=2 if np.prod(shape) <= 3 else 1,
    )
    with pytest.raises(ValueError, match="inhomogeneous"):
        inside(f, x, y)


def test_array_of_traced_dtypes_follow_numpy():
    # Python floats in a list count as float64 (as in np.array), so float32 is promoted.
    x32 = np.array(1.5, np.float32)
    out = inside(lambda x: wnp.array([x, 2.0]), x32)
    assert isinstance(out, Tracer)
    assert out.dtype == np.array([x32, 2.0]).dtype == np.float64
    out = inside(lambda x: wnp.array([x, x]), x32)
    assert out.dtype == np.float32
    out = inside(lambda x: wnp.array([x, 2.0], dtype=np.float32), x32)
    assert out.dtype == np.float32
    out = inside(lambda x: wnp.array([x, 2.0], ndmin=3), np.array(1.0))
    assert out.shape == (1, 1, 2)
    # The gradient with respect to a float32 input is float32.
    g = wg.grad(lambda x: wnp.sum(wnp.array([x, x * x])))(x32)
    assert g.dtype == np.float32 and float(g) == 4.0


def test_array_of_traced_from_nested_transforms():
    # d/dx d/dy of sum(array([x*y, y])) = 1.
    inner = lambda x: wg.grad(lambda y: wnp.sum(wnp.array([x * y, y])))(2.0)
    assert float(wg.grad(inner)(3.0)) == 1.0


def test_array_of_traced_with_python_conversion_error():
    # NumPy's own np.array cannot hold traced values; the error says so.
    with pytest.raises(WengertTypeError, match="np.asarray"):
        inside(lambda x: np.array([x, x]), np.array(1.0))


# --- full, full_like, meshgrid with traced values ---------------------------------------------------


@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 3), (0,), (2, 0, 3)])
def test_full_with_traced_fill(shape):
    fill = np.array(1.25)
    out = inside(lambda v: wnp.full(shape, v), fill)
    assert isinstance(out, Tracer) and out.shape == shape and out.dtype == np.float64
    vals, _ = primal_and_tangent(lambda v: wnp.full(shape, v), fill)
    np.testing.assert_array_equal(vals, np.full(shape, 1.25))
    check_grads(lambda v: wnp.full(shape, v), (fill,), order=2)
    check_grads(lambda v: wnp.full_like(np.zeros(shape), v * v), (fill,), order=2)
    # d/dv sum(full(shape, v)) = number of elements.
    assert float(wg.grad(lambda v: wnp.sum(wnp.full(shape, v)))(0.5)) == float(np.prod(shape))


def test_full_traced_fill_dtype():
    out = inside(lambda v: wnp.full((2,), v, dtype=np.float32), np.array(1.0))
    assert out.dtype == np.float32
    out = inside(lambda v: wnp.full_like(np.zeros(3, np.float32), v), np.array(1.0))
    assert out.dtype == np.float32 and out.shape == (3,)
    g = wg.grad(lambda v: wnp.sum(wnp.full((2, 2), v)))(np.float32(1.0))
    assert g.dtype == np.float32 and float(g) == 4.0


@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
def test_meshgrid_traced(indexing, sparse):
    rng = np.random.default_rng(SEED)
    xs = (rng.standard_normal(3), rng.standard_normal(4), rng.standard_normal(2))
    for k in (1, 2, 3):
        args = xs[:k]
        f = lambda *a: wnp.meshgrid(*a, indexing=indexing, sparse=sparse)
        out, _ = primal_and_tangent(f, *args)
        want = np.meshgrid(*args, indexing=indexing, sparse=sparse)
        assert len(out) == len(want)
        for o, w in zip(out, want):
            assert o.shape == w.shape and o.dtype == w.dtype
            np.testing.assert_array_equal(o, w)
        check_grads(f, args, order=1)
    # Mixed traced and plain vectors.
    out = inside(lambda x: wnp.meshgrid(x, np.arange(2.0), indexing=indexing), xs[0])
    assert isinstance(out[0], Tracer) and isinstance(out[1], np.ndarray)
    # d/dx sum(X) for X = meshgrid(x, y)[0] is len(y) for each x.
    g = wg.grad(lambda x: wnp.sum(wnp.meshgrid(x, xs[1], indexing=indexing)[0]))(xs[0])
    np.testing.assert_array_equal(g, np.full(3, 4.0))


# --- linspace, logspace, geomspace -------------------------------------------------------------------

# (name, wengert function, NumPy function, start/stop sampler)
SPACE_ROWS = [
    ("linspace", wnp.linspace, np.linspace, lambda rng, s: rng.standard_normal(s)),
    ("logspace", wnp.logspace, np.logspace, lambda rng, s: rng.uniform(-1, 1, s)),
    ("geomspace_pos", wnp.geomspace, np.geomspace, lambda rng, s: rng.uniform(0.5, 3, s)),
    ("geomspace_neg", wnp.geomspace, np.geomspace, lambda rng, s: -rng.uniform(0.5, 3, s)),
]
SPACE_SHAPES = [((), ()), ((1,), ()), ((3,), (3,)), ((2, 3), (3,)), ((0,), ()), ((2, 0, 3), ())]
SPACE_OPTIONS = [
    {"num": 5},
    {"num": 4, "endpoint": False},
    {"num": 1},
    {"num": 0},
    {"num": 3, "axis": -1},
    {"num": 2, "endpoint": False, "axis": 1},
]


def _valid_axis(opts, ndim):
    return -(ndim + 1) <= opts.get("axis", 0) <= ndim


@pytest.mark.parametrize("name, wfn, npfn, sampler", SPACE_ROWS, ids=[r[0] for r in SPACE_ROWS])
def test_spaces_traced_values_and_grads(name, wfn, npfn, sampler):
    rng = np.random.default_rng(SEED)
    for s1, s2 in SPACE_SHAPES:
        a, b = sampler(rng, s1), sampler(rng, s2)
        ndim = len(np.broadcast_shapes(s1, s2))
        for opts in SPACE_OPTIONS:
            if not _valid_axis(opts, ndim):
                continue
            f = lambda a, b, opts=opts: wfn(a, b, **opts)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                out, _ = primal_and_tangent(f, a, b)
            want = npfn(a, b, **opts)
            assert out.shape == want.shape and out.dtype == want.dtype, (s1, s2, opts)
            if name == "linspace":
                np.testing.assert_array_equal(out, want)
            else:
                np.testing.assert_allclose(out, want, rtol=1e-13)
            small = np.prod(out.shape) <= 6
            check_grads(f, (a, b), order=2 if small else 1)


def test_linspace_end_points_exact_derivatives():
    # sample i of linspace(a, b, n) is a + i (b - a) / (n - 1); the last is b exactly.
    n = 5
    ga, gb = _jac2(lambda a, b: wnp.linspace(a, b, n), 0.5, 2.0)
    t = np.arange(n) / (n - 1)
    np.testing.assert_allclose(ga, 1 - t, atol=1e-15)
    np.testing.assert_allclose(gb, t, atol=1e-15)
    g = wg.grad(lambda a: wnp.sum(wnp.linspace(a, 1.0, 5)))(0.0)
    assert float(g) == 2.5


def _jac2(f, a, b):
    ja = wg.jvp(lambda a: f(a, b), (np.asarray(a),), (np.asarray(1.0),))[1]
    jb = wg.jvp(lambda b: f(a, b), (np.asarray(b),), (np.asarray(1.0),))[1]
    return ja, jb


def test_linspace_retstep_and_dtype():
    out, step = inside(lambda a: wnp.linspace(a, 2.0, 5, retstep=True), np.array(0.0))
    assert isinstance(out, Tracer) and isinstance(step, Tracer)
    g = wg.grad(lambda a: wnp.linspace(a, 2.0, 5, retstep=True)[1])(0.0)
    assert float(g) == -0.25
    # num == 1 with an end point: the step is nan, as in NumPy.
    _, step = wnp.linspace(0.0, 1.0, 1, retstep=True)
    assert np.isnan(step)
    out = inside(lambda a: wnp.linspace(a, 2.0, 5, dtype=np.float32), np.array(0.0))
    assert out.dtype == np.float32
    # An integer dtype has no derivative: the result is a plain array equal to NumPy's.
    out = inside(lambda a: wnp.linspace(a, 10.0, 4, dtype=int), np.array(0.0))
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, np.linspace(0.0, 10.0, 4, dtype=int))


@pytest.mark.parametrize("name, wfn, npfn, sampler", SPACE_ROWS, ids=[r[0] for r in SPACE_ROWS])
def test_spaces_float32(name, wfn, npfn, sampler):
    rng = np.random.default_rng(SEED)
    a = sampler(rng, (2,)).astype(np.float32)
    b = sampler(rng, (2,)).astype(np.float32)
    out, tangent = primal_and_tangent(lambda a, b: wfn(a, b, 4), a, b)
    want = npfn(a, b, 4)
    # NumPy's geomspace computes in float64 even for float32 input; the others keep float32.
    assert out.dtype == want.dtype == (np.float64 if name.startswith("geom") else np.float32)
    assert tangent.dtype == out.dtype
    np.testing.assert_allclose(out, want, rtol=1e-6)
    g = wg.grad(lambda a: wnp.sum(wfn(a, b, 4)))(a)
    assert g.dtype == np.float32


def test_logspace_traced_base():
    # d/dbase sum(base ** [0, 1, 2]) = 0 + 1 + 2 base.
    g = wg.grad(lambda base: wnp.sum(wnp.logspace(0.0, 2.0, 3, base=base)))(3.0)
    assert float(g) == pytest.approx(7.0)
    out, _ = primal_and_tangent(lambda base: wnp.logspace(0.0, 2.0, 3, base=base), 3.0)
    np.testing.assert_allclose(out, np.logspace(0.0, 2.0, 3, base=3.0))


def test_geomspace_zero_end_point_raises():
    with pytest.raises(ValueError, match="zero"):
        inside(lambda a: wnp.geomspace(a, 0.0, 3), np.array(1.0))


def test_numpy_linspace_dispatches():
    # np.linspace on traced end points reaches wnp.linspace through __array_function__.
    out = inside(lambda a: np.linspace(a, 1.0, 3), np.array(0.0))
    assert isinstance(out, Tracer)
    g = wg.grad(lambda a: wnp.sum(np.linspace(a, 1.0, 3)))(0.0)
    assert float(g) == 1.5
