"""Spec table for the primitives of ``wengert/primitives/scipy_linalg.py``.

SciPy's structured solves and matrix functions, and ``scipy.signal.convolve``.

Each row is (name, function of the arrays, shape cases, per-argument samplers, order,
tolerance, primitive). Every case is checked to its order in forward and reverse mode against
central differences, by the exact ⟨u, J v⟩ = ⟨Jᵀu, v⟩ cross-check, for value, shape and dtype
against SciPy, for recording its primitive, for its shape rule, and under ``vmap`` (batched
and unbatched operands) against a loop. Importing ``wengert.scipy.linalg`` registers the
primitives (``wengert.scipy.signal`` imports the same module), so the registry test sees them
covered here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest
import scipy.linalg as sl
import scipy.signal as ss

import wengert as wg
import wengert.numpy as wnp
import wengert.scipy.linalg as wsl
import wengert.scipy.signal as wss
from wengert.primitives.registry import ShapeDtype
from wengert.testing import check_grads, check_jvp_vjp_consistency, check_values

COVERED_PRIMITIVES = {
    "solve_triangular", "cho_factor", "expm", "sqrtm", "solve_sylvester", "solve_banded",
    "convolve",
}


# --- samplers: draw(rng, shape); matrices are well conditioned --------------------------------


def normal(rng, shape):
    return rng.standard_normal(shape)


def dominant(rng, shape):
    """A matrix whose triangles are both well conditioned: noise plus n on the diagonal."""
    return rng.standard_normal(shape) + shape[-1] * np.eye(shape[-1])


def spd(rng, shape):
    m = rng.standard_normal(shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


def small(rng, shape):
    """A non-normal matrix of moderate norm (expm's scaling-and-squaring stays cheap)."""
    return 0.7 * rng.standard_normal(shape)


def near_identity(rng, shape):
    """Eigenvalues near 2, far from the negative real axis: a real principal square root."""
    return 2 * np.eye(shape[-1]) + 0.3 * rng.standard_normal(shape)


def banded(lower, upper):
    def draw(rng, shape):
        ab = rng.standard_normal(shape)
        ab[..., upper, :] += 2 * (lower + upper + 1)  # diagonally dominant
        return ab

    return draw


class Row(NamedTuple):
    name: str
    fn: Callable
    reference: Callable
    shapes: tuple  # each case: a tuple of operand shapes
    samplers: tuple  # one per operand
    order: int
    rtol: float
    prim: str


def _tri(trans, lower, unit):
    def fn(a, b):
        return wsl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)

    def ref(a, b):
        return sl.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit)

    return fn, ref


def _cho(lower):
    return (lambda a: wsl.cho_factor(a, lower=lower)[0],
            lambda a: np.tril(sl.cho_factor(a, lower=True)[0]) if lower
            else np.triu(sl.cho_factor(a, lower=False)[0]))


def _band(lower, upper):
    return (lambda ab, b: wsl.solve_banded((lower, upper), ab, b),
            lambda ab, b: sl.solve_banded((lower, upper), ab, b))


TRI_SHAPES = (((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3, 2)), ((3, 3), (2, 3, 1)),
              ((1, 1), (1,)))
SPEC = [
    *(Row(f"solve_triangular[trans={t},lower={lo},unit={u}]", *_tri(t, lo, u),
          TRI_SHAPES if (t, lo, u) == (0, True, False) else TRI_SHAPES[1:2],
          (dominant, normal), 2, 1e-5, "solve_triangular")
      for t in (0, 1, "C") for lo in (True, False) for u in (False, True)),
    *(Row(f"cho_factor[lower={lo}]", *_cho(lo), (((3, 3),), ((2, 3, 3),), ((1, 1),)),
          (spd,), 2, 1e-5, "cho_factor") for lo in (True, False)),
    Row("cho_solve", lambda c, b: wsl.cho_solve((c, True), b),
        lambda c, b: sl.cho_solve((c, True), b), (((3, 3), (3,)), ((3, 3), (3, 2))),
        (dominant, normal), 2, 1e-5, "solve_triangular"),
    Row("cho_solve∘cho_factor", lambda a, b: wsl.cho_solve(wsl.cho_factor(a), b),
        lambda a, b: sl.cho_solve(sl.cho_factor(a), b), (((3, 3), (3,)),),
        (spd, normal), 2, 1e-5, "cho_factor"),
    Row("expm", wsl.expm, sl.expm, (((3, 3),), ((2, 2, 2),), ((1, 1),)), (small,), 2, 1e-5,
        "expm"),
    Row("sqrtm", wsl.sqrtm, sl.sqrtm, (((3, 3),), ((2, 2, 2),), ((1, 1),)), (near_identity,),
        2, 1e-5, "sqrtm"),
    Row("solve_sylvester", wsl.solve_sylvester, sl.solve_sylvester,
        (((3, 3), (2, 2), (3, 2)), ((2, 2, 2), (2, 2), (2, 2)), ((1, 1), (1, 1), (1, 1))),
        (dominant, dominant, normal), 2, 1e-5, "solve_sylvester"),
    *(Row(f"solve_banded[{lo},{up}]", *_band(lo, up),
          (((lo + up + 1, 4), (4,)), ((lo + up + 1, 4), (4, 2)), ((2, lo + up + 1, 3), (3,))),
          (banded(lo, up), normal), 2, 1e-5, "solve_banded")
      for lo, up in ((1, 1), (2, 0), (0, 1))),
    *(Row(f"convolve[{mode},{method}]",
          lambda x, y, mode=mode, method=method: wss.convolve(x, y, mode, method),
          lambda x, y, mode=mode, method=method: ss.convolve(x, y, mode, method),
          (((5,), (3,)), ((2, 3), (3, 2)), ((4, 3), (2, 3))) if mode != "valid"
          else (((5,), (3,)), ((2, 3), (4, 5))),
          (normal, normal), 2, 1e-5, "convolve")
      for mode in ("full", "valid", "same") for method in ("direct", "fft")),
]

CASES = [
    pytest.param(row, shapes, id=f"{row.name}-{'x'.join(map(str, shapes))}")
    for row in SPEC
    for shapes in row.shapes
]


def _args(row, shapes, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return tuple(np.asarray(s(rng, shape), dtype) for s, shape in zip(row.samplers, shapes))


def _scipy_reference(row, args):
    """SciPy's answer; banded solves are not batched over ab by SciPy 1.11, so loop there."""
    if row.prim == "solve_banded" and args[0].ndim == 3:
        return np.stack([row.reference(ab, args[1]) for ab in args[0]])
    return row.reference(*args)


@pytest.mark.parametrize("row, shapes", CASES)
def test_grads(row, shapes):
    args = _args(row, shapes)
    check_grads(row.fn, args, order=row.order, modes=("fwd", "rev"), rtol=row.rtol)
    check_jvp_vjp_consistency(row.fn, args, rng=np.random.default_rng(1))


@pytest.mark.parametrize("row, shapes", CASES)
def test_value_shape_dtype_match_scipy(row, shapes):
    args = _args(row, shapes)
    check_values(row.fn, args, _scipy_reference(row, args), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("row", SPEC, ids=[r.name for r in SPEC])
def test_float32_in_float32_out(row):
    args = _args(row, row.shapes[0], dtype=np.float32)
    out, tangent = wg.jvp(row.fn, args, args)
    assert out.dtype == np.float32 and tangent.dtype == np.float32
    out, f_vjp = wg.vjp(row.fn, *args)
    assert all(ct.dtype == np.float32 for ct in f_vjp(np.ones_like(out)))
    np.testing.assert_allclose(out, _scipy_reference(row, args), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("row", SPEC, ids=[r.name for r in SPEC])
def test_records_its_primitive_and_shape_rule_agrees(row):
    args = _args(row, row.shapes[0])
    trace = wg.trace(row.fn)(*args)
    eqn = next(e for e in trace.eqns if e.prim.name == row.prim)
    avals = [ShapeDtype(tuple(x.shape), x.dtype) for x in eqn.inputs]
    vals = [trace.values[x.id] if hasattr(x, "id") else x.value for x in eqn.inputs]
    out = eqn.prim.impl(*vals, **eqn.params)
    assert eqn.prim.shape(*avals, **eqn.params) == (out.shape, out.dtype)


BATCH_ROWS = [r for r in SPEC if "trans=0,lower=True,unit=False" in r.name or
              r.prim != "solve_triangular" or r.name == "cho_solve"]


@pytest.mark.parametrize("row", BATCH_ROWS, ids=[r.name for r in BATCH_ROWS])
def test_vmap_equals_loop(row):
    # Every pattern: all operands batched, then each one alone batched.
    shapes = row.shapes[0]
    n = len(shapes)
    rng = np.random.default_rng(2)
    batched_args = [np.stack([s(rng, sh) for _ in range(3)]) for s, sh in zip(row.samplers, shapes)]
    plain = _args(row, shapes)
    patterns = [(True,) * n] + [tuple(j == i for j in range(n)) for i in range(n)] if n > 1 \
        else [(True,)]
    for pattern in patterns:
        args = [b if p else a for a, b, p in zip(plain, batched_args, pattern)]
        in_axes = tuple(0 if p else None for p in pattern)
        got = wg.vmap(row.fn, in_axes=in_axes)(*args)
        expected = np.stack([
            row.fn(*[x[k] if p else x for x, p in zip(args, pattern)]) for k in range(3)
        ])
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
        # grad of the sum over the batch: unbatched operands' cotangents sum over examples.
        g = wg.grad(lambda *xs, ax=in_axes: wnp.sum(wg.vmap(row.fn, in_axes=ax)(*xs)),
                    argnums=tuple(range(n)))(*args)
        g_loop = wg.grad(lambda *xs, pat=pattern: sum(
            wnp.sum(row.fn(*[x[k] if p else x for x, p in zip(xs, pat)]))
            for k in range(3)), argnums=tuple(range(n)))(*args)
        for a, b in zip(g, g_loop):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_third_order_expm_and_sylvester():
    rng = np.random.default_rng(5)
    a = small(rng, (2, 2))
    check_grads(lambda a: wsl.expm(a)[0, 1], (a,), order=3)
    b, q = dominant(rng, (2, 2)), normal(rng, (2, 2))
    check_grads(lambda a, q: wsl.solve_sylvester(a, b, q), (dominant(rng, (2, 2)), q), order=3)


def test_complex_solve_triangular_conjugate_transpose():
    # trans='C' conjugates: the JVP is R-linear, checked against finite differences.
    rng = np.random.default_rng(6)
    a = dominant(rng, (3, 3)) + 1j * rng.standard_normal((3, 3))
    b = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    for trans in (0, 1, 2):
        f = lambda a, b, trans=trans: wsl.solve_triangular(a, b, trans=trans, lower=True)
        np.testing.assert_allclose(f(a, b), sl.solve_triangular(a, b, trans=trans, lower=True))
        out, _ = wg.jvp(f, (a, b), (a, b))
        np.testing.assert_allclose(out, sl.solve_triangular(a, b, trans=trans, lower=True))
        check_grads(f, (a, b), order=1, modes=("fwd",))


def test_complex_cho_factor_reads_the_hermitian_lower_triangle():
    # Only the lower triangle and the real part of the diagonal are read: junk elsewhere leaves
    # the value unchanged, and the rules (exactly transposed, second order) see only that part.
    rng = np.random.default_rng(7)
    b = rng.standard_normal((2, 3, 3)) + 1j * rng.standard_normal((2, 3, 3))
    hpd = b @ np.conj(np.swapaxes(b, -1, -2)) + 3 * np.eye(3)
    junk = np.triu(rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3)), 1)
    a = hpd + junk + 0.3j * np.eye(3)
    f = lambda a: wsl.cho_factor(a, lower=True)[0]
    out, _ = wg.jvp(f, (a,), (a,))
    np.testing.assert_allclose(out, np.linalg.cholesky(hpd), rtol=1e-12)
    np.testing.assert_allclose(out, np.tril(sl.cho_factor(a, lower=True)[0]), rtol=1e-12)
    check_jvp_vjp_consistency(f, (a,))
    check_jvp_vjp_consistency(lambda a: wsl.cho_factor(a, lower=False)[0],
                              (np.conj(np.swapaxes(a, -1, -2)),))
    check_grads(f, (a,), order=2, modes=("fwd", "rev"))
