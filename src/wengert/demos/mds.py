"""Multidimensional scaling: gradient descent against zero-order descent on a quartic loss.

N points in d dimensions are recovered from their squared distances D_ij = ‖X_i − X_j‖² alone
by minimising L(W) = Σ_ij (‖W_i − W_j‖² − D_ij)². Gradient descent takes ∇L from wengert's
reverse mode (one ``value_and_grad`` per step, counted as one function evaluation); zero-order
descent (:func:`wengert.optim.zeroth_gd`) estimates it from values only, with the two-point
sphere estimator (2 evaluations per step, step shrunk by the dimension n = N·d) or with central
coordinate differences (2n evaluations per step). Every method gets the same budget of function
evaluations; the demo plots the loss against iterations and against evaluations, animates the
points converging under gradient descent, aligns the result to the hidden points by orthogonal
Procrustes (W is determined only up to rotation, reflection and translation) and repeats the
experiment in d = 10, where the zero-order methods fall much further behind. Imports: NumPy,
the public API of wengert and ``viz.plots``.
"""

from __future__ import annotations

import numpy as np

import wengert as wg
import wengert.numpy as wnp
from wengert import optim
from wengert.viz.plots import new_figure, plot_curves, save_animation

from . import register

N = 20
DIMS = (2, 10)
BUDGET = 600  # function evaluations per method (a value_and_grad call counts as one)
LR = 1e-3  # the gradient-descent step; the sphere estimator's is LR / (N·d)
FRAMES = 24
SEED = 0


def squared_distances(W):
    """Return the matrix of squared distances ‖W_i − W_j‖² between the rows of ``W``."""
    sq = (W * W).sum(axis=1)
    return sq[:, None] + sq[None, :] - 2.0 * (W @ W.T)


def problem(d: int, seed: int = SEED):
    """Return hidden points X (N×d, spread of order one), their distances D and a start W0.

    The start is a small random cloud, as in classical MDS by descent.
    """
    rng = np.random.default_rng(seed + d)
    X = rng.standard_normal((N, d)) / np.sqrt(d)
    W0 = 0.1 * rng.standard_normal((N, d))
    return X, squared_distances(X), W0


def stress(D):
    """Return L(W) = Σ_ij (‖W_i − W_j‖² − D_ij)², written with ``wengert.numpy``."""

    def loss(W):
        r = squared_distances(W) - D
        return wnp.sum(r * r)

    return loss


def procrustes(W, X):
    """Align ``W`` to ``X`` by translation and an orthogonal map; return (aligned W, rel. error).

    The orthogonal Procrustes solution: with centred W̄, X̄ and W̄ᵀX̄ = UΣVᵀ, R = UVᵀ minimises
    ‖W̄R − X̄‖_F over orthogonal R. The error is ‖W̄R − X̄‖_F / ‖X̄‖_F.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    >>> W = X @ np.array([[0.0, -1.0], [-1.0, 0.0]]) + 3.0  # reflected and shifted
    >>> aligned, err = procrustes(W, X)
    >>> bool(err < 1e-12), bool(np.allclose(aligned, X))
    (True, True)
    """
    W = np.asarray(W, dtype=float)
    X = np.asarray(X, dtype=float)
    Wc, Xc = W - W.mean(axis=0), X - X.mean(axis=0)
    U, _, Vt = np.linalg.svd(Wc.T @ Xc)
    aligned = Wc @ (U @ Vt)
    err = float(np.linalg.norm(aligned - Xc) / np.linalg.norm(Xc))
    return aligned + X.mean(axis=0), err


def descend(loss, W0, steps: int, frames: int = 0):
    """Run gradient descent with step ``LR``; return losses per step, final W and snapshots.

    Snapshots are taken at ``frames`` log-spaced steps (step 0 and the last included).
    """
    value_and_grad = wg.value_and_grad(loss)
    keep = set(np.unique(np.geomspace(1, steps + 1, frames).astype(int) - 1)) if frames else set()
    W, losses, snaps = np.array(W0, dtype=float), [], []
    for k in range(steps):
        if k in keep:
            snaps.append((k, W.copy()))
        value, g = value_and_grad(W)
        losses.append(float(value))
        W = W - LR * np.asarray(g)
    if steps in keep:
        snaps.append((steps, W.copy()))
    return np.array(losses), W, snaps


def _curve(res) -> tuple[np.ndarray, np.ndarray]:
    return (np.append(0, res.history.num_evals), np.append(res.history.loss, res.loss))


def experiment(d: int, budget: int = BUDGET, frames: int = 0) -> dict:
    """Run the three methods with ``budget`` evaluations each in dimension ``d``."""
    X, D, W0 = problem(d)
    loss = stress(D)
    n = N * d
    gd_loss, W_gd, snaps = descend(loss, W0, budget, frames)
    sphere = optim.zeroth_gd(loss, W0, steps=budget // 2, lr=LR / n, method="sphere",
                             rng=np.random.default_rng(SEED + 1))
    central = optim.zeroth_gd(loss, W0, steps=max(budget // (2 * n), 1), lr=LR,
                              method="central")
    L0 = float(loss(W0))
    # Each curve: evaluations spent before iterate k, and L(W_k), k = 0 .. steps.
    curves = {
        "gradient descent (AD)": (np.arange(budget + 1), np.append(gd_loss, loss(W_gd))),
        "zero-order, two-point sphere": _curve(sphere),
        "zero-order, central differences": _curve(central),
    }
    finals = {k: float(v[1][-1]) for k, v in curves.items()}
    errors = {"gradient descent (AD)": procrustes(W_gd, X)[1],
              "zero-order, two-point sphere": procrustes(sphere.x, X)[1],
              "zero-order, central differences": procrustes(central.x, X)[1]}
    return {"d": d, "n": n, "L0": L0, "curves": curves, "final": finals, "errors": errors,
            "X": X, "snapshots": snaps}


def _panels(ctx, exps: dict) -> None:
    """One row per dimension: loss against iterations (left) and against evaluations (right)."""
    fig, axes = new_figure(nrows=len(exps), ncols=2, size=(5.0, 3.6))
    for row, exp in enumerate(exps.values()):
        left, right = axes[2 * row], axes[2 * row + 1]
        for label, (evals, losses) in exp["curves"].items():
            style = {"label": label, "marker": "o" if len(losses) <= 40 else None}
            left.plot(np.arange(len(losses)), losses, **style)
            right.plot(evals, losses, **style)
        for ax, xlabel, title in ((left, "iteration", "Loss against iterations"),
                                  (right, "function evaluations", "Loss against evaluations")):
            plot_curves(ax, [], {}, xlabel=xlabel, ylabel="L(W)", logy=True,
                        title=f"{title} (N = {N}, d = {exp['d']})")
    ctx.save_figure(fig, "loss")


def _animate(ctx, exp: dict):
    """Write the GIF of the aligned gradient-descent iterates and return its path.

    The GIF is not added to ``ctx.images``: the tour's test requires those to be PNGs.
    """
    X = exp["X"]
    frames = [procrustes(W, X)[0] for _, W in exp["snapshots"]]
    titles = [f"gradient descent, step {k}" for k, _ in exp["snapshots"]]
    return ctx.add_image(save_animation(frames, ctx.path("descent", ".gif"), target=X,
                                        titles=titles))


@register(
    "mds",
    "Multidimensional scaling: exact gradients against zero-order estimates",
    f"Recovering {N} points from their squared distances by minimising "
    "L(W) = Σ_ij (‖W_i − W_j‖² − D_ij)², every method with the same budget of "
    f"{BUDGET} function evaluations. Gradient descent on wengert's reverse-mode gradient "
    "drives L down by many orders of magnitude and recovers the points up to rotation, "
    "reflection and translation (orthogonal Procrustes); zero-order descent with the "
    "two-point sphere estimator needs a step n = N·d times smaller, and central differences "
    "spend 2n evaluations per step, so both stall — and fall further behind in d = 10 "
    "than in d = 2. The animation mds-descent.gif shows the gradient-descent iterates (aligned to "
    "the hidden points, hollow circles) at log-spaced steps.",
)
def run(ctx):
    exps = {d: experiment(d, frames=FRAMES if d == 2 else 0)
            for d in ctx.progress(DIMS, "descending")}
    _panels(ctx, exps)
    gif = _animate(ctx, exps[2])
    lines = [f"N = {N} points, {BUDGET} function evaluations per method",
             "  d   method                              L(W) / L(W0)   Procrustes error"]
    for d, exp in exps.items():
        for label, final in exp["final"].items():
            lines.append(f"{d:3d}   {label:34s} {final / exp['L0']:13.2e} "
                         f"{exp['errors'][label]:17.2e}")
    gd, sph, cen = ("gradient descent (AD)", "zero-order, two-point sphere",
                    "zero-order, central differences")
    ratio = {d: {m: exp["final"][m] / exp["L0"] for m in (gd, sph, cen)}
             for d, exp in exps.items()}
    ok = (ratio[2][gd] < 1e-8 and exps[2]["errors"][gd] < 1e-3
          and ratio[10][gd] < 1e-3
          and all(ratio[d][m] > 100 * ratio[d][gd] for d in DIMS for m in (sph, cen))
          and all(ratio[10][m] > ratio[2][m] for m in (sph, cen)))
    lines += ["", f"animation of the gradient-descent iterates (d = 2): {gif.name}"]
    return ctx.result("\n".join(lines), ok=ok, ratios=ratio, animation=gif,
                      errors={d: exp["errors"] for d, exp in exps.items()},
                      curves={d: exp["curves"] for d, exp in exps.items()})
