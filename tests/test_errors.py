"""Errors at the API boundary say what was expected, what was received and how to fix it."""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core.errors import (
    MissingRuleError,
    UnsupportedError,
    WengertError,
    WengertIndexError,
    WengertTypeError,
    WengertValueError,
)
from wengert.core.tracer import bind
from wengert.primitives.registry import Primitive


def test_grad_of_non_scalar_output():
    with pytest.raises(WengertTypeError, match=r"grad: f must return a scalar, but it returned "
                       r"shape \(3, 2\)\. Reduce it \(e\.g\. \.sum\(\)\), or use jacobian or vjp"):
        wg.grad(lambda x: x)(np.ones((3, 2)))
    with pytest.raises(TypeError, match="must return a scalar"):  # also a builtin TypeError
        wg.grad(lambda x: [x, x])(1.0)


def test_grad_with_respect_to_integer_or_bool():
    with pytest.raises(WengertTypeError, match=r"grad: cannot differentiate with respect to "
                       r"argument 1 of dtype int64; pass floats .* or exclude it with argnums"):
        wg.grad(lambda x, n: x * n, argnums=1)(1.0, np.int64(3))
    with pytest.raises(WengertTypeError, match="argument 0 of dtype bool"):
        wg.grad(lambda b: wnp.sum(b))(np.array([True, False]))
    with pytest.raises(WengertTypeError, match="vjp: cannot differentiate .* argument 0 of dtype"):
        wg.vjp(lambda x: x, np.arange(3))
    # The usual fix works: exclude the integer argument.
    assert float(wg.grad(lambda x, n: x * n)(2.0, 3)) == 3.0


def test_jvp_tangent_wrong_shape_or_dtype():
    with pytest.raises(WengertValueError, match=r"jvp: the tangent for argument 0 has shape "
                       r"\(3,\) but the primal has shape \(3, 1\)"):
        wg.jvp(wnp.sin, (np.ones((3, 1)),), (np.ones(3),))
    with pytest.raises(WengertTypeError, match=r"tangent for argument 0 has dtype float32 but "
                       r"the primal has dtype float64; cast it with \.astype\(float64\)"):
        wg.jvp(wnp.sin, (np.ones(3),), (np.ones(3, np.float32),))
    with pytest.raises(WengertTypeError, match="primals and tangents must be tuples"):
        wg.jvp(wnp.sin, np.ones(3), np.ones(3))
    with pytest.raises(WengertValueError, match="got 2 primal"):
        wg.jvp(wnp.add, (1.0, 2.0), (1.0,))


def test_vjp_cotangent_wrong_shape_or_dtype():
    _, f_vjp = wg.vjp(wnp.sin, np.ones(3))
    with pytest.raises(WengertValueError, match=r"vjp: the cotangent for output 0 has shape "
                       r"\(2,\) but the output has shape \(3,\)"):
        f_vjp(np.ones(2))
    with pytest.raises(WengertTypeError, match="cotangent for output 0 has dtype complex128"):
        f_vjp(np.ones(3, complex))
    with pytest.raises(WengertValueError, match="cotangent has structure"):
        f_vjp((np.ones(3), np.ones(3)))


def test_argnums_out_of_range():
    with pytest.raises(WengertIndexError, match=r"grad: argnums=2 is out of range: f was called "
                       r"with 2 positional argument\(s\), so argnums must lie in \[0, 1\]"):
        wg.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(IndexError):
        wg.jacfwd(lambda x: x, argnums=(0, 5))(np.ones(2))
    with pytest.raises(WengertTypeError, match="argnums must be an int or a tuple of ints"):
        wg.grad(lambda x: x, argnums="0")(1.0)


def test_item_assignment_on_traced_array():
    def f(x):
        x[0] = 1.0
        return wnp.sum(x)

    with pytest.raises(UnsupportedError, match=r"item assignment on a traced array is not "
                       r"supported; build a new array with wnp\.where"):
        wg.grad(f)(np.ones(3))


def test_numpy_function_without_counterpart():
    with pytest.raises(UnsupportedError, match=r"numpy\.unwrap has no wengert counterpart"):
        wg.grad(lambda x: np.sum(np.unwrap(x)))(np.ones(3))


def test_numpy_ufunc_with_out_argument():
    def f(x):
        out = np.empty(3)
        np.sin(x, out=out)
        return wnp.sum(out)

    with pytest.raises(UnsupportedError, match=r"numpy\.sin\(\.\.\., out=\.\.\.\) .* call wengert\.numpy\.sin without out="):
        wg.grad(f)(np.ones(3))


def test_primitive_without_rule_for_the_mode():
    lonely_p = Primitive("lonely", np.negative, shape=None, jvp=None, vjp=None, family="shape")
    f = lambda x: wnp.sum(bind(lonely_p, x))
    with pytest.raises(MissingRuleError, match=r"no VJP rule for primitive 'lonely'\. Add one "
                       r"in wengert/primitives/shape\.py or declare the argument nondiff"):
        wg.grad(f)(np.ones(2))
    with pytest.raises(NotImplementedError, match="no JVP rule for primitive 'lonely'"):
        wg.jvp(f, (np.ones(2),), (np.ones(2),))


def test_concrete_conversion_of_traced_value():
    with pytest.raises(WengertTypeError, match=r"float\(\) on a traced array would drop its "
                       r"derivative"):
        wg.grad(lambda x: float(x) * x)(2.0)
    with pytest.raises(WengertTypeError, match=r"\.item\(\)"):
        wg.grad(lambda x: x.item() * x)(2.0)
    # Define-by-run control flow is fine: comparisons give plain booleans.
    assert float(wg.grad(lambda x: x * x if x > 0 else -x)(3.0)) == 6.0
    assert float(wg.grad(lambda x: x * x if x > 0 else -x)(-3.0)) == -1.0


def test_leaked_tracer():
    leaked = []

    def f(x):
        leaked.append(x)
        return x * 2.0

    wg.grad(f)(1.0)
    with pytest.raises(WengertValueError, match="leaked tracer"):
        wg.grad(lambda y: leaked[0] * y)(1.0)


def test_has_aux_requires_a_pair():
    with pytest.raises(WengertTypeError, match=r"with has_aux=True, f must return a pair"):
        wg.grad(lambda x: x * 2.0, has_aux=True)(1.0)


def test_all_errors_are_wengert_errors():
    for cls in (MissingRuleError, UnsupportedError, WengertIndexError, WengertTypeError,
                WengertValueError):
        assert issubclass(cls, WengertError)


@pytest.mark.parametrize("use", [
    lambda t: t * 2.0,
    lambda t: wnp.sin(t),
    lambda t: wnp.sum(t),
    lambda t: np.sin(t),
])
def test_leaked_tracer_used_outside_any_transform(use):
    leaked = []

    def f(x):
        leaked.append(x)
        return x * x

    wg.grad(f)(1.5)
    with pytest.raises(WengertValueError, match="leaked tracer"):
        use(leaked[0])


def test_leaked_tracer_still_describes_its_type():
    leaked = []
    wg.grad(lambda x: leaked.append(x) or wnp.sum(x * x))(np.ones(3))
    assert np.result_type(leaked[0]) == np.float64 and np.shape(leaked[0]) == (3,)
    assert np.ndim(leaked[0]) == 1 and np.size(leaked[0]) == 3
