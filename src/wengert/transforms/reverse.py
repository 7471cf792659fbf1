"""Reverse mode: the recording interpreter, the backward pass, ``vjp``, ``grad``, ``trace``.

Reverse mode runs the function under a recorder that appends one :class:`~wengert.core.ir.Eqn`
per primitive call to the Wengert list, keeping each output value. The backward pass walks the
list in reverse, applying each primitive's VJP rules to the cotangent of its output and summing
cotangents that meet at a variable. The rules are traced by whatever transforms are active
outside, which is how derivatives of derivatives come about. Imports: core, primitives, tree.
"""

from __future__ import annotations

import numpy as np

from .. import tree as _tree
from ..core.errors import MissingRuleError, WengertTypeError, WengertValueError
from ..core.ir import Eqn, Lit, Trace, Var
from ..core.tangent import Zero
from ..core.tracer import Interpreter, Tracer, bind, interpreter
from . import _api
from .forward import _missing


class RevTracer(Tracer):
    """A value recorded on a Wengert list: the value and the variable naming it."""

    __slots__ = ("node", "value")

    def __init__(self, interp, value, var):
        self._interp = interp
        self.value = value
        self.node = var
        self.shape = var.shape
        self.dtype = var.dtype

    def _value(self):
        return self.value


class ReverseInterpreter(Interpreter):
    """Records every differentiable primitive call as an equation, keeping its output value.

    ``redirect``, while set, is another recorder that takes every call this one receives:
    ``checkpoint`` sets it while it records a block, so that operations on closed-over values
    of this level land on the block's list too (design.md §5e).
    """

    __slots__ = ("eqns", "redirect", "values")

    def __init__(self):
        self.eqns = []
        self.values = []
        self.redirect = None

    def new_input(self, x):
        var = Var(len(self.values), tuple(x.shape), x.dtype)
        self.values.append(x)
        return RevTracer(self, x, var)

    def process(self, prim, args, params):
        if self.redirect is not None:
            return self.redirect.process(prim, args, params)
        vals = []
        ins = []
        for a in args:
            if type(a) is RevTracer and a._interp is self:
                vals.append(a.value)
                ins.append(a.node)
            else:
                vals.append(a)
                ins.append(Lit(a))
        # At level 0 no transform sits below this one, so nothing is left to intercept.
        out = prim.impl(*vals, **params) if self.level == 0 else bind(prim, *vals, **params)
        if not prim.differentiable:
            return out
        values = self.values
        var = Var(len(values), out.shape, out.dtype)
        values.append(out)
        self.eqns.append(Eqn(prim, tuple(ins), var, params))
        return RevTracer(self, out, var)

    def process_custom_vjp(self, cv, args):
        if self.redirect is not None:
            return self.redirect.process_custom_vjp(cv, args)
        leaves, tdef = _tree.flatten(args)
        vals = [a.value if type(a) is RevTracer and a._interp is self else a for a in leaves]
        out, res = cv.fwd(*_tree.unflatten(tdef, vals))
        out_leaves, otree = _tree.flatten(out)
        out_arrays = [_api.as_array(o) for o in out_leaves]
        name = f"custom_vjp[{getattr(cv.fun, '__name__', 'f')}]"

        def vjp_all(k, g, args_):
            return vjp_multi([g if j == k else None for j in range(len(out_arrays))], args_)

        def vjp_multi(gs, args_):
            cts = [_api.zeros_like_value(o) if g is None else g for g, o in zip(gs, out_arrays)]
            in_cts = cv.bwd(res, _tree.unflatten(otree, cts))
            if not isinstance(in_cts, (tuple, list)) or len(in_cts) != len(args):
                raise WengertTypeError(
                    f"{name}: bwd must return a tuple with one cotangent per positional argument "
                    f"({len(args)}), but it returned {type(in_cts).__name__}"
                    f"{' of length ' + str(len(in_cts)) if isinstance(in_cts, (tuple, list)) else ''}."
                )
            flat = []
            for a, c in zip(args, in_cts):
                n = len(_tree.leaves(a))
                flat.extend([None] * n if c is None else _tree.leaves(c))
            return flat

        def jvp_one(k, i, t, a):
            from .forward import jvp as _jvp

            def f_i(x):
                new = list(a)
                new[i] = x
                return _tree.leaves(cv.fun(*_tree.unflatten(tdef, new)))[k]

            return _jvp(f_i, (a[i],), (t,))[1]

        def impl_one(k, a):
            return _tree.leaves(cv.fun(*_tree.unflatten(tdef, list(a))))[k]

        outs = _custom_eqns(self, name, leaves, out_leaves, vjp_all, jvp_one, impl_one,
                            vjp_multi)
        return _tree.unflatten(otree, outs)

    def process_custom_jvp(self, cj, args):
        if self.redirect is not None:
            return self.redirect.process_custom_jvp(cj, args)
        leaves, tdef = _tree.flatten(args)
        vals = [a.value if type(a) is RevTracer and a._interp is self else a for a in leaves]
        out = cj.fun(*_tree.unflatten(tdef, vals))
        out_leaves, otree = _tree.flatten(out)
        name = f"custom_jvp[{getattr(cj.fun, '__name__', 'f')}]"
        diff = [i for i, a in enumerate(leaves) if type(a) is RevTracer and a._interp is self]

        def tangent_outs(ks, prim_vals, ts_diff):
            ts = [_api.zeros_like_value(v) for v in prim_vals]
            for i, t in zip(diff, ts_diff):
                ts[i] = t
            _, out_dot = cj.rule(tuple(_tree.unflatten(tdef, list(prim_vals))),
                                 tuple(_tree.unflatten(tdef, ts)))
            dots = _tree.leaves(out_dot)
            return [dots[k] for k in ks]

        def vjp_multi(gs, args_):
            # The rule's tangent output is linear in the tangents: its VJP is the transpose.
            ks = [k for k, g in enumerate(gs) if g is not None]
            zeros = [_api.zeros_like_value(args_[i]) for i in diff]
            _, f_vjp = vjp(lambda *ts: tangent_outs(ks, args_, ts), *zeros)
            cts = f_vjp([gs[k] for k in ks])
            flat = [None] * len(args_)
            for i, c in zip(diff, cts):
                flat[i] = c
            return flat

        def vjp_all(k, g, args_):
            return vjp_multi([g if j == k else None for j in range(len(out_leaves))], args_)

        def jvp_one(k, i, t, a):
            ts = [_api.zeros_like_value(v) for v in a]
            ts[i] = t
            _, out_dot = cj.rule(tuple(_tree.unflatten(tdef, list(a))), tuple(_tree.unflatten(tdef, ts)))
            return _tree.leaves(out_dot)[k]

        def impl_one(k, a):
            return _tree.leaves(cj.fun(*_tree.unflatten(tdef, list(a))))[k]

        outs = _custom_eqns(self, name, leaves, out_leaves, vjp_all, jvp_one, impl_one,
                            vjp_multi)
        return _tree.unflatten(otree, outs)


def backward(trace: Trace, seeds: dict, free: bool = False, observe=None) -> dict:
    """Run the backward pass over ``trace`` from ``seeds`` (var id -> cotangent).

    Returns a dict from variable id to cotangent for every variable reached, the inputs
    included. With ``free=True`` each stored value is released as soon as no equation still
    to be visited needs it, and each cotangent once it has been propagated: peak memory is the
    forward pass's stored values plus a few cotangents. ``observe(eqn, out_bar, contributions)``,
    when given, is called for each equation the pass visits, with ``contributions`` the list
    of ``(argument position, cotangent)`` it sent to its inputs (how the tables show the sweep).
    """
    values = trace.values
    cts = dict(seeds)
    for eqn in reversed(trace.eqns):
        out_id = eqn.out.id
        g = cts.pop(out_id, None)
        if g is not None and eqn.prim.group is not None:
            _group_backward(eqn, g, cts, values, sent_to=observe)
            del g
        elif g is not None:
            prim = eqn.prim
            rules = prim.vjp
            if rules is None:
                raise MissingRuleError(_missing(prim, "VJP"))
            ins = eqn.inputs
            args = [values[x.id] if type(x) is Var else x.value for x in ins]
            out = values[out_id]
            params = eqn.params
            sent = [] if observe is not None else None
            for i, x in enumerate(ins):
                if type(x) is not Var or i in prim.nondiff:
                    continue
                rule = rules[i]
                if rule is None:
                    raise MissingRuleError(_missing(prim, "VJP", i))
                ct = rule(g, out, *args, **params)
                if ct is Zero:
                    continue
                if sent is not None:
                    sent.append((i, ct))
                prev = cts.get(x.id)
                cts[x.id] = ct if prev is None else prev + ct
            if sent is not None:
                observe(eqn, g, sent)
            del g, args, out
        if free:
            values[out_id] = None
    return cts


class Group:
    """The k equations that one call with k output leaves records, seen as one operation.

    Each equation has a single output, so a call returning several arrays is recorded as
    consecutive equations with the same inputs, each with its own primitive whose ``group``
    is this object. When the backward pass reaches the first of them (the last output), every
    cotangent of the group is final: nothing between them reads them. It then gathers all k
    cotangents and calls ``vjp_all(cotangents, args)`` once, which returns one cotangent (or
    None) per input; the other equations of the group find no cotangent left and are skipped.
    Forward sweeps and the per-equation rules still see k ordinary equations.
    """

    __slots__ = ("out_ids", "vjp_all")

    def __init__(self, vjp_all):
        self.out_ids: list[int] = []
        self.vjp_all = vjp_all


def _group_backward(eqn, g, cts, values, sent_to=None):
    group = eqn.prim.group
    gs = [g if i == eqn.out.id else cts.pop(i, None) for i in group.out_ids]
    ins = eqn.inputs
    args = [values[x.id] if type(x) is Var else x.value for x in ins]
    in_cts = group.vjp_all(gs, args)
    sent = []
    for i, (x, ct) in enumerate(zip(ins, in_cts)):
        if type(x) is not Var or ct is None or ct is Zero:
            continue
        sent.append((i, ct))
        prev = cts.get(x.id)
        cts[x.id] = ct if prev is None else prev + ct
    if sent_to is not None:
        sent_to(eqn, g, sent)


def record(flat_fun, flat_args):
    """Run ``flat_fun`` under a recorder; return (Trace, flat outputs as plain values)."""
    with interpreter(ReverseInterpreter) as rec:
        tracers = [rec.new_input(x) for x in flat_args]
        outs = flat_fun(*tracers)
    outvars, out_vals = [], []
    for o in outs:
        if type(o) is RevTracer and o._interp is rec:
            outvars.append(o.node)
            out_vals.append(_api.writable(o.value))
        else:
            outvars.append(Lit(o))
            out_vals.append(o)
    trace = Trace(tuple(t.node for t in tracers), tuple(rec.eqns), tuple(outvars), rec.values)
    return trace, out_vals


def _input_cotangents(trace, cts, flat_args):
    res = []
    for v, x in zip(trace.invars, flat_args):
        ct = cts.get(v.id)
        if ct is None:
            res.append(_api.zeros_like_value(x))
        else:
            if ct.dtype != x.dtype:
                ct = ct.astype(x.dtype)
            res.append(_api.writable(ct))
    return res


def vjp(fun, *primals, has_aux=False):
    """Return ``(fun(*primals), vjp_fn)`` where ``vjp_fn(u)`` is ``u @ J`` (one tuple entry per primal).

    ``vjp_fn`` may be called any number of times; it reuses the recorded Wengert list.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> y, f_vjp = wg.vjp(lambda x: x * x, np.array([1.0, 2.0]))
    >>> f_vjp(np.array([1.0, 1.0]))
    (array([2., 4.]),)
    """
    flat_args, in_tree = _api.flatten_float_args("vjp", primals, range(len(primals)))
    flat_fun, out_store = _api.flatten_fun(fun, in_tree, has_aux, "vjp")
    trace, out_vals = record(flat_fun, flat_args)
    out_tree, aux = out_store()

    def vjp_fn(cotangent):
        flat_ct, ct_tree = _api.flatten_leaves(cotangent)
        if ct_tree != out_tree:
            raise WengertValueError(
                f"vjp: the cotangent has structure {ct_tree} but f's output has {out_tree}; "
                "pass one cotangent per output, shaped like it."
            )
        seeds = {}
        for i, (v, ct, o) in enumerate(zip(trace.outvars, flat_ct, out_vals)):
            ct = _api.coerce_like("vjp", "cotangent", i, ct, _api.as_array(o))
            if type(v) is Var:
                seeds[v.id] = seeds[v.id] + ct if v.id in seeds else ct
        cts = backward(trace, seeds, free=False)
        return tuple(_api.unflatten(in_tree, _input_cotangents(trace, cts, flat_args)))

    out = _api.unflatten(out_tree, out_vals)
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def _check_scalar(name, out, holomorphic=False):
    if not isinstance(out, (np.ndarray, Tracer, np.generic)) or out.shape != ():
        shape = getattr(out, "shape", None)
        got = f"shape {tuple(shape)}" if shape is not None else f"a {type(out).__name__}"
        raise WengertTypeError(
            f"{name}: f must return a scalar, but it returned {got}. Reduce it "
            "(e.g. .sum()), or use jacobian or vjp."
        )
    kind = np.dtype(out.dtype).kind
    if holomorphic and kind != "c":
        raise WengertTypeError(
            f"{name}: with holomorphic=True, f must return a complex scalar, but it returned "
            f"dtype {out.dtype}. Drop holomorphic=True for a real-valued f."
        )
    if kind == "c" and not holomorphic:
        raise WengertTypeError(
            f"{name}: f must return a real scalar, but it returned dtype {out.dtype}. For a "
            "holomorphic f pass holomorphic=True (the gradient is then f'(z)); otherwise "
            "differentiate a real quantity such as wnp.real(f(z)) or wnp.abs(f(z)) ** 2."
        )
    if kind not in "fc":
        raise WengertTypeError(
            f"{name}: f must return a real floating-point scalar, but it returned dtype "
            f"{out.dtype}. Return a float (integer outputs have no gradient)."
        )


def _check_holomorphic_inputs(name, leaves):
    for i, x in enumerate(leaves):
        if np.dtype(x.dtype).kind != "c":
            raise WengertTypeError(
                f"{name}: with holomorphic=True, every differentiated input must be complex, "
                f"but input {i} has dtype {x.dtype}. Pass complex values (e.g. "
                "x.astype(complex)) or drop holomorphic=True."
            )


def value_and_grad(fun, argnums=0, has_aux=False, holomorphic=False):
    """Return a function computing ``(fun(*args), ∇fun(*args))`` in one forward and one backward pass.

    ``fun`` must return a real scalar. With ``argnums`` a tuple the gradient is a tuple. With
    ``has_aux=True`` the result is ``((value, aux), grad)``. Gradients have the dtype of the
    arguments (float32 in, float32 out).

    Complex arguments follow the convention of JAX and autograd (docs/design.md §5c): for a
    real f of z = x + iy the gradient is ∂f/∂x − i ∂f/∂y (so |z|² gives 2·conj(z)). With
    ``holomorphic=True``, ``fun`` must take complex arguments and return a complex scalar, and
    the gradient is the complex derivative f'(z).

    Examples
    --------
    >>> import wengert as wg, wengert.numpy as wnp
    >>> L = lambda w1, w2: w2 * wnp.log(w1) + wnp.sqrt(w2 * wnp.log(w1))
    >>> val, (g1, g2) = wg.value_and_grad(L, argnums=(0, 1))(2.0, 3.0)
    >>> round(float(val), 6), round(float(g1), 6), round(float(g2), 6)
    (3.521468, 2.020101, 0.933485)
    """

    def value_and_grad_fun(*args, **kwargs):
        name = "grad"
        nums = _api.normalize_argnums(name, argnums, len(args))
        dargs = tuple(args[k] for k in nums)
        flat_args, in_tree = _api.flatten_float_args(name, dargs, nums)
        if holomorphic:
            _check_holomorphic_inputs(name, flat_args)

        def g(*leaves):
            out = fun(*_api.with_leaves(args, nums, in_tree, leaves), **kwargs)
            if has_aux:
                out, aux_box[0] = _api.split_aux(name, out)
            if isinstance(out, (int, float, np.generic)):
                out = _api.as_array(out)
            _check_scalar(name, out, holomorphic)
            return [out]

        aux_box = [None]
        trace, (out,) = record(g, flat_args)
        outvar = trace.outvars[0]
        if type(outvar) is Var:
            seed = _api.ones_like_value(out)
            cts = backward(trace, {outvar.id: seed}, free=True)
        else:
            cts = {}
        grads = _api.unflatten(in_tree, _input_cotangents(trace, cts, flat_args))
        del trace, cts
        grads = grads[0] if isinstance(argnums, int) else tuple(grads)
        return ((out, _api.lower_escaped(aux_box[0])) if has_aux else out), grads

    return value_and_grad_fun


def grad(fun, argnums=0, has_aux=False, holomorphic=False):
    """Return a function computing the gradient of scalar-valued ``fun``.

    For a real ``fun`` of complex z = x + iy the gradient is ∂f/∂x − i ∂f/∂y; with
    ``holomorphic=True`` a complex-valued holomorphic ``fun`` has gradient f'(z)
    (see ``value_and_grad``).

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> float(wg.grad(wg.grad(wnp.sin))(0.5)) == float(-wnp.sin(0.5))
    True
    >>> z = np.complex128(1 + 2j)
    >>> complex(wg.grad(lambda z: wnp.abs(z) ** 2)(z))
    (2-4j)
    >>> complex(wg.grad(lambda z: z * z, holomorphic=True)(z))
    (2+4j)
    """
    vg = value_and_grad(fun, argnums, has_aux, holomorphic)

    def grad_fun(*args, **kwargs):
        value, g = vg(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return grad_fun


def trace(fun, *, keep_values: bool = True):
    """Return a function that records ``fun`` and returns its Wengert list (a ``Trace``).

    Arguments may be pytrees; every array leaf becomes an input variable (w1, w2, …).

    Examples
    --------
    >>> import wengert as wg, wengert.numpy as wnp
    >>> t = wg.trace(lambda w1, w2: w2 * wnp.log(w1))(2.0, 3.0)
    >>> print(t)  # doctest: +NORMALIZE_WHITESPACE
    w1:f64[] = input      # 2
    w2:f64[] = input      # 3
    v1:f64[] = log w1     # 0.693147
    v2:f64[] = mul w2 v1  # 2.079442
    out: v2
    """

    def traced(*args):
        flat_args, in_tree = _api.flatten_args("trace", args)
        flat_fun, _ = _api.flatten_fun(fun, in_tree, False, "trace")
        t, _ = record(flat_fun, flat_args)
        return Trace(t.invars, t.eqns, t.outvars, t.values if keep_values else None)

    return traced


# --- custom rules under reverse mode ---------------------------------------------------------


class _CachedRule:
    """Call an all-inputs rule once per output cotangent and hand out one input at a time."""

    __slots__ = ("fn", "g", "res")

    def __init__(self, fn):
        self.fn = fn
        self.g = None
        self.res = None

    def __call__(self, i, g, out, *args):
        if self.g is not g:
            self.res = self.fn(g, args)
            self.g = g
        ct = self.res[i]
        return Zero if ct is None else ct


def _custom_eqns(self, name, leaves, out_leaves, vjp_all, jvp_one, impl_one, vjp_multi=None):
    """Record one equation per output leaf of a custom-rule call; return the output tracers.

    With ``vjp_multi(cotangents, args)`` the equations form a ``Group``: the backward pass
    calls ``vjp_multi`` once with every output's cotangent (None for an output that received
    none) instead of each equation's rule once per output, and keeps no result afterwards.
    """
    from ..core.ir import Eqn, Lit, Var
    from ..primitives.registry import Indexed, Primitive

    ins = tuple(a.node if type(a) is RevTracer and a._interp is self else Lit(a) for a in leaves)
    group = Group(vjp_multi) if vjp_multi is not None else None
    outs = []
    for k, o in enumerate(out_leaves):
        o = _api.as_array(o)
        rule = _CachedRule(lambda g, args, k=k: vjp_all(k, g, args))
        prim = Primitive(f"{name}[{k}]" if len(out_leaves) > 1 else name,
                         (lambda *a, k=k: impl_one(k, a)), shape=None,
                         jvp=Indexed(lambda i, t, out, *a, k=k: jvp_one(k, i, t, a)),
                         vjp=Indexed(rule), family="special", group=group)
        var = Var(len(self.values), tuple(o.shape), o.dtype)
        if group is not None:
            group.out_ids.append(var.id)
        self.values.append(o)
        self.eqns.append(Eqn(prim, ins, var, {}))
        outs.append(RevTracer(self, o, var))
    return outs


