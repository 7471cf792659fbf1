"""checkpoint: the same derivatives under every policy and transform, less kept, one replay."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.checkpoint import policies, saved_residuals
from wengert.core.errors import WengertTypeError
from wengert.primitives import REGISTRY

RTOL = 1e-12


def _block(x, A):
    h = wg.checkpoint_name(x @ A, "h")
    return x + wnp.tanh(h) * wnp.sin(x)


def _named_tanh(x, A):
    return x + wg.checkpoint_name(wnp.tanh(x @ A), "t")


def _by_shape(eqn):
    return eqn.prim.name == "tanh"


POLICIES = {
    "nothing": None,
    "dots": policies.dots_saveable,
    "names": policies.save_only_these_names("h"),
    "everything": policies.everything_saveable,
    "predicate": _by_shape,
}


def _loss(block):
    def loss(x, As):
        for A in As:
            x = block(x, A)
        return wnp.sum(x * x) + wnp.sum(wnp.cos(x))

    return loss


def _data(seed=0, n=3, d=4):
    rng = np.random.default_rng(seed)
    As = tuple(0.5 * rng.standard_normal((d, d)) for _ in range(3))
    return rng.standard_normal((n, d)), As


def _close(a, b, rtol=RTOL):
    for u, v in zip(wg.tree.leaves(a), wg.tree.leaves(b)):
        np.testing.assert_allclose(u, v, rtol=rtol, atol=rtol * max(1.0, np.max(np.abs(v))))


@pytest.mark.parametrize("policy", POLICIES.values(), ids=list(POLICIES))
def test_first_and_second_derivatives_equal_unchecked(policy):
    x, As = _data()
    plain, ck = _loss(_block), _loss(wg.checkpoint(_block, policy=policy))
    _close(wg.value_and_grad(ck, argnums=(0, 1))(x, As), wg.value_and_grad(plain, argnums=(0, 1))(x, As))
    _close(wg.hessian(ck)(x, As), wg.hessian(plain)(x, As))
    v = np.ones_like(x)
    for strategy in ("fwd-rev", "rev-rev"):
        _close(wg.hvp(lambda z: ck(z, As), x, v, strategy=strategy),
               wg.hvp(lambda z: plain(z, As), x, v, strategy=strategy))


@pytest.mark.parametrize("policy", [None, policies.dots_saveable], ids=["nothing", "dots"])
def test_jacobians_jvp_linearize_and_vmap_equal_unchecked(policy):
    x, As = _data(1)
    ck_block = wg.checkpoint(_block, policy=policy)

    def chain(block):
        def f(x):
            for A in As:
                x = block(x, A)
            return x

        return f

    plain, ck = chain(_block), chain(ck_block)
    _close(wg.jacrev(ck)(x), wg.jacrev(plain)(x))
    _close(wg.jacfwd(ck)(x), wg.jacfwd(plain)(x))
    t = np.random.default_rng(2).standard_normal(x.shape)
    _close(wg.jvp(ck, (x,), (t,)), wg.jvp(plain, (x,), (t,)))
    _close(wg.linearize(ck, x)[1](t), wg.linearize(plain, x)[1](t))
    loss_ck, loss_plain = _loss(ck_block), _loss(_block)
    per_row = wg.vmap(wg.grad(loss_ck), in_axes=(0, None))
    _close(per_row(x, As), wg.vmap(wg.grad(loss_plain), in_axes=(0, None))(x, As))
    summed = wg.grad(lambda z: wnp.sum(wg.vmap(lambda r: loss_ck(r, As))(z)))
    _close(summed(x), wg.grad(lambda z: wnp.sum(wg.vmap(lambda r: loss_plain(r, As))(z)))(x))
    # rev-over-fwd: the JVP is checkpointed one level down
    _close(wg.grad(lambda z: wnp.sum(wg.jvp(ck, (z,), (t,))[1]))(x),
           wg.grad(lambda z: wnp.sum(wg.jvp(plain, (z,), (t,))[1]))(x))


def test_pytrees_nesting_and_integer_arguments():
    rng = np.random.default_rng(3)
    params = {"w": rng.standard_normal((3, 3)), "b": rng.standard_normal(3)}
    idx = np.array([2, 0, 1])

    def layer(p, x, order):
        y = wnp.tanh(x @ p["w"] + p["b"])
        return {"y": y[:, order], "norm": wnp.sum(y * y)}

    inner = wg.checkpoint(lambda p, x, order: layer(p, layer(p, x, order)["y"], order))
    outer = wg.checkpoint(lambda p, x: inner(p, x, idx))

    def plain(p, x):
        return layer(p, layer(p, x, idx)["y"], idx)

    def loss(f):
        return lambda p, x: wnp.sum(f(p, x)["y"] ** 2) + f(p, x)["norm"]

    x = rng.standard_normal((2, 3))
    _close(wg.grad(loss(outer), argnums=(0, 1))(params, x),
           wg.grad(loss(plain), argnums=(0, 1))(params, x))
    _close(wg.hessian(lambda p: loss(outer)(p, x))(params),
           wg.hessian(lambda p: loss(plain)(p, x))(params))


@contextlib.contextmanager
def _count(name):
    prim = REGISTRY[name]
    impl, calls = prim.impl, []

    def counted(*args, **params):
        calls.append(1)
        return impl(*args, **params)

    prim.impl = counted
    try:
        yield calls
    finally:
        prim.impl = impl


@pytest.mark.parametrize(("policy", "evaluations"),
                         [(None, 2), (policies.save_only_these_names("t"), 1),
                          (policies.everything_saveable, 1), (policies.dots_saveable, 2)])
def test_the_interior_is_replayed_once_per_backward_pass(policy, evaluations):
    x, As = _data(4)
    multi = wg.checkpoint(lambda x, A: (_named_tanh(x, A), wnp.sin(x), {"c": x * 2.0}),
                          policy=policy)

    def loss(x):
        a, b, c = multi(x, As[0])
        return wnp.sum(a * b) + wnp.sum(c["c"] * a)

    with _count("tanh") as calls:
        wg.grad(loss)(x)
    assert len(calls) == evaluations  # three outputs, still one replay


def test_saved_residuals_shrink_with_the_policy():
    x, As = _data(5, n=64, d=32)
    totals = {}
    for label, policy in POLICIES.items():
        res = saved_residuals(_loss(wg.checkpoint(_block, policy=policy)), x, As)
        totals[label] = res.total_bytes
    plain = saved_residuals(_loss(_block), x, As)
    assert totals["nothing"] < totals["dots"] == totals["names"] < totals["everything"]
    assert totals["everything"] <= plain.total_bytes
    res = saved_residuals(_loss(wg.checkpoint(_block, policy=policies.dots_saveable)), x, As)
    kinds = [r.what for r in res.rows]
    assert kinds.count("saved by policy") == 3 and kinds.count("checkpoint output") == 3
    saved = [r for r in res.rows if r.what == "saved by policy"]
    assert all("matmul" in r.equation and r.shape == (64, 32) for r in saved)
    assert all(r.source.startswith("test_core.py:") for r in saved)
    text = str(res)
    assert "total:" in text and "saved by policy" in text


def test_no_transform_means_a_plain_call():
    f = wg.checkpoint(lambda x: x * 2.0)
    assert f(np.float64(3.0)) == 6.0


def test_bad_input_is_explained():
    with pytest.raises(WengertTypeError, match="expected a function"):
        wg.checkpoint(3)
    with pytest.raises(WengertTypeError, match="policy must be a callable"):
        wg.checkpoint(lambda x: x, policy="dots")
    with pytest.raises(WengertTypeError, match="names must be strings"):
        policies.save_only_these_names(1)


@pytest.mark.parametrize("x_traced", [True, False], ids=["argument-traced", "closure-only"])
def test_closed_over_traced_values_are_lifted_to_inputs(x_traced):
    x0, As = _data(6)

    def loss(As, x0, ck):
        def seg(x):
            for A in As:  # closed over: the gradient must still reach them
                x = _block(x, A)
            return x

        return wnp.sum(wnp.cos(wg.checkpoint(seg)(x0) if ck else seg(x0)))

    argnums = (0, 1) if x_traced else 0
    _close(wg.grad(loss, argnums=argnums)(As, x0, True),
           wg.grad(loss, argnums=argnums)(As, x0, False))
    _close(wg.hessian(lambda A: loss((A,) + As[1:], x0, True))(As[0]),
           wg.hessian(lambda A: loss((A,) + As[1:], x0, False))(As[0]))
    t = np.ones_like(As[0])
    _close(wg.linearize(lambda A: loss((A,) + As[1:], x0, True), As[0])[1](t),
           wg.linearize(lambda A: loss((A,) + As[1:], x0, False), As[0])[1](t))
    kept = saved_residuals(lambda A: loss((A,) + As[1:], x0, True), As[0])
    assert not any(r.what == "intermediate" and "tanh" in r.equation for r in kept.rows)
