"""Helpers that batching rules are written with (see ``transforms/batching.py`` for ``vmap``).

A batching rule ``batch(size, args, batched, **params)`` receives the values underneath the
batch tracers (``batched[i]``: ``args[i]`` has a leading batch axis of length ``size``) and
returns the batched result, batch axis first. Imports: core and NumPy; ``wengert.numpy``
lazily, through the registry.
"""

from __future__ import annotations

import numpy as np

from ..core.tracer import Tracer, bind
from .registry import wnp


def broadcast_batch(size: int, x, batched: bool, shape=None):
    """Return ``x`` with a leading batch axis: a traced unbatched operand is broadcast to it.

    A plain constant is returned as it is (NumPy broadcasts it inside the implementation, and
    no rule needs its derivative); a traced one gets an explicit ``broadcast_to`` so every
    primitive still sees operands of one shape.
    """
    if batched or not isinstance(x, Tracer):
        return x
    shape = tuple(x.shape) if shape is None else tuple(shape)
    return wnp.broadcast_to(x, (size, *shape))


def materialize(size: int, x, batched: bool):
    """Return ``x`` with a leading batch axis, broadcasting constants too."""
    if batched:
        return x
    return wnp.broadcast_to(x, (size, *np.shape(x)))


def shift_axis(axis, ndim: int):
    """Map an axis (or tuple of axes, or None) of one example to the batched array's axis."""
    if axis is None:
        return None
    if isinstance(axis, tuple):
        return tuple(shift_axis(a, ndim) for a in axis)
    return (axis % ndim) + 1 if ndim else axis + 1


def elementwise_batch(prim):
    """The batching rule of an elementwise primitive: apply it to the batched operands."""

    def rule(size, args, batched, **params):
        shape = None
        for a, b in zip(args, batched):
            if b:
                shape = tuple(a.shape[1:])
                break
        ops = [broadcast_batch(size, a, b, shape) for a, b in zip(args, batched)]
        return bind(prim, *ops, **params)

    return rule


