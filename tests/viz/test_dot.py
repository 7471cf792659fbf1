"""DOT text of the computational graph: nodes, edges, the reverse sweep, escaping, Graphviz."""

from __future__ import annotations

import importlib
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

import wengert.numpy as wnp
from wengert.core.errors import WengertError, WengertValueError
from wengert.viz.dot import dot_string, run_dot, to_dot
from wengert.viz.graphs import Graph, GraphEdge, GraphNode, graph


def L(w1, w2):
    v1 = wnp.log(w1)
    v2 = w2 * v1
    v3 = wnp.sqrt(v2)
    return v2 + v3


dot_module = importlib.import_module("wengert.viz.dot")

LECTURE_NODES = ["w1", "w2", "v1", "v2", "v3", "L"]
LECTURE_EDGES = {("w1", "v1"), ("w2", "v2"), ("v1", "v2"), ("v2", "v3"), ("v2", "L"),
                 ("v3", "L")}
_EDGE = re.compile(r'^\s*"((?:[^"\\]|\\.)*)" -> "((?:[^"\\]|\\.)*)"', re.MULTILINE)
_NODE = re.compile(r'^\s*"((?:[^"\\]|\\.)*)" \[label=', re.MULTILINE)

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")


def _lecture(**kwargs):
    return graph(L, 2.0, 3.0, output_names=("L",), **kwargs)


def test_dot_has_every_node_and_edge_of_the_lecture_graph():
    text = _lecture().to_dot()
    assert text.startswith("digraph wengert {") and text.rstrip().endswith("}")
    assert _NODE.findall(text) == LECTURE_NODES
    assert set(_EDGE.findall(text)) == LECTURE_EDGES
    assert len(_EDGE.findall(text)) == len(LECTURE_EDGES)
    assert 'rankdir="LR"' in text
    assert '"v1" [label="v1 = log(w1)\\nvalue = 0.693147"' in text


def test_reverse_sweep_reverses_every_edge_and_keeps_inputs_first():
    text = _lecture(sweep="reverse").to_dot()
    assert set(_EDGE.findall(text)) == {(b, a) for a, b in LECTURE_EDGES}
    # Flipping the rank direction keeps the inputs on the left of the picture.
    assert 'rankdir="RL"' in text
    assert '{rank=max; "w1"; "w2";}' in text
    assert '"L" -> "v3" [label="1"]' in text
    forward = _lecture(sweep="forward").to_dot()
    assert set(_EDGE.findall(forward)) == LECTURE_EDGES
    assert '{rank=min; "w1"; "w2";}' in forward


def test_top_to_bottom_and_bad_rankdir():
    g = _lecture(sweep="reverse")
    assert 'rankdir="BT"' in g.to_dot(rankdir="TB")
    with pytest.raises(WengertValueError, match="rankdir must be 'LR' or 'TB'"):
        g.to_dot(rankdir="RL")


def test_repeated_operand_is_one_edge_labelled_times_two():
    g = graph(lambda x: x * x, 3.0)
    x, square = (n.name for n in g.nodes)
    text = g.to_dot()
    assert _EDGE.findall(text) == [(x, square)]
    assert f'"{x}" -> "{square}" [label="×2"]' in text


def test_dot_string_escapes_quotes_backslashes_and_newlines():
    assert dot_string('a "b"') == '"a \\"b\\""'
    assert dot_string("a\\nb") == '"a\\\\nb"'
    assert dot_string("line1\nline2") == '"line1\\nline2"'
    assert dot_string("∂L/∂v · v̄") == '"∂L/∂v · v̄"'
    assert dot_string("bell\x07") == '"bell"'


def test_labels_with_quotes_and_unicode_stay_one_token():
    g = Graph((GraphNode('say "hi"', ('say "hi" \\ ∂v̄',), "input"),
               GraphNode("y", ("y",), "output")),
              (GraphEdge('say "hi"', "y", label='"q"'),))
    text = g.to_dot()
    assert '"say \\"hi\\"" [label="say \\"hi\\" \\\\ ∂v̄"' in text
    assert _EDGE.findall(text) == [('say \\"hi\\"', "y")]
    # Every line holds an even number of unescaped quotes: no string runs on.
    for line in text.splitlines():
        assert len(re.findall(r'(?<!\\)"', line.replace("\\\\", ""))) % 2 == 0


def test_caption_and_styles():
    g = _lecture(show=("value", "cost"))
    text = g.to_dot()
    total_flops, total_bytes = g.table.total_flops, g.table.total_saved_bytes
    assert (total_flops, total_bytes) == (4, 32)  # log, mul, sqrt, add; w1, w2, v1, v3 kept
    assert f'label="total: {total_flops} flops, {total_bytes} bytes kept' in text
    assert '"w1" [label="w1\\nvalue = 2\\ninput, 8 B kept", fillcolor="#d9ead3"' in text
    assert 'peripheries="2"' in text  # the output


def test_missing_graphviz_says_how_to_fix(monkeypatch):
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    assert dot_module.find_dot() is None
    with pytest.raises(WengertError, match="Install Graphviz.*engine='builtin'"):
        run_dot("digraph {}", "svg")
    with pytest.raises(WengertError, match="Graphviz"):
        _lecture().to_svg(engine="dot")


@needs_dot
def test_graphviz_renders_svg_and_png(tmp_path):
    g = _lecture(sweep="reverse", show=("value", "adjoint", "cost"))
    root = ET.fromstring(run_dot(to_dot(g), "svg"))
    assert root.tag.endswith("svg")
    text = "".join(root.itertext())
    for name in LECTURE_NODES:
        assert name in text
    path = g.to_png(tmp_path / "g.png", engine="dot", dpi=72)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert g.to_svg(engine="auto").lstrip().startswith("<?xml")
