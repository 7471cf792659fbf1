"""A small network on handwritten digits, and the Hessian spectrum of its training loss.

A feed-forward network 64 → 32 → 10 (tanh hidden layer, softmax cross-entropy; the parameters
are a pytree, a dict of arrays) is trained with :func:`wengert.optim.adam` on full batches of
scikit-learn's bundled digits (8×8 images, no download), standardised, with a fixed
train/test split. Then the Hessian of the training loss is probed at initialisation and after
training by Hessian-vector products only: its top eigenvalues by Lanczos, its trace by
Hutchinson and its eigenvalue density by stochastic Lanczos quadrature, drawn side by side as
in the lecture's figure (a bulk near zero, a few outliers that move as the network learns).
Imports: NumPy, the public API of wengert and ``viz.plots``; scikit-learn lazily, in
:func:`load_data`.
"""

from __future__ import annotations

import numpy as np

import wengert as wg
import wengert.numpy as wnp
from wengert import curvature, optim, tree
from wengert.core.errors import WengertError
from wengert.viz.plots import new_figure, plot_spectral_density

from . import register

HIDDEN = 32
CLASSES = 10
TEST_FRACTION = 0.25
EPOCHS = 6
STEPS_PER_EPOCH = 25
LR = 0.003
TOP_K = 5
LANCZOS_STEPS = 20
DENSITY_STARTS = 2
DENSITY_STEPS = 20
TRACE_PROBES = 12


def load_data(test_fraction: float = TEST_FRACTION, seed: int = 0):
    """Return (x_train, y_train, x_test, y_test): the digits, standardised, split once.

    The split is a fixed permutation (``seed``); the mean and standard deviation come from the
    training part only (constant pixels keep a scale of 1).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise WengertError(
            "the digits demo needs scikit-learn for its bundled data set, which is not "
            "installed. Run 'pip install wengert[tour]' (or 'pip install scikit-learn')."
        ) from exc
    data = load_digits()
    x, y = np.asarray(data.data, dtype=np.float64), np.asarray(data.target)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = round(test_fraction * len(y))
    test, train = order[:n_test], order[n_test:]
    mean = x[train].mean(axis=0)
    std = x[train].std(axis=0)
    std = np.where(std > 0, std, 1.0)
    x = (x - mean) / std
    return x[train], y[train], x[test], y[test]


def init_params(n_in: int = 64, hidden: int = HIDDEN, n_out: int = CLASSES, seed: int = 0):
    """Return the parameter pytree with weights drawn N(0, 1/fan_in) and zero biases."""
    rng = np.random.default_rng(seed)
    return {
        "w1": rng.standard_normal((n_in, hidden)) / np.sqrt(n_in),
        "b1": np.zeros(hidden),
        "w2": rng.standard_normal((hidden, n_out)) / np.sqrt(hidden),
        "b2": np.zeros(n_out),
    }


def logits(params, x):
    """The network's class scores tanh(x W1 + b1) W2 + b2, one row per image."""
    h = wnp.tanh(x @ params["w1"] + params["b1"])
    return h @ params["w2"] + params["b2"]


def make_loss(x, y):
    """Return params ↦ the mean softmax cross-entropy on (x, y)."""
    onehot = np.eye(CLASSES)[y]

    def loss(params):
        z = logits(params, x)
        shift = wg.stop_gradient(wnp.max(z, axis=1, keepdims=True))
        lse = wnp.log(wnp.sum(wnp.exp(z - shift), axis=1)) + shift[:, 0]
        return wnp.mean(lse - wnp.sum(onehot * z, axis=1))

    return loss


def accuracy(params, x, y) -> float:
    """The fraction of images whose largest score is the true class."""
    return float(np.mean(np.argmax(np.asarray(logits(params, x)), axis=1) == y))


def hessian_operator(loss, params) -> curvature.LinearOperator:
    """Return the Hessian of ``loss`` at ``params`` as an operator on the raveled parameters.

    The gradient is linearised once (:func:`wengert.linearize` of :func:`wengert.grad`): its
    Jacobian is the Hessian, and each product is a forward sweep over the recorded list,
    cheaper than a fresh Hessian-vector product per vector.
    """
    flat, unravel = tree.ravel(params)
    _, hvp_tree = wg.linearize(wg.grad(loss), params)

    def matvec(v):
        return np.asarray(tree.ravel(hvp_tree(unravel(np.asarray(v, dtype=flat.dtype))))[0])

    return curvature.LinearOperator(matvec, (flat.size, flat.size), unravel=unravel)


def spectrum(loss, params, seed: int = 0) -> dict:
    """Top eigenvalues, trace estimate and SLQ density of the Hessian of ``loss`` at params."""
    op = hessian_operator(loss, params)
    top = curvature.top_eigenvalues(op, k=TOP_K, method="lanczos", num_iters=LANCZOS_STEPS,
                                    rng=np.random.default_rng(seed))
    tr = curvature.trace(op, num_probes=TRACE_PROBES, rng=np.random.default_rng(seed + 1))
    grid, density = curvature.spectral_density(op, num_starts=DENSITY_STARTS,
                                               lanczos_steps=DENSITY_STEPS,
                                               rng=np.random.default_rng(seed + 2))
    return {"top": np.sort(np.asarray(top.eigenvalues))[::-1], "trace": tr.estimate,
            "trace_stderr": tr.stderr, "grid": grid, "density": density}


def train(params, loss, epochs: int, steps_per_epoch: int, lr: float, progress=iter):
    """Train with full-batch Adam, ``steps_per_epoch`` steps per epoch; return params, losses.

    Each epoch is one :func:`wengert.optim.adam` run started from the previous epoch's end
    (so the moment estimates restart every epoch); ``progress`` wraps the epoch loop.
    """
    losses = []
    for _ in progress(range(epochs)):
        res = optim.adam(loss, params, steps=steps_per_epoch, lr=lr)
        params = res.x
        losses.extend(res.history.loss.tolist())
    losses.append(float(loss(params)))
    return params, losses


@register(
    "digits",
    "A network on handwritten digits and the Hessian spectrum of its loss",
    "A 64–32–10 tanh network trained with wengert's gradients (full-batch Adam) on "
    "scikit-learn's 8×8 digits. The Hessian of the training loss, probed only through "
    "Hessian-vector products, at initialisation and after training: the eigenvalue density "
    "by stochastic Lanczos quadrature (log scale) with the top Lanczos eigenvalues marked. "
    "Training moves the spectrum: a bulk near zero with a few outlying eigenvalues.",
)
def run(ctx):
    x_train, y_train, x_test, y_test = load_data()
    loss = make_loss(x_train, y_train)
    params0 = init_params(x_train.shape[1])
    before = spectrum(loss, params0)
    loss0 = float(loss(params0))
    acc0 = (accuracy(params0, x_train, y_train), accuracy(params0, x_test, y_test))
    params, losses = train(params0, loss, EPOCHS, STEPS_PER_EPOCH, LR,
                           progress=lambda it: ctx.progress(it, "training", total=EPOCHS))
    after = spectrum(loss, params)
    acc1 = (accuracy(params, x_train, y_train), accuracy(params, x_test, y_test))
    fig, axes = new_figure(ncols=2, size=(5.0, 3.8))
    for ax, (label, s) in zip(axes, (("at initialisation", before), ("after training", after))):
        plot_spectral_density(ax, s["grid"], s["density"], s["top"],
                              title=f"Hessian spectrum {label}")
    ctx.save_figure(fig, "spectrum")
    top0 = ", ".join(f"{v:8.4f}" for v in before["top"])
    top1 = ", ".join(f"{v:8.4f}" for v in after["top"])
    n = sum(np.size(v) for v in params0.values())
    lines = [
        (f"network 64-{HIDDEN}-{CLASSES} tanh, {n} parameters; {len(y_train)} training and "
         f"{len(y_test)} test images; full-batch Adam, {EPOCHS * STEPS_PER_EPOCH} steps"),
        "",
        "                      at initialisation   after training",
        f"training loss         {loss0:17.4f} {losses[-1]:16.4f}",
        f"training accuracy     {acc0[0]:17.3f} {acc1[0]:16.3f}",
        f"test accuracy         {acc0[1]:17.3f} {acc1[1]:16.3f}",
        f"Hessian trace (Hutch.) {before['trace']:16.3f} {after['trace']:16.3f}",
        "",
        f"top {TOP_K} Hessian eigenvalues (Lanczos, {LANCZOS_STEPS} steps)",
        f"  at initialisation: {top0}",
        f"  after training:    {top1}",
    ]
    finite = all(np.all(np.isfinite(s[key])) for s in (before, after)
                 for key in ("top", "grid", "density"))
    ok = acc1[1] >= 0.95 and finite
    return ctx.result("\n".join(lines), ok=ok, test_accuracy=acc1[1], train_accuracy=acc1[0],
                      losses=losses, before=before, after=after, num_params=n)
