"""``wengert.scipy.signal.convolve`` against SciPy: values, shapes, dtypes and derivatives.

Every mode (full, valid, same) and method (direct, fft), in one to three dimensions, with the
second input smaller, equal or larger than the first, is compared with SciPy's value and
checked to order 2 in both modes; the derivative is also compared with the exact one (the
convolution with the other input, since convolution is bilinear).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss

import wengert as wg
import wengert.numpy as wnp
from wengert.core.errors import WengertValueError
from wengert.scipy.signal import convolve
from wengert.testing import check_grads, check_jvp_vjp_consistency

SHAPES = [
    ((6,), (3,)),
    ((3,), (6,)),  # in2 larger than in1
    ((4,), (4,)),
    ((5,), (2,)),  # even kernel: 'same' centring rounds as SciPy does
    ((1,), (1,)),
    ((4, 5), (2, 3)),
    ((2, 3), (4, 5)),
    ((3, 2, 4), (2, 2, 3)),
]
MODES = ["full", "valid", "same"]


def _valid_allowed(sx, sy):
    return all(m >= n for m, n in zip(sx, sy)) or all(n >= m for m, n in zip(sx, sy))


CASES = [
    pytest.param(sx, sy, mode, method, id=f"{sx}*{sy}-{mode}-{method}")
    for sx, sy in SHAPES
    for mode in MODES
    for method in ("direct", "fft")
    if mode != "valid" or _valid_allowed(sx, sy)
]


@pytest.mark.parametrize("sx, sy, mode, method", CASES)
def test_matches_scipy_and_differentiates(sx, sy, mode, method):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(sx), rng.standard_normal(sy)
    f = lambda x, y: convolve(x, y, mode=mode, method=method)
    expected = ss.convolve(x, y, mode=mode, method=method)
    out, tangent = wg.jvp(f, (x, y), (x, y))
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    # Bilinear: the JVP along (x, y) itself is twice the value.
    np.testing.assert_allclose(tangent, 2 * expected, rtol=1e-10, atol=1e-12)
    check_grads(f, (x, y), order=2)
    check_jvp_vjp_consistency(f, (x, y))


def test_gradient_is_the_correlation_with_the_other_input():
    # d/dx Σ w · convolve(x, y) = correlate(w, y, 'valid') (the transposed convolution).
    rng = np.random.default_rng(1)
    x, y, w = rng.standard_normal(7), rng.standard_normal(3), rng.standard_normal(9)
    gx, gy = wg.grad(lambda x, y: wnp.sum(w * convolve(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, ss.correlate(w, y, mode="valid"), rtol=1e-12)
    np.testing.assert_allclose(gy, ss.correlate(w, x, mode="valid"), rtol=1e-12)


def test_mixed_dtypes_promote_and_complex_inputs_work():
    x = np.array([1.0, 2.0, 3.0], np.float32)
    out = wg.jvp(lambda x: convolve(x, np.array([1, 2])), (x,), (x,))[0]
    assert out.dtype == ss.convolve(x, np.array([1, 2])).dtype
    z = np.array([1 + 1j, 2 - 1j, 0.5j])
    k = np.array([0.5, 1j])
    out, tangent = wg.jvp(lambda z: convolve(z, k), (z,), (z,))
    np.testing.assert_allclose(out, ss.convolve(z, k))
    np.testing.assert_allclose(tangent, ss.convolve(z, k))


def test_zero_dimensional_and_plain_inputs():
    out, t = wg.jvp(lambda x: convolve(x, np.float64(3.0)), (np.float64(2.0),), (1.0,))
    assert float(out) == 6.0 and float(t) == 3.0
    x = np.arange(4.0)
    np.testing.assert_array_equal(convolve(x, x[:2], "same"), ss.convolve(x, x[:2], "same"))


def test_errors():
    x = np.ones(3)
    with pytest.raises(WengertValueError, match="mode to be one of"):
        convolve(x, x, mode="circular")
    with pytest.raises(WengertValueError, match="method to be one of"):
        convolve(x, x, method="slow")
    with pytest.raises(WengertValueError, match="same number of dimensions"):
        wg.grad(lambda x: wnp.sum(convolve(x, np.ones((2, 2)))))(x)
    with pytest.raises(WengertValueError, match="at least as large as the other"):
        wg.grad(lambda x: wnp.sum(convolve(x, np.ones((3, 1)), "valid")))(np.ones((2, 2)))
