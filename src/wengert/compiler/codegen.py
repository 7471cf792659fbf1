"""Code generation for ``jit``: a simplified list as a straight-line Python function over NumPy.

Each equation becomes one line calling the primitive's implementation: ``np.<name>`` when the
implementation is that NumPy function, otherwise a global named after the primitive. Constants
that are not plain Python numbers, and parameters that have no exact literal, are globals
too (``c0``, ``c1``, …). After the last line that reads an intermediate, a ``del`` releases
it, so the generated function holds no more memory than the computation needs; an elementwise
NumPy function whose operand dies on that line and owns a buffer of the result's shape and
dtype writes into it (``out=``) instead of allocating. The source is registered with
``linecache``, so tracebacks through it show the line. Imports: core.ir, NumPy.
"""

from __future__ import annotations

import itertools
import linecache
import math
import re

import numpy as np

from ..core.ir import Trace, Var

_COUNTER = itertools.count()


def _literal(v) -> str | None:
    """An exact Python literal for ``v``, or None."""
    if v is None or type(v) in (bool, int, str):
        return repr(v)
    if type(v) is float:
        return repr(v) if math.isfinite(v) else None
    if type(v) is tuple:
        items = [_literal(e) for e in v]
        if None in items:
            return None
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return None


class _Names:
    """Globals of the generated module: NumPy, implementations and constants."""

    def __init__(self):
        self.globals: dict = {"np": np}
        self._by_id: dict[int, str] = {}
        self._constants = itertools.count()

    def impl(self, prim) -> str:
        fn = prim.impl
        name = getattr(fn, "__name__", None)
        if name and getattr(np, name, None) is fn:
            return f"np.{name}"
        if id(fn) in self._by_id:
            return self._by_id[id(fn)]
        base = "_" + re.sub(r"\W", "_", prim.name)
        label, k = base, 1
        while label in self.globals:
            k += 1
            label = f"{base}_{k}"
        self.globals[label] = fn
        self._by_id[id(fn)] = label
        return label

    def constant(self, v) -> str:
        text = _literal(v)
        if text is not None:
            return text
        if id(v) in self._by_id:
            return self._by_id[id(v)]
        label = f"c{next(self._constants)}"
        self.globals[label] = v
        self._by_id[id(v)] = label
        return label


def generate(trace: Trace, name: str = "compiled") -> tuple[str, dict]:
    """Return ``(source, globals)`` of a function ``name(a0, a1, …)`` returning the outputs' tuple."""
    names = _Names()
    var_name: dict[int, str] = {}
    for k, v in enumerate(trace.invars):
        var_name[v.id] = f"a{k}"
    last_use: dict[int, int] = {}
    for i, e in enumerate(trace.eqns):
        for x in e.inputs:
            if type(x) is Var:
                last_use[x.id] = i
    outputs = {v.id for v in trace.outvars if type(v) is Var}
    inputs = {v.id for v in trace.invars}
    releases: dict[int, list[int]] = {}
    for vid, i in last_use.items():
        if vid not in outputs and vid not in inputs:
            releases.setdefault(i, []).append(vid)

    def operand(x) -> str:
        return var_name[x.id] if type(x) is Var else names.constant(x.value)

    # Buffers: an elementwise ufunc or matmul returns a new array (it owns its buffer); any
    # other implementation may return a view of (or one of) its operands. A buffer may be
    # written into only once nothing that may alias it is read again or returned.
    owns = {e.out.id for e in trace.eqns if _elementwise(e) or e.prim.impl is np.matmul}
    bases: dict[int, set] = {}
    for e in trace.eqns:
        bases[e.out.id] = ({e.out.id} if e.out.id in owns else
                           set().union(*(bases.get(x.id, set()) for x in e.inputs
                                         if type(x) is Var)))
    busy_until: dict[int, float] = {}
    for vid, owners in bases.items():
        end = math.inf if vid in outputs else last_use.get(vid, -1)
        for b in owners:
            busy_until[b] = max(busy_until.get(b, -1), end)

    args = ", ".join(var_name[v.id] for v in trace.invars)
    lines = [f"def {name}({args}):"]
    for i, e in enumerate(trace.eqns):
        target = f"v{e.out.id}"
        var_name[e.out.id] = target
        call = [operand(x) for x in e.inputs]
        call += [f"{k}={names.constant(p)}" for k, p in e.params.items()]
        if _elementwise(e):
            reuse = _reusable(e, i, owns, busy_until)
            if reuse is not None:
                call.append(f"out={var_name[reuse]}")
        lines.append(f"    {target} = {names.impl(e.prim)}({', '.join(call)})  # {e.prim.name}")
        if i in releases:
            lines.append(f"    del {', '.join(var_name[vid] for vid in sorted(releases[i]))}")
    outs = [operand(v) for v in trace.outvars]
    lines.append(f"    return ({', '.join(outs)}{',' if len(outs) == 1 else ''})")
    return "\n".join(lines) + "\n", names.globals


def _elementwise(eqn) -> bool:
    """An elementwise NumPy ufunc with one output (matmul, a generalized ufunc, is not)."""
    fn = eqn.prim.impl
    return (isinstance(fn, np.ufunc) and fn.signature is None and fn.nout == 1
            and not eqn.params)


def _reusable(eqn, i: int, owns: set, busy_until: dict) -> int | None:
    """An operand whose buffer this elementwise equation may write its result into.

    It must own its buffer (not an input of the function, not a view), be read by nothing
    after this line through any alias (views of it included), not be returned, and have the
    result's exact shape, not 0-d (a ufunc returns a NumPy scalar there), and dtype. A ufunc
    writing element k reads only element k of each operand, so the overwrite is safe.
    """
    for x in eqn.inputs:
        if (type(x) is Var and x.id in owns and busy_until.get(x.id, -1) <= i and x.shape
                and x.shape == eqn.out.shape and np.dtype(x.dtype) == np.dtype(eqn.out.dtype)):
            return x.id
    return None


def build(trace: Trace, name: str = "compiled"):
    """Compile the generated source; return ``(function, source)``."""
    source, env = generate(trace, name)
    filename = f"<wengert.jit:{name}:{next(_COUNTER)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), env)  # noqa: S102 -- our own generated source
    return env[name], source
