"""Shape, layout and indexing functions of ``wengert.numpy``.

Everything here is composed from the linear primitives of ``primitives/shape.py``
(``reshape``, ``transpose``, ``broadcast_to``, ``getitem``/``index_add``, ``concatenate``,
``pad``) and ``where``, so every function is differentiable in both modes to any order. With no
traced argument each function calls NumPy and returns NumPy's result. Static arguments (axes,
shapes, indices, repeats, shifts) are made concrete: a traced index array selects by its
current value and carries no derivative. Under ``vmap`` an integer index may differ from
example to example (``x[wnp.argmax(x)]``): it gathers per example (``take_along``); a mask,
shape or count that differs is refused. Shapes and argument errors come from NumPy itself,
applied to zero-stride stand-ins of the operands, so they match NumPy exactly and cost no
memory. Imports: core, primitives, ``_core``, NumPy (``_reduce``, which imports this module, only
inside functions).
"""

from __future__ import annotations

import numbers
import operator

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from ..core.errors import UnsupportedError
from ..primitives import shape as S
from ..primitives.batching import is_batched, map_examples, take_along
from ._core import _concrete, _shape, _shape_varies, astype, is_traced, where

__all__ = [
    "append",
    "array_split",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "broadcast_arrays",
    "broadcast_to",
    "c_",
    "column_stack",
    "concatenate",
    "diag",
    "diagflat",
    "diagonal",
    "dsplit",
    "dstack",
    "expand_dims",
    "flip",
    "fliplr",
    "flipud",
    "getitem",
    "hsplit",
    "hstack",
    "moveaxis",
    "pad",
    "r_",
    "ravel",
    "repeat",
    "reshape",
    "roll",
    "rollaxis",
    "rot90",
    "row_stack",
    "select",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "take",
    "take_along_axis",
    "tile",
    "trace",
    "transpose",
    "tril",
    "triu",
    "vsplit",
    "vstack",
]


# --- helpers -------------------------------------------------------------------------------------


def _dummy(shape):
    """A zero-stride stand-in of ``shape``: NumPy's shape logic and errors without memory."""
    return np.broadcast_to(np.zeros((), np.int8), shape)


def _any_traced(xs) -> bool:
    return any(is_traced(x) for x in xs)


def _as_array(x):
    """A traced value unchanged; anything else as a NumPy array."""
    return x if is_traced(x) else np.asarray(x)


def _unsupported_out(name):
    return UnsupportedError(
        f"{name}: out= cannot receive a traced result; drop out= and use the return value."
    )


def _permute(a, perm):
    perm = tuple(int(p) for p in perm)
    if perm == tuple(range(len(perm))):
        return a
    return S.transpose_p(a, axes=perm)


def _along(axis, key):
    """The index tuple applying ``key`` to dimension ``axis`` only."""
    return (slice(None),) * axis + (key,)


def _runs(index, max_runs):
    """Split a 1-D integer index into (start, step, length) runs of constant step, or None.

    None means more than ``max_runs`` runs: a single integer-array index is cheaper then.
    """
    m = index.size
    if m == 1:
        return [(int(index[0]), 1, 1)]
    d = np.diff(index)
    change = np.flatnonzero(d[1:] != d[:-1]) + 1
    runs = []
    s = 0
    while s < m:
        if len(runs) >= max_runs:
            return None
        if s == m - 1:
            runs.append((int(index[s]), 1, 1))
            break
        j = int(np.searchsorted(change, s, side="right"))
        k = int(change[j]) if j < change.size else m - 1
        runs.append((int(index[s]), int(d[s]), k - s + 1))
        s = k + 1
    return runs


def _take_axis(a, index, axis):
    """``a`` indexed by the static non-negative 1-D integer ``index`` along ``axis``.

    Runs of constant step become slices (step 0: a broadcast), joined by one concatenate, so
    the derivative avoids scatter-adds for flips, rolls and padding.
    """
    index = np.asarray(index, dtype=np.intp)
    n = a.shape[axis]
    if index.size == n and np.array_equal(index, np.arange(n)):
        return a
    if index.size == 0:
        return getitem(a, _along(axis, slice(0, 0)))
    runs = _runs(index, max_runs=16)
    if runs is None:
        return getitem(a, _along(axis, index))
    pieces = []
    for start, step, length in runs:
        if step == 0:
            piece = getitem(a, _along(axis, slice(start, start + 1)))
            if length > 1:
                shape = a.shape[:axis] + (length,) + a.shape[axis + 1:]
                piece = broadcast_to(piece, shape)
        else:
            stop = start + step * length
            piece = getitem(a, _along(axis, slice(start, None if stop < 0 else stop, step)))
        pieces.append(piece)
    return pieces[0] if len(pieces) == 1 else concatenate(pieces, axis=axis)


# --- reshaping and permuting ---------------------------------------------------------------------


def reshape(a, /, shape, order="C", *, copy=None):
    """Give a new shape to an array without changing its data.

    ``order="F"`` reads and writes in Fortran order (as transpose, C-order reshape,
    transpose). Traced arrays have no memory layout, so ``order="A"`` means C order.
    """
    if not is_traced(a):
        return np.reshape(a, shape, order=order, copy=copy)
    new = _dummy(a.shape).reshape(shape, order=order).shape
    if order == "F" and (a.ndim > 1 or len(new) > 1):
        return transpose(reshape(transpose(a), new[::-1]))
    if new == a.shape:
        return a
    return S.reshape_p(a, shape=new)


def ravel(a, order="C"):
    """Return a flattened array (C order; ``order="F"`` reads column-major)."""
    if not is_traced(a):
        return np.ravel(a, order=order)
    if order == "F":
        return reshape(transpose(a), (a.size,))
    return reshape(a, (a.size,))


def transpose(a, axes=None):
    """Permute the dimensions of an array (reverse them by default)."""
    if not is_traced(a):
        return np.transpose(a, axes)
    if axes is None:
        return _permute(a, range(a.ndim - 1, -1, -1))
    axes = (axes,) if isinstance(axes, numbers.Integral) else tuple(axes)
    np.transpose(_dummy(a.shape), axes)  # NumPy's errors for a bad permutation
    return _permute(a, [normalize_axis_index(operator.index(i), a.ndim) for i in axes])


def swapaxes(a, axis1, axis2):
    """Interchange two axes of an array."""
    if not is_traced(a):
        return np.swapaxes(a, axis1, axis2)
    i = normalize_axis_index(operator.index(axis1), a.ndim, "axis1")
    j = normalize_axis_index(operator.index(axis2), a.ndim, "axis2")
    perm = list(range(a.ndim))
    perm[i], perm[j] = perm[j], perm[i]
    return _permute(a, perm)


def moveaxis(a, source, destination):
    """Move axes of an array to new positions; the other axes keep their order."""
    if not is_traced(a):
        return np.moveaxis(a, source, destination)
    source = normalize_axis_tuple(source, a.ndim, "source")
    destination = normalize_axis_tuple(destination, a.ndim, "destination")
    if len(source) != len(destination):
        raise ValueError(
            "`source` and `destination` arguments must have the same number of elements"
        )
    order = [n for n in range(a.ndim) if n not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return _permute(a, order)


def rollaxis(a, axis, start=0):
    """Roll ``axis`` backwards until it lies before position ``start``."""
    if not is_traced(a):
        return np.rollaxis(a, axis, start)
    np.rollaxis(_dummy(a.shape), axis, start)  # NumPy's errors
    n = a.ndim
    axis = normalize_axis_index(operator.index(axis), n)
    start = operator.index(start)
    if start < 0:
        start += n
    if axis < start:
        start -= 1
    order = list(range(n))
    order.remove(axis)
    order.insert(start, axis)
    return _permute(a, order)


def expand_dims(a, axis):
    """Insert axes of length one at the positions ``axis`` (an int or a tuple)."""
    if not is_traced(a):
        return np.expand_dims(a, axis)
    return reshape(a, np.expand_dims(_dummy(a.shape), axis).shape)


def squeeze(a, axis=None):
    """Remove axes of length one (all of them, or those in ``axis``)."""
    if not is_traced(a):
        return np.squeeze(a, axis)
    return reshape(a, np.squeeze(_dummy(a.shape), axis).shape)


def broadcast_to(array, shape, subok=False):
    """Broadcast an array to ``shape``; the derivative sums back over the broadcast axes."""
    if not is_traced(array):
        return np.broadcast_to(array, shape, subok=subok)
    new = np.broadcast_to(_dummy(array.shape), shape).shape
    if new == array.shape:
        return array
    return S.broadcast_to_p(array, shape=new)


def broadcast_arrays(*args, subok=False):
    """Broadcast any number of arrays against each other; returns a tuple."""
    if not _any_traced(args):
        return np.broadcast_arrays(*args, subok=subok)
    args = [_as_array(x) for x in args]
    shape = np.broadcast_shapes(*[x.shape for x in args])
    return tuple(broadcast_to(x, shape) for x in args)


def _atleast(arys, n, np_fn):
    if not _any_traced(arys):
        return np_fn(*arys)
    res = tuple(_atleast_one(x, n) if is_traced(x) else np_fn(x) for x in arys)
    return res[0] if len(res) == 1 else res


def _atleast_one(x, n):
    shape = x.shape
    if len(shape) >= n:
        return x
    if n == 3 and len(shape) == 1:
        return reshape(x, (1,) + shape + (1,))
    if n == 3 and len(shape) == 2:
        return reshape(x, shape + (1,))
    return reshape(x, (1,) * (n - len(shape)) + shape)


def atleast_1d(*arys):
    """View inputs as arrays with at least one dimension (0-d becomes shape (1,))."""
    return _atleast(arys, 1, np.atleast_1d)


def atleast_2d(*arys):
    """View inputs as arrays with at least two dimensions ((n,) becomes (1, n))."""
    return _atleast(arys, 2, np.atleast_2d)


def atleast_3d(*arys):
    """View inputs as arrays with at least three dimensions ((n,) -> (1, n, 1), (m, n) -> (m, n, 1))."""
    return _atleast(arys, 3, np.atleast_3d)


# --- indexing ------------------------------------------------------------------------------------


def _concrete_tree(k):
    if isinstance(k, (list, tuple)):
        return type(k)(_concrete_tree(v) for v in k)
    return _concrete(k)


def _slice_bound(v):
    return None if v is None else operator.index(_concrete(v))


def _index_entry(k):
    if k is None or k is Ellipsis:
        return k
    if isinstance(k, slice):
        return slice(_slice_bound(k.start), _slice_bound(k.stop), _slice_bound(k.step))
    k = _concrete(k)
    if isinstance(k, (bool, np.bool_)):
        return k
    if isinstance(k, numbers.Integral):
        return int(k)
    arr = np.asarray(_concrete_tree(k))
    if arr.size == 0 and arr.dtype.kind not in "iub":
        return arr.astype(np.intp)  # [] is an empty integer index, as in NumPy
    if arr.dtype.kind not in "iub":
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    return arr


def _normalize_index(idx):
    """Make an index static: traced entries become plain, boolean masks become integer arrays.

    A mask of k dimensions is replaced by its k ``nonzero()`` arrays, which NumPy defines to
    select the same elements in the same order, so the scatter-add adjoint needs integer
    indices only.
    """
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = []
    for k in idx:
        k = _index_entry(k)
        if isinstance(k, np.ndarray) and k.dtype == np.bool_ and k.ndim > 0:
            out.extend(np.nonzero(k))
        else:
            out.append(k)
    return tuple(out)


def _is_identity_index(key, ndim) -> bool:
    full = slice(None)
    ell = sum(k is Ellipsis for k in key)
    rest = [k for k in key if k is not Ellipsis]
    return ell <= 1 and len(rest) <= ndim and all(
        isinstance(k, slice) and k == full for k in rest
    )


def getitem(a, idx):
    """``a[idx]`` for integers, slices, Ellipsis, None, integer arrays and boolean masks.

    Negative indices and steps follow NumPy. The derivative scatters back with ``index_add``,
    so an element selected twice (``x[[0, 0]]``) receives both cotangents.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.grad(lambda x: wnp.sum(x[[0, 0, 1]]))(np.array([1.0, 2.0, 3.0]))
    array([2., 1., 0.])
    >>> wg.grad(lambda x: wnp.sum(x[x > 1.5] ** 2))(np.array([1.0, 2.0, 3.0]))
    array([0., 4., 6.])
    """
    axis = _traced_take_axis(a, idx if isinstance(idx, tuple) else (idx,))
    if axis is not None:
        return _take_traced(a, (idx if isinstance(idx, tuple) else (idx,))[axis], axis)
    if any(is_batched(k) for k in (idx if isinstance(idx, tuple) else (idx,))):
        return _getitem_per_example(a, idx if isinstance(idx, tuple) else (idx,))
    if not is_traced(a):
        if isinstance(idx, tuple):
            idx = tuple(_concrete_tree(k) for k in idx)
        else:
            idx = _concrete_tree(idx)
        return np.asarray(a)[idx]
    key = _normalize_index(idx)
    if _is_identity_index(key, a.ndim):
        return a
    return S.getitem_p(a, idx=key)


def _traced_take_axis(a, idx):
    """The axis of ``a[idx]`` when ``idx`` is one traced integer array after full slices (and
    before full slices or one Ellipsis): ``x[i]``, ``x[:, i]``, ``x[:, i, ...]``; else None."""
    pos = [p for p, k in enumerate(idx) if is_traced(k)]
    if len(pos) != 1 or np.dtype(idx[pos[0]].dtype).kind not in "iu":
        return None
    (p,) = pos
    full = slice(None)
    before, after = idx[:p], idx[p + 1:]
    if not all(isinstance(k, slice) and k == full for k in before):
        return None
    if sum(k is Ellipsis for k in after) > 1 or not all(
            k is Ellipsis or (isinstance(k, slice) and k == full) for k in after):
        return None
    if p >= np.ndim(a) or len(idx) - (Ellipsis in after) > np.ndim(a):
        return None  # too many indices: NumPy's error, from the general path
    return p


def _take_traced(a, ind, axis):
    """``numpy.take(a, ind, axis)`` for a traced integer array ``ind``, as the recorded gather
    primitive: jit replays it, vmap batches it, and it is differentiable in ``a``."""
    a = a if is_traced(a) else np.asarray(a)
    lead, trail = tuple(a.shape[:axis]), tuple(a.shape[axis + 1:])
    m = int(np.prod(ind.shape, dtype=np.int64))
    flat = reshape(ind, (1,) * len(lead) + (m,) + (1,) * len(trail))
    full = broadcast_to(flat, lead + (m,) + trail)
    out = S.take_along_axis_p(a, full, axis=axis)
    return reshape(out, lead + tuple(ind.shape) + trail)


def _check_batched_index(k):
    """A per-example (batched) index entry must hold integers: a mask would give each example
    its own result shape."""
    kind = np.dtype(k.dtype).kind
    if kind == "b":
        raise _shape_varies("indexing with a boolean mask that varies across a vmap batch",
                            "one element per True")
    if kind not in "iu":
        raise IndexError("arrays used as indices must be of integer (or boolean) type")


def _getitem_per_example(a, idx):
    """``a[idx]`` where some index entries vary across a vmap batch (each example has its own
    integer index). A constant ``a`` is indexed example by example; a traced one allows one
    such entry, among slices, None, Ellipsis and integers, and gathers with ``take_along``."""
    pos = [i for i, k in enumerate(idx) if is_batched(k)]
    for i in pos:
        _check_batched_index(idx[i])
    if not is_traced(a):
        a = np.asarray(a)
        rest = [None if i in pos else _concrete_tree(k) for i, k in enumerate(idx)]

        def pick(*ks):
            key = list(rest)
            for i, k in zip(pos, ks):
                key[i] = k
            return a[tuple(key)]

        return map_examples(pick, *[idx[i] for i in pos])
    static = [k if i in pos else _index_entry(k) for i, k in enumerate(idx)]
    others = [k for i, k in enumerate(static)
              if i not in pos and not (k is None or k is Ellipsis or isinstance(k, slice))
              and not (isinstance(k, numbers.Integral) and not isinstance(k, (bool, np.bool_)))]
    if len(pos) > 1 or others:
        raise UnsupportedError(
            "indexing a traced array with an index that varies across a vmap batch supports "
            "one such integer index among slices, None, Ellipsis and integers; got "
            f"{len(pos)} batched entries and {len(others)} other arrays or booleans. Use "
            "wnp.take_along_axis, or combine the indices into one."
        )
    (p,) = pos
    ind = idx[p]
    static[p] = slice(None)
    # The axis of ``a[static]`` the batched entry indexes: the dimensions made before it.
    consumed = sum(1 for k in static if k is not None and k is not Ellipsis)
    made = 0
    for k in static[:p]:
        if k is Ellipsis:
            made += a.ndim - consumed
        elif k is None or isinstance(k, slice):
            made += 1
    b = getitem(a, tuple(static))
    m = ind.ndim
    ind1 = reshape(ind, (1,)) if m == 0 else ind
    k = ind1.ndim
    b = reshape(b, b.shape[:made] + (1,) * (k - 1) + b.shape[made:])
    ind1 = reshape(ind1, (1,) * made + tuple(ind1.shape) + (1,) * (b.ndim - made - k))
    out = take_along(b, ind1, made + k - 1)
    if m == 0:
        out = reshape(out, out.shape[:made] + out.shape[made + 1:])
    # NumPy puts the indexed dimensions in front when integers are separated from the entry.
    adv = [i for i, k in enumerate(static) if i == p or (
        isinstance(k, numbers.Integral) and not isinstance(k, (bool, np.bool_)))]
    if adv != list(range(adv[0], adv[-1] + 1)) and made and m:
        out = moveaxis(out, tuple(range(made, made + m)), tuple(range(m)))
    return out


def take(a, indices, axis=None, out=None, mode="raise"):
    """Take elements along an axis (of the flattened array when ``axis`` is None).

    ``mode`` is "raise" (out-of-range indices raise; negative ones count from the end),
    "wrap" or "clip", as in NumPy.
    """
    if is_batched(indices):
        _check_batched_index(indices)
        if out is not None:
            raise _unsupported_out("take")
        if not is_traced(a):
            return map_examples(lambda i: np.take(a, i, axis=axis, mode=mode), indices)
        ind = indices
    else:
        if not is_traced(a):
            return np.take(a, _concrete(indices), axis=axis, out=out, mode=mode)
        if out is not None:
            raise _unsupported_out("take")
        ind = np.asarray(_concrete_tree(indices))
        if ind.size == 0 and ind.dtype.kind not in "iu":
            ind = ind.astype(np.intp)
        ind = ind.astype(np.intp, casting="safe") if ind.dtype.kind not in "iu" else ind
    if axis is None:
        a = ravel(a)
        axis = 0
    else:
        axis = normalize_axis_index(operator.index(axis), a.ndim)
    n = a.shape[axis]
    if mode in ("wrap", "clip"):
        if n == 0 and ind.size:
            raise IndexError("cannot do a non-empty take from an empty axes.")
        ind = map_examples(lambda i: i % n if mode == "wrap" else np.clip(i, 0, n - 1), ind,
                           elementwise=True)
    elif mode != "raise":
        raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    return getitem(a, _along(axis, ind))


def take_along_axis(arr, indices, axis=-1):
    """Take values by matching 1-D index and data slices along ``axis``.

    A traced integer ``indices`` (a jit argument, a per-example vmap index, an argsort) is an
    operand of the recorded gather primitive: differentiable in ``arr``, never in ``indices``.
    """
    if is_traced(indices) and np.dtype(indices.dtype).kind in "iu":
        return _take_along_traced(arr, indices, axis)
    if is_batched(indices):
        _check_batched_index(indices)
        if not is_traced(arr):
            return map_examples(lambda i: np.take_along_axis(arr, i, axis=axis), indices)
        if axis is None:
            if indices.ndim != 1:
                raise ValueError("when axis=None, `indices` must have a single dimension.")
            arr, axis = ravel(arr), 0
        if arr.ndim != indices.ndim:
            raise ValueError("`indices` and `arr` must have the same number of dimensions")
        return take_along(arr, indices, normalize_axis_index(operator.index(axis), arr.ndim))
    if not is_traced(arr):
        return np.take_along_axis(arr, _concrete(indices), axis=axis)
    ind = np.asarray(_concrete(indices))
    if not np.issubdtype(ind.dtype, np.integer):
        raise IndexError("`indices` must be an integer array")
    arr, axis = _along_axis(arr, ind.ndim, axis)
    ones = (1,) * ind.ndim
    fancy = []
    for dim, n in enumerate(arr.shape):
        if dim == axis:
            fancy.append(ind)
        else:
            fancy.append(np.arange(n).reshape(ones[:dim] + (-1,) + ones[dim + 1:]))
    return getitem(arr, tuple(fancy))


def _along_axis(arr, index_ndim: int, axis):
    """NumPy's checks of ``take_along_axis``; returns ``(arr, axis)`` (raveled for None)."""
    if axis is None:
        if index_ndim != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        arr, axis = ravel(arr), 0
    if arr.ndim != index_ndim:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    return arr, normalize_axis_index(operator.index(axis), arr.ndim)


def _take_along_traced(arr, indices, axis):
    arr = arr if is_traced(arr) else np.asarray(arr)
    arr, axis = _along_axis(arr, indices.ndim, axis)

    def lifted(shape):
        return tuple(1 if d == axis else n for d, n in enumerate(shape))

    common = list(np.broadcast_shapes(lifted(arr.shape), lifted(indices.shape)))
    common[axis] = arr.shape[axis]
    arr = broadcast_to(arr, tuple(common))
    common[axis] = indices.shape[axis]
    indices = broadcast_to(indices, tuple(common))
    return S.take_along_axis_p(arr, indices, axis=axis)


# --- joining -------------------------------------------------------------------------------------


def concatenate(arrays, /, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """Join a sequence of arrays along an existing axis (of the flattened arrays if None)."""
    arrays = list(arrays)
    if not _any_traced(arrays):
        return np.concatenate(arrays, axis=axis, out=out, dtype=dtype, casting=casting)
    if out is not None:
        raise _unsupported_out("concatenate")
    arrays = [_as_array(x) for x in arrays]
    if axis is None:
        arrays = [ravel(x) for x in arrays]
        axis = 0
    shapes = [tuple(x.shape) for x in arrays]
    if any(len(s) == 0 for s in shapes):
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    axis = normalize_axis_index(operator.index(axis), len(shapes[0]))
    # NumPy's own errors for mismatched shapes, on empty stand-ins (the axis set to 0).
    np.concatenate([_dummy(s[:axis] + (0,) + s[axis + 1:]) if len(s) > axis else _dummy(s)
                    for s in shapes], axis=axis)
    if dtype is None:
        dtype = np.result_type(*[x.dtype for x in arrays])
    else:
        dtype = np.dtype(dtype)
        for x in arrays:
            if not np.can_cast(x.dtype, dtype, casting):
                raise TypeError(
                    f"Cannot cast array data from {x.dtype!r} to {dtype!r} according to the "
                    f"rule {casting!r}"
                )
    arrays = [astype(x, dtype) for x in arrays]
    if len(arrays) == 1:
        return arrays[0]
    return S.concatenate_p(*arrays, axis=axis)


def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """Join a sequence of same-shaped arrays along a new axis."""
    arrays = list(arrays)
    if not _any_traced(arrays):
        return np.stack(arrays, axis=axis, out=out, dtype=dtype, casting=casting)
    if out is not None:
        raise _unsupported_out("stack")
    arrays = [_as_array(x) for x in arrays]
    if len({tuple(x.shape) for x in arrays}) != 1:
        raise ValueError("all input arrays must have the same shape")
    axis = normalize_axis_index(operator.index(axis), arrays[0].ndim + 1)
    return concatenate([expand_dims(x, axis) for x in arrays], axis=axis, dtype=dtype,
                       casting=casting)


def vstack(tup, *, dtype=None, casting="same_kind"):
    """Stack arrays vertically (row-wise), after making them at least 2-d."""
    tup = list(tup)
    if not _any_traced(tup):
        return np.vstack(tup, dtype=dtype, casting=casting)
    return concatenate([atleast_2d(x) for x in tup], axis=0, dtype=dtype, casting=casting)


row_stack = vstack


def hstack(tup, *, dtype=None, casting="same_kind"):
    """Stack arrays horizontally (column-wise): along axis 0 for 1-d inputs, else axis 1."""
    tup = list(tup)
    if not _any_traced(tup):
        return np.hstack(tup, dtype=dtype, casting=casting)
    arrs = [atleast_1d(x) for x in tup]
    axis = 0 if arrs and len(_shape(arrs[0])) == 1 else 1
    return concatenate(arrs, axis=axis, dtype=dtype, casting=casting)


def dstack(tup):
    """Stack arrays depth-wise (along the third axis), after making them at least 3-d."""
    tup = list(tup)
    if not _any_traced(tup):
        return np.dstack(tup)
    return concatenate([atleast_3d(x) for x in tup], axis=2)


def column_stack(tup):
    """Stack 1-d arrays as columns of a 2-d array (2-d inputs are stacked as they are)."""
    tup = list(tup)
    if not _any_traced(tup):
        return np.column_stack(tup)
    cols = []
    for v in tup:
        v = _as_array(v)
        if v.ndim < 2:
            v = reshape(v, (v.size, 1))
        cols.append(v)
    return concatenate(cols, axis=1)


def append(arr, values, axis=None):
    """Append ``values`` to the end of ``arr`` (both flattened when ``axis`` is None)."""
    if not (is_traced(arr) or is_traced(values)):
        return np.append(arr, values, axis=axis)
    arr = _as_array(arr)
    if axis is None:
        if arr.ndim != 1:
            arr = ravel(arr)
        values = ravel(values)
        axis = arr.ndim - 1
    return concatenate((arr, values), axis=axis)


# --- splitting -----------------------------------------------------------------------------------


def array_split(ary, indices_or_sections, axis=0):
    """Split an array into sub-arrays (sections need not divide the axis evenly); a list."""
    if not is_traced(ary):
        return np.array_split(ary, _concrete(indices_or_sections), axis)
    axis = normalize_axis_index(operator.index(axis), ary.ndim)
    total = ary.shape[axis]
    spec = _concrete(indices_or_sections)
    try:
        points = [0] + [operator.index(i) for i in spec] + [total]
    except TypeError:
        sections = int(spec)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.") from None
        each, extras = divmod(total, sections)
        sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
        points = np.cumsum(sizes).tolist()
    return [getitem(ary, _along(axis, slice(points[i], points[i + 1])))
            for i in range(len(points) - 1)]


def split(ary, indices_or_sections, axis=0):
    """Split an array into equal sections, or at the given indices; returns a list."""
    if not is_traced(ary):
        return np.split(ary, _concrete(indices_or_sections), axis)
    spec = _concrete(indices_or_sections)
    try:
        len(spec)
    except TypeError:
        if ary.shape[normalize_axis_index(operator.index(axis), ary.ndim)] % spec:
            raise ValueError("array split does not result in an equal division") from None
    return array_split(ary, spec, axis)


def hsplit(ary, indices_or_sections):
    """Split horizontally: along axis 1, or axis 0 for 1-d arrays."""
    if not is_traced(ary):
        return np.hsplit(ary, _concrete(indices_or_sections))
    if ary.ndim == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if ary.ndim > 1 else 0)


def vsplit(ary, indices_or_sections):
    """Split vertically (along axis 0) an array of 2 or more dimensions."""
    if not is_traced(ary):
        return np.vsplit(ary, _concrete(indices_or_sections))
    if ary.ndim < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


def dsplit(ary, indices_or_sections):
    """Split depth-wise (along axis 2) an array of 3 or more dimensions."""
    if not is_traced(ary):
        return np.dsplit(ary, _concrete(indices_or_sections))
    if ary.ndim < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


# --- repeating, flipping, rolling ----------------------------------------------------------------


def repeat(a, repeats, axis=None):
    """Repeat each element ``repeats`` times (an int, or one count per element) along ``axis``."""
    if not is_traced(a):
        return np.repeat(a, _concrete(repeats), axis)
    reps = np.asarray(_concrete(repeats))
    if axis is None:
        a = ravel(a)
        axis = 0
    else:
        axis = normalize_axis_index(operator.index(axis), a.ndim)
    n = a.shape[axis]
    index = np.repeat(np.arange(n), reps)  # NumPy's checks of repeats (dtype, sign, length)
    if reps.size != 1:
        return _take_axis(a, index, axis)
    r = int(reps.reshape(()))
    if r == 1:
        return a
    # One count for all: a broadcast, whose derivative is a plain sum.
    shape = a.shape
    b = broadcast_to(expand_dims(a, axis + 1), shape[:axis + 1] + (r,) + shape[axis + 1:])
    return reshape(b, shape[:axis] + (n * r,) + shape[axis + 1:])


def tile(A, reps):
    """Repeat the whole array ``reps`` times along each axis."""
    if not is_traced(A):
        return np.tile(A, reps)
    try:
        tup = tuple(operator.index(r) for r in reps)
    except TypeError:
        tup = (operator.index(reps),)
    d = len(tup)
    c = A if A.ndim >= d else reshape(A, (1,) * (d - A.ndim) + A.shape)
    tup = (1,) * (c.ndim - d) + tup
    if any(r < 0 for r in tup):
        raise ValueError("negative dimensions are not allowed")
    if all(r == 1 for r in tup):
        return c
    # (s0, s1) -> (1, s0, 1, s1) -> broadcast (r0, s0, r1, s1) -> (r0*s0, r1*s1).
    inter = sum(((1, s) for s in c.shape), ())
    big = sum(((r, s) for r, s in zip(tup, c.shape)), ())
    b = broadcast_to(reshape(c, inter), big)
    return reshape(b, tuple(r * s for r, s in zip(tup, c.shape)))


def flip(m, axis=None):
    """Reverse the order of elements along the given axes (all of them by default)."""
    if not is_traced(m):
        return np.flip(m, axis)
    axes = range(m.ndim) if axis is None else normalize_axis_tuple(axis, m.ndim)
    key = tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(m.ndim))
    return getitem(m, key) if axes else m


def fliplr(m):
    """Reverse the order of elements along axis 1 (left/right)."""
    if not is_traced(m):
        return np.fliplr(m)
    if m.ndim < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


def flipud(m):
    """Reverse the order of elements along axis 0 (up/down)."""
    if not is_traced(m):
        return np.flipud(m)
    if m.ndim < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


def rot90(m, k=1, axes=(0, 1)):
    """Rotate an array by 90 degrees ``k`` times in the plane of ``axes``."""
    if not is_traced(m):
        return np.rot90(m, k, axes)
    np.rot90(_dummy(m.shape), k, axes)  # NumPy's checks of axes
    axes = tuple(axes)
    k = operator.index(k) % 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, axes[0]), axes[1])
    perm = list(range(m.ndim))
    a0 = normalize_axis_index(axes[0], m.ndim)
    a1 = normalize_axis_index(axes[1], m.ndim)
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return transpose(flip(m, axes[1]), perm)
    return flip(transpose(m, perm), axes[1])


def roll(a, shift, axis=None):
    """Roll elements along the given axes; those that leave one end re-enter at the other."""
    if not is_traced(a):
        return np.roll(a, _concrete(shift), axis)
    shift = _concrete(shift)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.shape)
    axes = normalize_axis_tuple(axis, a.ndim, allow_duplicate=True)
    pairs = np.broadcast(np.asarray(shift), np.asarray(axes))
    if pairs.ndim > 1:
        raise ValueError("'shift' and 'axis' should be scalars or 1D sequences")
    shifts = dict.fromkeys(range(a.ndim), 0)
    for sh, ax in pairs:
        shifts[int(ax)] += int(sh)
    for ax, sh in shifts.items():
        n = a.shape[ax]
        if n and sh % n:
            s = sh % n
            a = concatenate([getitem(a, _along(ax, slice(n - s, None))),
                             getitem(a, _along(ax, slice(None, n - s)))], axis=ax)
    return a


# --- padding -------------------------------------------------------------------------------------

_PAD_KWARGS = {
    "constant": ("constant_values",), "empty": (), "edge": (), "wrap": (),
    "linear_ramp": ("end_values",), "maximum": ("stat_length",), "mean": ("stat_length",),
    "median": ("stat_length",), "minimum": ("stat_length",), "reflect": ("reflect_type",),
    "symmetric": ("reflect_type",),
}


def _pairs(x, ndim, as_index):
    """NumPy's pad-argument broadcasting: a scalar, a (before, after) pair or one per axis."""
    if x is None:
        return ((None, None),) * ndim
    x = np.asarray(x)
    if as_index:
        x = np.round(x).astype(np.intp, copy=False)
    if x.ndim < 3:
        if x.size == 1:
            x = x.ravel()
            if as_index and x[0] < 0:
                raise ValueError("index can't contain negative values")
            return ((x[0].item(), x[0].item()),) * ndim
        if x.size == 2 and x.shape != (2, 1):
            x = x.ravel()
            if as_index and (x[0] < 0 or x[1] < 0):
                raise ValueError("index can't contain negative values")
            return ((x[0].item(), x[1].item()),) * ndim
    if as_index and x.size and x.min() < 0:
        raise ValueError("index can't contain negative values")
    return tuple(tuple(p) for p in np.broadcast_to(x, (ndim, 2)).tolist())


def _traced_pairs(v, ndim):
    """Per-axis (before, after) values from a traced scalar or array of values."""
    b = broadcast_to(v, (ndim, 2)) if v.ndim else v
    return [[(getitem(b, (i, j)) if b.ndim else b) for j in (0, 1)] for i in range(ndim)]


def _shape_with(shape, axis, n):
    return shape[:axis] + (n,) + shape[axis + 1:]


def _pad_constant(x, width, values):
    out = S.pad_p(x, pad_width=width) if is_traced(x) else np.pad(x, width)
    if not is_traced(values):
        if np.any(np.asarray(values) != 0):
            # The constant border, exactly as NumPy fills it (later axes own the corners).
            out = out + np.pad(np.zeros(x.shape, x.dtype), width, constant_values=values)
        return out
    # A traced border value: mark which (axis, side) owns each border cell, then add
    # value * mask per (axis, side) so that the values receive their derivatives.
    codes = [[2 * i + 1, 2 * i + 2] for i in range(x.ndim)]
    owner = np.pad(np.zeros(x.shape, np.intp), width, constant_values=codes)
    # NumPy casts the border values to the array's dtype.
    vdtype = x.dtype if x.dtype.kind in "fc" else np.result_type(values.dtype, x.dtype)
    vals = _traced_pairs(astype(values, vdtype), x.ndim)
    for i in range(x.ndim):
        for j in (0, 1):
            if width[i][j]:
                out = out + vals[i][j] * (owner == codes[i][j]).astype(x.dtype)
    return out


def _pad_odd(x, axis, lo, hi, mode):
    # Odd reflection is linear but not a selection: each border value is an integer
    # combination of a few entries. Read the combination off NumPy padding the identity.
    n = x.shape[axis]
    m = np.pad(np.eye(n), ((lo, hi), (0, 0)), mode=mode, reflect_type="odd")
    nonzero = m != 0
    cols = np.argsort(~nonzero, axis=1, kind="stable")[:, :int(nonzero.sum(1).max())]
    coefs = np.take_along_axis(m, cols, axis=1)
    bshape = _shape_with((1,) * x.ndim, axis, n + lo + hi)
    out = None
    for t in range(cols.shape[1]):
        term = getitem(x, _along(axis, cols[:, t])) * coefs[:, t].reshape(bshape).astype(x.dtype)
        out = term if out is None else out + term
    return out


def _pad_ramp(x, axis, lo, hi, ev):
    # NumPy's ramp is linspace(end, edge, width, endpoint=False): end + (edge - end) * k / width.
    n = x.shape[axis]
    parts = []
    for side, w in ((0, lo), (1, hi)):
        if not w:
            parts.append(None)
            continue
        edge = getitem(x, _along(axis, slice(0, 1) if side == 0 else slice(n - 1, n)))
        frac = np.arange(w) / w
        if side == 1:
            frac = frac[::-1]
        frac = frac.astype(x.dtype).reshape(_shape_with((1,) * x.ndim, axis, w))
        end = ev[side]
        parts.append(edge * frac if _is_zero(end) else end + (edge - end) * frac)
    pieces = [p for p in (parts[0], x, parts[1]) if p is not None]
    return concatenate(pieces, axis=axis) if len(pieces) > 1 else x


def _is_zero(v):
    return not is_traced(v) and np.all(np.asarray(v) == 0)


def _pad_stat(x, axis, lo, hi, lengths, mode):
    import wengert.numpy as wnp

    func = getattr(wnp, {"maximum": "max", "minimum": "min"}.get(mode, mode), None)
    if func is None:
        raise UnsupportedError(
            f"pad: mode {mode!r} needs wengert.numpy.{mode}, which is not available; pad "
            "with another mode or compute the border values yourself."
        )
    n = x.shape[axis]
    left, right = (n if v is None or v > n else v for v in lengths)
    if (left == 0 or right == 0) and mode in ("maximum", "minimum"):
        raise ValueError("stat_length of 0 yields no value for padding")
    lstat = func(getitem(x, _along(axis, slice(0, left))), axis=axis, keepdims=True)
    if left == right == n:
        rstat = lstat
    else:
        rstat = func(getitem(x, _along(axis, slice(n - right, n))), axis=axis, keepdims=True)
    pieces = []
    if lo:
        pieces.append(broadcast_to(lstat, _shape_with(x.shape, axis, lo)))
    pieces.append(x)
    if hi:
        pieces.append(broadcast_to(rstat, _shape_with(x.shape, axis, hi)))
    return concatenate(pieces, axis=axis) if len(pieces) > 1 else x


def pad(array, pad_width, mode="constant", **kwargs):
    """Pad an array, with every mode of ``numpy.pad`` but a callable one.

    "constant" (``constant_values`` may be traced) and "empty" (zeros) use the ``pad``
    primitive; "edge", "wrap", "reflect" and "symmetric" select existing entries, so they are
    slices and concatenations; odd reflection, "linear_ramp", "mean", "maximum", "minimum" and
    "median" are composed per axis, in NumPy's order (later axes pad the corners). The border
    of "maximum"/"minimum" follows max/min's tie rule.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wnp.pad(np.array([1.0, 2.0, 3.0]), (2, 1), mode="reflect")
    array([3., 2., 1., 2., 3., 2.])
    >>> wg.grad(lambda x: wnp.sum(wnp.pad(x, (2, 1), mode="reflect")))(np.array([1.0, 2.0, 3.0]))
    array([1., 3., 2.])
    """
    if not (is_traced(array) or _any_traced(kwargs.values())):
        return np.pad(array, _concrete(pad_width), mode, **kwargs)
    if callable(mode):
        raise UnsupportedError(
            "pad: a callable mode cannot be applied to a traced array; use one of the named "
            "modes, or build the border with wengert.numpy.concatenate."
        )
    if mode not in _PAD_KWARGS:
        raise ValueError(f"mode '{mode}' is not supported")
    unsupported = set(kwargs) - set(_PAD_KWARGS[mode])
    if unsupported:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {unsupported}")
    x = _as_array(array)
    pw = np.asarray(_concrete(pad_width))
    if pw.dtype.kind not in "iu":
        raise TypeError("`pad_width` must be of integral type.")
    width = tuple((int(lo), int(hi)) for lo, hi in _pairs(pw, x.ndim, as_index=True))
    if not any(lo or hi for lo, hi in width):
        return x
    if mode == "constant":
        return _pad_constant(x, width, kwargs.get("constant_values", 0))
    if mode == "empty":
        return _pad_constant(x, width, 0)
    for axis, (lo, hi) in enumerate(width):
        if x.shape[axis] == 0 and (lo or hi):
            raise ValueError(
                f"can't extend empty axis {axis} using modes other than 'constant' or 'empty'"
            )
    if mode == "linear_ramp":
        ev = kwargs.get("end_values", 0)
        shape0 = x.shape
        if is_traced(ev):
            ends = _traced_pairs(ev, x.ndim)
        else:
            # The ramp is linear in (x, end values): ramp x towards 0, add NumPy's ramp of 0s.
            ends = [(0, 0)] * x.ndim
        for axis, (lo, hi) in enumerate(width):
            x = _pad_ramp(x, axis, lo, hi, ends[axis])
        if not is_traced(ev) and not _is_zero(ev):
            x = x + np.pad(np.zeros(shape0, x.dtype), width, "linear_ramp", end_values=ev)
        return x
    if mode in ("maximum", "minimum", "mean", "median"):
        lengths = _pairs(kwargs.get("stat_length"), x.ndim, as_index=True)
        for axis, (lo, hi) in enumerate(width):
            if lo or hi:
                x = _pad_stat(x, axis, lo, hi, lengths[axis], mode)
        return x
    odd = mode in ("reflect", "symmetric") and kwargs.get("reflect_type", "even") == "odd"
    for axis, (lo, hi) in enumerate(width):
        if not (lo or hi):
            continue
        n = x.shape[axis]
        if odd and n > 1:
            x = _pad_odd(x, axis, lo, hi, mode)
        else:
            # These modes copy entries: pad the positions 0..n-1 and select them.
            x = _take_axis(x, np.pad(np.arange(n), (lo, hi), mode=mode), axis)
    return x


# --- diagonals and triangles ---------------------------------------------------------------------


def diagonal(a, offset=0, axis1=0, axis2=1):
    """Return the diagonal at ``offset`` of the (axis1, axis2) planes, as the last axis."""
    if not is_traced(a):
        return np.diagonal(a, offset, axis1, axis2)
    n = np.diagonal(_dummy(a.shape), offset, axis1, axis2).shape[-1]  # NumPy's checks
    offset = operator.index(offset)
    i = normalize_axis_index(operator.index(axis1), a.ndim)
    j = normalize_axis_index(operator.index(axis2), a.ndim)
    b = moveaxis(a, (i, j), (-2, -1))
    rows, cols = b.shape[-2:]
    # Element (r, r + offset) of a row-major plane sits at r * (cols + 1) + offset: a strided
    # slice of the flattened plane, so the derivative needs no scatter-add.
    flat = reshape(b, b.shape[:-2] + (rows * cols,))
    if n == 0:
        return getitem(flat, (Ellipsis, slice(0, 0)))
    start = max(-offset, 0) * cols + max(offset, 0)
    return getitem(flat, (Ellipsis, slice(start, start + (n - 1) * (cols + 1) + 1, cols + 1)))


def diag(v, k=0):
    """Extract the k-th diagonal of a 2-d array, or build a 2-d array with 1-d ``v`` on it.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.jvp(lambda v: wnp.diag(v, 1), (np.array([1.0, 2.0]),), (np.ones(2),))[1]
    array([[0., 1., 0.],
           [0., 0., 1.],
           [0., 0., 0.]])
    """
    if not is_traced(v):
        return np.diag(v, k)
    k = operator.index(k)
    if v.ndim == 1:
        m = v.shape[0]
        n = m + abs(k)
        rows = np.arange(m) + max(-k, 0)
        cols = np.arange(m) + max(k, 0)
        return S.index_add_p(v, idx=(rows, cols), shape=(n, n))
    if v.ndim == 2:
        return diagonal(v, k)
    raise ValueError("Input must be 1- or 2-d.")


def diagflat(v, k=0):
    """Build a 2-d array with the flattened input on its k-th diagonal."""
    if not is_traced(v):
        return np.diagflat(v, k)
    return diag(ravel(v), k)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """Sum along the diagonal at ``offset`` of the (axis1, axis2) planes."""
    if not is_traced(a):
        return np.trace(a, offset, axis1, axis2, dtype=dtype, out=out)
    if out is not None:
        raise _unsupported_out("trace")
    from ._reduce import sum as _sum  # _reduce imports this module

    return _sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


def tril(m, k=0):
    """Lower triangle (on and below the k-th diagonal) of the last two axes; zeros above."""
    if not is_traced(m):
        return np.tril(m, k)
    mask = np.tri(*m.shape[-2:], k=k, dtype=bool)
    return where(mask, m, np.zeros(1, m.dtype))


def triu(m, k=0):
    """Upper triangle (on and above the k-th diagonal) of the last two axes; zeros below."""
    if not is_traced(m):
        return np.triu(m, k)
    mask = np.tri(*m.shape[-2:], k=k - 1, dtype=bool)
    return where(mask, np.zeros(1, m.dtype), m)


# --- choosing ------------------------------------------------------------------------------------


def select(condlist, choicelist, default=0):
    """Return, element by element, the choice of the first true condition, else ``default``.

    Built from ``where``: every choice and ``default`` are differentiable where chosen, and a
    NaN in a choice that is not chosen does not reach the derivative.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> f = lambda x: wnp.sum(wnp.select([x > 1, x > 0], [x**2, 3 * x], default=-x))
    >>> wg.grad(f)(np.array([-1.0, 0.5, 4.0]))
    array([-1.,  3.,  8.])
    """
    condlist = list(condlist)
    choicelist = list(choicelist)
    if not (_any_traced(choicelist) or is_traced(default)):
        # Constant choices: the selection is read from the conditions' values, per example.
        k = len(condlist)
        return map_examples(lambda *v: np.select(list(v[:k]), list(v[k:-1]), v[-1]),
                            *condlist, *choicelist, default, elementwise=True)
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    conds = [c if is_batched(c) else np.asarray(_concrete(c)) for c in condlist]
    for i, c in enumerate(conds):
        if c.dtype.type is not np.bool_:
            raise TypeError(f"invalid entry {i} in condlist: should be boolean ndarray")
    # As in NumPy, Python numbers stay weak in the result dtype; everything else is an array.
    choices = [c if type(c) in (int, float, complex) else _as_array(c)
               for c in [*choicelist, default]]
    dtype = np.result_type(*[c if type(c) in (int, float, complex) else c.dtype
                             for c in choices])
    shape = np.broadcast_shapes(*[c.shape for c in conds], *[np.shape(c) for c in choices])
    default = choices.pop()
    out = default
    for cond, choice in zip(reversed(conds), reversed(choices)):
        out = where(cond, choice, out)
    return broadcast_to(astype(out, dtype), shape)


# --- r_ and c_ -----------------------------------------------------------------------------------


class _AxisConcatenator:
    """``r_``/``c_``: concatenate slices, scalars and arrays along an axis, traced or not.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.grad(lambda x: wnp.sum(wnp.r_[x, 0:3] ** 2))(np.array([1.0, 2.0]))
    array([2., 4.])
    >>> wnp.c_[np.array([1.0, 2.0]), np.array([3.0, 4.0])]
    array([[1., 3.],
           [2., 4.]])
    """

    __slots__ = ("_np", "axis", "ndmin", "trans1d")

    def __init__(self, np_obj, axis, ndmin, trans1d):
        self._np = np_obj
        self.axis = axis
        self.ndmin = ndmin
        self.trans1d = trans1d

    def __len__(self):
        return 0

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        if not _any_traced(items):
            return self._np[key]
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        objs = []
        dtypes = []
        for k, item in enumerate(items):
            if isinstance(item, slice):
                start = 0 if item.start is None else item.start
                step = 1 if item.step is None else item.step
                if isinstance(step, (complex, np.complexfloating)):
                    obj = np.linspace(start, item.stop, num=int(abs(step)))
                else:
                    obj = np.arange(start, item.stop, step)
                if ndmin > 1:
                    obj = np.array(obj, copy=None, ndmin=ndmin)
                    if trans1d != -1:
                        obj = obj.swapaxes(-1, trans1d)
                dtypes.append(obj.dtype)
            elif isinstance(item, str):
                if k != 0:
                    raise ValueError("special directives must be the first entry.")
                if item in ("r", "c"):
                    raise UnsupportedError(
                        "r_/c_: the matrix directives 'r' and 'c' cannot hold traced arrays; "
                        "use wengert.numpy arrays without the directive."
                    )
                try:
                    vec = [int(v) for v in item.split(",")]
                except ValueError as e:
                    raise ValueError(f"unknown special directive {item!r}") from e
                axis = vec[0]
                if len(vec) > 1:
                    ndmin = vec[1]
                if len(vec) > 2:
                    trans1d = vec[2]
                continue
            elif type(item) in np.ScalarType:
                obj = np.array(item, ndmin=ndmin)
                dtypes.append(item)
            else:
                obj = _ndmin(_as_array(item), ndmin, trans1d)
                dtypes.append(obj.dtype)
            objs.append(obj)
        dtype = np.result_type(*dtypes)
        objs = [astype(_ndmin(_as_array(o), ndmin, -1), dtype) for o in objs]
        return concatenate(objs, axis=axis)


def _ndmin(x, ndmin, trans1d):
    """``np.array(x, ndmin=ndmin)`` (ones in front), then NumPy's ``trans1d`` transpose."""
    nd = x.ndim
    if nd >= ndmin:
        return x
    x = reshape(x, (1,) * (ndmin - nd) + tuple(x.shape))
    if trans1d != -1:
        k2 = ndmin - nd
        k1 = trans1d + k2 + 1 if trans1d < 0 else trans1d
        axes = list(range(ndmin))
        x = transpose(x, axes[:k1] + axes[k2:] + axes[k1:k2])
    return x


r_ = _AxisConcatenator(np.r_, 0, 1, -1)
"""``wnp.r_[a, b, 0:3]``: concatenation along the first axis; slices give ``arange`` constants."""
c_ = _AxisConcatenator(np.c_, -1, 2, 0)
"""``wnp.c_[a, b]``: 1-d inputs become columns, joined along the last axis."""
