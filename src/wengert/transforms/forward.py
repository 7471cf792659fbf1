"""Forward mode: the JVP interpreter, ``jvp``, ``linearize``'s tangent sweep and ``derivative``.

Forward mode is an eager interpreter that carries (primal, tangent) pairs: each primitive call
computes its primal output one level down, then the output tangent as the sum of the JVP rules
of the arguments that carry a tangent. Nothing is recorded. Imports: core, primitives,
numpy, tree.
"""

from __future__ import annotations

import numpy as np

from .. import tree as _tree
from ..core.errors import MissingRuleError
from ..core.tangent import Zero
from ..core.tracer import Interpreter, Tracer, bind, interpreter
from . import _api


class JVPTracer(Tracer):
    """A primal value with its tangent, tagged with the JVP interpreter that made it."""

    __slots__ = ("primal", "tangent")

    def __init__(self, interp, primal, tangent):
        self._interp = interp
        self.primal = primal
        self.tangent = tangent
        self.shape = primal.shape
        self.dtype = primal.dtype

    def _value(self):
        return self.primal


class JVPInterpreter(Interpreter):
    __slots__ = ()

    def process(self, prim, args, params):
        primals = []
        tangents = []
        for a in args:
            if type(a) is JVPTracer and a._interp is self:
                primals.append(a.primal)
                tangents.append(a.tangent)
            else:
                primals.append(a)
                tangents.append(None)
        # At level 0 no transform sits below this one, so nothing is left to intercept.
        out = prim.impl(*primals, **params) if self.level == 0 else bind(prim, *primals, **params)
        if not prim.differentiable:
            return out
        rules = prim.jvp
        if rules is None:
            raise MissingRuleError(_missing(prim, "JVP"))
        t_out = None
        for i, t in enumerate(tangents):
            if t is None or i in prim.nondiff:
                continue
            rule = rules[i]
            if rule is None:
                raise MissingRuleError(_missing(prim, "JVP", i))
            ti = rule(t, out, *primals, **params)
            if ti is Zero:
                continue
            t_out = ti if t_out is None else t_out + ti
        if t_out is None:
            return out
        return JVPTracer(self, out, t_out)

    def process_custom_jvp(self, cj, args):
        leaves, tdef = _tree.flatten(args)
        primals, tangents = [], []
        for a in leaves:
            if type(a) is JVPTracer and a._interp is self:
                primals.append(a.primal)
                tangents.append(a.tangent)
            else:
                primals.append(a)
                tangents.append(_api.zeros_like_value(a))
        out, out_dot = cj.rule(tuple(_tree.unflatten(tdef, primals)),
                               tuple(_tree.unflatten(tdef, tangents)))
        out_leaves, otree = _tree.flatten(out)
        dot_leaves = _tree.leaves(out_dot)
        wrapped = []
        for o, t in zip(out_leaves, dot_leaves):
            o = _api.as_array(o)
            if t is Zero or t is None:
                wrapped.append(o)
            else:
                wrapped.append(JVPTracer(self, o, _api.as_array(t)))
        return _tree.unflatten(otree, wrapped)

    def process_custom_vjp(self, cv, args):
        # Forward mode differentiates the primal implementation: a custom VJP never blocks jvp.
        return cv.fun(*args)


def _missing(prim, mode, i=None):
    where = "" if i is None else f" (argument {i})"
    return (
        f"no {mode} rule for primitive '{prim.name}'{where}. Add one in "
        f"wengert/primitives/{prim.family}.py or declare the argument nondiff."
    )


def jvp_flat(fun, primals, tangents):
    """JVP of ``fun`` taking and returning flat lists of arrays; returns (outs, out_tangents)."""
    with interpreter(JVPInterpreter) as interp:
        tracers = [JVPTracer(interp, p, t) for p, t in zip(primals, tangents)]
        outs = fun(*tracers)
        out_p, out_t = [], []
        for o in outs:
            if type(o) is JVPTracer and o._interp is interp:
                out_p.append(_api.writable(o.primal))
                out_t.append(_api.writable(o.tangent))
            else:
                out_p.append(o)
                out_t.append(_api.zeros_like_value(o))
    return out_p, out_t


def jvp(fun, primals, tangents, has_aux=False):
    """Return ``(fun(*primals), J(primals) @ tangents)``: a Jacobian-vector product.

    Parameters
    ----------
    fun : callable taking ``len(primals)`` pytrees of arrays.
    primals, tangents : tuples (or lists) of pytrees of the same structure, shapes and dtypes.
    has_aux : if True, ``fun`` returns ``(out, aux)`` and ``aux`` is returned unchanged as a
        third result.

    Examples
    --------
    >>> import wengert as wg, wengert.numpy as wnp
    >>> y, y_dot = wg.jvp(wnp.sin, (0.0,), (2.0,))
    >>> float(y), float(y_dot)
    (0.0, 2.0)
    """
    primals, tangents = _api.check_primals_tangents("jvp", primals, tangents)
    flat_p, in_tree = _api.flatten_leaves(primals)
    flat_t, t_tree = _api.flatten_leaves(tangents)
    flat_p, flat_t = _api.check_tangents("jvp", flat_p, flat_t, in_tree, t_tree)
    flat_fun, out_store = _api.flatten_fun(fun, in_tree, has_aux)
    out_p, out_t = jvp_flat(flat_fun, flat_p, flat_t)
    out_tree, aux = out_store()
    res = (_api.unflatten(out_tree, out_p), _api.unflatten(out_tree, out_t))
    return (*res, aux) if has_aux else res


def derivative(fun, argnum: int = 0):
    """Return the function ``x -> df/dx`` for a scalar argument ``x`` (any output shape).

    Examples
    --------
    >>> import wengert as wg, wengert.numpy as wnp
    >>> d3 = wg.derivative(wg.derivative(wg.derivative(wnp.sin)))
    >>> float(d3(0.0))
    -1.0
    """

    def df(*args):
        x = args[argnum]
        if np.ndim(x) != 0:
            from ..core.errors import WengertValueError

            raise WengertValueError(
                f"derivative: argument {argnum} must be a scalar, but it has shape "
                f"{np.shape(x)}. Use jacfwd or jvp for array inputs."
            )
        x = _api.as_float_input("derivative", x, argnum)
        f1 = lambda x_: fun(*args[:argnum], x_, *args[argnum + 1:])
        return jvp(f1, (x,), (_api.ones_like_value(x),))[1]

    return df


def jvp_sweep(trace, in_tangents, observe=None):
    """Push tangents through a recorded Wengert list: the forward sweep of the lecture.

    ``in_tangents`` has one entry per input variable (None for no tangent). Each equation's
    JVP rules are applied to the stored values, so the function itself is not run again.
    Returns one tangent per output. ``observe(eqn, out_dot, contributions)``, when given, is
    called for each equation a tangent reaches, with ``contributions`` the list of
    ``(argument position, tangent contribution)`` summed into ``out_dot``.
    """
    from ..core.ir import Var

    values = trace.values
    tan = {v.id: t for v, t in zip(trace.invars, in_tangents) if t is not None}
    for eqn in trace.eqns:
        ins = eqn.inputs
        ts = [tan.get(x.id) if type(x) is Var else None for x in ins]
        if all(t is None for t in ts):
            continue
        prim = eqn.prim
        if prim.jvp is None:
            raise MissingRuleError(_missing(prim, "JVP"))
        args = [values[x.id] if type(x) is Var else x.value for x in ins]
        out = values[eqn.out.id]
        t_out = None
        parts = [] if observe is not None else None
        for i, t in enumerate(ts):
            if t is None or i in prim.nondiff:
                continue
            ti = prim.jvp[i](t, out, *args, **eqn.params)
            if ti is Zero:
                continue
            if parts is not None:
                parts.append((i, ti))
            t_out = ti if t_out is None else t_out + ti
        if t_out is not None:
            tan[eqn.out.id] = t_out
        if parts is not None:
            observe(eqn, t_out, parts)
    res = []
    for v in trace.outvars:
        t = tan.get(v.id) if type(v) is Var else None
        ref = values[v.id] if type(v) is Var else v.value
        res.append(_api.zeros_like_value(ref) if t is None else t)
    return res
