"""Spectra from matvecs: Lanczos with full reorthogonalisation, power iteration with deflation,
and the spectral density by stochastic Lanczos quadrature (SLQ).

Lanczos builds an orthonormal Krylov basis Q and the tridiagonal T = QᵀAQ; the eigenvalues of
T (Ritz values) approximate A's extreme eigenvalues, and ``eigh`` of T gives Ritz vectors Q S.
Every new vector is orthogonalised against the whole basis (twice), so the Ritz values carry
no spurious copies. Imports: curvature.operators, core.errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.errors import WengertValueError
from .operators import as_operator

_METHODS = ("lanczos", "power")


@dataclass(frozen=True)
class Eigenpairs:
    """Eigenvalues (decreasing absolute value), their eigenvectors and the matvecs spent.

    ``eigenvectors[i]`` belongs to ``eigenvalues[i]``: a pytree shaped like ``x`` for a
    function, a row of a (k, n) array for an operator. Unpacks as
    ``values, vectors = top_eigenvalues(...)``.
    """

    eigenvalues: np.ndarray
    eigenvectors: Any
    num_matvecs: int

    def __iter__(self):
        return iter((self.eigenvalues, self.eigenvectors))


def lanczos(op, start: np.ndarray, num_steps: int):
    """Return (alpha, beta, Q) of ``num_steps`` Lanczos steps from ``start``.

    ``alpha`` (length s) and ``beta`` (length s − 1) are T's diagonal and off-diagonal, Q is
    n × s with orthonormal columns; s < ``num_steps`` when an invariant subspace is found.
    Cost: s matvecs and O(n s²) work for the full reorthogonalisation.
    """
    n = op.size
    basis = np.zeros((n, num_steps))
    alpha, beta = [], []
    q = start / np.linalg.norm(start)
    scale = 0.0
    for j in range(num_steps):
        basis[:, j] = q
        w = np.asarray(op.matvec(q), dtype=np.float64)
        a = float(q @ w)
        alpha.append(a)
        # Classical Gram-Schmidt against the whole basis, done twice ("twice is enough").
        for _ in range(2):
            w = w - basis[:, : j + 1] @ (basis[:, : j + 1].T @ w)
        b = float(np.linalg.norm(w))
        scale = max(scale, abs(a), b)
        if j == num_steps - 1 or b <= 1e-12 * max(scale, 1e-300):
            break
        beta.append(b)
        q = w / b
    s = len(alpha)
    return np.array(alpha), np.array(beta), basis[:, :s]


def _tridiagonal(alpha, beta):
    return np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)


def _rows_to_output(op, rows):
    if op.unravel is None:
        return rows
    return [op.unravel(row) for row in rows]


def top_eigenvalues(f, x=None, k: int = 1, method: str = "lanczos",
                    rng: np.random.Generator | None = None,
                    num_iters: int | None = None, tol: float = 1e-10) -> Eigenpairs:
    """Return the k eigenvalues of largest absolute value of A (a Hessian or an operator).

    ``method="lanczos"``: ``num_iters`` Lanczos steps (default min(n, max(2k + 20, 40)))
    from a Gaussian start, eigh of the tridiagonal, the k Ritz pairs of largest |θ|. Cost:
    ``num_iters`` matvecs (fewer on breakdown); extreme eigenvalues converge geometrically in
    the gap ratio, and with ``num_iters = n`` they are exact to rounding.

    ``method="power"``: power iteration on A − Σ λ_j u_j u_jᵀ (Hotelling deflation), one
    eigenpair after another, each until the Rayleigh quotient changes by less than ``tol``
    relative or ``num_iters`` steps (default 1000). Cost: up to k·``num_iters`` matvecs;
    convergence factor |λ_{i+1}/λ_i| per step, so it is slow for close eigenvalues.

    Parameters
    ----------
    f : callable, LinearOperator or square array
    x : pytree, optional
        The point for a function; omitted for an operator.
    k : int
    method : {"lanczos", "power"}
    rng : numpy.random.Generator, optional
        Source of the start vectors; ``np.random.default_rng(0)`` when omitted.
    num_iters : int, optional
    tol : float
        Power iteration's stopping tolerance.

    Returns
    -------
    Eigenpairs
        ``eigenvalues`` ordered by decreasing absolute value, ``eigenvectors`` (pytrees shaped
        like ``x`` for a function, rows of a (k, n) array for an operator), ``num_matvecs``.

    Examples
    --------
    >>> import numpy as np
    >>> from wengert.curvature import top_eigenvalues
    >>> values, vectors = top_eigenvalues(np.diag([1.0, -5.0, 3.0]), k=2)
    >>> values.round(12)
    array([-5.,  3.])
    """
    op = as_operator("top_eigenvalues", f, x)
    rng = np.random.default_rng(0) if rng is None else rng
    n = op.size
    if method not in _METHODS:
        raise WengertValueError(
            f"top_eigenvalues: method must be one of {_METHODS}, but received {method!r}."
        )
    if int(k) != k or not 1 <= k <= n:
        raise WengertValueError(
            f"top_eigenvalues: k must be an integer in [1, {n}] (the dimension), but received "
            f"{k!r}."
        )
    k = int(k)
    if method == "lanczos":
        steps = min(n, max(2 * k + 20, 40)) if num_iters is None else min(int(num_iters), n)
        if steps < k:
            raise WengertValueError(
                f"top_eigenvalues: Lanczos needs num_iters >= k = {k}, but received {num_iters}."
            )
        alpha, beta, basis = lanczos(op, rng.standard_normal(n), steps)
        theta, s = np.linalg.eigh(_tridiagonal(alpha, beta))
        order = np.argsort(-np.abs(theta), kind="stable")[:k]
        vectors = (basis @ s[:, order]).T
        return Eigenpairs(theta[order], _rows_to_output(op, vectors), len(alpha))
    iters = 1000 if num_iters is None else int(num_iters)
    values, vectors, spent = [], [], 0
    for _ in range(k):
        found = np.array(vectors).reshape(len(vectors), n)
        v = rng.standard_normal(n)
        v = v - found.T @ (found @ v)
        v = v / np.linalg.norm(v)
        lam = 0.0
        for _ in range(iters):
            w = np.asarray(op.matvec(v), dtype=np.float64)
            spent += 1
            # Deflation: remove the found eigenpairs, and keep v orthogonal to them.
            w = w - found.T @ (np.array(values) * (found @ v))
            w = w - found.T @ (found @ w)
            new = float(v @ w)
            norm = np.linalg.norm(w)
            if norm == 0.0:
                lam = 0.0
                break
            v = w / norm
            done = abs(new - lam) <= tol * max(abs(new), 1e-300)
            lam = new
            if done:
                break
        values.append(lam)
        vectors.append(v)
    values = np.array(values)
    order = np.argsort(-np.abs(values), kind="stable")
    rows = np.array(vectors)[order]
    return Eigenpairs(values[order], _rows_to_output(op, rows), spent)


def spectral_density(f, x=None, num_points: int = 500, num_starts: int = 10,
                     lanczos_steps: int = 30, sigma: float | None = None,
                     rng: np.random.Generator | None = None):
    """Return (grid, density): A's eigenvalue density by stochastic Lanczos quadrature.

    For each of ``num_starts`` Rademacher starts v, ``lanczos_steps`` Lanczos steps give
    nodes θ_i (T's eigenvalues) and weights τ_i = (first component of T's i-th eigenvector)²;
    the density is the average over starts of Σ_i τ_i N(t; θ_i, σ²), normalised on the grid
    to integrate to 1. Its mean and second moment estimate tr(A)/n and ‖A‖_F²/n (+σ²) with
    variance O(1/(n · num_starts)) for Rademacher starts. ``sigma`` defaults to 1% of the
    spread of the nodes (or 1e-3 for a single node).

    Cost: ``num_starts`` × ``lanczos_steps`` matvecs.

    Examples
    --------
    >>> import numpy as np
    >>> from wengert.curvature import spectral_density
    >>> grid, density = spectral_density(np.diag([1.0, 2.0, 3.0]), num_starts=2)
    >>> round(float(np.trapezoid(density, grid)), 6)
    1.0
    """
    op = as_operator("spectral_density", f, x)
    rng = np.random.default_rng(0) if rng is None else rng
    n = op.size
    for name, value in (("num_points", num_points), ("num_starts", num_starts),
                        ("lanczos_steps", lanczos_steps)):
        if int(value) != value or value < 1:
            raise WengertValueError(
                f"spectral_density: {name} must be a positive integer, but received {value!r}."
            )
    nodes, weights = [], []
    for _ in range(int(num_starts)):
        start = rng.choice(np.array([-1.0, 1.0]), size=n)
        alpha, beta, _ = lanczos(op, start, min(int(lanczos_steps), n))
        theta, s = np.linalg.eigh(_tridiagonal(alpha, beta))
        nodes.append(theta)
        weights.append(s[0, :] ** 2 / num_starts)
    nodes, weights = np.concatenate(nodes), np.concatenate(weights)
    spread = float(nodes.max() - nodes.min())
    if sigma is None:
        sigma = 0.01 * spread if spread > 0 else 1e-3
    if not sigma > 0:
        raise WengertValueError(
            f"spectral_density: sigma must be positive, but received {sigma!r}."
        )
    pad = 5.0 * sigma
    grid = np.linspace(nodes.min() - pad, nodes.max() + pad, int(num_points))
    diffs = (grid[:, None] - nodes[None, :]) / sigma
    density = np.exp(-0.5 * diffs**2) @ weights / (sigma * np.sqrt(2.0 * np.pi))
    density = density / np.trapezoid(density, grid)
    return grid, density
