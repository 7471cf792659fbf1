"""Vertex elimination: the linearised graph, the Markowitz plan and the accumulated Jacobian."""

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core.errors import MissingRuleError
from wengert.primitives.registry import Primitive
from wengert.testing import numerical_jvp
from wengert.transforms import elimination

RNG = np.random.default_rng(11)


def _jac_mixed(f, *args, **kw):
    return wg.jacobian(f, mode="mixed", **kw)(*args)


@wg.custom_vjp
def _scaled_sin(x, a):
    return wnp.sin(x) * a


_scaled_sin.defvjp(lambda x, a: (_scaled_sin(x, a), (x, a)),
                   lambda res, g: (g * wnp.cos(res[0]) * res[1], g * wnp.sin(res[0])))

# Graphs of every block kind: diagonal (elementwise, reshape), matrix (a product with a
# matrix), dense (reductions, broadcasts, indexing, products of two variables, custom rules),
# with fan-out and fan-in.
GRAPHS = {
    "elementwise chain": lambda x: wnp.exp(wnp.sin(x) * x) / (1 + x * x),
    "fan-out and fan-in": lambda x: wnp.sin(x) * wnp.cos(x) + wnp.tanh(wnp.sin(x)),
    "softmax": lambda x: wnp.exp(x - wnp.max(x)) / wnp.sum(wnp.exp(x - wnp.max(x))),
    "matrix-vector": lambda x: np.arange(20.0).reshape(4, 5) @ wnp.tanh(x) + x[:4],
    "vector-matrix": lambda x: wnp.sin(x) @ np.arange(15.0).reshape(5, 3),
    "two variables": lambda x: wnp.outer(x, wnp.sin(x)).reshape(-1)[::3],
    "matrix-matrix": lambda x: (x.reshape(5, 1) @ x.reshape(1, 5)).T,
    "indexing": lambda x: wnp.concatenate([x[::2], x[[4, 0]] * x[1], wnp.cumsum(x)]),
    "einsum": lambda x: wnp.einsum("i,j,j->i", x, x, wnp.cos(x)),
    "where": lambda x: wnp.where(x > 0, wnp.sqrt(wnp.abs(x) + 1), x ** 3),
    "custom_vjp": lambda x: _scaled_sin(x, x[::-1]) * 2.0,
    "scalar out": lambda x: wnp.sum(wnp.tanh(x) ** 2),
}


@pytest.mark.parametrize("name", GRAPHS)
def test_elimination_equals_jacfwd_and_finite_differences(name):
    f = GRAPHS[name]
    x = RNG.standard_normal(5)
    J = _jac_mixed(f, x)
    np.testing.assert_allclose(J, wg.jacfwd(f)(x), rtol=1e-12, atol=1e-12)
    fd = np.stack([numerical_jvp(f, (x,), (e,)) for e in np.eye(5)], axis=-1)
    np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-7)


def test_pytrees_several_inputs_and_outputs():
    def f(p, y):
        h = wnp.tanh(p["w"] @ y + p["b"])
        return {"h": h, "s": wnp.sum(h * y[:2])}, y * 3.0

    p = {"w": RNG.standard_normal((2, 3)), "b": RNG.standard_normal(2)}
    y = RNG.standard_normal(3)
    got = _jac_mixed(f, p, y, argnums=(0, 1))
    want = wg.jacfwd(f, argnums=(0, 1))(p, y)
    for a, b in zip(wg.tree.leaves(got), wg.tree.leaves(want)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def _narrow_waist():
    # R^10 -> R^100 -> R^2 -> R^100 -> R^10: both pure modes push 10 directions through the
    # wide layers; elimination multiplies small blocks around the waist of width 2.
    d = RNG.standard_normal((100, 10))
    c = RNG.standard_normal((2, 100))
    b = RNG.standard_normal((100, 2))
    a = RNG.standard_normal((10, 100))
    return lambda x: a @ wnp.tanh(b @ wnp.tanh(c @ wnp.tanh(d @ x)))


def test_narrow_waist_needs_fewer_multiplications_and_is_exact():
    f = _narrow_waist()
    x = RNG.standard_normal(10)
    report = wg.jacobian_cost(f, x)
    assert report.mixed_multiplications < report.forward_multiplications / 4
    assert report.mixed_multiplications < report.reverse_multiplications / 4
    # At this size per-operation overhead, not arithmetic, decides: the choice is whichever
    # mode the model predicts fastest, whatever the multiplication counts say.
    predicted = {"fwd": report.forward, "rev": report.reverse, "mixed": report.mixed}
    assert report.choice == min(predicted, key=predicted.get)
    np.testing.assert_allclose(wg.jacobian(f, mode="mixed")(x), wg.jacfwd(f)(x), rtol=1e-11,
                               atol=1e-12)


def test_auto_takes_elimination_when_it_is_predicted_cheaper():
    # R^200 -> R^200 through a waist of width 2: both pure modes push 200 directions through
    # the 200 x 200 layer; elimination multiplies small blocks around the waist.
    a = RNG.standard_normal((200, 200)) / 14
    b = RNG.standard_normal((2, 200))
    c = RNG.standard_normal((200, 2))
    f = lambda x: wnp.sin(c @ wnp.tanh(b @ wnp.tanh(a @ x)))
    x = RNG.standard_normal(200)
    report = wg.jacobian_cost(f, x)
    assert report.mixed < min(report.forward, report.reverse)
    assert report.choice == "mixed"
    jac, why = wg.jacobian(f, explain=True)(x)
    assert why.choice == "mixed"
    np.testing.assert_allclose(jac, wg.jacfwd(f)(x), rtol=1e-11, atol=1e-12)


def test_markowitz_order_on_the_waist():
    f = _narrow_waist()
    t = wg.trace(f)(RNG.standard_normal(10))
    p = elimination.plan(t)
    # Vertices 1..6 are the intermediates (0 is the input, 7 the output). The cheapest first:
    # the tanh outputs next to the waist (2 x 100 scalings), then the layers around it, and the
    # wide end last, once the waist has shrunk everything touching it.
    assert sorted(p.order) == [1, 2, 3, 4, 5, 6]
    assert p.order[:3] == (2, 3, 5)
    # diag/matrix products: 3 x 200 around the waist, 2000 + 2000 for the layers next to it,
    # and 200 to join the two halves through the waist.
    assert p.multiplications == 4800
    assert p.feasible and p.num_blocks == 7


def test_plan_counts_structured_blocks():
    # exp then sin: one diagonal-by-diagonal product, 3 multiplications.
    t = wg.trace(lambda x: wnp.sin(wnp.exp(x)))(np.ones(3))
    p = elimination.plan(t)
    assert (p.order, p.multiplications, p.num_products) == ((1,), 3, 1)
    # A dense sum block after a diagonal: 1 x 4 scaled columns.
    t = wg.trace(lambda x: wnp.sum(wnp.exp(x)))(np.ones(4))
    assert elimination.plan(t).multiplications == 4


def test_outputs_that_are_inputs_repeated_or_feed_other_outputs():
    def f(x):
        y = wnp.sin(x)
        return x, y, y, y * 2.0

    x = RNG.standard_normal(3)
    jx, jy1, jy2, j2y = _jac_mixed(f, x)
    np.testing.assert_array_equal(jx, np.eye(3))
    np.testing.assert_allclose(jy1, np.diag(np.cos(x)))
    np.testing.assert_allclose(jy2, np.diag(np.cos(x)))
    np.testing.assert_allclose(j2y, 2 * np.diag(np.cos(x)))


def test_large_dense_blocks_rule_elimination_out_of_auto():
    t = wg.trace(lambda x: wnp.sum(wnp.cumsum(x)))(np.ones(5000))
    p = elimination.plan(t)
    assert p.largest_block == 5000 * 5000 and not p.feasible


def test_a_missing_jvp_rule_rules_elimination_out_and_is_reported():
    sin_no_jvp = Primitive("sin_no_jvp", np.sin, shape=None,
                           vjp=(lambda g, out, x: g * wnp.cos(x),), family="elementwise")

    def f(x):
        return sin_no_jvp(x) * 2.0

    x = RNG.standard_normal(3)
    report = wg.jacobian_cost(f, x)
    assert report.mixed is None and report.forward == float("inf")
    assert report.choice == "rev"
    np.testing.assert_allclose(wg.jacobian(f)(x), 2 * np.diag(np.cos(x)))
    with pytest.raises(MissingRuleError, match="sin_no_jvp"):
        wg.jacobian(f, mode="mixed")(x)
    assert "no rule" in str(report)


def test_elimination_under_outer_transforms():
    f = lambda x: wnp.sum(wnp.tanh(x) * x[0]) ** 2
    x = RNG.standard_normal(4)
    H = wg.jacobian(wg.jacobian(f, mode="mixed"), mode="mixed")(x)
    np.testing.assert_allclose(H, wg.hessian(f)(x), rtol=1e-10, atol=1e-12)
    g = wg.grad(lambda x: wnp.sum(_jac_mixed(lambda y: wnp.sin(y) * y, x)))(x)
    np.testing.assert_allclose(g, -np.sin(x) * x + 2 * np.cos(x), rtol=1e-12)
