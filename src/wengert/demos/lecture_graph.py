"""The lecture's computational graph: L(w1, w2) = w2·log w1 + √(w2·log w1) at (2, 3).

The function is written the way the lecture draws it (v1 = log w1, v2 = w2·v1, v3 = √v2,
L = v2 + v3), so the recorded Wengert list has the lecture's four nodes. The closed-form
gradient from the lecture checks every derivative the tour prints:

    ∂L/∂w1 = (w2 / w1) (1 + 1 / (2 √(w2 log w1)))
    ∂L/∂w2 = log w1 (1 + 1 / (2 √(w2 log w1)))
"""

from __future__ import annotations

import math

import wengert.numpy as wnp
from wengert.viz import graph, table

from . import register

W1, W2 = 2.0, 3.0


def L(w1, w2):
    """The lecture's example function."""
    v1 = wnp.log(w1)
    v2 = w2 * v1
    v3 = wnp.sqrt(v2)
    return v2 + v3


def exact_value(w1: float = W1, w2: float = W2) -> float:
    return w2 * math.log(w1) + math.sqrt(w2 * math.log(w1))


def exact_gradient(w1: float = W1, w2: float = W2) -> tuple[float, float]:
    """The closed-form gradient from the lecture."""
    s = 1 + 1 / (2 * math.sqrt(w2 * math.log(w1)))
    return (w2 / w1) * s, math.log(w1) * s


def lecture_table(**kwargs):
    """The trace table of L at (2, 3), output row named L."""
    return table(L, W1, W2, output_names=("L",), **kwargs)


@register(
    "graph",
    "The computational graph of L(w1, w2) = w2·log w1 + √(w2·log w1)",
    "wengert records the function as it runs: one node per elementary operation, edges for "
    "data flow. Each node shows its value at (w1, w2) = (2, 3), the flops it costs and the "
    "bytes of it the backward pass keeps (measured by running each VJP rule on probes).",
)
def run(ctx):
    tbl = lecture_table()
    pic = graph(tbl, show=("value", "cost"))
    ctx.add_image(pic.to_png(ctx.path("graph")))
    value = float(tbl["L"].value)
    err = abs(value - exact_value())
    lines = [
        "The Wengert list (what reverse mode records), with each variable's value:",
        *("    " + ln for ln in str(tbl.trace).splitlines()),
        "",
        "Cost per node (flops; bytes kept for the backward pass):",
        *("    " + ln for ln in str(tbl.with_columns("index", "name", "expr", "flops",
                                                      "saved")).splitlines()),
        "",
        f"L(2, 3) = {value:.15f}   closed form {exact_value():.15f}   |error| = {err:.1e}",
    ]
    return ctx.result("\n".join(lines), ok=err <= 1e-14, value=value, table=tbl,
                      trace=tbl.trace)
