"""The ``checkpoint_name`` primitive: an identity that tags a value for a checkpoint policy.

``checkpoint_name(x, name="h")`` returns ``x`` itself (no copy) and records one equation
whose ``name`` parameter a policy such as ``save_only_these_names("h")`` can look for. Its
derivative is the identity in both modes and it batches as itself. Imports: registry.
"""

from __future__ import annotations

import numpy as np

from .registry import bind, linear


def _identity(x, *, name):
    return x


def _batch(size, args, batched, *, name):
    return bind(checkpoint_name_p, args[0], name=name)


checkpoint_name_p = linear(
    "checkpoint_name",
    _identity,
    transpose=lambda g, x, *, name: checkpoint_name_p(g, name=name),
    shape=lambda x, *, name: (tuple(x.shape), np.dtype(x.dtype)),
    batch=_batch,
)
