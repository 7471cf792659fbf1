"""Gradient estimates from function values only: random directions and coordinate differences.

Four estimators of ∇f(x) that never differentiate ``f``: the two-point estimator along random
directions uniform on the unit sphere, Gaussian smoothing (Nesterov–Spokoiny), and forward and
central coordinate differences. Each returns a frozen :class:`GradientEstimate` that records the
function evaluations it spent. ``x`` may be any pytree of floating arrays; it is raveled into
one vector with :func:`wengert.tree.ravel`. Imports: NumPy, ``wengert.core`` and
``wengert.tree``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.errors import WengertTypeError, WengertValueError, describe
from ..transforms._api import ravel_floats

__all__ = ["METHODS", "GradientEstimate", "gradient"]

METHODS = ("sphere", "gaussian", "forward", "central")
_RANDOM = ("sphere", "gaussian")

# Default steps: a central (or two-point) difference balances an O(eps²) truncation error
# against an O(macheps/eps) rounding error at eps ≈ macheps^(1/3); a one-sided difference has
# an O(eps) truncation error, balanced at eps ≈ macheps^(1/2).
_EPS_TWO_SIDED = float(np.finfo(np.float64).eps ** (1 / 3))
_EPS_ONE_SIDED = float(np.finfo(np.float64).eps ** (1 / 2))


@dataclasses.dataclass(frozen=True)
class GradientEstimate:
    """A zero-order gradient estimate and what it cost.

    Attributes
    ----------
    estimate
        The estimated gradient, a pytree shaped like ``x``.
    stderr
        The standard error of each entry of ``estimate`` (shaped like ``x``): the sample
        standard deviation of the per-direction estimates over √num_directions. ``None`` for
        the deterministic coordinate methods and for a single random direction. With
        ``orthogonal=True`` the directions are negatively correlated, so it is conservative.
    num_evals
        The number of evaluations of ``f`` spent.
    method
        The estimator used.
    """

    estimate: Any
    stderr: Any
    num_evals: int
    method: str


def gradient(
    f: Callable[[Any], Any],
    x: Any,
    method: str = "sphere",
    *,
    eps: float | None = None,
    num_directions: int = 1,
    antithetic: bool = True,
    orthogonal: bool = False,
    rng: np.random.Generator | None = None,
) -> GradientEstimate:
    """Estimate ∇f(x) from values of ``f`` only.

    With d the number of entries of ``x``, m = ``num_directions``, g = ∇f(x) and
    Δ_v = (f(x + εv) − f(x − εv)) / (2ε) the two-point difference along v:

    - ``"sphere"``: G = (d/m) Σ_j Δ_{v_j} v_j with v_j uniform on the unit sphere (the
      lecture's two-point estimator). Cost 2m evaluations. Since E[v vᵀ] = I/d it is unbiased
      up to the O(ε²) difference error, which vanishes on quadratics (there Δ_v = vᵀg
      exactly). On a quadratic the error E‖G − g‖² is (d − 1)‖g‖²/m for independent
      directions, and (d/m − 1)‖g‖² for orthogonal ones (m ≤ d; exact when m = d).
    - ``"gaussian"``: G = (1/m) Σ_j Δ_{u_j} u_j with u_j ~ N(0, I): the gradient of the
      Gaussian smoothing f_ε(x) = E f(x + εu) (Nesterov–Spokoiny), which differs from g by
      O(ε²) and equals g on quadratics. Cost 2m. Variance on a quadratic:
      E‖G − g‖² = (d + 1)‖g‖²/m.
    - ``"forward"``: G_i = (f(x + εe_i) − f(x)) / ε. Cost d + 1. Deterministic, bias
      (ε/2) ∂²f/∂x_i² + O(ε²).
    - ``"central"``: G_i = (f(x + εe_i) − f(x − εe_i)) / (2ε). Cost 2d. Deterministic, bias
      O(ε²) (exact on quadratics up to rounding, which is O(macheps |f| / ε)).

    ``antithetic`` applies to the random methods. With ``antithetic=True`` (the default)
    each direction v is paired with −v, which is the two-point form above. With
    ``antithetic=False`` the one-sided form replaces Δ_v by (f(x + εv) − f(x)) / ε, sharing
    f(x) among the directions: cost m + 1, bias O(ε) (zero on quadratics, where the extra
    term (ε/2) vᵀAv v is odd in v), and a variance that grows with ε² and |f| rather than
    shrinking. Averaging the one-sided estimates for v and −v gives exactly Δ_v, which is
    why the antithetic pair is the two-point estimator.

    Parameters
    ----------
    f
        A function of ``x`` returning a real scalar.
    x
        The point: an array, a number or a pytree of floating arrays.
    method
        ``"sphere"``, ``"gaussian"``, ``"forward"`` or ``"central"``.
    eps
        The difference step ε > 0. Default macheps^(1/3) ≈ 6e-6 for the two-sided forms and
        macheps^(1/2) ≈ 1.5e-8 for the one-sided ones.
    num_directions
        m, the number of random directions averaged (random methods only).
    antithetic
        Use the two-point form f(x + εv) − f(x − εv) (random methods only; see above).
    orthogonal
        Draw directions as rows of random orthogonal matrices (the Q of the QR decomposition
        of a Gaussian matrix, with signs fixed so that Q is Haar-distributed), in blocks of
        at most d. For ``"gaussian"`` each row is scaled by an independent χ_d length, so each
        direction is still N(0, I).
    rng
        The random generator for the random methods; default a fresh
        ``np.random.default_rng()``. The global NumPy random state is never used.

    Returns
    -------
    GradientEstimate
        ``estimate`` (shaped like ``x``), ``stderr``, ``num_evals`` and ``method``.

    Raises
    ------
    WengertValueError
        For an unknown method, a non-positive ``eps`` or ``num_directions``, a point with no
        entries, or an ``f`` that does not return a finite-shaped scalar.
    WengertTypeError
        For a point with non-floating entries.

    Examples
    --------
    >>> import numpy as np
    >>> from wengert import zeroth
    >>> f = lambda x: 0.5 * np.sum(x ** 2) + x[0]
    >>> est = zeroth.gradient(f, np.array([1.0, 2.0]), method="central")
    >>> np.round(est.estimate, 6), est.num_evals
    (array([2., 2.]), 4)
    >>> est = zeroth.gradient(f, np.array([1.0, 2.0]), num_directions=2, orthogonal=True,
    ...                       rng=np.random.default_rng(0))
    >>> np.round(est.estimate, 6), est.num_evals
    (array([2., 2.]), 4)
    """
    _check_args(method, eps, num_directions)
    x_flat, unravel = _ravel_point(x)
    d = x_flat.size
    if eps is None:
        one_sided = method == "forward" or (method in _RANDOM and not antithetic)
        eps = _EPS_ONE_SIDED if one_sided else _EPS_TWO_SIDED
    eps = float(eps)

    def value(v):
        out = np.asarray(f(unravel(v)))
        if out.shape != ():
            raise WengertValueError(
                f"zeroth.gradient: f must return a scalar, but it returned shape {out.shape}. "
                "Reduce it (e.g. .sum())."
            )
        return float(out)

    if method in ("forward", "central"):
        basis = np.eye(d)
        if method == "central":
            diffs = np.array([value(x_flat + eps * e) - value(x_flat - eps * e) for e in basis])
            estimate, num_evals = diffs / (2 * eps), 2 * d
        else:
            f0 = value(x_flat)
            diffs = np.array([value(x_flat + eps * e) - f0 for e in basis])
            estimate, num_evals = diffs / eps, d + 1
        return GradientEstimate(unravel(estimate), None, num_evals, method)

    rng = np.random.default_rng() if rng is None else rng
    m = int(num_directions)
    directions = _directions(method, d, m, orthogonal, rng)
    if antithetic:
        slopes = np.array(
            [(value(x_flat + eps * v) - value(x_flat - eps * v)) / (2 * eps) for v in directions]
        )
        num_evals = 2 * m
    else:
        f0 = value(x_flat)
        slopes = np.array([(value(x_flat + eps * v) - f0) / eps for v in directions])
        num_evals = m + 1
    # E[v vᵀ] = I/d on the unit sphere and I for N(0, I): scale so that E[G] = g.
    scale = d if method == "sphere" else 1.0
    samples = scale * slopes[:, None] * directions
    estimate = samples.mean(axis=0)
    stderr = None
    if m > 1:
        stderr = unravel(samples.std(axis=0, ddof=1) / np.sqrt(m))
    return GradientEstimate(unravel(estimate), stderr, num_evals, method)


def _check_args(method, eps, num_directions):
    if method not in METHODS:
        raise WengertValueError(
            f"zeroth.gradient: method must be one of {', '.join(map(repr, METHODS))}, but "
            f"received {method!r}."
        )
    if eps is not None and not (np.isfinite(eps) and eps > 0):
        raise WengertValueError(
            f"zeroth.gradient: eps must be a positive finite step, but received {eps!r}."
        )
    if isinstance(num_directions, bool) or not isinstance(num_directions, (int, np.integer)):
        raise WengertTypeError(
            "zeroth.gradient: num_directions must be a positive integer, but received "
            f"{describe(num_directions)}."
        )
    if num_directions < 1:
        raise WengertValueError(
            "zeroth.gradient: num_directions must be a positive integer, but received "
            f"{num_directions}."
        )


def _ravel_point(x):
    """Ravel ``x`` into a float vector, checking that it has floating entries."""
    x_flat, unravel = ravel_floats("zeroth.gradient", x)
    if x_flat.size == 0:
        raise WengertValueError("zeroth.gradient: x has no entries; pass a non-empty point.")
    return x_flat.astype(np.float64), unravel


def _haar_orthogonal(d, rng):
    """Return a d×d orthogonal matrix drawn from the Haar (uniform) distribution."""
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    # Without the sign fix the distribution of Q depends on the QR implementation's sign choice.
    return q * np.sign(np.diag(r))


def _directions(method, d, m, orthogonal, rng):
    """Return an (m, d) array of directions: unit-sphere rows or N(0, I) rows."""
    if orthogonal:
        blocks, left = [], m
        while left > 0:
            q = _haar_orthogonal(d, rng)
            blocks.append(q.T[: min(left, d)])
            left -= d
        directions = np.concatenate(blocks)
        if method == "gaussian":
            # A Haar unit vector times an independent χ_d length is N(0, I).
            directions = directions * np.sqrt(rng.chisquare(d, size=(m, 1)))
        return directions
    directions = rng.standard_normal((m, d))
    if method == "sphere":
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return directions
