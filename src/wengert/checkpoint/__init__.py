"""Checkpointing: recompute intermediates in the backward pass instead of storing them.

``checkpoint(f, policy=...)`` for one function, ``checkpoint_name`` to tag values for a policy,
``saved_residuals`` to see what a backward pass keeps; ``checkpoint_sequential`` and
``checkpoint_scan`` for chains, the latter with Griewank–Walther's binomial schedule
(``schedule`` prints one). See docs/design.md §5e.

The package itself is callable: ``wengert.checkpoint(f)`` is ``wengert.checkpoint.checkpoint(f)``,
so the function and its policies, schedules and chains live under one name
(``wengert.checkpoint.policies.dots_saveable``).
"""

import sys
import types

from . import policies
from .chains import checkpoint_scan, checkpoint_sequential
from .core import Checkpointed, Residual, Residuals, checkpoint, checkpoint_name, saved_residuals
from .revolve import Schedule, schedule

__all__ = [
    "Checkpointed", "Residual", "Residuals", "Schedule", "checkpoint", "checkpoint_name",
    "checkpoint_scan", "checkpoint_sequential", "policies", "saved_residuals", "schedule",
]


class _CallableModule(types.ModuleType):
    """This package, callable as ``checkpoint(f, policy=...)``."""

    def __call__(self, fun=None, *, policy=None):
        return checkpoint(fun, policy=policy)


sys.modules[__name__].__class__ = _CallableModule
