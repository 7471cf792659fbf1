"""The trace table: values against the lecture's closed forms, renderers, steps, errors."""

from __future__ import annotations

import math
from html.parser import HTMLParser

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core.errors import WengertError
from wengert.viz import TraceTable, format_value, table


def L(w1, w2):
    v1 = wnp.log(w1)
    v2 = w2 * v1
    v3 = wnp.sqrt(v2)
    return v2 + v3


W1, W2 = 2.0, 3.0
S = 1 + 1 / (2 * math.sqrt(W2 * math.log(W1)))
DL_DW1 = (W2 / W1) * S
DL_DW2 = math.log(W1) * S


@pytest.fixture(scope="module")
def lecture():
    return table(L, W1, W2, wrt="w1", output_names=("L",))


def test_rows_follow_the_lecture(lecture):
    assert [r.name for r in lecture] == ["w1", "w2", "v1", "v2", "v3", "L"]
    assert [r.expr for r in lecture.rows[2:]] == ["log(w1)", "w2·v1", "sqrt(v2)", "v2 + v3"]
    assert lecture["v2"].inputs == ("w2", "v1")
    assert [r.is_output for r in lecture] == [False] * 5 + [True]
    assert float(lecture["L"].value) == pytest.approx(W2 * math.log(W1) + math.sqrt(W2 * math.log(W1)), abs=1e-15)


def test_forward_column_is_the_lecture_tangents(lecture):
    v1, v2 = math.log(W1), W2 * math.log(W1)
    expected = {"w1": 1.0, "w2": 0.0, "v1": 1 / W1, "v2": W2 / W1,
                "v3": (W2 / W1) / (2 * math.sqrt(v2)), "L": DL_DW1}
    for name, want in expected.items():
        assert abs(float(lecture[name].tangent) - want) <= 1e-12, name
    assert lecture.tangent_label == "∂v/∂w1"
    assert v1 > 0


def test_forward_along_w2():
    tbl = table(L, W1, W2, wrt=1, output_names="L")
    assert abs(float(tbl["L"].tangent) - DL_DW2) <= 1e-12
    assert tbl.tangent_label == "∂v/∂w2"
    assert abs(float(table(L, W1, W2, wrt="w2")["v4"].tangent) - DL_DW2) <= 1e-12


def test_reverse_column_is_the_lecture_adjoints(lecture):
    v2 = W2 * math.log(W1)
    expected = {"L": 1.0, "v3": 1.0, "v2": 1 + 1 / (2 * math.sqrt(v2)),
                "v1": W2 * (1 + 1 / (2 * math.sqrt(v2))), "w1": DL_DW1, "w2": DL_DW2}
    for name, want in expected.items():
        assert abs(float(lecture[name].adjoint) - want) <= 1e-12, name
    assert lecture.adjoint_label == "∂L/∂v"


def test_any_direction_and_cotangent_agree_with_jvp_and_vjp():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 4))
    x = rng.standard_normal(4)

    def f(A, x):
        return wnp.tanh(A @ x) * 2.0

    tA, tx = rng.standard_normal((3, 4)), rng.standard_normal(4)
    u = rng.standard_normal(3)
    tbl = table(f, A, x, tangents=(tA, tx), cotangent=u)
    _, want_t = wg.jvp(f, (A, x), (tA, tx))
    _, f_vjp = wg.vjp(f, A, x)
    gA, gx = f_vjp(u)
    out = tbl.outputs[0]
    np.testing.assert_allclose(out.tangent, want_t, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(tbl["A"].adjoint, gA, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(tbl["x"].adjoint, gx, rtol=1e-14, atol=1e-14)
    assert tbl.tangent_label == "v̇" and tbl.adjoint_label == "v̄"


def test_pytree_arguments_and_parameter_names():
    def loss(params, x):
        return wnp.sum((params["w"] * x + params["b"]) ** 2)

    params = {"b": 0.5, "w": np.array([1.0, -2.0])}
    x = np.array([0.3, 0.7])
    tbl = table(loss, params, x, wrt="params")
    grads = wg.grad(loss)(params, x)
    # leaves in pytree order: b, w, x -> w1, w2, w3
    np.testing.assert_allclose(tbl["w1"].adjoint, grads["b"], rtol=1e-14)
    np.testing.assert_allclose(tbl["w2"].adjoint, grads["w"], rtol=1e-14)
    _, want = wg.jvp(loss, (params, x), ({"b": 1.0, "w": np.ones(2)}, np.zeros(2)))
    np.testing.assert_allclose(tbl.outputs[0].tangent, want, rtol=1e-14)
    assert "ones in w1, w2" in tbl.direction


def test_inputs_take_parameter_names():
    def f(x, y):
        return x * wnp.sin(y)

    tbl = table(f, 0.5, 2.0, wrt="y")
    assert [r.name for r in tbl.inputs] == ["x", "y"]
    assert tbl.tangent_label == "∂v/∂y"
    assert float(tbl.outputs[0].tangent) == pytest.approx(0.5 * math.cos(2.0), abs=1e-15)
    assert float(tbl["x"].adjoint) == pytest.approx(math.sin(2.0), abs=1e-15)


def test_swapped_lecture_names_resolve_by_parameter():
    def g(w2, w1):
        return w2 * wnp.log(w1)

    tbl = table(g, 3.0, 2.0, wrt="w1")
    assert [r.name for r in tbl.inputs] == ["w2", "w1"]
    assert float(tbl.outputs[0].tangent) == pytest.approx(3.0 / 2.0, abs=1e-15)


def test_names_that_look_like_intermediates_fall_back():
    tbl = table(lambda v1, b: v1 * b, 2.0, 3.0)
    assert [r.name for r in tbl.inputs] == ["w1", "w2"]


def test_unreached_variables_show_zero():
    def f(x):
        _unused = wnp.exp(x)
        return x * 3.0

    tbl = table(f, 1.5)
    assert float(tbl["v1"].adjoint) == 0.0
    assert float(tbl["v1"].tangent) == pytest.approx(math.exp(1.5))


def test_format_value_small_in_full_large_summarised():
    assert format_value(np.array([1.0, 2.5])) == "[1, 2.5]"
    assert format_value(0.0) == "0"
    big = format_value(np.linspace(-1, 1, 50).reshape(5, 10))
    assert big == "f64[5,10] ∈ [-1, 1]"
    assert len(format_value(np.arange(6.0) * 1e-7, width=12)) == 12


def test_renderers(lecture):
    text = str(lecture)
    assert text.splitlines()[0].split()[:3] == ["#", "v", "operation"]
    assert "→ 6" in text
    md = lecture.to_markdown()
    table_lines = [ln for ln in md.splitlines() if ln.startswith("|")]
    assert len(table_lines) == 2 + len(lecture)
    assert "**L**" in md
    tex = lecture.to_latex()
    assert tex.startswith(r"\begin{tabular}{rllrrr}") and tex.endswith(r"\end{tabular}")
    assert r"$\sqrt{v_{2}}$" in tex and r"$\log\left(w_{1}\right)$" in tex
    assert r"\frac{\partial v_i}{\partial w_{1}}" in tex
    html = lecture._repr_html_()
    assert html == lecture.to_html()

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.tags = 0, []

        def handle_starttag(self, tag, attrs):
            if tag != "br":  # a void element has no end tag
                self.tags.append(tag)
            self.rows += tag == "tr"

        def handle_endtag(self, tag):
            assert self.tags.pop() == tag

    p = Cells()
    p.feed(html)
    assert p.rows == 1 + len(lecture) and p.tags == []


def test_reverse_view_ends_in_the_gradient(lecture):
    rev = lecture.reverse_table()
    lines = str(rev).splitlines()[2:8]
    assert [ln.lstrip("→ ").split()[1] for ln in lines] == ["L", "v3", "v2", "v1", "w1", "w2"]
    assert lines[-2].split()[-1] == f"{DL_DW1:.6g}" and lines[-1].split()[-1] == f"{DL_DW2:.6g}"
    md = [ln for ln in rev.to_markdown().splitlines() if ln.startswith("| ")]
    assert md[-1].startswith("| 2 | w2 |") and md[1].startswith("| 6 | **L** |")
    assert lecture.rows == rev.rows  # only the display order differs


def test_column_views(lecture):
    fwd, rev = lecture.forward_table(), lecture.reverse_table()
    assert "adjoint" not in str(fwd).splitlines()[0] and "tangent" in str(fwd).splitlines()[0]
    assert "tangent" not in str(rev).splitlines()[0] and "adjoint" in str(rev).splitlines()[0]
    costs = lecture.with_columns("name", "flops", "saved")
    assert "total: 4 flops, 32 bytes" in str(costs)
    with pytest.raises(WengertError, match="unknown column"):
        lecture.with_columns("nope")


def test_steps_walk_both_sweeps(lecture):
    steps = list(lecture.steps())
    fwd = [s for s in steps if s.sweep == "forward"]
    rev = [s for s in steps if s.sweep == "reverse"]
    assert len(fwd) == len(lecture)
    assert len(rev) == 1 + len(lecture.trace.eqns)
    # After forward step 3 only w1, w2, v1 are known.
    third = fwd[2]
    assert third.focus == "v1" and ("value", "v2") not in third.state
    assert "▶ 3" in str(third)
    # The reverse sweep accumulates v̄2 from two uses: 1 (via L) then 1/(2√v2) (via v3).
    v2_bar = [float(s.state[("adjoint", "v2")]) for s in rev if ("adjoint", "v2") in s.state]
    assert v2_bar[0] == 1.0 and abs(v2_bar[-1] - float(lecture["v2"].adjoint)) <= 1e-15
    final = rev[-1].state
    for r in lecture:
        assert float(final[("adjoint", r.name)]) == float(r.adjoint)
    assert "w̄1 += 2.0201" in rev[-1].text
    assert "<b>reverse step" in rev[-1]._repr_html_()


@pytest.mark.parametrize("kwargs, match", [
    ({"wrt": "w9"}, "names neither an input"),
    ({"wrt": "zz"}, r"names neither an input \(w1, w2\) nor a parameter"),
    ({"wrt": 5}, "argument position"),
    ({"output_names": ("a", "b")}, "output_names has 2"),
    ({"output_names": ("w1",)}, "repeat input names"),
    ({"cotangent": (1.0, 2.0)}, "cotangent has structure"),
])
def test_bad_input_is_explained(kwargs, match):
    with pytest.raises(WengertError, match=match):
        table(L, W1, W2, **kwargs)


def test_integer_input_is_refused_clearly():
    with pytest.raises(WengertError, match="table"):
        table(L, 2, 3)


def test_per_variable_names(lecture):
    assert lecture.tangent_name("v2") == "∂v2/∂w1" and lecture.adjoint_name("v2") == "∂L/∂v2"
    plain = table(lambda x: x * 2.0, np.ones(2))
    assert plain.tangent_name("v1") == "v̇1"
    assert plain.adjoint_name("v1") == "v̄1"


def test_table_is_a_trace_table(lecture):
    assert isinstance(lecture, TraceTable)
    assert lecture.total_flops == 4 and lecture.total_saved_bytes == 32
    assert [r.index for r in lecture] == list(range(1, 7))
