"""hessian_operator: products agree with wengert.hvp and the dense Hessian, for both strategies."""

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core.errors import WengertValueError
from wengert.curvature import hessian_operator


def _loss(p):
    return wnp.sum(wnp.tanh(p["w"] @ p["x"]) ** 2) + wnp.sum(wnp.sin(p["w"]) * p["w"])


def _point():
    rng = np.random.default_rng(0)
    return {"w": rng.standard_normal((3, 4)), "x": rng.standard_normal(4)}


@pytest.mark.parametrize("strategy", ["fwd-rev", "rev-rev"])
def test_products_match_hvp_and_dense_hessian(strategy):
    p = _point()
    op = hessian_operator(_loss, p, strategy=strategy)
    flat, unravel = wg.tree.ravel(p)
    dense = np.asarray(wg.hessian(lambda v: _loss(unravel(v)))(flat))
    rng = np.random.default_rng(1)
    for _ in range(3):  # the linearized list is reused across products
        v = rng.standard_normal(flat.shape[0])
        want = wg.tree.ravel(wg.hvp(_loss, (p,), (unravel(v),))[0])[0]
        np.testing.assert_allclose(op @ v, want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(op @ v, dense @ v, rtol=1e-10, atol=1e-12)
    V = rng.standard_normal((flat.shape[0], 4))
    np.testing.assert_allclose(op @ V, dense @ V, rtol=1e-10, atol=1e-12)


def test_fwd_rev_records_the_gradient_once():
    calls = []

    def f(x):
        calls.append(1)
        return wnp.sum(x ** 3)

    op = hessian_operator(f, np.arange(3.0))
    for k in range(3):
        np.testing.assert_allclose(op @ np.eye(3)[k], 6.0 * np.arange(3.0) * np.eye(3)[k])
    assert len(calls) == 1


def test_unknown_strategy_is_refused():
    with pytest.raises(WengertValueError, match="strategy"):
        hessian_operator(_loss, _point(), strategy="fwd-fwd")


def test_the_tangent_sweep_is_compiled_unless_jit_refuses_it():
    from wengert.compiler import Jitted
    from wengert.curvature.operators import _compiled_sweep

    plain = lambda t: t * 2.0
    assert isinstance(_compiled_sweep(plain, np.ones(2)), Jitted)
    branchy = lambda t: t * (1.0 if float(wnp.sum(t)) > 0 else 2.0)
    assert _compiled_sweep(branchy, np.ones(2)) is branchy
