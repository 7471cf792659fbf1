"""Spec table for the batching rules: ``vmap(f)(xs) == stack([f(x) for x in xs])`` per primitive.

Each row binds one primitive (directly, with its normalised static parameters) on arguments
drawn per example. Every row is checked for every pattern of batched arguments: all batched;
each one alone batched while the others are unbatched constants; each one alone batched while
the others are traced by an outer ``jvp`` (so a traced unbatched operand meets a batched one).
One row per family also maps a non-leading axis. Rows of differentiable primitives are then
checked composed with derivatives: ``vmap(jvp(f))``, ``vmap(vjp(f))``, ``jvp(vmap(f))`` and
``grad(sum ∘ vmap(f))`` (the last also with unbatched arguments, whose cotangent sums over the
batch), each against a Python loop over the examples, in float64 to 1e-12 relative.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
import wengert.scipy.linalg  # registers the scipy_linalg primitives
import wengert.scipy.signal  # registers convolve
import wengert.scipy.special  # registers the scipy_special primitives
from wengert.primitives import REGISTRY

N = 3  # batch size
RTOL = 1e-12

# --- argument samplers: draw(rng, shape) ------------------------------------------------------


class Arg(NamedTuple):
    shape: tuple
    draw: Callable

    @property
    def is_float(self) -> bool:
        return self.draw not in (_ints, _bools, _counts)


def _normal(rng, shape):
    return rng.standard_normal(shape)


def _positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def _unit(rng, shape):
    return rng.uniform(-0.9, 0.9, shape)


def _above_one(rng, shape):
    return rng.uniform(1.2, 3.0, shape)


def _nonzero(rng, shape):
    return rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _ints(rng, shape):
    return rng.integers(-8, 8, shape)


def _bools(rng, shape):
    return rng.random(shape) > 0.5


def _counts(rng, shape):
    # Small positive integers: Bessel and polygamma orders, fixed shape parameters.
    return rng.integers(1, 4, shape)


def _prob(rng, shape):
    return rng.uniform(0.1, 0.9, shape)


def f(*shape):
    return Arg(shape, _normal)


def _complex(rng, shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def cx(*shape):
    return Arg(shape, _complex)


def _spd(rng, shape):
    a = rng.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def spd(*shape):
    return Arg(shape, _spd)


def _dominant(rng, shape):
    return rng.standard_normal(shape) + shape[-1] * np.eye(shape[-1])


def _near_identity(rng, shape):
    return 2 * np.eye(shape[-1]) + 0.3 * rng.standard_normal(shape)


def _small(rng, shape):
    return 0.7 * rng.standard_normal(shape)


def _band11(rng, shape):
    ab = rng.standard_normal(shape)
    ab[..., 1, :] += 6.0
    return ab


def pos(*shape):
    return Arg(shape, _positive)


def unit(*shape):
    return Arg(shape, _unit)


def above_one(*shape):
    return Arg(shape, _above_one)


def nonzero(*shape):
    return Arg(shape, _nonzero)


def ints(*shape):
    return Arg(shape, _ints)


def bools(*shape):
    return Arg(shape, _bools)


def counts(*shape):
    return Arg(shape, _counts)


def prob(*shape):
    return Arg(shape, _prob)


# --- the table -------------------------------------------------------------------------------


class Row(NamedTuple):
    prim: str
    label: str
    args: tuple  # per-example Args
    params: dict
    in_axis: int = 0  # the mapped axis of every batched argument

    @property
    def differentiable(self) -> bool:
        p = REGISTRY[self.prim]
        return p.differentiable and any(a.is_float for a in self.args)

    def fn(self, *xs):
        return REGISTRY[self.prim](*xs, **self.params)


def row(prim, *args, label="", in_axis=0, **params):
    return Row(prim, label, tuple(args), params, in_axis)


S23 = (2, 3)
UNARY = {
    "exp": f, "exp2": f, "expm1": f, "log": pos, "log2": pos, "log10": pos, "log1p": pos,
    "sqrt": pos, "cbrt": nonzero, "sin": f, "cos": f, "tan": unit, "arcsin": unit,
    "arccos": unit, "arctan": f, "sinh": f, "cosh": f, "tanh": f, "arcsinh": f,
    "arccosh": above_one, "arctanh": unit, "sinc": f, "abs": nonzero, "neg": f,
    "stop_gradient": f, "sign": f, "floor": f, "ceil": f, "rint": f, "trunc": f,
    "isfinite": f, "isnan": f, "isinf": f, "signbit": f, "logical_not": bools, "invert": ints,
}
BINARY = {
    "add": (f, f), "sub": (f, f), "mul": (f, f), "safe_mul": (f, f), "div": (f, nonzero),
    "pow": (pos, f), "float_power": (pos, f), "logaddexp": (f, f), "logaddexp2": (f, f),
    "arctan2": (nonzero, nonzero), "hypot": (nonzero, f), "maximum": (f, f),
    "minimum": (f, f), "fmod": (f, nonzero), "remainder": (f, nonzero), "equal": (ints, ints),
    "not_equal": (ints, ints), "less": (f, f), "less_equal": (f, f), "greater": (f, f),
    "greater_equal": (f, f), "logical_and": (bools, bools), "logical_or": (bools, bools),
    "logical_xor": (bools, bools), "floor_divide": (f, nonzero), "heaviside": (f, f),
    "bitwise_and": (ints, ints), "bitwise_or": (ints, ints), "bitwise_xor": (ints, ints),
}

ELEMENTWISE = [
    *(row(name, draw(*S23)) for name, draw in UNARY.items()),
    *(row(name, a(*S23), b(*S23)) for name, (a, b) in BINARY.items()),
    row("exp", f(), label="scalar-examples"),
    row("mul", f(), f(), label="scalar-examples"),
    row("mul", f(2, 3), f(2, 3), label="axis-1", in_axis=1),
    row("integer_pow", f(*S23), n=3),
    row("checkpoint_name", f(*S23), name="h"),
    row("integer_pow", nonzero(*S23), n=-2, label="negative"),
    row("round", f(*S23), decimals=1),
    row("clip", f(*S23), f(*S23), f(*S23)),
    row("select", bools(*S23), f(*S23), f(*S23)),
    row("select", bools(3), f(*S23), f(*S23), label="lower-rank-condition"),
    row("astype", f(*S23), dtype=np.dtype(np.float32)),
    row("astype", ints(*S23), dtype=np.dtype(np.float64), label="int-to-float"),
    row("real", cx(*S23)),
    row("imag", cx(*S23)),
    row("conj", cx(*S23)),
    row("abs", cx(*S23), label="complex"),
    row("mul", cx(*S23), cx(*S23), label="complex"),
    row("fft", cx(2, 5), axis=1, norm="backward"),
    row("ifft", cx(4, 3), axis=0, norm="ortho"),
]

# Index tuples as wnp hands them to getitem: masks already replaced by their nonzero() arrays.
_MASK = np.array([[True, False, True, True], [False, False, True, False], [True] * 4])
GETITEM_INDICES = {
    "slices": (slice(1, None), slice(None, None, -2)),
    "int": (1,),
    "negative-ints": (-1, 2),
    "int-array-repeats": (np.array([0, 2, 2, -1]),),
    "2d-int-array": (np.array([[0, 1], [2, 0]]), slice(None)),
    "mask": np.nonzero(_MASK),
    "mask-then-slice": (*np.nonzero(_MASK[:, 0]), slice(1, 3)),
    "separated-int-array": (0, slice(None), np.array([1, 2])),  # x[0, :, [1, 2]]
    "separated-arrays": (np.array([0, 2]), slice(None), np.array([1, 3])),
    "adjacent-arrays-after-slice": (slice(None), np.array([0, 3]), np.array([2, 4])),
    "ellipsis-int": (Ellipsis, 1),
    "arrays-around-ellipsis": (np.array([0, 1]), Ellipsis, np.array([1, 2])),
    "none": (None, slice(None), None, 0),
    "separated-by-none": (np.array([1, 0]), None, np.array([2, 3])),
    "separated-bool-scalar": (0, slice(None), True),
    "separated-0d-bool-array": (0, slice(None), np.array(False)),
    "empty": (),
}
SHAPE = [
    row("broadcast_to", f(3), shape=(2, 3)),
    row("broadcast_to", f(2, 1), shape=(3, 2, 4), label="new-and-widened"),
    row("broadcast_to", f(), shape=(2,), label="scalar"),
    row("sum_to_shape", f(2, 4, 3), shape=(1, 3)),
    row("sum_to_shape", f(3), shape=(), label="to-scalar"),
    row("reshape", f(2, 3), shape=(3, 1, 2)),
    row("reshape", f(), shape=(1, 1), label="scalar"),
    row("transpose", f(2, 3, 4), axes=(2, 0, 1)),
    row("transpose", f(2, 3, 4), axes=(2, 0, 1), label="axis-2", in_axis=2),
    *(row("getitem", f(3, 4, 5), idx=idx, label=label) for label, idx in GETITEM_INDICES.items()),
    *(
        row("index_add", f(*np.zeros((3, 4, 5))[idx].shape), idx=idx, shape=(3, 4, 5),
            label=label)
        for label, idx in GETITEM_INDICES.items()
    ),
    row("concatenate", f(2, 3), f(1, 3), axis=0),
    row("concatenate", f(2, 3), f(2, 1), f(2, 2), axis=1, label="three"),
    row("pad", f(2, 3), pad_width=((1, 0), (2, 1))),
    # Index arrays from counts (1..3) are valid on an axis of length 4, repeats included.
    row("take_along_axis", f(2, 4), counts(2, 5), axis=1),
    row("take_along_axis", f(4, 3), counts(2, 3), axis=0, label="axis-0"),
    row("put_along_axis_add", f(2, 5), counts(2, 5), axis=1, shape=(2, 4)),
    row("put_along_axis_add", f(2, 3), counts(2, 3), axis=0, shape=(4, 3), label="axis-0"),
]
REDUCE = [
    row("sum", f(2, 3, 4), axis=(0, 2), keepdims=False),
    row("sum", f(2, 3, 4), axis=(1,), keepdims=True, label="keepdims"),
    row("sum", f(2, 3), axis=(0, 1), keepdims=False, label="axis-1", in_axis=1),
    row("max", f(2, 3), axis=(1,), keepdims=False),
    row("max", f(2, 3), axis=(0, 1), keepdims=True, label="all-keepdims"),
    row("min", f(2, 3), axis=(0,), keepdims=False),
    row("prod", pos(2, 3), axis=(1,), keepdims=False),
    row("cumsum", f(2, 3), axis=1),
    row("cumsum", f(4), axis=0, label="vector"),
    row("cumprod", pos(2, 3), axis=0),
    row("sort", f(2, 4), axis=1),
    row("sort", f(5), axis=0, label="vector"),
    row("argsort", f(2, 4), axis=1, kind="stable", stable=None),
    row("argsort", f(5), axis=0, kind=None, stable=True, label="vector"),
]
MATMUL_SHAPES = [
    ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((2, 2, 3), (3, 4)),
    ((2, 3), (2, 3, 4)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)), ((2, 1, 2, 3), (3, 3, 4)),
]
EINSUMS = {
    "ij,jk->ik": ((2, 3), (3, 4)),
    "ii->": ((3, 3),),
    "ii->i": ((3, 3),),
    "iij->j": ((3, 3, 2),),
    "iji,jk->k": ((2, 3, 2), (3, 4)),
    "i,i->": ((3,), (3,)),
    "i,j->ij": ((2,), (3,)),
    "bij,bjk->bik": ((2, 2, 3), (2, 3, 4)),
    "ij,jk,kl->il": ((2, 3), (3, 2), (2, 2)),
    "->": ((),),
}
LINALG = [
    *(row("matmul", f(*a), f(*b), label=f"{a}@{b}") for a, b in MATMUL_SHAPES),
    row("matmul", f(2, 3), f(3, 4), label="axis-1", in_axis=1),
    *(row("einsum", *(f(*s) for s in shapes), subscripts=sub, label=sub)
      for sub, shapes in EINSUMS.items()),
    row("einsum", f(2, 3), f(3, 4), subscripts="ij,jk->ik", label="axis-1", in_axis=1),
]
SCIPY_SPECIAL = [
    *(row(name, draw(*S23)) for name, draw in {
        "erf": f, "erfc": f, "erfinv": unit, "erfcinv": pos, "ndtr": f, "log_ndtr": f,
        "expit": f, "logit": prob, "gamma": pos, "gammaln": pos, "rgamma": pos, "digamma": pos,
        "gammasgn": f, "i0": f, "i1": f, "j0": f, "j1": f, "y0": pos, "y1": pos,
    }.items()),
    *(row(name, a(*S23), b(*S23)) for name, (a, b) in {
        "polygamma": (counts, pos), "beta": (pos, pos), "betaln": (pos, pos),
        "gammainc": (counts, pos), "gammaincc": (counts, pos), "stdtr": (counts, f),
        "xlogy": (f, pos), "xlog1py": (f, pos), "iv": (counts, pos), "ive": (counts, f),
        "jv": (counts, f), "yn": (counts, pos),
    }.items()),
    row("betainc", counts(*S23), counts(*S23), prob(*S23)),
    row("betaincc", counts(*S23), counts(*S23), prob(*S23)),
    row("gammainc_da", counts(*S23), pos(*S23), k=2),
    row("betainc_dab", counts(*S23), counts(*S23), prob(*S23), j=1, k=2),
    row("logsumexp", f(2, 3), axis=(1,), keepdims=False),
    row("logsumexp", f(2, 3), pos(2, 3), axis=(0, 1), keepdims=True, label="weighted"),
]
DECOMPOSITIONS = [
    row("solve", f(3, 3), f(3, 2)),
    row("inv", f(3, 3)),
    row("det", f(3, 3)),
    row("slogdet", f(3, 3)),
    row("cholesky", spd(3, 3), upper=False),
    row("eigh", f(3, 3), uplo="L"),
    row("eig", f(3, 3)),
    # Not svd(full_matrices=True) of a non-square matrix, nor qr "complete" with m > n: the
    # extra columns' derivative is a choice (least rotation), not what differences measure.
    row("svd", f(4, 2), full_matrices=False),
    row("qr", f(2, 4), mode="complete"),
    row("pinv", f(4, 2), rtol=1e-15),
]
SCIPY_LINALG = [
    row("solve_triangular", Arg((3, 3), _dominant), f(3, 2), lower=True, trans=0,
        unit_diagonal=False),
    row("solve_triangular", Arg((3, 3), _dominant), f(3, 2), lower=False, trans=1,
        unit_diagonal=True, label="upper-T-unit"),
    row("cho_factor", spd(3, 3)),
    row("expm", Arg((3, 3), _small)),
    row("sqrtm", Arg((3, 3), _near_identity)),
    row("solve_sylvester", Arg((3, 3), _dominant), Arg((2, 2), _dominant), f(3, 2)),
    row("solve_banded", Arg((3, 4), _band11), f(4, 2), lower=1, upper=1),
    row("convolve", f(5), f(3), method="direct"),
    row("convolve", f(2, 3), f(3, 2), method="fft", label="2-D-fft"),
]
SPEC = ELEMENTWISE + SHAPE + REDUCE + LINALG + SCIPY_SPECIAL + DECOMPOSITIONS + SCIPY_LINALG


def _row_id(r: Row) -> str:
    return f"{r.prim}[{r.label}]" if r.label else r.prim


ROWS = [pytest.param(r, id=_row_id(r)) for r in SPEC]
DIFF_ROWS = [pytest.param(r, id=_row_id(r)) for r in SPEC if r.differentiable]


def test_every_primitive_has_a_batching_row():
    missing = sorted(set(REGISTRY) - {r.prim for r in SPEC})
    assert missing == [], f"primitives without a batching spec row: {missing}"


# --- helpers ---------------------------------------------------------------------------------


def _examples(r: Row, seed=0):
    """One argument per Arg for each of the N examples, and one unbatched copy each."""
    rng = np.random.default_rng(seed)
    batched = [np.asarray(a.draw(rng, (N, *a.shape))) for a in r.args]
    single = [np.asarray(a.draw(rng, a.shape)) for a in r.args]
    return batched, single


def _mapped(x, axis):
    """The batch (axis 0 first) laid out with its batch axis at ``axis``."""
    return np.moveaxis(x, 0, axis)


def _assert_close(actual, expected):
    actual = wg.tree.leaves(actual)
    expected = wg.tree.leaves(expected)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape, (a.shape, e.shape)
        assert a.dtype == e.dtype, (a.dtype, e.dtype)
        if e.dtype.kind in "fc":
            scale = max(1.0, float(np.max(np.abs(e), initial=0.0)))
            err = float(np.max(np.abs(a - e), initial=0.0))
            assert err <= RTOL * scale, f"max error {err:.3g} at scale {scale:.3g}"
        else:
            np.testing.assert_array_equal(a, e)


def _stack(outs):
    return wg.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *outs)


def _loop(fn, args, batched):
    """``stack([fn(*example_i) for i])``: the reference for a vmap over ``batched`` args."""
    return _stack([fn(*[a[i] if b else a for a, b in zip(args, batched)]) for i in range(N)])


def _patterns(r: Row):
    """All arguments batched, then each argument alone batched (for rows of several)."""
    k = len(r.args)
    pats = [(True,) * k]
    if k > 1:
        pats += [tuple(j == i for j in range(k)) for i in range(k)]
    return pats


def _choose(batched, single, pattern):
    return [b if p else s for b, s, p in zip(batched, single, pattern)]


# --- value tests -----------------------------------------------------------------------------


@pytest.mark.parametrize("r", ROWS)
def test_vmap_equals_loop_for_every_batching_pattern(r):
    batched, single = _examples(r)
    for pattern in _patterns(r):
        args = _choose(batched, single, pattern)
        axes = tuple(r.in_axis if p else None for p in pattern)
        mapped = [_mapped(a, r.in_axis) if p else a for a, p in zip(args, pattern)]
        out = wg.vmap(r.fn, in_axes=axes)(*mapped)
        _assert_close(out, _loop(r.fn, args, pattern))


def _with(args, positions, vals):
    """``args`` with the entries at ``positions`` replaced by ``vals``."""
    full = list(args)
    for i, v in zip(positions, vals):
        full[i] = v
    return full


def _example(args, pattern, k):
    """Example ``k`` of the arguments: the batched ones indexed, the others as they are."""
    return [a[k] if p else a for a, p in zip(args, pattern)]


def _check_under_outer_jvp(r: Row, args, pattern, others, dots):
    axes = tuple(0 if p else None for p in pattern)
    primals = tuple(args[j] for j in others)
    out, out_dot = wg.jvp(
        lambda *vals: wg.vmap(r.fn, in_axes=axes)(*_with(args, others, vals)), primals, dots)
    loop = [wg.jvp(lambda *vals, k=k: r.fn(*_with(_example(args, pattern, k), others, vals)),
                   primals, dots) for k in range(N)]
    _assert_close(out, _stack([p for p, _ in loop]))
    if r.differentiable:
        _assert_close(out_dot, _stack([t for _, t in loop]))


@pytest.mark.parametrize("r", [p for p in ROWS if len(p.values[0].args) > 1])
def test_vmap_with_unbatched_operands_traced_by_an_outer_jvp(r):
    batched, single = _examples(r)
    rng = np.random.default_rng(7)
    for i in range(len(r.args)):
        others = [j for j in range(len(r.args)) if j != i and r.args[j].is_float]
        if not others:
            continue
        pattern = tuple(j == i for j in range(len(r.args)))
        args = _choose(batched, single, pattern)
        dots = tuple(rng.standard_normal(args[j].shape).astype(args[j].dtype) for j in others)
        _check_under_outer_jvp(r, args, pattern, others, dots)


# --- derivatives composed with vmap ------------------------------------------------------------


def _float_positions(r: Row):
    return [i for i, a in enumerate(r.args) if a.is_float]


def _partial(r: Row, args, positions):
    """``r.fn`` as a function of the float arguments at ``positions`` only."""

    def g(*vals):
        full = list(args)
        for i, v in zip(positions, vals):
            full[i] = v
        return r.fn(*full)

    return g


@pytest.mark.parametrize("r", DIFF_ROWS)
def test_vmap_of_jvp_and_vjp_equals_loop(r):
    batched, _ = _examples(r)
    fl = _float_positions(r)
    rng = np.random.default_rng(3)
    dots = [rng.standard_normal(batched[i].shape).astype(batched[i].dtype) for i in fl]
    out = r.fn(*[b[0] for b in batched])
    cts = rng.standard_normal((N, *np.shape(out))).astype(np.result_type(out))

    def jvp_at(*xs_and_dots):
        xs, ds = xs_and_dots[: len(batched)], xs_and_dots[len(batched):]
        return wg.jvp(_partial(r, xs, fl), tuple(xs[i] for i in fl), tuple(ds))

    _assert_close(wg.vmap(jvp_at)(*batched, *dots), _loop(jvp_at, [*batched, *dots],
                                                           [True] * (len(batched) + len(fl))))

    def vjp_at(*xs_and_ct):
        xs, ct = xs_and_ct[:-1], xs_and_ct[-1]
        return wg.vjp(_partial(r, xs, fl), *(xs[i] for i in fl))[1](ct)

    _assert_close(wg.vmap(vjp_at)(*batched, cts),
                  _loop(vjp_at, [*batched, cts], [True] * (len(batched) + 1)))


def _check_jvp_and_grad_of_vmap(r: Row, args, pattern, rng):
    fl = _float_positions(r)
    axes = tuple(0 if p else None for p in pattern)

    def vmapped(*vals):
        return wg.vmap(r.fn, in_axes=axes)(*_with(args, fl, vals))

    def example(k, *vals):
        ex = [v[k] if pattern[i] else v for i, v in zip(fl, vals)]
        return r.fn(*_with(_example(args, pattern, k), fl, ex))

    primals = tuple(args[i] for i in fl)
    dots = tuple(rng.standard_normal(p.shape).astype(p.dtype) for p in primals)
    out, out_dot = wg.jvp(vmapped, primals, dots)
    loop = [wg.jvp(lambda *v, k=k: example(k, *v), primals, dots) for k in range(N)]
    _assert_close(out, _stack([p for p, _ in loop]))
    _assert_close(out_dot, _stack([t for _, t in loop]))
    # A random cotangent: grad of sum(w * vmap(f)); an unbatched argument's is summed.
    w = rng.standard_normal(np.shape(out))
    nums = tuple(range(len(fl)))
    got = wg.grad(lambda *v: wnp.sum(wnp.real(vmapped(*v) * w)), argnums=nums)(*primals)
    per = [wg.grad(lambda *v, k=k: wnp.sum(wnp.real(example(k, *v) * w[k])), argnums=nums)(
        *primals)
           for k in range(N)]
    _assert_close(got, tuple(sum(p[j] for p in per) for j in range(len(fl))))


@pytest.mark.parametrize("r", DIFF_ROWS)
def test_jvp_and_grad_of_vmap_equal_loop(r):
    batched, single = _examples(r)
    rng = np.random.default_rng(4)
    for pattern in _patterns(r)[:2]:  # all batched, then the first alone
        _check_jvp_and_grad_of_vmap(r, _choose(batched, single, pattern), pattern, rng)
