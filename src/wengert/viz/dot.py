"""Write a computational graph as Graphviz DOT text and run the ``dot`` program on it.

Works on the node/edge model of :mod:`wengert.viz.graphs` by attribute access only (``nodes``,
``edges``, ``sweep``, ``caption``, ``rankdir``), so it imports nothing from the package but
the error classes. Graphviz is optional: :func:`find_dot` says whether the program is on
``PATH`` and :func:`run_dot` runs it as a subprocess (no shell, with a timeout). Imports: the
standard library and :mod:`wengert.core.errors`.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

from wengert.core.errors import WengertError, WengertValueError

if TYPE_CHECKING:
    from wengert.viz.graphs import Graph

__all__ = ["EDGE_COLORS", "NODE_STYLES", "dot_string", "find_dot", "run_dot", "to_dot"]

# One palette for both renderers, so a Graphviz picture and a builtin one read the same way.
NODE_STYLES = {
    "input": {"fill": "#d9ead3", "stroke": "#38761d"},
    "op": {"fill": "#f3f3f3", "stroke": "#555555"},
    "output": {"fill": "#fce5cd", "stroke": "#b45f06"},
}
EDGE_COLORS = {None: "#555555", "forward": "#1f5fbf", "reverse": "#cc3311"}

_FLIPPED = {"LR": "RL", "TB": "BT"}
_DOT_TIMEOUT_S = 60


def dot_string(text: str) -> str:
    """Return ``text`` as a double-quoted DOT string (an ``escString``), newlines as ``\\n``.

    Graphviz reads ``\\"`` as a quote and gives other backslash sequences (``\\n``, ``\\l``,
    ``\\N``, ...) a meaning, so a literal backslash is doubled. Unicode passes through: DOT
    files are UTF-8.

    Examples
    --------
    >>> print(dot_string('say "hi"\\nback\\\\slash'))
    "say \\"hi\\"\\nback\\\\slash"
    """
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r" or (ord(ch) < 32 and ch != "\t"):
            continue
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _attrs(**attrs) -> str:
    """Return a DOT attribute list ``[k="v", ...]``; values are quoted and escaped."""
    body = ", ".join(f"{key}={dot_string(str(value))}" for key, value in attrs.items())
    return f"[{body}]"


def to_dot(graph: Graph, *, rankdir: str | None = None) -> str:
    """Write ``graph`` as DOT text for Graphviz.

    Each node is a box labelled with its lines (inputs rounded and green, outputs orange with
    a double border); each edge goes from an operand to the row that reads it, labelled ``×k``
    when the row reads the operand ``k`` times. For the reverse sweep every edge is written
    from the consumer back to its operand (the direction adjoints flow) and the rank direction
    is flipped (``LR`` becomes ``RL``), so the inputs still sit on the left.

    Parameters
    ----------
    graph : Graph
        The graph, as built by :func:`wengert.viz.graphs.graph`.
    rankdir : {"LR", "TB"}, optional
        Direction of data flow; defaults to ``graph.rankdir``.

    Returns
    -------
    str
        A complete ``digraph`` in DOT syntax.

    Examples
    --------
    >>> from wengert.viz.graphs import Graph, GraphEdge, GraphNode
    >>> g = Graph((GraphNode("x", ("x",), "input"), GraphNode("y", ("y = sin(x)",), "output")),
    ...           (GraphEdge("x", "y"),))
    >>> '"x" -> "y"' in to_dot(g)
    True
    """
    rankdir = rankdir or graph.rankdir
    if rankdir not in _FLIPPED:
        raise WengertValueError(
            f"to_dot: rankdir must be 'LR' or 'TB', but got {rankdir!r}. "
            "Pass rankdir='LR' (left to right) or 'TB' (top to bottom)."
        )
    reverse = graph.sweep == "reverse"
    color = EDGE_COLORS[graph.sweep]
    graph_attrs = _attrs(rankdir=_FLIPPED[rankdir] if reverse else rankdir, nodesep="0.25",
                         ranksep="0.45", fontname="sans-serif", fontsize="11")
    node_attrs = _attrs(shape="box", style="filled", fontname="sans-serif", fontsize="11",
                        margin="0.12,0.06")
    edge_attrs = _attrs(color=color, fontcolor=color, fontname="sans-serif", fontsize="10",
                        arrowsize="0.7")
    lines = [
        "digraph wengert {",
        f"  graph {graph_attrs};",
        f"  node {node_attrs};",
        f"  edge {edge_attrs};",
    ]
    if graph.caption:
        lines.append(f"  label={dot_string(graph.caption)};")
        lines.append('  labelloc="b";')
    for node in graph.nodes:
        style = NODE_STYLES[node.kind]
        extra = {}
        if node.kind == "input":
            extra["style"] = "rounded,filled"
        elif node.kind == "output":
            extra["peripheries"] = "2"
        attrs = _attrs(label="\n".join(node.label_lines), fillcolor=style["fill"],
                       color=style["stroke"], **extra)
        lines.append(f"  {dot_string(node.name)} {attrs};")
    # Pin the inputs to the first rank; with the edges reversed they are sinks, so the last.
    inputs = [dot_string(n.name) for n in graph.nodes if n.kind == "input"]
    if inputs:
        lines.append(f"  {{rank={'max' if reverse else 'min'}; {'; '.join(inputs)};}}")
    for edge in graph.edges:
        tail, head = (edge.target, edge.source) if reverse else (edge.source, edge.target)
        label = edge.display_label
        attrs = f" {_attrs(label=label)}" if label else ""
        lines.append(f"  {dot_string(tail)} -> {dot_string(head)}{attrs};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def find_dot() -> str | None:
    """Return the path of the Graphviz ``dot`` program, or None when it is not on ``PATH``."""
    return shutil.which("dot")


def run_dot(text: str, fmt: str, *, dpi: float | None = None) -> bytes:
    """Render DOT ``text`` with Graphviz into format ``fmt`` ("svg", "png", "pdf").

    Runs ``dot -T<fmt>`` as a subprocess, without a shell and with a timeout, feeding the text
    on standard input.

    Raises
    ------
    WengertError
        When ``dot`` is not installed, fails, or runs past the timeout.
    """
    program = find_dot()
    if program is None:
        raise WengertError(
            "the Graphviz 'dot' program was required but is not on PATH. Install Graphviz "
            "(e.g. 'apt install graphviz' or 'brew install graphviz') or pass engine='builtin'."
        )
    command = [program, f"-T{fmt}"]
    if dpi is not None:
        command.append(f"-Gdpi={float(dpi):g}")
    try:
        done = subprocess.run(command, input=text.encode("utf-8"), capture_output=True,
                              timeout=_DOT_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise WengertError(
            f"Graphviz 'dot -T{fmt}' ran for more than {_DOT_TIMEOUT_S} s on a graph of "
            f"{text.count('->')} edges; pass engine='builtin' for large graphs."
        ) from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise WengertError(
            f"Graphviz 'dot -T{fmt}' failed with exit status {done.returncode}: {message}. "
            "Pass engine='builtin' to draw without Graphviz."
        )
    return done.stdout
