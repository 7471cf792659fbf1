"""The computational graph: nodes and edges from the table, the builtin layout, SVG, costs."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
import wengert.viz.graphs as graph_module
from wengert.core.errors import WengertTypeError, WengertValueError
from wengert.viz import format_value, table
from wengert.viz.graphs import (
    Graph,
    GraphEdge,
    GraphNode,
    graph,
    layout_graph,
    layout_to_svg,
    text_width,
)

# By path, since wengert.viz may re-export the function `graph` under the module's name.

SVG = "{http://www.w3.org/2000/svg}"


def L(w1, w2):
    v1 = wnp.log(w1)
    v2 = w2 * v1
    v3 = wnp.sqrt(v2)
    return v2 + v3


LECTURE_EDGES = [("w1", "v1"), ("w2", "v2"), ("v1", "v2"), ("v2", "v3"), ("v2", "L"),
                 ("v3", "L")]


def _mlp_graph(**kwargs):
    rng = np.random.default_rng(3)
    sizes = [4, 6, 5, 1]
    params = []
    for a, b in itertools.pairwise(sizes):
        params += [rng.normal(size=(a, b)), rng.normal(size=b)]
    x = rng.normal(size=(8, 4))

    def mlp(W1, b1, W2, b2, W3, b3, x):
        h = wnp.tanh(x @ W1 + b1)
        h = wnp.tanh(h @ W2 + b2)
        return wnp.mean((h @ W3 + b3) ** 2)

    return graph(mlp, *params, x, **kwargs)


@pytest.fixture(scope="module")
def lecture_table():
    return table(L, 2.0, 3.0, wrt="w1", output_names=("L",))


# --- the model --------------------------------------------------------------------------------


def test_nodes_and_edges_follow_the_table(lecture_table):
    g = graph(lecture_table)
    assert [n.name for n in g.nodes] == [r.name for r in lecture_table.rows]
    assert [n.kind for n in g.nodes] == ["input", "input", "op", "op", "op", "output"]
    assert [(e.source, e.target) for e in g.edges] == LECTURE_EDGES


def test_labels_carry_name_operation_and_chosen_values(lecture_table):
    g = graph(lecture_table, show=("value", "shape"))
    v1 = g.nodes[2]
    assert v1.label_lines == ("v1 = log(w1)", f"value = {format_value(math.log(2.0), 24)}",
                              "shape () float64")
    assert g.nodes[0].label_lines[0] == "w1"
    g = graph(lecture_table, show="adjoint")
    assert g.nodes[2].label_lines == ("v1 = log(w1)",
                                      f"∂L/∂v1 = {format_value(lecture_table['v1'].adjoint)}")


def test_function_and_table_give_the_same_graph(lecture_table):
    a = graph(lecture_table, sweep="forward")
    b = graph(L, 2.0, 3.0, wrt="w1", output_names=("L",), sweep="forward")
    assert a.nodes == b.nodes and a.edges == b.edges


def test_forward_sweep_shows_tangents_and_the_tangent_along_each_edge(lecture_table):
    g = graph(lecture_table, sweep="forward")
    assert g.sweep == "forward"
    assert g.nodes[2].label_lines[-1] == "∂v1/∂w1 = 0.5"
    edges = {(e.source, e.target): e for e in g.edges}
    # v̇2 = v1·ẇ2 + w2·v̇1 = 0 + 3 · 0.5
    assert edges[("v1", "v2")].label == format_value(3.0 * 0.5)
    assert edges[("w2", "v2")].label == "0"


def test_reverse_sweep_shows_adjoints_and_the_adjoint_along_each_edge(lecture_table):
    g = graph(lecture_table, sweep="reverse")
    assert g.nodes[2].label_lines[-1] == f"∂L/∂v1 = {format_value(lecture_table['v1'].adjoint)}"
    edges = {(e.source, e.target): e for e in g.edges}
    v2 = 3.0 * math.log(2.0)
    # v̄3 · ∂v3/∂v2 = 1 / (2 √v2)
    assert edges[("v2", "v3")].label == format_value(1 / (2 * math.sqrt(v2)))
    assert edges[("v2", "L")].label == "1"
    assert edges[("w1", "v1")].label == format_value(lecture_table["v1"].adjoint / 2.0)


def test_repeated_operand_is_counted():
    g = graph(lambda x: x * x + wnp.sin(x), 1.5, sweep="reverse")
    (square,) = [e for e in g.edges if e.target == "v1"]
    assert square.count == 2
    assert square.display_label == "×2: 1.5 + 1.5"  # v̄1 · x, once per operand
    assert "×2" in graph(lambda x: x * x, 1.5).edges[0].display_label
    svg = graph(lambda x: x * x, 1.5).to_svg(engine="builtin")
    assert "×2" in "".join(ET.fromstring(svg).itertext())


def test_costs_match_the_table(lecture_table):
    g = graph(lecture_table, show=("cost",))
    costs = g.costs()
    assert [(c.name, c.flops, c.saved_bytes) for c in costs.nodes] == [
        (r.name, r.flops, r.saved_bytes) for r in lecture_table.rows]
    assert costs.total_flops == lecture_table.total_flops
    assert costs.total_saved_bytes == lecture_table.total_saved_bytes
    assert costs["v3"].op == "sqrt"
    assert g.caption == (f"total: {lecture_table.total_flops} flops, "
                         f"{lecture_table.total_saved_bytes} bytes kept for the backward pass")
    assert g.nodes[4].label_lines[-1] == f"1 flop, {lecture_table['v3'].saved_bytes} B kept"
    assert str(costs).splitlines()[-1].split()[:2] == ["total", str(lecture_table.total_flops)]
    assert graph(lecture_table).caption == ""


def test_unknown_flops_show_as_a_question_mark():
    @wg.custom_vjp
    def f(x):
        return wnp.sin(x)

    f.defvjp(lambda x: (wnp.sin(x), x), lambda x, g: (g * wnp.cos(x),))
    g = graph(f, 0.3, show=("cost",))
    assert g.costs().total_flops is None
    assert g.nodes[1].label_lines[-1].startswith("? flops")
    assert g.caption.startswith("total: ? flops")


def test_bad_arguments_say_what_was_expected(lecture_table):
    with pytest.raises(WengertValueError, match="sweep must be one of None, 'forward', 'rev"):
        graph(lecture_table, sweep="backward")
    with pytest.raises(WengertValueError, match=r"show may hold any of .* got \['values'\]"):
        graph(lecture_table, show=("values",))
    with pytest.raises(WengertValueError, match="rankdir"):
        graph(lecture_table, rankdir="RL")
    with pytest.raises(WengertTypeError, match="TraceTable together with arguments"):
        graph(lecture_table, 1.0)
    with pytest.raises(WengertTypeError, match="expected a TraceTable or a function"):
        graph(3.0)
    with pytest.raises(WengertValueError, match="engine must be one of"):
        graph(lecture_table).to_svg(engine="neato")


def test_hand_built_graphs_are_checked():
    x = GraphNode("x", ("x",), "input")
    with pytest.raises(WengertValueError, match="unique"):
        Graph((x, x), ())
    with pytest.raises(WengertValueError, match="names a node that is not in the graph"):
        Graph((x,), (GraphEdge("x", "y"),))
    with pytest.raises(WengertValueError, match="kind 'leaf'"):
        Graph((GraphNode("x", ("x",), "leaf"),), ())
    with pytest.raises(WengertValueError, match="carries no costs"):
        Graph((x,), ()).costs()
    cyclic = Graph((GraphNode("a", ("a",)), GraphNode("b", ("b",))),
                   (GraphEdge("a", "b"), GraphEdge("b", "a")))
    with pytest.raises(WengertValueError, match="cycle"):
        cyclic.layout()


# --- the builtin layout -----------------------------------------------------------------------


def _assert_well_laid_out(g: Graph, rankdir: str = "LR"):
    lay = layout_graph(g, rankdir=rankdir)
    assert {b.name for b in lay.nodes} == {n.name for n in g.nodes}
    layer = {b.name: b.layer for b in lay.nodes}
    for e in g.edges:
        assert layer[e.source] < layer[e.target], (e.source, e.target)
    for n in g.nodes:
        if n.kind == "input":
            assert layer[n.name] == 0
    for a, b in itertools.combinations(lay.nodes, 2):
        ax0, ay0, ax1, ay1 = a.bounds
        bx0, by0, bx1, by1 = b.bounds
        overlap = min(ax1, bx1) - max(ax0, bx0) > 0 and min(ay1, by1) - max(ay0, by0) > 0
        assert not overlap, (a.name, b.name)
    for box in lay.nodes:
        x0, y0, x1, y1 = box.bounds
        assert 0 <= x0 and x1 <= lay.width and 0 <= y0 and y1 <= lay.height
        widest = max(text_width(s) for s in box.lines)
        assert box.width >= widest and box.height >= len(box.lines) * lay.line_height
    # Layers run along the flow: every box of layer k ends before layer k + 1 begins.
    axis = (0, 2) if rankdir == "LR" else (1, 3)
    ends = {}
    for box in lay.nodes:
        lo, hi = box.bounds[axis[0]], box.bounds[axis[1]]
        start, end = ends.get(box.layer, (math.inf, -math.inf))
        ends[box.layer] = (min(start, lo), max(end, hi))
    for k in range(1, len(ends)):
        assert ends[k - 1][1] < ends[k][0]
    return lay


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
@pytest.mark.parametrize("sweep", [None, "forward", "reverse"])
def test_lecture_layout_is_layered_and_overlap_free(lecture_table, rankdir, sweep):
    g = graph(lecture_table, sweep=sweep, show=("value", "cost"))
    lay = _assert_well_laid_out(g, rankdir)
    assert lay.layers == (("w1", "w2"), ("v1",), ("v2",), ("v3",), ("L",))
    assert lay.node("L").layer == 4 and lay.node("v2").layer == 2


def test_mlp_lays_out_without_overlaps():
    g = _mlp_graph(show=("value", "shape", "cost"), sweep="reverse")
    assert len(g.nodes) > 20
    lay = _assert_well_laid_out(g)
    _assert_well_laid_out(g, "TB")
    # The three layers of the network follow one another along the flow.
    tanh_layers = [b.layer for b in lay.nodes if b.lines[0].startswith("v") and "tanh" in
                   b.lines[0]]
    assert len(tanh_layers) == 2 and tanh_layers[0] < tanh_layers[1]


def test_outputs_that_feed_nothing_share_the_last_layer():
    g = graph(lambda x: (wnp.sin(x), wnp.exp(wnp.cos(x))), 0.5)
    lay = _assert_well_laid_out(g)
    last = max(b.layer for b in lay.nodes)
    assert sorted(b.name for b in lay.nodes if b.layer == last) == ["v1", "v3"]


def test_barycentre_ordering_removes_avoidable_crossings():
    # Layer 1 is given in the order that crosses: a->q, b->p with q listed before p.
    nodes = (GraphNode("a", ("a",), "input"), GraphNode("b", ("b",), "input"),
             GraphNode("q", ("q",)), GraphNode("p", ("p",)))
    g = Graph(nodes, (GraphEdge("a", "p"), GraphEdge("b", "q")))
    lay = layout_graph(g)
    assert lay.layers == (("a", "b"), ("p", "q"))
    assert lay.node("a").y < lay.node("b").y and lay.node("p").y < lay.node("q").y


def _tip_side(lay, edge):
    """Which box the arrowhead touches, and on which side along the flow."""
    tip = edge.arrow[0]
    for box in lay.nodes:
        x0, y0, x1, y1 = box.bounds
        if y0 <= tip[1] <= y1 and math.isclose(tip[0], x0, abs_tol=1e-6):
            return box.name, "near"
        if y0 <= tip[1] <= y1 and math.isclose(tip[0], x1, abs_tol=1e-6):
            return box.name, "far"
    return None


def test_arrows_point_at_the_consumer_or_back_at_the_operand(lecture_table):
    forward = graph(lecture_table, sweep="forward").layout()
    for e in forward.edges:
        assert (e.tail, e.head) == (e.source, e.target)
        assert _tip_side(forward, e) == (e.target, "near")
        assert e.segments[0][0][0] < e.segments[-1][-1][0]
        assert e.color == "#1f5fbf"
    reverse = graph(lecture_table, sweep="reverse").layout()
    for e in reverse.edges:
        assert (e.tail, e.head) == (e.target, e.source)
        assert _tip_side(reverse, e) == (e.source, "far")
        assert e.segments[0][0][0] > e.segments[-1][-1][0]
        assert e.color == "#cc3311"
    # A long edge (v2 -> L skips the layer of v3) stays out of every box it passes.
    (long_edge,) = [e for e in reverse.edges if (e.source, e.target) == ("v2", "L")]
    assert len(long_edge.segments) == 3
    v3 = reverse.node("v3").bounds
    for seg in long_edge.segments:
        for t in np.linspace(0, 1, 21):
            x, y = graph_module._bezier(*seg, t)
            assert not (v3[0] < x < v3[2] and v3[1] < y < v3[3])


def test_edge_labels_are_placed_between_layers(lecture_table):
    lay = graph(lecture_table, sweep="reverse").layout()
    boxes = [b.bounds for b in lay.nodes]
    for e in lay.edges:
        assert e.label and e.label_at is not None
        x, y = e.label_at
        assert not any(x0 < x < x1 and y0 < y < y1 for x0, y0, x1, y1 in boxes)
    assert all(e.label_at is None for e in graph(lecture_table).layout().edges)


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_edge_labels_do_not_overlap_each_other(rankdir):
    def h(x, y):
        a = wnp.sin(x) * wnp.cos(y)
        b = wnp.exp(x * y) + x
        return wnp.tanh(a / b - y * x) + a * b

    lay = graph(h, 0.3, 0.7, sweep="reverse").layout(rankdir=rankdir)
    boxes = []
    for e in lay.edges:
        half_w = text_width(e.label, lay.edge_font_size) / 2
        x, y = e.label_at
        boxes.append((x - half_w, y - lay.line_height / 2, x + half_w, y + lay.line_height / 2))
    assert len(boxes) == len(lay.edges) == 20
    for a, b in itertools.combinations(boxes, 2):
        apart_x = min(a[2], b[2]) - max(a[0], b[0]) <= 1e-9
        apart_y = min(a[3], b[3]) - max(a[1], b[1]) <= 1e-9
        assert apart_x or apart_y


# --- SVG --------------------------------------------------------------------------------------


@pytest.mark.parametrize("sweep", [None, "forward", "reverse"])
def test_svg_is_valid_xml_with_every_label(lecture_table, sweep):
    g = graph(lecture_table, sweep=sweep, show=("value", "tangent", "adjoint", "cost"))
    svg = g.to_svg(engine="builtin")
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert root.get("font-family") == "sans-serif"
    spans = [s.text for s in root.iter(f"{SVG}tspan")]
    for node in g.nodes:
        for line in node.label_lines:
            assert line in spans
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert {n.name for n in g.nodes} <= set(titles)
    assert len(list(root.iter(f"{SVG}path"))) == len(g.edges)
    assert len(list(root.iter(f"{SVG}polygon"))) == len(g.edges)
    assert g.caption in "".join(root.itertext())
    assert "href" not in svg and "<script" not in svg and "<image" not in svg


def test_svg_escapes_markup_and_keeps_unicode():
    nodes = (GraphNode("a<b", ('x & "y" <z>', "∂L/∂v̄ ∈ [0, 1]"), "input"),
             GraphNode("c", ("c\x01",), "output"))
    svg = layout_to_svg(Graph(nodes, (GraphEdge("a<b", "c", label="<&>"),)).layout())
    root = ET.fromstring(svg.encode("utf-8"))
    text = list(root.itertext())
    assert 'x & "y" <z>' in text and "∂L/∂v̄ ∈ [0, 1]" in text and "<&>" in text
    assert "c" in text  # the control character is dropped, not written
    assert "a<b → c" in text


def test_auto_engine_falls_back_to_the_builtin_layout(monkeypatch, lecture_table):
    monkeypatch.setattr(graph_module, "find_dot", lambda: None)
    g = graph(lecture_table)
    svg = g.to_svg()
    assert 'class="nodes"' in svg
    assert g._repr_svg_() == svg


def test_save_chooses_the_format_by_suffix(tmp_path, lecture_table):
    g = graph(lecture_table, sweep="reverse")
    assert g.save(tmp_path / "g.dot").read_text(encoding="utf-8") == g.to_dot()
    assert g.save(tmp_path / "g.gv").read_text(encoding="utf-8") == g.to_dot()
    svg = g.save(tmp_path / "g.svg", engine="builtin").read_text(encoding="utf-8")
    assert ET.fromstring(svg.encode("utf-8")).tag == f"{SVG}svg"
    with pytest.raises(WengertValueError, match=r"suffix '\.txt'.*\.svg, \.png"):
        g.save(tmp_path / "g.txt")
