"""The core without wengert.numpy: bind, the interpreter stack, and the Wengert-list IR."""

from __future__ import annotations

import numpy as np
import pytest

from wengert.core.ir import Eqn, Lit, Trace, Var
from wengert.core.tracer import Interpreter, Tracer, active_interpreters, bind, interpreter
from wengert.primitives.registry import Primitive

mul_p = Primitive("mul", np.multiply, shape=None)
log_p = Primitive("log", np.log, shape=None)


def test_bind_without_transforms_calls_impl():
    assert bind(mul_p, 2.0, 3.0) == 6.0
    assert active_interpreters() == ()


class _Box(Tracer):
    __slots__ = ("v",)

    def __init__(self, interp, v):
        self._interp, self.v = interp, v
        self.shape, self.dtype = np.shape(v), np.result_type(v)

    def _value(self):
        return self.v


class _Counting(Interpreter):
    __slots__ = ("seen",)

    def __init__(self):
        self.seen = []

    def process(self, prim, args, params):
        self.seen.append(prim.name)
        vals = [a.v if isinstance(a, _Box) and a._interp is self else a for a in args]
        return _Box(self, bind(prim, *vals, **params))


def test_innermost_interpreter_processes_first_and_levels_nest():
    with interpreter(_Counting) as outer:
        with interpreter(_Counting) as inner:
            assert (outer.level, inner.level) == (0, 1)
            x = _Box(outer, 2.0)
            y = _Box(inner, x)
            out = bind(mul_p, y, 3.0)
        assert inner.seen == ["mul"] and outer.seen == ["mul"]
        assert out.primal_value() == 6.0
    assert active_interpreters() == ()


def _lecture_trace():
    w1, w2 = Var(0, (), np.dtype("float64")), Var(1, (), np.dtype("float64"))
    v1, v2 = Var(2, (), np.dtype("float64")), Var(3, (), np.dtype("float64"))
    dead = Var(4, (), np.dtype("float64"))
    eqns = (Eqn(log_p, (w1,), v1, {}), Eqn(mul_p, (w2, v1), v2, {}),
            Eqn(mul_p, (w1, Lit(2.0)), dead, {}))
    values = [2.0, 3.0, np.log(2.0), 3 * np.log(2.0), 4.0]
    return Trace((w1, w2), eqns, (v2,), values)


def test_trace_prints_iterates_evaluates_and_prunes():
    t = _lecture_trace()
    text = str(t)
    assert "v1:f64[] = log w1" in text and "v2:f64[] = mul w2 v1" in text
    assert "# 0.693147" in text and text.splitlines()[-1] == "out: v2"
    assert [e.prim.name for e in t] == ["log", "mul", "mul"] and len(t) == 3
    (out,) = t.evaluate(2.0, 3.0)
    assert out == pytest.approx(3 * np.log(2.0))
    assert len(t.prune()) == 2
    assert t.value_of(t.eqns[0].out) == pytest.approx(np.log(2.0))


def test_ir_records_are_frozen():
    v = Var(0, (2,), np.dtype("float64"))
    with pytest.raises(AttributeError):
        v.id = 3
