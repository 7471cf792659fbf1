"""Spec for ``checkpoint_name``: an identity in value, derivatives of every order and shape."""

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core.errors import WengertTypeError
from wengert.primitives import REGISTRY
from wengert.primitives.registry import ShapeDtype
from wengert.testing import check_grads, check_jvp_vjp_consistency

COVERED_PRIMITIVES = {"checkpoint_name"}


def _f(x):
    return wnp.sin(wg.checkpoint_name(x * x, "h"))


def test_value_is_the_same_array():
    x = np.arange(3.0)
    assert REGISTRY["checkpoint_name"].impl(x, name="h") is x


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_rules_against_differences_and_each_other(shape):
    x = np.random.default_rng(0).standard_normal(shape)
    check_grads(_f, (x,), order=2, modes=("fwd", "rev"))
    check_jvp_vjp_consistency(_f, (x,))


def test_shape_rule_and_recorded_name():
    rule = REGISTRY["checkpoint_name"].shape
    assert rule(ShapeDtype((2, 3), np.dtype("float32")), name="h") == ((2, 3), np.float32)
    t = wg.trace(_f)(np.ones(2))
    assert [e.params for e in t.eqns if e.prim.name == "checkpoint_name"] == [{"name": "h"}]


def test_pytrees_and_errors():
    out = wg.checkpoint_name({"a": np.ones(2), "b": 3.0}, "h")
    assert set(out) == {"a", "b"}
    with pytest.raises(WengertTypeError, match="name must be a string"):
        wg.checkpoint_name(np.ones(2), 3)
