"""The public checkers of wengert.testing catch wrong rules, and say where."""

from __future__ import annotations

import numpy as np
import pytest

import wengert.numpy as wnp
from wengert.core.tracer import bind
from wengert.primitives.registry import Primitive
from wengert.testing import (
    check_grads,
    check_jvp_vjp_consistency,
    check_primitive_rules,
    numerical_grad,
    numerical_jvp,
)

# A deliberately wrong primitive (not registered): sin with the derivative of cos.
bad_sin_p = Primitive(
    "bad_sin", np.sin, shape=None,
    jvp=(lambda t, out, x: -wnp.sin(x) * t,),
    vjp=(lambda g, out, x: -wnp.sin(x) * g,),
)
# Right JVP, wrong VJP: only the inner-product cross-check can see it.
drift_p = Primitive(
    "drift", np.sin, shape=None,
    jvp=(lambda t, out, x: wnp.cos(x) * t,),
    vjp=(lambda g, out, x: 1.01 * wnp.cos(x) * g,),
)


def test_numerical_helpers():
    x = np.array([0.3, -0.2])
    np.testing.assert_allclose(numerical_grad(lambda x: wnp.sum(x ** 3), x), 3 * x ** 2,
                               rtol=1e-8)
    np.testing.assert_allclose(numerical_jvp(wnp.sin, (x,), (np.ones(2),)), np.cos(x),
                               rtol=1e-8)


def test_check_grads_passes_on_correct_rules_and_fails_on_wrong_ones():
    x = np.array([0.3, 1.2])
    check_grads(lambda x: wnp.sin(x) * x, (x,), order=3)
    with pytest.raises(AssertionError, match="JVP and finite difference disagree"):
        check_grads(lambda x: bind(bad_sin_p, x), (x,), order=1)
    with pytest.raises(AssertionError, match=r"\(VJP\) vs <u, J v>"):
        check_grads(lambda x: bind(drift_p, x), (x,), order=1, modes=("rev",))
    with pytest.raises(AssertionError, match="exact cross-check|VJP"):
        check_grads(lambda x: bind(drift_p, x), (x,), order=1)
    with pytest.raises(AssertionError, match="<u, J v> vs <J"):
        check_jvp_vjp_consistency(lambda x: bind(drift_p, x), (x,))


def test_check_primitive_rules_names_the_equation():
    x = np.array([0.3, 1.2])
    assert check_primitive_rules(lambda x: wnp.sum(wnp.exp(x) * x), (x,)) == 3
    with pytest.raises(AssertionError, match=r"primitive 'bad_sin' are wrong at equation "
                       r"`v2 = bad_sin v1`"):
        check_primitive_rules(lambda x: wnp.sum(bind(bad_sin_p, x * 2.0)), (x,))


def test_check_values_catches_a_wrong_value_and_a_wrong_dtype():
    from wengert.testing import check_values

    x = np.array([0.5, 2.0])
    check_values(wnp.exp, (x,), np.exp(x))
    with pytest.raises(AssertionError):
        check_values(wnp.exp, (x,), np.exp(x) + 1e-9)
    with pytest.raises(AssertionError):
        check_values(wnp.exp, (x,), np.exp(x).astype(np.float32))
