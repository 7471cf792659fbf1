"""Hessian-vector products (one vector or a batch) and Hessians as jacfwd(jacrev)."""

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core.errors import WengertValueError

RNG = np.random.default_rng(3)


def f_scalar(x):
    return wnp.sum(wnp.sin(x) * x ** 2) + wnp.prod(x[:2]) * wnp.exp(x[-1])


def test_hvp_equals_hessian_times_vector():
    x, v = RNG.standard_normal(4), RNG.standard_normal(4)
    H = wg.hessian(f_scalar)(x)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    np.testing.assert_allclose(wg.hvp(f_scalar, x, v), H @ v, rtol=1e-12, atol=1e-12)


def test_batched_hvp_is_one_hvp_per_row():
    x = RNG.standard_normal(4)
    V = RNG.standard_normal((5, 4))
    H = wg.hessian(f_scalar)(x)
    HV = wg.hvp(f_scalar, x, V, batched=True)
    assert HV.shape == (5, 4)
    np.testing.assert_allclose(HV, V @ H.T, rtol=1e-12, atol=1e-12)
    for v, hv in zip(V, HV):
        np.testing.assert_allclose(wg.hvp(f_scalar, x, v), hv, rtol=1e-12, atol=1e-12)
    # The identity as the batch gives the Hessian's rows.
    np.testing.assert_allclose(wg.hvp(f_scalar, x, np.eye(4), batched=True), H, rtol=1e-12)
    assert wg.hvp(f_scalar, x, V[:1], batched=True).shape == (1, 4)


def test_batched_hvp_with_several_arguments():
    f = lambda x, y: wnp.sum(x ** 2 * y) + wnp.sum(y ** 3)
    x, y = RNG.standard_normal(2), RNG.standard_normal(2)
    Vx, Vy = RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2))
    hx, hy = wg.hvp(f, (x, y), (Vx, Vy), batched=True)
    assert hx.shape == hy.shape == (3, 2)
    for k in range(3):
        ex, ey = wg.hvp(f, (x, y), (Vx[k], Vy[k]))
        np.testing.assert_allclose(hx[k], ex, rtol=1e-12)
        np.testing.assert_allclose(hy[k], ey, rtol=1e-12)
    # Closed form: d²/dx² = 2 diag(y), d²/dxdy = 2 diag(x), d²/dy² = 6 diag(y).
    np.testing.assert_allclose(hx, 2 * y * Vx + 2 * x * Vy, rtol=1e-12)
    np.testing.assert_allclose(hy, 2 * x * Vx + 6 * y * Vy, rtol=1e-12)


def test_batched_hvp_float32():
    x = RNG.standard_normal(3).astype(np.float32)
    V = np.eye(3, dtype=np.float32)
    HV = wg.hvp(lambda x: wnp.sum(x ** 3), x, V, batched=True)
    assert HV.dtype == np.float32
    np.testing.assert_allclose(HV, np.diag(6 * x), rtol=1e-6)


def test_batched_hvp_validates_the_batch():
    x = np.ones(3)
    with pytest.raises(WengertValueError, match=r"shape \(k, \*\(3,\)\)"):
        wg.hvp(f_scalar, x, np.ones(3), batched=True)
    with pytest.raises(WengertValueError, match="same batch length"):
        wg.hvp(lambda a, b: wnp.sum(a * b), (x, x), (np.ones((2, 3)), np.ones((4, 3))),
               batched=True)


def test_hessian_options():
    A = RNG.standard_normal((3, 3))
    A = A + A.T
    quad = lambda x: 0.5 * x @ A @ x
    np.testing.assert_allclose(wg.hessian(quad)(np.ones(3)), A, rtol=1e-14)
    np.testing.assert_allclose(wg.hessian(quad, chunk_size=1)(np.ones(3)), A, rtol=1e-14)
    H, aux = wg.hessian(lambda x: (quad(x), "tag"), has_aux=True)(np.ones(3))
    np.testing.assert_allclose(H, A, rtol=1e-14)
    assert aux == "tag"
    Hxy = wg.hessian(lambda x, y: wnp.sum(x * x * y), argnums=(0, 1))(np.ones(2), np.ones(2))
    np.testing.assert_allclose(Hxy[0][1], 2 * np.eye(2))
    np.testing.assert_allclose(Hxy[1][1], np.zeros((2, 2)))


@pytest.mark.parametrize("strategy", ["fwd-rev", "rev-rev"])
def test_hvp_strategies_agree_with_the_hessian(strategy):
    x, v = RNG.standard_normal(4), RNG.standard_normal(4)
    H = wg.hessian(f_scalar)(x)
    np.testing.assert_allclose(wg.hvp(f_scalar, x, v, strategy=strategy), H @ v, rtol=1e-12,
                               atol=1e-12)
    V = RNG.standard_normal((3, 4))
    np.testing.assert_allclose(wg.hvp(f_scalar, x, V, batched=True, strategy=strategy),
                               V @ H.T, rtol=1e-12, atol=1e-12)


def test_hvp_strategies_agree_on_a_pytree():
    f = lambda p: wnp.sum(wnp.tanh(p["w"] @ p["b"])) * wnp.sum(p["b"] ** 2)
    p = {"w": RNG.standard_normal((3, 2)), "b": RNG.standard_normal(2)}
    v = {"w": RNG.standard_normal((3, 2)), "b": RNG.standard_normal(2)}
    a = wg.hvp(f, (p,), (v,), strategy="fwd-rev")[0]
    b = wg.hvp(f, (p,), (v,), strategy="rev-rev")[0]
    for key in p:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-12, atol=1e-12)


def test_hvp_rejects_an_unknown_strategy():
    with pytest.raises(WengertValueError, match="strategy"):
        wg.hvp(f_scalar, np.ones(4), np.ones(4), strategy="fwd-fwd")
