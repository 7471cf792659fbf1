"""Jacobians: ``jacfwd`` (one JVP per input coordinate), ``jacrev`` (one VJP per output
coordinate), ``jacobian`` (picks the cheaper of the two) and ``linearize``.

For f: R^n -> R^m, forward mode costs n sweeps and reverse mode m sweeps (plus one recorded
forward pass), so ``jacobian(mode="auto")`` takes forward mode when n <= m. The Jacobian of a
pytree-to-pytree function is a nested pytree: the output structure outside, the structure of
the differentiated arguments inside, each leaf of shape ``out.shape + in.shape``. Here the
sweeps are a Python loop over basis vectors; ``linearize`` records the list once and reuses it.
Imports: core, tree, NumPy, the other transforms.
"""

from __future__ import annotations

import numpy as np

from .. import tree as _tree
from ..core.errors import WengertValueError
from . import _api
from .forward import jvp_sweep
from .reverse import backward, record


def _setup(name, fun, args, argnums, has_aux, kwargs):
    nums = _api.normalize_argnums(name, argnums, len(args))
    dargs = tuple(args[k] for k in nums)
    flat, in_tree = _api.flatten_float_args(name, dargs, nums)
    aux_box = [None]

    def flat_fun(*leaves):
        new = list(args)
        for k, d in zip(nums, _api.unflatten(in_tree, leaves)):
            new[k] = d
        out = fun(*new, **kwargs)
        if has_aux:
            out, aux_box[0] = out
        out_leaves, out_box[0] = _tree.flatten(out)
        return [_api.as_array(o) for o in out_leaves]

    out_box = [None]
    return flat, in_tree, flat_fun, out_box, aux_box


def _assemble(out_vals, out_tree, flat_in, in_tree, argnums, block):
    """Build the nested Jacobian pytree from ``block(i, j)``: d out_i / d in_j."""
    rows = []
    for i, o in enumerate(out_vals):
        cols = [block(i, j) for j in range(len(flat_in))]
        inner = _api.unflatten(in_tree, cols)
        rows.append(inner[0] if isinstance(argnums, int) else tuple(inner))
    return _tree.unflatten(out_tree, rows)


def _linearized(name, fun, args, argnums, has_aux, kwargs):
    flat, in_tree, flat_fun, out_box, aux_box = _setup(name, fun, args, argnums, has_aux, kwargs)
    trace, out_vals = record(flat_fun, flat)
    return trace, flat, in_tree, out_vals, out_box[0], _api.lower_escaped(aux_box[0])


def jacfwd(fun, argnums=0, has_aux=False):
    """Return a function computing the Jacobian of ``fun`` by forward mode.

    Cost: one recorded forward pass, then one tangent sweep per input coordinate.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """

    def jac(*args, **kwargs):
        trace, flat, in_tree, out_vals, out_tree, aux = _linearized(
            "jacfwd", fun, args, argnums, has_aux, kwargs)
        # columns[j][i]: out_i's tangents for each basis vector of input j, stacked last.
        blocks = {}
        for j, x in enumerate(flat):
            cols = [[] for _ in out_vals]
            for e in _basis(x):
                tans = [None] * len(flat)
                tans[j] = e
                for i, t in enumerate(jvp_sweep(trace, tans)):
                    cols[i].append(t)
            for i, o in enumerate(out_vals):
                blocks[i, j] = _stack_last(cols[i], np.shape(o), np.shape(x), o, x)
        res = _assemble(out_vals, out_tree, flat, in_tree, argnums, lambda i, j: blocks[i, j])
        return (res, aux) if has_aux else res

    return jac


def jacrev(fun, argnums=0, has_aux=False):
    """Return a function computing the Jacobian of ``fun`` by reverse mode.

    Cost: one recorded forward pass, then one backward sweep per output coordinate.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.jacrev(lambda x: x[0] * x)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [2., 1.]])
    """

    def jac(*args, **kwargs):
        trace, flat, in_tree, out_vals, out_tree, aux = _linearized(
            "jacrev", fun, args, argnums, has_aux, kwargs)
        from ..core.ir import Var

        blocks = {}
        for i, (o, v) in enumerate(zip(out_vals, trace.outvars)):
            rows = [[] for _ in flat]
            for e in _basis(o):
                cts = backward(trace, {v.id: e}, free=False) if type(v) is Var else {}
                for j, x in enumerate(flat):
                    ct = cts.get(trace.invars[j].id)
                    rows[j].append(_api.zeros_like_value(x) if ct is None else ct)
            for j, x in enumerate(flat):
                blocks[i, j] = _stack_first(rows[j], np.shape(o), np.shape(x), o, x)
        res = _assemble(out_vals, out_tree, flat, in_tree, argnums, lambda i, j: blocks[i, j])
        return (res, aux) if has_aux else res

    return jac


def jacobian(fun, argnums=0, has_aux=False, mode: str = "auto"):
    """Return a function computing the Jacobian, choosing forward or reverse mode.

    ``mode="auto"`` takes forward mode when the number of differentiated inputs n is at most
    the number of outputs m (cost ∝ n sweeps), reverse mode otherwise (cost ∝ m sweeps).
    """
    if mode not in ("auto", "fwd", "rev"):
        raise WengertValueError(
            f"jacobian: mode must be 'auto', 'fwd' or 'rev', got {mode!r}."
        )

    def jac(*args, **kwargs):
        m_ = mode
        if m_ == "auto":
            nums = _api.normalize_argnums("jacobian", argnums, len(args))
            n = sum(np.size(x) for k in nums for x in _tree.leaves(args[k]))
            out = fun(*args, **kwargs)
            out = out[0] if has_aux else out
            m = sum(np.size(x) for x in _tree.leaves(out))
            m_ = "fwd" if n <= m else "rev"
        f = jacfwd if m_ == "fwd" else jacrev
        return f(fun, argnums, has_aux)(*args, **kwargs)

    return jac


def linearize(fun, *primals):
    """Return ``(fun(*primals), f_jvp)`` where ``f_jvp(*tangents)`` is J(primals) @ tangents.

    ``fun`` runs once; each ``f_jvp`` call is a forward sweep over the recorded Wengert list.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> y, f_jvp = wg.linearize(wnp.sin, 0.0)
    >>> float(f_jvp(2.0))
    2.0
    """
    flat, in_tree = _api.flatten_float_args("linearize", primals, range(len(primals)))
    flat_fun, out_store = _api.flatten_fun(fun, in_tree, False, "linearize")
    trace, out_vals = record(flat_fun, flat)
    out_tree, _ = out_store()

    def f_jvp(*tangents):
        if len(tangents) != len(primals):
            raise WengertValueError(
                f"linearize: f_jvp takes one tangent per primal ({len(primals)}), got "
                f"{len(tangents)}."
            )
        flat_t, t_tree = _api.flatten_leaves(tuple(tangents))
        _, flat_t = _api.check_tangents("linearize", flat, flat_t, in_tree, t_tree)
        return _api.unflatten(out_tree, jvp_sweep(trace, flat_t))

    return _api.unflatten(out_tree, out_vals), f_jvp


def _basis(x):
    """Yield the standard basis of x's space, one array of x's shape and dtype at a time."""
    x = np.asarray(x) if not hasattr(x, "shape") else x
    n = int(np.prod(x.shape, dtype=np.int64))
    for k in range(n):
        e = np.zeros(n, dtype=x.dtype)
        e[k] = 1
        yield e.reshape(x.shape)


def _stack_last(cols, out_shape, in_shape, o, x):
    from .. import numpy as wnp

    dtype = np.result_type(o.dtype, x.dtype)
    if not cols:
        return np.zeros(tuple(out_shape) + tuple(in_shape), dtype)
    st = wnp.stack([wnp.astype(c, dtype) for c in cols], axis=-1)
    return wnp.reshape(st, tuple(out_shape) + tuple(in_shape))


def _stack_first(rows, out_shape, in_shape, o, x):
    from .. import numpy as wnp

    dtype = np.result_type(o.dtype, x.dtype)
    if not rows:
        return np.zeros(tuple(out_shape) + tuple(in_shape), dtype)
    st = wnp.stack([wnp.astype(r, dtype) for r in rows], axis=0)
    return wnp.reshape(st, tuple(out_shape) + tuple(in_shape))
