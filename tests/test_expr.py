"""The safe expression parser: values, derivatives, sharing, and refusal of hostile text."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core.errors import WengertError, WengertTypeError, WengertValueError
from wengert.expr import (
    CONSTANTS,
    FUNCTIONS,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_NESTING,
    ExpressionError,
    parse,
    parse_assignment,
    parse_value,
)
from wengert.testing import check_grads

LECTURE = "w2*log(w1) + sqrt(w2*log(w1))"


def lecture_gradient(w1: float, w2: float) -> tuple[float, float]:
    s = 1.0 + 1.0 / (2.0 * math.sqrt(w2 * math.log(w1)))
    return (w2 / w1) * s, math.log(w1) * s


# --- meaning ----------------------------------------------------------------------------------


def test_lecture_function_value_and_gradient():
    ex = parse(LECTURE, variables=["w1", "w2"])
    assert ex.variables == ("w1", "w2") and ex.used == ("w2", "w1") and ex.text == LECTURE
    v = 3 * math.log(2.0)
    assert abs(float(ex.function(2.0, 3.0)) - (v + math.sqrt(v))) <= 1e-12
    g1, g2 = wg.grad(ex.function, argnums=(0, 1))(2.0, 3.0)
    e1, e2 = lecture_gradient(2.0, 3.0)
    assert abs(float(g1) - e1) <= 1e-12 and abs(float(g2) - e2) <= 1e-12
    # Forward mode along w1 gives the same partial derivative.
    _, t = wg.jvp(ex.function, (2.0, 3.0), (1.0, 0.0))
    assert abs(float(t) - e1) <= 1e-12


def test_variables_default_to_first_appearance_and_signature_names_them():
    ex = parse(LECTURE)
    assert ex.variables == ("w2", "w1")
    assert list(inspect.signature(ex.function).parameters) == ["w2", "w1"]
    assert abs(float(ex(3.0, 2.0)) - float(parse(LECTURE, ["w1", "w2"])(2.0, 3.0))) == 0.0


def test_repeated_subexpression_is_recorded_once():
    ex = parse(LECTURE, variables=["w1", "w2"])
    trace = wg.trace(ex.function)(2.0, 3.0)
    assert [e.prim.name for e in trace.eqns] == ["log", "mul", "sqrt", "add"]


def test_operators_constants_and_comparisons():
    x = np.array([0.5, 2.0, -1.0])
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    cases = {
        "x + 1": x + 1,
        "x - 2": x - 2,
        "2 * x": 2 * x,
        "x / 4": x / 4,
        "x ** 2": x**2,
        "x % 0.75": x % 0.75,
        "x // 0.75": x // 0.75,
        "-x": -x,
        "+x": x,
        "pi * e + x": np.pi * np.e + x,
        "where(x > 0, x, 0)": np.where(x > 0, x, 0.0),
        "where(0 < x <= 1, 1, 0)": np.where((0 < x) & (x <= 1), 1.0, 0.0),
        "[1, 2*sum(x)]": np.array([1.0, 2 * x.sum()]),
        "sum(x, axis=0, keepdims=True)": np.sum(x, axis=0, keepdims=True),
        "stack([x, 2*x], axis=1)": np.stack([x, 2 * x], axis=1),
        "x == 2": x == 2,
        "x != 2": x != 2,
        "x >= 0.5": x >= 0.5,
        "x < 0": x < 0,
        "1e-3 * x": 1e-3 * x,
        "inf > x": np.inf > x,
    }
    for text, expected in cases.items():
        got = np.asarray(parse(text)(x))
        np.testing.assert_array_equal(got, expected, err_msg=text)
    assert np.isnan(float(parse("nan + 0*w")(1.0)))
    np.testing.assert_array_equal(parse("A @ A")(A), A @ A)
    np.testing.assert_array_equal(parse("sum(A, axis=(0, 1))")(A), A.sum())
    np.testing.assert_array_equal(parse("mean(A, axis=-1)")(A), A.mean(axis=-1))


def test_constants_are_float64_arrays():
    # No Python int arithmetic: 2**62 * 4 would be an exact (big) int in Python.
    out = parse("2**62 * 4 + 0*x")(0.0)
    assert np.asarray(out).dtype == np.float64 and float(out) == 2.0**64
    assert parse("7 // 2 + 0*x")(0.0).dtype == np.float64


def _example(name: str, spec) -> tuple[str, list]:
    rng = np.random.default_rng(3)
    if name in ("diagonal", "trace"):
        return f"{name}(x)", [rng.uniform(0.1, 0.9, (3, 3))]
    if name == "arccosh":
        return "arccosh(1 + x)", [rng.uniform(0.1, 0.9, (3,))]
    if name == "where":
        return "where(x > 0.5, y, z)", [rng.uniform(0.1, 0.9, (3,)) for _ in range(3)]
    if spec.sequence:
        return f"{name}([x, y])", [rng.uniform(0.1, 0.9, (3,)) for _ in range(2)]
    params = "xyz"[: spec.min_args]
    return f"{name}({', '.join(params)})", [rng.uniform(0.1, 0.9, (3,)) for _ in params]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_allowed_function_is_wnp_and_matches_numpy(name):
    spec = FUNCTIONS[name]
    assert callable(getattr(wnp, name))
    text, args = _example(name, spec)
    got = np.asarray(parse(text)(*args))
    if name == "stop_gradient":
        expected = args[0]
    else:
        np_args = [args[0] + 1 if name == "arccosh" else a for a in args]
        if name == "where":
            np_args = [np_args[0] > 0.5, *np_args[1:]]
        expected = getattr(np, name)(*([np_args] if spec.sequence else np_args))
    np.testing.assert_allclose(got, expected, rtol=1e-13, err_msg=text)


@pytest.mark.parametrize(
    "name", sorted(set(FUNCTIONS) - {"sign", "floor", "ceil", "stop_gradient", "mod"})
)
def test_every_allowed_smooth_function_differentiates(name):
    text, args = _example(name, FUNCTIONS[name])
    check_grads(parse(text).function, args, order=1)


def test_array_literals_and_comparisons_differentiate():
    g = wg.grad(parse("sum([w, 2*w, 3]) + sum(where(w > 0, w, -w) * [1, 2])").function)
    assert float(g(1.5)) == 3.0 + 3.0
    assert float(g(-1.5)) == 3.0 - 3.0


def test_stop_gradient_blocks_the_derivative():
    g = wg.grad(parse("stop_gradient(x) * x").function)(3.0)
    assert float(g) == 3.0


def test_function_count_is_documented_size():
    assert 60 <= len(FUNCTIONS) <= 80
    assert not set(FUNCTIONS) & set(CONSTANTS)


# --- refusals ---------------------------------------------------------------------------------

HOSTILE = [
    ("__import__('os').system('ls')", "attribute access '.system'"),
    ("__import__('os')", "the name '__import__' (column 1) starts with '_'"),
    ("().__class__.__bases__[0].__subclasses__()", "attribute access '.__subclasses__'"),
    ("w1.real", "attribute access '.real'"),
    ("__builtins__", "starts with '_'"),
    ("lambda: 1", "lambda is not allowed"),
    ("[x for x in w1]", "list comprehension"),
    ("{x for x in w1}", "set comprehension"),
    ("{x: 1 for x in w1}", "dict comprehension"),
    ("sum(x for x in w1)", "generator expression"),
    ("import os", "not a valid Python expression"),
    ("f'{w1}'", "f-string"),
    ("'ls'", "the string 'ls'"),
    ("b'x'", "bytes literal"),
    ("w1[0]", "subscripting"),
    ("sum(w1, **{'axis': 0})", "keyword unpacking"),
    ("sum(w1, where=w1)", "keyword argument where="),
    ("log(w1, out=w1)", "keyword argument out="),
    ("(y := 2)", "assignment expression"),
    ("9**9**9**9**9", "exponent of '**'"),
    ("w1**100000", "exponent of '**'"),
    ("w1**-2000", "exponent of '**'"),
    ("w1**(10*200)", "exponent of '**'"),
    ("open('x')", "'open' (column 1) is not an allowed function"),
    ("eval('1')", "'eval' (column 1) is not an allowed function"),
    ("exec('1')", "'exec' (column 1) is not an allowed function"),
    ("getattr(w1, 'real')", "'getattr' (column 1) is not an allowed function"),
    ("w1 if w1 else 2", "conditional expression"),
    ("w1 and 2", "'and'/'or'"),
    ("not w1", "unary operator 'not'"),
    ("~w1", "unary operator '~'"),
    ("w1 in w2", "comparison In"),
    ("w1 << 2", "operator LShift"),
    ("{1, 2}", "set display"),
    ("{'a': 1}", "dict display"),
    ("1j * w1", "complex number"),
    ("None", "the constant None"),
    ("True + w1", "the constant True"),
    ("log(*w1)", "starred argument"),
    ("(lambda: 1)()", "lambda is not allowed"),
    ("log", "is a function; call it"),
    ("log(w1, w2)", "log takes 1 positional argument(s), but got 2"),
    ("stack(w1)", "stack takes a list of arrays"),
    ("sum(w1, axis=w2)", "axis= in the call of sum"),
    ("sum(w1, keepdims=1)", "keepdims= in the call of sum"),
    ("[]", "an empty list or tuple"),
    ("1" * 20, "larger than 2**53"),
    ("1e999 * w1", "overflows to inf"),
    ("w1 +", "not a valid Python expression"),
    ("", "is empty"),
    ("w1\x00", "null bytes"),
]


@pytest.mark.parametrize(("text", "phrase"), HOSTILE)
def test_hostile_input_is_refused_with_a_clear_message(text, phrase):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    err = info.value
    assert isinstance(err, WengertValueError) and isinstance(err, ValueError)
    assert phrase in str(err), str(err)


def test_refusal_says_where_and_what_is_allowed():
    with pytest.raises(ExpressionError) as info:
        parse("w2 * w1.real", variables=["w1", "w2"])
    msg = str(info.value)
    assert "(column 6)" in msg and info.value.column == 5
    assert "Allowed: numbers, the variables w1, w2, the constants pi, e, inf, nan" in msg


def test_unknown_name_with_given_variables():
    with pytest.raises(ExpressionError, match=r"unknown name 'w3' \(column 6\).*w1, w2"):
        parse("w1 + w3", variables=["w1", "w2"])


def test_limits_before_parsing():
    with pytest.raises(ExpressionError, match="too long: 20002 characters"):
        parse("(" * 10_000 + "w1" + ")" * 10_000)
    with pytest.raises(ExpressionError, match="nests brackets too deeply"):
        parse("(" * 990 + "w1" + ")" * 990)
    with pytest.raises(ExpressionError, match="nests brackets too deeply"):
        parse("[" * (MAX_NESTING + 1) + "1" + "]" * (MAX_NESTING + 1))
    with pytest.raises(ExpressionError, match="too long: 1000000 characters"):
        parse("w" * 1_000_000)
    with pytest.raises(ExpressionError, match=f"at most {MAX_LENGTH}"):
        parse("1+" * 1500 + "w")
    # Deep trees without brackets and wide trees are bounded after parsing.
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("-" * 500 + "w1")
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("+".join(["w1"] * 400))
    with pytest.raises(ExpressionError, match="too large"):
        parse("[" + ",".join(["1"] * 999) + "]")


def test_exponent_limit_is_inclusive_and_dynamic_exponents_are_fine():
    assert float(parse(f"w**{MAX_EXPONENT}")(1.0)) == 1.0
    assert float(parse(f"w**-{MAX_EXPONENT}")(1.0)) == 1.0
    # An exponent that depends on a variable is ordinary float64 arithmetic.
    with np.errstate(over="ignore"):
        assert float(parse("9**w")(1e6)) == math.inf


def test_bad_variable_names_and_types():
    with pytest.raises(ExpressionError, match="starts with '_'"):
        parse("x", variables=["_x"])
    with pytest.raises(ExpressionError, match="name of a function"):
        parse("log(2)", variables=["log"])
    with pytest.raises(ExpressionError, match="name of a constant"):
        parse("pi", variables=["pi"])
    with pytest.raises(ExpressionError, match="given twice"):
        parse("x", variables=["x", "x"])
    with pytest.raises(ExpressionError, match="not a valid variable name"):
        parse("x", variables=["x y"])
    with pytest.raises(WengertTypeError, match="sequence of names"):
        parse("x", variables="x")
    with pytest.raises(WengertTypeError, match="must be a str"):
        parse(b"x")
    with pytest.raises(WengertTypeError, match=r"takes 2 argument\(s\) \(w1, w2\), but got 1"):
        parse("w1 + w2")(1.0)


# --- --at values ------------------------------------------------------------------------------


def test_parse_assignment_values():
    name, v = parse_assignment("w1=2")
    assert name == "w1" and v.dtype == np.float64 and v.shape == () and float(v) == 2.0
    name, v = parse_assignment(" x = [1, 2, -3.5e-1] ")
    assert name == "x"
    np.testing.assert_array_equal(v, [1.0, 2.0, -0.35])
    _, A = parse_assignment("A=[[1,2],[3,4]]")
    assert A.dtype == np.float64 and A.shape == (2, 2)
    np.testing.assert_array_equal(parse_value("(1, +2)"), [1.0, 2.0])


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("w1", "expected NAME=VALUE"),
        ("w1=", "expected NAME=VALUE"),
        ("=2", "not a valid variable name"),
        ("__x=1", "starts with '_'"),
        ("pi=3", "name of a constant"),
        ("x=__import__('os')", "a Call node is not allowed in a value"),
        ("x=1+1", "a BinOp node is not allowed in a value"),
        ("x='1'", "the string '1' is not allowed in a value"),
        ("x=[[1, 2], [3]]", "ragged nested list"),
        ("x=[]", "empty list"),
        ("x=-[1]", "a sign may only precede a number"),
        ("x=True", "the constant True"),
        ("x=1e999", "overflows to inf"),
        ("x=" + "[" * 1000 + "1" + "]" * 1000, "nests brackets too deeply"),
        ("x=" + "1," * 200_000, "too long"),
        ("x=lambda: 1", "lambda is not allowed in a value"),
    ],
)
def test_parse_assignment_refusals(text, phrase):
    with pytest.raises(ExpressionError) as info:
        parse_assignment(text)
    assert phrase in str(info.value), str(info.value)


def test_errors_are_wengert_errors():
    with pytest.raises(WengertError):
        parse("w1.real")
