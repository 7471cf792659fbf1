"""Products of ``wengert.numpy``: matmul, dot, vdot, inner, outer, tensordot, einsum, kron, cross.

Two primitives carry every product: ``matmul`` (what dot, inner, tensordot and the network
layers reduce to, so they run on BLAS) and ``einsum`` (everything else). Operands are brought to
NumPy's result dtype with ``astype``; non-traced operands are converted with ``np.asarray``
first, as NumPy's product functions do, so a Python float counts as float64 here. Shape errors
are NumPy's own: on a mismatch the NumPy function is called on zero-stride dummies so that it
raises its usual message. Imports: core, primitives, ``_core``, ``_shape``, NumPy.
"""

from __future__ import annotations

import math
import numbers
import string
import warnings

import numpy as np

from ..core.errors import UnsupportedError
from ..core.tracer import Tracer
from ..primitives import linalg as L
from . import _shape
from ._core import astype, conj, multiply, negative, subtract

__all__ = ["cross", "dot", "einsum", "inner", "kron", "matmul", "outer", "tensordot", "vdot"]


def _traced(*xs) -> bool:
    return any(isinstance(x, Tracer) for x in xs)


def _as_operand(x):
    return x if isinstance(x, Tracer) else np.asarray(x)


def _promote(*xs):
    """Operands (non-traced ones as arrays) cast to their common NumPy result dtype."""
    xs = [_as_operand(x) for x in xs]
    dtype = np.result_type(*[x.dtype for x in xs])
    return [x if x.dtype == dtype else astype(x, dtype) for x in xs]


def _numpy_error(fn, *xs, **kwargs):
    """Let NumPy raise its own error for these operand shapes (zero-stride dummies, no work)."""
    fn(*[_dummy(x) for x in xs], **kwargs)
    shapes = ", ".join(str(tuple(x.shape)) for x in xs)
    return ValueError(f"{fn.__name__}: operands with shapes {shapes} are not compatible")


# --- matmul and the functions that reduce to it --------------------------------------------------


def matmul(x1, x2, /):
    """Matrix product of two arrays, with NumPy's batching and 1-D promotion rules.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> w = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> wg.grad(lambda x: wnp.matmul(x, w).sum())(np.ones(2))
    array([3., 7.])
    """
    if not (isinstance(x1, Tracer) or isinstance(x2, Tracer)):
        return np.matmul(x1, x2)
    if not (isinstance(x1, (Tracer, np.ndarray)) and isinstance(x2, (Tracer, np.ndarray))
            and x1.dtype == x2.dtype):
        x1, x2 = _promote(x1, x2)
    # Shape errors (0-d operands, mismatched core or batch dimensions) are raised by
    # np.matmul itself when the primitive is evaluated.
    return L.matmul_p(x1, x2)


def dot(a, b, /):
    """Dot product of two arrays, following ``numpy.dot`` for every combination of ranks.

    0-d: multiply. 1-D and 2-D: matmul. N-D with 1-D ``b``: contract the last axes (matmul).
    Otherwise ``dot(a, b)[i,j,k,m] = sum(a[i,j,:] * b[k,:,m])``.
    """
    if not _traced(a, b):
        return np.dot(a, b)
    a, b = _promote(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if a.shape[-1] != b.shape[-2 if b.ndim >= 2 else 0]:
        raise _numpy_error(np.dot, a, b)
    if a.ndim == 1 or b.ndim <= 2:
        # (n,)·(..., n, k) sums over b's second-to-last axis, exactly as matmul does.
        return matmul(a, b)
    return _tensordot(a, b, [a.ndim - 1], [b.ndim - 2])


def vdot(a, b, /):
    """Dot product of the flattened arrays, conjugating the first: ``sum(conj(a) * b)``."""
    if not _traced(a, b):
        return np.vdot(a, b)
    a, b = _promote(a, b)
    if a.dtype.kind == "c":
        a = conj(a)
    if a.size != b.size:
        raise _numpy_error(np.vdot, a, b)
    return matmul(_shape.reshape(a, (a.size,)), _shape.reshape(b, (b.size,)))


def inner(a, b, /):
    """Inner product over the last axes: ``inner(a, b)[i, j] = sum(a[i, :] * b[j, :])``."""
    if not _traced(a, b):
        return np.inner(a, b)
    a, b = _promote(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if a.shape[-1] != b.shape[-1]:
        raise _numpy_error(np.inner, a, b)
    if b.ndim == 1:
        return matmul(a, b)
    if a.ndim == 1:
        return matmul(b, a)
    n = a.shape[-1]
    a2 = a if a.ndim == 2 else _shape.reshape(a, (math.prod(a.shape[:-1]), n))
    b2 = b if b.ndim == 2 else _shape.reshape(b, (math.prod(b.shape[:-1]), n))
    out = matmul(a2, _shape.transpose(b2))
    return out if a.ndim == b.ndim == 2 else _shape.reshape(out, a.shape[:-1] + b.shape[:-1])


def outer(a, b, out=None):
    """Outer product of the flattened arrays: ``outer(a, b)[i, j] = a.ravel()[i] * b.ravel()[j]``."""
    if not _traced(a, b):
        return np.outer(a, b, out=out)
    _no_out("outer", out)
    a, b = _promote(a, b)
    return multiply(_shape.reshape(a, (a.size, 1)), _shape.reshape(b, (1, b.size)))


def tensordot(a, b, axes=2):
    """Sum products over the given axes: the last ``axes`` of ``a`` with the first of ``b``,
    or over the pair of axis sequences ``axes = (axes_a, axes_b)``."""
    if not _traced(a, b):
        return np.tensordot(a, b, axes)
    a, b = _promote(a, b)
    try:
        axes_a, axes_b = _tensordot_axes(axes, a.shape, b.shape)
    except (TypeError, ValueError, IndexError):
        raise _numpy_error(np.tensordot, a, b, axes=axes) from None
    return _tensordot(a, b, axes_a, axes_b)


def _tensordot_axes(axes, shape_a, shape_b):
    """NumPy's reading of tensordot's ``axes``, as non-negative lists; raises when invalid."""
    if isinstance(axes, numbers.Integral):
        axes_a, axes_b = list(range(-axes, 0)), list(range(axes))
    else:
        axes_a, axes_b = axes
    axes_a = [axes_a] if isinstance(axes_a, numbers.Integral) else [int(k) for k in axes_a]
    axes_b = [axes_b] if isinstance(axes_b, numbers.Integral) else [int(k) for k in axes_b]
    if len(axes_a) != len(axes_b) or any(shape_a[i] != shape_b[j] for i, j in zip(axes_a, axes_b)):
        raise ValueError("shape-mismatch for sum")
    axes_a = [i % len(shape_a) for i in axes_a]
    axes_b = [j % len(shape_b) for j in axes_b]
    if len(set(axes_a)) != len(axes_a) or len(set(axes_b)) != len(axes_b):
        raise ValueError("duplicate axes are not allowed in tensordot")
    return axes_a, axes_b


def _tensordot(a, b, axes_a, axes_b):
    """tensordot over validated, non-negative axes: transpose, flatten to matrices, matmul."""
    free_a = [k for k in range(a.ndim) if k not in axes_a]
    free_b = [k for k in range(b.ndim) if k not in axes_b]
    k = math.prod(a.shape[i] for i in axes_a)
    old_a = [a.shape[i] for i in free_a]
    old_b = [b.shape[i] for i in free_b]
    a2 = _shape.reshape(_shape.transpose(a, free_a + list(axes_a)), (math.prod(old_a), k))
    b2 = _shape.reshape(_shape.transpose(b, list(axes_b) + free_b), (k, math.prod(old_b)))
    return _shape.reshape(matmul(a2, b2), tuple(old_a + old_b))


def kron(a, b):
    """Kronecker product: blocks ``a[i, j] * b``, shapes padded with leading ones to one rank."""
    if not _traced(a, b):
        return np.kron(a, b)
    a, b = _promote(a, b)
    if a.ndim < b.ndim:  # NumPy's ndmin=b.ndim for a
        a = _shape.reshape(a, (1,) * (b.ndim - a.ndim) + a.shape)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    nd = a.ndim
    bs = (1,) * (nd - b.ndim) + b.shape
    # Interleave: a on the even axes, b on the odd ones, then merge each pair.
    a_arr = _shape.reshape(a, tuple(s for n in a.shape for s in (n, 1)))
    b_arr = _shape.reshape(b, tuple(s for n in bs for s in (1, n)))
    return _shape.reshape(multiply(a_arr, b_arr), tuple(p * q for p, q in zip(a.shape, bs)))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of (arrays of) 3-vectors, or 2-vectors taken with a zero third component.

    Batches broadcast; ``axisa``/``axisb``/``axisc`` (or ``axis`` for all three) name the
    vector axes. Two 2-vectors give the scalar z-component, as in NumPy (deprecated there).
    """
    if not _traced(a, b):
        return np.cross(a, b, axisa, axisb, axisc, axis)
    from numpy.lib.array_utils import normalize_axis_index

    if axis is not None:
        axisa, axisb, axisc = (axis,) * 3
    a, b = _promote(a, b)
    if a.ndim < 1 or b.ndim < 1:
        raise ValueError("At least one array has zero dimension")
    a = _shape.moveaxis(a, normalize_axis_index(axisa, a.ndim, msg_prefix="axisa"), -1)
    b = _shape.moveaxis(b, normalize_axis_index(axisb, b.ndim, msg_prefix="axisb"), -1)
    na, nb = a.shape[-1], b.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 or 3)")
    if na == 2 or nb == 2:
        warnings.warn(
            "Arrays of 2-dimensional vectors are deprecated. Use arrays of "
            "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
            DeprecationWarning,
            stacklevel=2,
        )
    batch = np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    a0, a1, b0, b1 = (
        _shape.getitem(v, (Ellipsis, k)) for v, k in ((a, 0), (a, 1), (b, 0), (b, 1))
    )
    z = subtract(multiply(a0, b1), multiply(a1, b0))
    if na == 2 and nb == 2:
        return z
    if na == 3 and nb == 3:
        a2, b2 = _shape.getitem(a, (Ellipsis, 2)), _shape.getitem(b, (Ellipsis, 2))
        x = subtract(multiply(a1, b2), multiply(a2, b1))
        y = subtract(multiply(a2, b0), multiply(a0, b2))
    elif na == 2:  # a2 = 0
        b2 = _shape.getitem(b, (Ellipsis, 2))
        x, y = multiply(a1, b2), negative(multiply(a0, b2))
    else:  # b2 = 0
        a2 = _shape.getitem(a, (Ellipsis, 2))
        x, y = negative(multiply(a2, b1)), multiply(a2, b0)
    axisc = normalize_axis_index(axisc, len(batch) + 1, msg_prefix="axisc")
    parts = [_broadcast_plain(v, batch) for v in (x, y, z)]
    return _shape.moveaxis(_shape.stack(parts, axis=-1), -1, axisc)


def _broadcast_plain(x, shape):
    return x if tuple(x.shape) == tuple(shape) else _shape.broadcast_to(x, shape)


def _no_out(name, out):
    if out is not None:
        raise UnsupportedError(
            f"{name}: out= cannot receive a traced result; drop out= and use the return value."
        )


# --- einsum ------------------------------------------------------------------------------------

_LABELS = string.ascii_uppercase + string.ascii_lowercase  # NumPy's sublist order: 0 -> 'A'


def einsum(*operands, out=None, dtype=None, order="K", casting="safe", optimize=False):
    """Evaluate the Einstein summation convention on the operands, as ``numpy.einsum``.

    Takes the string form (``einsum("...ij,...jk", a, b)``, with ellipsis broadcasting and the
    implicit output: ellipsis axes first, then the labels that occur once, in alphabetical
    order) or the sublist form (``einsum(a, [0, 1], b, [1, 2], [0, 2])``). Labels of size 1
    broadcast against the other operands. While traced, ``optimize`` is chosen by wengert:
    the contraction-path search for three or more operands and for large products.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> a = np.arange(4.0).reshape(2, 2)
    >>> wg.grad(lambda x: wnp.einsum("ii->", x))(a)  # the trace's gradient is the identity
    array([[1., 0.],
           [0., 1.]])
    """
    if not any(isinstance(x, Tracer) for x in operands):
        return np.einsum(
            *operands, out=out, dtype=dtype, order=order, casting=casting, optimize=optimize
        )
    _no_out("einsum", out)
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:
        subscripts, ops = _sublists_to_subscripts(operands)
    ops = [_as_operand(x) for x in ops]
    if dtype is not None:
        ops = [astype(x, dtype) for x in ops]
    normal = _normalize_subscripts(subscripts, ops)
    in_subs, _ = L.split_subscripts(normal)
    # One size per label: size 1 broadcasts across operands, never within one (a diagonal).
    sizes = {}
    for subs, x in zip(in_subs, ops):
        own = {}
        for label, n in zip(subs, x.shape):
            have = sizes.get(label, 1)
            if own.setdefault(label, n) != n or (n != have and have != 1 and n != 1):
                raise _einsum_error(subscripts, ops)
            sizes[label] = n if have == 1 else have
    ops = _promote(*ops)
    ops = [_broadcast_labels(x, subs, sizes) for x, subs in zip(ops, in_subs)]
    return L.einsum_p(*ops, subscripts=normal)


def _broadcast_labels(x, subs, sizes):
    shape = tuple(sizes[label] for label in subs)
    if tuple(x.shape) == shape:
        return x
    if isinstance(x, Tracer):
        return _shape.broadcast_to(x, shape)
    return np.broadcast_to(x, shape)


def _sublists_to_subscripts(args):
    """``(a, [0, 1], b, [1, 2], [0, 2])`` -> ``("AB,BC->AC", [a, b])`` (NumPy's 0 -> 'A')."""
    args = list(args)
    ops = args[0:-1:2] if len(args) % 2 else args[0::2]
    sublists = args[1::2] + ([args[-1]] if len(args) % 2 else [])

    def to_str(sublist):
        s = ""
        for k in sublist:
            if k is Ellipsis:
                s += "..."
            elif isinstance(k, numbers.Integral) and 0 <= k < len(_LABELS):
                s += _LABELS[k]
            else:  # NumPy's own error for a bad subscript
                dummies = [
                    _dummy(x) if i % 2 == 0 and i < len(args) - len(args) % 2 else x
                    for i, x in enumerate(args)
                ]
                np.einsum(*dummies)
                raise ValueError(f"einsum: invalid subscript {k!r} in the sublist {sublist!r}")
        return s

    terms = [to_str(s) for s in sublists]
    n = len(ops)
    spec = ",".join(terms[:n]) + ("->" + terms[n] if len(terms) > n else "")
    return spec, list(ops)


def _dummy(x):
    x = _as_operand(x)
    return np.broadcast_to(np.zeros((), x.dtype), x.shape)


def _einsum_error(subscripts, ops):
    """NumPy's own error for an invalid einsum (raised on zero-stride dummies)."""
    np.einsum(subscripts, *[_dummy(x) for x in ops])
    return ValueError(
        f"einsum: subscripts {subscripts!r} do not fit operands of shapes "
        f"{[tuple(x.shape) for x in ops]}"
    )


def _normalize_subscripts(subscripts, ops) -> str:
    """Explicit-output, ellipsis-free subscripts for einsum's primitive.

    Ellipsis axes get letters unused elsewhere, aligned from the right across operands; the
    implicit output is the ellipsis axes followed by the labels that occur exactly once,
    sorted (NumPy's rule).
    """
    if not isinstance(subscripts, str):
        raise TypeError("einsum: the subscripts must be a string (or use the sublist form)")
    spec = subscripts.replace(" ", "")
    if spec.count("->") > 1:
        raise _einsum_error(subscripts, ops)
    lhs, arrow, rhs = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ops):
        raise _einsum_error(subscripts, ops)
    letters = set(string.ascii_letters)
    parts = []
    n_ellipsis = 0
    for term, x in zip(terms, ops):
        head, dots, tail = term.partition("...")
        if "." in head or "." in tail or not set(head + tail) <= letters:
            raise _einsum_error(subscripts, ops)
        k = x.ndim - len(head) - len(tail)
        if (dots and k < 0) or (not dots and k != 0):
            raise _einsum_error(subscripts, ops)
        parts.append((head, k if dots else None, tail))
        n_ellipsis = max(n_ellipsis, k if dots else 0)
    free = [c for c in _LABELS if c not in spec]
    if n_ellipsis > len(free):
        raise _einsum_error(subscripts, ops)
    ell = "".join(free[:n_ellipsis])
    terms = [head + (ell[n_ellipsis - k :] if k else "") + tail for head, k, tail in parts]
    named = "".join(h + t for h, _, t in parts)
    if not arrow:
        out = ell + "".join(sorted(c for c in set(named) if named.count(c) == 1))
    else:
        head, dots, tail = rhs.partition("...")
        if "." in head or "." in tail or not set(head + tail) <= letters:
            raise _einsum_error(subscripts, ops)
        if not dots and n_ellipsis:
            raise _einsum_error(subscripts, ops)
        out = head + ell + tail
        if len(set(out)) != len(out) or not set(head + tail) <= set(named):
            raise _einsum_error(subscripts, ops)
    return ",".join(terms) + "->" + out
