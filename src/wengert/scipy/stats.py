"""``wengert.scipy.stats``: differentiable densities and distribution functions.

``norm``, ``t``, ``gamma``, ``beta``, ``chi2`` (``pdf logpdf cdf logcdf sf logsf``, with
``loc`` and ``scale`` and SciPy's shape-parameter names), ``poisson`` (``pmf logpmf cdf``),
``dirichlet`` (``pdf logpdf``) and ``multivariate_normal`` (``logpdf pdf entropy``). Each is
a composition of ``wengert.numpy`` and ``wengert.scipy.special``, so it has no rules of its
own and is differentiable to any order wherever its pieces are. With no traced argument each
method calls SciPy and returns exactly SciPy's result.

The distribution functions (``cdf``, ``sf`` and their logs) of ``t``, ``gamma``, ``beta`` and
``chi2`` are regularised incomplete beta/gamma functions: in their *shape* parameters (``df``,
``a``, ``b``) they have no closed-form derivative, and ``wengert.scipy.special`` evaluates it
by quadrature (about 1e-12 relative); in ``x``, ``loc`` and ``scale`` they are exact. What is
not differentiable: ``poisson``'s ``k``, an integer. Outside the
support a density is 0 (log density ``-inf``) with derivative 0; ``logcdf``/``logsf`` are the
logs of ``cdf``/``sf`` (as SciPy computes them), except ``norm``, which uses ``log_ndtr``.
Imports: ``wengert.numpy``, ``wengert.scipy.special``, NumPy and SciPy.
"""

from __future__ import annotations

import abc
import math

import numpy as np
import scipy.stats as _st

from .. import numpy as wnp
from ..core.errors import WengertValueError
from ..core.tracer import Tracer
from . import special as sp

__all__ = ["beta", "chi2", "dirichlet", "gamma", "multivariate_normal", "norm", "poisson", "t"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LN2 = math.log(2.0)


def _traced(*xs) -> bool:
    return any(isinstance(x, Tracer) for x in xs)


class _Continuous(abc.ABC):
    """A location-scale family: ``f(x; shapes, loc, scale) = f0((x - loc) / scale) / scale``.

    Subclasses give ``_logpdf``, ``_cdf`` and ``_sf`` of the standard form on its support
    ``[lower, upper]``; ``_safe`` is a point inside the support, substituted outside it so
    that the formulas there never produce NaN (and so no NaN reaches a gradient).
    """

    name = ""
    shapes: tuple = ()
    lower = -np.inf
    upper = np.inf
    safe = 0.0

    @abc.abstractmethod
    def _logpdf(self, z, *shape):
        """Log-density of the standard form at ``z`` (inside the support)."""

    @abc.abstractmethod
    def _cdf(self, z, *shape):
        """Distribution function of the standard form at ``z``."""

    @abc.abstractmethod
    def _sf(self, z, *shape):
        """Survival function of the standard form at ``z``."""

    def _logcdf(self, z, *shape):
        return wnp.log(self._cdf(z, *shape))

    def _logsf(self, z, *shape):
        return wnp.log(self._sf(z, *shape))

    def _args(self, method, x, args, loc, scale):
        if len(args) != len(self.shapes):
            raise TypeError(
                f"wengert.scipy.stats.{self.name}.{method}: expected the shape parameter(s) "
                f"{', '.join(self.shapes) or '(none)'} after x, but got {len(args)} "
                "positional argument(s)."
            )
        z = (x - loc) / scale
        below = z < self.lower
        inside = ~below & (z <= self.upper)
        if isinstance(inside, Tracer) or np.all(inside):
            return z, inside, below
        return wnp.where(inside, z, self.safe), inside, below

    def _plain(self, method, x, args, loc, scale):
        return getattr(getattr(_st, self.name), method)(x, *args, loc=loc, scale=scale)

    def logpdf(self, x, *args, loc=0.0, scale=1.0):
        """Return the log density at ``x``: ``-inf`` outside the support."""
        if not _traced(x, *args, loc, scale):
            return self._plain("logpdf", x, args, loc, scale)
        z, inside, _ = self._args("logpdf", x, args, loc, scale)
        return wnp.where(inside, self._logpdf(z, *args), -np.inf) - wnp.log(scale)

    def pdf(self, x, *args, loc=0.0, scale=1.0):
        """Return the density at ``x``: ``exp(logpdf)``, 0 outside the support."""
        if not _traced(x, *args, loc, scale):
            return self._plain("pdf", x, args, loc, scale)
        return wnp.exp(self.logpdf(x, *args, loc=loc, scale=scale))

    def _tail(self, method, x, args, loc, scale, below, above):
        if not _traced(x, *args, loc, scale):
            return self._plain(method, x, args, loc, scale)
        z, inside, lower = self._args(method, x, args, loc, scale)
        value = getattr(self, f"_{method}")(z, *args)
        if isinstance(inside, Tracer) or np.all(inside):
            return value
        return wnp.where(inside, value, wnp.where(lower, below, above))

    def cdf(self, x, *args, loc=0.0, scale=1.0):
        """Return the distribution function P(X <= x)."""
        return self._tail("cdf", x, args, loc, scale, 0.0, 1.0)

    def logcdf(self, x, *args, loc=0.0, scale=1.0):
        """Return log P(X <= x)."""
        return self._tail("logcdf", x, args, loc, scale, -np.inf, 0.0)

    def sf(self, x, *args, loc=0.0, scale=1.0):
        """Return the survival function P(X > x) = 1 - cdf."""
        return self._tail("sf", x, args, loc, scale, 1.0, 0.0)

    def logsf(self, x, *args, loc=0.0, scale=1.0):
        """Return log P(X > x)."""
        return self._tail("logsf", x, args, loc, scale, 0.0, -np.inf)


class _Norm(_Continuous):
    """The normal distribution N(loc, scale²) (as ``scipy.stats.norm``).

    ``logcdf`` and ``logsf`` use ``log_ndtr``, accurate far in the tails, and every method
    is differentiable in ``x``, ``loc`` and ``scale`` to any order.

    Examples
    --------
    >>> import wengert as wg
    >>> from wengert.scipy import stats
    >>> float(wg.grad(lambda m: stats.norm.logpdf(1.0, loc=m, scale=2.0))(0.0))  # (x-μ)/σ²
    0.25
    """

    name = "norm"

    def _logpdf(self, z):
        return -(z * z) / 2.0 - _LOG_SQRT_2PI

    def _cdf(self, z):
        return sp.ndtr(z)

    def _sf(self, z):
        return sp.ndtr(-z)

    def _logcdf(self, z):
        return sp.log_ndtr(z)

    def _logsf(self, z):
        return sp.log_ndtr(-z)


class _T(_Continuous):
    """Student's t distribution with ``df`` degrees of freedom (as ``scipy.stats.t``).

    ``cdf``/``sf`` are ``stdtr``: exact in ``x``, by quadrature in ``df``.
    """

    name = "t"
    shapes = ("df",)

    def _logpdf(self, z, df):
        return (sp.gammaln((df + 1) / 2) - sp.gammaln(df / 2)
                - 0.5 * (wnp.log(df) + math.log(math.pi))
                - (df + 1) / 2 * wnp.log1p(z * z / df))

    def _cdf(self, z, df):
        return sp.stdtr(df, z)

    def _sf(self, z, df):
        return sp.stdtr(df, -z)


class _Gamma(_Continuous):
    """The gamma distribution with shape ``a`` (as ``scipy.stats.gamma``), support x >= 0.

    ``cdf``/``sf`` are ``gammainc``/``gammaincc``: exact in ``x``, by quadrature in ``a``.
    """

    name = "gamma"
    shapes = ("a",)
    lower = 0.0
    safe = 1.0

    def _logpdf(self, z, a):
        return sp.xlogy(a - 1.0, z) - z - sp.gammaln(a)

    def _cdf(self, z, a):
        return sp.gammainc(a, z)

    def _sf(self, z, a):
        return sp.gammaincc(a, z)


class _Chi2(_Continuous):
    """The chi-squared distribution with ``df`` degrees of freedom (as ``scipy.stats.chi2``).

    ``cdf``/``sf`` are ``gammainc(df/2, x/2)``: exact in ``x``, by quadrature in ``df``.
    """

    name = "chi2"
    shapes = ("df",)
    lower = 0.0
    safe = 1.0

    def _logpdf(self, z, df):
        return sp.xlogy(df / 2 - 1, z) - z / 2 - sp.gammaln(df / 2) - (_LN2 * df) / 2

    def _cdf(self, z, df):
        return sp.gammainc(df / 2, z / 2)

    def _sf(self, z, df):
        return sp.gammaincc(df / 2, z / 2)


class _Beta(_Continuous):
    """The beta distribution with shapes ``a``, ``b`` (as ``scipy.stats.beta``), on [0, 1].

    ``cdf``/``sf`` are ``betainc``/``betaincc``: exact in ``x``, by quadrature in ``a``, ``b``.
    """

    name = "beta"
    shapes = ("a", "b")
    lower = 0.0
    upper = 1.0
    safe = 0.5

    def _logpdf(self, z, a, b):
        return sp.xlog1py(b - 1.0, -z) + sp.xlogy(a - 1.0, z) - sp.betaln(a, b)

    def _cdf(self, z, a, b):
        return sp.betainc(a, b, z)

    def _sf(self, z, a, b):
        return sp.betaincc(a, b, z)


class _Poisson:
    """The Poisson distribution with mean ``mu`` (as ``scipy.stats.poisson``).

    ``k`` is an integer count (no derivative); ``pmf``, ``logpmf`` and ``cdf`` are
    differentiable in ``mu`` to any order (``cdf = gammaincc(floor(k) + 1, mu)``).

    Examples
    --------
    >>> import wengert as wg
    >>> from wengert.scipy import stats
    >>> float(wg.grad(lambda mu: stats.poisson.logpmf(3, mu))(2.0))  # k/mu - 1
    0.5
    """

    def logpmf(self, k, mu, loc=0):
        """Return log P(K = k): ``-inf`` where ``k - loc`` is not a non-negative integer."""
        if not _traced(k, mu, loc):
            return _st.poisson.logpmf(k, mu, loc=loc)
        k = _constant(k, "poisson.logpmf", "k") - loc
        valid = (k >= 0) & (k == np.floor(k))
        ks = np.where(valid, k, 0.0)
        return wnp.where(valid, sp.xlogy(ks, mu) - sp.gammaln(ks + 1) - mu, -np.inf)

    def pmf(self, k, mu, loc=0):
        """Return P(K = k) = exp(logpmf)."""
        if not _traced(k, mu, loc):
            return _st.poisson.pmf(k, mu, loc=loc)
        return wnp.exp(self.logpmf(k, mu, loc))

    def cdf(self, k, mu, loc=0):
        """Return P(K <= k) = gammaincc(floor(k - loc) + 1, mu); 0 for k < loc."""
        if not _traced(k, mu, loc):
            return _st.poisson.cdf(k, mu, loc=loc)
        k = np.floor(_constant(k, "poisson.cdf", "k") - loc)
        valid = k >= 0
        return wnp.where(valid, sp.gammaincc(np.where(valid, k, 0.0) + 1, mu), 0.0)


def _constant(x, fn, arg):
    """An integer-valued argument (a count): its plain value; it carries no derivative."""
    if isinstance(x, Tracer):
        x = wnp.stop_gradient(x)
        if isinstance(x, Tracer):
            raise WengertValueError(
                f"wengert.scipy.stats.{fn}: {arg} must not vary across a vmap batch here "
                "(it is an integer count); map over mu only, or call it outside vmap."
            )
    return np.asarray(x, dtype=np.float64)


class _Dirichlet:
    """The Dirichlet distribution with concentrations ``alpha`` (as ``scipy.stats.dirichlet``).

    As in SciPy, the components of ``x`` run along its *first* axis (K entries, or K - 1 with
    the last taken as 1 - sum); further axes index points. ``logpdf`` and ``pdf`` are
    differentiable in ``x`` and ``alpha`` to any order.

    Examples
    --------
    >>> import numpy as np, wengert as wg
    >>> from wengert.scipy import stats
    >>> float(stats.dirichlet.pdf(np.array([0.2, 0.3, 0.5]), np.ones(3)))  # uniform: 2!
    2.0
    """

    def logpdf(self, x, alpha):
        """Return the log density ``sum (alpha_i - 1) log x_i - log B(alpha)``."""
        if not _traced(x, alpha):
            return _st.dirichlet.logpdf(x, alpha)
        k = np.shape(alpha)[0]
        if np.ndim(alpha) != 1 or np.shape(x)[0] not in (k, k - 1):
            raise WengertValueError(
                "wengert.scipy.stats.dirichlet.logpdf: alpha must be a vector of K "
                f"concentrations and x must have K or K - 1 rows (components first); got "
                f"alpha of shape {np.shape(alpha)} and x of shape {np.shape(x)}."
            )
        x = wnp.asarray(x)
        if x.shape[0] == k - 1:
            x = wnp.concatenate([x, 1 - wnp.sum(x, axis=0, keepdims=True)], axis=0)
        lnb = wnp.sum(sp.gammaln(alpha)) - sp.gammaln(wnp.sum(alpha))
        a = wnp.reshape(alpha, (k,) + (1,) * (x.ndim - 1))
        return wnp.sum(sp.xlogy(a - 1, x), axis=0) - lnb

    def pdf(self, x, alpha):
        """Return the density ``exp(logpdf)``."""
        if not _traced(x, alpha):
            return _st.dirichlet.pdf(x, alpha)
        return wnp.exp(self.logpdf(x, alpha))


class _MultivariateNormal:
    """The multivariate normal N(mean, cov) (as ``scipy.stats.multivariate_normal``).

    ``x`` has shape (..., k) (a point per leading index); ``mean`` a k-vector (default 0);
    ``cov`` a k×k symmetric positive-definite matrix, a vector (its diagonal) or a scalar
    (times the identity). Computed through the Cholesky factor of the symmetrised ``cov``,
    so the gradient in ``cov`` is symmetric; differentiable in ``x``, ``mean`` and ``cov``
    to any order.

    Examples
    --------
    >>> import numpy as np, wengert as wg
    >>> from wengert.scipy import stats
    >>> cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    >>> g = wg.grad(lambda m: stats.multivariate_normal.logpdf(np.zeros(2), m, cov))(np.ones(2))
    >>> np.allclose(g, np.linalg.solve(cov, -np.ones(2)))  # Σ⁻¹ (x - μ)
    True
    """

    def _cov(self, cov, k):
        cov = wnp.asarray(cov)
        if cov.ndim == 0:
            return cov * np.eye(k)
        if cov.ndim == 1:
            return wnp.diag(cov)
        return (cov + wnp.swapaxes(cov, -1, -2)) / 2

    def _factor(self, mean, cov, k):
        chol = wnp.linalg.cholesky(self._cov(cov, k))
        logdet = 2 * wnp.sum(wnp.log(wnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
        return chol, logdet

    def logpdf(self, x, mean=None, cov=1):
        """Return ``-(k log 2π + log det cov + (x - μ)ᵀ cov⁻¹ (x - μ)) / 2``."""
        if not _traced(x, mean, cov):
            return _st.multivariate_normal.logpdf(x, mean, cov)
        x = wnp.asarray(x)
        k = x.shape[-1] if x.ndim else 1
        if x.ndim == 0:
            x = wnp.reshape(x, (1,))
        mean = np.zeros(k) if mean is None else mean
        chol, logdet = self._factor(mean, cov, k)
        d = x - mean
        flat = wnp.reshape(d, (-1, k))
        z = wnp.linalg.solve(chol, wnp.swapaxes(flat, 0, 1))
        maha = wnp.reshape(wnp.sum(z * z, axis=0), d.shape[:-1])
        return -0.5 * (k * math.log(2 * math.pi) + logdet + maha)

    def pdf(self, x, mean=None, cov=1):
        """Return the density ``exp(logpdf)``."""
        if not _traced(x, mean, cov):
            return _st.multivariate_normal.pdf(x, mean, cov)
        return wnp.exp(self.logpdf(x, mean, cov))

    def entropy(self, mean=None, cov=1):
        """Return the differential entropy ``(k (1 + log 2π) + log det cov) / 2``."""
        if not _traced(mean, cov):
            return _st.multivariate_normal.entropy(mean, cov)
        c = wnp.asarray(cov)
        k = c.shape[-1] if c.ndim else (np.shape(mean)[-1] if mean is not None else 1)
        _, logdet = self._factor(mean, cov, k)
        return 0.5 * (k * (1 + math.log(2 * math.pi)) + logdet)


norm = _Norm()
t = _T()
gamma = _Gamma()
chi2 = _Chi2()
beta = _Beta()
poisson = _Poisson()
dirichlet = _Dirichlet()
multivariate_normal = _MultivariateNormal()
