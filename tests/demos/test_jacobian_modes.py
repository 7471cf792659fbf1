"""The jacobian-modes demo: its picture, its table, agreeing Jacobians and a measured crossover.

No assertion here depends on how fast anything ran, only on what was measured being recorded.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import wengert as wg
from wengert.demos import DEMOS, run_demo
from wengert.demos import jacobian_modes as jm

image = pytest.importorskip("matplotlib.image")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("jacobian-modes")
    return out, run_demo("jacobian-modes", out, progress=False)


def _read_png(path):
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 50 and pixels.shape[1] > 50
    rgb = pixels[..., :3]
    assert np.ptp(rgb) > 0.3, f"{path.name} is one colour"
    ink = np.mean(np.any(rgb < 0.9, axis=-1))
    assert 0.005 < ink < 0.95, f"{path.name}: {ink:.3f} of the pixels are drawn"
    return pixels


def test_demo_is_registered_in_the_tour():
    assert "jacobian-modes" in DEMOS
    assert "∝ n" in DEMOS["jacobian-modes"].caption
    assert "∝ m" in DEMOS["jacobian-modes"].caption


def test_writes_one_valid_png_and_the_text(demo):
    out, r = demo
    assert r.images == [out / "jacobian-modes-time-vs-outputs.png"]
    _read_png(r.images[0])
    assert (out / "jacobian-modes.txt").read_text(encoding="utf-8").strip() == r.text.strip()


def test_table_has_a_row_for_every_m(demo):
    r = demo[1]
    rows = [line.split() for line in r.text.splitlines()]
    firsts = [row[0] for row in rows if row]
    for m in jm.SIZES:
        assert str(m) in firsts, f"no row for m = {m}"
    assert [row["m"] for row in r.data["rows"]] == list(jm.SIZES)
    for row in r.data["rows"]:
        assert {"fwd", "rev", "auto"} <= set(row["times"]) <= {"fwd", "rev", "auto", "mixed"}
        assert all(t > 0 for t in row["times"].values())
        assert row["equals"] in ("fwd", "rev", "fwd=rev", "neither")


def test_jacobians_agree_across_modes_and_with_the_closed_form(demo):
    r = demo[1]
    assert r.ok
    assert r.data["max_diff"] <= 1e-10
    assert all(row["max_diff"] <= 1e-10 for row in r.data["rows"])


def test_crossover_is_reported(demo):
    # Where the measured curves cross depends on the machine's clock (no timing is asserted):
    # the demo reports a positive m/n, or says that they did not cross in the range.
    r = demo[1]
    cross = r.data["crossover"]
    assert cross is None or (math.isfinite(cross) and cross > 0)
    assert "measured crossover" in r.text


@pytest.mark.skipif(not hasattr(wg, "jacobian_cost"), reason="no cost model in this wengert")
def test_cost_model_panel_follows_the_lecture_rule(demo):
    # The predicted costs come from the recorded list, not a clock: reverse mode is predicted
    # cheaper for few outputs, forward mode for many, and the predicted curves cross between.
    _, r = demo
    rows = {row["m"]: row["predicted"] for row in r.data["rows"]}
    assert rows[10]["rev"] < rows[10]["fwd"]
    assert rows[1000]["fwd"] < rows[1000]["rev"]
    assert all(p["choice"] in ("fwd", "rev", "mixed") for p in rows.values())
    assert 0.1 < r.data["predicted_crossover"] < 10
    assert "predicted crossover" in r.text
    pixels = image.imread(r.images[0])
    assert pixels.shape[1] > 2 * pixels.shape[0], "expected two panels side by side"


def test_crossover_interpolates_on_log_axes():
    # log t_fwd - log t_rev goes from log 2 to -log 2 between 1 and 10: they cross at √10.
    assert jm.crossover([0.1, 1.0, 10.0], [1.0, 1.0, 1.0], [0.1, 0.5, 2.0]) == pytest.approx(
        math.sqrt(10.0)
    )
    assert jm.crossover([1.0, 4.0], [2.0, 2.0], [1.0, 4.0]) == pytest.approx(2.0)
    assert jm.crossover([0.1, 1.0], [3.0, 2.0], [3.0, 5.0]) == pytest.approx(0.1)
    assert jm.crossover([0.1, 1.0, 10.0], [1.0, 1.0, 1.0], [2.0, 3.0, 4.0]) is None


def test_ran_as_names_the_mode_by_bitwise_equality():
    a, b = np.array([1.0, 2.0]), np.array([1.0, 2.0 + 2.0**-51])
    assert jm.ran_as(a, a, b) == "fwd"
    assert jm.ran_as(b, a, b) == "rev"
    assert jm.ran_as(a, a, a) == "fwd=rev"
    assert jm.ran_as(a + 1, a, b) == "neither"


def test_workload_jacobian_is_the_closed_form():
    f, x, jac = jm.workload(7, n=5)
    assert f(x).shape == (7,)
    np.testing.assert_allclose(wg.jacrev(f)(x), jac, rtol=0, atol=1e-14)
