"""Property tests: random programs of 2-6 primitives, checked against finite differences.

Hypothesis draws a shape from a small set and a program: a list of steps, each a smooth,
domain-safe unary op or a binary op whose second operand is another random input (so it is
differentiated too) or a constant, either possibly of a broadcast shape; then an optional final
reduction. ``check_grads`` compares forward mode with central differences and reverse mode
with forward mode through <u, J v> = <J^T u, v>; short programs are also checked at order 2.
The search is derandomized so CI always sees the same examples.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import wengert.numpy as wnp
from wengert.core.tracer import Tracer
from wengert.testing import check_grads

# Smooth on the whole real line, with bounded growth (exp and sinh only after tanh).
UNARY = {
    "sin": wnp.sin,
    "cos": wnp.cos,
    "tanh": wnp.tanh,
    "exp_tanh": lambda x: wnp.exp(wnp.tanh(x)),
    "log1p_square": lambda x: wnp.log1p(x * x),
    "square": lambda x: x * x,
    "arctan": wnp.arctan,
    "sinh_tanh": lambda x: wnp.sinh(wnp.tanh(x)),
    "sqrt_1p_square": lambda x: wnp.sqrt(1 + x * x),
    "neg": lambda x: -x,
    "scale": lambda x: 0.5 * x,
    "softsign": lambda x: x / (1 + wnp.abs(x) + x * x),
}
BINARY = ("add", "sub", "mul", "maximum", "matmul")
REDUCTIONS = (None, "sum", "mean", "sum_axis0", "mean_last_keepdims")

SHAPES = [(), (1,), (3,), (2, 3)]

# Second-operand shapes that broadcast against each main shape (including the shape itself).
BROADCAST = {
    (): [(), (2,)],
    (1,): [(1,), (), (3,)],
    (3,): [(3,), (), (1,), (2, 3)],
    (2, 3): [(2, 3), (), (3,), (2, 1), (1, 3)],
}

MIN_GAP = 1e-3  # maximum's operands stay this far apart, so no step crosses a kink


def _apply_binary(name, a, b, gaps):
    if name == "add":
        return a + b
    if name == "sub":
        return a - b
    if name == "mul":
        return a * b
    if name == "matmul":
        return a @ b
    # maximum: derivative is one-sided except at ties; record how close the operands came.
    if not isinstance(a, Tracer) and not isinstance(b, Tracer):
        diff = np.abs(np.asarray(a) - np.asarray(b))
        gaps.append(float(diff.min()) if diff.size else np.inf)
    return wnp.maximum(a, b)


def _reduce(name, y):
    if name is None:
        return y
    if name == "sum":
        return wnp.sum(y)
    if name == "mean":
        return wnp.mean(y)
    if name == "sum_axis0":
        return wnp.sum(y, axis=0) if np.ndim(y) else wnp.sum(y)
    return wnp.mean(y, axis=-1, keepdims=True) if np.ndim(y) else wnp.mean(y)


@st.composite
def programs(draw):
    shape = draw(st.sampled_from(SHAPES))
    n_steps = draw(st.integers(2, 6))
    steps = []
    for _ in range(n_steps):
        if draw(st.booleans()):
            steps.append(("unary", draw(st.sampled_from(sorted(UNARY))), None, None))
            continue
        op = draw(st.sampled_from(BINARY))
        if op == "matmul":
            if len(shape) == 0:
                op = "mul"
            else:
                # A square operand keeps the running shape: (..., n) @ (n, n).
                n = shape[-1]
                steps.append(("binary", op, draw(st.sampled_from(["input", "const"])), (n, n)))
                continue
        operand_shape = draw(st.sampled_from(BROADCAST[shape]))
        kind = draw(st.sampled_from(["input", "const"]))
        steps.append(("binary", op, kind, operand_shape))
    reduction = draw(st.sampled_from(REDUCTIONS))
    seed = draw(st.integers(0, 2**20))
    return shape, steps, reduction, seed


def build(program):
    """Return (f, args): f takes the main input and one extra input per 'input' operand."""
    shape, steps, reduction, seed = program
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    inputs = []
    consts = []
    for kind, _, operand, oshape in steps:
        if kind != "binary":
            consts.append(None)
            continue
        value = rng.standard_normal(oshape)
        if oshape and len(oshape) == 2 and oshape[0] == oshape[1] and oshape[0] > 1:
            value = value / oshape[0]  # keep repeated matmuls from growing
        if operand == "input":
            consts.append(("input", len(inputs)))
            inputs.append(value)
        else:
            consts.append(("const", value))

    def f(x, *extra, gaps=None):
        gaps = [] if gaps is None else gaps
        y = x
        for (kind, name, _, _), c in zip(steps, consts):
            if kind == "unary":
                y = UNARY[name](y)
                continue
            other = extra[c[1]] if c[0] == "input" else c[1]
            y = _apply_binary(name, y, other, gaps)
        return _reduce(reduction, y)

    return f, (x, *inputs)


def _no_ties(f, args):
    """Evaluate f on plain arrays and reject programs where maximum nearly ties."""
    gaps: list = []
    out = f(*args, gaps=gaps)
    assume(all(g > MIN_GAP for g in gaps))
    assume(np.all(np.isfinite(out)) and np.max(np.abs(out), initial=0.0) < 1e6)


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs())
def test_random_programs_first_order(program):
    f, args = build(program)
    _no_ties(f, args)
    check_grads(f, args, order=1, modes=("fwd", "rev"), rtol=1e-5, atol=1e-6)


@settings(max_examples=20, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(programs())
def test_random_programs_second_order(program):
    _, steps, _, _ = program
    assume(len(steps) <= 4)
    f, args = build(program)
    _no_ties(f, args)
    check_grads(f, args, order=2, modes=("fwd", "rev"), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_every_unary_step_alone(name):
    # Each menu item once, deterministically, whatever hypothesis draws.
    f, args = build(((2, 3), [("unary", name, None, None)] * 2, "sum", 3))
    np.testing.assert_allclose(f(*args), np.sum(UNARY[name](UNARY[name](args[0]))))
    check_grads(f, args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("operand", ["input", "const"])
def test_every_binary_step_alone(op, operand):
    oshape = (3, 3) if op == "matmul" else (3,)
    steps = [("binary", op, operand, oshape), ("unary", "sin", None, None)]
    f, args = build(((2, 3), steps, "mean", 5))
    assert len(args) == (2 if operand == "input" else 1)
    gaps: list = []
    f(*args, gaps=gaps)
    assert all(g > MIN_GAP for g in gaps)
    check_grads(f, args, order=2, modes=("fwd", "rev"))
