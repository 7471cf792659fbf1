"""The Wengert list as a computational graph, laid out and drawn without outside programs.

:func:`graph` turns a :class:`~wengert.viz.tables.TraceTable` (or a function and its
arguments) into a :class:`Graph`: one node per row (inputs, intermediates, outputs), one edge
per operand a row reads, labels carrying the chosen values and costs, and optionally one sweep
highlighted. A ``Graph`` writes DOT text (:mod:`wengert.viz.dot`), SVG and PNG. Graphviz
draws when its ``dot`` program is on ``PATH``; otherwise the builtin layout here does:

1. layers by longest path from the inputs (inputs in layer 0, sinks among the outputs last),
   with a chain of invisible dummy nodes on every edge that spans several layers;
2. order within each layer by barycentre sweeps down and up, keeping the order with the
   fewest crossings;
3. coordinates: layer columns as wide as their widest node, and within a layer the positions
   closest (least squares) to each node's neighbours that keep the boxes apart;
4. edges as cubic Bezier curves through their dummy nodes, ending in an arrowhead.

The SVG is written here as text; PNG goes through matplotlib in :mod:`wengert.viz.plots`.
Imports: the standard library, NumPy, :mod:`wengert.core.errors`, :mod:`wengert.viz.tables`
and :mod:`wengert.viz.dot`; :mod:`wengert.viz.plots` (hence matplotlib) only when drawing PNG.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape as _xml_escape
from xml.sax.saxutils import quoteattr as _xml_quoteattr

import numpy as np

from wengert.core.errors import WengertTypeError, WengertValueError
from wengert.core.ir import _type_str
from wengert.viz.dot import EDGE_COLORS, NODE_STYLES, find_dot, run_dot, to_dot
from wengert.viz.tables import TraceTable, format_value, table

__all__ = [
    "SHOW", "EdgePath", "Graph", "GraphCosts", "GraphEdge", "GraphNode", "Layout", "NodeBox",
    "NodeCost", "graph", "layout_graph", "layout_to_svg", "text_width",
]

SHOW = ("value", "tangent", "adjoint", "shape", "cost")
SWEEPS = (None, "forward", "reverse")
ENGINES = ("auto", "dot", "builtin")
KINDS = ("input", "op", "output")
RANKDIRS = ("LR", "TB")

# Sizes in pixels of the builtin layout (SVG user units; points when drawn by matplotlib).
FONT_SIZE = 12.0
LINE_HEIGHT = 15.0
_CHAR_EM = 0.6  # a generous average glyph width for sans-serif, so text stays inside boxes
_PAD_X = 10.0
_PAD_Y = 6.0
_NODE_SEP = 18.0
_RANK_SEP = 46.0
_DUMMY_SIZE = 6.0
_ARROW_LEN = 8.0
_ARROW_HALF_WIDTH = 3.5
_MARGIN = 16.0
_EDGE_FONT_SIZE = 10.0
_VALUE_WIDTH = 24
_EXPR_WIDTH = 40


# --- the model ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphNode:
    """One node: a variable of the Wengert list.

    ``kind`` is "input", "op" (an intermediate) or "output"; ``label_lines`` are drawn one
    under the other, the first (the name and operation) in bold.
    """

    name: str
    label_lines: tuple[str, ...]
    kind: str = "op"


@dataclass(frozen=True)
class GraphEdge:
    """One data-flow edge: ``target`` reads ``source`` (``count`` times, e.g. ``mul(v1, v1)``)."""

    source: str
    target: str
    count: int = 1
    label: str = ""

    @property
    def display_label(self) -> str:
        """Return the label as drawn: ``×k`` for a repeated operand, then ``label``."""
        mult = f"×{self.count}" if self.count > 1 else ""
        if mult and self.label:
            return f"{mult}: {self.label}"
        return mult or self.label


@dataclass(frozen=True)
class NodeCost:
    """What one row costs for AD: modelled flops (None: unknown) and bytes kept for the VJP."""

    name: str
    op: str
    flops: int | None
    saved_bytes: int


@dataclass(frozen=True)
class GraphCosts:
    """Per-node costs and their totals (``total_flops`` is None when some row is unknown)."""

    nodes: tuple[NodeCost, ...]
    total_flops: int | None
    total_saved_bytes: int

    def __getitem__(self, name: str) -> NodeCost:
        for record in self.nodes:
            if record.name == name:
                return record
        raise KeyError(f"no node named {name!r}; the nodes are {[c.name for c in self.nodes]}")

    def __str__(self) -> str:
        lines = [f"{'node':<8} {'op':<12} {'flops':>8} {'kept (B)':>10}"]
        for c in self.nodes:
            lines.append(f"{c.name:<8} {c.op or 'input':<12} {_flops_text(c.flops):>8} "
                         f"{c.saved_bytes:>10}")
        lines.append(f"{'total':<8} {'':<12} {_flops_text(self.total_flops):>8} "
                     f"{self.total_saved_bytes:>10}")
        return "\n".join(lines)


def _flops_text(flops: int | None) -> str:
    return "?" if flops is None else str(flops)


def _plural(count: int | None, word: str) -> str:
    return f"{_flops_text(count)} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True, eq=False)
class Graph:
    """A computational graph ready to draw: nodes, data-flow edges, and how to show them.

    Build one with :func:`graph`. ``sweep`` is None, "forward" (edges coloured blue, tangents
    on the nodes) or "reverse" (edges drawn from each row back to its operands, in red,
    labelled with the adjoint flowing along them). ``to_dot``, ``to_svg``, ``to_png`` and
    ``save`` render it; Jupyter shows the SVG.
    """

    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    sweep: str | None = None
    caption: str = ""
    rankdir: str = "LR"
    cost: GraphCosts | None = None
    table: TraceTable | None = field(default=None, repr=False)

    def __post_init__(self):
        names = [n.name for n in self.nodes]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise WengertValueError(f"Graph: node names must be unique, but {dup} repeat.")
        for n in self.nodes:
            if n.kind not in KINDS:
                raise WengertValueError(
                    f"Graph: node {n.name!r} has kind {n.kind!r}; use one of {KINDS}."
                )
        known = set(names)
        for e in self.edges:
            if e.source not in known or e.target not in known:
                raise WengertValueError(
                    f"Graph: the edge {e.source!r} -> {e.target!r} names a node that is not in "
                    f"the graph ({sorted(known)}); add the node or drop the edge."
                )
        _check_choice("Graph", "sweep", self.sweep, SWEEPS)
        _check_choice("Graph", "rankdir", self.rankdir, RANKDIRS)

    def costs(self) -> GraphCosts:
        """Return the per-node flops and bytes kept for the backward pass, with totals.

        Raises
        ------
        WengertValueError
            When the graph was built by hand rather than from a table.
        """
        if self.cost is None:
            raise WengertValueError(
                "Graph.costs: this graph carries no costs because it was not built from a "
                "table; build it with wengert.viz.graph(f, *args) or graph(table(...))."
            )
        return self.cost

    def to_dot(self, rankdir: str | None = None) -> str:
        """Return the graph as Graphviz DOT text (see :func:`wengert.viz.dot.to_dot`)."""
        return to_dot(self, rankdir=rankdir)

    def layout(self, rankdir: str | None = None) -> Layout:
        """Return the builtin layout: node boxes and edge curves in pixels."""
        return layout_graph(self, rankdir=rankdir)

    def to_svg(self, engine: str = "auto") -> str:
        """Return the graph drawn as SVG text.

        ``engine="auto"`` uses Graphviz when the ``dot`` program is on ``PATH`` and the
        builtin layout otherwise; "dot" and "builtin" force one or the other.
        """
        if _pick_engine("Graph.to_svg", engine) == "dot":
            return run_dot(self.to_dot(), "svg").decode("utf-8")
        return layout_to_svg(self.layout())

    def to_png(self, path, engine: str = "auto", dpi: float = 150) -> Path:
        """Write the graph as a PNG image to ``path`` and return the path.

        With Graphviz (``dot -Tpng``) when available or asked for, otherwise drawn by
        matplotlib from the builtin layout.

        Raises
        ------
        WengertError
            When neither Graphviz nor matplotlib is installed (``pip install wengert[plot]``).
        """
        return self._write_image(Path(path), "png", engine, dpi)

    def save(self, path, engine: str = "auto", dpi: float = 150) -> Path:
        """Write the graph to ``path`` in the format its suffix names and return the path.

        ``.svg``, ``.png`` and ``.pdf`` are drawn (see :meth:`to_svg`, :meth:`to_png`);
        ``.dot`` and ``.gv`` hold the DOT text.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in (".dot", ".gv"):
            path.write_text(self.to_dot(), encoding="utf-8")
        elif suffix == ".svg":
            path.write_text(self.to_svg(engine=engine), encoding="utf-8")
        elif suffix in (".png", ".pdf"):
            self._write_image(path, suffix[1:], engine, dpi)
        else:
            raise WengertValueError(
                f"Graph.save: cannot tell the format from the suffix {path.suffix!r} of "
                f"{str(path)!r}; use .svg, .png, .pdf, .dot or .gv."
            )
        return path

    def _write_image(self, path: Path, fmt: str, engine: str, dpi: float) -> Path:
        if _pick_engine(f"Graph.to_{fmt}", engine) == "dot":
            path.write_bytes(run_dot(self.to_dot(), fmt, dpi=dpi))
            return path
        from wengert.viz.plots import save_layout

        save_layout(self.layout(), path, dpi=dpi, fmt=fmt)
        return path

    def _repr_svg_(self) -> str:
        return self.to_svg()


def _check_choice(where: str, what: str, value, choices: Sequence) -> None:
    if value not in choices:
        raise WengertValueError(
            f"{where}: {what} must be one of {', '.join(map(repr, choices))}, "
            f"but got {value!r}."
        )


def _pick_engine(where: str, engine: str) -> str:
    """Resolve "auto" to "dot" when Graphviz is installed, else "builtin"."""
    _check_choice(where, "engine", engine, ENGINES)
    if engine == "auto":
        return "dot" if find_dot() is not None else "builtin"
    return engine


# --- building a graph from a table --------------------------------------------------------------


def graph(tbl_or_fun: TraceTable | Callable, *args, sweep: str | None = None,
          show: Sequence[str] | str = ("value",), rankdir: str = "LR",
          **table_kwargs) -> Graph:
    """Return the computational graph of a Wengert list, ready to draw.

    Each row of the table becomes a node labelled with its name and operation
    (``v2 = w2·v1``) and the values named in ``show``; each variable operand a row reads
    becomes an edge from that operand to the row (literal constants stay in the operation).
    With ``sweep="forward"`` the edges are blue, each labelled with the tangent it carries
    (∂vᵢ/∂vⱼ · v̇ⱼ), and the nodes show v̇. With ``sweep="reverse"`` each edge points from a row
    back to its operand, in red, labelled with the adjoint it carries (v̄ᵢ · ∂vᵢ/∂vⱼ), and the
    nodes show v̄.

    Parameters
    ----------
    tbl_or_fun : TraceTable or callable
        A table from :func:`wengert.viz.table`, or a function to tabulate at ``*args``.
    *args
        The point at which to evaluate the function (only with a function).
    sweep : {None, "forward", "reverse"}
        The sweep to highlight.
    show : sequence of {"value", "tangent", "adjoint", "shape", "cost"}
        What to print on each node. "cost" adds each row's flops ("?" when not modelled) and
        bytes kept for the backward pass, and the totals as the caption.
    rankdir : {"LR", "TB"}
        Data flows left to right or top to bottom.
    **table_kwargs
        ``wrt``, ``tangents``, ``cotangent``, ``output_names``: passed to
        :func:`wengert.viz.table` (only with a function).

    Returns
    -------
    Graph

    Raises
    ------
    WengertTypeError
        When ``tbl_or_fun`` is neither, or a table comes with arguments.
    WengertValueError
        For an unknown ``sweep``, ``show`` entry or ``rankdir``.

    Examples
    --------
    >>> import wengert.numpy as wnp
    >>> L = lambda w1, w2: w2 * wnp.log(w1) + wnp.sqrt(w2 * wnp.log(w1))
    >>> g = graph(L, 2.0, 3.0, output_names=("L",), show=("value", "cost"))
    >>> [n.name for n in g.nodes]
    ['w1', 'w2', 'v1', 'v2', 'v3', 'v4', 'v5', 'L']
    >>> [(e.source, e.target) for e in g.edges][:3]
    [('w1', 'v1'), ('w2', 'v2'), ('v1', 'v2')]
    >>> g.costs().total_flops
    6
    """
    if isinstance(tbl_or_fun, TraceTable):
        if args or table_kwargs:
            raise WengertTypeError(
                "graph: got a TraceTable together with arguments "
                f"({len(args)} positional, keywords {sorted(table_kwargs)}); pass either a "
                "table alone or a function followed by its arguments."
            )
        tbl = tbl_or_fun
    elif callable(tbl_or_fun):
        tbl = table(tbl_or_fun, *args, **table_kwargs)
    else:
        raise WengertTypeError(
            f"graph: expected a TraceTable or a function, but got {type(tbl_or_fun).__name__}. "
            "Pass wengert.viz.table(f, *args) or f and its arguments."
        )
    _check_choice("graph", "sweep", sweep, SWEEPS)
    _check_choice("graph", "rankdir", rankdir, RANKDIRS)
    return _graph_from_table(tbl, sweep, _normalise_show(show, sweep), rankdir)


def _normalise_show(show, sweep) -> tuple[str, ...]:
    items = (show,) if isinstance(show, str) else tuple(show)
    bad = [s for s in items if s not in SHOW]
    if bad:
        raise WengertValueError(
            f"graph: show may hold any of {', '.join(map(repr, SHOW))}, but got {bad}."
        )
    wanted = set(items)
    # A highlighted sweep always shows the quantity it computes.
    if sweep == "forward":
        wanted.add("tangent")
    elif sweep == "reverse":
        wanted.add("adjoint")
    return tuple(s for s in SHOW if s in wanted)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _node_lines(row, tbl: TraceTable, show: tuple[str, ...]) -> tuple[str, ...]:
    head = row.name if row.kind == "input" else f"{row.name} = {row.expr}"
    lines = [_shorten(head, _EXPR_WIDTH)]
    if "value" in show:
        lines.append(f"value = {format_value(row.value, width=_VALUE_WIDTH)}")
    if "tangent" in show:
        lines.append(f"{tbl.tangent_name(row.name)} = "
                     f"{format_value(row.tangent, width=_VALUE_WIDTH)}")
    if "adjoint" in show:
        lines.append(f"{tbl.adjoint_name(row.name)} = "
                     f"{format_value(row.adjoint, width=_VALUE_WIDTH)}")
    if "shape" in show:
        lines.append(f"shape {tuple(row.shape)} {np.dtype(row.dtype).name}")
    if "cost" in show:
        flops = "input" if row.kind == "input" else _plural(row.flops, "flop")
        lines.append(f"{flops}, {row.saved_bytes} B kept")
    return tuple(lines)


def _edge_flows(tbl: TraceTable, sweep: str | None) -> dict:
    """Map (operand, consumer) to the contributions that sweep sent along that edge."""
    log = {"forward": tbl.forward_log, "reverse": tbl.reverse_log}.get(sweep, ())
    by_id = {row.var.id: row.name for row in tbl.rows}
    flows: dict = {}
    for step in log:
        consumer = by_id[step.eqn.out.id]
        for operand, value in step.parts:
            flows.setdefault((operand, consumer), []).append(value)
    return flows


def _edge_value(value) -> str:
    """An edge carries a number; for an array, only its type fits along a line."""
    a = np.asarray(value)
    return format_value(a, width=_VALUE_WIDTH) if a.size == 1 else _type_str(a.shape, a.dtype)


def _graph_from_table(tbl: TraceTable, sweep, show, rankdir) -> Graph:
    nodes = []
    edges = []
    flows = _edge_flows(tbl, sweep)
    for row in tbl.rows:
        if row.kind == "input":
            kind = "input"
        else:
            kind = "output" if row.is_output else "op"
        nodes.append(GraphNode(row.name, _node_lines(row, tbl, show), kind))
        counts: dict[str, int] = {}
        for operand in row.inputs:
            counts[operand] = counts.get(operand, 0) + 1
        for operand, count in counts.items():
            parts = flows.get((operand, row.name), [])
            label = " + ".join(_edge_value(p) for p in parts)
            edges.append(GraphEdge(operand, row.name, count, label))
    cost = GraphCosts(
        nodes=tuple(NodeCost(r.name, r.op, r.flops, r.saved_bytes) for r in tbl.rows),
        total_flops=tbl.total_flops,
        total_saved_bytes=tbl.total_saved_bytes,
    )
    caption = ""
    if "cost" in show:
        caption = (f"total: {_flops_text(cost.total_flops)} flops, "
                   f"{cost.total_saved_bytes} bytes kept for the backward pass")
    return Graph(tuple(nodes), tuple(edges), sweep=sweep, caption=caption, rankdir=rankdir,
                 cost=cost, table=tbl)


# --- the builtin layout -------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeBox:
    """A node placed on the canvas: centre ``(x, y)``, size, layer and order in the layer."""

    name: str
    kind: str
    lines: tuple[str, ...]
    layer: int
    order: int
    x: float
    y: float
    width: float
    height: float

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Return ``(x0, y0, x1, y1)``, the box's corners."""
        hw, hh = self.width / 2, self.height / 2
        return self.x - hw, self.y - hh, self.x + hw, self.y + hh


@dataclass(frozen=True)
class EdgePath:
    """An edge as drawn: cubic Bezier segments from ``tail`` to ``head``, then an arrowhead.

    ``source`` and ``target`` keep the data-flow direction (operand, consumer); ``tail`` and
    ``head`` are the drawn direction, reversed for the reverse sweep. Each segment is four
    points ``(start, control1, control2, end)``; ``arrow`` is the triangle (tip first).
    """

    source: str
    target: str
    tail: str
    head: str
    segments: tuple[tuple[tuple[float, float], ...], ...]
    arrow: tuple[tuple[float, float], ...]
    label: str
    label_at: tuple[float, float] | None
    color: str
    count: int


@dataclass(frozen=True)
class Layout:
    """The builtin layout of a graph, in pixels with y pointing down (as in SVG)."""

    nodes: tuple[NodeBox, ...]
    edges: tuple[EdgePath, ...]
    layers: tuple[tuple[str, ...], ...]
    width: float
    height: float
    rankdir: str
    sweep: str | None
    caption: str
    caption_at: tuple[float, float]
    font_size: float = FONT_SIZE
    line_height: float = LINE_HEIGHT
    edge_font_size: float = _EDGE_FONT_SIZE

    def node(self, name: str) -> NodeBox:
        """Return the box of the node called ``name``."""
        for box in self.nodes:
            if box.name == name:
                return box
        raise KeyError(f"no node named {name!r}; the nodes are {[b.name for b in self.nodes]}")


def text_width(text: str, font_size: float = FONT_SIZE) -> float:
    """Estimate the drawn width of ``text``: combining marks take no room, wide glyphs two."""
    units = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        units += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return units * _CHAR_EM * font_size


def _node_size(lines: tuple[str, ...]) -> tuple[float, float]:
    # The first line is bold; allow it a tenth more room.
    widths = [text_width(s) * (1.1 if i == 0 else 1.0) for i, s in enumerate(lines)]
    width = max(widths, default=0.0) + 2 * _PAD_X
    height = max(len(lines), 1) * LINE_HEIGHT + 2 * _PAD_Y
    return max(width, 40.0), height


def _layers(graph: Graph) -> dict[str, int]:
    """Longest-path layering: sources (the inputs) in layer 0, every edge going up a layer."""
    names = [n.name for n in graph.nodes]
    preds: dict[str, list[str]] = {n: [] for n in names}
    succs: dict[str, list[str]] = {n: [] for n in names}
    for e in graph.edges:
        preds[e.target].append(e.source)
        succs[e.source].append(e.target)
    # Kahn's algorithm, keeping the given (evaluation) order among ready nodes.
    indegree = {n: len(preds[n]) for n in names}
    ready = collections.deque(n for n in names if indegree[n] == 0)
    order = []
    while ready:
        n = ready.popleft()
        order.append(n)
        for s in succs[n]:
            indegree[s] -= 1
            if indegree[s] == 0:
                ready.append(s)
    if len(order) != len(names):
        stuck = [n for n in names if indegree[n] > 0]
        raise WengertValueError(
            f"layout: the graph has a cycle through {stuck}; a Wengert list is acyclic, so "
            "build the graph from a table."
        )
    layer: dict[str, int] = {}
    for n in order:
        layer[n] = 1 + max(layer[p] for p in preds[n]) if preds[n] else 0
    kinds = {n.name: n.kind for n in graph.nodes}
    # Outputs that feed nothing line up in the last layer.
    last = max(layer.values(), default=0)
    for n in names:
        if kinds[n] == "output" and not succs[n]:
            layer[n] = last
    return layer


def _count_crossings(upper: dict[str, int], lower: dict[str, int], segments) -> int:
    """Count crossings between two adjacent layers (inversions, by merge sort)."""
    pairs = sorted((upper[u], lower[v]) for u, v in segments)
    seq = [b for _, b in pairs]
    return _inversions(seq)


def _inversions(seq: list[int]) -> int:
    """Return the number of pairs out of order in ``seq``, sorting it in place (merge sort)."""
    if len(seq) < 2:
        return 0
    mid = len(seq) // 2
    left, right = seq[:mid], seq[mid:]
    count = _inversions(left) + _inversions(right)
    merged = []
    i = j = 0
    while i < len(left) and j < len(right):
        if right[j] < left[i]:
            merged.append(right[j])
            count += len(left) - i
            j += 1
        else:
            merged.append(left[i])
            i += 1
    merged.extend(left[i:])
    merged.extend(right[j:])
    seq[:] = merged
    return count


def _order_layers(layers: list[list[str]], down: dict, up: dict, sweeps: int = 4) -> list:
    """Reorder nodes within layers by barycentre sweeps; return the order with fewest crossings.

    ``down[n]`` lists the neighbours of ``n`` in the layer above (towards the inputs), ``up[n]``
    those in the layer below.
    """

    def positions(layer):
        return {n: i for i, n in enumerate(layer)}

    def crossings(current):
        total = 0
        for k in range(1, len(current)):
            upper, lower = positions(current[k - 1]), positions(current[k])
            segs = [(p, n) for n in current[k] for p in down[n]]
            total += _count_crossings(upper, lower, segs)
        return total

    def sweep(current, k, neighbours, ref):
        pos = positions(current[ref])
        keyed = []
        for i, n in enumerate(current[k]):
            near = [pos[m] for m in neighbours[n]]
            keyed.append((sum(near) / len(near) if near else float(i), i, n))
        current[k] = [n for _, _, n in sorted(keyed)]

    best = [list(layer) for layer in layers]
    best_count = crossings(best)
    current = [list(layer) for layer in layers]
    for _ in range(sweeps):
        for k in range(1, len(current)):
            sweep(current, k, down, k - 1)
        for k in range(len(current) - 2, -1, -1):
            sweep(current, k, up, k + 1)
        count = crossings(current)
        if count < best_count:
            best, best_count = [list(layer) for layer in current], count
        if best_count == 0:
            break
    return best


def _pack(desired: np.ndarray, sizes: np.ndarray, gap: float) -> np.ndarray:
    """Place boxes in their order on a line as close as possible to ``desired`` centres.

    Minimises the sum of squared displacements subject to consecutive centres being at least
    half of each size plus ``gap`` apart: with the offsets removed this is isotonic
    regression, solved exactly by pooling adjacent violators.
    """
    n = len(desired)
    if n == 0:
        return desired
    steps = (sizes[:-1] + sizes[1:]) / 2 + gap
    offset = np.concatenate([[0.0], np.cumsum(steps)])
    target = desired - offset
    # Blocks of pooled values: (mean, weight, length).
    means: list[float] = []
    weights: list[float] = []
    lengths: list[int] = []
    for t in target:
        means.append(float(t))
        weights.append(1.0)
        lengths.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            w = weights[-2] + weights[-1]
            m = (means[-2] * weights[-2] + means[-1] * weights[-1]) / w
            length = lengths[-2] + lengths[-1]
            del means[-1], weights[-1], lengths[-1]
            means[-1], weights[-1], lengths[-1] = m, w, length
    z = np.repeat(means, lengths)
    return z + offset


def _bezier(p0, p1, p2, p3, t: float) -> tuple[float, float]:
    s = 1.0 - t
    x = s**3 * p0[0] + 3 * s * s * t * p1[0] + 3 * s * t * t * p2[0] + t**3 * p3[0]
    y = s**3 * p0[1] + 3 * s * s * t * p1[1] + 3 * s * t * t * p2[1] + t**3 * p3[1]
    return x, y


def _spread(count: int, extent: float) -> list[float]:
    """Offsets of ``count`` ports spread over the middle of a side of length ``extent``."""
    if count <= 1:
        return [0.0] * count
    span = min(extent * 0.7, 14.0 * (count - 1))
    return list(np.linspace(-span / 2, span / 2, count))


@dataclass
class _Grid:
    """Working state of the builtin layout.

    Coordinates are *main* (along the flow, across layers) and *cross* (within a layer).
    Dummy nodes, one per layer an edge skips, are tuples ``(edge index, layer)`` so that they
    never collide with a node's name.
    """

    horizontal: bool
    layer_of: dict
    layers: list
    size: dict  # node -> (main extent, cross extent)
    down: dict  # node -> neighbours in the layer before
    up: dict  # node -> neighbours in the layer after
    chains: list  # per edge: source, dummies..., target

    def main_size(self, n) -> float:
        return self.size[n][0]

    def cross_size(self, n) -> float:
        return self.size[n][1]

    def to_xy(self, main: float, across: float) -> tuple[float, float]:
        return (main, across) if self.horizontal else (across, main)


def _grid(graph: Graph, horizontal: bool) -> _Grid:
    """Layer the graph, insert the dummy chains and order every layer."""
    layer_of: dict = dict(_layers(graph))
    n_layers = max(layer_of.values(), default=-1) + 1
    size = {}
    for node in graph.nodes:
        w, h = _node_size(node.label_lines)
        size[node.name] = (w, h) if horizontal else (h, w)
    layers: list[list] = [[] for _ in range(n_layers)]
    for node in graph.nodes:
        layers[layer_of[node.name]].append(node.name)
    down: dict = {n: [] for n in layer_of}
    up: dict = {n: [] for n in layer_of}
    chains = []
    for k, edge in enumerate(graph.edges):
        chain = [edge.source]
        for level in range(layer_of[edge.source] + 1, layer_of[edge.target]):
            dummy = (k, level)
            layer_of[dummy] = level
            layers[level].append(dummy)
            down[dummy], up[dummy] = [], []
            size[dummy] = (_DUMMY_SIZE, _DUMMY_SIZE)
            chain.append(dummy)
        chain.append(edge.target)
        for a, b in itertools.pairwise(chain):
            down[b].append(a)
            up[a].append(b)
        chains.append(chain)
    layers = _order_layers(layers, down, up)
    return _Grid(horizontal, layer_of, layers, size, down, up, chains)


def _main_positions(grid: _Grid, graph: Graph) -> tuple[list, list, list]:
    """Return each layer's centre and extent along the flow, and the gaps after each layer.

    A gap widens to fit the edge labels drawn in it (each in the gap before its consumer).
    """
    n_layers = len(grid.layers)
    gaps = [_RANK_SEP] * max(n_layers - 1, 0)
    for edge in graph.edges:
        label = edge.display_label
        if label:
            need = text_width(label, _EDGE_FONT_SIZE) if grid.horizontal else LINE_HEIGHT
            g = grid.layer_of[edge.target] - 1
            gaps[g] = max(gaps[g], need + 2 * _ARROW_LEN + 16.0)
    extent = [max((grid.main_size(n) for n in layer), default=0.0) for layer in grid.layers]
    centre = []
    cursor = 0.0
    for k in range(n_layers):
        centre.append(cursor + extent[k] / 2)
        cursor += extent[k] + (gaps[k] if k < n_layers - 1 else 0.0)
    return centre, extent, gaps


def _cross_positions(grid: _Grid, sweeps: int = 6) -> dict:
    """Place nodes within their layers: packed first, then pulled towards their neighbours."""
    cross: dict = {}
    for layer in grid.layers:
        sizes = np.array([grid.cross_size(n) for n in layer])
        pos = _pack(np.zeros(len(layer)), sizes, _NODE_SEP)
        cross.update(zip(layer, (pos - pos.mean()).tolist() if len(pos) else []))
    n_layers = len(grid.layers)
    for _ in range(sweeps):
        for order, neighbours in ((range(1, n_layers), grid.down),
                                  (range(n_layers - 2, -1, -1), grid.up)):
            for k in order:
                layer = grid.layers[k]
                desired = np.array([sum(cross[m] for m in neighbours[n]) / len(neighbours[n])
                                    if neighbours[n] else cross[n] for n in layer])
                sizes = np.array([grid.cross_size(n) for n in layer])
                cross.update(zip(layer, _pack(desired, sizes, _NODE_SEP).tolist()))
    return cross


def _ports(grid: _Grid, cross: dict) -> tuple[dict, dict]:
    """Return the cross coordinate where each edge leaves its source and enters its target.

    Edges leave a node on its far side and enter on its near side, spread out in the order of
    where they come from or go to, so parallel edges do not sit on top of each other.
    """
    outgoing: dict = {}
    incoming: dict = {}
    for k, chain in enumerate(grid.chains):
        outgoing.setdefault(chain[0], []).append((cross[chain[1]], k))
        incoming.setdefault(chain[-1], []).append((cross[chain[-2]], k))
    out_port: dict = {}
    in_port: dict = {}
    for ports, port_of in ((outgoing, out_port), (incoming, in_port)):
        for n, items in ports.items():
            items.sort()
            for (_, k), offset in zip(items, _spread(len(items), grid.cross_size(n))):
                port_of[k] = cross[n] + offset
    return out_port, in_port


def _route(grid: _Grid, k: int, edge: GraphEdge, geometry, ports, sweep) -> EdgePath:
    """Draw edge ``k`` as cubic Bezier segments through its dummies, with an arrowhead."""
    centre, extent, gaps, cross = geometry
    out_port, in_port = ports
    chain = grid.chains[k]
    src, dst = chain[0], chain[-1]
    points = [grid.to_xy(centre[grid.layer_of[src]] + grid.main_size(src) / 2, out_port[k])]
    # A dummy is crossed in a straight line over the whole extent of its layer, so curves
    # bend only in the gaps between layers and never cut through a box.
    for d in chain[1:-1]:
        level = grid.layer_of[d]
        points.append(grid.to_xy(centre[level] - extent[level] / 2, cross[d]))
        points.append(grid.to_xy(centre[level] + extent[level] / 2, cross[d]))
    points.append(grid.to_xy(centre[grid.layer_of[dst]] - grid.main_size(dst) / 2, in_port[k]))
    reverse = sweep == "reverse"
    if reverse:
        points.reverse()
    # The curve stops short of the tip, so the arrowhead's point touches the box.
    axis = 0 if grid.horizontal else 1
    sign = 1.0 if points[-1][axis] > points[-2][axis] else -1.0
    direction = (sign, 0.0) if grid.horizontal else (0.0, sign)
    tip = points[-1]
    base = (tip[0] - direction[0] * _ARROW_LEN, tip[1] - direction[1] * _ARROW_LEN)
    points[-1] = base
    segments = []
    for a, b in itertools.pairwise(points):
        # Control points halfway along the flow: the curve leaves and arrives straight.
        if grid.horizontal:
            mid = (a[0] + b[0]) / 2
            segments.append((a, (mid, a[1]), (mid, b[1]), b))
        else:
            mid = (a[1] + b[1]) / 2
            segments.append((a, (a[0], mid), (b[0], mid), b))
    perp = (-direction[1] * _ARROW_HALF_WIDTH, direction[0] * _ARROW_HALF_WIDTH)
    arrow = (tip, (base[0] + perp[0], base[1] + perp[1]), (base[0] - perp[0], base[1] - perp[1]))
    label = edge.display_label
    label_at = None
    if label:
        # In the gap just before the consumer, where the curve crosses the gap's middle.
        g = grid.layer_of[dst] - 1
        gap_middle = centre[g] + extent[g] / 2 + gaps[g] / 2
        label_at = _point_at_main(segments[0] if reverse else segments[-1], gap_middle, axis)
    tail, head = (edge.target, edge.source) if reverse else (edge.source, edge.target)
    return EdgePath(edge.source, edge.target, tail, head, tuple(segments), arrow, label,
                    label_at, EDGE_COLORS[sweep], edge.count)


def _separate_labels(grid: _Grid, graph: Graph, edges: list) -> list:
    """Move edge labels that share a gap apart along the gap, as little as possible."""
    by_gap: dict = {}
    for k, e in enumerate(edges):
        if e.label_at is not None:
            by_gap.setdefault(grid.layer_of[graph.edges[k].target], []).append(k)
    axis = 1 if grid.horizontal else 0
    edges = list(edges)
    for members in by_gap.values():
        members.sort(key=lambda k: edges[k].label_at[axis])
        desired = np.array([edges[k].label_at[axis] for k in members])
        if grid.horizontal:
            sizes = np.full(len(members), LINE_HEIGHT)
        else:
            sizes = np.array([text_width(edges[k].label, _EDGE_FONT_SIZE) + 6
                              for k in members])
        for k, value in zip(members, _pack(desired, sizes, 1.0).tolist()):
            at = list(edges[k].label_at)
            at[axis] = value
            edges[k] = dataclasses.replace(edges[k], label_at=tuple(at))
    return edges


def layout_graph(graph: Graph, *, rankdir: str | None = None) -> Layout:
    """Lay ``graph`` out without Graphviz (see the module docstring for the four steps).

    Parameters
    ----------
    graph : Graph
    rankdir : {"LR", "TB"}, optional
        Defaults to ``graph.rankdir``.

    Returns
    -------
    Layout
        Node boxes that do not overlap, every edge going from a lower layer to a higher one.

    Raises
    ------
    WengertValueError
        For a graph with a cycle (a hand-built one; a Wengert list has none).
    """
    rankdir = rankdir or graph.rankdir
    _check_choice("layout_graph", "rankdir", rankdir, RANKDIRS)
    grid = _grid(graph, rankdir == "LR")
    centre, extent, gaps = _main_positions(grid, graph)
    cross = _cross_positions(grid)
    ports = _ports(grid, cross)
    edges = [_route(grid, k, edge, (centre, extent, gaps, cross), ports, graph.sweep)
             for k, edge in enumerate(graph.edges)]
    edges = _separate_labels(grid, graph, edges)
    by_name = {node.name: node for node in graph.nodes}
    boxes = []
    for k, layer in enumerate(grid.layers):
        names = [n for n in layer if isinstance(n, str)]
        for order, n in enumerate(names):
            node = by_name[n]
            w, h = grid.size[n] if grid.horizontal else grid.size[n][::-1]
            x, y = grid.to_xy(centre[k], cross[n])
            boxes.append(NodeBox(n, node.kind, node.label_lines, k, order, x, y, w, h))
    layers = tuple(tuple(n for n in layer if isinstance(n, str)) for layer in grid.layers)
    return _translate(graph, rankdir, boxes, edges, layers)


def _point_at_main(seg, target: float, axis: int) -> tuple[float, float]:
    """Return the point of a Bezier segment, monotone along ``axis``, at coordinate ``target``."""
    lo, hi = 0.0, 1.0
    increasing = seg[3][axis] >= seg[0][axis]
    for _ in range(40):
        mid = (lo + hi) / 2
        if (_bezier(*seg, mid)[axis] < target) == increasing:
            lo = mid
        else:
            hi = mid
    return _bezier(*seg, (lo + hi) / 2)


def _translate(graph: Graph, rankdir: str, boxes, edges, layers) -> Layout:
    """Shift everything so the drawing starts at the margin; add the caption below."""
    xs: list[float] = []
    ys: list[float] = []
    for b in boxes:
        x0, y0, x1, y1 = b.bounds
        xs += [x0, x1]
        ys += [y0, y1]
    for e in edges:
        for seg in e.segments:
            xs += [p[0] for p in seg]
            ys += [p[1] for p in seg]
        if e.label_at is not None:
            half = text_width(e.label, _EDGE_FONT_SIZE) / 2 + 3
            xs += [e.label_at[0] - half, e.label_at[0] + half]
            ys += [e.label_at[1] - LINE_HEIGHT / 2, e.label_at[1] + LINE_HEIGHT / 2]
    if not xs:
        xs, ys = [0.0], [0.0]
    dx, dy = _MARGIN - min(xs), _MARGIN - min(ys)
    width = max(xs) - min(xs) + 2 * _MARGIN
    height = max(ys) - min(ys) + 2 * _MARGIN
    # The caption's centre line, half a margin below the drawing.
    caption_at = (_MARGIN, height - _MARGIN / 2 + LINE_HEIGHT / 2)
    if graph.caption:
        width = max(width, text_width(graph.caption) + 2 * _MARGIN)
        height += LINE_HEIGHT

    def move(p):
        return (p[0] + dx, p[1] + dy)

    boxes = tuple(dataclasses.replace(b, x=b.x + dx, y=b.y + dy) for b in boxes)
    edges = tuple(dataclasses.replace(
        e, segments=tuple(tuple(move(p) for p in seg) for seg in e.segments),
        arrow=tuple(move(p) for p in e.arrow),
        label_at=None if e.label_at is None else move(e.label_at)) for e in edges)
    return Layout(boxes, edges, layers, math.ceil(width), math.ceil(height), rankdir,
                  graph.sweep, graph.caption, caption_at)


# --- SVG ----------------------------------------------------------------------------------------


def _xml_text(text: str) -> str:
    """Escape text for XML, dropping characters XML 1.0 cannot hold."""
    clean = "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 32)
    return _xml_escape(clean)


def _attr(value) -> str:
    if isinstance(value, float):
        value = f"{value:.2f}".rstrip("0").rstrip(".")
    return _xml_quoteattr(_xml_text(str(value)))


def _element(tag: str, body: str | None = None, **attrs) -> str:
    head = "".join(f" {k.replace('_', '-')}={_attr(v)}" for k, v in attrs.items())
    if body is None:
        return f"<{tag}{head}/>"
    return f"<{tag}{head}>{body}</{tag}>"


def _fmt(p) -> str:
    return f"{p[0]:.2f},{p[1]:.2f}"


def layout_to_svg(layout: Layout) -> str:
    """Write a :class:`Layout` as a standalone SVG document (no scripts, fonts or images)."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        (f'<svg xmlns="http://www.w3.org/2000/svg" width="{layout.width}" '
         f'height="{layout.height}" viewBox="0 0 {layout.width} {layout.height}" '
         f'font-family="sans-serif" font-size="{layout.font_size:g}">'),
        _element("rect", x=0, y=0, width=layout.width, height=layout.height, fill="white"),
        '<g class="edges">',
    ]
    for e in layout.edges:
        d = "M " + _fmt(e.segments[0][0]) + " " + " ".join(
            "C " + " ".join(_fmt(p) for p in seg[1:]) for seg in e.segments)
        title = _element("title", _xml_text(f"{e.tail} → {e.head}"))
        path = _element("path", d=d, fill="none", stroke=e.color, stroke_width=1.4)
        arrow = _element("polygon", points=" ".join(_fmt(p) for p in e.arrow), fill=e.color)
        out.append(f'<g class="edge">{title}{path}{arrow}</g>')
    out.append("</g>")
    out.append('<g class="edge-labels">')
    for e in layout.edges:
        if e.label_at is None:
            continue
        w = text_width(e.label, layout.edge_font_size) + 6
        x, y = e.label_at
        rect = _element("rect", x=x - w / 2, y=y - layout.line_height / 2, width=w,
                        height=layout.line_height, fill="white", fill_opacity=0.85)
        text = _element("text", _xml_text(e.label), x=x, y=y, text_anchor="middle",
                        dominant_baseline="central", font_size=layout.edge_font_size,
                        fill=e.color)
        out.append(rect + text)
    out.append("</g>")
    out.append('<g class="nodes">')
    for b in layout.nodes:
        style = NODE_STYLES[b.kind]
        x0, y0, _, _ = b.bounds
        rx = min(b.height / 2, 12.0) if b.kind == "input" else 3.0
        shapes = [_element("rect", x=x0, y=y0, width=b.width, height=b.height, rx=rx,
                           fill=style["fill"], stroke=style["stroke"], stroke_width=1.2)]
        if b.kind == "output":
            shapes.append(_element("rect", x=x0 + 3, y=y0 + 3, width=b.width - 6,
                                   height=b.height - 6, rx=2, fill="none",
                                   stroke=style["stroke"], stroke_width=0.8))
        first = b.y - (len(b.lines) - 1) * layout.line_height / 2
        spans = []
        for i, line in enumerate(b.lines):
            weight = {"font_weight": "bold"} if i == 0 else {}
            spans.append(_element("tspan", _xml_text(line), x=b.x,
                                  y=first + i * layout.line_height, **weight))
        text = (f'<text text-anchor="middle" dominant-baseline="central">'
                f'{"".join(spans)}</text>')
        title = _element("title", _xml_text(b.name))
        out.append(f'<g class="node node-{b.kind}">{title}{"".join(shapes)}{text}</g>')
    out.append("</g>")
    if layout.caption:
        out.append(_element("text", _xml_text(layout.caption), x=layout.caption_at[0],
                            y=layout.caption_at[1], dominant_baseline="central",
                            fill="#333333"))
    out.append("</svg>")
    return "\n".join(out) + "\n"
