"""What AD is not: finite differences, their step-size dilemma and their cost.

Left: the error of ∂L/∂w1 at (2, 3) as the step h shrinks. Truncation error falls like h
(forward differences) or h² (central), rounding error grows like ε/h, so the total is a V with
its best near h ≈ √ε (forward) or ∛ε (central), and even there only half or two thirds of
the digits survive. AD has no step: its error is rounding only.

Right: the cost of the whole gradient of a d-dimensional version of L, in units of one
evaluation T. Central differences need 2d evaluations (2dT), forward mode one pass per input
(d·O(T)), reverse mode a single backward pass (O(T), Linnainmaa 1970). The times are measured
in the run, so the figure shows this machine's constants.
"""

from __future__ import annotations

import numpy as np

import wengert as wg
import wengert.numpy as wnp
from wengert.testing import numerical_grad
from wengert.viz.plots import new_figure, plot_cost_scaling, plot_step_error

from . import best_time, register
from .lecture_graph import W1, W2, L, exact_gradient

STEPS = np.logspace(-15, -1, 57)
DIMS = (4, 16, 64, 256, 1024)


def L_d(w):
    """The lecture's L in d dimensions: Σ w_{i+1} log w_i plus its square root."""
    v = wnp.sum(w[1:] * wnp.log(w[:-1]))
    return v + wnp.sqrt(v)


def step_errors():
    """Errors of forward and central differences of ∂L/∂w1 at (2, 3), and of AD."""
    exact = exact_gradient()[0]
    f = lambda w1: float(L(w1, W2))
    fwd = np.array([abs((f(W1 + h) - f(W1)) / h - exact) for h in STEPS])
    cen = np.array([abs((f(W1 + h) - f(W1 - h)) / (2 * h) - exact) for h in STEPS])
    ad_rev = abs(float(wg.grad(L)(W1, W2)) - exact)
    ad_fwd = abs(float(wg.derivative(L)(W1, W2)) - exact)
    return fwd, cen, max(ad_rev, ad_fwd)


def _measure(w) -> dict:
    """Time each way of computing the gradient of ``L_d`` at ``w``, in units of one ``L_d``."""
    calls = [0]

    def counted(x):
        calls[0] += 1
        return L_d(x)

    t_f = best_time(lambda: L_d(w), repeats=20)
    t_fd = best_time(lambda: numerical_grad(L_d, w, eps=1e-5))
    t_fwd = best_time(lambda: wg.jacfwd(L_d)(w))
    t_rev = best_time(lambda: wg.grad(L_d)(w))
    g_fd = numerical_grad(counted, w, eps=1e-5)
    g_fwd, g_rev = wg.jacfwd(L_d)(w), wg.grad(L_d)(w)
    return {"d": w.size, "evals_fd": calls[0], "fd": t_fd / t_f, "fwd": t_fwd / t_f,
            "rev": t_rev / t_f, "t_f": t_f,
            "fwd_vs_rev": float(np.max(np.abs(g_fwd - g_rev))),
            "fd_vs_rev": float(np.max(np.abs(g_fd - g_rev)))}


def cost_scaling(ctx, dims=DIMS) -> list[dict]:
    """Measured time of a full gradient by each method, divided by the time of one ``f``."""
    rng = np.random.default_rng(0)
    return [_measure(rng.uniform(2.0, 3.0, d)) for d in ctx.progress(dims, "timing gradients")]


@register(
    "fd",
    "What AD is not: finite differences against forward and reverse mode",
    "Left: the error of ∂L/∂w1 by finite differences as the step h shrinks, the V-shaped "
    "curve of truncation against rounding, with AD's error (no step at all) for comparison. "
    "Right: the measured cost of the whole gradient of a d-dimensional L, in units of one "
    "evaluation: central differences 2dT, forward mode d·O(T), reverse mode O(T).",
)
def run(ctx):
    fwd, cen, ad_err = step_errors()
    rows = cost_scaling(ctx)
    fig, (ax1, ax2) = new_figure(ncols=2, size=(5.5, 4.2))
    plot_step_error(ax1, STEPS, {"forward difference": fwd, "central difference": cen}, ad_err)
    dims = [r["d"] for r in rows]
    plot_cost_scaling(ax2, dims, {"central differences (2d evaluations)": [r["fd"] for r in rows],
                                  "forward mode (d JVPs)": [r["fwd"] for r in rows],
                                  "reverse mode (one VJP)": [r["rev"] for r in rows]})
    ctx.save_figure(fig, "error-and-cost")
    i_f, i_c = int(np.argmin(fwd)), int(np.argmin(cen))
    lines = [
        "Error of ∂L/∂w1 at (2, 3):",
        (f"    forward difference: best {fwd[i_f]:.1e} at h = {STEPS[i_f]:.0e} "
         f"(√ε ≈ 1.5e-08); at h = 1e-15 the error is {fwd[0]:.1e}"),
        f"    central difference: best {cen[i_c]:.1e} at h = {STEPS[i_c]:.0e} (∛ε ≈ 6e-06)",
        f"    AD (forward and reverse): {ad_err:.1e}",
        "",
        "Cost of the whole gradient, in evaluations of L_d (measured on this machine):",
        "       d   f-evals (FD)   central FD   forward mode   reverse mode",
    ]
    lines += [f"    {r['d']:5d}   {r['evals_fd']:12d}   {r['fd']:10.1f}   {r['fwd']:12.1f}   "
              f"{r['rev']:12.1f}" for r in rows]
    agree = max(r["fwd_vs_rev"] for r in rows)
    lines.append(f"forward and reverse mode gradients agree to {agree:.1e}; "
                 f"central differences to {max(r['fd_vs_rev'] for r in rows):.1e}")
    ok = ad_err <= 1e-14 and min(fwd) > ad_err and agree <= 1e-10
    return ctx.result("\n".join(lines), ok=ok, steps=STEPS, forward_errors=fwd,
                      central_errors=cen, ad_error=ad_err, cost=rows)
