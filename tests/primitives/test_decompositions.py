"""Spec table for the matrix-function and decomposition primitives (primitives/decompositions.py).

Each row is (name, function, shape cases, sampler, order, rtol, primitive, reason for a lower
order). Every case is checked with ``check_grads`` in forward and reverse mode and by the exact
⟨u, J v⟩ = ⟨Jᵀu, v⟩ cross-check; batched shapes (leading stack axes) are cases like any other.
Functions of eigen- and singular vectors are checked where the vectors are locally smooth
(simple spectra; real signs are locally constant), or through basis-independent quantities.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.primitives.registry import ShapeDtype
from wengert.testing import check_grads, check_jvp_vjp_consistency

COVERED_PRIMITIVES = {
    "solve",
    "inv",
    "det",
    "slogdet",
    "cholesky",
    "eigh",
    "eig",
    "svd",
    "qr",
    "pinv",
}

la = wnp.linalg


def normal(rng, shape):
    return rng.standard_normal(shape)


def well_conditioned(rng, shape):
    """A square matrix (stack) with its spectrum kept away from zero: normal + 3·I."""
    return rng.standard_normal(shape) + 3 * np.eye(shape[-1])


def spd(rng, shape):
    a = rng.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def rotating(rng, shape):
    """normal + a skew-symmetric part: real matrices, often with complex-conjugate eigenvalues
    (seed 0: a pair in each matrix of (2, 3, 3), two pairs at (4, 4); (3, 3) is real)."""
    b = rng.standard_normal(shape)
    return rng.standard_normal(shape) + (b - np.swapaxes(b, -1, -2))


class Row(NamedTuple):
    name: str
    fn: Callable
    shapes: tuple  # each case: a tuple of operand shapes
    sampler: Callable
    order: int
    rtol: float
    prim: str
    reason: str = ""  # why order < 2


def _projectors_svd(a):
    """Basis-independent pieces of the full SVD: complement projectors, U S, s."""
    u, s, vh = la.svd(a)
    k = min(a.shape[-2:])
    up, vp = u[..., :, k:], vh[..., k:, :]
    return (
        up @ wnp.swapaxes(up, -1, -2),
        wnp.swapaxes(vp, -1, -2) @ vp,
        u[..., :, :k] * s[..., None, :],
        vh[..., :k, :],
    )


def _projectors_qr(a):
    q, r = la.qr(a, mode="complete")
    k = min(a.shape[-2:])
    qp = q[..., :, k:]
    return qp @ wnp.swapaxes(qp, -1, -2), q[..., :, :k], r


def _eig_invariants(a):
    """Phase-independent pieces of ``eig``: w, |V|² and the projectors vᵢvᵢᴴ (unit vᵢ)."""
    w, v = la.eig(a)
    abs2 = wnp.real(v * wnp.conj(v))
    projectors = wnp.expand_dims(v, -2) * wnp.conj(wnp.expand_dims(v, -3))
    return w, abs2, projectors


SQUARE = (((3, 3),), ((2, 3, 3),), ((1, 1),))
RECT = (((4, 2),), ((2, 4),), ((3, 3),), ((2, 3, 2),))

SPEC = [
    Row("solve[vector]", la.solve, (((3, 3), (3,)),), well_conditioned, 2, 1e-5, "solve"),
    Row(
        "solve[matrix]",
        la.solve,
        (((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1))),
        well_conditioned,
        2,
        1e-5,
        "solve",
    ),
    Row(
        "solve[broadcast]", la.solve, (((2, 3, 3), (1, 3, 2)),), well_conditioned, 2, 1e-5, "solve"
    ),
    Row("inv", la.inv, SQUARE, well_conditioned, 2, 1e-5, "inv"),
    Row("det", la.det, SQUARE, well_conditioned, 2, 1e-5, "det"),
    Row("slogdet", lambda a: la.slogdet(a)[1], SQUARE, well_conditioned, 2, 1e-5, "slogdet"),
    Row(
        "slogdet[sign]",
        lambda a: la.slogdet(a)[0] * 1.0,
        (((3, 3),),),
        well_conditioned,
        2,
        1e-5,
        "slogdet",
    ),
    Row("cholesky", la.cholesky, SQUARE, spd, 2, 1e-5, "cholesky"),
    Row("cholesky[upper]", lambda a: la.cholesky(a, upper=True), SQUARE, spd, 2, 1e-5, "cholesky"),
    Row("eigh", lambda a: tuple(la.eigh(a)), SQUARE, normal, 2, 1e-5, "eigh"),
    Row("eigh[U]", lambda a: tuple(la.eigh(a, UPLO="U")), (((3, 3),),), normal, 2, 1e-5, "eigh"),
    Row("eigvalsh", la.eigvalsh, SQUARE, normal, 2, 1e-5, "eigh"),
    # Seed 0: ``normal`` gives real spectra, ``rotating`` mostly complex-conjugate pairs.
    Row("eigvals[real spectrum]", la.eigvals, SQUARE, normal, 2, 1e-5, "eig"),
    Row("eigvals[conjugate pairs]", la.eigvals, SQUARE + (((4, 4),),), rotating, 2, 1e-5, "eig"),
    Row("eig[phase-independent]", _eig_invariants, SQUARE, normal, 2, 1e-5, "eig"),
    Row("eig[phase-independent, pairs]", _eig_invariants, SQUARE, rotating, 2, 1e-5, "eig"),
    Row(
        "svd[reduced]",
        lambda a: tuple(la.svd(a, full_matrices=False)),
        RECT,
        normal,
        2,
        1e-5,
        "svd",
    ),
    Row("svd[s]", lambda a: la.svd(a, compute_uv=False), RECT, normal, 2, 1e-5, "svd"),
    Row("svd[full, basis-independent]", _projectors_svd, RECT, normal, 2, 1e-5, "svd"),
    Row("qr[reduced]", lambda a: tuple(la.qr(a)), RECT, normal, 2, 1e-5, "qr"),
    Row("qr[r]", lambda a: la.qr(a, mode="r"), RECT, normal, 2, 1e-5, "qr"),
    Row("qr[complete, basis-independent]", _projectors_qr, RECT, normal, 2, 1e-5, "qr"),
    Row("pinv", la.pinv, RECT, normal, 2, 1e-5, "pinv"),
]

CASES = [
    pytest.param(row, shapes, id=f"{row.name}-{'x'.join(map(str, shapes))}")
    for row in SPEC
    for shapes in row.shapes
]


def _args(row, shapes, seed=0):
    rng = np.random.default_rng(seed)
    first = row.sampler(rng, shapes[0])
    return (first,) + tuple(normal(rng, s) for s in shapes[1:])


@pytest.mark.parametrize("row, shapes", CASES)
def test_grads(row, shapes):
    assert row.order == 2 or row.reason
    args = _args(row, shapes)
    check_grads(row.fn, args, order=row.order, modes=("fwd", "rev"), rtol=row.rtol)
    check_jvp_vjp_consistency(row.fn, args, rng=np.random.default_rng(1))


@pytest.mark.parametrize("row", SPEC, ids=[r.name for r in SPEC])
def test_records_its_primitive_and_shape_rule_agrees(row):
    args = _args(row, row.shapes[0])
    trace = wg.trace(row.fn)(*args)
    eqn = next(e for e in trace.eqns if e.prim.name == row.prim)
    avals = [ShapeDtype(tuple(x.shape), x.dtype) for x in eqn.inputs]
    shape, dtype = eqn.prim.shape(*avals, **eqn.params)
    out = eqn.prim.impl(
        *[trace.values[x.id] if hasattr(x, "id") else x.value for x in eqn.inputs], **eqn.params
    )
    assert shape == out.shape and dtype == out.dtype


ONE_OPERAND = [r for r in SPEC if len(r.shapes[0]) == 1]


@pytest.mark.parametrize("row", ONE_OPERAND, ids=[r.name for r in ONE_OPERAND])
def test_vmap_equals_the_batched_call(row):
    rng = np.random.default_rng(2)
    batch = np.stack([row.sampler(rng, row.shapes[0][0]) for _ in range(2)])
    mapped = wg.vmap(row.fn)(batch)
    direct = row.fn(batch)
    for m, d in zip(wg.tree.leaves(mapped), wg.tree.leaves(direct)):
        np.testing.assert_allclose(m, d, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["eigh", "eig", "svd", "qr", "cholesky", "inv"])
def test_grad_of_vmap_matches_batched_grad(name):
    rng = np.random.default_rng(3)
    a = spd(rng, (2, 3, 3))
    f = {
        "eigh": lambda x: la.eigh(x)[1] ** 3,
        "eig": lambda x: wnp.abs(la.eig(x)[1]) ** 3,
        "svd": lambda x: la.svd(x)[0] ** 3,
        "qr": lambda x: la.qr(x)[0] ** 3,
        "cholesky": la.cholesky,
        "inv": la.inv,
    }[name]
    g_vmap = wg.grad(lambda x: wnp.sum(wg.vmap(f)(x)))(a)
    g_batched = wg.grad(lambda x: wnp.sum(f(x)))(a)
    np.testing.assert_allclose(g_vmap, g_batched, rtol=1e-10, atol=1e-12)


def test_vmap_of_solve_with_vector_right_hand_sides():
    rng = np.random.default_rng(6)
    a, b = well_conditioned(rng, (2, 3, 3)), rng.standard_normal((2, 3))
    expected = np.linalg.solve(a, b[..., None])[..., 0]
    np.testing.assert_allclose(wg.vmap(la.solve)(a, b), expected, rtol=1e-12)
    np.testing.assert_allclose(
        wg.vmap(la.solve, in_axes=(None, 0))(a[0], b), np.linalg.solve(a[0], b.T).T, rtol=1e-12
    )


def test_rank_deficient_pinv_along_rank_preserving_directions():
    # pinv is discontinuous where the rank can change; A = L R keeps the rank at 2.
    rng = np.random.default_rng(4)
    left, right = rng.standard_normal((4, 2)), rng.standard_normal((2, 3))
    check_grads(lambda lft, rgt: la.pinv(lft @ rgt), (left, right), order=2)


def test_third_order_through_eigh_and_svd():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 3))
    check_grads(lambda a: la.eigvalsh(a) ** 2, (a,), order=3)
    check_grads(lambda a: la.svd(a, compute_uv=False), (a,), order=3)


def _complex(rng, shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _usvh(a):
    u, s, vh = la.svd(a, full_matrices=False)
    return (u * s[..., None, :]) @ vh


def _proj(v):
    return v @ wnp.conj(wnp.swapaxes(v, -1, -2))


# Complex inputs under the bilinear convention (design §5c); eigen- and singular vectors carry
# an arbitrary phase, so only phase-independent quantities are checked.
COMPLEX_CASES = {
    "solve": (lambda a, b: la.solve(a, b), "square", (3,)),
    "inv": (la.inv, "square", None),
    "det": (la.det, "square", None),
    "slogdet": (lambda a: tuple(la.slogdet(a)), "square", None),
    "cholesky": (la.cholesky, "hermitian", None),
    "eigh": (lambda a: (la.eigvalsh(a), _proj(la.eigh(a)[1][..., :1])), "hermitian", None),
    "eig": (_eig_invariants, "square", None),
    "svd": (
        _usvh,
        "rect",
        None,
    ),
    "svd[full]": (lambda a: _proj(la.svd(a)[0][..., :, 2:]), "rect", None),
    "qr": (lambda a: (_proj(la.qr(a)[0]), wnp.abs(la.qr(a, mode="r"))), "rect", None),
    "pinv": (la.pinv, "rect", None),
}


@pytest.mark.parametrize("name", list(COMPLEX_CASES))
def test_complex_inputs(name):
    f, kind, b_shape = COMPLEX_CASES[name]
    rng = np.random.default_rng(7)
    if kind == "rect":
        a = _complex(rng, (4, 2))
    else:
        a = _complex(rng, (3, 3)) + 3 * np.eye(3)
        if kind == "hermitian":
            a = a @ a.conj().T
    args = (a,) if b_shape is None else (a, _complex(rng, b_shape))
    check_grads(f, args, order=2)
    check_jvp_vjp_consistency(f, args, rng=np.random.default_rng(8))
