"""Tests for wengert.checkpoint.chains: checkpointed loops equal plain loops under every transform."""

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.checkpoint.chains import checkpoint_scan, checkpoint_sequential

T = 12
RNG = np.random.default_rng(7)
A = 0.5 * RNG.normal(size=(3, 3))
X0 = RNG.normal(size=3)
XS = RNG.normal(size=(T, 3))
SCHEDULES = [("binomial", 1), ("binomial", 2), ("binomial", 3), ("binomial", 4),
             ("sqrt", None), ("every", None)]


def step(carry, x, a):
    return carry + 0.1 * wnp.tanh(carry @ a + x)


def scanned(kind, c):
    def f(x0, xs, a):
        return (checkpoint_scan(step, x0, num_steps=T, snapshots=c, schedule=kind, xs=xs,
                                params=a) ** 2).sum()
    return f


def plain(x0, xs, a):
    for i in range(T):
        x0 = step(x0, xs[i], a)
    return (x0 ** 2).sum()


def close(got, want, rtol=1e-12):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.max(np.abs(want)))


@pytest.mark.parametrize("kind,c", SCHEDULES)
def test_value_and_grad_match_plain_loop(kind, c):
    f = scanned(kind, c)
    val, grads = wg.value_and_grad(f, argnums=(0, 1, 2))(X0, XS, A)
    val_ref, grads_ref = wg.value_and_grad(plain, argnums=(0, 1, 2))(X0, XS, A)
    close(val, val_ref)
    for g, r in zip(grads, grads_ref):
        close(g, r)


@pytest.mark.parametrize("kind,c", [("binomial", 1), ("binomial", 3), ("sqrt", None)])
def test_second_order_matches_plain_loop(kind, c):
    f = scanned(kind, c)
    close(wg.hessian(lambda x: f(x, XS, A))(X0), wg.hessian(lambda x: plain(x, XS, A))(X0))
    v = RNG.normal(size=(3, 3))
    for strategy in ("fwd-rev", "rev-rev"):
        close(wg.hvp(lambda a: f(X0, XS, a), (A,), (v,), strategy=strategy),
              wg.hvp(lambda a: plain(X0, XS, a), (A,), (v,), strategy=strategy))


@pytest.mark.parametrize("kind,c", [("binomial", 2), ("every", None)])
def test_forward_mode_and_jacobians_match_plain_loop(kind, c):
    def run(x):
        return checkpoint_scan(lambda y: y + 0.1 * wnp.tanh(y @ A), x, num_steps=T, snapshots=c,
                               schedule=kind)

    def ref(x):
        for _ in range(T):
            x = x + 0.1 * wnp.tanh(x @ A)
        return x

    t = RNG.normal(size=3)
    out, out_dot = wg.jvp(run, (X0,), (t,))
    out_ref, out_dot_ref = wg.jvp(ref, (X0,), (t,))
    close(out, out_ref)
    close(out_dot, out_dot_ref)
    close(wg.jacrev(run)(X0), wg.jacfwd(ref)(X0))
    close(wg.jacfwd(run)(X0), wg.jacfwd(ref)(X0))


@pytest.mark.parametrize("kind,c", [("binomial", 2), ("sqrt", None)])
def test_vmap_of_grad_matches_plain_loop(kind, c):
    batch = RNG.normal(size=(4, 3))
    got = wg.vmap(wg.grad(scanned(kind, c)), in_axes=(0, None, None))(batch, XS, A)
    want = wg.vmap(wg.grad(plain), in_axes=(0, None, None))(batch, XS, A)
    close(got, want)
    got_a = wg.vmap(wg.grad(scanned(kind, c), argnums=2), in_axes=(0, None, None))(batch, XS, A)
    want_a = wg.vmap(wg.grad(plain, argnums=2), in_axes=(0, None, None))(batch, XS, A)
    close(got_a, want_a)


def test_pytree_carry_without_xs_or_params():
    def body(carry):
        u, v = carry["u"], carry["v"]
        return {"u": u + 0.1 * wnp.sin(v), "v": v - 0.1 * u * v}

    def f(u, v, kind, c):
        out = checkpoint_scan(body, {"u": u, "v": v}, num_steps=9, snapshots=c, schedule=kind)
        return (out["u"] * out["v"]).sum()

    def ref(u, v):
        carry = {"u": u, "v": v}
        for _ in range(9):
            carry = body(carry)
        return (carry["u"] * carry["v"]).sum()

    u, v = RNG.normal(size=2), RNG.normal(size=2)
    want = wg.grad(ref, argnums=(0, 1))(u, v)
    for kind, c in SCHEDULES:
        got = wg.grad(f, argnums=(0, 1))(u, v, kind, c)
        close(got[0], want[0])
        close(got[1], want[1])


def test_single_step_and_plain_values():
    out = checkpoint_scan(lambda y: 2.0 * y, np.array([1.0, 3.0]), num_steps=1, snapshots=1)
    np.testing.assert_array_equal(out, [2.0, 6.0])
    out = checkpoint_scan(lambda y, x: y + x, np.zeros(2), num_steps=4, snapshots=2,
                          xs=np.ones((4, 2)))
    np.testing.assert_array_equal(out, [4.0, 4.0])


@pytest.mark.parametrize("kwargs,match", [
    ({"num_steps": 0, "snapshots": 1}, "num_steps must be an integer >= 1"),
    ({"num_steps": 3, "snapshots": 0}, "snapshots must be an integer >= 1"),
    ({"num_steps": 3, "snapshots": 1, "schedule": "fancy"}, "schedule must be one of"),
    ({"num_steps": 3, "snapshots": None}, "needs snapshots"),
    ({"num_steps": 3, "snapshots": 2, "xs": np.ones((4, 2))}, "leading axis num_steps = 3"),
    ({"num_steps": 5, "snapshots": 1, "schedule": "every"}, "stores 4 states"),
])
def test_bad_inputs_raise_clear_errors(kwargs, match):
    with pytest.raises(wg.WengertValueError, match=match):
        checkpoint_scan(lambda y, *rest: y, np.ones(2), **kwargs)


def test_step_changing_the_carry_structure_raises():
    with pytest.raises(wg.WengertTypeError, match="structure of init"):
        checkpoint_scan(lambda y: (y, y), np.ones(2), num_steps=2, snapshots=1)


LAYERS = [wnp.sin, lambda v: v @ A, wnp.tanh, lambda v: 1.5 * v, wnp.cos, lambda v: v * v,
          wnp.tanh]


def composed(x):
    for layer in LAYERS:
        x = layer(x)
    return x


@pytest.mark.parametrize("segments", [None, 1, 3, len(LAYERS)])
def test_checkpoint_sequential_matches_composition(segments):
    def f(x):
        return checkpoint_sequential(LAYERS, x, segments=segments).sum()

    def ref(x):
        return composed(x).sum()

    close(checkpoint_sequential(LAYERS, X0, segments=segments), composed(X0))
    close(wg.grad(f)(X0), wg.grad(ref)(X0))
    close(wg.hessian(f)(X0), wg.hessian(ref)(X0))
    batch = RNG.normal(size=(4, 3))
    close(wg.vmap(wg.grad(f))(batch), wg.vmap(wg.grad(ref))(batch))


@pytest.mark.parametrize("segments", [0, 8, 2.0])
def test_checkpoint_sequential_bad_segments(segments):
    with pytest.raises(wg.WengertValueError, match="segments must be an integer"):
        checkpoint_sequential(LAYERS, X0, segments=segments)


def test_checkpoint_sequential_empty_layers():
    with pytest.raises(wg.WengertValueError, match="at least one callable"):
        checkpoint_sequential([], X0)


@pytest.mark.parametrize("kind,c", SCHEDULES)
def test_gradient_follows_the_schedule(kind, c):
    # The primal pass evaluates T-1 forward-phase advances plus the output step; the backward
    # pass the reverse-phase advances plus T taped reversals.
    calls = []

    def counted(carry, a):
        calls.append(1)
        return carry + 0.1 * wnp.tanh(carry @ a)

    def f(a):
        return checkpoint_scan(counted, X0, num_steps=T, snapshots=c, schedule=kind,
                               params=a).sum()

    wg.grad(f)(A)
    plan = wg.checkpoint.schedule(T, c, kind)
    assert len(calls) == plan.advances + 1 + T
    calls.clear()
    f(A)
    assert len(calls) == T


def test_vmap_over_per_step_inputs():
    batch = RNG.normal(size=(3, T, 3))

    def final(xs):
        return checkpoint_scan(step, X0, num_steps=T, snapshots=2, xs=xs, params=A)

    def final_ref(xs):
        x = X0
        for i in range(T):
            x = step(x, xs[i], A)
        return x

    close(wg.vmap(final)(batch), wg.vmap(final_ref)(batch))
    close(wg.vmap(wg.grad(lambda xs: final(xs).sum()))(batch),
          wg.vmap(wg.grad(lambda xs: final_ref(xs).sum()))(batch))
    close(wg.jacrev(final)(XS), wg.jacfwd(final_ref)(XS))
