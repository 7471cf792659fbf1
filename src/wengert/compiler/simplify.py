"""Simplification of a recorded list for ``jit``, keeping every value bit-for-bit.

One forward pass with a substitution map, then dead-code elimination:

* identities: ``x·1`` and ``1·x`` (``mul``, ``safe_mul``), ``x + 0``, ``0 + x``, ``x − 0``,
  and a ``reshape``/``broadcast_to``/``sum_to_shape``/``astype``/``checkpoint_name`` that
  leaves shape and dtype unchanged, each only where the result has exactly the shape and
  dtype of the operand kept (IEEE: x·1 = x, and x + 0 = x up to the sign of a zero);
* ``safe_mul`` by a constant zero is a constant zero (its definition: a strong zero);
* an equation on constants only is evaluated once (constant folding);
* an equation with the same primitive, operands and parameters as an earlier one reuses its
  output (common subexpressions);
* equations no output depends on are dropped.

``stop_gradient`` is never removed: a compiled list may still be differentiated
(``grad(jit(f))`` replays it). Imports: core.ir, NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.ir import Eqn, Lit, Trace, Var

_ONE_OPS = {"mul", "safe_mul"}
_SHAPE_IDENTITIES = {"reshape", "broadcast_to", "sum_to_shape", "astype", "checkpoint_name"}


@dataclass(frozen=True)
class Stats:
    """How much each pass removed."""

    recorded: int
    identities: int
    folded: int
    merged: int
    dead: int

    @property
    def kept(self) -> int:
        return self.recorded - self.identities - self.folded - self.merged - self.dead


def _aval(x):
    if type(x) is Var:
        return x.shape, np.dtype(x.dtype)
    v = x.value
    return tuple(np.shape(v)), np.result_type(v)


def _const_equals(x, number) -> bool:
    """Whether operand ``x`` is a constant whose every element equals ``number``."""
    if type(x) is not Lit:
        return False
    v = x.value
    if type(v) in (int, float, bool):
        return v == number
    if isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind in "biuf" and np.size(v) > 0:
        return bool(np.all(v == number))
    return False


def _identity(eqn: Eqn, ins: tuple):
    """The operand ``eqn`` is an identity of, or a constant it reduces to; else None."""
    name = eqn.prim.name
    out = (eqn.out.shape, np.dtype(eqn.out.dtype))
    if name in _ONE_OPS and len(ins) == 2:
        a, b = ins
        for keep, other in ((a, b), (b, a)):
            if _const_equals(other, 1) and _aval(keep) == out:
                return keep
        if name == "safe_mul" and (_const_equals(a, 0) or _const_equals(b, 0)):
            return Lit(np.zeros(out[0], out[1]))
    elif name == "add" and len(ins) == 2:
        a, b = ins
        for keep, other in ((a, b), (b, a)):
            if _const_equals(other, 0) and _aval(keep) == out:
                return keep
    elif name == "sub" and len(ins) == 2:
        if _const_equals(ins[1], 0) and _aval(ins[0]) == out:
            return ins[0]
    elif name in _SHAPE_IDENTITIES and ins and _aval(ins[0]) == out:
        return ins[0]
    return None


def _hashable(v):
    """A hashable stand-in for an operand or parameter, or None when there is none."""
    if v is None or type(v) in (bool, int, str):
        return (type(v), v)
    if type(v) is float or type(v) is complex:
        return (type(v), repr(v))  # repr tells 0.0 from -0.0 and keeps NaN equal to itself
    if isinstance(v, np.generic):
        return ("g", v.dtype.str, v.tobytes())
    if isinstance(v, np.ndarray):
        return ("a", id(v))  # the same array object (its values could be large)
    if isinstance(v, np.dtype):
        return ("d", v.str)
    if isinstance(v, slice):
        return ("s", _hashable(v.start), _hashable(v.stop), _hashable(v.step))
    if isinstance(v, (tuple, list)):
        items = tuple(_hashable(e) for e in v)
        return None if None in items else (type(v).__name__, items)
    if isinstance(v, type):
        return ("t", v)
    try:
        hash(v)
    except TypeError:
        return None
    return ("o", v)


def _key(eqn: Eqn, ins: tuple):
    parts = [id(eqn.prim)]
    for x in ins:
        parts.append(("v", x.id) if type(x) is Var else _hashable(x.value))
    for k in sorted(eqn.params):
        parts.append((k, _hashable(eqn.params[k])))
    if any(p is None or (type(p) is tuple and len(p) == 2 and p[1] is None) for p in parts):
        return None
    return tuple(parts)


def simplify(trace: Trace) -> tuple[Trace, Stats]:
    """Return the simplified list (same inputs and outputs, same values) and what it removed."""
    subst: dict[int, object] = {}

    def read(x):
        return subst.get(x.id, x) if type(x) is Var else x

    seen: dict = {}
    eqns: list[Eqn] = []
    identities = folded = merged = 0
    for e in trace.eqns:
        ins = tuple(read(x) for x in e.inputs)
        same = _identity(e, ins)
        if same is not None:
            subst[e.out.id] = same
            identities += 1
            continue
        if all(type(x) is Lit for x in ins):
            subst[e.out.id] = Lit(e.prim.impl(*[x.value for x in ins], **e.params))
            folded += 1
            continue
        key = _key(e, ins)
        if key is not None and key in seen:
            subst[e.out.id] = seen[key]
            merged += 1
            continue
        if key is not None:
            seen[key] = e.out
        eqns.append(Eqn(e.prim, ins, e.out, e.params))
    outvars = tuple(read(v) for v in trace.outvars)
    pruned = Trace(trace.invars, tuple(eqns), outvars, None).prune()
    dead = len(eqns) - len(pruned.eqns)
    return pruned, Stats(len(trace.eqns), identities, folded, merged, dead)
