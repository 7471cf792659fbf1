"""What each line of a Wengert list costs for AD: flops, and bytes kept for the backward pass.

Flops come from a per-family model: elementwise operations count one flop per output element
(a transcendental function counts as one, as in the lecture's "O(T)" bookkeeping), reductions
and scans one per input element, ``sort`` n·log₂ n per sorted axis, ``matmul`` and ``einsum``
two per multiply-add, and layout operations (reshape, transpose, indexing, concatenation,
broadcasting) none. Custom-rule equations are not modelled (``None``).

Bytes kept for the backward pass are *measured*: each equation's VJP rules are run once on
probe tracers that note which of the output and the arguments the rules actually read (for
``add`` nothing, for ``mul`` both arguments, for ``exp`` its output). Shape and dtype reads do
not count. A value is charged once, to the equation that produced it, however many rules read
it. Custom-rule equations keep what their forward function returned, which a probe cannot see
(``None``). Imports: core, primitives and NumPy.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.ir import Eqn, Trace, Var
from ..core.tracer import Interpreter, Tracer, bind, interpreter
from ..primitives.linalg import label_sizes, split_subscripts

_FREE = frozenset({"broadcast_to", "reshape", "transpose", "getitem", "concatenate", "pad",
                   "astype", "stop_gradient"})


def eqn_flops(eqn: Eqn) -> int | None:
    """Return the modelled flop count of one equation (None where there is no model)."""
    prim = eqn.prim
    name = prim.name
    out_size = math.prod(eqn.out.shape)
    shapes = [_shape(x) for x in eqn.inputs]
    if name in _FREE:
        return 0
    if name == "matmul":
        a = shapes[0]
        return 2 * out_size * (a[-1] if a else 1)
    if name == "einsum":
        in_subs, _ = split_subscripts(eqn.params["subscripts"])
        work = math.prod(label_sizes(in_subs, shapes).values())
        return 2 * max(len(shapes) - 1, 1) * work
    if name == "sort":
        n = shapes[0][eqn.params.get("axis", -1)] if shapes[0] else 1
        return math.prod(shapes[0]) * max(1, math.ceil(math.log2(max(n, 2))))
    if name == "index_add":
        return math.prod(shapes[-1]) if shapes else out_size
    if prim.family in ("reduce",) or name == "sum_to_shape":
        return math.prod(shapes[0]) if shapes else out_size
    if prim.family == "elementwise":
        return out_size
    return None


def _shape(x) -> tuple:
    return tuple(x.shape) if isinstance(x, Var) else tuple(np.shape(x.value))


class _Probe(Tracer):
    """A stored value handed to a VJP rule, noting whether the rule computes with it."""

    __slots__ = ("slot", "value")

    def __init__(self, interp, value, slot):
        self._interp = interp
        self.value = value
        self.slot = slot
        self.shape = np.shape(value)
        self.dtype = np.result_type(value)

    def _value(self):
        return self.value


class _ProbeInterpreter(Interpreter):
    """Runs primitives on the probes' values and records which probes took part."""

    __slots__ = ("read",)

    def __init__(self):
        self.read = set()

    def process(self, prim, args, params):
        vals = []
        for a in args:
            if type(a) is _Probe and a._interp is self:
                self.read.add(a.slot)
                vals.append(a.value)
            else:
                vals.append(a)
        return prim.impl(*vals, **params) if self.level == 0 else bind(prim, *vals, **params)


def read_by_vjp(eqn: Eqn, values) -> set | None:
    """Return the variable ids whose stored values ``eqn``'s VJP rules read.

    ``values`` maps a variable id to its value (a ``Trace``'s value list). None for
    custom-rule equations, whose residuals live inside the rule.
    """
    prim = eqn.prim
    if prim.family == "special" or prim.vjp is None:
        return None
    out_val = values[eqn.out.id]
    g = np.ones(np.shape(out_val), np.result_type(out_val))
    with interpreter(_ProbeInterpreter) as probe:
        out = _Probe(probe, out_val, eqn.out.id)
        args = [_Probe(probe, values[x.id], x.id) if isinstance(x, Var) else x.value
                for x in eqn.inputs]
        for i, x in enumerate(eqn.inputs):
            if isinstance(x, Var) and i not in prim.nondiff:
                prim.vjp[i](g, out, *args, **eqn.params)
    return set(probe.read)


def saved_bytes(trace: Trace) -> dict:
    """Map each variable id to the bytes of its value the backward pass keeps (0 if none).

    Variables produced by a custom-rule equation map to None when only that equation's own
    (unmeasured) residuals could need them.
    """
    if trace.values is None:
        raise ValueError("saved_bytes needs a trace recorded with its values")
    kept: set = set()
    for eqn in trace.eqns:
        read = read_by_vjp(eqn, trace.values)
        if read is not None:
            kept |= read
    res = {}
    for v in trace.invars:
        if isinstance(v, Var):
            res[v.id] = _nbytes(trace.values[v.id]) if v.id in kept else 0
    for eqn in trace.eqns:
        vid = eqn.out.id
        res[vid] = _nbytes(trace.values[vid]) if vid in kept else 0
    return res


def _nbytes(value) -> int:
    return int(np.asarray(value).nbytes)
