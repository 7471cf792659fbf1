"""Backpropagation through a small feed-forward network, layer by layer.

The lecture's slide: for v_k = σ(v_{k-1} W_k + b_k), the backward pass carries ∂L/∂v_k, shaped
like v_k, from the loss back through the layers, and at each layer reads off ∂L/∂W_k, shaped
like W_k. The table below is taken from the recorded Wengert list itself: the rows for each
layer's output and the adjoints of the weight inputs.
"""

from __future__ import annotations

import itertools

import numpy as np

import wengert as wg
import wengert.numpy as wnp
from wengert.testing import numerical_grad
from wengert.tree import ravel
from wengert.viz import graph, table

from . import register

SIZES = (3, 8, 6, 1)
BATCH = 5


def init(seed: int = 0):
    """Random weights and a batch of data for the network of ``SIZES``."""
    rng = np.random.default_rng(seed)
    params = [(rng.standard_normal((m, n)) / np.sqrt(m), 0.1 * rng.standard_normal(n))
              for m, n in itertools.pairwise(SIZES)]
    x = rng.standard_normal((BATCH, SIZES[0]))
    y = rng.standard_normal((BATCH, SIZES[-1]))
    return params, x, y


def loss(params, x, y):
    """Mean squared error of a tanh network (linear last layer)."""
    v = x
    for k, (W, b) in enumerate(params):
        z = v @ W + b
        v = wnp.tanh(z) if k < len(params) - 1 else z
    return wnp.mean((v - y) ** 2)


def layer_rows(tbl):
    """The table rows holding each layer's output v_k (hidden tanh rows, then the output)."""
    hidden = [r for r in tbl if r.op == "tanh"]
    sub = next(r for r in tbl if r.op == "sub")
    out = tbl[sub.inputs[0]]
    return [*hidden, out]


@register(
    "backprop",
    "Backpropagation through a feed-forward network",
    f"A {'→'.join(map(str, SIZES))} tanh network on a batch of {BATCH}, mean squared error. "
    "The backward sweep carries ∂L/∂v_k, always shaped like v_k, from the loss back through "
    "the layers and reads off ∂L/∂W_k, shaped like W_k, at each one. The picture is the "
    "recorded Wengert list with each variable's shape, the reverse sweep in red.",
)
def run(ctx):
    params, x, y = init()
    tbl = table(loss, params, x, y, output_names=("L",))
    pic = graph(tbl, sweep="reverse", show=("shape",), rankdir="TB")
    ctx.add_image(pic.to_png(ctx.path("network")))
    layers = layer_rows(tbl)
    weights = [r for r in tbl.inputs][: 2 * len(params)]
    grads = wg.grad(loss)(params, x, y)
    lines = ["layer k   v_k       ∂L/∂v_k   W_k       ∂L/∂W_k   b_k     ∂L/∂b_k",
             "-------   -------   -------   -------   -------   -----   -------"]
    same = True
    for k, (v, W, b) in enumerate(zip(layers, weights[0::2], weights[1::2])):
        gW, gb = grads[k]
        same &= np.array_equal(W.adjoint, gW) and np.array_equal(b.adjoint, gb)
        cells = [v.shape, np.shape(v.adjoint), W.shape, np.shape(W.adjoint), b.shape,
                 np.shape(b.adjoint)]
        widths = (7, 7, 7, 7, 5, 5)
        lines.append(f"{k + 1:7d}   "
                     + "   ".join(f"{_shape(c):{w}s}" for c, w in zip(cells, widths)).rstrip())
    flat, unravel = ravel(params)
    num = numerical_grad(lambda p: loss(unravel(p), x, y), flat)
    fd_err = float(np.max(np.abs(ravel(grads)[0] - num)))
    lines += ["", (f"L = {float(tbl.outputs[0].value):.6f}; the Wengert list has "
                   f"{len(tbl.trace.eqns)} equations, "
                   f"{tbl.total_saved_bytes} bytes kept for the backward pass"),
              f"the table's adjoints are wengert.grad's gradients: {'yes' if same else 'NO'}",
              f"gradient against central differences: max |error| = {fd_err:.1e}"]
    ok = same and fd_err < 1e-6 and all(np.shape(r.adjoint) == r.shape for r in layers)
    return ctx.result("\n".join(lines), ok=ok, layers=[(r.shape, np.shape(r.adjoint))
                                                       for r in layers],
                      weights=[(r.shape, np.shape(r.adjoint)) for r in weights],
                      fd_error=fd_err)


def _shape(s) -> str:
    return "(" + ",".join(map(str, s)) + ")"
