"""The Wengert list: ``Var``, ``Lit``, ``Eqn`` and ``Trace``.

Reverse mode records one :class:`Eqn` per primitive call (``v3 = mul v1 w2``). A
:class:`Trace` is the whole list: its input variables, its equations in evaluation order and
its outputs, optionally with the value each variable took. Every tool that reads a recorded
program (the tables and pictures, checkpointing, Jacobian mode choice, ``jit``) reads this one
structure. Imports: the standard library, NumPy and ``core.tracer``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .tracer import bind


class Var(NamedTuple):
    """A variable of the Wengert list: one array-valued intermediate.

    ``id`` is its position in the trace's value table; ``shape`` and ``dtype`` its type.
    Immutable. (The IR records are named tuples rather than frozen dataclasses because reverse
    mode makes one per primitive call: creation cost is per-operation overhead.)
    """

    id: int
    shape: tuple
    dtype: Any

    def type_str(self) -> str:
        return _type_str(self.shape, self.dtype)


class Lit(NamedTuple):
    """A constant operand: a value that does not depend on the traced inputs."""

    value: Any

    def type_str(self) -> str:
        return _type_str(np.shape(self.value), np.result_type(self.value))


class Eqn(NamedTuple):
    """One line of the Wengert list: ``out = prim(*inputs, **params)``."""

    prim: Any
    inputs: tuple
    out: Var
    params: dict


_SHORT = {"float64": "f64", "float32": "f32", "float16": "f16", "int64": "i64",
          "int32": "i32", "bool": "bool", "complex128": "c128", "complex64": "c64"}


def _type_str(shape, dtype) -> str:
    name = _SHORT.get(np.dtype(dtype).name, np.dtype(dtype).name)
    return f"{name}[{','.join(map(str, shape))}]"


def _fmt_value(v, width: int = 48) -> str:
    a = np.asarray(v)
    if a.ndim == 0:
        s = np.format_float_positional(a.item(), precision=6, trim="-") if a.dtype.kind == "f" else repr(a.item())
    else:
        s = np.array2string(a, precision=4, separator=", ", threshold=6, edgeitems=2)
        s = " ".join(s.split())
    return s if len(s) <= width else s[: width - 1] + "…"


def _fmt_param(v) -> str:
    if isinstance(v, np.ndarray):
        return f"array{list(v.shape)}"
    if isinstance(v, tuple) and any(isinstance(e, (slice, np.ndarray)) for e in v):
        return "(" + ", ".join(_fmt_param(e) for e in v) + ")"
    if isinstance(v, slice):
        return ":".join("" if p is None else str(p) for p in (v.start, v.stop, v.step))
    return repr(v)


@dataclass(frozen=True, eq=False)
class Trace:
    """A recorded program: inputs, equations in order, outputs and (optionally) values.

    Iterating over a ``Trace`` yields its equations; ``len`` is their number; ``str`` prints
    the list one equation a line, as in the lecture (``v2 = mul w2 v1``), with the values
    when they were kept.
    """

    invars: tuple
    eqns: tuple
    outvars: tuple
    values: list | None = None  # indexed by Var.id: the value each variable took
    in_names: tuple | None = None

    def __iter__(self) -> Iterator[Eqn]:
        return iter(self.eqns)

    def __len__(self) -> int:
        return len(self.eqns)

    def names(self) -> dict:
        """Map each variable id to its printed name: inputs w1, w2, …; others v1, v2, …."""
        names = {}
        for k, v in enumerate(self.invars, 1):
            if isinstance(v, Var):
                names[v.id] = f"w{k}"
        for k, e in enumerate(self.eqns, 1):
            names[e.out.id] = f"v{k}"
        return names

    def operand_str(self, x, names: dict) -> str:
        if isinstance(x, Var):
            return names.get(x.id, f"?{x.id}")
        return _fmt_value(x.value, 16)

    def value_of(self, x):
        """Return the recorded value of a variable or literal (needs ``values``)."""
        if isinstance(x, Lit):
            return x.value
        if self.values is None:
            raise ValueError("this trace was recorded without values")
        return self.values[x.id]

    def lines(self) -> list[str]:
        names = self.names()
        rows = []
        for v in self.invars:
            if isinstance(v, Var):
                rows.append((f"{names[v.id]}:{v.type_str()}", "input", v))
        for e in self.eqns:
            args = " ".join(self.operand_str(x, names) for x in e.inputs)
            params = " ".join(f"{k}={_fmt_param(p)}" for k, p in e.params.items())
            rhs = f"{e.prim.name} {args}" + (f"  [{params}]" if params else "")
            rows.append((f"{names[e.out.id]}:{e.out.type_str()}", rhs, e.out))
        width = max((len(a) + len(b) for a, b, _ in rows), default=0) + 3
        out = []
        for lhs, rhs, var in rows:
            text = f"{lhs} = {rhs}"
            if self.values is not None and self.values[var.id] is not None:
                text = text.ljust(width) + "  # " + _fmt_value(self.values[var.id])
            out.append(text)
        outs = ", ".join(self.operand_str(x, names) for x in self.outvars)
        out.append(f"out: {outs}")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return f"<Trace: {len(self.invars)} inputs, {len(self.eqns)} equations>\n{self}"

    def evaluate(self, *args):
        """Replay the list on new inputs, primitive by primitive (so it can be traced too)."""
        if len(args) != len(self.invars):
            raise ValueError(f"this trace takes {len(self.invars)} inputs, got {len(args)}")
        env = {v.id: a for v, a in zip(self.invars, args) if isinstance(v, Var)}

        def read(x):
            return env[x.id] if isinstance(x, Var) else x.value

        for e in self.eqns:
            env[e.out.id] = bind(e.prim, *map(read, e.inputs), **e.params)
        outs = [read(v) for v in self.outvars]
        return outs

    def prune(self) -> Trace:
        """Return the trace without equations that no output depends on (itself if none)."""
        live = {v.id for v in self.outvars if isinstance(v, Var)}
        kept = []
        for e in reversed(self.eqns):
            if e.out.id in live:
                kept.append(e)
                live.update(x.id for x in e.inputs if type(x) is Var)
        if len(kept) == len(self.eqns):
            return self
        return Trace(self.invars, tuple(reversed(kept)), self.outvars, self.values, self.in_names)
