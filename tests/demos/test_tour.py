"""The lecture tour: every demo runs, writes valid non-blank PNGs, and checks its figures."""

from __future__ import annotations

import math
from html.parser import HTMLParser

import numpy as np
import pytest

from wengert.core.errors import WengertValueError
from wengert.demos import DEMOS, register, run_demo, run_tour
from wengert.demos.lecture_graph import exact_gradient, exact_value

image = pytest.importorskip("matplotlib.image")


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    out = tmp_path_factory.mktemp("tour")
    results = run_tour(out, progress=False, stream=False)
    return out, {r.name: r for r in results}


def test_every_demo_runs_and_passes_its_own_check(tour):
    _, res = tour
    assert list(res) == list(DEMOS)
    assert set(DEMOS) >= {"graph", "forward", "reverse", "fd", "backprop"}
    for r in res.values():
        assert r.ok, r.name
        assert r.images, f"{r.name} wrote no picture"
        assert r.text.strip()


def test_pngs_are_valid_and_not_blank(tour):
    out, res = tour
    for r in res.values():
        for path in r.images:
            assert path.parent == out and path.suffix in (".png", ".gif")
            if path.suffix == ".gif":  # an animation: a real GIF with several frames
                from PIL import Image

                assert path.read_bytes()[:4] == b"GIF8"
                with Image.open(path) as gif:
                    assert gif.n_frames > 1
                continue
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            pixels = image.imread(path)
            assert pixels.ndim == 3 and pixels.shape[0] > 50 and pixels.shape[1] > 50
            rgb = pixels[..., :3]
            assert np.ptp(rgb) > 0.3, f"{path.name} is one colour"
            ink = np.mean(np.any(rgb < 0.9, axis=-1))
            assert 0.005 < ink < 0.95, f"{path.name}: {ink:.3f} of the pixels are drawn"


def test_index_html_shows_every_picture_with_its_caption(tour):
    out, res = tour
    text = (out / "index.html").read_text(encoding="utf-8")

    class Images(HTMLParser):
        def __init__(self):
            super().__init__()
            self.srcs = []

        def handle_starttag(self, tag, attrs):
            if tag == "img":
                self.srcs.append(dict(attrs)["src"])

    p = Images()
    p.feed(text)
    want = [img.name for r in res.values() for img in r.images]
    assert p.srcs == want
    assert all((out / s).exists() for s in p.srcs)
    for r in res.values():
        assert (out / f"{r.name}.txt").read_text(encoding="utf-8").strip() == r.text.strip()
        assert r.caption.split(":")[0].replace("'", "&#x27;") in text


def test_graph_demo_value(tour):
    r = tour[1]["graph"]
    assert abs(r.data["value"] - exact_value()) <= 1e-14
    assert [e.prim.name for e in r.data["trace"]] == ["log", "mul", "sqrt", "add"]


def test_sweep_demos_match_the_closed_form(tour):
    e1, e2 = exact_gradient()
    fwd, rev = tour[1]["forward"], tour[1]["reverse"]
    assert all(abs(a - b) <= 1e-12 for a, b in zip(fwd.data["derivatives"], (e1, e2)))
    assert all(abs(a - b) <= 1e-12 for a, b in zip(rev.data["gradient"], (e1, e2)))
    assert "v̄2 += 0.346734" in rev.text  # v̄2 collects from L and from v3


def test_fd_demo_shows_the_v_and_the_cost_model(tour):
    r = tour[1]["fd"].data
    fwd, cen = r["forward_errors"], r["central_errors"]
    i = int(np.argmin(fwd))
    assert 0 < i < len(fwd) - 1  # the minimum is inside the range: a V
    assert fwd[0] > 1e3 * fwd[i] and fwd[-1] > 1e3 * fwd[i]
    assert 1e-10 < r["steps"][i] < 1e-6  # near √ε
    assert np.min(cen) < np.min(fwd)
    assert r["ad_error"] <= 1e-14
    for row in r["cost"]:
        assert row["evals_fd"] == 2 * row["d"]
        assert row["fwd_vs_rev"] <= 1e-10 and row["fd_vs_rev"] <= 1e-5


def test_backprop_demo_shapes(tour):
    r = tour[1]["backprop"].data
    assert r["layers"] == [((5, 8), (5, 8)), ((5, 6), (5, 6)), ((5, 1), (5, 1))]
    assert [w for w, g in r["weights"]] == [(3, 8), (8,), (8, 6), (6,), (6, 1), (1,)]
    assert all(w == g for w, g in r["weights"])
    assert r["fd_error"] < 1e-6


def test_unknown_demo_is_refused(tmp_path):
    with pytest.raises(WengertValueError, match="unknown demo"):
        run_demo("nope", tmp_path)


def test_a_later_issue_can_register_a_demo(tmp_path, monkeypatch):
    monkeypatch.setattr("wengert.demos.DEMOS", dict(DEMOS))
    from wengert import demos

    @register("extra", "An extra stop", "Registered by a test.")
    def run(ctx):
        from wengert.viz.plots import new_figure

        fig, (ax,) = new_figure()
        ax.plot([0, 1], [0, math.pi])
        ctx.save_figure(fig, "line")
        return ctx.result("done", value=1)

    assert "extra" in demos.DEMOS
    res = run_tour(tmp_path, names=["extra"], progress=False, stream=False)
    assert res[0].images == [tmp_path / "extra-line.png"]
    assert (tmp_path / "index.html").exists()
