"""vmap (wengert/transforms/batching.py): axes specs, nesting, composition with every transform,
custom rules, value-dependent functions under a batch, and the errors.

Every result is checked against a Python loop over the examples, in float64 to 1e-12.
The per-primitive batching rules have their own spec table (tests/primitives).
"""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert import tree
from wengert.core.errors import UnsupportedError, WengertError, WengertTypeError

RNG = np.random.default_rng(20240605)
XS = RNG.standard_normal((3, 4))
W = RNG.standard_normal(4)


def close(actual, expected, rtol=1e-12):
    la, le = tree.leaves(actual), tree.leaves(expected)
    assert tree.structure(actual) == tree.structure(expected)
    for a, e in zip(la, le):
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape and a.dtype == e.dtype, (a.shape, e.shape, a.dtype, e.dtype)
        np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol)


def stack(outs, axis=0):
    return tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs], axis=axis), *outs)


def f(x, w):
    return wnp.sin(x) * w + wnp.sum(x * x)


def loss(w, x):
    return wnp.sum(wnp.tanh(w * x) ** 2) + wnp.max(x * w)


# --- in_axes, out_axes, axis_size ------------------------------------------------------------


def test_int_negative_and_none_in_axes():
    want = stack([f(x, W) for x in XS])
    close(wg.vmap(f, in_axes=(0, None))(XS, W), want)
    close(wg.vmap(f, in_axes=(1, None))(XS.T, W), want)
    close(wg.vmap(f, in_axes=(-1, None))(XS.T, W), want)
    close(wg.vmap(f, in_axes=[-2, None])(XS, W), want)  # a list is read as a tuple
    ws = RNG.standard_normal((3, 4))
    close(wg.vmap(f)(XS, ws), stack([f(x, w) for x, w in zip(XS, ws)]))


def test_out_axes_int_negative_tuple_and_none():
    def g(x):
        return wnp.outer(x, W), wnp.sum(x), W * 2.0

    outs = [g(x) for x in XS]
    a, b, c = wg.vmap(g, out_axes=(1, 0, None))(XS)
    close(a, stack([o[0] for o in outs], axis=1))
    close(b, stack([o[1] for o in outs]))
    close(c, W * 2.0)
    close(wg.vmap(g, out_axes=-1)(XS)[0], stack([o[0] for o in outs], axis=-1))
    close(wg.vmap(g, out_axes=(-3, -1, -2))(XS)[2], np.broadcast_to(W * 2.0, (3, 4)))
    close(wg.vmap(g, out_axes=(-3, -1, 0))(XS)[0], stack([o[0] for o in outs]))


def test_pytree_prefixes_in_and_out():
    params = {"w": W, "b": np.array(0.5)}
    batch = {"x": XS, "y": RNG.standard_normal(3)}

    def model(p, d):
        pred = wnp.dot(p["w"], d["x"]) + p["b"]
        return {"err": (pred - d["y"]) ** 2, "pred": (pred, d["x"] * p["w"])}

    got = wg.vmap(model, in_axes=(None, {"x": 0, "y": 0}),
                  out_axes={"err": 0, "pred": (0, 1)})(params, batch)
    outs = [model(params, {"x": x, "y": y}) for x, y in zip(batch["x"], batch["y"])]
    close(got["err"], stack([o["err"] for o in outs]))
    close(got["pred"][0], stack([o["pred"][0] for o in outs]))
    close(got["pred"][1], stack([o["pred"][1] for o in outs], axis=1))
    # Nested tuples, with a None leaf in the arguments.
    nested = wg.vmap(lambda t: t[0] * t[1][0], in_axes=((0, (None, None)),))
    close(nested((XS, (W, None))), XS * W)


def test_kwargs_pass_through_unbatched():
    g = wg.vmap(lambda x, *, scale, shift=0.0: x * scale + shift)
    close(g(XS, scale=W, shift=1.0), XS * W + 1.0)


def test_axis_size_with_no_mapped_input():
    out = wg.vmap(lambda w: wnp.sin(w) * 2.0, in_axes=None, axis_size=4)(W)
    close(out, np.broadcast_to(np.sin(W) * 2.0, (4, 4)))
    assert out.flags.writeable
    close(wg.vmap(lambda: wnp.ones(2), axis_size=3)(), np.ones((3, 2)))
    close(wg.vmap(f, in_axes=(0, None), axis_size=3)(XS, W), wg.vmap(f, in_axes=(0, None))(XS, W))


def test_outputs_independent_of_the_batch_and_empty_batches():
    close(wg.vmap(lambda x: 1.0)(XS), np.ones(3))
    close(wg.vmap(lambda x: (x, W))(XS)[1], np.broadcast_to(W, (3, 4)))
    out = wg.vmap(f, in_axes=(0, None))(np.zeros((0, 4)), W)
    assert out.shape == (0, 4) and out.dtype == np.float64
    close(wg.vmap(lambda i: i * 2)(np.arange(3)), np.arange(3) * 2)


# --- nesting ---------------------------------------------------------------------------------


def test_nested_vmap_with_different_axes():
    a = RNG.standard_normal((4, 2, 3))  # mapped over axes 2 (outer) and 1 (inner)
    b = RNG.standard_normal((2, 4))  # mapped over axis 0 (inner) only

    def g(x, y):
        return wnp.sum(x * y) * x

    inner = wg.vmap(g, in_axes=(1, 0), out_axes=1)
    got = wg.vmap(inner, in_axes=(2, None), out_axes=0)(a, b)
    want = np.stack([np.stack([g(a[:, j, i], b[j]) for j in range(2)], axis=1)
                     for i in range(3)])
    close(got, want)
    # The inner vmap closes over the outer one's batched value.
    got = wg.vmap(lambda x: wg.vmap(lambda y: x * y)(b))(XS[:, :4])
    close(got, np.stack([np.stack([x * y for y in b]) for x in XS]))


def test_nested_vmap_of_grad():
    xss = RNG.standard_normal((2, 3, 4))
    got = wg.vmap(wg.vmap(wg.grad(loss), in_axes=(None, 0)), in_axes=(None, 0))(W, xss)
    close(got, np.stack([np.stack([wg.grad(loss)(W, x) for x in xs]) for xs in xss]))


# --- composition with the other transforms -----------------------------------------------------


def test_vmap_of_grad_gives_per_example_gradients():
    got = wg.vmap(wg.grad(loss), in_axes=(None, 0))(W, XS)
    close(got, stack([wg.grad(loss)(W, x) for x in XS]))
    gx = wg.vmap(wg.grad(loss, argnums=1), in_axes=(None, 0))(W, XS)
    close(gx, stack([wg.grad(loss, argnums=1)(W, x) for x in XS]))


def test_grad_of_a_vmapped_sum():
    got = wg.grad(lambda p: wnp.sum(wg.vmap(loss, in_axes=(None, 0))(p, XS)))(W)
    close(got, sum(wg.grad(loss)(W, x) for x in XS))
    # ... and with respect to the batched argument.
    got = wg.grad(lambda xs: wnp.sum(wg.vmap(loss, in_axes=(None, 0))(W, xs)))(XS)
    close(got, stack([wg.grad(loss, argnums=1)(W, x) for x in XS]))


def test_jvp_and_vjp_around_vmap():
    v = RNG.standard_normal(XS.shape)
    out, out_dot = wg.jvp(lambda xs: wg.vmap(f, in_axes=(0, None))(xs, W), (XS,), (v,))
    loop = [wg.jvp(lambda x: f(x, W), (x,), (d,)) for x, d in zip(XS, v)]
    close(out, stack([o for o, _ in loop]))
    close(out_dot, stack([t for _, t in loop]))
    u = RNG.standard_normal(XS.shape)
    _, f_vjp = wg.vjp(lambda xs, w: wg.vmap(f, in_axes=(0, None))(xs, w), XS, W)
    gx, gw = f_vjp(u)
    per = [wg.vjp(f, x, W)[1](ui) for x, ui in zip(XS, u)]
    close(gx, stack([p[0] for p in per]))
    close(gw, sum(p[1] for p in per))


def _block_diagonal(blocks):
    """The Jacobian of a batched map from its per-example blocks (out, in): zero off the
    diagonal of the batch."""
    n = len(blocks)
    out = np.zeros((n, *blocks[0].shape[:1], n, *blocks[0].shape[1:]))
    for i, b in enumerate(blocks):
        out[i, :, i] = b
    return out


@pytest.mark.parametrize("jac", [wg.jacfwd, wg.jacrev, wg.jacobian])
def test_jacobian_of_vmap_and_vmap_of_jacobian(jac):
    g = lambda x: wnp.tanh(x) * wnp.sum(x ** 2)
    blocks = [wg.jacfwd(g)(x) for x in XS]
    close(jac(wg.vmap(g))(XS), _block_diagonal(blocks))
    close(wg.vmap(jac(g))(XS), np.stack(blocks))


def test_hessian_under_vmap():
    h = lambda x: wnp.sum(wnp.sin(x) * x ** 3) + wnp.prod(x[:2])
    close(wg.vmap(wg.hessian(h))(XS), stack([wg.hessian(h)(x) for x in XS]))
    hv = wg.vmap(lambda x, v: wg.hvp(h, x, v))(XS, XS[::-1])
    close(hv, stack([wg.hessian(h)(x) @ v for x, v in zip(XS, XS[::-1])]))


def test_vmap_of_linearize_tangent_map():
    g = lambda x: wnp.sin(x) * x[0]
    _, f_jvp = wg.linearize(g, W)
    vs = RNG.standard_normal((5, 4))
    close(wg.vmap(f_jvp)(vs), stack([f_jvp(v) for v in vs]))
    close(wg.vmap(f_jvp)(vs), vs @ wg.jacfwd(g)(W).T)


# --- custom rules -----------------------------------------------------------------------------


def _custom_pair():
    """The same function with a custom VJP and with a custom JVP; the rules scale the true
    derivative (by 2 for x, 3 for w) so that a test sees whether they were used."""

    @wg.custom_vjp
    def cv(x, w):
        return wnp.sin(x) * w

    def fwd(x, w):
        return cv(x, w), (x, w)

    def bwd(res, g):
        x, w = res
        return 2 * g * wnp.cos(x) * w, 3 * g * wnp.sin(x)

    cv.defvjp(fwd, bwd)

    @wg.custom_jvp
    def cj(x, w):
        return wnp.sin(x) * w

    @cj.defjvp
    def _(primals, tangents):
        (x, w), (x_dot, w_dot) = primals, tangents
        return cj(x, w), 2 * wnp.cos(x) * w * x_dot + 3 * wnp.sin(x) * w_dot

    return [cv, cj]


@pytest.mark.parametrize("fn", _custom_pair(), ids=["custom_vjp", "custom_jvp"])
def test_custom_rules_under_vmap(fn):
    close(wg.vmap(fn, in_axes=(0, None))(XS, W), stack([fn(x, W) for x in XS]))
    ws = RNG.standard_normal(XS.shape)
    close(wg.vmap(fn)(XS, ws), stack([fn(x, w) for x, w in zip(XS, ws)]))
    sq = lambda w, x: wnp.sum(fn(x, w) ** 2)
    # grad over vmap: the cotangent of the unbatched w is summed over the batch.
    gw = wg.grad(lambda w: wnp.sum(wg.vmap(sq, in_axes=(None, 0))(w, XS)))(W)
    close(gw, sum(wg.grad(sq)(W, x) for x in XS))
    gx = wg.grad(lambda xs: wnp.sum(wg.vmap(sq, in_axes=(None, 0))(W, xs)))(XS)
    close(gx, stack([wg.grad(sq, argnums=1)(W, x) for x in XS]))
    # The rule really is used: the custom derivative is 2x the true one in x, 3x in w.
    true = wg.grad(lambda x: wnp.sum(wnp.sin(x) * W))(XS[0])
    close(wg.grad(lambda x: wnp.sum(fn(x, W)))(XS[0]), 2 * true)
    close(wg.vmap(wg.grad(sq, argnums=(0, 1)), in_axes=(None, 0))(W, XS),
          stack([wg.grad(sq, argnums=(0, 1))(W, x) for x in XS]))
    v = RNG.standard_normal(XS.shape)
    _, t = wg.jvp(lambda xs: wg.vmap(fn, in_axes=(0, None))(xs, W), (XS,), (v,))
    close(t, stack([wg.jvp(lambda x: fn(x, W), (x,), (d,))[1] for x, d in zip(XS, v)]))
    xss = RNG.standard_normal((2, 3, 4))
    got = wg.vmap(wg.vmap(fn, in_axes=(0, None)), in_axes=(0, None))(xss, W)
    close(got, np.stack([np.stack([fn(x, W) for x in xs]) for xs in xss]))


def test_custom_vjp_with_pytree_arguments_and_a_none_cotangent():
    @wg.custom_vjp
    def scaled(p, x, n):
        return wnp.sin(x) * p["a"] * n

    def fwd(p, x, n):
        return scaled(p, x, n), (p, x, n)

    def bwd(res, g):
        p, x, n = res
        return {"a": g * wnp.sin(x) * n}, g * wnp.cos(x) * p["a"] * n, None

    scaled.defvjp(fwd, bwd)
    p = {"a": W}
    sq = lambda p, x: wnp.sum(scaled(p, x, 2.0) ** 2)
    got = wg.grad(lambda p: wnp.sum(wg.vmap(sq, in_axes=(None, 0))(p, XS)))(p)
    close(got, {"a": sum(wg.grad(sq)(p, x)["a"] for x in XS)})


# --- value-dependent functions: computed per example -------------------------------------------


def _per_example(fn, *args):
    """``fn`` under vmap over the first axis of every argument, against the loop."""
    close(wg.vmap(fn)(*args), stack([fn(*ex) for ex in zip(*args)]), rtol=0)


@pytest.mark.parametrize("fn", [
    wnp.argsort,
    lambda x: wnp.argsort(x, axis=None),
    lambda x: wnp.argsort(x, axis=0, stable=True),
    wnp.argmax,
    wnp.argmin,
    lambda x: wnp.argmax(x, axis=1),
    lambda x: wnp.argmin(x, axis=-2, keepdims=True),
    lambda x: wnp.argmax(x, keepdims=True),
    lambda x: wnp.argpartition(x, 1, axis=1),
    lambda x: wnp.argpartition(x, 2, axis=None),
    lambda x: wnp.all(x > -1.0, axis=0),
    lambda x: wnp.any(x > 1.0),
    lambda x: wnp.count_nonzero(x > 0.0, axis=1),
    lambda x: wnp.where(x > 0.0, 1.0, -1.0),  # constant branches
    lambda x: wnp.where(x > 0.0, np.ones((2, 1, 4)), 0.0),  # a branch of higher rank
    lambda x: wnp.select([x > 0.5, x < -0.5], [1.0, -1.0], 0.0),
    lambda x: wnp.isclose(x, 0.5, atol=0.6),
    lambda x: wnp.angle(x),
    lambda x: wnp.reciprocal((x > 0).astype(int) + 1),
], ids=lambda fn: getattr(fn, "__name__", "fn"))
def test_index_and_mask_functions_work_per_example(fn):
    xs = RNG.standard_normal((3, 3, 4))
    _per_example(fn, xs)
    # nested: the same per example of a batch of batches
    xss = RNG.standard_normal((2, 3, 3, 4))
    close(wg.vmap(wg.vmap(fn))(xss), np.stack([stack([fn(x) for x in xs]) for xs in xss]),
          rtol=0)


def test_index_functions_under_vmap_over_other_transforms():
    pick = lambda x: x[wnp.argmax(x)] * wnp.sum(x[wnp.argsort(x)] * np.arange(4.0))
    want = stack([wg.grad(pick)(x) for x in XS])
    close(wg.vmap(wg.grad(pick))(XS), want)  # the indices meet reverse-mode tracers
    close(wg.grad(lambda xs: wnp.sum(wg.vmap(pick)(xs)))(XS), want)
    v = RNG.standard_normal(XS.shape)
    loop = [wg.jvp(pick, (x,), (d,)) for x, d in zip(XS, v)]
    close(wg.jvp(wg.vmap(pick), (XS,), (v,)), (stack([p for p, _ in loop]),
                                                stack([t for _, t in loop])))
    close(wg.vmap(lambda x, d: wg.jvp(pick, (x,), (d,)))(XS, v),
          (stack([p for p, _ in loop]), stack([t for _, t in loop])))


def test_gathers_with_per_example_indices():
    xs = RNG.standard_normal((3, 2, 3, 4))
    idx = np.array([[1, 2], [0, 0], [2, -1]])
    cases = [
        (lambda x, i: x[0, :, i], (xs, idx)),  # separated: NumPy puts the index first
        (lambda x, i: x[:, i[0]], (xs, idx)),
        (lambda x, i: x[..., i], (xs, idx)),
        (lambda x, i: x[None, 1, i[1]], (xs, idx)),
        (lambda x, i: wnp.take(x, i, axis=2), (xs, idx)),
        (lambda x, i: wnp.take(x, i + 5, axis=2, mode="wrap"), (xs, idx)),
        (lambda x, i: wnp.take(x, i), (xs, idx)),
        (lambda x, i: wnp.take_along_axis(x, wnp.argsort(x, axis=1), axis=1), (xs, idx)),
        (lambda x, i: wnp.take(np.arange(10.0), i), (xs, idx)),  # a constant indexed
        (lambda x, i: wnp.take_along_axis(np.arange(4.0), i, axis=0), (xs, idx)),
    ]
    for fn, args in cases:
        _per_example(fn, *args)
        g = wg.vmap(wg.grad(lambda x, i, fn=fn: wnp.sum(wnp.sin(fn(x, i)))))(*args)
        close(g, stack([wg.grad(lambda x, i, fn=fn: wnp.sum(wnp.sin(fn(x, i))))(*ex)
                        for ex in zip(*args)]))
    # The index batched, the array not (and traced by an outer grad).
    table = RNG.standard_normal(6)
    got = wg.grad(lambda t: wnp.sum(wg.vmap(lambda i: t[i] ** 2)(np.array([1, 1, 4]))))(table)
    close(got, 2 * table * np.array([0, 2, 0, 0, 1, 0]))


def test_sort_derivatives_under_vmap():
    xs = RNG.standard_normal((3, 5))
    v = RNG.standard_normal((3, 5))
    loop = [wg.jvp(wnp.sort, (x,), (d,)) for x, d in zip(xs, v)]
    close(wg.vmap(lambda x, d: wg.jvp(wnp.sort, (x,), (d,)))(xs, v),
          (stack([p for p, _ in loop]), stack([t for _, t in loop])))
    close(wg.vmap(lambda x, d: wg.jvp(wnp.sort, (x,), (d,)), in_axes=(0, None))(xs, v[0]),
          stack([wg.jvp(wnp.sort, (x,), (v[0],)) for x in xs]))
    for fn in (wnp.median, lambda x: wnp.quantile(x, 0.3), lambda x: wnp.sort(x)[-2]):
        close(wg.vmap(wg.grad(fn))(xs), stack([wg.grad(fn)(x) for x in xs]))
    xss = RNG.standard_normal((2, 3, 5))
    close(wg.vmap(wg.vmap(wg.grad(wnp.median)))(xss),
          np.stack([stack([wg.grad(wnp.median)(x) for x in xs]) for xs in xss]))
    # Second order: the sort rules run on traced values, so the gather is a one-hot product.
    h = lambda x: wnp.sum(wnp.sort(x) ** 3 * np.arange(5.0))
    close(wg.vmap(wg.hessian(h))(xs), stack([wg.hessian(h)(x) for x in xs]))


def test_nan_aware_and_masked_reductions_per_example():
    xs = np.where(RNG.random((3, 4)) > 0.6, np.nan, RNG.standard_normal((3, 4)))
    xs[2] = np.nan
    for fn in (wnp.nanmean, wnp.nanmax, wnp.nanmin):
        with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="slice"):
            got = wg.vmap(fn)(xs)
        with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="slice"):
            want = np.array([fn(x) for x in xs])
        close(got, want)
    for fn in (wnp.nansum, wnp.nanprod, wnp.median, lambda x: wnp.nan_to_num(x, nan=-7.0)):
        close(wg.vmap(fn)(xs), stack([fn(x) for x in xs]))
    ys = RNG.standard_normal((3, 5))
    for fn in (lambda x: wnp.mean(x, where=x > 0), lambda x: wnp.var(x, where=x > -0.5),
               lambda x: wnp.sum(x, where=x < 0.5), lambda x: wnp.std(x, ddof=1)):
        close(wg.vmap(fn)(ys), stack([fn(y) for y in ys]))
        close(wg.vmap(wg.grad(fn))(ys), stack([wg.grad(fn)(y) for y in ys]))
    zs = RNG.standard_normal((3, 2, 5))
    for fn in (lambda z: wnp.mean(z, axis=1, where=z[0] > wnp.min(z[0])),  # of lower rank
               lambda z: wnp.nanmean(z, axis=1, where=z > wnp.min(z, axis=1, keepdims=True))):
        close(wg.vmap(fn)(zs), stack([fn(z) for z in zs]))
        close(wg.vmap(wg.grad(lambda z, fn=fn: wnp.sum(fn(z))))(zs),
              stack([wg.grad(lambda z, fn=fn: wnp.sum(fn(z)))(z) for z in zs]))
    flat = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]])  # std' at zero spread is 0
    close(wg.vmap(wg.grad(wnp.std))(flat), stack([wg.grad(wnp.std)(x) for x in flat]))


# --- errors --------------------------------------------------------------------------------------


def test_mismatched_batch_sizes():
    with pytest.raises(WengertError, match=r"different sizes \(argument 0: 3, argument 1: 4\)"):
        wg.vmap(f)(XS, np.ones((4, 4)))
    with pytest.raises(WengertError, match="axis_size: 5"):
        wg.vmap(f, in_axes=(0, None), axis_size=5)(XS, W)


def test_axis_out_of_range():
    with pytest.raises(WengertError, match=r"axis 2 of argument 0, which has shape \(3, 4\)"):
        wg.vmap(f, in_axes=(2, None))(XS, W)
    with pytest.raises(WengertError, match=r"argument 0, leaf 1"):
        wg.vmap(lambda t: t[1], in_axes=((None, 1),))((XS, W))
    with pytest.raises(WengertError, match="out_axes asks for axis 3"):
        wg.vmap(f, in_axes=(0, None), out_axes=3)(XS, W)


def test_out_axes_none_for_a_batched_output():
    with pytest.raises(WengertError, match="depends on the batch, but out_axes is None"):
        wg.vmap(f, in_axes=(0, None), out_axes=None)(XS, W)


def relu_if(x):
    return x if x > 0 else 0.0 * x


@pytest.mark.parametrize("fn", [
    relu_if,
    lambda x: relu_if(wnp.sum(x)),
    wg.grad(relu_if),
    lambda x: wg.jvp(relu_if, (x,), (1.0,))[1],
    lambda x: wg.grad(lambda y: y * 2.0 if y * 1.0 else y)(x),  # bool of a reverse tracer
    lambda x: wg.jvp(lambda y: 1.0 if y else 0.0, (x,), (1.0,))[0],  # bool of a JVP tracer
    lambda x: range(x.astype(int)),  # __index__
    lambda x: 1.0 if wnp.all(x > 0) else 0.0,
])
def test_python_control_flow_on_a_batched_value_raises_a_clear_error(fn):
    with pytest.raises(WengertTypeError, match="varies across a vmap batch"):
        wg.vmap(fn)(np.array([-1.0, 2.0]))


def test_concrete_conversions_of_a_batched_value():
    for fn in (float, lambda x: x.item(), np.asarray, lambda x: np.arange(3.0)[x.astype(int)]):
        with pytest.raises(WengertTypeError, match="varies across a vmap batch"):
            wg.vmap(fn)(np.array([0.0, 1.0]))


def test_bad_axes_specs():
    with pytest.raises(WengertError, match="in_axes has 2 entries but the function got 1"):
        wg.vmap(wnp.sin, in_axes=(0, 0))(XS)
    with pytest.raises(WengertError, match=r"wrap it in a tuple, e.g. in_axes=\(\{"):
        wg.vmap(lambda d: d["a"], in_axes={"a": 0})({"a": XS})
    with pytest.raises(WengertError, match="in_axes does not match the arguments"):
        wg.vmap(lambda t: t[0], in_axes=((0, 0, 0),))((XS, XS))
    for bad in ("a", 1.5, True, (0, [None, "x"])):
        with pytest.raises(WengertTypeError, match="in_axes must be an int, None"):
            wg.vmap(f, in_axes=bad)
    with pytest.raises(WengertTypeError, match="out_axes must be an int, None"):
        wg.vmap(f, out_axes=0.0)
    with pytest.raises(WengertError, match="out_axes does not match the outputs"):
        wg.vmap(wnp.sin, out_axes=(0, 0))(XS)
    with pytest.raises(WengertTypeError, match="axis_size must be a non-negative int"):
        wg.vmap(f, axis_size=-1)
    with pytest.raises(WengertError, match="no argument is mapped"):
        wg.vmap(f, in_axes=None)(XS, W)
    with pytest.raises(WengertTypeError, match="expected a function"):
        wg.vmap(3)


def test_functions_without_a_per_example_result_refuse_a_batch():
    xs = RNG.standard_normal((3, 4))
    cases = [
        (lambda x: wnp.where(x > 0), "shape depends on the values"),
        (lambda x: x[x > 0], "boolean mask that varies"),
        (lambda x: wnp.allclose(x, 0.0), "returns one Python bool"),
        (lambda x: wnp.array_equal(x, x), "returns one Python bool"),
        (lambda x: wnp.argpartition(W, x.astype(int)[0] % 2), "argpartition: kth"),
        (lambda x: wnp.zeros(x.astype(int)[0] % 3 + 1), "one constant value"),
        (lambda x: wnp.roll(x, x.astype(int)[0]), "one constant value"),
    ]
    for fn, message in cases:
        with pytest.raises(WengertTypeError, match=message):
            wg.vmap(fn)(xs)
    with pytest.raises(UnsupportedError, match="one such integer index"):
        wg.vmap(lambda x, i: x[i, i])(xs, np.array([0, 1, 2]))
    with pytest.raises(UnsupportedError, match="no wengert counterpart"):
        wg.vmap(np.nonzero)(xs)


def test_a_leaked_batched_value_is_refused_by_value_reading_functions():
    box = []
    wg.vmap(lambda x: box.append(x) or x)(XS)
    for fn in (wnp.argmax, lambda x: wnp.where(x > 0, 1.0, 2.0), wnp.sin):
        with pytest.raises(WengertError, match="leaked tracer"):
            fn(box[0])


def test_geomspace_and_isreal_per_example():
    starts = np.array([1.0, -2.0])
    got = wg.vmap(lambda a: wnp.geomspace(a, 8.0 * a, 4))(starts)
    np.testing.assert_allclose(got, np.stack([np.geomspace(a, 8 * a, 4) for a in starts]))
    assert wg.vmap(wnp.isreal)(np.ones((2, 3))).tolist() == [[True] * 3] * 2
