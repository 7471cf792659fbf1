"""Differentiating through the SVD: denoising a low-rank matrix with the nuclear norm.

The lecture's further reading: the singular value decomposition is differentiable, and so is
everything built from it. The nuclear norm ‖X‖_* = Σ σᵢ(X) has gradient U Vᵀ wherever the
singular values are distinct and nonzero. Gradient descent on

    L(X) = ½ ‖X − M‖²_F + λ ‖X‖_*

with wengert's gradient through ``wnp.linalg.svd`` pulls a noisy rank-3 matrix M towards low
rank. The nuclear norm is not differentiable where singular values reach zero, so the steps
shrink like 1/k, the classic schedule of the subgradient method. The problem has a closed-form minimiser — soft-thresholding M's singular values by λ —
which the descent is compared with. Imports: NumPy, the public API of wengert and
``viz.plots``.
"""

from __future__ import annotations

import numpy as np

import wengert as wg
import wengert.numpy as wnp
from wengert.viz.plots import new_figure, plot_curves

from . import register

SHAPE = (20, 15)
RANK = 3
LAMBDA = 3.0
STEPS = 150


def noisy_low_rank(seed: int = 0):
    """A rank-3 matrix plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    m, n = SHAPE
    low = rng.standard_normal((m, RANK)) @ rng.standard_normal((RANK, n))
    return low + 0.3 * rng.standard_normal(SHAPE)


def nuclear_norm(X):
    """‖X‖_*: the sum of the singular values, through wengert's SVD."""
    return wnp.sum(wnp.linalg.svd(X, compute_uv=False))


def loss(X, M):
    return 0.5 * wnp.sum((X - M) ** 2) + LAMBDA * nuclear_norm(X)


def minimiser(M):
    """The exact minimiser: M's singular values soft-thresholded by λ."""
    U, s, Vt = np.linalg.svd(M, full_matrices=False)
    return (U * np.maximum(s - LAMBDA, 0.0)) @ Vt


@register(
    "svd",
    "Differentiating through the SVD: nuclear-norm denoising by gradient descent",
    "Gradient descent (steps 1/k) on ½‖X − M‖² + λ‖X‖_*, with the gradient of the nuclear norm "
    "taken "
    "through wengert's SVD. Left: the loss against the exact optimum (soft-thresholded "
    "singular values). Right: the singular values of the noisy matrix, of the descent's "
    "result and of the exact minimiser — the noise directions are driven towards zero.",
)
def run(ctx):
    M = noisy_low_rank()
    rng = np.random.default_rng(1)
    probe = rng.standard_normal(SHAPE)
    U, _, Vt = np.linalg.svd(probe, full_matrices=False)
    grad_err = float(np.max(np.abs(wg.grad(nuclear_norm)(probe) - U @ Vt)))
    step = wg.value_and_grad(loss)
    X = M.copy()
    losses = []
    for k in ctx.progress(range(STEPS), "gradient descent"):
        value, g = step(X, M)
        losses.append(float(value))
        X = X - g / (k + 1)
    X_star = minimiser(M)
    best = float(loss(X_star, M))
    s_M, s_X, s_star = (np.linalg.svd(a, compute_uv=False) for a in (M, X, X_star))
    fig, (left, right) = new_figure(ncols=2, size=(5.0, 3.8))
    plot_curves(left, list(range(STEPS)), {"L(X_k)": [v - best for v in losses]},
                xlabel="step k", ylabel="L(X_k) − L(X*)", title="Loss above the optimum",
                logy=True)
    idx = list(range(1, len(s_M) + 1))
    plot_curves(right, idx, {"noisy M": s_M, "gradient descent": s_X,
                             "exact minimiser": s_star},
                xlabel="index i", ylabel="σᵢ", title="Singular values")
    ctx.save_figure(fig, "nuclear-norm")
    gap = losses[-1] - best
    lines = [
        (f"∇‖X‖_* by reverse mode through the SVD vs the closed form U Vᵀ: max |diff| = "
        f"{grad_err:.1e}"),
        (f"L(M) = {losses[0]:.4f}, after {STEPS} steps L = {losses[-1]:.4f}, "
        f"optimum L(X*) = {best:.4f} (gap {gap:.1e})"),
        "singular values, noisy M:       " + " ".join(f"{v:.2f}" for v in s_M[:6]) + " …",
        "singular values, descent:       " + " ".join(f"{v:.2f}" for v in s_X[:6]) + " …",
        "singular values, exact optimum: " + " ".join(f"{v:.2f}" for v in s_star[:6]) + " …",
    ]
    ok = grad_err <= 1e-10 and losses[-1] < losses[0] and gap < 0.01 * (losses[0] - best)
    return ctx.result("\n".join(lines), ok=ok, grad_error=grad_err, losses=losses, optimum=best,
                      singular_values=(s_M, s_X, s_star))
