"""Optimisation loops with a recorded history, and a bridge to ``scipy.optimize.minimize``.

First-order methods (:func:`gd`, :func:`momentum` with optional Nesterov, :func:`adam`) take
their gradients from :func:`wengert.value_and_grad`; :func:`zeroth_gd` takes them from
:func:`wengert.zeroth.gradient`. Each is a plain function ``method(f, x0, steps=..., lr=...)``
returning a frozen :class:`OptimResult` whose ``history`` records, per step, the loss, the
gradient norm, the cumulative function and gradient evaluations and the wall time. ``x0`` may be
any pytree of floating arrays; the loops work on the raveled vector and give ``x`` back in
``x0``'s structure. :func:`scipy_minimize` hands ``f`` to SciPy with ``jac=True`` and,
optionally, ``hessp`` from :func:`wengert.hvp`. Imports: NumPy, ``wengert.tree``,
``wengert.transforms``, ``wengert.zeroth``; SciPy lazily, in :func:`scipy_minimize`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from . import tree as _tree
from .core.errors import WengertValueError, describe
from .transforms._api import ravel_floats
from .transforms.hessian import hvp
from .transforms.reverse import value_and_grad
from .zeroth import estimators as _zeroth

__all__ = [
    "History",
    "OptimResult",
    "adam",
    "gd",
    "momentum",
    "scipy_minimize",
    "zeroth_gd",
]

Schedule = Callable[[int], float]


@dataclasses.dataclass(frozen=True)
class History:
    """What an optimiser did, one entry per step (all arrays of length ``steps``).

    Entry k describes step k, taken from the iterate x_k (x_0 = ``x0``).

    Attributes
    ----------
    loss
        f(x_k).
    grad_norm
        ‖g_k‖₂ of the gradient used at step k: exact for first-order methods, the estimate's
        norm for :func:`zeroth_gd`.
    num_evals
        Cumulative evaluations of f after step k. A ``value_and_grad`` call counts as one.
    num_grads
        Cumulative gradient evaluations after step k (zero for :func:`zeroth_gd`).
    time
        Wall time in seconds from the start of the loop to the end of step k.
    lr
        The step size used at step k (the schedule's value).
    """

    loss: np.ndarray
    grad_norm: np.ndarray
    num_evals: np.ndarray
    num_grads: np.ndarray
    time: np.ndarray
    lr: np.ndarray

    def __len__(self) -> int:
        return len(self.loss)


@dataclasses.dataclass(frozen=True)
class OptimResult:
    """The result of an optimiser: the final point, its loss and the history.

    Attributes
    ----------
    x
        The final iterate x_steps, a pytree like ``x0``.
    loss
        f(x_steps): one evaluation made for the report, not counted in ``history``.
    history
        The per-step :class:`History`.
    """

    x: Any
    loss: float
    history: History


class _Recorder:
    """Accumulate per-step records and build the frozen :class:`History`."""

    def __init__(self):
        self.rows = []
        self.evals = 0
        self.grads = 0
        self.start = time.perf_counter()

    def add(self, loss, grad_norm, lr):
        now = time.perf_counter() - self.start
        self.rows.append((loss, grad_norm, self.evals, self.grads, now, lr))

    def history(self) -> History:
        cols = list(zip(*self.rows)) if self.rows else [()] * 6
        floats = [np.asarray(c, dtype=np.float64) for c in cols]
        return History(
            loss=floats[0],
            grad_norm=floats[1],
            num_evals=np.asarray(cols[2], dtype=np.int64),
            num_grads=np.asarray(cols[3], dtype=np.int64),
            time=floats[4],
            lr=floats[5],
        )


def _check_loop(name, x0, steps, lr):
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise WengertValueError(
            f"optim.{name}: steps must be a non-negative integer, but received "
            f"{describe(steps)}."
        )
    if not callable(lr) and not (isinstance(lr, (int, float, np.floating)) and lr > 0):
        raise WengertValueError(
            f"optim.{name}: lr must be a positive number or a schedule k -> lr, but received "
            f"{describe(lr)}."
        )
    x_flat, unravel = ravel_floats(f"optim.{name}", x0, "x0")
    schedule = lr if callable(lr) else (lambda k: lr)
    return x_flat.astype(np.float64), unravel, schedule


def _first_order(name, f, x0, steps, lr, update):
    """Run ``steps`` steps of x ← x − step(k, g, lr) with exact gradients."""
    x, unravel, schedule = _check_loop(name, x0, steps, lr)
    value_and_grad_f = value_and_grad(f)
    rec = _Recorder()
    for k in range(steps):
        value, g_tree = value_and_grad_f(unravel(x))
        g = np.asarray(_tree.ravel(g_tree)[0], dtype=np.float64)
        rec.evals += 1
        rec.grads += 1
        rate = float(schedule(k))
        x = x - update(k, g, rate)
        rec.add(float(value), float(np.linalg.norm(g)), rate)
    x_tree = unravel(x)
    return OptimResult(x_tree, float(f(x_tree)), rec.history())


def gd(f: Callable[[Any], Any], x0: Any, steps: int = 100, lr: float | Schedule = 1e-2
       ) -> OptimResult:
    """Minimise ``f`` by gradient descent: x_{k+1} = x_k − η_k ∇f(x_k).

    On f(x) = ½ xᵀAx with μI ⪯ A ⪯ LI and η = 1/L, ‖x_k − x*‖ ≤ (1 − μ/L)^k ‖x_0 − x*‖.
    Cost: one ``value_and_grad`` per step.

    Parameters
    ----------
    f
        A scalar function of a pytree like ``x0``, written with ``wengert.numpy``.
    x0
        The starting point: an array or a pytree of floating arrays.
    steps
        The number of steps.
    lr
        The step size η, or a schedule ``k -> η_k``.

    Returns
    -------
    OptimResult

    Examples
    --------
    >>> import numpy as np, wengert.numpy as wnp
    >>> from wengert import optim
    >>> res = optim.gd(lambda x: wnp.sum((x - 1.0) ** 2), np.zeros(2), steps=50, lr=0.25)
    >>> np.round(res.x, 6), len(res.history), int(res.history.num_grads[-1])
    (array([1., 1.]), 50, 50)
    """
    return _first_order("gd", f, x0, steps, lr, lambda k, g, rate: rate * g)


def momentum(f: Callable[[Any], Any], x0: Any, steps: int = 100,
             lr: float | Schedule = 1e-2, beta: float = 0.9, nesterov: bool = False
             ) -> OptimResult:
    """Minimise ``f`` by gradient descent with heavy-ball or Nesterov momentum.

    With v_0 = 0: v_{k+1} = β v_k + ∇f(x_k), then x_{k+1} = x_k − η_k v_{k+1} (heavy ball),
    or x_{k+1} = x_k − η_k (∇f(x_k) + β v_{k+1}) with ``nesterov=True`` (the look-ahead form
    of Sutskever et al., as in PyTorch and optax). Cost: one ``value_and_grad`` per step.

    Examples
    --------
    >>> import numpy as np, wengert.numpy as wnp
    >>> from wengert import optim
    >>> f = lambda x: wnp.sum((x - 1.0) ** 2)
    >>> res = optim.momentum(f, np.zeros(2), steps=100, lr=0.1, beta=0.5, nesterov=True)
    >>> np.round(res.x, 6)
    array([1., 1.])
    """
    if not 0 <= beta < 1:
        raise WengertValueError(f"optim.momentum: beta must lie in [0, 1), but received {beta}.")
    state = {"v": 0.0}

    def update(k, g, rate):
        state["v"] = beta * state["v"] + g
        return rate * (g + beta * state["v"]) if nesterov else rate * state["v"]

    return _first_order("momentum", f, x0, steps, lr, update)


def adam(f: Callable[[Any], Any], x0: Any, steps: int = 100, lr: float | Schedule = 1e-3,
         b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> OptimResult:
    """Minimise ``f`` with Adam (Kingma and Ba, 2015).

    m_k = b1 m_{k−1} + (1 − b1) g_k, s_k = b2 s_{k−1} + (1 − b2) g_k², and
    x_{k+1} = x_k − η_k m̂_k / (√ŝ_k + eps) with the bias corrections m̂_k = m_k/(1 − b1^k),
    ŝ_k = s_k/(1 − b2^k) (k counted from 1). Cost: one ``value_and_grad`` per step.

    Examples
    --------
    >>> import numpy as np, wengert.numpy as wnp
    >>> from wengert import optim
    >>> res = optim.adam(lambda x: wnp.sum((x - 1.0) ** 2), np.zeros(2), steps=300, lr=0.05)
    >>> bool(np.allclose(res.x, 1.0, atol=1e-3))
    True
    """
    for label, b in (("b1", b1), ("b2", b2)):
        if not 0 <= b < 1:
            raise WengertValueError(f"optim.adam: {label} must lie in [0, 1), but received {b}.")
    state = {"m": 0.0, "s": 0.0}

    def update(k, g, rate):
        state["m"] = b1 * state["m"] + (1 - b1) * g
        state["s"] = b2 * state["s"] + (1 - b2) * g * g
        m_hat = state["m"] / (1 - b1 ** (k + 1))
        s_hat = state["s"] / (1 - b2 ** (k + 1))
        return rate * m_hat / (np.sqrt(s_hat) + eps)

    return _first_order("adam", f, x0, steps, lr, update)


def zeroth_gd(f: Callable[[Any], Any], x0: Any, steps: int = 100,
              lr: float | Schedule = 1e-2, method: str = "sphere", *,
              eps: float | None = None, num_directions: int = 1, antithetic: bool = True,
              orthogonal: bool = False, rng: np.random.Generator | None = None
              ) -> OptimResult:
    """Minimise ``f`` by zero-order gradient descent: x_{k+1} = x_k − η_k G_k.

    G_k is :func:`wengert.zeroth.gradient` of ``f`` at x_k with the given ``method``, ``eps``,
    ``num_directions``, ``antithetic``, ``orthogonal`` and ``rng`` (see there for bias and
    variance). ``f`` is only evaluated, never differentiated, so it may be any NumPy code.

    On a quadratic with μI ⪯ A ⪯ LI the two-point sphere estimator with one direction
    converges for η ≤ 1/(dL) at the rate E f(x_k) − f* ≤ (1 − μ/(dL))^k (f(x_0) − f*): d times
    more steps than gradient descent. Cost per step: the estimator's evaluations (2m for
    two-point, m + 1 one-sided, 2d central, d + 1 forward); ``history.num_evals`` counts them.
    ``history.loss`` comes from one extra evaluation per step that is not counted, since the
    method itself does not need it.

    Examples
    --------
    >>> import numpy as np
    >>> from wengert import optim
    >>> f = lambda x: np.sum((x - 1.0) ** 2)
    >>> res = optim.zeroth_gd(f, np.zeros(2), steps=50, lr=0.25, method="central")
    >>> np.round(res.x, 6), int(res.history.num_evals[-1])
    (array([1., 1.]), 200)
    """
    x, unravel, schedule = _check_loop("zeroth_gd", x0, steps, lr)
    rng = np.random.default_rng() if rng is None else rng
    rec = _Recorder()
    for k in range(steps):
        x_tree = unravel(x)
        est = _zeroth.gradient(f, x_tree, method, eps=eps, num_directions=num_directions,
                               antithetic=antithetic, orthogonal=orthogonal, rng=rng)
        g = np.asarray(_tree.ravel(est.estimate)[0], dtype=np.float64)
        rec.evals += est.num_evals
        rate = float(schedule(k))
        loss = float(np.asarray(f(x_tree)))
        x = x - rate * g
        rec.add(loss, float(np.linalg.norm(g)), rate)
    x_tree = unravel(x)
    return OptimResult(x_tree, float(np.asarray(f(x_tree))), rec.history())


def scipy_minimize(f: Callable[[Any], Any], x0: Any, method: str | None = None,
                   hessp: bool = False, **options):
    """Minimise ``f`` with ``scipy.optimize.minimize``, gradients and HVPs from wengert.

    ``f`` is raveled to a function of one vector; SciPy gets ``jac=True`` with value and
    gradient from one :func:`wengert.value_and_grad` call, and with ``hessp=True`` the
    Hessian-vector product ∇²f(x) p from :func:`wengert.hvp` (forward over reverse, no
    Hessian built), for the methods that use it ("Newton-CG", "trust-ncg", "trust-krylov",
    "trust-constr"). Every other keyword (``tol``, ``options``, ``callback``, ``bounds``, ...)
    goes to ``scipy.optimize.minimize`` unchanged.

    Returns
    -------
    scipy.optimize.OptimizeResult
        SciPy's result, with ``x`` and ``jac`` rebuilt in ``x0``'s structure.

    Examples
    --------
    >>> import numpy as np, wengert.numpy as wnp
    >>> from wengert import optim
    >>> f = lambda p: wnp.sum((p["a"] - 2.0) ** 2) + (p["b"] + 1.0) ** 2
    >>> res = optim.scipy_minimize(f, {"a": np.zeros(2), "b": 0.0}, method="trust-ncg",
    ...                            hessp=True)
    >>> res.success, np.round(res.x["a"], 6), np.round(res.x["b"], 6)
    (True, array([2., 2.]), np.float64(-1.0))
    """
    from scipy import optimize

    if "jac" in options or "hess" in options:
        raise WengertValueError(
            "optim.scipy_minimize: jac and hess are supplied by wengert; drop them (use "
            "hessp=True for Hessian-vector products)."
        )
    x_flat, unravel = ravel_floats("optim.scipy_minimize", x0, "x0")
    value_and_grad_f = value_and_grad(f)

    def fun(v):
        value, g = value_and_grad_f(unravel(v))
        return float(value), np.asarray(_tree.ravel(g)[0], dtype=np.float64)

    if hessp:
        # The HVP is taken with respect to the flat vector, so that a tuple-shaped x0 is not
        # mistaken for several arguments; unravel is differentiable.
        def f_flat(v):
            return f(unravel(v))

        def hessp_fun(v, p):
            return np.asarray(hvp(f_flat, np.asarray(v), np.asarray(p)), dtype=np.float64)

        options["hessp"] = hessp_fun
    res = optimize.minimize(fun, x_flat.astype(np.float64), method=method, jac=True, **options)
    res.x = unravel(res.x)
    if "jac" in res:
        res.jac = unravel(np.asarray(res.jac))
    return res
