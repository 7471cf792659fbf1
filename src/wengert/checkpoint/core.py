"""``checkpoint``: recompute the interior of a function in the backward pass instead of storing it.

A checkpointed call is handed to the innermost transform among its arguments, like a custom
rule (design.md §5e):

* reverse mode records the function on an inner Wengert list (a ``Block``), keeps the inputs,
  the outputs and what the policy keeps, releases the rest, and records one equation per
  output leaf (a ``Group``). The backward pass replays the released values from the kept ones
  with the same primitives, then runs the ordinary backward pass over the inner list;
* forward mode checkpoints the JVP of the function one level down;
* ``vmap`` checkpoints the batched function one level down.

So the recomputation always happens at the reverse level that stores values, under every
transform outside it. ``saved_residuals`` lists what a backward pass keeps. Imports: tree,
core, primitives, transforms, checkpoint.policies.
"""

from __future__ import annotations

import contextvars
import functools
from dataclasses import dataclass

import numpy as np

from .. import tree as _tree
from ..core.errors import WengertTypeError
from ..core.ir import Lit, Trace, Var
from ..core.source import user_line
from ..core.tracer import active_interpreters, find_top, interpreter
from ..primitives.checkpoint import checkpoint_name_p
from ..transforms import _api
from ..transforms.batching import BatchInterpreter, vmap
from ..transforms.forward import JVPInterpreter, JVPTracer, jvp
from ..transforms.reverse import ReverseInterpreter, RevTracer, _custom_eqns, backward
from . import policies as _policies

# Set by saved_residuals: recorders then note the user's source line of each equation.
_SOURCES: contextvars.ContextVar[bool] = contextvars.ContextVar("wengert_sources", default=False)


def checkpoint_name(x, name: str):
    """Return ``x`` tagged with ``name``, for policies such as ``save_only_these_names(name)``.

    The value is ``x`` itself (no copy); derivatives pass through unchanged.

    Examples
    --------
    >>> import wengert as wg, wengert.numpy as wnp
    >>> float(wg.grad(lambda x: wg.checkpoint_name(wnp.sin(x), "h"))(0.0))
    1.0
    """
    if not isinstance(name, str):
        raise WengertTypeError(
            f"checkpoint_name: name must be a string, but received {type(name).__name__}; "
            "pass the name a policy will look for, e.g. checkpoint_name(x, 'hidden')."
        )
    return _tree.map(lambda leaf: checkpoint_name_p(_api.as_array(leaf), name=name), x)


class Checkpointed:
    """A function whose interior reverse mode recomputes instead of storing (see ``checkpoint``)."""

    def __init__(self, fun, policy):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.policy = _policies.resolve(policy)

    def __call__(self, *args):
        top = find_top(_tree.leaves(args))
        if top is None:
            # No argument is traced, but the function may close over values that the
            # innermost reverse level is differentiating: that level lifts them.
            stack = active_interpreters()
            if stack and isinstance(stack[-1], ReverseInterpreter):
                top = stack[-1]
        handler = _handler_for(top) if top is not None else None
        if handler is None:  # nothing traced, or a transform that stores nothing
            return self.fun(*args)
        return handler(top, self, args)

    def __repr__(self) -> str:
        name = getattr(self.fun, "__name__", "f")
        return f"checkpoint({name}, policy={getattr(self.policy, '__name__', self.policy)})"


def checkpoint(fun=None, *, policy=None):
    """Return ``fun`` made to recompute its intermediates in the backward pass instead of storing them.

    Under reverse mode only the inputs of ``fun``, its outputs and the values ``policy`` keeps
    are stored for the backward pass; the rest is recomputed from them, once per backward
    pass, with the same primitives (so the derivatives are the same numbers). Works under
    every transform and nesting (``grad`` of ``grad``, ``hvp``, ``jacfwd``/``jacrev``,
    ``vmap``) and with pytree arguments and outputs. Usable as ``@checkpoint`` or
    ``@checkpoint(policy=...)``.

    Parameters
    ----------
    fun : the function; its positional arguments may be pytrees of arrays.
    policy : a callable ``(eqn) -> bool`` deciding which inner values to keep, or None for
        ``policies.nothing_saveable``. See ``wengert.checkpoint.policies``:
        ``dots_saveable``, ``save_only_these_names(*names)`` (values tagged with
        ``checkpoint_name``), ``everything_saveable``.

    Notes
    -----
    Under ``grad`` of ``grad`` the inner derivative recomputes; the outer one records that
    recomputation like any other computation (it is not checkpointed a second time).

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> block = wg.checkpoint(lambda x: wnp.tanh(wnp.sin(x)))
    >>> g = wg.grad(lambda x: wnp.sum(block(x)))(np.array([0.5]))
    >>> bool(np.allclose(g, np.cos(0.5) / np.cosh(np.sin(0.5)) ** 2))
    True
    """
    if fun is None:
        return functools.partial(checkpoint, policy=policy)
    if not callable(fun):
        raise WengertTypeError(
            f"checkpoint: expected a function, but received {type(fun).__name__}; pass the "
            "function to checkpoint, e.g. checkpoint(block) or @checkpoint."
        )
    return Checkpointed(fun, policy)


def _handler_for(top):
    for cls in type(top).__mro__:
        handler = _HANDLERS.get(cls)
        if handler is not None:
            return handler
    return None


# --- reverse mode: the inner list ----------------------------------------------------------


class _Recorder(ReverseInterpreter):
    """A reverse-mode recorder that also notes, when asked, each equation's source line.

    Recording a checkpointed block, it also lifts closed-over values: a tracer of ``lift``
    (the reverse level that handles the checkpoint) met inside the block becomes one more
    input of the inner list, so its cotangent flows out of the block like an argument's.
    """

    __slots__ = ("lift", "lifted", "sources")

    def __init__(self, lift=None):
        super().__init__()
        self.sources = {} if _SOURCES.get() else None
        self.lift = lift
        self.lifted: dict[int, tuple] = {}  # id(outer tracer) -> (outer tracer, inner tracer)

    def process(self, prim, args, params):
        if self.lift is not None:
            args = self._lift_all(args)
        n = len(self.eqns)
        out = super().process(prim, args, params)
        if self.sources is not None and len(self.eqns) > n:
            self.sources[self.eqns[-1].out.id] = user_line(short=True)
        return out

    def process_custom_vjp(self, cv, args):
        return super().process_custom_vjp(cv, self._lift_tree(args))

    def process_custom_jvp(self, cj, args):
        return super().process_custom_jvp(cj, self._lift_tree(args))

    def _lift_all(self, args):
        return tuple(self._lifted(a) if type(a) is RevTracer and a._interp is self.lift else a
                     for a in args)

    def _lift_tree(self, args):
        if self.lift is None:
            return args
        leaves, tdef = _tree.flatten(args)
        return _tree.unflatten(tdef, list(self._lift_all(leaves)))

    def _lifted(self, outer):
        entry = self.lifted.get(id(outer))
        if entry is None:
            entry = (outer, self.new_input(outer.value))
            self.lifted[id(outer)] = entry
        return entry[1]


@dataclass(eq=False)
class Block:
    """One checkpointed call as reverse mode stores it: the inner list and the kept values.

    ``values`` is indexed by inner variable id; None marks a value released after the forward
    pass, to be recomputed. ``float_positions`` are the argument leaves that are inner inputs
    (floating point); the others are constants of the inner list.
    """

    trace: Trace
    values: list
    float_positions: tuple
    num_leaves: int
    out_tree: object
    sources: dict | None

    def kept_ids(self) -> list[int]:
        """Ids of the inner equations' values kept for the backward pass (inputs excluded)."""
        inputs = {v.id for v in self.trace.invars}
        return [e.out.id for e in self.trace.eqns
                if self.values[e.out.id] is not None and e.out.id not in inputs]

    def backward(self, cotangents):
        """Replay the released values, then pull the output cotangents back to every leaf."""
        values = list(self.values)
        for eqn in self.trace.eqns:
            oid = eqn.out.id
            if values[oid] is None:
                args = [values[x.id] if type(x) is Var else x.value for x in eqn.inputs]
                values[oid] = eqn.prim(*args, **eqn.params)
        seeds = {}
        for v, g in zip(self.trace.outvars, cotangents):
            if g is None or type(v) is not Var:
                continue
            seeds[v.id] = seeds[v.id] + g if v.id in seeds else g
        replayed = Trace(self.trace.invars, self.trace.eqns, self.trace.outvars, values)
        cts = backward(replayed, seeds, free=True)
        result = [None] * self.num_leaves
        for pos, v in zip(self.float_positions, self.trace.invars):
            result[pos] = cts.get(v.id)
        return result


def _record_block(cp: Checkpointed, vals: list, tdef, traced, lift=None):
    """Record ``cp.fun`` on ``vals`` (one level down); keep what the policy says.

    Only the leaves marked in ``traced`` become inputs of the inner list; the others are its
    constants, so no cotangent is computed (or kept) for them. Tracers of ``lift`` that the
    function closes over become further inputs. Returns ``(block, outputs, lifted)`` with
    ``lifted`` those outer tracers, in the order of the block's extra leaves.
    """
    vals = [_api.as_array(v) for v in vals]
    floats = tuple(i for i, (v, t) in enumerate(zip(vals, traced))
                   if t and np.dtype(v.dtype).kind in "fc")
    out_tree_box = []

    def flat_fun(*xs):
        full = list(vals)
        for i, x in zip(floats, xs):
            full[i] = x
        out_leaves, out_tree = _tree.flatten(cp.fun(*_tree.unflatten(tdef, full)))
        out_tree_box.append(out_tree)
        return [_api.as_array(o) for o in out_leaves]

    with interpreter(_Recorder, lift) as rec:
        tracers = [rec.new_input(vals[i]) for i in floats]
        previous = lift.redirect if lift is not None else None
        if lift is not None:
            lift.redirect = rec  # calls on closed-over values of that level come here
        try:
            outs = flat_fun(*tracers)
        finally:
            if lift is not None:
                lift.redirect = previous
    lifted = [outer for outer, _ in rec.lifted.values()]
    tracers += [inner for _, inner in rec.lifted.values()]
    floats += tuple(range(len(vals), len(vals) + len(lifted)))
    outvars, out_vals = [], []
    for o in outs:
        if type(o) is RevTracer and o._interp is rec:
            outvars.append(o.node)
            out_vals.append(o.value)
        else:
            outvars.append(Lit(o))
            out_vals.append(o)
    trace = Trace(tuple(t.node for t in tracers), tuple(rec.eqns), tuple(outvars), None)
    keep = [False] * len(rec.values)
    for v in trace.invars:
        keep[v.id] = True
    for v in outvars:
        if type(v) is Var:
            keep[v.id] = True
    policy = cp.policy
    for eqn in trace.eqns:
        if policy(eqn):
            keep[eqn.out.id] = True
            if eqn.prim is checkpoint_name_p and type(eqn.inputs[0]) is Var:
                keep[eqn.inputs[0].id] = True  # the tagged value is the same array
    values = [v if k else None for v, k in zip(rec.values, keep)]
    rec.values.clear()
    block = Block(trace, values, floats, len(vals) + len(lifted), out_tree_box[-1], rec.sources)
    return block, out_vals, lifted


def _reverse(interp, cp: Checkpointed, args):
    leaves, tdef = _tree.flatten(args)
    traced = [type(a) is RevTracer and a._interp is interp for a in leaves]
    vals = [a.value if t else a for a, t in zip(leaves, traced)]
    block, out_vals, lifted = _record_block(cp, vals, tdef, traced, lift=interp)
    name = f"checkpoint[{getattr(cp.fun, '__name__', 'f')}]"
    n_out = len(out_vals)
    leaves = leaves + lifted  # closed-over tracers are inputs of the recorded equations

    def vjp_multi(gs, args_):
        return block.backward(gs)

    def vjp_all(k, g, args_):
        return block.backward([g if j == k else None for j in range(n_out)])

    def jvp_one(k, i, t, a):
        def f_i(x):
            new = list(a)
            new[i] = x
            return _replay(block, new)[k]

        return jvp(f_i, (a[i],), (t,))[1]

    def impl_one(k, a):
        return _replay(block, list(a))[k]

    # Forward sweeps over the enclosing list (linearize, Trace.evaluate) evaluate the block
    # on new values by replaying its inner list: that also replaces the lifted closed-over
    # values, which calling cp.fun again would read from the closure.
    start = len(interp.eqns)
    outs = _custom_eqns(interp, name, leaves, out_vals, vjp_all, jvp_one, impl_one, vjp_multi)
    for eqn in interp.eqns[start:]:
        eqn.prim.extra["checkpoint"] = block
    if isinstance(interp, _Recorder) and interp.sources is not None:
        line = user_line(short=True)
        for eqn in interp.eqns[start:]:
            interp.sources[eqn.out.id] = line
    return _tree.unflatten(block.out_tree, outs)


def _replay(block: Block, leaves) -> list:
    """The block's outputs for new argument leaves: its inner list evaluated through ``bind``."""
    return block.trace.evaluate(*[leaves[p] for p in block.float_positions])


# --- forward mode and vmap: push the checkpoint one level down -----------------------------


def _forward(interp, cp: Checkpointed, args):
    leaves, tdef = _tree.flatten(args)
    primals, tangents, moving = [], [], []
    for i, a in enumerate(leaves):
        if type(a) is JVPTracer and a._interp is interp:
            primals.append(a.primal)
            tangents.append(a.tangent)
            moving.append(i)
        else:
            primals.append(a)

    def fun_jvp(ps, ts):
        def g(*xs):
            full = list(ps)
            for i, x in zip(moving, xs):
                full[i] = x
            return cp.fun(*_tree.unflatten(tdef, full))

        return jvp(g, tuple(ps[i] for i in moving), tuple(ts))

    out, out_dot = Checkpointed(fun_jvp, cp.policy)(primals, tangents)
    out_leaves, otree = _tree.flatten(out)
    dots = _tree.leaves(out_dot)
    return _tree.unflatten(otree, [JVPTracer(interp, _api.as_array(o), t)
                                   for o, t in zip(out_leaves, dots)])


def _batch(interp, cp: Checkpointed, args):
    _, tdef, axes, vals = interp._unwrap(args)

    def fun(*ls):
        return cp.fun(*_tree.unflatten(tdef, list(ls)))

    out = Checkpointed(vmap(fun, in_axes=tuple(axes)), cp.policy)(*vals)
    return interp._wrap(out)


_HANDLERS = {ReverseInterpreter: _reverse, JVPInterpreter: _forward, BatchInterpreter: _batch}


# --- what the backward pass keeps ----------------------------------------------------------


@dataclass(frozen=True)
class Residual:
    """One value the backward pass keeps."""

    what: str  # "argument", "intermediate", "checkpoint output" or "saved by policy"
    equation: str
    shape: tuple
    dtype: np.dtype
    nbytes: int
    source: str


@dataclass(frozen=True)
class Residuals:
    """The values a backward pass of a function keeps, with their total (``saved_residuals``)."""

    rows: tuple
    total_bytes: int

    def __str__(self) -> str:
        head = ("what", "equation", "shape", "dtype", "bytes", "source")
        body = [(r.what, r.equation, str(r.shape), str(r.dtype), f"{r.nbytes:,}", r.source)
                for r in self.rows]
        widths = [max(len(row[k]) for row in [head, *body]) for k in range(len(head))]
        lines = ["  ".join(c.rjust(w) if k == 4 else c.ljust(w)
                           for k, (c, w) in enumerate(zip(row, widths))).rstrip()
                 for row in [head, *body]]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append(f"total: {self.total_bytes:,} bytes in {len(self.rows)} arrays "
                     f"({self.total_bytes / 2**20:.2f} MiB)")
        return "\n".join(lines)


def _eqn_text(eqn, names) -> str:
    args = " ".join(names.get(x.id, "?") if type(x) is Var else "const" for x in eqn.inputs)
    return f"{names.get(eqn.out.id, '?')} = {eqn.prim.name} {args}"


def saved_residuals(fun, *args) -> Residuals:
    """List what a backward pass of ``fun`` at ``args`` keeps: equation, shape, dtype, bytes, source.

    Every recorded value outside a checkpoint is kept until the backward pass has used it;
    inside a ``checkpoint`` only its inputs, its outputs and what its policy keeps are. An
    array kept under two names is counted once in the total.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> f = lambda x: wnp.sum(wnp.tanh(wnp.sin(x)))
    >>> x = np.zeros(1000)
    >>> saved_residuals(f, x).total_bytes > saved_residuals(wg.checkpoint(f), x).total_bytes
    True
    """
    flat, in_tree = _api.flatten_float_args("saved_residuals", args, tuple(range(len(args))))
    flat_fun, _ = _api.flatten_fun(fun, in_tree, False, "saved_residuals")
    token = _SOURCES.set(True)
    try:
        with interpreter(_Recorder) as rec:
            tracers = [rec.new_input(x) for x in flat]
            flat_fun(*tracers)
    finally:
        _SOURCES.reset(token)
    trace = Trace(tuple(t.node for t in tracers), tuple(rec.eqns), (), rec.values)
    names = trace.names()
    rows, seen = [], set()

    def add(what, text, value, source):
        arr = np.asarray(value) if not hasattr(value, "nbytes") else value
        counted = id(arr) not in seen
        seen.add(id(arr))
        rows.append((Residual(what, text, tuple(np.shape(arr)), np.dtype(arr.dtype),
                              int(arr.nbytes), source), counted))

    for k, v in enumerate(trace.invars):
        add("argument", names[v.id], rec.values[v.id], f"argument {k}")
    blocks = set()
    for eqn in trace.eqns:
        add("checkpoint output" if "checkpoint" in eqn.prim.extra else "intermediate",
            _eqn_text(eqn, names), rec.values[eqn.out.id], rec.sources.get(eqn.out.id, ""))
        block = eqn.prim.extra.get("checkpoint")
        if block is not None and id(block) not in blocks:
            blocks.add(id(block))
            inner = block.trace.names()
            by_id = {e.out.id: e for e in block.trace.eqns}
            outs = {v.id for v in block.trace.outvars if type(v) is Var}
            for vid in block.kept_ids():
                if vid in outs:
                    continue
                add("saved by policy", f"{eqn.prim.name}: {_eqn_text(by_id[vid], inner)}",
                    block.values[vid], (block.sources or {}).get(vid, ""))
    total = sum(r.nbytes for r, counted in rows if counted)
    return Residuals(tuple(r for r, _ in rows), total)
