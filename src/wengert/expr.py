"""Parse a user's expression safely into a differentiable function of its variables.

The command line (``wengert trace``) turns text such as ``"w2*log(w1) + sqrt(w2*log(w1))"``
into a function that wengert can record and differentiate. Nothing the user typed reaches
``eval``, ``exec`` or ``compile``: the text is parsed with ``ast.parse(..., mode="eval")``,
every node of the tree is checked against a whitelist, and the checked tree is then
*interpreted* node by node, each operation calling a ``wengert.numpy`` function.

The whitelist:

* numbers (``int`` and ``float`` literals; no strings, bytes, complex numbers or ``None``);
* names: the caller's variables and the constants ``pi``, ``e``, ``inf``, ``nan``;
* the operators ``+ - * / ** @ % //``, unary ``+`` and ``-``, and comparisons
  (``< <= > >= == !=``, for ``where``);
* calls, by plain name, of the functions in :data:`FUNCTIONS`, with positional arguments and,
  where the function takes them, the keywords ``axis=`` (an integer or a tuple of integers)
  and ``keepdims=`` (``True`` or ``False``);
* list and tuple displays of allowed items, read as arrays (``[w1, 2*w1]``).

Limits are checked before and after parsing, so hostile text fails fast instead of
exhausting memory or time: :data:`MAX_LENGTH` characters, :data:`MAX_NESTING` levels of
brackets (counted *before* ``ast.parse``, whose parser gives up badly on deep nesting),
:data:`MAX_NODES` syntax-tree nodes and :data:`MAX_TREE_DEPTH` levels of tree depth, integer
literals of at most 2**53 in magnitude, finite float literals, and a constant exponent of
``**`` of at most :data:`MAX_EXPONENT` in magnitude. Every literal becomes a float64 array
when evaluated, so no Python big-integer arithmetic ever happens. These limits guard against
the *text*; the size of the arrays a caller passes in is the caller's business.

Imports: ``wengert.numpy``, ``wengert.core.errors``, NumPy and the standard library.
"""

from __future__ import annotations

import ast
import inspect
import keyword
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from . import numpy as wnp
from .core.errors import WengertTypeError, WengertValueError

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_NESTING",
    "MAX_NODES",
    "MAX_TREE_DEPTH",
    "Expression",
    "ExpressionError",
    "parse",
    "parse_assignment",
    "parse_value",
]

MAX_LENGTH = 2000
"""Longest expression accepted, in characters."""
MAX_NESTING = 50
"""Deepest nesting of ``( [ {`` accepted, counted on the raw text before parsing."""
MAX_NODES = 1000
"""Most syntax-tree nodes accepted."""
MAX_TREE_DEPTH = 100
"""Deepest syntax tree accepted (``1+1+...+1`` and ``----1`` nest without brackets)."""
MAX_EXPONENT = 1000
"""Largest magnitude of a constant exponent of ``**``."""
MAX_VALUE_LENGTH = 200_000
"""Longest ``--at`` value accepted, in characters."""
MAX_VALUE_NESTING = 32
"""Deepest nesting of brackets in an ``--at`` value."""
_MAX_INT = 2**53  # the largest integer float64 holds exactly
_MAX_AXIS = 64

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan}
"""Named constants an expression may use."""


@dataclass(frozen=True)
class _Spec:
    """How a function may be called: positional arity, keywords, a sequence first argument."""

    min_args: int
    max_args: int
    keywords: tuple[str, ...] = ()
    sequence: bool = False  # first argument is a list/tuple of arrays, passed as a list


def _specs(names: str, *args, **kwargs) -> dict[str, _Spec]:
    return {name: _Spec(*args, **kwargs) for name in names.split()}


FUNCTIONS: dict[str, _Spec] = {
    # Elementwise, one argument.
    **_specs(
        "abs sign negative reciprocal square sqrt cbrt exp exp2 expm1 log log2 log10 log1p "
        "sin cos tan arcsin arccos arctan sinh cosh tanh arcsinh arccosh arctanh sinc "
        "deg2rad rad2deg floor ceil stop_gradient",
        1,
        1,
    ),
    # Elementwise, two arguments; and products.
    **_specs(
        "add subtract multiply divide power maximum minimum fmax fmin arctan2 hypot "
        "logaddexp mod dot matmul inner outer vdot",
        2,
        2,
    ),
    **_specs("where clip", 3, 3),
    # Reductions.
    **_specs("sum mean prod max min std var", 1, 1, keywords=("axis", "keepdims")),
    **_specs("cumsum cumprod flip squeeze", 1, 1, keywords=("axis",)),
    # Matrices and layout.
    **_specs("transpose ravel diag diagonal trace triu tril", 1, 1),
    **_specs("stack concatenate", 1, 1, keywords=("axis",), sequence=True),
    **_specs("hstack vstack", 1, 1, sequence=True),
}
"""Functions an expression may call by plain name; each is the ``wengert.numpy`` function of
that name. Reductions take ``axis=`` and ``keepdims=``; ``stack``, ``concatenate``, ``hstack``
and ``vstack`` take a list of arrays, e.g. ``stack([w1, w2])``."""

_BINOPS: dict[type, tuple[str, Callable]] = {
    ast.Add: ("+", wnp.add),
    ast.Sub: ("-", wnp.subtract),
    ast.Mult: ("*", wnp.multiply),
    ast.Div: ("/", wnp.divide),
    ast.Pow: ("**", wnp.power),
    ast.MatMult: ("@", wnp.matmul),
    ast.Mod: ("%", wnp.mod),
    ast.FloorDiv: ("//", wnp.floor_divide),
}
_COMPARES: dict[type, tuple[str, Callable]] = {
    ast.Lt: ("<", wnp.less),
    ast.LtE: ("<=", wnp.less_equal),
    ast.Gt: (">", wnp.greater),
    ast.GtE: (">=", wnp.greater_equal),
    ast.Eq: ("==", wnp.equal),
    ast.NotEq: ("!=", wnp.not_equal),
}

_ALLOWED = (
    "Allowed: numbers, {vars}, the constants pi, e, inf, nan, the operators "
    "+ - * / ** @ % //, unary + and -, comparisons, [lists] of these, and calls by plain "
    "name of the functions in wengert.expr.FUNCTIONS (wengert trace --help lists them)."
)

# Node types refused outright, with the words used to name them in the error.
_REFUSED = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscripting",
    ast.Lambda: "lambda",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.NamedExpr: "an assignment expression (:=)",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.Set: "a set display",
    ast.Dict: "a dict display",
    ast.IfExp: "a conditional expression (use where(cond, a, b))",
    ast.BoolOp: "'and'/'or' (use where or comparisons)",
    ast.Starred: "a starred argument",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield from",
    ast.Slice: "a slice",
}


class ExpressionError(WengertValueError):
    """An expression or ``--at`` value that wengert refuses to parse.

    ``column`` is the 0-based offset into the text where the problem was found (or ``None``).
    """

    def __init__(self, message: str, column: int | None = None):
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Expression:
    """A checked expression and the function that evaluates it.

    Attributes
    ----------
    text : the expression as typed.
    variables : the function's parameters, in order: the caller's ``variables``, or the free
        names of the expression in order of first appearance.
    used : the variables the expression actually uses, in order of first appearance.
    function : ``function(*values)`` evaluates the expression with ``values`` bound to
        ``variables`` positionally; it calls ``wengert.numpy`` functions, so every transform
        (``grad``, ``jvp``, ``trace``, ``wengert.viz.table``) can differentiate it.
    """

    text: str
    variables: tuple[str, ...]
    used: tuple[str, ...]
    function: Callable

    def __call__(self, *values):
        """Evaluate the expression at ``values`` (one per variable, in order)."""
        return self.function(*values)


def parse(text: str, variables: Sequence[str] | None = None) -> Expression:
    """Check ``text`` against the whitelist and return it as a differentiable function.

    Parameters
    ----------
    text : a Python-syntax expression, e.g. ``"w2*log(w1) + sqrt(w2*log(w1))"``.
    variables : the names of the function's parameters, in order. Default: every free name
        in ``text`` that is not a constant, in order of first appearance.

    Returns
    -------
    Expression
        ``.function(*values)`` computes the expression with ``wengert.numpy``.

    Raises
    ------
    ExpressionError
        (a ``WengertValueError``) when the text is too long or too deeply nested, is not an
        expression, or uses anything outside the whitelist; the message says what was found,
        at which column, and what is allowed.
    WengertTypeError
        when ``text`` is not a string.

    Examples
    --------
    >>> import numpy as np, wengert as wg
    >>> ex = parse("w2*log(w1) + sqrt(w2*log(w1))")
    >>> ex.variables
    ('w2', 'w1')
    >>> ex = parse("w2*log(w1) + sqrt(w2*log(w1))", variables=["w1", "w2"])
    >>> float(ex.function(2.0, 3.0))
    3.5214...
    >>> [float(g) for g in wg.grad(ex.function, argnums=(0, 1))(2.0, 3.0)]
    [2.0201..., 0.9334...]
    >>> parse("w1.real")
    Traceback (most recent call last):
    ...
    wengert.expr.ExpressionError: attribute access '.real' is not allowed (column 1). ...
    """
    if not isinstance(text, str):
        raise WengertTypeError(
            f"parse: the expression must be a str, but got {type(text).__name__}."
        )
    if variables is not None:
        variables = _check_variable_names(variables)
    tree = _parse_tree(text, MAX_LENGTH, MAX_NESTING, "expression")
    _check_size(tree.body, MAX_NODES, MAX_TREE_DEPTH)
    checker = _Checker(variables)
    checker.visit(tree.body)
    used = tuple(checker.names)
    params = tuple(variables) if variables is not None else used
    return Expression(text, params, used, _make_function(tree.body, params, text))


def parse_value(text: str) -> np.ndarray:
    """Parse a number or a nested list of numbers into a float64 array.

    Only numeric literals, unary ``+``/``-`` and (nested, rectangular) list or tuple displays
    are accepted, e.g. ``"2"``, ``"-1.5e-3"``, ``"[1, 2, 3]"``, ``"[[1, 2], [3, 4]]"``.

    Examples
    --------
    >>> parse_value("[[1, 2], [3, -4]]")
    array([[ 1.,  2.],
           [ 3., -4.]])
    """
    if not isinstance(text, str):
        raise WengertTypeError(f"parse_value: the value must be a str, but got {type(text)}.")
    tree = _parse_tree(text, MAX_VALUE_LENGTH, MAX_VALUE_NESTING, "value")
    nested = _literal(tree.body, text)
    try:
        return np.array(nested, dtype=np.float64)
    except ValueError:
        raise ExpressionError(
            f"the value {_clip(text)!r} is a ragged nested list: every row must have the same "
            "length, e.g. [[1, 2], [3, 4]]."
        ) from None


def parse_assignment(text: str) -> tuple[str, np.ndarray]:
    """Parse ``"name=value"`` (a command line ``--at`` item) into the name and a float64 array.

    Examples
    --------
    >>> parse_assignment("w1=2")
    ('w1', array(2.))
    >>> parse_assignment("x=[1, 2, 3]")
    ('x', array([1., 2., 3.]))
    """
    if not isinstance(text, str):
        raise WengertTypeError(f"parse_assignment: expected a str, but got {type(text)}.")
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not value.strip():
        raise ExpressionError(
            f"expected NAME=VALUE such as w1=2 or x=[1,2,3], but got {_clip(text)!r}."
        )
    (name,) = _check_variable_names([name])
    return name, parse_value(value.strip())


# ---------------------------------------------------------------------------------------------
# Limits and parsing


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _parse_tree(text: str, max_length: int, max_nesting: int, what: str) -> ast.Expression:
    if len(text) > max_length:
        raise ExpressionError(
            f"the {what} is too long: {len(text)} characters, at most {max_length} allowed."
        )
    if not text.strip():
        raise ExpressionError(f"the {what} is empty; write e.g. 'w2*log(w1)'.")
    depth = 0
    for col, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > max_nesting:
                raise ExpressionError(
                    f"the {what} nests brackets too deeply: more than {max_nesting} levels "
                    f"at column {col + 1}.",
                    col,
                )
        elif ch in ")]}":
            depth -= 1
    try:
        with warnings.catch_warnings():
            # ast.parse warns about e.g. "1(2)"; the checker refuses those with its own words.
            warnings.simplefilter("ignore")
            return ast.parse(text, mode="eval")
    except SyntaxError as err:
        col = (err.offset or 1) - 1
        hint = (
            "Statements such as import or assignment are not allowed."
            if what == "expression"
            else "Write a number or a nested list of numbers, e.g. [[1, 2], [3, 4]]."
        )
        raise ExpressionError(
            f"the {what} {_clip(text)!r} is not a valid Python expression: {err.msg} "
            f"(column {col + 1}). {hint}",
            col,
        ) from None
    except (ValueError, MemoryError, RecursionError) as err:
        raise ExpressionError(
            f"the {what} {_clip(text)!r} could not be parsed: {type(err).__name__}: {err}."
        ) from None


def _check_size(root: ast.AST, max_nodes: int, max_depth: int) -> None:
    # Iterative, so that the check itself cannot overflow the stack on a deep tree.
    count = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > max_nodes:
            raise ExpressionError(
                f"the expression is too large: more than {max_nodes} syntax nodes."
            )
        if depth > max_depth:
            raise ExpressionError(
                f"the expression is nested too deeply: more than {max_depth} levels "
                f"(column {getattr(node, 'col_offset', 0) + 1}). Split it into smaller parts.",
                getattr(node, "col_offset", None),
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _check_variable_names(names: Sequence[str]) -> tuple[str, ...]:
    if isinstance(names, str):
        raise WengertTypeError(
            f"parse: variables must be a sequence of names, but got the str {names!r}; "
            f"write variables=[{names!r}]."
        )
    out = []
    for name in names:
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ExpressionError(
                f"{name!r} is not a valid variable name; use letters, digits and '_', "
                "starting with a letter, e.g. w1 or x."
            )
        if name.startswith("_"):
            raise ExpressionError(
                f"the variable name {name!r} starts with '_'; such names are not allowed."
            )
        if name in CONSTANTS or name in FUNCTIONS:
            kind = "constant" if name in CONSTANTS else "function"
            raise ExpressionError(
                f"the variable name {name!r} is the name of a {kind}; choose another name."
            )
        if name in out:
            raise ExpressionError(f"the variable {name!r} is given twice.")
        out.append(name)
    return tuple(out)


def _describe(node: ast.AST, text: str | None = None) -> str:
    """Name a refused node for an error message."""
    if isinstance(node, ast.Attribute):
        return f"attribute access '.{node.attr}'"
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, str):
            return f"the string {_clip(v, 30)!r}"
        if isinstance(v, bytes):
            return "a bytes literal"
        if isinstance(v, complex):
            return f"the complex number {v!r}"
        if isinstance(v, bool):
            return f"the constant {v!r} (only as keepdims=True/False)"
        return f"the constant {v!r}"
    for kind, words in _REFUSED.items():
        if isinstance(node, kind):
            return words
    return f"a {type(node).__name__} node"


def _refuse(node: ast.AST, what: str | None = None, variables=None) -> ExpressionError:
    col = getattr(node, "col_offset", None)
    where = f" (column {col + 1})" if col is not None else ""
    names = f"the variables {', '.join(variables)}" if variables else "variable names"
    return ExpressionError(
        f"{what or _describe(node)} is not allowed{where}. {_ALLOWED.format(vars=names)}", col
    )


# ---------------------------------------------------------------------------------------------
# The whitelist check


class _Checker:
    """Walk the tree in source order, refuse anything outside the whitelist, collect names."""

    def __init__(self, variables: tuple[str, ...] | None):
        self.variables = variables
        self.names: list[str] = []

    def visit(self, node: ast.AST) -> None:
        method = getattr(self, f"_visit_{type(node).__name__}", None)
        if method is None:
            raise _refuse(node, variables=self.variables)
        method(node)

    def _visit_Constant(self, node: ast.Constant) -> None:
        _number(node)

    def _visit_Name(self, node: ast.Name) -> None:
        name = node.id
        col = node.col_offset
        if name.startswith("_"):
            raise ExpressionError(
                f"the name {name!r} (column {col + 1}) starts with '_'; such names are not "
                "allowed in an expression.",
                col,
            )
        if name in CONSTANTS:
            return
        if name in FUNCTIONS:
            raise ExpressionError(
                f"{name!r} (column {col + 1}) is a function; call it, e.g. {name}(x).", col
            )
        if self.variables is not None and name not in self.variables:
            known = ", ".join(self.variables) or "(none)"
            raise ExpressionError(
                f"unknown name {name!r} (column {col + 1}); the variables are {known} and the "
                "constants pi, e, inf, nan. Give it a value (e.g. --at "
                f"{name}=1) or fix the spelling.",
                col,
            )
        if name not in self.names:
            self.names.append(name)

    def _visit_BinOp(self, node: ast.BinOp) -> None:
        if type(node.op) not in _BINOPS:
            raise _refuse(node, f"the operator {type(node.op).__name__}", variables=self.variables)
        self.visit(node.left)
        self.visit(node.right)
        if isinstance(node.op, ast.Pow):
            exponent = _static_value(node.right)
            # "not <=" also refuses a nan exponent.
            if exponent is not None and not abs(exponent) <= MAX_EXPONENT:
                raise ExpressionError(
                    f"the exponent of '**' at column {node.right.col_offset + 1} is "
                    f"{exponent:.6g}, larger in magnitude than the {MAX_EXPONENT} allowed; "
                    "use exp and log for such powers.",
                    node.right.col_offset,
                )

    def _visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if not isinstance(node.op, (ast.UAdd, ast.USub)):
            op = "'not'" if isinstance(node.op, ast.Not) else "'~'"
            raise _refuse(node, f"the unary operator {op}", variables=self.variables)
        self.visit(node.operand)

    def _visit_Compare(self, node: ast.Compare) -> None:
        for op in node.ops:
            if type(op) not in _COMPARES:
                raise _refuse(
                    node,
                    f"the comparison {type(op).__name__} (use < <= > >= == !=)",
                    variables=self.variables,
                )
        self.visit(node.left)
        for comparator in node.comparators:
            self.visit(comparator)

    def _visit_List(self, node: ast.List | ast.Tuple) -> None:
        if not node.elts:
            raise _refuse(node, "an empty list or tuple", variables=self.variables)
        for item in node.elts:
            self.visit(item)

    _visit_Tuple = _visit_List

    def _visit_Call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name):
            # Describe what is being called: attribute access, a subscript, a lambda, ...
            raise _refuse(node.func, variables=self.variables)
        name = node.func.id
        col = node.col_offset
        if name.startswith("_"):
            raise ExpressionError(
                f"the name {name!r} (column {col + 1}) starts with '_'; such names are not "
                "allowed in an expression.",
                col,
            )
        spec = FUNCTIONS.get(name)
        if spec is None:
            raise ExpressionError(
                f"{name!r} (column {col + 1}) is not an allowed function. Allowed functions: "
                f"{', '.join(sorted(FUNCTIONS))}.",
                col,
            )
        n = len(node.args)
        if not spec.min_args <= n <= spec.max_args:
            want = (
                str(spec.min_args)
                if spec.min_args == spec.max_args
                else f"{spec.min_args} to {spec.max_args}"
            )
            raise ExpressionError(
                f"{name} takes {want} positional argument(s), but got {n} (column {col + 1}).",
                col,
            )
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise _refuse(arg, variables=self.variables)
        if spec.sequence and not isinstance(node.args[0], (ast.List, ast.Tuple)):
            raise ExpressionError(
                f"{name} takes a list of arrays, e.g. {name}([w1, w2]) (column {col + 1}).",
                col,
            )
        for arg in node.args:
            self.visit(arg)
        for kw in node.keywords:
            _keyword_value(name, spec, kw)


def _number(node: ast.Constant) -> float:
    """Check a numeric literal and return it as a float."""
    v = node.value
    col = node.col_offset
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _refuse(node)
    if isinstance(v, int) and abs(v) > _MAX_INT:
        raise ExpressionError(
            f"the integer {_clip(str(v), 30)} (column {col + 1}) is larger than 2**53 in "
            "magnitude; write it as a float such as 1e20.",
            col,
        )
    if isinstance(v, float) and not math.isfinite(v):
        raise ExpressionError(
            f"the number at column {col + 1} overflows to {v}; use the constant inf if you "
            "mean it.",
            col,
        )
    return float(v)


def _static_value(node: ast.AST) -> float | None:
    """Fold a subtree of numbers and arithmetic to a float, or return None if it has names.

    The folding is in float64 with overflow mapped to inf, so even ``9**9**9**9`` takes a
    few float operations and never builds a big integer.
    """
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in CONSTANTS:
        return CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        v = _static_value(node.operand)
        return None if v is None else (-v if isinstance(node.op, ast.USub) else v)
    if isinstance(node, ast.BinOp) and isinstance(
        node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
    ):
        a, b = _static_value(node.left), _static_value(node.right)
        if a is None or b is None:
            return None
        x, y = np.float64(a), np.float64(b)
        with np.errstate(all="ignore"):
            if isinstance(node.op, ast.Add):
                return float(x + y)
            if isinstance(node.op, ast.Sub):
                return float(x - y)
            if isinstance(node.op, ast.Mult):
                return float(x * y)
            if isinstance(node.op, ast.Div):
                return float(x / y) if y != 0 else math.inf
            # Only the magnitude matters to the exponent limit, so fold |x| ** y.
            return float(np.power(abs(x), y)) if x != 0 else 0.0
    return None


def _int_literal(node: ast.AST) -> int | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _int_literal(node.operand)
        return None if v is None else -v
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _keyword_value(func: str, spec: _Spec, kw: ast.keyword):
    """Check a keyword argument and return its (static) Python value."""
    col = kw.value.col_offset
    if kw.arg is None:
        raise ExpressionError(
            f"'**' keyword unpacking in the call of {func} (column {col + 1}) is not allowed.",
            col,
        )
    if kw.arg not in spec.keywords:
        allowed = ", ".join(f"{k}=" for k in spec.keywords) or "no keywords"
        raise ExpressionError(
            f"the keyword argument {kw.arg}= in the call of {func} (column {col + 1}) is not "
            f"allowed; {func} takes {allowed}.",
            col,
        )
    if kw.arg == "keepdims":
        if isinstance(kw.value, ast.Constant) and type(kw.value.value) is bool:
            return kw.value.value
        raise ExpressionError(
            f"keepdims= in the call of {func} (column {col + 1}) must be True or False.", col
        )
    # axis: an integer or a tuple of integers, literally.
    items = kw.value.elts if isinstance(kw.value, ast.Tuple) else [kw.value]
    values = [_int_literal(item) for item in items]
    if not items or any(v is None or abs(v) > _MAX_AXIS for v in values):
        raise ExpressionError(
            f"axis= in the call of {func} (column {col + 1}) must be an integer or a tuple of "
            "integers, e.g. axis=0 or axis=(0, 1).",
            col,
        )
    return tuple(values) if isinstance(kw.value, ast.Tuple) else values[0]


def _literal(node: ast.AST, text: str):
    """Turn a checked ``--at`` value into nested lists of floats."""
    if isinstance(node, (ast.List, ast.Tuple)):
        if not node.elts:
            raise ExpressionError(f"the value {_clip(text)!r} contains an empty list.")
        return [_literal(item, text) for item in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        v = _literal(node.operand, text)
        if isinstance(v, list):
            raise ExpressionError(f"the value {_clip(text)!r}: a sign may only precede a number.")
        return -v if isinstance(node.op, ast.USub) else v
    if (
        isinstance(node, ast.Constant)
        and not isinstance(node.value, bool)
        and isinstance(node.value, (int, float))
    ):
        return _number(node)
    col = getattr(node, "col_offset", 0)
    raise ExpressionError(
        f"{_describe(node)} is not allowed in a value (column {col + 1}); a value is a "
        "number or a nested list of numbers, e.g. 2, -1.5, [1, 2, 3] or [[1, 2], [3, 4]].",
        col,
    )


# ---------------------------------------------------------------------------------------------
# The interpreter


def _constant(value: float) -> np.ndarray:
    # float64 arrays, so no Python int arithmetic (and no big integers) ever happens.
    return np.asarray(value, dtype=np.float64)


def _evaluate(node: ast.AST, env: dict, memo: dict, keys: dict):
    """Evaluate a checked node with ``wengert.numpy``; ``env`` maps variable names to values.

    A subexpression written twice (``w2*log(w1)`` in the lecture's function) is evaluated
    once: ``memo`` maps each subtree's structure (``keys``) to its value, so the recorded
    Wengert list shares the variable, as a hand-written program with a temporary would.
    Every operation is pure, so sharing changes no value.
    """
    key = keys[id(node)]
    if key in memo:
        return memo[key]
    memo[key] = value = _evaluate_node(node, env, memo, keys)
    return value


def _evaluate_node(node: ast.AST, env: dict, memo: dict, keys: dict):
    def ev(n):
        return _evaluate(n, env, memo, keys)

    if isinstance(node, ast.Constant):
        return _constant(float(node.value))
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        return _constant(CONSTANTS[node.id])
    if isinstance(node, ast.BinOp):
        return _BINOPS[type(node.op)][1](ev(node.left), ev(node.right))
    if isinstance(node, ast.UnaryOp):
        x = ev(node.operand)
        return wnp.negative(x) if isinstance(node.op, ast.USub) else x
    if isinstance(node, ast.Compare):
        left = ev(node.left)
        result = None
        for op, comparator in zip(node.ops, node.comparators):
            right = ev(comparator)
            step = _COMPARES[type(op)][1](left, right)
            result = step if result is None else wnp.logical_and(result, step)
            left = right
        return result
    if isinstance(node, (ast.List, ast.Tuple)):
        return wnp.stack([wnp.asarray(ev(item)) for item in node.elts])
    if isinstance(node, ast.Call):
        name = node.func.id
        spec = FUNCTIONS[name]
        args = [
            [ev(item) for item in arg.elts] if spec.sequence and i == 0 else ev(arg)
            for i, arg in enumerate(node.args)
        ]
        kwargs = {kw.arg: _keyword_value(name, spec, kw) for kw in node.keywords}
        return getattr(wnp, name)(*args, **kwargs)
    raise AssertionError(f"unchecked node {type(node).__name__}")  # the checker forbids this


def _make_function(body: ast.AST, params: tuple[str, ...], text: str) -> Callable:
    # Structural keys (ast.dump leaves out positions) of every subtree, for sharing.
    keys = {id(node): ast.dump(node) for node in ast.walk(body)}

    def function(*values):
        if len(values) != len(params):
            raise WengertTypeError(
                f"the expression {_clip(text)!r} takes {len(params)} argument(s) "
                f"({', '.join(params)}), but got {len(values)}."
            )
        return _evaluate(body, dict(zip(params, values)), {}, keys)

    function.__name__ = function.__qualname__ = "expression"
    function.__doc__ = f"Evaluate {_clip(text)!r} at ({', '.join(params)})."
    function.__signature__ = inspect.Signature(
        [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in params]
    )
    return function
