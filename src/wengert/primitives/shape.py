"""Shape and layout primitives: broadcasting, reshaping, transposing, indexing, joining.

All of these are linear maps, so each VJP is the adjoint map: ``broadcast_to`` ↔
``sum_to_shape``, ``reshape`` ↔ ``reshape`` back, ``transpose`` ↔ the inverse permutation,
``getitem`` ↔ ``index_add`` (scatter-add, so duplicate indices accumulate), ``concatenate`` ↔
slicing, ``pad`` ↔ slicing, ``take_along_axis`` ↔ ``put_along_axis_add`` (a gather and a
scatter-add whose integer index array is an operand, never differentiated, so jit records it
and vmap batches it). Every other shape function of ``wengert.numpy`` (flip, roll, tile,
repeat, diag, tril, split, pad modes, ...) is composed from these. Static arguments (shapes,
axes, index tuples, pad widths) are keyword-only parameters and never hold traced values.
Imports: core, registry, NumPy (in ``impl`` only).
"""

from __future__ import annotations

import numpy as np

from .registry import Indexed, define, linear


def _sum_to_shape_impl(x, *, shape):
    x = np.asarray(x)
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1
    )
    out = np.sum(x, axis=axes, keepdims=True) if axes else x
    return out.reshape(shape)


def _broadcast_to_impl(x, *, shape):
    # A read-only zero-stride view, as NumPy's broadcast_to returns: no copy is made, which
    # matters for bias additions (the MLP benchmark spends a copy per layer otherwise).
    return np.broadcast_to(x, shape)


# broadcast_to(x, shape): NumPy broadcasting to ``shape``; the adjoint sums the copies back.
broadcast_to_p = linear(
    "broadcast_to", _broadcast_to_impl,
    transpose=lambda g, x, *, shape: sum_to_shape_p(g, shape=tuple(x.shape)),
    shape=lambda x, *, shape: (tuple(shape), x.dtype),
)
# sum_to_shape(x, shape): sum over leading axes and axes where ``shape`` has 1 (unbroadcast).
sum_to_shape_p = linear(
    "sum_to_shape", _sum_to_shape_impl,
    transpose=lambda g, x, *, shape: broadcast_to_p(g, shape=tuple(x.shape)),
    shape=lambda x, *, shape: (tuple(shape), x.dtype),
)
# reshape(x, shape) in C order; ``shape`` is fully resolved (no -1).
reshape_p = linear(
    "reshape", lambda x, *, shape: np.reshape(x, shape),
    transpose=lambda g, x, *, shape: reshape_p(g, shape=tuple(x.shape)),
    shape=lambda x, *, shape: (tuple(shape), x.dtype),
)


def _inverse_permutation(axes):
    return tuple(int(i) for i in np.argsort(axes))


# transpose(x, axes) with ``axes`` a full permutation of range(x.ndim).
transpose_p = linear(
    "transpose", lambda x, *, axes: np.transpose(x, axes),
    transpose=lambda g, x, *, axes: transpose_p(g, axes=_inverse_permutation(axes)),
    shape=lambda x, *, axes: (tuple(x.shape[i] for i in axes), x.dtype),
)


def _getitem_impl(x, *, idx):
    return x[idx] if isinstance(x, (np.ndarray, np.generic)) else np.asarray(x)[idx]


def _is_basic(idx) -> bool:
    """True when ``idx`` uses only integers, slices, Ellipsis and None (no element repeats)."""
    for k in idx:
        if k is None or k is Ellipsis or isinstance(k, slice):
            continue
        if isinstance(k, (bool, np.bool_, np.ndarray)):
            return False
        if isinstance(k, (int, np.integer)):
            continue
        return False
    return True


def _index_add_impl(g, *, idx, shape):
    g = np.asarray(g)
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic(idx):
        # Basic indexing never selects an element twice, so plain assignment is a scatter-add.
        out[idx] = g
    else:
        np.add.at(out, idx, g)
    return out


def _getitem_shape(x, *, idx):
    dummy = np.broadcast_to(np.zeros((), x.dtype), x.shape)
    return tuple(dummy[idx].shape), x.dtype


# x[idx] for a static NumPy index: integers, slices, Ellipsis, None and integer arrays (boolean
# masks arrive as their nonzero() integer arrays). The adjoint scatters the cotangent back.
getitem_p = linear(
    "getitem", _getitem_impl,
    transpose=lambda g, x, *, idx: index_add_p(g, idx=idx, shape=tuple(x.shape)),
    shape=_getitem_shape,
)
# zeros(shape) with g added at idx: the adjoint of getitem. Repeated indices accumulate
# (np.add.at), which is what makes the gradient of x[[0, 0]] equal 2 at x[0].
index_add_p = linear(
    "index_add", _index_add_impl,
    transpose=lambda g, x, *, idx, shape: getitem_p(g, idx=idx),
    shape=lambda g, *, idx, shape: (tuple(shape), g.dtype),
)


def _concat_jvp(i, t, out, *xs, axis):
    # The tangent of operand i fills its slot and zeros fill the others: a zero padding.
    before = sum(x.shape[axis] for x in xs[:i])
    after = sum(x.shape[axis] for x in xs[i + 1:])
    width = tuple((before, after) if d == axis else (0, 0) for d in range(t.ndim))
    return pad_p(t, pad_width=width)


def _concat_vjp(i, g, out, *xs, axis):
    start = sum(x.shape[axis] for x in xs[:i])
    idx = (slice(None),) * axis + (slice(start, start + xs[i].shape[axis]),)
    return getitem_p(g, idx=idx)


def _concat_shape(*xs, axis):
    shape = list(xs[0].shape)
    shape[axis] = sum(x.shape[axis] for x in xs)
    return tuple(shape), np.result_type(*[x.dtype for x in xs])


# concatenate(*xs, axis): operands share ndim, dtype and every dimension but ``axis``.
concatenate_p = define(
    "concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis),
    jvp=Indexed(_concat_jvp), vjp=Indexed(_concat_vjp), shape=_concat_shape,
)


def _pad_transpose(g, x, *, pad_width):
    idx = tuple(slice(lo, lo + n) for (lo, hi), n in zip(pad_width, x.shape))
    return getitem_p(g, idx=idx)


# pad(x, pad_width) with zeros; ``pad_width`` is ((lo, hi),) * ndim of non-negative ints.
# The other modes of wnp.pad (constant values, edge, reflect, ...) are composed from this,
# getitem and concatenate.
def _pad_impl(x, *, pad_width):
    # np.pad rejects the empty pad_width of a 0-d array (it reads () as a float array).
    return np.pad(x, pad_width) if pad_width else np.array(x)


pad_p = linear(
    "pad", _pad_impl,
    transpose=_pad_transpose,
    shape=lambda x, *, pad_width: (
        tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, pad_width)), x.dtype),
)


# --- batching rules: the batch axis leads, so each static argument gains one leading entry ----


def _advanced_front(idx) -> int:
    """How many axes NumPy puts *in front* for ``x[idx]``: the broadcast rank of the advanced
    indices when they are separated (by a slice, Ellipsis or None), else 0.

    Arrays and scalar booleans are advanced indices (a scalar boolean acts as a 1-D mask of
    length 1 or 0); integers are too once any of those is present.
    """
    shapes = {i: ((int(k),) if np.ndim(k) == 0 and np.result_type(k) == bool else np.shape(k))
              for i, k in enumerate(idx) if isinstance(k, (np.ndarray, bool, np.bool_))}
    if not shapes:
        return 0
    pos = [i for i, k in enumerate(idx) if i in shapes or isinstance(k, (int, np.integer))]
    if pos == list(range(pos[0], pos[-1] + 1)):
        return 0
    return len(np.broadcast_shapes(*shapes.values()))


def _getitem_batch(size, args, batched, *, idx):
    out = getitem_p(args[0], idx=(slice(None), *idx))
    front = _advanced_front(idx)
    if not front:
        return out
    perm = (front, *range(front), *range(front + 1, out.ndim))
    return transpose_p(out, axes=perm)


def _index_add_batch(size, args, batched, *, idx, shape):
    g = args[0]
    front = _advanced_front(idx)
    if front:  # g's per-example layout has the advanced axes first: put them after the batch
        perm = (*range(1, front + 1), 0, *range(front + 1, g.ndim))
        g = transpose_p(g, axes=perm)
    return index_add_p(g, idx=(slice(None), *idx), shape=(size, *shape))


def _broadcast_to_batch(size, args, batched, *, shape):
    x = args[0]
    lead = len(shape) - (x.ndim - 1)
    if lead:
        x = reshape_p(x, shape=(size,) + (1,) * lead + tuple(x.shape[1:]))
    return broadcast_to_p(x, shape=(size, *shape))


def _sum_to_shape_batch(size, args, batched, *, shape):
    x = args[0]
    ex = tuple(x.shape[1:])
    lead = len(ex) - len(shape)
    axes = tuple(range(1, lead + 1)) + tuple(
        1 + lead + i for i, s in enumerate(shape) if s == 1 and ex[lead + i] != 1)
    if axes:
        from .reduce import sum_p

        x = sum_p(x, axis=axes, keepdims=True)
    return reshape_p(x, shape=(size, *shape))


def _concatenate_batch(size, args, batched, *, axis):
    from .batching import materialize

    ops = [materialize(size, x, b) for x, b in zip(args, batched)]
    return concatenate_p(*ops, axis=axis + 1)


broadcast_to_p.batch = _broadcast_to_batch
sum_to_shape_p.batch = _sum_to_shape_batch
reshape_p.batch = lambda size, args, batched, *, shape: reshape_p(args[0], shape=(size, *shape))
transpose_p.batch = lambda size, args, batched, *, axes: transpose_p(
    args[0], axes=(0, *(a + 1 for a in axes)))
getitem_p.batch = _getitem_batch
index_add_p.batch = _index_add_batch
concatenate_p.batch = _concatenate_batch
pad_p.batch = lambda size, args, batched, *, pad_width: pad_p(
    args[0], pad_width=((0, 0), *pad_width))


# --- gather and scatter-add along one axis, with an integer index array operand ----------------
# The index array is an operand (so jit records it and vmap batches it), never differentiated.
# Operands have one rank and equal shapes except along ``axis`` (wnp broadcasts first).


def _take_along_axis_impl(x, idx, *, axis):
    return np.take_along_axis(np.asarray(x), np.asarray(idx), axis=axis)


def _along_index(idx, axis):
    """The full fancy index tuple that ``idx`` along ``axis`` stands for (np.add.at needs it)."""
    full = list(np.indices(idx.shape, sparse=True))
    full[axis] = idx
    return tuple(full)


def _put_along_axis_add_impl(g, idx, *, axis, shape):
    g = np.asarray(g)
    out = np.zeros(shape, dtype=g.dtype)
    # Repeated indices accumulate: the adjoint of a gather that selects an element twice.
    np.add.at(out, _along_index(np.asarray(idx), axis), g)
    return out


# take_along_axis(x, idx, axis): numpy.take_along_axis (negative indices count from the end,
# out-of-range ones raise IndexError). The adjoint scatter-adds the cotangent back.
take_along_axis_p = linear(
    "take_along_axis", _take_along_axis_impl,
    transpose=lambda g, x, idx, *, axis: put_along_axis_add_p(
        g, idx, axis=axis, shape=tuple(x.shape)),
    shape=lambda x, idx, *, axis: (tuple(idx.shape), x.dtype),
    nondiff=(1,),
)
# put_along_axis_add(g, idx, axis, shape): zeros(shape) with g added at idx along axis.
put_along_axis_add_p = linear(
    "put_along_axis_add", _put_along_axis_add_impl,
    transpose=lambda ct, g, idx, *, axis, shape: take_along_axis_p(ct, idx, axis=axis),
    shape=lambda g, idx, *, axis, shape: (tuple(shape), g.dtype),
    nondiff=(1,),
)


def _take_along_axis_batch(size, args, batched, *, axis):
    from .batching import materialize

    x, idx = (materialize(size, a, b) for a, b in zip(args, batched))
    return take_along_axis_p(x, idx, axis=axis + 1)


def _put_along_axis_add_batch(size, args, batched, *, axis, shape):
    from .batching import materialize

    g, idx = (materialize(size, a, b) for a, b in zip(args, batched))
    return put_along_axis_add_p(g, idx, axis=axis + 1, shape=(size, *shape))


take_along_axis_p.batch = _take_along_axis_batch
put_along_axis_add_p.batch = _put_along_axis_add_batch
