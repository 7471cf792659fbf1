"""Forward and reverse mode on the lecture's graph, as the lecture's tables.

Forward mode carries v̇ᵢ = ∂vᵢ/∂w_k from the inputs to the output, one pass per input
direction; reverse mode stores every vᵢ, then carries v̄ᵢ = ∂L/∂vᵢ from the output back, and
one pass gives the whole gradient.
"""

from __future__ import annotations

from wengert.viz import graph

from . import register
from .lecture_graph import exact_gradient, lecture_table

TOL = 1e-12


def _indent(text: str) -> list[str]:
    return ["    " + ln for ln in text.splitlines()]


@register(
    "forward",
    "Forward mode: the tangent tables for ∂L/∂w1 and ∂L/∂w2",
    "One forward sweep per input direction: seeding ẇ1 = 1, ẇ2 = 0 fills the tangent column "
    "with ∂vᵢ/∂w1, and a second sweep with ẇ1 = 0, ẇ2 = 1 gives ∂vᵢ/∂w2. Nothing is stored "
    "between nodes; the price is one pass per input.",
)
def run_forward(ctx):
    exact = exact_gradient()
    lines, derivs = [], []
    for k, wrt in enumerate(("w1", "w2")):
        tbl = lecture_table(wrt=wrt)
        ctx.add_image(graph(tbl, sweep="forward").to_png(ctx.path(f"d{wrt}")))
        d = float(tbl["L"].tangent)
        derivs.append(d)
        lines += [f"Forward sweep along e{k + 1} (tangents are ∂v/∂{wrt}):",
                  *_indent(str(tbl.forward_table())),
                  (f"    ∂L/∂{wrt} = {d:.15f}   closed form {exact[k]:.15f}   "
                   f"|error| = {abs(d - exact[k]):.1e}"), ""]
    ok = all(abs(d - e) <= TOL for d, e in zip(derivs, exact))
    return ctx.result("\n".join(lines).rstrip(), ok=ok, derivatives=tuple(derivs),
                      exact=exact)


@register(
    "reverse",
    "Reverse mode: the adjoint table, the whole gradient in one backward sweep",
    "The forward sweep stores every vᵢ; the backward sweep starts from L̄ = 1 and sends "
    "v̄ᵢ · ∂vᵢ/∂vⱼ back along each edge, summing where paths meet (v̄2 collects from L and "
    "from v3). The input rows end up holding ∂L/∂w1 and ∂L/∂w2.",
)
def run_reverse(ctx):
    tbl = lecture_table()
    ctx.add_image(graph(tbl, sweep="reverse").to_png(ctx.path("adjoints")))
    exact = exact_gradient()
    grad = (float(tbl["w1"].adjoint), float(tbl["w2"].adjoint))
    steps = [s.text for s in tbl.steps() if s.sweep == "reverse"]
    lines = ["Reverse sweep (seed L̄ = 1):", *_indent(str(tbl.reverse_table())), "",
             "Step by step:", *("    " + s for s in steps), ""]
    for k, (g, e) in enumerate(zip(grad, exact), 1):
        lines.append(f"∂L/∂w{k} = {g:.15f}   closed form {e:.15f}   |error| = {abs(g - e):.1e}")
    ok = all(abs(g - e) <= TOL for g, e in zip(grad, exact))
    return ctx.result("\n".join(lines), ok=ok, gradient=grad, exact=exact, table=tbl)
