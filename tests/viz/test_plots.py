"""Graph pictures through matplotlib: PNG and PDF files, subplots, and a missing matplotlib."""

from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest

import wengert.numpy as wnp
from wengert.core.errors import WengertError
from wengert.viz.graphs import graph
from wengert.viz.plots import (
    draw_graph,
    graph_figure,
    new_figure,
    plot_cost_scaling,
    plot_step_error,
    save_layout,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def L(w1, w2):
    v1 = wnp.log(w1)
    v2 = w2 * v1
    v3 = wnp.sqrt(v2)
    return v2 + v3


@pytest.fixture(scope="module")
def lecture():
    return graph(L, 2.0, 3.0, output_names=("L",), sweep="reverse", show=("value", "cost"))


def test_builtin_png_is_a_real_picture(tmp_path, lecture):
    image = pytest.importorskip("matplotlib.image")
    path = lecture.to_png(tmp_path / "lecture.png", engine="builtin", dpi=80)
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    pixels = image.imread(path)
    lay = lecture.layout()
    height, width = pixels.shape[:2]
    # One layout pixel is one point: the image is the layout's size at the given dpi.
    assert width == pytest.approx(lay.width * 80 / 72, abs=2)
    assert height == pytest.approx(lay.height * 80 / 72, abs=2)
    assert np.ptp(pixels[..., :3]) > 0.5
    # Node fills and the red of the reverse sweep are drawn, not just black on white.
    red = (pixels[..., 0] > 0.7) & (pixels[..., 1] < 0.4) & (pixels[..., 2] < 0.3)
    assert red.sum() > 20


def test_save_png_and_pdf_without_graphviz(tmp_path, lecture):
    pytest.importorskip("matplotlib")
    assert lecture.save(tmp_path / "g.png", engine="builtin").read_bytes()[:8] == PNG_SIGNATURE
    assert lecture.save(tmp_path / "g.pdf", engine="builtin").read_bytes()[:5] == b"%PDF-"
    assert save_layout(lecture.layout(), tmp_path / "h.png", dpi=50).stat().st_size > 0


def test_draw_graph_fills_one_panel_of_a_figure(lecture):
    pytest.importorskip("matplotlib")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3))
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    right.plot([0, 1], [1, 0])
    draw_graph(left, lecture)
    texts = [t.get_text() for t in left.texts]
    for node in lecture.nodes:
        assert node.label_lines[0] in texts
    assert lecture.caption in texts
    # One box per node (two for the output's double border), one curve and arrow per edge.
    assert len(left.patches) == len(lecture.nodes) + 1 + 2 * len(lecture.edges)
    assert not left.axison
    fig.canvas.draw()


def test_no_pyplot_and_no_global_state(tmp_path, lecture):
    pytest.importorskip("matplotlib")
    from matplotlib._pylab_helpers import Gcf

    had_pyplot = "matplotlib.pyplot" in sys.modules
    open_figures = Gcf.get_num_fig_managers()
    graph_figure(lecture)
    lecture.to_png(tmp_path / "g.png", engine="builtin", dpi=40)
    # pyplot would pick (and might switch) the user's backend; Figure + Agg touches neither.
    assert ("matplotlib.pyplot" in sys.modules) == had_pyplot
    assert Gcf.get_num_fig_managers() == open_figures


def test_missing_matplotlib_says_how_to_install_it(tmp_path, monkeypatch, lecture):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(WengertError, match=r"pip install wengert\[plot\].*Graphviz"):
        lecture.to_png(tmp_path / "g.png", engine="builtin")
    assert not (tmp_path / "g.png").exists()


def test_draw_graph_rejects_other_objects():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    with pytest.raises(WengertError, match="expected a Graph or a Layout, but got str"):
        draw_graph(Figure().add_subplot(), "v1 -> v2")


def test_new_figure_gives_flat_axes_and_panel_sizes(tmp_path):
    pytest.importorskip("matplotlib")
    fig, axes = new_figure()
    assert len(axes) == 1 and tuple(fig.get_size_inches()) == (5.0, 4.0)
    fig, axes = new_figure(nrows=2, ncols=3, size=(2.0, 1.5))
    assert len(axes) == 6 and tuple(fig.get_size_inches()) == (6.0, 3.0)
    fig.savefig(tmp_path / "grid.png")
    assert (tmp_path / "grid.png").read_bytes()[:8] == PNG_SIGNATURE


def test_step_error_and_cost_scaling_plots():
    pytest.importorskip("matplotlib")
    fig, (left, right) = new_figure(ncols=2)
    steps = np.logspace(-12, -1, 12)
    plot_step_error(left, steps, {"forward": steps + 1e-16 / steps, "central": steps**2}, 0.0)
    assert left.get_xscale() == left.get_yscale() == "log"
    labels = left.get_legend_handles_labels()[1]
    assert labels == ["forward", "central", "AD (no step): 0.0e+00"]
    # An exact zero (AD) sits on the plot's floor, not at -inf.
    assert left.lines[2].get_ydata()[0] == np.finfo(float).eps / 100
    plot_cost_scaling(right, [4, 16, 64], {"fd": [8, 32, 128], "rev": [3, 3, 3]})
    assert right.get_legend_handles_labels()[1] == ["fd", "rev", "∝ d"]
    np.testing.assert_allclose(right.lines[2].get_ydata(), [8, 32, 128])
    fig.canvas.draw()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_png(tmp_path, lecture):
    assert lecture.to_png(tmp_path / "g.png", engine="dot").read_bytes()[:8] == PNG_SIGNATURE
    assert lecture.save(tmp_path / "g.pdf", engine="dot").read_bytes()[:5] == b"%PDF-"
