"""Trace and diagonal estimates from matvecs: Hutchinson (Rademacher/Gaussian probes), Hutch++.

Every estimate is a frozen :class:`CurvatureEstimate` with the estimate, its standard error
(from the spread of the per-probe samples) and the number of matvecs spent. Probes go to the
operator as one (n, k) block, so for a function they are one vmapped HVP.
Imports: curvature.operators, core.errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import WengertValueError
from .operators import as_operator

_PROBES = ("rademacher", "gaussian")
_METHODS = ("hutchinson", "hutch++")


@dataclass(frozen=True)
class CurvatureEstimate:
    """A randomised estimate: ``estimate``, its standard error and the matvecs it cost."""

    estimate: Any
    stderr: Any
    num_matvecs: int


def _probes(name, probe, rng, n, k, dtype):
    if probe not in _PROBES:
        raise WengertValueError(
            f"{name}: probe must be one of {_PROBES}, but received {probe!r}."
        )
    if probe == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(n, k)).astype(dtype)
    return rng.standard_normal((n, k)).astype(dtype)


def _check_count(name, num_probes, least):
    if int(num_probes) != num_probes or num_probes < least:
        raise WengertValueError(
            f"{name}: num_probes must be an integer >= {least}, but received {num_probes!r}; "
            "the standard error needs at least two samples."
        )
    return int(num_probes)


def trace(f, x=None, num_probes: int = 30, method: str = "hutchinson",
          probe: str = "rademacher", rng: np.random.Generator | None = None
          ) -> CurvatureEstimate:
    """Estimate tr(A) for the Hessian of ``f`` at ``x``, or for a LinearOperator ``f``.

    ``method="hutchinson"``: the mean of zᵀAz over ``num_probes`` = m probes with E[zzᵀ] = I.
    Variance of the estimate: 2‖A‖_F²/m for Gaussian probes, 2(‖A‖_F² − Σ A_ii²)/m for
    Rademacher probes; ``stderr`` is the sample standard deviation over √m.

    ``method="hutch++"`` (Meyer, Musco, Musco, Woodruff 2021): a sketch Q = orth(A S) from
    k = m//3 probes, the exact tr(QᵀAQ), plus Hutchinson with m − 2k probes on the deflated
    remainder (I − QQᵀ)A(I − QQᵀ). For PSD A its error falls as 1/m rather than 1/√m;
    ``stderr`` comes from the remainder's samples.

    Cost: m matvecs (HVPs for a function), as at most three batched blocks.

    Parameters
    ----------
    f : callable, LinearOperator or square array
        Scalar function (then ``x`` is the point, any pytree), or the operator itself.
    x : pytree, optional
        The point; omitted for an operator.
    num_probes : int
        Matvecs to spend, m (>= 2; >= 4 for hutch++).
    method : {"hutchinson", "hutch++"}
    probe : {"rademacher", "gaussian"}
    rng : numpy.random.Generator, optional
        Source of the probes; ``np.random.default_rng(0)`` when omitted.

    Returns
    -------
    CurvatureEstimate
        ``estimate`` (float), ``stderr``, ``num_matvecs``.

    Examples
    --------
    >>> import numpy as np
    >>> from wengert.curvature import trace
    >>> r = trace(np.diag([1.0, 2.0, 3.0]), num_probes=4)
    >>> float(r.estimate), r.num_matvecs   # Rademacher probes are exact on a diagonal
    (6.0, 4)
    """
    op = as_operator("trace", f, x)
    rng = np.random.default_rng(0) if rng is None else rng
    if method not in _METHODS:
        raise WengertValueError(
            f"trace: method must be one of {_METHODS}, but received {method!r}."
        )
    m = _check_count("trace", num_probes, 4 if method == "hutch++" else 2)
    n = op.size
    dtype = np.float64
    if method == "hutchinson":
        z = _probes("trace", probe, rng, n, m, dtype)
        samples = np.einsum("ij,ij->j", z, op.matmat(z))
        return CurvatureEstimate(float(samples.mean()), float(samples.std(ddof=1) / np.sqrt(m)),
                                 m)
    k = m // 3
    rest = m - 2 * k
    s = _probes("trace", probe, rng, n, k, dtype)
    q, _ = np.linalg.qr(op.matmat(s))
    exact = float(np.einsum("ij,ij->", q, op.matmat(q)))
    g = _probes("trace", probe, rng, n, rest, dtype)
    g = g - q @ (q.T @ g)
    samples = np.einsum("ij,ij->j", g, op.matmat(g))
    return CurvatureEstimate(exact + float(samples.mean()),
                             float(samples.std(ddof=1) / np.sqrt(rest)), m)


def diagonal(f, x=None, num_probes: int = 30, probe: str = "rademacher",
             rng: np.random.Generator | None = None) -> CurvatureEstimate:
    """Estimate diag(A) by Hutchinson's diagonal estimator, the mean of z ⊙ (A z).

    Unbiased for probes with E[zzᵀ] = I. Variance of entry i: Σ_{j≠i} A_ij² / m for
    Rademacher probes, (‖A_i‖² + A_ii²) / m for Gaussian ones; ``stderr`` is the per-entry
    sample standard deviation over √m. Cost: m = ``num_probes`` matvecs, one batched block.

    For a function, ``estimate`` and ``stderr`` are pytrees shaped like ``x``; for an
    operator, vectors of length n.

    Examples
    --------
    >>> import numpy as np
    >>> from wengert.curvature import diagonal
    >>> diagonal(np.diag([1.0, 2.0]), num_probes=3).estimate
    array([1., 2.])
    """
    op = as_operator("diagonal", f, x)
    rng = np.random.default_rng(0) if rng is None else rng
    m = _check_count("diagonal", num_probes, 2)
    z = _probes("diagonal", probe, rng, op.size, m, np.float64)
    samples = z * op.matmat(z)
    estimate = samples.mean(axis=1)
    stderr = samples.std(axis=1, ddof=1) / np.sqrt(m)
    if op.unravel is not None:
        estimate, stderr = op.unravel(estimate), op.unravel(stderr)
    return CurvatureEstimate(estimate, stderr, m)
