"""What each line of a Wengert list costs for AD: flops, tangent flops, and bytes kept.

Flops come from a per-family model: elementwise operations count one flop per output element
(a transcendental function counts as one, as in the lecture's "O(T)" bookkeeping), reductions
and scans one per input element, ``sort`` n·log₂ n per sorted axis, ``matmul`` and ``einsum``
two per multiply-add, and layout operations (reshape, transpose, indexing, concatenation,
broadcasting) none. Custom-rule equations are not modelled (``None``).

The derivative sweeps are modelled per equation and per (co)tangent direction
(:func:`eqn_cost`): each differentiable argument's partial is a linear map applied to the
direction, which costs what the primitive costs for products (``matmul``, ``einsum``), one flop
per element for elementwise and layout operations (a scale or a copy), and one per input element
for reductions. Work that does not depend on the direction (an elementwise derivative
coefficient such as ``1 - tanh²``) is done once per vectorised sweep, not once per direction.
:class:`CostModel` turns flops, bytes and Python overhead into predicted microseconds; its
rates were calibrated on the lecture's Jacobian workload (f(x) = W2 tanh(W1 x), n = 100,
m = 10 … 1000) so that ``jacobian(mode="auto")`` picks the faster mode there.

Bytes kept for the backward pass are *measured* (:func:`saved_bytes`): each equation's VJP
rules are run once on probe tracers that note which of the output and the arguments the rules
actually read (for ``add`` nothing, for ``mul`` both arguments, for ``exp`` its output). Shape
and dtype reads do not count. A value is charged once, to the equation that produced it,
however many rules read it. Custom-rule equations keep what their forward function returned,
which a probe cannot see (``None``). The viewer (``wengert.viz.cost``) re-exports this module.
Imports: core, primitives and NumPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..core.ir import Eqn, Trace, Var
from ..core.tracer import Interpreter, Tracer, bind, interpreter
from ..primitives.linalg import label_sizes, split_subscripts

_FREE = frozenset({"broadcast_to", "reshape", "transpose", "getitem", "concatenate", "pad",
                   "astype", "stop_gradient"})


@dataclass(frozen=True)
class CostModel:
    """Rates that turn modelled work into predicted microseconds.

    Products (``matmul``, ``einsum``) run at BLAS speed; every other flop (elementwise,
    reductions, copies) at NumPy's memory-bound speed, about fifty times slower per flop. Each
    rule applied in a vectorised sweep pays Python overhead (``rule_us`` for a JVP rule,
    ``vjp_rule_us`` for a VJP rule: the rule and the batching rules of the primitives it
    calls; VJP rules read stored values and batch more cheaply), each vmapped sweep
    ``sweep_us``, each
    NumPy-level operation on plain arrays ``op_us`` (vertex elimination's block products) and
    each edge the elimination plan looks at ``plan_us``. Only ratios matter for the choice.
    Calibrated on the lecture's Jacobian workload and a dozen other graphs (softmax, narrow
    waist, wide and tall maps, small MLPs) on a 2-core x86 machine with single-threaded
    OpenBLAS; recalibrate when the batching rules' overhead changes.
    """

    product_flops_per_us: float = 20_000.0
    flops_per_us: float = 1_000.0
    bytes_per_us: float = 4_000.0
    rule_us: float = 45.0
    vjp_rule_us: float = 20.0
    sweep_us: float = 60.0
    op_us: float = 15.0
    plan_us: float = 8.0
    # Below this predicted sweep time, auto does not plan an elimination (planning would cost
    # a good part of what it could save).
    plan_worth_us: float = 1000.0

    def flops_us(self, flops: float, product: bool = False) -> float:
        """Return the predicted microseconds of ``flops`` (BLAS speed when ``product``)."""
        return flops / (self.product_flops_per_us if product else self.flops_per_us)


MODEL = CostModel()
_PRODUCTS = frozenset({"matmul", "einsum"})
# Elementwise primitives whose partials are ±1: applying them multiplies by nothing.
_UNIT_PARTIALS = frozenset({"add", "sub", "neg", "astype"})


def eqn_flops(eqn: Eqn) -> int | None:
    """Return the modelled flop count of one equation (None where there is no model).

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> t = wg.trace(lambda a, b: wnp.sin(a @ b))(np.ones((2, 3)), np.ones(3))
    >>> [eqn_flops(e) for e in t]
    [12, 2]
    """
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


def diff_inputs(eqn: Eqn) -> list[int]:
    """Return the positions of ``eqn``'s arguments that carry a derivative (recorded variables)."""
    nondiff = eqn.prim.nondiff
    return [i for i, x in enumerate(eqn.inputs) if isinstance(x, Var) and i not in nondiff]


def partial_flops(eqn: Eqn) -> int:
    """Return the flops of applying one argument's partial derivative to one direction.

    Products (``matmul``, ``einsum``) cost what the primitive costs, since the partial is the
    same product with the direction in the argument's place; reductions and scans one flop per
    input element; everything else one per output element (a scale by the derivative
    coefficient, or a copy for layout operations).

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> t = wg.trace(lambda x: wnp.sum(wnp.tanh(np.ones((4, 3)) @ x)))(np.ones(3))
    >>> [partial_flops(e) for e in t]
    [24, 4, 4]
    """
    prim = eqn.prim
    name = prim.name
    out_size = math.prod(eqn.out.shape)
    if name in _PRODUCTS:
        return int(eqn_flops(eqn))
    if prim.family == "reduce" or name in ("sum_to_shape", "index_add"):
        flops = eqn_flops(eqn)
        return max(int(flops), out_size) if flops is not None else out_size
    if prim.family == "elementwise" or name in _FREE:
        return out_size
    flops = eqn_flops(eqn)
    if flops is not None:
        return max(int(flops), out_size)
    # No model (custom rules, future linear algebra): charge every element it touches.
    return out_size + sum(math.prod(_shape(x)) for x in eqn.inputs)


class EqnCost(NamedTuple):
    """The modelled derivative work of one equation (see :func:`eqn_cost`)."""

    diff: tuple  # positions of the differentiable arguments
    partial: int  # flops of one partial applied to one direction
    jvp: int  # flops of the JVP for one tangent direction
    vjp: int  # flops of the VJP for one cotangent direction
    fixed: int  # flops a vectorised sweep spends once, whatever its width
    product: bool  # whether the flops run at BLAS speed
    mults: int  # multiplications by local partials, per direction


def eqn_cost(eqn: Eqn) -> EqnCost:
    """Return the modelled JVP and VJP flops of ``eqn`` per direction, and its fixed work.

    The JVP applies one partial per differentiable argument and adds their contributions; the
    VJP applies the transposed partials (same flops) and adds each argument's cotangent to
    what already reached it. A nonlinear elementwise primitive computes its derivative
    coefficient (``1 - tanh²``) from the stored values once per vectorised sweep, not once
    per direction: that is ``fixed``. ``mults`` counts the multiplications by local partial
    derivatives per direction, as vertex elimination counts them: one per element an
    elementwise partial scales, one per multiply-add of a product; additions, copies and
    reductions multiply by nothing.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> t = wg.trace(lambda x, y: x * y)(np.ones(3), np.ones(3))
    >>> eqn_cost(t.eqns[0])
    EqnCost(diff=(0, 1), partial=3, jvp=9, vjp=12, fixed=3, product=False, mults=6)
    """
    diff = tuple(diff_inputs(eqn))
    if not diff:
        return EqnCost(diff, 0, 0, 0, 0, False, 0)
    out_size = math.prod(eqn.out.shape)
    partial = partial_flops(eqn)
    k = len(diff)
    jvp = k * partial + (k - 1) * out_size
    vjp = k * partial + sum(math.prod(_shape(eqn.inputs[i])) for i in diff)
    elementwise = eqn.prim.family == "elementwise"
    fixed = out_size if elementwise else 0
    product = eqn.prim.name in _PRODUCTS
    if product:
        mults = k * partial // 2
    elif elementwise and eqn.prim.name not in _UNIT_PARTIALS:
        mults = k * out_size
    else:
        mults = 0
    return EqnCost(diff, partial, jvp, vjp, fixed, product, mults)


def kept_bytes(trace: Trace) -> int:
    """Return the bytes of the recorded intermediate values: what the reverse sweep keeps.

    Reverse mode needs the Wengert list's values until the backward pass has visited their
    equations; a forward sweep could drop each value once it is used. This bound (every
    recorded output value) is what the recorder holds; :func:`saved_bytes` measures the part
    the VJP rules actually read.
    """
    total = 0
    for eqn in trace.eqns:
        total += math.prod(eqn.out.shape) * np.dtype(eqn.out.dtype).itemsize
    return int(total)


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
