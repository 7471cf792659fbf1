"""The lecture tour and the command line."""

from __future__ import annotations

import io
import math
import subprocess
import sys

from wengert.cli import main
from wengert.demos import DEMOS
from wengert.demos.lecture_graph import exact_gradient, run


def test_lecture_graph_matches_closed_form():
    res = run(io.StringIO())
    e1, e2 = exact_gradient(2.0, 3.0)
    assert abs(res["grad"][0] - e1) <= 1e-12 and abs(res["grad"][1] - e2) <= 1e-12
    assert abs(res["forward"][0] - e1) <= 1e-12 and abs(res["forward"][1] - e2) <= 1e-12
    assert math.isclose(res["value"], 3 * math.log(2) + math.sqrt(3 * math.log(2)))
    assert [e.prim.name for e in res["trace"]] == ["log", "mul", "sqrt", "add"]


def test_demo_prints_list_and_gradient(capsys):
    assert main(["demo", "graph"]) == 0
    out = capsys.readouterr().out
    assert "v3:f64[] = sqrt v2" in out and "∂L/∂w1" in out and "yes" in out


def test_demo_list_and_unknown(capsys):
    assert main(["demo", "--list"]) == 0
    assert "graph" in capsys.readouterr().out
    assert main(["demo", "nope"]) == 2
    assert "unknown demo" in capsys.readouterr().err
    assert set(DEMOS) >= {"graph"}


def test_python_dash_m():
    out = subprocess.run([sys.executable, "-m", "wengert", "demo", "--list"],
                         capture_output=True, text=True, check=True).stdout
    assert "graph" in out
