"""Products: matmul and einsum (the rest of the linear-algebra family comes later).

``matmul`` follows NumPy's rules: 1-D operands are promoted to a row (left) or a column
(right) and the added axis is dropped again, and leading batch dimensions broadcast. Its VJP
multiplies by the other operand's transpose (``mT``) and sums broadcast batch dimensions back
with ``sum_to_shape``.

``einsum`` takes a normalised ``subscripts`` string: explicit output, no ellipsis, every label
of one size across all operands (``wengert.numpy.einsum`` expands ``...``, adds the implicit
output and broadcasts size-1 labels first). It is linear in each operand, so the JVP puts the
tangent in that operand's slot; the VJP contracts the output cotangent with the other
operands onto the operand's own subscripts.

Imports: core, registry, shape, NumPy (in ``impl``, shape rules and the constant diagonal
masks only).
"""

from __future__ import annotations

import math

import numpy as np

from .registry import Indexed, define, wnp
from .shape import broadcast_to_p, sum_to_shape_p

# --- matmul ---------------------------------------------------------------------------------


def _mT(x):
    return wnp.swapaxes(x, -1, -2)


def _matmul_shape(x, y):
    """Output shape and dtype of ``x @ y``; NumPy raises its own error for bad shapes."""
    xs, ys = tuple(x.shape), tuple(y.shape)
    if len(xs) >= 1 and len(ys) >= 1:
        n_x = xs[-1]
        n_y = ys[-2] if len(ys) >= 2 else ys[0]
        if n_x == n_y:
            try:
                batch = np.broadcast_shapes(xs[:-2], ys[:-2])
            except ValueError:
                batch = None
            if batch is not None:
                rows = xs[-2:-1] if len(xs) >= 2 else ()
                cols = ys[-1:] if len(ys) >= 2 else ()
                return tuple(batch) + rows + cols, np.result_type(x.dtype, y.dtype)
    _raise_numpy_error(np.matmul, x, y)


def _raise_numpy_error(fn, *avals):
    """Call ``fn`` on zero-stride dummies of the given shapes so NumPy raises its own error."""
    dummies = [np.broadcast_to(np.zeros((), a.dtype), a.shape) for a in avals]
    fn(*dummies)
    raise ValueError(f"{fn.__name__}: incompatible shapes {[tuple(a.shape) for a in avals]}")


def _matmul_vjp_x(g, out, x, y):
    if y.ndim == 1:  # (..., n) @ (n,) -> (...): an outer product with y
        gx = wnp.expand_dims(g, -1) * y
    elif x.ndim == 1:  # (n,) @ (..., n, k) -> (..., k)
        gx = wnp.matmul(y, g) if y.ndim == 2 else wnp.matmul(y, wnp.expand_dims(g, -1))[..., 0]
    elif x.ndim == 2 and y.ndim > 2:
        # sum_b g_b @ y_b^T as one product over the stacked (b, k) axis: (m, b*k) @ (b*k, n).
        m, n = x.shape
        bk = math.prod(y.shape[:-2]) * y.shape[-1]
        gx = wnp.matmul(wnp.reshape(wnp.moveaxis(g, -2, 0), (m, bk)), wnp.reshape(_mT(y), (bk, n)))
    else:
        gx = wnp.matmul(g, _mT(y))
    return gx if gx.shape == x.shape else sum_to_shape_p(gx, shape=tuple(x.shape))


def _matmul_vjp_y(g, out, x, y):
    if x.ndim == 1 and y.ndim == 1:  # inner product
        gy = g * x
    elif x.ndim == 2 and y.ndim == 1:  # matrix-vector: the cotangent is g @ x
        return wnp.matmul(g, x)
    elif x.ndim == 1:  # (n,) @ (..., n, k) -> (..., k)
        gy = wnp.expand_dims(x, -1) * wnp.expand_dims(g, -2)
    elif y.ndim == 1:  # (..., m, n) @ (n,) -> (..., m): contract every axis of g with x
        n = x.shape[-1]
        gy = wnp.matmul(wnp.reshape(g, (g.size,)), wnp.reshape(x, (g.size, n)))
    elif y.ndim == 2 and x.ndim > 2:
        # Sum over the batch as one product with the batch stacked into the rows:
        # (n, b*m) @ (b*m, k).
        bm, n, k = math.prod(x.shape[:-1]), x.shape[-1], g.shape[-1]
        gy = wnp.matmul(_mT(wnp.reshape(x, (bm, n))), wnp.reshape(g, (bm, k)))
    else:
        gy = wnp.matmul(_mT(x), g)
    return gy if gy.shape == y.shape else sum_to_shape_p(gy, shape=tuple(y.shape))


def _matmul_batch(size, args, batched):
    """Batch a matmul: vectors become 1-row/1-column matrices and the per-example stacking
    dimensions are padded to one length, so the batch axis leads both operands; the result
    is ``wnp.matmul`` (which broadcasts an unbatched operand's leading 1) with those squeezed."""
    a, b = args
    # A matrix times a batch of vectors is one matrix product, not a stack of matvecs.
    if a.ndim == 2 and b.ndim == 2 and batched == (False, True):
        return wnp.matmul(b, a.T if isinstance(a, np.ndarray) else wnp.transpose(a))
    if a.ndim == 2 and b.ndim == 2 and batched == (True, False):
        return wnp.matmul(a, b)
    ops, vec = [], []
    for x, b, side in zip(args, batched, (-2, -1)):
        x = x if b else wnp.expand_dims(x, 0)
        is_vec = x.ndim == 2
        ops.append(wnp.expand_dims(x, side) if is_vec else x)
        vec.append(is_vec)
    rank = max(o.ndim for o in ops)
    ops = [wnp.reshape(o, (o.shape[0],) + (1,) * (rank - o.ndim) + tuple(o.shape[1:]))
           for o in ops]
    out = wnp.matmul(*ops)
    squeeze = (-2,) * vec[0] + (-1,) * vec[1]
    return wnp.squeeze(out, squeeze) if squeeze else out


matmul_p = define(
    "matmul",
    np.matmul,
    shape=_matmul_shape,
    batch=_matmul_batch,
    jvp=(
        lambda x_dot, out, x, y: wnp.matmul(x_dot, y),
        lambda y_dot, out, x, y: wnp.matmul(x, y_dot),
    ),
    vjp=(_matmul_vjp_x, _matmul_vjp_y),
)


# --- einsum ---------------------------------------------------------------------------------

# Below this many multiply-adds NumPy's plain einsum loop beats the BLAS path of
# optimize=True, whose path search costs about 15 microseconds.
_OPTIMIZE_MIN_WORK = 1 << 15


def split_subscripts(subscripts: str) -> tuple[list[str], str]:
    """Split a normalised ``"ij,jk->ik"`` into ``(["ij", "jk"], "ik")``."""
    ins, out = subscripts.split("->")
    return ins.split(","), out


def label_sizes(in_subs, shapes) -> dict:
    """Map each label to its size (operands of a normalised einsum agree on every size)."""
    sizes = {}
    for subs, shape in zip(in_subs, shapes):
        for label, n in zip(subs, shape):
            sizes[label] = n
    return sizes


def einsum_optimize(subscripts: str, *shapes) -> bool:
    """Whether NumPy's contraction-path search (and BLAS) pays off for this einsum."""
    if len(shapes) >= 3:
        return True
    if len(shapes) < 2:
        return False
    in_subs, _ = split_subscripts(subscripts)
    return math.prod(label_sizes(in_subs, shapes).values()) >= _OPTIMIZE_MIN_WORK


def _einsum_impl(*operands, subscripts):
    opt = einsum_optimize(subscripts, *[np.shape(x) for x in operands])
    return np.einsum(subscripts, *operands, optimize=opt)


def _einsum_shape(*avals, subscripts):
    in_subs, out = split_subscripts(subscripts)
    sizes = label_sizes(in_subs, [a.shape for a in avals])
    dtype = np.result_type(*[a.dtype for a in avals])
    return tuple(sizes[label] for label in out), dtype


def _einsum_jvp(i, t, out, *operands, subscripts):
    # Linear in each operand: the tangent takes the operand's slot.
    ops = list(operands)
    ops[i] = t
    return einsum_p(*ops, subscripts=subscripts)


def _unique(labels: str) -> str:
    return "".join(dict.fromkeys(labels))


def diagonal_mask(subs: str, shape: tuple, dtype) -> np.ndarray:
    """The constant 0/1 array that is 1 where every repeated label has equal indices.

    Raw NumPy is fine here: the mask is a constant, so nothing is differentiated through it.
    """
    mask = np.ones((), dtype)
    for label in _unique(subs):
        axes = [p for p, c in enumerate(subs) if c == label]
        for other in axes[1:]:
            eye = np.eye(shape[axes[0]], dtype=dtype)
            view = [1] * len(subs)
            view[axes[0]] = view[other] = shape[axes[0]]
            mask = mask * eye.reshape(view)
    return np.broadcast_to(mask, shape)


def _einsum_vjp(i, g, out, *operands, subscripts):
    in_subs, out_subs = split_subscripts(subscripts)
    own = in_subs[i]
    x = operands[i]
    others = [s for j, s in enumerate(in_subs) if j != i]
    # Labels of x that reach the output or another operand come out of the contraction;
    # labels found only in x were summed out, so their cotangent is broadcast back.
    elsewhere = set(out_subs).union(*others)
    kept = "".join(c for c in _unique(own) if c in elsewhere)
    other_ops = [op for j, op in enumerate(operands) if j != i]
    x_bar = _contract([out_subs] + others, [g] + other_ops, kept)
    if kept == own:
        return x_bar
    # Lay the kept axes out on the first occurrence of each label (size 1 elsewhere), broadcast
    # to x's shape, and keep only the diagonals of repeated labels.
    seen = set()
    layout = []
    for label, n in zip(own, x.shape):
        layout.append(n if label in kept and label not in seen else 1)
        seen.add(label)
    x_bar = broadcast_to_p(wnp.reshape(x_bar, tuple(layout)), shape=tuple(x.shape))
    if len(_unique(own)) < len(own):
        x_bar = x_bar * diagonal_mask(own, tuple(x.shape), x_bar.dtype)
    return x_bar


def _contract(in_subs, operands, out_subs):
    """``einsum`` of normalised subscripts, skipping the identity and a lone transpose."""
    if (
        len(operands) == 1
        and len(in_subs[0]) == len(out_subs)
        and set(in_subs[0]) == set(out_subs)
        and len(_unique(out_subs)) == len(out_subs)
    ):
        src = in_subs[0]
        if src == out_subs:
            return operands[0]
        return wnp.transpose(operands[0], tuple(src.index(c) for c in out_subs))
    # The operands already share one dtype and one size per label, so the primitive is bound
    # directly (the wnp.einsum wrapper would only re-derive that); it is as differentiable.
    return einsum_p(*operands, subscripts=",".join(in_subs) + "->" + out_subs)


def _einsum_batch(size, args, batched, *, subscripts):
    """A fresh label for the batch axis, on the batched operands and in front of the output."""
    in_subs, out_subs = split_subscripts(subscripts)
    used = set(subscripts)
    label = next(c for c in "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA"
                 if c not in used)
    subs = [label + sub if b else sub for sub, b in zip(in_subs, batched)]
    return einsum_p(*args, subscripts=",".join(subs) + "->" + label + out_subs)


einsum_p = define(
    "einsum",
    _einsum_impl,
    shape=_einsum_shape,
    batch=_einsum_batch,
    jvp=Indexed(_einsum_jvp),
    vjp=Indexed(_einsum_vjp),
)
