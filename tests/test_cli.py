"""The ``wengert`` command: trace (tables and pictures), check (derivative checks) and demo."""

from __future__ import annotations

import math
import subprocess
import sys
import types
import uuid
from pathlib import Path

import numpy as np
import pytest

from wengert import cli
from wengert.cli import build_parser, main, run_check, run_trace

LECTURE = "w2*log(w1) + sqrt(w2*log(w1))"
W1, W2 = 2.0, 3.0


def exact_gradient(w1: float, w2: float) -> tuple[float, float]:
    """∂L/∂w1 = (w2/w1)(1 + 1/(2√(w2 log w1))), ∂L/∂w2 = log(w1)(1 + 1/(2√(w2 log w1)))."""
    s = 1.0 + 1.0 / (2.0 * math.sqrt(w2 * math.log(w1)))
    return (w2 / w1) * s, math.log(w1) * s


E1, E2 = exact_gradient(W1, W2)
VALUE = W2 * math.log(W1) + math.sqrt(W2 * math.log(W1))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def data_rows(text: str) -> dict[str, list[str]]:
    """Split a text table into {row name: cells}, dropping the header, rule and footer."""
    rows = {}
    for line in text.splitlines()[2:]:
        cells = line.lstrip("→▶ ").split()
        if cells and cells[0].isdigit():
            rows[cells[1]] = cells
    return rows


def printed(x: float) -> str:
    """How the table prints a scalar: six significant digits."""
    return f"{x:.6g}"


# --- trace: the lecture's two tables ----------------------------------------------------------


def test_trace_forward_table_ends_in_the_partial_derivative(capsys):
    code, out, err = run(
        capsys,
        "trace",
        LECTURE,
        "--at",
        "w1=2",
        "w2=3",
        "--mode",
        "fwd",
        "--wrt",
        "w1",
        "--name",
        "L",
    )
    assert code == 0 and err == ""
    header = out.splitlines()[0]
    assert "tangent ∂v/∂w1" in header and "adjoint" not in header
    rows = data_rows(out)
    assert list(rows) == ["w1", "w2", "v1", "v2", "v3", "L"]
    assert [r[2] for r in rows.values()] == [
        "input",
        "input",
        "log(w1)",
        "w2·v1",
        "sqrt(v2)",
        "v2",
    ]
    # The last row's tangent is ∂L/∂w1, printed to the table's six digits.
    assert rows["L"][-1] == printed(E1)
    assert abs(float(rows["L"][-1]) - E1) <= 5e-6 * E1
    assert rows["L"][-2] == printed(VALUE)
    assert rows["w1"][-1] == "1" and rows["w2"][-1] == "0"
    assert out.splitlines()[-1] == "direction: e1: tangents are ∂v/∂w1"


def test_trace_reverse_table_ends_in_the_gradient(capsys):
    code, out, err = run(
        capsys, "trace", LECTURE, "--at", "w1=2", "w2=3", "--mode", "rev", "--name", "L"
    )
    assert code == 0 and err == ""
    assert "adjoint ∂L/∂v" in out.splitlines()[0] and "tangent" not in out.splitlines()[0]
    rows = data_rows(out)
    # rows in the reverse sweep's order: L first, the inputs last
    assert list(rows) == ["L", "v3", "v2", "v1", "w1", "w2"]
    assert [rows["w1"][-1], rows["w2"][-1]] == [c[-1] for c in list(rows.values())[-2:]]
    assert rows["w1"][-1] == printed(E1) and rows["w2"][-1] == printed(E2)
    assert rows["L"][-1] == "1"
    assert "seed: L̄ = 1" in out


def test_run_trace_values_to_1e12():
    fwd = run_trace(
        build_parser().parse_args(
            ["trace", LECTURE, "--at", "w1=2", "w2=3", "--mode", "fwd", "--wrt", "w1"]
        )
    )
    assert fwd.rows[-1].name == "f" and fwd.rows[-1].is_output
    assert abs(float(fwd.rows[-1].value) - VALUE) <= 1e-12
    assert abs(float(fwd.rows[-1].tangent) - E1) <= 1e-12
    assert abs(float(fwd["w1"].adjoint) - E1) <= 1e-12
    assert abs(float(fwd["w2"].adjoint) - E2) <= 1e-12
    wrt2 = run_trace(
        build_parser().parse_args(
            ["trace", LECTURE, "--at", "w1=2", "w2=3", "--wrt", "w2", "--name", "L"]
        )
    )
    assert wrt2.rows[-1].name == "L"
    assert abs(float(wrt2.rows[-1].tangent) - E2) <= 1e-12
    assert wrt2.tangent_label == "∂v/∂w2" and wrt2.adjoint_label == "∂L/∂v"


def test_trace_both_sweeps_with_variables_in_at_order(capsys):
    code, out, _ = run(capsys, "trace", LECTURE, "--at", "w2=3", "w1=2", "--wrt", "w2")
    assert code == 0
    header = out.splitlines()[0]
    assert "tangent ∂v/∂w2" in header and "adjoint ∂f/∂v" in header
    rows = data_rows(out)
    assert rows["w1"][3] == "2" and rows["w2"][3] == "3"
    assert out.index(" w2 ") < out.index(" w1 ")  # --at order
    assert rows["f"][-2] == printed(E2)  # tangent along w2 at the output
    assert rows["w1"][-1] == printed(E1) and rows["w2"][-1] == printed(E2)


def test_trace_rows_carry_the_variable_names(capsys):
    args = build_parser().parse_args(
        ["trace", "b*log(a) + sqrt(b*log(a))", "--at", "a=2", "b=3", "--wrt", "b"]
    )
    tbl = run_trace(args)
    assert [r.name for r in tbl.inputs] == ["a", "b"]
    assert abs(float(tbl.rows[-1].tangent) - E2) <= 1e-12
    assert abs(float(tbl["a"].adjoint) - E1) <= 1e-12
    code, out, _ = run(capsys, "trace", "y*log(x)", "--at", "y=3", "x=2")
    assert code == 0 and "log(x)" in out and "y·v1" in out


def test_trace_arrays(capsys):
    code, out, _ = run(
        capsys, "trace", "sum(tanh(A @ x))", "--at", "A=[[1,2],[3,4]]", "x=[0.5,-1]", "--wrt", "x"
    )
    assert code == 0 and "A @ x" in out and "tanh(" in out
    tbl = run_trace(
        build_parser().parse_args(
            ["trace", "sum(tanh(A @ x))", "--at", "A=[[1,2],[3,4]]", "x=[0.5,-1]", "--wrt", "x"]
        )
    )
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = np.array([0.5, -1.0])
    expected = A.T @ (1 - np.tanh(A @ x) ** 2)
    np.testing.assert_allclose(tbl["x"].adjoint, expected, rtol=1e-12)
    assert abs(float(tbl.rows[-1].tangent) - expected.sum()) <= 1e-12


@pytest.mark.parametrize(
    ("fmt", "markers"),
    [
        ("md", ["| # | v | operation |", "| **f** |", printed(E1)]),
        ("latex", [r"\begin{tabular}", r"\log\left(w_{1}\right)", printed(E1)]),
        ("html", ['<table class="wengert-trace"', "log(w1)", printed(E1)]),
        ("text", ["operation", printed(E1)]),
    ],
)
def test_trace_text_formats(capsys, fmt, markers):
    code, out, err = run(capsys, "trace", LECTURE, "--at", "w1=2", "w2=3", "--format", fmt)
    assert code == 0 and err == ""
    for m in markers:
        assert m in out, (m, out)


def test_trace_writes_a_file(capsys, tmp_path):
    path = tmp_path / "t.md"
    code, out, _ = run(
        capsys, "trace", LECTURE, "--at", "w1=2", "w2=3", "--format", "md", "-o", str(path)
    )
    assert code == 0 and out.strip() == f"wrote {path}"
    assert printed(E2) in path.read_text(encoding="utf-8")


def test_trace_svg_and_png(capsys, tmp_path):
    code, out, _ = run(
        capsys, "trace", LECTURE, "--at", "w1=2", "w2=3", "--format", "svg", "--mode", "rev"
    )
    assert code == 0 and "<svg" in out and "log(w1)" in out
    pytest.importorskip("matplotlib")
    path = tmp_path / "t.png"
    code, out, _ = run(
        capsys, "trace", LECTURE, "--at", "w1=2", "w2=3", "--format", "png", "-o", str(path)
    )
    assert code == 0 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def assert_usage_error(capsys, argv, phrase, command="trace"):
    code, out, err = run(capsys, *argv)
    assert code == 2, (argv, out, err)
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"wengert {command}: ") and phrase in lines[0], lines[0]


@pytest.mark.parametrize(
    ("argv", "phrase"),
    [
        (["w1 + w2", "--at", "w1=2"], "uses w2 but --at gives no value"),
        (["w1", "--at", "w1=2", "w3=1"], "--at gives w3, which the expression does not use"),
        ([LECTURE, "--at", "w1=2", "w2=3", "--wrt", "w3"], "--wrt w3: the expression has no"),
        (["w1", "--at", "w1=[1,2"], "--at w1=[1,2: the value '[1,2' is not a valid"),
        (["w1", "--at", "w1=2", "w1=3"], "--at gives w1 twice"),
        (["w1", "--at", "w1"], "expected NAME=VALUE"),
        (["w1", "--at", "w1=os.system"], "attribute access '.system' is not allowed in a value"),
        (["diagonal(w1)", "--at", "w1=2"], "evaluating 'diagonal(w1)' failed: ValueError"),
        (["w1", "--at", "w1=2", "--name", "a b"], "the output name must be a word"),
        (["w1", "--at", "w1=2", "--format", "png"], "give it with -o FILE.png"),
    ],
)
def test_trace_usage_errors(capsys, argv, phrase):
    assert_usage_error(capsys, ["trace", *argv], phrase)


HOSTILE = [
    ("__import__('os').system('echo PWNED')", "attribute access '.system'"),
    ("__import__('os')", "starts with '_'"),
    ("().__class__.__bases__[0].__subclasses__()", "attribute access '.__subclasses__'"),
    ("w1.real", "attribute access '.real'"),
    ("__builtins__", "starts with '_'"),
    ("lambda: w1", "lambda is not allowed"),
    ("[w1 for _ in [1]]", "list comprehension"),
    ("{w1 for w1 in [1]}", "set comprehension"),
    ("import os", "not a valid Python expression"),
    ("f'{w1}'", "f-string"),
    ("w1[0]", "subscripting"),
    ("(w1 := 2)", "assignment expression"),
    ("9**9**9**9**9", "exponent of '**'"),
    ("w1**100000", "exponent of '**'"),
    ("open('x')", "'open' (column 1) is not an allowed function"),
    ("eval('1')", "'eval' (column 1) is not an allowed function"),
    ("exec('1')", "'exec' (column 1) is not an allowed function"),
    ("getattr(w1, 'real')", "'getattr' (column 1) is not an allowed function"),
    ("sum(w1, **{'axis': 0})", "keyword unpacking"),
    ("(" * 10_000 + "w1" + ")" * 10_000, "too long"),
    ("(" * 900 + "w1" + ")" * 900, "nests brackets too deeply"),
    ("w1+" * 500_000 + "w1", "too long: 1500002 characters"),
]


@pytest.mark.parametrize(("text", "phrase"), HOSTILE)
def test_trace_refuses_hostile_expressions(capsys, text, phrase):
    assert_usage_error(capsys, ["trace", text, "--at", "w1=2"], phrase)


# --- help and the entry points ----------------------------------------------------------------


@pytest.mark.parametrize("verb", ["trace", "check", "demo"])
def test_each_verb_has_help_with_examples(capsys, verb):
    code, out, _ = run(capsys, verb, "--help")
    assert code == 0 and f"usage: wengert {verb}" in out and "examples:" in out
    assert f"wengert {verb}" in out.split("examples:")[1]


def test_trace_help_lists_the_functions(capsys):
    _, out, _ = run(capsys, "trace", "--help")
    assert "arctanh" in out and "stop_gradient" in out and "never" in out


def test_bad_verb_and_missing_arguments_exit_2(capsys):
    assert main([]) == 2
    assert main(["nope"]) == 2
    assert main(["trace", "w1"]) == 2  # --at is required
    assert "required" in capsys.readouterr().err


def test_python_dash_m_help_and_hostile_input():
    done = subprocess.run(
        [sys.executable, "-m", "wengert", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0
    assert all(v in done.stdout for v in ("trace", "check", "demo"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "wengert",
            "trace",
            "__import__('os').system('echo PWNED')",
            "--at",
            "w1=2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and "PWNED" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "attribute access" in done.stderr


# --- check ------------------------------------------------------------------------------------

MODULE = """
import wengert.numpy as wnp


def loss(w, b=0.0):
    return wnp.sum(wnp.tanh(w) * w) + b ** 2


def outer(x, y):
    return wnp.outer(x, y)


def broken(x):
    # The rule is wrong on purpose: the gradient misses the stop_gradient term.
    return wnp.sin(x) + wnp.stop_gradient(x) * x


def pos_only(x, /, y):
    return x * wnp.exp(y)


def boom(x):
    raise RuntimeError("no luck")


NOT_A_FUNCTION = 3
"""


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """Write a module with a unique name into a fresh folder and make that the cwd."""
    name = f"wg_cli_user_{uuid.uuid4().hex[:12]}"
    (tmp_path / f"{name}.py").write_text(MODULE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, name, raising=False)
    return name


def test_check_passes_on_a_correct_function(capsys, user_module):
    path_before = list(sys.path)
    code, out, err = run(capsys, "check", f"{user_module}:loss", "--at", "b=0.1", "w=[0.5,-1,2]")
    assert code == 0 and err == ""
    assert sys.path == path_before
    lines = out.splitlines()
    assert lines[0].startswith(f"wengert check {user_module}:loss  (order 2")
    rows = {line.split()[0]: line.split() for line in lines if line[:2] in ("w ", "b ")}
    assert list(rows) == ["w", "b"]  # the parameters' order, not the --at order
    assert rows["w"][1] == "(3,)" and rows["b"][1] == "()"
    assert all(r[-1] == "yes" for r in rows.values())
    assert all(float(e) < 1e-6 for r in rows.values() for e in r[2:6])
    assert "check_grads (order 2, fwd and rev): passed" in out and lines[-1] == "PASS"
    assert "reverse mode (the gradient)" in out


def test_check_by_file_path_and_default_parameters(capsys, user_module, tmp_path):
    code, out, _ = run(
        capsys,
        "check",
        str(tmp_path / f"{user_module}.py") + ":loss",
        "--at",
        "w=[0.3]",
        "--order",
        "1",
    )
    assert code == 0 and "(order 1" in out and out.strip().endswith("PASS")


def test_check_vector_output_and_positional_only(capsys, user_module):
    code, out, _ = run(capsys, "check", f"{user_module}:outer", "--at", "x=[1,2]", "y=[3,4,5]")
    assert code == 0 and "uᵀJ for a random u" in out
    code, out, _ = run(capsys, "check", f"{user_module}:pos_only", "--at", "y=0.5", "x=2")
    assert code == 0 and out.strip().endswith("PASS")


def test_check_fails_on_a_wrong_derivative(capsys, user_module):
    code, out, err = run(capsys, "check", f"{user_module}:broken", "--at", "x=[0.5,-1]")
    assert code == 1 and err == ""
    assert "NO" in out.split() and "FAILED" in out and out.strip().endswith("FAIL")


def test_check_reports_an_exception_in_the_function(capsys, user_module):
    code, out, err = run(capsys, "check", f"{user_module}:boom", "--at", "x=1")
    assert code == 1 and out.strip() == "FAIL"
    assert "Traceback" not in err
    assert err.strip() == (
        f"wengert check: {user_module}:boom raised RuntimeError: no luck (at {user_module}.py:23)"
    )


@pytest.mark.parametrize(
    ("target", "at", "phrase"),
    [
        (":loss", ["w=1"], "expected MODULE:FUNCTION"),
        ("{m}:loss", ["x=1"], "--at gives x, but {m}:loss has no such parameter (its parameters"),
        ("{m}:outer", ["x=1"], "{m}:outer needs a value for y"),
        ("{m}:pos_only", ["y=1"], "{m}:pos_only needs a value for x"),
        ("{m}:nothing", ["x=1"], "{m} has no attribute 'nothing'; its functions are "),
        ("{m}:NOT_A_FUNCTION", ["x=1"], "is a int, not a function"),
        ("no_such_module_xyz:f", ["x=1"], "cannot import 'no_such_module_xyz'"),
        ("missing/file.py:f", ["x=1"], "no such file: missing/file.py"),
        ("{m}", ["x=1"], "expected MODULE:FUNCTION"),
        ("{m}:loss", ["w=[1,2"], "--at w=[1,2:"),
    ],
)
def test_check_usage_errors(capsys, user_module, target, at, phrase):
    target = target.format(m=user_module)
    phrase = phrase.format(m=user_module)
    assert_usage_error(capsys, ["check", target, "--at", *at], phrase, command="check")


def test_check_import_error_is_one_line(capsys, tmp_path, monkeypatch):
    (tmp_path / "wg_cli_bad_module.py").write_text("x = 1 +\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert_usage_error(
        capsys,
        ["check", "wg_cli_bad_module:f", "--at", "x=1"],
        "importing 'wg_cli_bad_module' failed: SyntaxError",
        command="check",
    )


def test_run_check_errors_are_tiny_and_projection_path(monkeypatch):
    import wengert.numpy as wnp

    def f(x, y):
        return wnp.sum(wnp.sin(x) * y)

    x, y = np.array([0.1, 0.7, -0.3]), np.array(2.0)
    report = run_check(f, ["x", "y"], [x, y], order=1)
    assert report["ok"] and report["check_grads"] is None and report["scalar_output"]
    assert [r["name"] for r in report["rows"]] == ["x", "y"]
    assert all(
        r[k] < 1e-7 for r in report["rows"] for k in ("jvp_abs", "jvp_rel", "vjp_abs", "vjp_rel")
    )
    monkeypatch.setattr(cli, "MAX_FD_ELEMENTS", 2)
    report = run_check(f, ["x", "y"], [x, y], order=1)
    assert report["ok"]
    assert [r["vjp_projected"] for r in report["rows"]] == [True, False]


# --- demo -------------------------------------------------------------------------------------


@pytest.fixture
def fake_demos(monkeypatch):
    """Stand-in for wengert.demos, recording how the command calls run_tour."""
    calls = []
    ok = {"value": True}

    def run_tour(out_dir, names=None, progress=True, stream=None):
        calls.append({"out_dir": Path(out_dir), "names": names, "progress": progress})
        print("touring", file=stream)
        return [types.SimpleNamespace(ok=ok["value"])]

    demo = types.SimpleNamespace
    module = types.ModuleType("wengert.demos")
    module.DEMOS = {
        "graph": demo(title="The lecture's graph"),
        "sweeps": demo(title="Forward and reverse sweeps"),
    }
    module.run_tour = run_tour
    monkeypatch.setitem(sys.modules, "wengert.demos", module)
    return calls, ok


def test_demo_list(capsys, fake_demos):
    code, out, _ = run(capsys, "demo", "--list")
    assert code == 0
    assert out.splitlines() == [
        "graph   The lecture's graph",
        "sweeps  Forward and reverse sweeps",
    ]


def test_demo_runs_the_tour(capsys, fake_demos, tmp_path):
    calls, ok = fake_demos
    code, out, _ = run(capsys, "demo", "sweeps", "--out", str(tmp_path), "--no-progress")
    assert code == 0 and "touring" in out and f"wrote {tmp_path / 'index.html'}" in out
    assert calls == [{"out_dir": tmp_path, "names": ["sweeps"], "progress": False}]
    ok["value"] = False
    assert main(["demo"]) == 1
    assert calls[-1] == {"out_dir": Path("wengert-tour"), "names": None, "progress": True}


def test_demo_unknown_name(capsys, fake_demos):
    assert_usage_error(
        capsys,
        ["demo", "graph", "nope"],
        "unknown demo(s) nope; choose from graph, sweeps",
        command="demo",
    )


def test_demo_list_real_registry(capsys):
    from wengert.demos import DEMOS

    code, out, _ = run(capsys, "demo", "--list")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == list(DEMOS)
