"""The tour's optimisation stops: the curse of dimensionality and trace estimation."""

from __future__ import annotations

import pytest

from wengert.demos import run_demo
from wengert.demos.dimensionality import theory


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("curvature-tour")
    return {n: run_demo(n, out, progress=False) for n in ("dimensionality", "hutchinson")}


def test_zero_order_iterations_grow_linearly_in_the_dimension(results):
    r = results["dimensionality"]
    assert r.ok
    assert 0.8 < r.data["slope_zeroth"] < 1.2 and abs(r.data["slope_gd"]) < 0.1
    for row in r.data["rows"]:
        # Both methods beat their worst-case rates; zero order spends 2 evaluations per step.
        assert row["gd"] <= theory(row["n"], False) and row["zeroth"] <= theory(row["n"], True)
        assert row["evals"] == pytest.approx(2 * row["zeroth"])


def test_hutch_plus_plus_converges_faster(results):
    r = results["hutchinson"]
    assert r.ok
    assert r.data["slopes"]["hutch++"] < -0.9 and -0.8 < r.data["slopes"]["hutchinson"] < -0.3
    assert all(a > b for a, b in zip(r.data["errors"]["hutchinson"], r.data["errors"]["hutch++"]))
