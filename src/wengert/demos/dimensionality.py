"""The curse of dimensionality: gradient descent against zero-order gradient descent.

The lecture's table: on a strongly convex function with condition number L/μ, gradient
descent with step 1/L converges like (1 − μ/L)^k whatever the dimension n, while gradient
descent driven by the two-point estimator G = n·(f(x+εv) − f(x−εv))/(2ε)·v (v uniform on the
unit sphere, one direction per step) converges like (1 − μ/(nL))^k: it needs about n times as
many iterations (Nesterov–Spokoiny 2017). The demo counts the iterations each method needs to
reduce f − f* by a fixed factor on diagonal quadratics as n grows, fits the growth exponent in
n, and sets it beside the lecture's rates. Imports: NumPy, the public API of wengert and
``viz.plots``.
"""

from __future__ import annotations

import math

import numpy as np

import wengert as wg
from wengert import zeroth
from wengert.viz.plots import new_figure, plot_curves

from . import register

DIMS = (4, 8, 16, 32, 64)
MU, L = 1.0, 10.0
REDUCTION = 1e-6  # stop when f(x_k) - f* <= REDUCTION * (f(x_0) - f*)
SEEDS = 3
EPS = 1e-6


def quadratic(n: int):
    """f(x) = ½ Σ λᵢ xᵢ² with λ spread evenly over [μ, L]: condition number L/μ in every n."""
    lam = np.linspace(MU, L, n)

    def f(x):
        return 0.5 * (lam * x * x).sum()

    return f, lam


def iterations_gd(n: int, max_iter: int = 100_000) -> int:
    """Iterations of gradient descent with step 1/L to reach the target reduction."""
    f, _ = quadratic(n)
    x = np.ones(n)
    f0 = f(x)
    g = wg.grad(f)
    for k in range(1, max_iter + 1):
        x = x - g(x) / L
        if f(x) <= REDUCTION * f0:
            return k
    return max_iter


def iterations_zeroth(n: int, seed: int, max_iter: int = 1_000_000) -> tuple[int, int]:
    """Iterations (and function evaluations) of zero-order GD with step 1/(nL)."""
    f, _ = quadratic(n)
    rng = np.random.default_rng(seed)
    x = np.ones(n)
    f0 = f(x)
    evals = 0
    for k in range(1, max_iter + 1):
        est = zeroth.gradient(f, x, method="sphere", eps=EPS, num_directions=1, rng=rng)
        evals += est.num_evals
        x = x - est.estimate / (n * L)
        if f(x) <= REDUCTION * f0:
            return k, evals
    return max_iter, evals


def theory(n: int, zeroth_order: bool) -> float:
    """Iterations predicted by the rate (1 − μ/L)^k, or (1 − μ/(nL))^k for zero order."""
    rate = MU / (n * L if zeroth_order else L)
    return math.log(REDUCTION) / math.log(1 - rate)


@register(
    "dimensionality",
    "The curse of dimensionality: gradient descent against zero-order gradient descent",
    "Iterations to reduce f − f* a million-fold on diagonal quadratics with condition number "
    "10, as the dimension n grows: gradient descent (wengert's exact gradient) needs the same "
    "number at every n, zero-order descent with the two-point sphere estimator about n times "
    "as many — the lecture's rates (1 − μ/L)^k and (1 − μ/(nL))^k, drawn dashed.",
)
def run(ctx):
    rows = []
    for n in ctx.progress(DIMS, "descending"):
        k_gd = iterations_gd(n)
        runs = [iterations_zeroth(n, s) for s in range(SEEDS)]
        k_zo = float(np.mean([k for k, _ in runs]))
        evals = float(np.mean([e for _, e in runs]))
        rows.append({"n": n, "gd": k_gd, "zeroth": k_zo, "evals": evals,
                     "theory_gd": theory(n, False), "theory_zeroth": theory(n, True)})
    ns = np.array([r["n"] for r in rows], dtype=float)
    slope_zo = float(np.polyfit(np.log(ns), np.log([r["zeroth"] for r in rows]), 1)[0])
    slope_gd = float(np.polyfit(np.log(ns), np.log([r["gd"] for r in rows]), 1)[0])
    fig, (ax,) = new_figure(size=(6.0, 4.2))
    plot_curves(ax, list(DIMS), {
        "gradient descent (AD)": [r["gd"] for r in rows],
        "zero-order descent (two-point, sphere)": [r["zeroth"] for r in rows],
        "theory (1 − μ/L)^k": [r["theory_gd"] for r in rows],
        "theory (1 − μ/(nL))^k": [r["theory_zeroth"] for r in rows],
    }, xlabel="dimension n", ylabel="iterations to reduce f − f* by 10⁶",
        title="Iterations as the dimension grows", logy=True)
    ctx.save_figure(fig, "iterations")
    lines = ["     n   GD iters   theory   zero-order iters   theory   f-evals (zero order)"]
    lines += [f"{r['n']:6d} {r['gd']:10d} {r['theory_gd']:8.0f} {r['zeroth']:18.0f} "
              f"{r['theory_zeroth']:8.0f} {r['evals']:20.0f}" for r in rows]
    lines += ["", (f"fitted growth in n: gradient descent n^{slope_gd:.2f}, zero-order n^"
              f"{slope_zo:.2f} (the lecture: n^0 and n^1)")]
    ok = abs(slope_gd) < 0.1 and 0.8 < slope_zo < 1.2
    return ctx.result("\n".join(lines), ok=ok, rows=rows, slope_zeroth=slope_zo,
                      slope_gd=slope_gd)
