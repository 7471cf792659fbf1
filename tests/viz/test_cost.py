"""The cost model (flops) and the measured residuals (what the backward pass reads)."""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.viz.cost import eqn_flops, read_by_vjp, saved_bytes


def _eqns(f, *args):
    t = wg.trace(f)(*args)
    return t, {e.prim.name: e for e in t.eqns}


def test_flops_model():
    A, B = np.ones((3, 4)), np.ones((4, 5))
    x = np.ones(6)
    _, e = _eqns(lambda A, B: wnp.sum(wnp.exp(A @ B)), A, B)
    assert eqn_flops(e["matmul"]) == 2 * 3 * 5 * 4
    assert eqn_flops(e["exp"]) == 15
    assert eqn_flops(e["sum"]) == 15
    _, e = _eqns(lambda A, B: wnp.einsum("ij,jk->ik", A, B), A, B)
    assert eqn_flops(e["einsum"]) == 2 * 3 * 4 * 5
    _, e = _eqns(lambda x: wnp.reshape(x, (2, 3)).T, x)
    assert eqn_flops(e["reshape"]) == 0 and eqn_flops(e["transpose"]) == 0
    _, e = _eqns(lambda x: wnp.sort(x), np.ones(8))
    assert eqn_flops(e["sort"]) == 8 * 3


def test_custom_rules_have_no_flop_model():
    @wg.custom_vjp
    def f(x):
        return wnp.sin(x)

    f.defvjp(lambda x: (wnp.sin(x), x), lambda x, g: (g * wnp.cos(x),))
    t = wg.trace(f)(0.3)
    (eqn,) = t.eqns
    assert eqn_flops(eqn) is None
    assert read_by_vjp(eqn, t.values) is None


@pytest.mark.parametrize("f, reads", [
    (lambda x, y: x + y, set()),
    (lambda x, y: x - y, set()),
    (lambda x, y: x * y, {"x", "y"}),
    (lambda x, y: x / y, {"y", "out"}),
    (lambda x, y: wnp.exp(x) + 0 * y, {"out"}),
    (lambda x, y: wnp.tanh(x) + 0 * y, {"out"}),
    (lambda x, y: wnp.sin(x) + 0 * y, {"x"}),
    (lambda x, y: wnp.maximum(x, y), {"x", "y"}),
])
def test_residuals_are_measured(f, reads):
    x, y = np.array([0.5, -1.0]), np.array([2.0, 0.25])
    t = wg.trace(f)(x, y)
    eqn = t.eqns[0]
    ids = {"x": t.invars[0].id, "y": t.invars[1].id, "out": eqn.out.id}
    want = {ids[k] for k in reads}
    assert read_by_vjp(eqn, t.values) == want


def test_relu_keeps_only_its_mask():
    x = np.array([0.5, -1.0, 2.0])
    t = wg.trace(lambda x: wnp.where(x > 0, x, 0.0))(x)
    # The mask x > 0 is a constant operand of the recorded `select` (comparisons are not
    # differentiable, so not recorded): the backward pass reads no stored variable.
    assert saved_bytes(t) == {t.invars[0].id: 0, t.eqns[0].out.id: 0}


def test_saved_bytes_of_the_lecture():
    def L(w1, w2):
        v1 = wnp.log(w1)
        v2 = w2 * v1
        return v2 + wnp.sqrt(v2)

    t = wg.trace(L)(2.0, 3.0)
    kept = saved_bytes(t)
    names = t.names()
    by_name = {names[i]: b for i, b in kept.items()}
    # log reads w1; mul reads w2 and v1; sqrt reads its output v3; add reads nothing
    assert by_name == {"w1": 8, "w2": 8, "v1": 8, "v2": 0, "v3": 8, "v4": 0}


def test_saved_bytes_needs_values():
    t = wg.trace(lambda x: x * x, keep_values=False)(1.0)
    with pytest.raises(ValueError, match="values"):
        saved_bytes(t)
