"""Helpers that batching rules, and value-reading code under ``vmap``, are written with.

A batching rule ``batch(size, args, batched, **params)`` receives the values underneath the
batch tracers (``batched[i]``: ``args[i]`` has a leading batch axis of length ``size``) and
returns the batched result, batch axis first (see ``transforms/batching.py`` for ``vmap``).

Code that reads *concrete values* (an argsort, a NaN mask, the permutation of ``sort``'s
derivative) meets a second issue: under ``vmap`` the value underneath a traced array holds the
whole batch, one leading axis per enclosing ``vmap`` (outermost first). :func:`map_examples`
applies a NumPy function example by example and returns the results as a batch again;
:func:`take_along` gathers with such per-example indices, differentiably; :func:`constant`
refuses a batched value where a single constant is needed (a shape, a Python bool).
Imports: core and NumPy; ``wengert.numpy`` lazily, through the registry.
"""

from __future__ import annotations

import numpy as np

from ..core.errors import WengertTypeError
from ..core.tracer import Tracer, bind, is_live, leak_error
from .registry import wnp


def materialize(size: int, x, batched: bool):
    """Return ``x`` with a leading batch axis, broadcasting constants too."""
    if batched:
        return x
    return wnp.broadcast_to(x, (size, *np.shape(x)))


def elementwise_batch(prim):
    """The batching rule of an elementwise primitive: apply it to the batched operands.

    Operands may differ in rank (``select``'s condition, constants): each batched operand
    gets size-1 axes after its batch axis, up to the highest rank of one example, so NumPy's
    trailing-axis broadcasting lines up the examples and leaves the batch axis in front.
    """

    def rule(size, args, batched, **params):
        if len(args) == 1:
            return bind(prim, *args, **params)
        if len(args) == 2:  # the common case: one batched operand, the other of its rank
            a, c = args
            if batched[0] != batched[1] and type(a if batched[1] else c) is np.ndarray and \
                    a.ndim - batched[0] == c.ndim - batched[1]:
                return bind(prim, a, c, **params)
        ndims = [a.ndim if isinstance(a, (np.ndarray, Tracer)) else np.ndim(a) for a in args]
        rank = max(n - b for n, b in zip(ndims, batched))
        if all(batched) and min(ndims) == rank + 1:  # the common case: nothing to line up
            return bind(prim, *args, **params)
        ops = []
        for a, b, n in zip(args, batched, ndims):
            pad = (1,) * (rank - n + b)
            if b and pad:
                a = wnp.reshape(a, (size, *pad, *a.shape[1:]))
            elif not b and isinstance(a, Tracer):
                a = wnp.broadcast_to(a, (size, *pad, *a.shape))
            ops.append(a)
        return bind(prim, *ops, **params)

    return rule


# --- concrete values under vmap ------------------------------------------------------------------


def batch_tracers(x) -> list:
    """The tracers holding a batch in ``x``'s chain of tracers, outermost ``vmap`` first.

    The plain value underneath ``x`` has one leading axis per entry, in this order.
    """
    found = []
    while isinstance(x, Tracer):
        if x._holds_batch:
            if not is_live(x):
                raise leak_error("a function reading values (an argmax, a mask)")
            found.append(x)
        x = x._value()
    found.reverse()
    return found


def is_batched(x) -> bool:
    """Whether ``x`` (or a tracer underneath it) holds a batch of examples."""
    while isinstance(x, Tracer):
        if x._holds_batch:
            return True
        x = x._value()
    return False


def _plain(x):
    while isinstance(x, Tracer):
        x = x._value()
    return x


def constant(x, what: str = "this operation"):
    """The plain value of ``x``, which must not vary across a ``vmap`` batch.

    For arguments that must be one constant for every example: shapes, counts, static
    indices, or an operation whose result is a single Python value.
    """
    while isinstance(x, Tracer):
        if x._holds_batch:
            raise _varies_error(what)
        x = x._value()
    return x


def _varies_error(what):
    return WengertTypeError(
        f"{what}: needs one constant value, but got a value that varies across a vmap batch "
        "(each example would need its own). Pass a value that does not depend on the mapped "
        "arguments, or call it outside vmap."
    )


def anywhere(x) -> bool:
    """Whether any element of ``x`` is true, in any example of any enclosing batch.

    For shortcuts that are correct for every example when taken for all ("no NaN anywhere, so
    no mask is needed"), never for a per-example answer.
    """
    return bool(np.any(_plain(x)))


def map_examples(fn, *args, elementwise: bool = False, batched=None):
    """Apply the NumPy function ``fn`` to the plain values of ``args``, example by example.

    Outside ``vmap`` this is ``fn(*plain values)``. When some argument holds a batch, ``fn``
    is applied to each example (a Python loop), and the stacked results come back as a batch
    of the same ``vmap``s, so each example sees exactly what it would alone. The results are
    constants to every other transform: for index and mask computations, never derivatives.

    ``elementwise=True`` declares ``fn`` elementwise (NumPy broadcasting), so it runs once on
    the whole batch. ``batched(nb, *args)``, when given, computes every example at once from
    arguments carrying ``nb`` leading batch axes (others: constants, as passed).

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> xs = np.array([[0.0, 3.0, 1.0], [2.0, 0.0, 1.0]])
    >>> wg.vmap(lambda x: map_examples(np.argmax, x))(xs)
    array([1, 0])
    """
    if not any(is_batched(a) for a in args):
        return fn(*[_plain(a) for a in args])
    chains = [batch_tracers(a) if isinstance(a, Tracer) else None for a in args]
    order = []
    for chain in chains:
        for t in chain or ():
            if all(t._interp is not s._interp for s in order):
                order.append(t)
    order.sort(key=lambda t: t._interp.level)
    nb = len(order)
    bshape = tuple(t._value().shape[0] for t in order)
    full = list(args)
    ex_shapes = {}
    for i, (a, chain) in enumerate(zip(args, chains)):
        if chain is None:
            continue
        own = [t._interp for t in chain]
        v = np.asarray(_plain(a))
        ex_shapes[i] = v.shape[len(own):]
        lead = tuple(n if t._interp in own else 1 for n, t in zip(bshape, order))
        full[i] = v.reshape(lead + ex_shapes[i])
    if elementwise:
        rank = max([len(s) for s in ex_shapes.values()]
                   + [np.ndim(a) for a, chain in zip(args, chains) if chain is None])
        for i, s in ex_shapes.items():
            full[i] = full[i].reshape(full[i].shape[:nb] + (1,) * (rank - len(s)) + s)
        out = np.asarray(fn(*full))
        out = np.broadcast_to(out, bshape + out.shape[nb:])
    else:
        for i, s in ex_shapes.items():
            full[i] = np.broadcast_to(full[i], bshape + s)
        if batched is not None:
            out = np.asarray(batched(nb, *full))
        else:
            out = _loop(fn, full, sorted(ex_shapes), bshape)
    for t in order:
        out = type(t)(t._interp, out)
    return out


def _loop(fn, full, traced, bshape):
    """``stack([fn(example) for each example])`` over the batch shape ``bshape``."""
    results = []
    for k in np.ndindex(*bshape):
        ex = list(full)
        for i in traced:
            ex[i] = full[i][k]
        results.append(np.asarray(fn(*ex)))
    if not results:  # an empty batch: one example of zeros gives the shape and dtype
        ex = list(full)
        for i in traced:
            ex[i] = np.zeros(full[i].shape[len(bshape):], full[i].dtype)
        r = np.asarray(fn(*ex))
        return np.zeros(bshape + r.shape, r.dtype)
    first = results[0]
    for r in results[1:]:
        if r.shape != first.shape:
            raise WengertTypeError(
                f"{getattr(fn, '__name__', 'function')}: under vmap its result must have one "
                f"shape for every example, but examples gave shapes {first.shape} and "
                f"{r.shape}. Keep shapes fixed (e.g. wnp.where(mask, x, fill) instead of "
                "x[mask]), or call it outside vmap."
            )
    return np.stack(results).reshape(bshape + first.shape)


# --- gathering with per-example indices ------------------------------------------------------------


def take_along(arr, indices, axis: int):
    """``numpy.take_along_axis(arr, indices, axis)``, differentiable in ``arr``, where the
    integer ``indices`` may differ from example to example of enclosing ``vmap``s.

    ``axis`` is a non-negative axis of one example; ``indices`` broadcasts against ``arr`` in
    every other axis. Each batch is peeled off into an ordinary leading axis, which
    ``take_along_axis`` broadcasts like any other, so the gather stays a static ``getitem``.
    That needs ``arr``'s batch to sit directly on top of the transforms that trace it; when a
    derivative is taken *inside* the vmap (``vmap(grad(f))``), the gather is instead a product
    with a one-hot matrix (cost: ``indices.shape[axis]`` times ``arr``'s size, per example).
    """
    if not isinstance(indices, Tracer):
        return wnp.take_along_axis(arr, np.asarray(indices), axis)
    if not is_batched(indices):
        return wnp.take_along_axis(arr, np.asarray(_plain(indices)), axis)
    # Integer indices carry no derivative: keep only their batches (drop other tracers).
    ind = map_examples(lambda v: v, indices, elementwise=True)
    level = ind._interp.level
    top = arr._interp if isinstance(arr, Tracer) else None
    if top is None or top.level < level:
        # arr does not vary over ind's innermost batch: give it a leading axis of length 1.
        return type(ind)(ind._interp, take_along(wnp.expand_dims(arr, 0), ind._value(),
                                                 axis + 1))
    if top is ind._interp:
        return type(ind)(ind._interp, take_along(arr._value(), ind._value(), axis + 1))
    if arr._holds_batch:  # arr's own batch is innermost: the indices are constant over it
        return type(arr)(top, take_along(arr._value(), wnp.expand_dims(ind, 0), axis + 1))
    return _take_one_hot(arr, ind, axis)


def _take_one_hot(arr, ind, axis):
    """``take_along_axis`` as ``one_hot(indices) @ arr`` along ``axis``: composed of
    primitives only, so it is traced by whatever transform sits above the batch."""
    n = arr.shape[axis]
    a = wnp.moveaxis(arr, axis, -1)

    def one_hot(nb, i):
        # (..., j, m): entry m of row j is 1 where indices[..., j] == m (negative from the end).
        if i.size and not (-n <= i.min() and i.max() < n):
            raise IndexError(f"index out of bounds for axis {axis} with size {n}")
        rows = np.moveaxis(i, axis + nb, -1)[..., None] % max(n, 1)
        return (rows == np.arange(n)).astype(arr.dtype)

    hot = map_examples(lambda i: one_hot(0, i), ind, batched=one_hot)
    out = wnp.matmul(hot, wnp.expand_dims(a, -1))[..., 0]
    return wnp.moveaxis(out, -1, axis)
