"""Array construction and introspection in ``wengert.numpy``.

Constructors return plain NumPy arrays (constants, with no derivative), except where the result
is built from traced values: ``array``/``asarray`` of (nested lists of) traced values stacks
them, ``full``/``full_like`` with a traced fill value broadcasts it, and ``linspace``,
``logspace``, ``geomspace`` and ``meshgrid`` with traced endpoints or coordinates are composed
from differentiable functions. Shape-like arguments (sizes, counts, ``k``) are always used as
concrete values. Introspection (``isscalar``, ``iscomplexobj``, ``can_cast``, ...) answers from
the shape and dtype and never records anything. ``zeros_like``, ``ones_like``, ``ndim``,
``shape``, ``size`` and ``result_type`` live in ``_core``.
Imports: core, primitives (the lazy ``wnp``), ``_core``, NumPy.
"""

from __future__ import annotations

import numbers
import operator

import numpy as np

from ..core.tracer import Tracer
from ..primitives.batching import anywhere, map_examples
from ..primitives.registry import wnp  # lazy: keeps _shape out of this import
from ._core import _concrete, _dtype_arg, _dtype_of, _shape, astype, is_traced, log10, power, where

__all__ = [
    "arange",
    "array",
    "asanyarray",
    "asarray",
    "ascontiguousarray",
    "can_cast",
    "copy",
    "diag_indices",
    "empty",
    "empty_like",
    "eye",
    "full",
    "full_like",
    "geomspace",
    "identity",
    "indices",
    "iscomplex",
    "iscomplexobj",
    "isreal",
    "isrealobj",
    "isscalar",
    "linspace",
    "logspace",
    "meshgrid",
    "ones",
    "promote_types",
    "tri",
    "tril_indices",
    "triu_indices",
    "zeros",
]


# --- arrays from data ------------------------------------------------------------------------


def _contains_traced(obj) -> bool:
    if isinstance(obj, Tracer):
        return True
    if isinstance(obj, (list, tuple)):
        return any(_contains_traced(v) for v in obj)
    return False


def _leaf_dtypes(obj, out: list) -> None:
    # In array construction NumPy gives Python scalars their default dtype (float -> float64),
    # unlike binary operators where they are weak.
    if isinstance(obj, (list, tuple)):
        for v in obj:
            _leaf_dtypes(v, out)
    elif isinstance(obj, (Tracer, np.ndarray, np.generic)):
        out.append(obj.dtype)
    else:
        out.append(np.asarray(obj).dtype)


def _build(obj, dtype):
    """Nested sequences holding traced values, as one traced array of ``dtype``."""
    if isinstance(obj, Tracer):
        return astype(obj, dtype)
    if not isinstance(obj, (list, tuple)):
        return np.asarray(obj, dtype=dtype)
    if not obj:
        return np.empty((0,), dtype)
    parts = [_build(v, dtype) for v in obj]
    shapes = {tuple(_shape(p)) for p in parts}
    if len(shapes) > 1:
        raise ValueError(
            "setting an array element with a sequence: the elements have inhomogeneous shapes "
            f"{sorted(shapes)}. Make every element the same shape (wnp.broadcast_to can help)."
        )
    if not any(is_traced(p) for p in parts):
        return np.stack(parts)
    return wnp.stack(parts)


def _from_data(obj, dtype, ndmin, name):
    if dtype is not None:
        dtype = np.dtype(dtype)
    else:
        dts: list = []
        _leaf_dtypes(obj, dts)
        dtype = np.result_type(*dts)
    out = _build(obj, dtype)
    if ndmin and len(_shape(out)) < ndmin:
        out = wnp.reshape(out, (1,) * (ndmin - len(_shape(out))) + tuple(_shape(out)))
    return out


def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0, like=None):
    """Create an array; differentiable when ``object`` holds traced values.

    A traced ``object`` is returned as it is (cast to ``dtype`` if given): traced values are
    never mutated, so no copy is needed. Nested lists and tuples that contain traced values are
    stacked, so derivatives flow to every traced element; the dtype is NumPy's for the same
    data (Python floats count as float64). Anything else is ``numpy.array``.

    Examples
    --------
    >>> import wengert as wg, wengert.numpy as wnp
    >>> g = wg.grad(lambda x, y: wnp.sum(wnp.array([x * y, x, 2.0]) ** 2), argnums=(0, 1))
    >>> [float(v) for v in g(1.0, 2.0)]
    [10.0, 4.0]
    """
    if not _contains_traced(object):
        kw = {} if like is None else {"like": like}
        return np.array(object, dtype=dtype, copy=copy, order=order, subok=subok, ndmin=ndmin,
                        **kw)
    return _from_data(object, dtype, ndmin, "array")


def asarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """Convert the input to an array; traced values (and lists of them) stay traced."""
    if not _contains_traced(a):
        kw = {} if like is None else {"like": like}
        if device is not None:
            kw["device"] = device
        return np.asarray(a, dtype=dtype, order=order, copy=copy, **kw)
    return _from_data(a, dtype, 0, "asarray")


def asanyarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """Like ``asarray`` (traced values are returned as they are)."""
    if not _contains_traced(a):
        kw = {} if like is None else {"like": like}
        if device is not None:
            kw["device"] = device
        return np.asanyarray(a, dtype=dtype, order=order, copy=copy, **kw)
    return _from_data(a, dtype, 0, "asanyarray")


def ascontiguousarray(a, dtype=None, *, like=None):
    """Return an array of at least one dimension (layout is irrelevant for traced values)."""
    if not _contains_traced(a):
        kw = {} if like is None else {"like": like}
        return np.ascontiguousarray(a, dtype=dtype, **kw)
    return _from_data(a, dtype, 1, "ascontiguousarray")


def copy(a, order="K", subok=False):
    """Return an array copy; a traced value is returned as it is, since it is never mutated."""
    if not _contains_traced(a):
        return np.copy(a, order=order, subok=subok)
    return _from_data(a, None, 0, "copy")


# --- constant arrays -------------------------------------------------------------------------


def _static(x):
    """A shape-like or count argument as a plain value (a traced integer gives its value)."""
    if isinstance(x, (list, tuple)):
        return type(x)(_static(v) for v in x)
    return _concrete(x)


def zeros(shape, dtype=float, order="C", *, device=None, like=None):
    """Return a new array of the given shape filled with zeros (a constant)."""
    return np.zeros(_static(shape), dtype=dtype, order=order)


def ones(shape, dtype=None, order="C", *, device=None, like=None):
    """Return a new array of the given shape filled with ones (a constant)."""
    return np.ones(_static(shape), dtype=dtype, order=order)


def empty(shape, dtype=float, order="C", *, device=None, like=None):
    """Return a new, uninitialised array of the given shape (a constant)."""
    return np.empty(_static(shape), dtype=dtype, order=order)


def full(shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    """Return an array of the given shape filled with ``fill_value``.

    A traced ``fill_value`` is broadcast, so its derivative is the sum of the output's.
    """
    shape = _static(shape)
    if not is_traced(fill_value):
        return np.full(shape, fill_value, dtype=dtype, order=order)
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    if dtype is not None:
        fill_value = astype(fill_value, dtype)
    return wnp.broadcast_to(fill_value, shape)


def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """Return an array with the shape and dtype of ``a`` filled with ``fill_value``.

    ``a`` only contributes its shape and dtype; a traced ``fill_value`` is broadcast.
    """
    if not (is_traced(a) or is_traced(fill_value)):
        return np.full_like(a, fill_value, dtype=dtype, order=order, subok=subok, shape=shape)
    shape = tuple(_shape(a)) if shape is None else _static(shape)
    dtype = _dtype_of(a) if dtype is None else np.dtype(dtype)
    if not is_traced(fill_value):
        return np.full(shape, fill_value, dtype=dtype)
    return full(shape, fill_value, dtype=dtype)


def empty_like(prototype, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """Return a new, uninitialised array with the shape and dtype of ``prototype``."""
    if not is_traced(prototype):
        return np.empty_like(prototype, dtype=dtype, order=order, subok=subok,
                             shape=_static(shape))
    shape = tuple(_shape(prototype)) if shape is None else _static(shape)
    return np.empty(shape, dtype=_dtype_of(prototype) if dtype is None else dtype)


def eye(N, M=None, k=0, dtype=float, order="C", *, device=None, like=None):
    """Return a 2-D array with ones on the k-th diagonal and zeros elsewhere."""
    return np.eye(_static(N), _static(M), _static(k), dtype=dtype, order=order)


def identity(n, dtype=None, *, like=None):
    """Return the identity array of size ``n``."""
    return np.identity(_static(n), dtype=dtype)


def tri(N, M=None, k=0, dtype=float, *, like=None):
    """An array with ones at and below the k-th diagonal and zeros elsewhere."""
    return np.tri(_static(N), _static(M), _static(k), dtype=dtype)


def indices(dimensions, dtype=int, sparse=False):
    """Return an array representing the indices of a grid."""
    return np.indices(_static(dimensions), dtype=dtype, sparse=sparse)


def diag_indices(n, ndim=2):
    """Return the indices to access the main diagonal of an array."""
    return np.diag_indices(_static(n), _static(ndim))


def tril_indices(n, k=0, m=None):
    """Return the indices for the lower triangle of an (n, m) array."""
    return np.tril_indices(_static(n), _static(k), _static(m))


def triu_indices(n, k=0, m=None):
    """Return the indices for the upper triangle of an (n, m) array."""
    return np.triu_indices(_static(n), _static(k), _static(m))


def arange(*args, dtype=None, device=None, like=None, **kwargs):
    """Evenly spaced values within an interval (a constant: traced bounds give their values)."""
    args = [_concrete(a) for a in args]
    kwargs = {k: _concrete(v) for k, v in kwargs.items()}
    return np.arange(*args, dtype=dtype, **kwargs)


# --- grids from endpoints --------------------------------------------------------------------


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """Return ``num`` evenly spaced samples over [start, stop].

    Differentiable in traced ``start`` and ``stop``: sample i is ``start + i * step`` with
    ``step = (stop - start) / div``, in the order NumPy computes it, and with ``endpoint`` the
    last sample is ``stop`` itself (so its derivative is 1 for stop and 0 for start).

    Examples
    --------
    >>> import wengert as wg, wengert.numpy as wnp
    >>> float(wg.grad(lambda a: wnp.sum(wnp.linspace(a, 1.0, 5)))(0.0))
    2.5
    """
    num = operator.index(_static(num))
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    traced = is_traced(start) or is_traced(stop)
    if not traced or (dtype is not None and np.dtype(dtype).kind not in "fc"):
        return np.linspace(_concrete(start), _concrete(stop), num, endpoint=endpoint,
                           retstep=retstep, dtype=dtype, axis=axis)
    ct = np.result_type(_dtype_arg(start), _dtype_arg(stop), float(num))
    start = astype(start, ct)
    stop = astype(stop, ct)
    div = (num - 1) if endpoint else num
    delta = stop - start
    bshape = tuple(np.broadcast_shapes(_shape(start), _shape(stop)))
    steps = np.arange(0, num, dtype=ct).reshape((-1,) + (1,) * len(bshape))
    if div > 0:
        step = delta / div
        y = steps * step + start
    else:
        step = np.nan
        y = steps * delta + start
    y = wnp.broadcast_to(y, (num,) + bshape)
    if endpoint and num > 1:
        y = where(_at(num - 1, num, len(bshape)), stop, y)
    if axis != 0:
        y = wnp.moveaxis(y, 0, axis)
    if dtype is not None:
        y = astype(y, dtype)
    return (y, step) if retstep else y


def _at(i, num, nd):
    """A mask of shape (num, 1, ..., 1) that is True at position i of the first axis."""
    return (np.arange(num) == i).reshape((num,) + (1,) * nd)


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """Return numbers spaced evenly on a log scale: ``base ** linspace(start, stop)``.

    Differentiable in traced ``start``, ``stop`` and ``base``.
    """
    if not (is_traced(start) or is_traced(stop) or is_traced(base)):
        return np.logspace(start, stop, num=num, endpoint=endpoint, base=base, dtype=dtype,
                           axis=axis)
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    if not is_traced(base):
        # A constant base of the samples' dtype keeps float32 derivatives float32.
        base = np.asarray(base, dtype=np.result_type(_dtype_arg(base), y.dtype))
    if axis != 0 and len(_shape(base)) > 0:
        base = wnp.reshape(base, _expand_shape(_shape(base), axis, len(_shape(y))))
    out = power(base, y)
    return out if dtype is None else astype(out, dtype)


def _expand_shape(shape, axis, ndim):
    shape = list(shape)
    shape.insert(axis % ndim, 1)
    return tuple(shape)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """Return numbers spaced evenly on a log scale, from ``start`` to ``stop`` (a geometric
    progression).

    Differentiable in traced ``start`` and ``stop`` (real, nonzero, of one sign, as NumPy
    requires for a real result); the end points are exactly ``start`` and ``stop``.
    """
    if not (is_traced(start) or is_traced(stop)):
        return np.geomspace(start, stop, num=num, endpoint=endpoint, dtype=dtype, axis=axis)
    num = operator.index(_static(num))
    if anywhere(map_examples(lambda v: v == 0, start, elementwise=True)) or anywhere(
            map_examples(lambda v: v == 0, stop, elementwise=True)):
        raise ValueError("Geometric sequence cannot include zero")
    # As in NumPy, the computation runs in float64 (or ``dtype``) even for float32 input.
    ct = np.result_type(_dtype_arg(start), _dtype_arg(stop), float(num),
                        np.float64 if dtype is None else np.dtype(dtype))
    # The sign of each example's start (a constant per example, under vmap too).
    sign = astype(map_examples(np.sign, start, elementwise=True), ct)
    a = astype(start, ct) * sign
    b = astype(stop, ct) * sign
    y = logspace(log10(a), log10(b), num=num, endpoint=endpoint, base=10.0)
    nd = len(_shape(y)) - 1
    if num > 0:
        y = where(_at(0, num, nd), a, y)
    if endpoint and num > 1:
        y = where(_at(num - 1, num, nd), b, y)
    y = y * sign
    if axis != 0:
        y = wnp.moveaxis(y, 0, axis)
    return y if dtype is None else astype(y, dtype)


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Return coordinate matrices from coordinate vectors; differentiable in traced vectors.

    Each output broadcasts one input, so its derivative sums the output's over the other axes.
    """
    if not any(is_traced(x) for x in xi):
        return np.meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing)
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    ndim = len(xi)
    vecs = [wnp.reshape(x, (-1,)) if is_traced(x) else np.ravel(x) for x in xi]
    shapes = [(1,) * i + (-1,) + (1,) * (ndim - i - 1) for i in range(ndim)]
    if indexing == "xy" and ndim > 1:
        shapes[0] = (1, -1) + (1,) * (ndim - 2)
        shapes[1] = (-1, 1) + (1,) * (ndim - 2)
    out = [wnp.reshape(v, s) if is_traced(v) else np.reshape(v, s) for v, s in zip(vecs, shapes)]
    if sparse:
        return tuple(out)
    full_shape = tuple(np.broadcast_shapes(*[_shape(o) for o in out]))
    return tuple(wnp.broadcast_to(o, full_shape) if is_traced(o) else
                 np.broadcast_to(o, full_shape).copy() for o in out)


# --- introspection ---------------------------------------------------------------------------


def isscalar(element) -> bool:
    """Return True if ``element`` is a scalar type; a traced value is an array, so False."""
    return False if is_traced(element) else np.isscalar(element)


def iscomplexobj(x) -> bool:
    """Return True if ``x`` has a complex dtype (whatever its values)."""
    return _dtype_of(x).kind == "c" if is_traced(x) else np.iscomplexobj(x)


def isrealobj(x) -> bool:
    """Return True if ``x`` does not have a complex dtype."""
    return not iscomplexobj(x)


def iscomplex(x):
    """Return a boolean array, True where the element has a nonzero imaginary part."""
    return map_examples(np.iscomplex, x, elementwise=True)


def isreal(x):
    """Return a boolean array, True where the element has a zero imaginary part."""
    return map_examples(np.isreal, x, elementwise=True)


def can_cast(from_, to, casting="safe") -> bool:
    """Return True if a cast from ``from_`` (a dtype or array) to ``to`` can follow ``casting``."""
    if is_traced(from_):
        from_ = from_.dtype
    return np.can_cast(from_, to, casting=casting)


def promote_types(type1, type2):
    """Return the smallest dtype to which both types may be safely cast."""
    return np.promote_types(type1, type2)
