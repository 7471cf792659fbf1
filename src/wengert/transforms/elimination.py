"""Mixed-mode Jacobians: vertex elimination on the linearised Wengert list.

Linearise the recorded list: every variable is a vertex, and every differentiable argument
of an equation an edge ``u -> v`` labelled with its local partial derivative, a block
``d v / d u`` of shape (size v, size u). Blocks are built from the primitives' own rules on
the stored values, and kept as cheap as their structure allows:

* elementwise primitives (and ``reshape``, a relabelling) give a *diagonal* block, stored as a
  vector: the JVP rule applied to a vector of ones;
* a matrix-vector product's block is the matrix itself (the product's JVP rule applied to the
  identity would return it, column by column);
* any other primitive gives a dense block: its JVP rule vmapped over the identity of the
  input space, or its VJP rule over the identity of the output space when that is smaller.

Eliminating an intermediate vertex v joins each predecessor u to each successor w with
``B_wv @ A_vu`` (added to any edge already there) and removes v. Once only inputs and outputs
remain, the edges are the Jacobian blocks. Eliminating in topological order is forward mode,
in reverse order reverse mode; any other order is a *mixed* mode. The order here is
**Markowitz's greedy rule**: next, eliminate the vertex whose elimination costs the fewest
scalar multiplications now (ties: the one leaving the smaller blocks, then the earlier
variable). It is a heuristic: finding the
cheapest order (optimal Jacobian accumulation) is NP-complete (Naumann, 2008), and greedy can
be beaten. It pays where blocks are small or structured: a narrow waist (many inputs, a few
intermediates, many outputs), chains of elementwise operations, products with fixed matrices.

:func:`plan` works on shapes alone (the symbolic elimination that predicts the cost);
:func:`accumulate` carries the plan out on the stored values. Block products use
``wengert.numpy`` operations, so an outer transform can differentiate through them. Imports:
core, NumPy, ``transforms.cost`` and ``transforms.batching``.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..core.errors import MissingRuleError
from ..core.ir import Trace, Var
from ..core.tangent import Zero
from . import cost
from .batching import vmap

# A dense block larger than this (entries) makes elimination ineligible for mode="auto": it
# would need far more memory than the sweeps it competes with.
MAX_BLOCK_ENTRIES = 1 << 24

DIAG = "diag"  # a diagonal block, stored as the vector of its diagonal
DENSE = "dense"  # a dense (size v, size u) matrix


# --- the linearised graph ------------------------------------------------------------------


class Edge(NamedTuple):
    """One local partial derivative: argument ``arg`` of equation ``eqn_index``, ``src -> dst``.

    ``how`` says how its block is built: ``"diag"`` (JVP rule on ones), ``"identity"``
    (reshape, or an output's own vertex), ``"matrix"`` (the other operand of a matrix-vector
    product, transposed when ``transpose``) or ``"dense"`` (a rule vmapped over a basis).
    """

    src: int
    dst: int
    eqn_index: int
    arg: int
    how: str
    transpose: bool = False

    @property
    def kind(self) -> str:
        return DIAG if self.how in ("diag", "identity") else DENSE


def _edge_how(eqn, i, out_shape) -> tuple[str, bool]:
    """Say how to build the block of ``eqn``'s argument ``i`` (see :class:`Edge`)."""
    prim = eqn.prim
    x = eqn.inputs[i]
    if prim.name == "reshape":
        return "identity", False
    if prim.family == "elementwise" and x.shape == out_shape:
        return "diag", False
    if prim.name == "matmul" and len(x.shape) == 1:
        other = eqn.inputs[1 - i]
        if (len(other.shape) if type(other) is Var else np.ndim(other.value)) == 2:
            # out = A @ x: d out / d x = A.   out = x @ B: d out / d x = B^T.
            return "matrix", i == 0
    return "dense", False


class _Graph:
    """Vertices with sizes, and edges as ``pred[v][u] = succ[u][v] = kind`` (u -> v)."""

    __slots__ = ("pred", "size", "succ")

    def __init__(self, size: dict):
        self.size = dict(size)
        self.pred: dict = {v: {} for v in size}
        self.succ: dict = {v: {} for v in size}

    def add_edge(self, u, v, kind) -> bool:
        """Add edge u -> v, or merge into it (dense wins); return True if it was there."""
        succ_u = self.succ[u]
        old = succ_u.get(v)
        if old is not None:
            if old != kind:
                succ_u[v] = self.pred[v][u] = DENSE
            return True
        succ_u[v] = self.pred[v][u] = kind
        return False

    def remove_vertex(self, v):
        for u in self.pred.pop(v):
            del self.succ[u][v]
        for w in self.succ.pop(v):
            del self.pred[w][v]
        del self.size[v]


def _product_mults(kind_b, kind_a, s_w, s_v, s_u) -> int:
    """Scalar multiplications of the block product B_wv @ A_vu, by the blocks' structure."""
    if kind_b == DIAG:
        return s_v if kind_a == DIAG else s_v * s_u
    return s_w * s_v if kind_a == DIAG else s_w * s_v * s_u


def _markowitz_cost(g: _Graph, v) -> tuple[int, int]:
    """Multiplications needed to eliminate ``v`` now, and the entries of the blocks it makes.

    The second number breaks ties: of two vertices equally cheap to eliminate, the one that
    leaves smaller blocks behind goes first (as Markowitz pivoting breaks ties by fill-in).
    """
    size = g.size
    s_v = size[v]
    mults = fill = 0
    succs = g.succ[v].items()
    for u, kind_a in g.pred[v].items():
        s_u = size[u]
        for w, kind_b in succs:
            s_w = size[w]
            mults += _product_mults(kind_b, kind_a, s_w, s_v, s_u)
            fill += s_w if kind_a == DIAG and kind_b == DIAG else s_w * s_u
    return mults, fill


class _Linearised(NamedTuple):
    sizes: dict  # vertex -> number of scalars
    edges: list  # Edge records, in equation order
    inputs: list  # input vertices (the trace's input variables)
    outputs: list  # one vertex per output (None for a constant output)
    intermediates: list  # the vertices to eliminate


def _linearise(trace: Trace) -> _Linearised:
    """Read the graph of local partials off the list (shapes only, no values).

    Each output gets a vertex of its own when its variable is an input, feeds another
    equation or is returned twice (joined by an identity edge), so that after elimination
    every remaining edge runs from an input to an output.
    """
    sizes = {v.id: math.prod(v.shape) for v in trace.invars}
    edges = []
    used = set()
    for k, eqn in enumerate(trace.eqns):
        out = eqn.out
        sizes[out.id] = math.prod(out.shape)
        nondiff = eqn.prim.nondiff
        for i, x in enumerate(eqn.inputs):
            if type(x) is not Var or i in nondiff or not sizes.get(x.id) or not sizes[out.id]:
                continue  # a constant, an index, or an empty array: no derivative flows
            how, transpose = _edge_how(eqn, i, out.shape)
            edges.append(Edge(x.id, out.id, k, i, how, transpose))
            used.add(x.id)
    inputs = [v.id for v in trace.invars]
    keep = set(inputs)
    fresh = max(sizes, default=-1) + 1
    returned = Counter(v.id for v in trace.outvars if type(v) is Var)
    outputs = []
    for v in trace.outvars:
        if type(v) is not Var or v.id not in sizes:
            outputs.append(None)
            continue
        if v.id in keep or v.id in used or returned[v.id] > 1:
            sizes[fresh] = sizes[v.id]
            edges.append(Edge(v.id, fresh, -1, 0, "identity"))
            outputs.append(fresh)
            keep.add(fresh)
            fresh += 1
        else:
            outputs.append(v.id)
            keep.add(v.id)
    intermediates = [v for v in sizes if v not in keep]
    return _Linearised(sizes, edges, inputs, outputs, intermediates)


# --- the plan: a symbolic elimination ----------------------------------------------------------


@dataclass(frozen=True, eq=False)
class EliminationPlan:
    """The Markowitz elimination of one recorded list, predicted from shapes alone.

    Attributes
    ----------
    order : the intermediate vertices (variable ids) in elimination order.
    multiplications : scalar multiplications of all block products.
    flops : arithmetic of the block products and additions plus building the local blocks.
    time_us : the predicted time (``cost.MODEL``), building the blocks included.
    num_blocks, num_products : local blocks built and block products formed.
    largest_block : entries of the largest dense block ever formed.
    feasible : False when a dense block would exceed ``MAX_BLOCK_ENTRIES`` or a rule it needs
        is missing; ``jacobian(mode="auto")`` then does not consider elimination.
    """

    order: tuple
    multiplications: int
    flops: int
    time_us: float
    num_blocks: int
    num_products: int
    largest_block: int
    feasible: bool
    graph: _Linearised


def _has_rules(trace, e: Edge, sizes) -> bool:
    """Whether the rules that build ``e``'s block exist (a JVP; a VJP for wide blocks)."""
    if e.how in ("identity", "matrix"):
        return True
    prim = trace.eqns[e.eqn_index].prim
    if prim.jvp is None:
        return False
    if e.how == "dense" and sizes[e.src] > sizes[e.dst]:
        return prim.vjp is not None and prim.vjp[e.arg] is not None
    return True


def _build_cost(trace, e: Edge, sizes, eqn_costs) -> tuple[int, float]:
    """Modelled (flops, microseconds) of building one local block."""
    model = cost.MODEL
    if e.how in ("identity", "matrix"):
        return 0, model.op_us
    c = eqn_costs[e.eqn_index]
    if e.how == "diag":
        flops = c.partial + c.fixed
        return flops, 2 * model.op_us + model.flops_us(flops)
    s_in, s_out = sizes[e.src], sizes[e.dst]
    width = min(s_in, s_out)
    work = width * c.partial
    flops = work + s_in * s_out
    # A basis of one vector is one direct rule call; a wider one is a vmapped sweep.
    overhead = 3 * model.op_us if width <= 1 else model.sweep_us + model.rule_us
    return flops, overhead + model.flops_us(work, c.product) + model.flops_us(s_in * s_out)


def plan(trace: Trace, eqn_costs: list | None = None) -> EliminationPlan:
    """Return the Markowitz elimination plan of ``trace`` and its predicted cost.

    Greedy: at each step the intermediate vertex whose elimination needs the fewest scalar
    multiplications (by the current blocks' sizes and structure) goes next; ties go to the
    one whose new blocks have fewer entries, then to the earlier variable. ``eqn_costs``
    (``cost.eqn_cost`` of each equation) saves recomputing it.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> t = wg.trace(lambda x: wnp.sin(wnp.exp(x)))(np.ones(3))
    >>> p = plan(t)
    >>> p.order, p.multiplications
    ((1,), 3)
    """
    model = cost.MODEL
    if eqn_costs is None:
        eqn_costs = [cost.eqn_cost(e) for e in trace.eqns]
    lin = _linearise(trace)
    sizes = lin.sizes
    g = _Graph(sizes)
    flops, time_us = 0, model.plan_us * len(lin.edges)
    largest, feasible = 0, True
    for e in lin.edges:
        feasible = feasible and _has_rules(trace, e, sizes)
        f, t = _build_cost(trace, e, sizes, eqn_costs)
        flops += f
        time_us += t
        g.add_edge(e.src, e.dst, e.kind)
        if e.kind == DENSE:
            largest = max(largest, sizes[e.src] * sizes[e.dst])
    size, pred, succ = g.size, g.pred, g.succ
    product_rate, rate, op_us = model.product_flops_per_us, model.flops_per_us, model.op_us
    order, mults, products = [], 0, 0
    heap = [(*_markowitz_cost(g, v), v) for v in lin.intermediates]
    heapq.heapify(heap)
    live = set(lin.intermediates)
    while heap:
        c, fill, v = heapq.heappop(heap)
        if v not in live:
            continue
        now = _markowitz_cost(g, v)
        if now != (c, fill):  # stale entry: a neighbour's elimination changed v's blocks
            heapq.heappush(heap, (*now, v))
            continue
        s_v = size[v]
        succs = list(succ[v].items())
        preds = list(pred[v].items())
        for u, kind_a in preds:
            s_u = size[u]
            for w, kind_b in succs:
                s_w = size[w]
                p = _product_mults(kind_b, kind_a, s_w, s_v, s_u)
                mults += p
                if kind_b == DENSE and kind_a == DENSE:
                    # A dense-by-dense product adds as often as it multiplies.
                    flops += 2 * p
                    time_us += op_us + 2 * p / product_rate
                else:
                    flops += p
                    time_us += op_us + p / rate
                merged = g.add_edge(u, w, DIAG if kind_b == DIAG and kind_a == DIAG else DENSE)
                dense = succ[u][w] == DENSE
                entries = s_w * s_u if dense else s_w
                if merged:
                    flops += entries
                    time_us += op_us + entries / rate
                if dense and entries > largest:
                    largest = entries
                products += 1
        g.remove_vertex(v)
        live.discard(v)
        order.append(v)
        for x, _ in preds + succs:
            if x in live:
                heapq.heappush(heap, (*_markowitz_cost(g, x), x))
    # The input-to-output blocks left are made dense (a diagonal one is written out).
    for u, out_edges in succ.items():
        for w, k in out_edges.items():
            if k == DIAG:
                time_us += op_us + size[u] * size[w] / rate
    return EliminationPlan(
        order=tuple(order), multiplications=int(mults), flops=int(flops),
        time_us=float(time_us), num_blocks=len(lin.edges), num_products=products,
        largest_block=int(largest), feasible=feasible and largest <= MAX_BLOCK_ENTRIES,
        graph=lin,
    )


# --- carrying the plan out --------------------------------------------------------------------


def _value(trace, x):
    return trace.values[x.id] if type(x) is Var else x.value


def _block(trace, e: Edge, sizes):
    """Build the local block of edge ``e`` from the primitive's rules on the stored values.

    Returns a vector (diagonal block), a 2-D array (dense block) or None (the rule says the
    argument has no effect).
    """
    from .. import numpy as wnp

    if e.how == "identity":
        return np.ones(sizes[e.src], np.result_type(trace.values[e.src]))
    eqn = trace.eqns[e.eqn_index]
    prim = eqn.prim
    if prim.jvp is None:
        raise MissingRuleError(
            f"no JVP rule for primitive '{prim.name}'. Add one in "
            f"wengert/primitives/{prim.family}.py, or use jacobian(mode='rev')."
        )
    args = [_value(trace, x) for x in eqn.inputs]
    out = trace.values[eqn.out.id]
    if e.how == "matrix":
        a = args[1 - e.arg]
        return wnp.transpose(a) if e.transpose else a
    s_in, s_out = sizes[e.src], sizes[e.dst]
    x_shape, out_shape = tuple(eqn.inputs[e.arg].shape), tuple(eqn.out.shape)
    if e.how == "diag":
        d = prim.jvp[e.arg](wnp.ones_like(args[e.arg]), out, *args, **eqn.params)
        if d is Zero:
            return None
        if tuple(d.shape) != (s_out,):
            d = wnp.reshape(wnp.broadcast_to(d, out_shape), (s_out,))
        return d
    if s_in <= s_out:
        jvp_rule = prim.jvp[e.arg]

        def column(t):
            r = jvp_rule(wnp.reshape(t, x_shape), out, *args, **eqn.params)
            return None if r is Zero else wnp.reshape(wnp.broadcast_to(r, out_shape), (s_out,))

        eye = np.eye(s_in, dtype=np.result_type(args[e.arg]))
        # One basis vector needs no vmap: apply the rule to it directly.
        cols = vmap(column)(eye) if s_in > 1 else _single(column, eye)
        return None if cols is None else wnp.transpose(cols)  # (s_out, s_in)
    if prim.vjp is None or prim.vjp[e.arg] is None:
        raise MissingRuleError(
            f"no VJP rule for primitive '{prim.name}' (argument {e.arg}). Add one in "
            f"wengert/primitives/{prim.family}.py, or use jacobian(mode='fwd')."
        )
    vjp_rule = prim.vjp[e.arg]

    def row(g_):
        r = vjp_rule(wnp.reshape(g_, out_shape), out, *args, **eqn.params)
        return None if r is Zero else wnp.reshape(wnp.broadcast_to(r, x_shape), (s_in,))

    eye = np.eye(s_out, dtype=np.result_type(out))
    return vmap(row)(eye) if s_out > 1 else _single(row, eye)  # (s_out, s_in), or None


def _single(fn, eye):
    """``vmap(fn)(eye)`` for a basis of one vector: one direct call, no batch interpreter."""
    from .. import numpy as wnp

    r = fn(eye[0])
    return None if r is None else wnp.expand_dims(r, 0)


def _times(b, kind_b, a, kind_a):
    """The block product B @ A, by structure (a diagonal block is a vector)."""
    from .. import numpy as wnp

    if kind_a == DIAG:  # B @ diag(a) scales B's columns (or is a product of diagonals)
        return b * a
    if kind_b == DIAG:  # diag(b) @ A scales A's rows
        return wnp.expand_dims(b, 1) * a
    return wnp.matmul(b, a)


def _dense(block, kind):
    """A block as a dense matrix: a diagonal one is written out."""
    from .. import numpy as wnp

    return wnp.diag(block) if kind == DIAG else block


def _plus(x, kind_x, y, kind_y):
    """The sum of two blocks of one edge (diagonal only if both are)."""
    if kind_x == kind_y:
        return x + y, kind_x
    return _dense(x, kind_x) + _dense(y, kind_y), DENSE


def accumulate(trace: Trace, elimination: EliminationPlan) -> list:
    """Carry out ``elimination`` on ``trace``'s stored values; return the Jacobian blocks.

    The result is indexed ``[output][input]``: a 2-D array of shape (output size, input size),
    or None where the output does not depend on that input.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> t = wg.trace(lambda x: wnp.sum(x * x))(np.array([1.0, 2.0]))
    >>> accumulate(t, plan(t))
    [[array([[2., 4.]])]]
    """
    lin = elimination.graph
    sizes = lin.sizes
    g = _Graph(sizes)
    blocks: dict = {}
    kinds: dict = {}
    for e in lin.edges:
        blk = _block(trace, e, sizes)
        if blk is None:  # the rule returned a symbolic zero: no edge
            continue
        key = (e.src, e.dst)
        if key in blocks:
            blocks[key], kinds[key] = _plus(blocks[key], kinds[key], blk, e.kind)
        else:
            blocks[key], kinds[key] = blk, e.kind
        g.add_edge(e.src, e.dst, kinds[key])
    for v in elimination.order:
        for u in g.pred[v]:
            a, kind_a = blocks.pop((u, v)), kinds.pop((u, v))
            for w in g.succ[v]:
                kind_b = kinds[v, w]
                prod = _times(blocks[v, w], kind_b, a, kind_a)
                kind = DIAG if kind_b == DIAG and kind_a == DIAG else DENSE
                key = (u, w)
                if key in blocks:
                    blocks[key], kinds[key] = _plus(blocks[key], kinds[key], prod, kind)
                else:
                    blocks[key], kinds[key] = prod, kind
        for w in g.succ[v]:
            del blocks[v, w], kinds[v, w]
        preds, succs = list(g.pred[v]), list(g.succ[v])
        g.remove_vertex(v)
        for u in preds:
            for w in succs:
                g.add_edge(u, w, kinds[u, w])
    result = []
    for o in lin.outputs:
        row = []
        for u in lin.inputs:
            key = (u, o)
            row.append(None if o is None or key not in blocks
                       else _dense(blocks[key], kinds[key]))
        result.append(row)
    return result
