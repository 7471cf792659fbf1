"""The AD cost model: flops per equation, per-direction JVP/VJP work, bytes kept, rates."""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.transforms import cost


def _eqns(f, *args):
    return {e.prim.name: e for e in wg.trace(f)(*args).eqns}


def test_viz_reexports_the_model():
    from wengert.viz import cost as viz_cost

    assert viz_cost.eqn_flops is cost.eqn_flops
    assert viz_cost.saved_bytes is cost.saved_bytes
    assert viz_cost.read_by_vjp is cost.read_by_vjp


def test_partials_cost_what_their_linear_map_costs():
    A = np.ones((3, 4))
    e = _eqns(lambda x: wnp.cumsum(wnp.sum(wnp.tanh(A @ x)[None, :] * x[:3], axis=0)),
              np.ones(4))
    assert cost.partial_flops(e["matmul"]) == 2 * 3 * 4  # the same product on the tangent
    assert cost.partial_flops(e["tanh"]) == 3  # a scale per element
    assert cost.partial_flops(e["getitem"]) == 3  # a copy per element
    assert cost.partial_flops(e["sum"]) == 3  # one per input element
    assert cost.partial_flops(e["cumsum"]) == 3  # a scan: one per element


def test_eqn_cost_of_binary_and_unary_primitives():
    e = _eqns(lambda x, y: wnp.sin(x * y), np.ones(5), np.ones(5))
    mul = cost.eqn_cost(e["mul"])
    # Two partials of 5 flops, summed (5 adds); the VJP adds each cotangent where it lands.
    assert (mul.diff, mul.jvp, mul.vjp, mul.mults) == ((0, 1), 15, 20, 10)
    sin = cost.eqn_cost(e["sin"])
    assert (sin.diff, sin.jvp, sin.vjp, sin.fixed, sin.product) == ((0,), 5, 10, 5, False)
    e = _eqns(lambda x: np.ones((2, 3)) @ x + x[:2], np.ones(3))
    mm = cost.eqn_cost(e["matmul"])
    assert (mm.diff, mm.jvp, mm.mults, mm.fixed, mm.product) == ((1,), 12, 6, 0, True)
    assert cost.eqn_cost(e["add"]).mults == 0  # unit partials multiply by nothing


def test_constant_and_index_arguments_carry_no_direction():
    e = _eqns(lambda x: wnp.take(x, np.array([2, 0])) * 3.0, np.ones(3))
    assert cost.eqn_cost(e["mul"]).diff == (0,)


def test_kept_bytes_counts_recorded_values():
    t = wg.trace(lambda x: wnp.sum(wnp.exp(x)))(np.ones(10, np.float32))
    assert cost.kept_bytes(t) == 10 * 4 + 4
    measured = cost.saved_bytes(t)
    assert sum(measured.values()) <= cost.kept_bytes(t)


def test_cost_model_rates():
    model = cost.CostModel(product_flops_per_us=100.0, flops_per_us=10.0)
    assert model.flops_us(1000, product=True) == pytest.approx(10.0)
    assert model.flops_us(1000) == pytest.approx(100.0)
    # Products run faster per flop than elementwise work in the calibrated model.
    assert cost.MODEL.product_flops_per_us > cost.MODEL.flops_per_us
