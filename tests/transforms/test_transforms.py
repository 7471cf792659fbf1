"""Transforms: jvp, vjp, grad, linearize, Jacobians, Hessians, custom rules, pytrees."""

from __future__ import annotations

import dataclasses
from collections import namedtuple

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert import tree
from wengert.testing import check_grads, numerical_grad

RNG = np.random.default_rng(0)


def f_vec(x):
    return wnp.sin(x) * wnp.exp(x[0]) + x ** 2


def f_scalar(x):
    return wnp.sum(wnp.tanh(x) * x[::-1]) + wnp.max(x) ** 2


# --- basic agreement between modes -------------------------------------------------------------


def test_jvp_matches_finite_difference_and_vjp():
    x = RNG.standard_normal(4)
    check_grads(f_vec, (x,), order=2)


def test_grad_matches_numerical_grad():
    x = RNG.standard_normal(5)
    np.testing.assert_allclose(wg.grad(f_scalar)(x), numerical_grad(f_scalar, x), rtol=1e-6)


def test_value_and_grad_returns_value():
    x = RNG.standard_normal(3)
    v, g = wg.value_and_grad(f_scalar)(x)
    assert v == pytest.approx(float(f_scalar(x)))
    np.testing.assert_allclose(g, wg.grad(f_scalar)(x))


def test_argnums_tuple_and_kwargs():
    f = lambda x, y, scale=1.0: scale * wnp.sum(x * y ** 2)
    x, y = RNG.standard_normal(3), RNG.standard_normal(3)
    gx, gy = wg.grad(f, argnums=(0, 1))(x, y, scale=2.0)
    np.testing.assert_allclose(gx, 2 * y ** 2)
    np.testing.assert_allclose(gy, 4 * x * y)
    np.testing.assert_allclose(wg.grad(f, argnums=-1)(x, y), 2 * x * y)


def test_has_aux():
    f = lambda x: (wnp.sum(x ** 2), {"n": x.shape[0], "x2": x ** 2})
    x = np.array([1.0, 2.0])
    g, aux = wg.grad(f, has_aux=True)(x)
    np.testing.assert_allclose(g, 2 * x)
    assert aux["n"] == 2
    np.testing.assert_allclose(aux["x2"], x ** 2)
    (v, aux2), _g2 = wg.value_and_grad(f, has_aux=True)(x)
    assert v == 5.0 and aux2["n"] == 2
    _out, f_vjp, _aux3 = wg.vjp(f, x, has_aux=True)
    np.testing.assert_allclose(f_vjp(1.0)[0], 2 * x)


def test_vjp_fn_reusable_and_jvp_pytrees():
    def f(p):
        return {"a": p["w"] * p["b"], "b": wnp.sum(p["w"])}

    p = {"w": np.array([1.0, 2.0]), "b": np.array(3.0)}
    _out, f_vjp = wg.vjp(f, p)
    ct = {"a": np.array([1.0, 1.0]), "b": np.array(2.0)}
    (g1,) = f_vjp(ct)
    (g2,) = f_vjp(ct)
    np.testing.assert_allclose(g1["w"], [5.0, 5.0])
    np.testing.assert_allclose(g1["b"], 3.0)
    np.testing.assert_allclose(g2["w"], g1["w"])
    _, t = wg.jvp(f, (p,), ({"w": np.array([1.0, 0.0]), "b": np.array(1.0)},))
    np.testing.assert_allclose(t["a"], [4.0, 2.0])
    assert float(t["b"]) == 1.0


Point = namedtuple("Point", "x y")


@tree.register_dataclass
@dataclasses.dataclass
class Layer:
    w: np.ndarray
    b: np.ndarray
    name: str = dataclasses.field(default="dense", metadata={"static": True})


def test_grad_of_namedtuple_dataclass_list_none():
    def f(pt, layer, extra):
        return wnp.sum(pt.x * pt.y) + wnp.sum(layer.w @ layer.b) + extra[0] * 2.0

    pt = Point(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    layer = Layer(np.eye(2), np.array([1.0, -1.0]))
    extra = [np.array(5.0), None]
    gp, gl, ge = wg.grad(f, argnums=(0, 1, 2))(pt, layer, extra)
    assert isinstance(gp, Point) and isinstance(gl, Layer) and gl.name == "dense"
    np.testing.assert_allclose(gp.x, pt.y)
    np.testing.assert_allclose(gl.w, np.outer(np.ones(2), layer.b))
    np.testing.assert_allclose(gl.b, layer.w.T @ np.ones(2))
    assert float(ge[0]) == 2.0 and ge[1] is None


def test_float32_gradients_stay_float32():
    x = np.array([0.5, 1.5], dtype=np.float32)
    g = wg.grad(lambda x: wnp.sum(wnp.sin(x) * 2.0 + x ** 2))(x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2 * np.cos(x) + 2 * x, rtol=1e-6)
    _, t = wg.jvp(lambda x: wnp.exp(x), (x,), (np.ones(2, np.float32),))
    assert t.dtype == np.float32


# --- nesting and perturbation confusion ----------------------------------------------------------


@pytest.mark.parametrize("x", [-2.0, 0.0, 0.7, 3.0])
def test_perturbation_confusion_forward_and_reverse(x):
    # d/dx [x · d/dy (x + y)] = d/dx [x · 1] = 1 for every x.
    fwd = wg.derivative(lambda x: x * wg.derivative(lambda y: x + y)(1.0))(x)
    rev = wg.grad(lambda x: x * wg.grad(lambda y: x + y)(1.0))(x)
    mixed = wg.grad(lambda x: x * wg.derivative(lambda y: x + y)(1.0))(x)
    assert float(fwd) == 1.0 and float(rev) == 1.0 and float(mixed) == 1.0


def test_siskind_pearlmutter_nested_derivative():
    # d/dx [x · (d/dy x·y)|_{y=2}] = d/dx [x · x] = 2x; confusing the perturbations gives 3x.
    f = lambda x: x * wg.grad(lambda y: x * y)(2.0)
    assert float(wg.grad(f)(3.0)) == 6.0
    assert float(wg.derivative(f)(3.0)) == 6.0


def test_third_derivative_of_sin_is_exact():
    for x in (0.0, 0.3, 2.0):
        assert float(wg.grad(wg.grad(wg.grad(wnp.sin)))(x)) == -np.cos(x)
        assert float(wg.derivative(wg.derivative(wg.derivative(wnp.sin)))(x)) == -np.cos(x)


def test_all_nestings_of_second_derivative_agree():
    f = lambda x: wnp.exp(wnp.sin(x)) * x
    x = 0.4
    rr = wg.grad(wg.grad(f))(x)
    ff = wg.derivative(wg.derivative(f))(x)
    fr = wg.jvp(wg.grad(f), (x,), (1.0,))[1]
    rf = wg.grad(lambda x: wg.jvp(f, (x,), (1.0,))[1])(x)
    np.testing.assert_allclose([ff, fr, rf], [rr] * 3, rtol=1e-14)


def test_grad_closure_over_outer_tracer_is_constant():
    # The inner grad differentiates w.r.t. y only; x is a constant to it.
    def outer(x):
        return wg.grad(lambda y: wnp.sum(x * y ** 2))(np.ones(2)) @ x

    x = np.array([1.0, 2.0])
    # inner grad = 2 x y = 2x at y=1; outer = 2 x.x; gradient 4x.
    np.testing.assert_allclose(wg.grad(outer)(x), 4 * x)


# --- Jacobians, Hessians, linearize -------------------------------------------------------------


def test_jacfwd_equals_jacrev_equals_finite_differences():
    x = RNG.standard_normal(3)
    Jf = wg.jacfwd(f_vec)(x)
    Jr = wg.jacrev(f_vec)(x)
    Jn = np.stack([numerical_grad(lambda x, i=i: f_vec(x)[i], x) for i in range(3)])
    np.testing.assert_allclose(Jf, Jr, rtol=1e-13)
    np.testing.assert_allclose(Jf, Jn, rtol=1e-6, atol=1e-8)
    for mode in ("auto", "fwd", "rev"):
        np.testing.assert_allclose(wg.jacobian(f_vec, mode=mode)(x), Jf, rtol=1e-13)


def test_jacobian_shapes_and_pytrees():
    f = lambda x, y: {"p": x[:, None] * y, "q": wnp.sum(x)}
    x, y = RNG.standard_normal(2), RNG.standard_normal(3)
    for jac in (wg.jacfwd, wg.jacrev):
        J = jac(f, argnums=(0, 1))(x, y)
        assert J["p"][0].shape == (2, 3, 2) and J["p"][1].shape == (2, 3, 3)
        assert J["q"][0].shape == (2,) and J["q"][1].shape == (3,)
        np.testing.assert_allclose(J["q"][0], np.ones(2))
        np.testing.assert_allclose(J["p"][1][1], np.diag(np.full(3, x[1])))


def test_hessian_symmetric_and_hvp():
    x = RNG.standard_normal(4)
    H = wg.hessian(f_scalar)(x)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    v = RNG.standard_normal(4)
    np.testing.assert_allclose(wg.hvp(f_scalar, x, v), H @ v, rtol=1e-12, atol=1e-12)
    # Hessian of a quadratic is exact.
    A = RNG.standard_normal((3, 3))
    A = A + A.T
    np.testing.assert_allclose(wg.hessian(lambda x: 0.5 * x @ A @ x)(np.ones(3)), A,
                               rtol=1e-14)


def test_hvp_several_arguments():
    f = lambda x, y: wnp.sum(x ** 2 * y)
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    hx, hy = wg.hvp(f, (x, y), (np.ones(2), np.zeros(2)))
    np.testing.assert_allclose(hx, 2 * y)
    np.testing.assert_allclose(hy, 2 * x)


def test_linearize_reuses_the_trace():
    calls = []

    def f(x):
        calls.append(1)
        return wnp.sin(x) * x

    x = np.array([0.3, 1.0])
    y, f_jvp = wg.linearize(f, x)
    t1 = f_jvp(np.array([1.0, 0.0]))
    t2 = f_jvp(np.array([0.0, 2.0]))
    assert len(calls) == 1
    np.testing.assert_allclose(y, np.sin(x) * x)
    d = np.cos(x) * x + np.sin(x)
    np.testing.assert_allclose(t1, [d[0], 0.0])
    np.testing.assert_allclose(t2, [0.0, 2 * d[1]])


def test_derivative_of_array_valued_function():
    d = wg.derivative(lambda t: wnp.stack([wnp.cos(t), wnp.sin(t)]))(0.5)
    np.testing.assert_allclose(d, [-np.sin(0.5), np.cos(0.5)])


def test_stop_gradient_every_mode_and_order():
    f = lambda x: x ** 2 * wg.stop_gradient(x ** 3)
    assert float(wg.grad(f)(2.0)) == 2 * 2.0 * 8.0
    assert float(wg.derivative(f)(2.0)) == 32.0
    assert float(wg.grad(wg.grad(f))(2.0)) == 16.0


# --- custom rules ---------------------------------------------------------------------------------


@wg.custom_vjp
def scaled_sin(x, a):
    return wnp.sin(x) * a


def _ss_fwd(x, a):
    return scaled_sin(x, a), (x, a)


def _ss_bwd(res, g):
    x, a = res
    return g * wnp.cos(x) * a, g * wnp.sin(x)


scaled_sin.defvjp(_ss_fwd, _ss_bwd)


def test_custom_vjp_reverse_forward_and_hessian():
    x, a = np.array([0.2, 0.9]), np.array([2.0, 3.0])
    f = lambda x, a: wnp.sum(scaled_sin(x, a) ** 2)
    check_grads(f, (x, a), order=2)
    H = wg.hessian(f)(x, a)
    np.testing.assert_allclose(H, H.T, atol=1e-12)


def test_custom_vjp_rule_is_used():
    @wg.custom_vjp
    def f(x):
        return x * 1.0

    f.defvjp(lambda x: (f(x), None), lambda res, g: (3.0 * g,))
    assert float(wg.grad(f)(1.0)) == 3.0
    assert float(wg.derivative(f)(1.0)) == 1.0  # forward mode differentiates the primal


def test_custom_jvp_used_in_both_modes():
    @wg.custom_jvp
    def f(x):
        return wnp.sin(x)

    @f.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), 2.0 * wnp.cos(x) * t  # deliberately twice the true derivative

    x = np.array([0.1, 0.5])
    np.testing.assert_allclose(wg.jvp(f, (x,), (np.ones(2),))[1], 2 * np.cos(x))
    np.testing.assert_allclose(wg.grad(lambda x: wnp.sum(f(x)))(x), 2 * np.cos(x))
    np.testing.assert_allclose(wg.jacrev(f)(x), np.diag(2 * np.cos(x)))
    # Second order through the rule: d/dx 2 cos x = -2 sin x.
    np.testing.assert_allclose(wg.grad(wg.grad(lambda s: f(s)))(0.5), -2 * np.sin(0.5))


def test_custom_vjp_with_pytree_output():
    @wg.custom_vjp
    def f(x):
        return {"s": wnp.sum(x), "p": x * 2.0}

    f.defvjp(lambda x: (f(x), None),
             lambda res, g: (g["s"] * np.ones(2) + 2.0 * g["p"],))
    g = wg.grad(lambda x: f(x)["s"] + wnp.sum(f(x)["p"] ** 2))(np.array([1.0, 2.0]))
    np.testing.assert_allclose(g, 1.0 + 8.0 * np.array([1.0, 2.0]))


def test_custom_vjp_with_several_outputs_runs_bwd_once_per_backward_pass():
    calls = []

    @wg.custom_vjp
    def pair(x):
        return wnp.sin(x), {"c": wnp.cos(x)}

    def fwd(x):
        return pair(x), x

    def bwd(x, g):
        calls.append(1)
        gs, gc = g[0], g[1]["c"]
        return (gs * wnp.cos(x) - gc * wnp.sin(x),)

    pair.defvjp(fwd, bwd)
    x = np.array([0.3, 1.2])
    g = wg.grad(lambda x: wnp.sum(pair(x)[0] * 2.0) + wnp.sum(pair(x)[1]["c"]))(x)
    np.testing.assert_allclose(g, 2.0 * np.cos(x) - np.sin(x), rtol=1e-14)
    assert len(calls) == 2  # two calls of pair, one bwd each (not one per output)
