"""Batching: ``vmap``, the batch interpreter, and the helpers batching rules are written with.

``vmap(f)`` runs ``f`` once on *batch tracers*: each holds a whole batch of values with the
batch axis first. Every primitive call on them goes to the primitive's ``batch`` rule,
``batch(size, args, batched, **params)``, which receives the underlying values (``batched[i]``
says whether ``args[i]`` has the leading batch axis of length ``size``) and returns the batched
result, batch axis first. Values the batch does not touch stay plain, so work that does not
depend on the batch is done once. Rules are written with ``wengert.numpy`` and primitives, so
every other transform traces them: ``vmap(grad(f))``, ``grad(vmap(f))`` and ``jacfwd(vmap(f))``
all compose. Custom rules are batched by vmapping the user's functions. Code that reads
concrete values (argsort, masks, sort's permutation) reads them example by example
(``primitives.batching.map_examples``), and Python control flow on a batched value raises.
Imports: core, tree, the other transforms' helpers.
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import tree as _tree
from ..core.errors import MissingRuleError, WengertTypeError, WengertValueError
from ..core.tracer import Interpreter, Tracer, interpreter
from . import _api


class BatchTracer(Tracer):
    """A batch of values, batch axis first; ``shape`` is the shape of one example."""

    __slots__ = ("val",)
    _holds_batch = True

    def __init__(self, interp, val):
        self._interp = interp
        self.val = val
        self.shape = tuple(val.shape[1:])
        self.dtype = val.dtype

    def _value(self):
        return self.val

    def __bool__(self):
        raise WengertTypeError(
            "Python control flow (if/while/bool) on a value that varies across a vmap batch: "
            "each example could take a different branch. Use wnp.where(cond, a, b) to select "
            "per example, or move the branch outside vmap."
        )

    def __index__(self):
        raise WengertTypeError(
            "a value that varies across a vmap batch cannot be used as a Python index; index "
            "with it through wengert.numpy instead (x[i] on a traced x, wnp.take(a, i), "
            "wnp.take_along_axis) or select with wnp.where."
        )

    def _concrete_error(self, what: str):
        return WengertTypeError(
            f"{what} on a value that varies across a vmap batch: it holds one value per "
            "example. Keep the computation in wengert.numpy (it then runs per example), or "
            "return the value from the mapped function. To index a NumPy constant with it, "
            "use wnp.take(constant, i)."
        )


class BatchInterpreter(Interpreter):
    """Applies each primitive's batching rule to the values underneath its tracers."""

    __slots__ = ("size",)

    def __init__(self, size: int):
        self.size = size

    def process(self, prim, args, params):
        vals = []
        batched = []
        for a in args:
            if type(a) is BatchTracer and a._interp is self:
                vals.append(a.val)
                batched.append(True)
            else:
                vals.append(a)
                batched.append(False)
        rule = prim.batch
        if rule is None:
            raise MissingRuleError(
                f"no batching rule for primitive '{prim.name}'. Add one in "
                f"wengert/primitives/{prim.family}.py (see transforms/batching.py)."
            )
        return BatchTracer(self, rule(self.size, vals, tuple(batched), **params))

    def process_custom_vjp(self, cv, args):
        from ..primitives.special import custom_vjp

        leaves, tdef, axes, vals = self._unwrap(args)

        def fun(*ls):
            return cv.fun(*_tree.unflatten(tdef, ls))

        def fwd(*ls):
            return cv.fwd(*_tree.unflatten(tdef, ls))

        def bwd(res, g):
            cts = cv.bwd(res, g)
            per_arg = _tree.unflatten(tdef, [0] * len(leaves))
            flat = []
            for a, c in zip(per_arg, cts):
                n = len(_tree.leaves(a))
                flat.extend([None] * n if c is None else _tree.leaves(c))
            return tuple(flat)

        def bwd_batched(res, g):
            cts = vmap(bwd, in_axes=(0, 0))(res, g)
            # An argument outside the batch gets the sum of its per-example cotangents.
            return tuple(c if c is None or ax == 0 else _sum_batch(c)
                         for c, ax in zip(cts, axes))

        batched = custom_vjp(vmap(fun, in_axes=tuple(axes)))
        batched.defvjp(vmap(fwd, in_axes=tuple(axes)), bwd_batched)
        return self._wrap(batched(*vals))

    def process_custom_jvp(self, cj, args):
        from ..primitives.special import custom_jvp

        _, tdef, axes, vals = self._unwrap(args)

        def fun(*ls):
            return cj.fun(*_tree.unflatten(tdef, ls))

        def rule(primals, tangents):
            return cj.rule(tuple(_tree.unflatten(tdef, list(primals))),
                           tuple(_tree.unflatten(tdef, list(tangents))))

        batched = custom_jvp(vmap(fun, in_axes=tuple(axes)))
        batched.defjvp(vmap(rule, in_axes=(tuple(axes), tuple(axes))))
        return self._wrap(batched(*vals))

    def _unwrap(self, args):
        leaves, tdef = _tree.flatten(args)
        axes = [0 if type(a) is BatchTracer and a._interp is self else None for a in leaves]
        vals = [a.val if ax == 0 else a for a, ax in zip(leaves, axes)]
        return leaves, tdef, axes, vals

    def _wrap(self, out):
        return _tree.map(lambda o: BatchTracer(self, _api.as_array(o)), out)


def _sum_batch(x):
    from .. import numpy as wnp

    return wnp.sum(x, axis=0)


# --- vmap ------------------------------------------------------------------------------------------


def _is_axis_spec(a) -> bool:
    if a is None or type(a) is int:
        return True
    return isinstance(a, numbers.Integral) and not isinstance(a, (bool, np.bool_))


def _check_spec(name, spec):
    """Every leaf of an in_axes/out_axes spec must be an int or None."""
    for leaf in _tree.leaves(spec, is_leaf=lambda a: a is None):
        if not _is_axis_spec(leaf):
            raise WengertTypeError(
                f"vmap: {name} must be an int, None, or a tuple/pytree of them, but it contains "
                f"{leaf!r} ({type(leaf).__name__}). Write e.g. {name}=(0, None)."
            )


def _axes_for(name, axes, tree, what):
    if _is_axis_spec(axes):  # one axis for every leaf: the common case needs no tree walk
        return [axes] * _tree.structure(tree).num_leaves
    try:
        return _tree.broadcast_prefix(axes, tree, _is_axis_spec)
    except ValueError as err:
        hint = ""
        if name == "in_axes" and not isinstance(axes, tuple):
            hint = (" in_axes has one entry per positional argument: for a pytree prefix of a "
                    "single argument, wrap it in a tuple, e.g. in_axes=({'w': None, 'x': 0},).")
        raise WengertValueError(
            f"vmap: {name} does not match the {what}: {err}{hint}"
        ) from None


def _leaf_names(args) -> list[str]:
    """A name for each leaf of the positional arguments: 'argument i' or 'argument i, leaf j'."""
    names = []
    for i, a in enumerate(args):
        leaves = _tree.leaves(a)
        names.extend([f"argument {i}"] if len(leaves) == 1 and leaves[0] is a
                     else [f"argument {i}, leaf {j}" for j in range(len(leaves))])
    return names


def vmap(fun, in_axes=0, out_axes=0, axis_size: int | None = None):
    """Return ``fun`` mapped over an axis of its arguments, without a Python loop.

    ``vmap(f)(xs)`` equals ``stack([f(x) for x in xs])``, but ``f`` runs once, on whole
    batches: every primitive applies its batching rule. ``in_axes`` says, per argument (an int
    or None for all, or a tuple with one entry per argument, each an int, None or a pytree
    prefix of that argument), which axis is mapped; None broadcasts the argument to every
    example. ``out_axes`` says where the batch axis goes in the outputs (None: the output must
    not depend on the batch). ``axis_size`` gives the batch size when no argument is mapped.
    Keyword arguments are passed to ``fun`` unbatched.

    Each example sees what it would alone: value-reading functions (``wnp.argmax``,
    ``wnp.where`` with constant branches, ``x[i]`` with a per-example ``i``) work example by
    example. What has no per-example meaning raises a ``WengertTypeError``: Python ``if`` on
    a batched value, a mask or shape that varies across the batch, ``wnp.allclose``.

    Raises
    ------
    WengertTypeError
        For an ``in_axes``/``out_axes`` entry that is not an int or None, or control flow on
        a batched value.
    WengertValueError
        For axes out of range, mapped axes of different sizes, an ``in_axes`` tree that does
        not match the arguments, or ``out_axes=None`` for an output that depends on the batch.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.vmap(lambda x, w: wnp.dot(w, x), in_axes=(0, None))(np.eye(3), np.arange(3.0))
    array([0., 1., 2.])
    >>> per_example = wg.vmap(wg.grad(lambda w, x: wnp.sum(wnp.tanh(w * x))), in_axes=(None, 0))
    >>> per_example(np.ones(2), np.zeros((4, 2))).shape
    (4, 2)
    >>> wg.vmap(lambda x: x[wnp.argmax(x)])(np.array([[1.0, 3.0], [4.0, 2.0]]))
    array([3., 4.])
    """
    if not callable(fun):
        raise WengertTypeError(f"vmap: expected a function, got {type(fun).__name__}.")
    axes_arg = tuple(in_axes) if isinstance(in_axes, list) else in_axes
    _check_spec("in_axes", axes_arg)
    _check_spec("out_axes", out_axes)
    if axis_size is not None and not (_is_axis_spec(axis_size) and axis_size >= 0):
        raise WengertTypeError(
            f"vmap: axis_size must be a non-negative int or None, got {axis_size!r}."
        )

    in_uniform, out_uniform = _is_axis_spec(axes_arg), _is_axis_spec(out_axes)

    def batched(*args, **kwargs):
        if isinstance(axes_arg, tuple) and len(axes_arg) != len(args):
            raise WengertValueError(
                f"vmap: in_axes has {len(axes_arg)} entries but the function got {len(args)} "
                "positional arguments; give one entry per argument (or a single int/None)."
            )
        leaves, tdef = _tree.flatten(args)
        if in_uniform:
            axes = [axes_arg] * len(leaves)
        else:
            axes = _axes_for("in_axes", axes_arg, args, "arguments")
        size = axis_size
        sizes = {}
        for k, (x, ax) in enumerate(zip(leaves, axes)):
            if ax is None:
                continue
            nd = np.ndim(x)
            if not -nd <= ax < nd:
                raise WengertValueError(
                    f"vmap: in_axes asks for axis {ax} of {_leaf_names(args)[k]}, which has shape "
                    f"{tuple(np.shape(x))}; choose an axis it has, or None to broadcast it."
                )
            sizes[k] = np.shape(x)[ax]
        if sizes:
            distinct = set(sizes.values())
            if len(distinct) > 1 or (size is not None and size not in distinct):
                names = _leaf_names(args)
                listing = ", ".join(f"{names[k]}: {n}" for k, n in sizes.items())
                raise WengertValueError(
                    f"vmap: the mapped axes have different sizes ({listing}"
                    f"{', axis_size: ' + str(size) if size is not None else ''}); every mapped "
                    "axis must have the batch's length."
                )
            size = distinct.pop()
        if size is None:
            raise WengertValueError(
                "vmap: no argument is mapped (every in_axes is None), so the batch size is "
                "unknown; map at least one argument or pass axis_size=."
            )
        with interpreter(BatchInterpreter, size) as bi:
            ins = [x if ax is None else BatchTracer(bi, _move_to_front(_api.as_array(x), ax))
                   for x, ax in zip(leaves, axes)]
            out = fun(*_tree.unflatten(tdef, ins), **kwargs)
            out_leaves, out_tree = _tree.flatten(out)
            if out_uniform:
                o_axes = [out_axes] * len(out_leaves)
            else:
                o_axes = _axes_for("out_axes", out_axes, out, "outputs")
            res = [_unbatch(bi, o, ax, size, k) for k, (o, ax) in enumerate(zip(out_leaves,
                                                                               o_axes))]
        return _tree.unflatten(out_tree, res)

    return batched


def map_batch(fun, size: int, args) -> list:
    """``vmap`` for internal callers with flat lists: every argument carries the batch on axis
    0, and so does every result (unbatched results are broadcast). No pytrees, no checks:
    Jacobians call this once per chunk of basis vectors, where ``vmap``'s bookkeeping would
    cost as much as the sweep."""
    from .. import numpy as wnp

    with interpreter(BatchInterpreter, size) as bi:
        outs = fun(*[BatchTracer(bi, a) for a in args])
        return [o.val if type(o) is BatchTracer and o._interp is bi
                else wnp.broadcast_to(o, (size, *np.shape(o))) for o in outs]


def _move_to_front(x, ax):
    if ax == 0 or ax == -x.ndim:
        return x
    from .. import numpy as wnp

    return wnp.moveaxis(x, ax, 0)


def _unbatch(bi, o, ax, size, k):
    from .. import numpy as wnp

    mine = type(o) is BatchTracer and o._interp is bi
    if ax is None:
        if mine:
            raise WengertValueError(
                f"vmap: output leaf {k} depends on the batch, but out_axes is None for it; give "
                "it an axis, or make it independent of the mapped arguments."
            )
        return o
    val = o.val if mine else wnp.broadcast_to(o, (size, *np.shape(o)))
    if not isinstance(val, Tracer):
        val = np.asarray(val)
    nd = np.ndim(val)
    if not -nd <= ax < nd:
        raise WengertValueError(
            f"vmap: out_axes asks for axis {ax} of output leaf {k}, which has {nd - 1} "
            f"dimension(s) per example, so the batch axis can go to axes {-nd} to {nd - 1}."
        )
    if ax % nd != 0:
        val = wnp.moveaxis(val, 0, ax)
    return _api.writable(val) if not isinstance(val, Tracer) else val
