"""Recording for ``jit``: every primitive call of a (transformed) function, with guards.

``JitInterpreter`` sits at the bottom of the interpreter stack while ``jit`` records. It
records every primitive call, differentiable or not, as an equation on concrete values
(define-by-run, as everywhere in wengert). Its tracer, ``JitTracer``, never hands its value to
Python: ``bool``, ``int``, ``float``, ``.item()``, ``np.asarray`` and any rule reading
``primal_value()`` raise :class:`~wengert.core.errors.ReplayError`, naming the user's source
line, because a replay would silently repeat the decision taken on this call's values.
``record`` adds the guards for side effects: NumPy's global random state and writes to
stdout or stderr. Imports: tree, core, transforms._api.
"""

from __future__ import annotations

import sys

import numpy as np

from .. import tree as _tree
from ..core.errors import ReplayError
from ..core.ir import Eqn, Lit, Trace, Var
from ..core.source import user_line
from ..core.tracer import Interpreter, Tracer, interpreter


def _refuse(what: str) -> ReplayError:
    return ReplayError(
        f"jit: {what} of a traced array at {user_line()}. The compiled function replays one "
        "recording for every call with this signature, so a decision taken on this call's "
        "values (an if, a loop bound, an index, a Python number) would be silently reused. "
        "Express it with wengert.numpy (wnp.where, wnp.clip, masks), pass the value as a "
        "static argument (jit(f, static_argnums=...)), or use jit(f, fallback=True) to run "
        "such signatures eagerly."
    )


class JitTracer(Tracer):
    """A value recorded by ``jit``: the concrete value and the variable naming it."""

    __slots__ = ("node", "value")

    def __init__(self, interp, value, var):
        self._interp = interp
        self.value = value
        self.node = var
        self.shape = var.shape
        self.dtype = var.dtype

    def _value(self):
        raise _refuse("reading the value")

    def __bool__(self):
        raise _refuse("bool()")

    def __index__(self):
        raise _refuse("use as an index (operator.index)")

    def _concrete_error(self, what: str):
        # float(), int(), complex(), .item(), .tolist() and np.asarray() land here.
        return _refuse(what)

    def __repr__(self) -> str:
        return f"JitTracer({self.node.type_str()})"


class JitInterpreter(Interpreter):
    """Records every primitive call on its tracers as an equation; computes it on values."""

    __slots__ = ("count", "eqns")

    def __init__(self):
        self.eqns: list[Eqn] = []
        self.count = 0

    def new_input(self, x) -> JitTracer:
        var = Var(self.count, tuple(np.shape(x)), np.result_type(x))
        self.count += 1
        return JitTracer(self, x, var)

    def process(self, prim, args, params):
        vals, ins = [], []
        for a in args:
            if type(a) is JitTracer and a._interp is self:
                vals.append(a.value)
                ins.append(a.node)
            elif isinstance(a, Tracer):
                raise _foreign(prim.name)
            else:
                vals.append(a)
                ins.append(Lit(a))
        out = prim.impl(*vals, **params)
        var = Var(self.count, tuple(np.shape(out)), np.result_type(out))
        self.count += 1
        self.eqns.append(Eqn(prim, tuple(ins), var, params))
        return JitTracer(self, out, var)

    def process_custom_vjp(self, cv, args):
        return cv.fun(*args)  # nothing is differentiated at this level: record the primal

    def process_custom_jvp(self, cj, args):
        return cj.fun(*args)


def _foreign(where: str) -> ReplayError:
    return ReplayError(
        f"jit: '{where}' at {user_line()} received a value traced by a transform outside the "
        "jitted function (a closed-over tracer), which a replay cannot see. Pass that value "
        "to the jitted function as an argument instead."
    )


class _Tee:
    """A stream that forwards writes and remembers that one happened."""

    def __init__(self, stream):
        self.stream = stream
        self.written = False

    def write(self, text):
        if text:
            self.written = True
        return self.stream.write(text)

    def __getattr__(self, name):
        return getattr(self.stream, name)


def _rng_state():
    state = np.random.get_state()
    return state[1].copy(), state[2:]


def record(fun, dyn_leaves: list, rebuild) -> tuple[Trace, object, list]:
    """Run ``fun(*rebuild(tracers))`` under a ``JitInterpreter``.

    Returns ``(trace, out_tree, out_values)``: the recorded list (without values), the output
    structure, and this call's output values (so the first call needs no replay).

    Raises
    ------
    ReplayError
        If the function reads a traced value, closes over another transform's tracer,
        changes NumPy's global random state or writes to stdout or stderr.
    """
    keys, rest = _rng_state()
    out_tee, err_tee = _Tee(sys.stdout), _Tee(sys.stderr)
    sys.stdout, sys.stderr = out_tee, err_tee
    try:
        with interpreter(JitInterpreter) as interp:
            tracers = [interp.new_input(x) for x in dyn_leaves]
            out = fun(*rebuild(tracers))
            out_leaves, out_tree = _tree.flatten(out)
    finally:
        sys.stdout, sys.stderr = out_tee.stream, err_tee.stream
    problem = None
    if out_tee.written or err_tee.written:
        problem = ReplayError(
            "jit: the function wrote to stdout or stderr while it was recorded; a replay "
            "would not repeat that side effect. Print outside the jitted function, or use "
            "jit(f, fallback=True) to run it eagerly."
        )
    new_keys, new_rest = _rng_state()
    if new_rest != rest or not np.array_equal(new_keys, keys):
        problem = ReplayError(
            "jit: the function drew from NumPy's global random state (np.random.*) while it "
            "was recorded; a replay would reuse the same numbers on every call. Draw the "
            "numbers outside and pass them in as an argument, or use jit(f, fallback=True)."
        )
    if problem is not None:
        # The call itself ran to the end: its result is this call's eager result, so a
        # fallback need not run the function (and its side effect) a second time.
        problem.result = _tree.unflatten(out_tree, [
            o.value if type(o) is JitTracer and o._interp is interp else o for o in out_leaves])
        raise problem
    outvars, values = [], []
    for o in out_leaves:
        if type(o) is JitTracer and o._interp is interp:
            outvars.append(o.node)
            values.append(o.value)
        elif isinstance(o, Tracer):
            raise _foreign("the output")
        else:
            outvars.append(Lit(o))
            values.append(o)
    trace = Trace(tuple(t.node for t in tracers), tuple(interp.eqns), tuple(outvars), None)
    return trace, out_tree, values
