"""``wengert.scipy.stats``: values against SciPy (traced, rtol 1e-12, inside and outside the
support), second-order gradients in both modes for every differentiable argument, closed
forms (d/dμ norm.logpdf = (x − μ)/σ², d/dμ of the Poisson cdf = −pmf, the multivariate
normal's gradients in mean and cov), and the distribution functions' gradients in their shape
parameters (by quadrature) against differences of SciPy's.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as st

import wengert as wg
import wengert.numpy as wnp
from wengert.scipy import stats as S
from wengert.testing import check_grads, check_jvp_vjp_consistency

METHODS = ["pdf", "logpdf", "cdf", "logcdf", "sf", "logsf"]
# name, shape parameters, points (some outside the support)
CONTINUOUS = [
    ("norm", (), np.array([-2.5, -0.3, 0.4, 1.7])),
    ("t", (3.5,), np.array([-2.5, -0.3, 0.4, 1.7])),
    ("gamma", (2.5,), np.array([-0.5, 0.3, 1.2, 2.5])),
    ("chi2", (3.0,), np.array([-0.5, 0.3, 1.2, 2.5])),
    ("beta", (2.5, 1.5), np.array([-0.2, 0.2, 0.5, 0.8, 1.3])),
]
LOC, SCALE = 0.1, 1.3


def _value(f, *args):
    """f evaluated on traced arguments (a forward-mode pass with zero tangents)."""
    return wg.jvp(f, args, tuple(np.zeros_like(a) for a in args))[0]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name, shapes, x", CONTINUOUS, ids=[c[0] for c in CONTINUOUS])
def test_values_match_scipy(name, shapes, x, method):
    fn = getattr(getattr(S, name), method)
    ref = getattr(getattr(st, name), method)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = _value(lambda x: fn(x, *shapes, loc=LOC, scale=SCALE), x)
    want = ref(x, *shapes, loc=LOC, scale=SCALE)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert got.shape == want.shape
    # Plain input: SciPy's own result.
    np.testing.assert_array_equal(fn(x, *shapes, loc=LOC, scale=SCALE), want)


def _inside(name, x):
    z = (x - LOC) / SCALE
    if name in ("gamma", "chi2"):
        return x[z > 0]
    if name == "beta":
        return x[(z > 0) & (z < 1)]
    return x


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name, shapes, x", CONTINUOUS, ids=[c[0] for c in CONTINUOUS])
def test_grads_in_x_loc_scale(name, shapes, x, method):
    fn = getattr(getattr(S, name), method)
    xs = _inside(name, x)[:3]

    def f(x, loc, scale):
        return fn(x, *shapes, loc=loc, scale=scale)

    args = (xs, np.asarray(LOC), np.asarray(SCALE))
    check_grads(f, args, order=2, modes=("fwd", "rev"))
    check_jvp_vjp_consistency(f, args)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name, shapes, x", CONTINUOUS[1:], ids=[c[0] for c in CONTINUOUS[1:]])
def test_grads_in_shape_parameters(name, shapes, x, method):
    fn = getattr(getattr(S, name), method)
    xs = _inside(name, x)[:3]

    def f(*params):
        return fn(xs, *params, loc=LOC, scale=SCALE)

    check_grads(f, tuple(np.asarray(p) for p in shapes), order=2, modes=("fwd", "rev"))


def test_outside_the_support_has_zero_gradient():
    x = np.array([-1.0, 0.5])
    g = wg.grad(lambda x: wnp.sum(S.gamma.pdf(x, 2.0)))(x)
    assert g[0] == 0.0 and np.isfinite(g[1])
    gc = wg.grad(lambda x: wnp.sum(S.beta.cdf(x, 2.0, 3.0)))(np.array([-0.5, 0.3, 1.5]))
    np.testing.assert_allclose(gc, [0.0, st.beta.pdf(0.3, 2.0, 3.0), 0.0], rtol=1e-13)


def _richardson(f, p, h=0.05):
    """df/dp by central differences (steps h ... h/8), Richardson-extrapolated."""
    table = [[(f(p + h / 2**i) - f(p - h / 2**i)) / (2 * h / 2**i)] for i in range(4)]
    for i in range(1, 4):
        for j in range(1, i + 1):
            table[i].append(table[i][j - 1] + (table[i][j - 1] - table[i - 1][j - 1]) / (4**j - 1))
    return table[-1][-1]


@pytest.mark.parametrize(
    "fn, ref",
    [(lambda p: S.t.cdf(0.3, p), lambda p: st.t.cdf(0.3, p)),
     (lambda p: S.t.logsf(-4.0, p), lambda p: st.t.logsf(-4.0, p)),
     (lambda p: S.gamma.sf(0.3, p), lambda p: st.gamma.sf(0.3, p)),
     (lambda p: S.gamma.cdf(7.0, p, scale=2.0), lambda p: st.gamma.cdf(7.0, p, scale=2.0)),
     (lambda p: S.chi2.logcdf(0.3, p), lambda p: st.chi2.logcdf(0.3, p)),
     (lambda p: S.beta.cdf(0.3, p, 2.0), lambda p: st.beta.cdf(0.3, p, 2.0)),
     (lambda p: S.beta.logsf(0.3, 2.0, p), lambda p: st.beta.logsf(0.3, 2.0, p))],
    ids=["t.cdf", "t.logsf", "gamma.sf", "gamma.cdf", "chi2.logcdf", "beta.cdf", "beta.logsf"],
)
def test_cdf_grads_in_a_shape_parameter_match_differences(fn, ref):
    assert wg.grad(fn)(2.5) == pytest.approx(_richardson(ref, 2.5), rel=1e-9)


def test_norm_closed_forms():
    x, mu, sigma = 1.7, 0.4, 1.5
    g_mu, g_sigma = wg.grad(lambda m, s: S.norm.logpdf(x, loc=m, scale=s), argnums=(0, 1))(
        mu, sigma)
    assert g_mu == pytest.approx((x - mu) / sigma**2, rel=1e-14)
    assert g_sigma == pytest.approx((x - mu) ** 2 / sigma**3 - 1 / sigma, rel=1e-14)
    assert wg.grad(lambda x: S.norm.cdf(x, loc=mu, scale=sigma))(x) == pytest.approx(
        st.norm.pdf(x, mu, sigma), rel=1e-14)
    # Far tail: logcdf keeps its precision (log_ndtr), and so does its derivative.
    g = wg.grad(S.norm.logcdf)(-30.0)
    assert g == pytest.approx(st.norm.pdf(-30.0) / st.norm.cdf(-30.0), rel=1e-12)


def test_gamma_and_beta_closed_forms():
    x, a = 1.3, 2.5
    g = wg.grad(lambda a: S.gamma.logpdf(x, a))(a)
    assert g == pytest.approx(np.log(x) - sc.digamma(a), rel=1e-14)
    ga, gb = wg.grad(lambda a, b: S.beta.logpdf(0.3, a, b), argnums=(0, 1))(2.0, 3.0)
    assert ga == pytest.approx(np.log(0.3) - sc.digamma(2.0) + sc.digamma(5.0), rel=1e-14)
    assert gb == pytest.approx(np.log(0.7) - sc.digamma(3.0) + sc.digamma(5.0), rel=1e-14)


def test_poisson():
    k = np.array([-1, 0, 2, 5, 2.5])
    mu = 2.3
    for method in ("pmf", "logpmf", "cdf"):
        fn, ref = getattr(S.poisson, method), getattr(st.poisson, method)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = _value(lambda m, fn=fn: fn(k, m), np.asarray(mu))
        np.testing.assert_allclose(got, ref(k, mu), rtol=1e-12, atol=0)
        np.testing.assert_array_equal(fn(k, mu), ref(k, mu))
        check_grads(lambda m, fn=fn: fn(k[1:4], m), (np.asarray(mu),), order=2,
                    modes=("fwd", "rev"))
    g = wg.grad(lambda m: wnp.sum(S.poisson.logpmf(np.array([0, 2, 5]), m)))(mu)
    assert g == pytest.approx(np.sum(np.array([0, 2, 5]) / mu - 1), rel=1e-14)
    for kk in (0, 3):  # d/dmu P(K <= k) = -pmf(k)
        g = wg.grad(lambda m, kk=kk: S.poisson.cdf(kk, m))(mu)
        assert g == pytest.approx(-st.poisson.pmf(kk, mu), rel=1e-13)
    np.testing.assert_allclose(_value(lambda m: S.poisson.pmf(k, m, loc=1), np.asarray(mu)),
                               st.poisson.pmf(k, mu, loc=1), rtol=1e-12)


def test_dirichlet():
    alpha = np.array([1.5, 2.0, 0.7])
    x = np.array([0.2, 0.3, 0.5])
    points = np.array([[0.2, 0.1, 0.6], [0.3, 0.5, 0.1], [0.5, 0.4, 0.3]])  # columns
    for method in ("pdf", "logpdf"):
        fn, ref = getattr(S.dirichlet, method), getattr(st.dirichlet, method)
        for xx in (x, x[:2], points):
            got = _value(lambda a, fn=fn, xx=xx: fn(xx, a), alpha)
            np.testing.assert_allclose(got, ref(xx, alpha), rtol=1e-12)
        # x in the K - 1 form (the last component is 1 - sum), so that SciPy, which the
        # finite differences evaluate, sees points on the simplex.
        check_grads(lambda x, a, fn=fn: fn(x, a), (x[:2], alpha), order=2,
                    modes=("fwd", "rev"))
        check_grads(lambda x, fn=fn: fn(x, alpha), (points[:2],), order=2, modes=("fwd", "rev"))
    g = wg.grad(lambda a: S.dirichlet.logpdf(x, a))(alpha)
    np.testing.assert_allclose(g, np.log(x) - sc.digamma(alpha) + sc.digamma(alpha.sum()),
                               rtol=1e-13)


def _spd(k, seed):
    a = np.random.default_rng(seed).standard_normal((k, k))
    return a @ a.T + k * np.eye(k)


def test_multivariate_normal_values():
    k = 3
    cov, mean = _spd(k, 0), np.array([0.2, -0.1, 0.4])
    x = np.random.default_rng(1).standard_normal((4, k))
    for xx in (x, x[0]):
        for method in ("logpdf", "pdf"):
            fn, ref = getattr(S.multivariate_normal, method), getattr(st.multivariate_normal,
                                                                      method)
            got = _value(lambda m, fn=fn, xx=xx: fn(xx, m, cov), mean)
            np.testing.assert_allclose(got, ref(xx, mean, cov), rtol=1e-12)
            assert np.shape(got) == np.shape(ref(xx, mean, cov))
    got = _value(lambda c: S.multivariate_normal.entropy(mean, c), cov)
    np.testing.assert_allclose(got, st.multivariate_normal.entropy(mean, cov), rtol=1e-12)
    for c in (2.0, np.array([1.0, 2.0, 0.5])):  # a scalar and a diagonal covariance
        got = _value(lambda m, c=c: S.multivariate_normal.logpdf(x, m, c), mean)
        np.testing.assert_allclose(got, st.multivariate_normal.logpdf(x, mean, c), rtol=1e-12)


def test_multivariate_normal_grads():
    k = 2
    cov, mean = _spd(k, 2), np.array([0.3, -0.2])
    x = np.random.default_rng(3).standard_normal((2, k))
    for method in ("logpdf", "pdf"):
        fn = getattr(S.multivariate_normal, method)

        # cov = (c + cᵀ)/2: the finite differences evaluate SciPy, which needs a symmetric cov.
        def f(x, m, c, fn=fn):
            return fn(x, m, (c + wnp.swapaxes(c, 0, 1)) / 2)

        check_grads(f, (x, mean, cov), order=2, modes=("fwd", "rev"))
        check_jvp_vjp_consistency(f, (x, mean, cov))
    check_grads(lambda c: S.multivariate_normal.entropy(mean, (c + wnp.swapaxes(c, 0, 1)) / 2),
                (cov,), order=2, modes=("fwd", "rev"))
    # Closed forms: d/dμ = Σ⁻¹ (x − μ), d/dΣ = (Σ⁻¹ d dᵀ Σ⁻¹ − Σ⁻¹) / 2, d entropy / dΣ = Σ⁻¹/2.
    inv = np.linalg.inv(cov)
    d = x[0] - mean
    g_mean, g_cov = wg.grad(lambda m, c: S.multivariate_normal.logpdf(x[0], m, c),
                            argnums=(0, 1))(mean, cov)
    np.testing.assert_allclose(g_mean, inv @ d, rtol=1e-12)
    np.testing.assert_allclose(g_cov, (inv @ np.outer(d, d) @ inv - inv) / 2, rtol=1e-12,
                               atol=1e-15)
    g = wg.grad(lambda c: S.multivariate_normal.entropy(mean, c))(cov)
    np.testing.assert_allclose(g, inv / 2, rtol=1e-12, atol=1e-15)
