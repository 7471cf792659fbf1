"""The lecture's computational graph: L(w1, w2) = w2·log w1 + √(w2·log w1) at (2, 3).

Shows the Wengert list reverse mode records (with values), the forward-mode evaluation of
the tangents for one input direction at a time, the gradient from one reverse pass, and the
check against the closed form of the lecture:

    ∂L/∂w1 = (w2 / w1) (1 + 1 / (2 √(w2 log w1)))
    ∂L/∂w2 = log w1 (1 + 1 / (2 √(w2 log w1)))
"""

from __future__ import annotations

import math

import wengert as wg
import wengert.numpy as wnp

TITLE = "The lecture's computational graph L(w1, w2) = w2 log w1 + sqrt(w2 log w1)"


def L(w1, w2):
    """The lecture's example function."""
    v1 = wnp.log(w1)
    v2 = w2 * v1
    v3 = wnp.sqrt(v2)
    return v2 + v3


def exact_gradient(w1: float, w2: float) -> tuple[float, float]:
    """The closed-form gradient from the lecture."""
    s = 1 + 1 / (2 * math.sqrt(w2 * math.log(w1)))
    return (w2 / w1) * s, math.log(w1) * s


def run(out) -> dict:
    """Print the tour of the graph to ``out``; return the figures (for tests)."""
    w1, w2 = 2.0, 3.0
    p = lambda *a: print(*a, file=out)
    p(f"L(w1, w2) = w2·log w1 + √(w2·log w1) at (w1, w2) = ({w1:g}, {w2:g})")
    p("")
    p("The Wengert list (what reverse mode records), with each variable's value:")
    trace = wg.trace(L)(w1, w2)
    for line in str(trace).splitlines():
        p("    " + line)
    p("")
    p("Forward mode: one pass per input direction, carrying ∂v/∂w alongside each v.")
    _, d1 = wg.jvp(L, (w1, w2), (1.0, 0.0))
    _, d2 = wg.jvp(L, (w1, w2), (0.0, 1.0))
    p(f"    direction e1: ∂L/∂w1 = {float(d1):.15f}")
    p(f"    direction e2: ∂L/∂w2 = {float(d2):.15f}")
    p("")
    p("Reverse mode: one forward pass storing every v, one backward pass for the whole gradient.")
    value, (g1, g2) = wg.value_and_grad(L, argnums=(0, 1))(w1, w2)
    e1, e2 = exact_gradient(w1, w2)
    p(f"    L        = {float(value):.15f}")
    p(f"    ∂L/∂w1   = {float(g1):.15f}   closed form {e1:.15f}   |error| = {abs(g1 - e1):.1e}")
    p(f"    ∂L/∂w2   = {float(g2):.15f}   closed form {e2:.15f}   |error| = {abs(g2 - e2):.1e}")
    ok = abs(g1 - e1) <= 1e-12 and abs(g2 - e2) <= 1e-12
    p(f"    agrees with the lecture's formulas to 1e-12: {'yes' if ok else 'NO'}")
    return {"value": float(value), "grad": (float(g1), float(g2)), "exact": (e1, e2),
            "forward": (float(d1), float(d2)), "ok": ok, "trace": trace}
