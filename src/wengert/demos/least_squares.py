"""Differentiating the solution of a least-squares problem with respect to its data.

The lecture's further reading: x*(A, b) = argmin ‖A x − b‖² is a differentiable function of
A and b. Its derivatives have closed forms for a full-rank A (with r = b − A x*):

    ∂x*/∂b = A⁺ = (AᵀA)⁻¹Aᵀ,        dx* = (AᵀA)⁻¹ (dAᵀ r − Aᵀ dA x*),

and wengert gets both by differentiating ``wnp.linalg.lstsq`` itself. The demo fits a line
y = c₀ + c₁ t to noisy points, shows how much the slope moves when each point moves (one row
of ∂x*/∂b), and checks the derivatives against the closed forms and finite differences.
Imports: NumPy, the public API of wengert and ``viz.plots``.
"""

from __future__ import annotations

import numpy as np

import wengert as wg
import wengert.numpy as wnp
from wengert.testing import numerical_jvp
from wengert.viz.plots import new_figure, plot_bars, plot_fit

from . import register

POINTS = 12
TOLERANCE = 1e-10


def problem(seed: int = 0):
    """The design matrix of a line fit, its noisy data, and the random directions used."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, POINTS)
    A = np.stack([np.ones_like(t), t], axis=1)
    b = 0.5 + 2.0 * t + 0.2 * rng.standard_normal(POINTS)
    dA, db = rng.standard_normal(A.shape), rng.standard_normal(b.shape)
    return t, A, b, dA, db


def solution(A, b):
    """x*(A, b): the least-squares solution, through wengert's lstsq."""
    return wnp.linalg.lstsq(A, b, rcond=None)[0]


def closed_form(A, b, dA, db):
    """x*, ∂x*/∂b and the directional derivative along (dA, db), from the normal equations."""
    gram = A.T @ A
    x = np.linalg.solve(gram, A.T @ b)
    r = b - A @ x
    dx = np.linalg.solve(gram, dA.T @ r - A.T @ dA @ x + A.T @ db)
    return x, np.linalg.solve(gram, A.T), dx


@register(
    "least-squares",
    "Differentiating a least-squares solution with respect to its data",
    "A line fitted to noisy points by wnp.linalg.lstsq, and the derivative of the fit with "
    "respect to the data: the bars show how far the slope moves per unit move of each point "
    "(a row of ∂x*/∂b = A⁺), from reverse mode, against the closed form. The text checks the "
    "derivative with respect to A too, against the normal equations and finite differences.",
)
def run(ctx):
    t, A, b, dA, db = problem()
    x = solution(A, b)
    x_ref, pinv_ref, dx_ref = closed_form(A, b, dA, db)
    jac_b = wg.jacrev(lambda b_: solution(A, b_))(b)
    _, dx = wg.jvp(solution, (A, b), (dA, db))
    dx_fd = numerical_jvp(solution, (A, b), (dA, db))
    errors = {
        "x* vs normal equations": float(np.max(np.abs(x - x_ref))),
        "∂x*/∂b (reverse) vs A⁺": float(np.max(np.abs(jac_b - pinv_ref))),
        "dx* along (dA, db) (forward) vs closed form": float(np.max(np.abs(dx - dx_ref))),
        "dx* (forward) vs finite differences": float(np.max(np.abs(dx - dx_fd))),
    }
    fig, (left, right) = new_figure(ncols=2, size=(5.0, 3.8))
    t_fit = np.linspace(0.0, 1.0, 50)
    plot_fit(left, t, b, t_fit, x[0] + x[1] * t_fit, title="y = c₀ + c₁ t by least squares")
    plot_bars(right, list(range(1, POINTS + 1)), {"∂c₁/∂yᵢ (wengert)": jac_b[1],
                                                  "closed form (A⁺)": pinv_ref[1]},
              xlabel="data point i", ylabel="slope change per unit change of yᵢ",
              title="Sensitivity of the slope to each point")
    ctx.save_figure(fig, "sensitivity")
    lines = [f"x* = (c₀, c₁) = ({x[0]:.6f}, {x[1]:.6f})", "",
             "max |difference|:"]
    lines += [f"    {k:46s} {v:.1e}" for k, v in errors.items()]
    lines += ["", ("The points at the ends move the slope most, with opposite signs; the middle "
              "ones barely move it.")]
    ok = (max(errors["x* vs normal equations"], errors["∂x*/∂b (reverse) vs A⁺"],
              errors["dx* along (dA, db) (forward) vs closed form"]) <= TOLERANCE
          and errors["dx* (forward) vs finite differences"] <= 1e-6)
    return ctx.result("\n".join(lines), ok=ok, errors=errors, jacobian_b=jac_b, x=x)
