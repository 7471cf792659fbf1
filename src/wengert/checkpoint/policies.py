"""What a checkpoint keeps: policies are predicates over the equations recorded inside it.

A policy is any callable ``policy(eqn) -> bool``. ``checkpoint`` calls it once for each
equation of the checkpointed function's inner Wengert list; the value of an equation for which
it returns True is kept for the backward pass, the others are released and recomputed. The
inputs of the checkpointed function are always kept, and so are its outputs (the enclosing
list holds them anyway). Imports: core.ir, primitives.
"""

from __future__ import annotations

from collections.abc import Callable

from ..core.errors import WengertTypeError
from ..core.ir import Eqn

Policy = Callable[[Eqn], bool]

#: The primitives ``dots_saveable`` keeps: the matrix products.
DOT_PRIMITIVES = frozenset({"matmul", "einsum"})


def nothing_saveable(eqn: Eqn) -> bool:
    """Keep nothing inside the checkpoint: recompute every intermediate (the default).

    Examples
    --------
    >>> from wengert.checkpoint import policies
    >>> policies.nothing_saveable(None)
    False
    """
    return False


def everything_saveable(eqn: Eqn) -> bool:
    """Keep every intermediate: no recomputation, the memory of no checkpoint at all.

    Examples
    --------
    >>> from wengert.checkpoint import policies
    >>> policies.everything_saveable(None)
    True
    """
    return True


def dots_saveable(eqn: Eqn) -> bool:
    """Keep the matrix products (``matmul``, ``einsum``); recompute the cheap elementwise rest.

    Examples
    --------
    >>> import numpy as np, wengert as wg
    >>> from wengert.checkpoint import policies
    >>> t = wg.trace(lambda a: np.ones((2, 2)) @ a)(np.eye(2))
    >>> [policies.dots_saveable(e) for e in t.eqns]
    [True]
    """
    return eqn.prim.name in DOT_PRIMITIVES


def save_only_these_names(*names: str) -> Policy:
    """Return a policy keeping exactly the values tagged ``checkpoint_name(x, name)`` with ``names``.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> from wengert.checkpoint import policies
    >>> keep_h = policies.save_only_these_names("h")
    >>> t = wg.trace(lambda x: wg.checkpoint_name(wnp.sin(x), "h"))(1.0)
    >>> [keep_h(e) for e in t.eqns]
    [False, True]
    """
    for n in names:
        if not isinstance(n, str):
            raise WengertTypeError(
                f"save_only_these_names: names must be strings, but received {n!r} "
                f"({type(n).__name__}); pass the names given to checkpoint_name(x, name)."
            )
    wanted = frozenset(names)

    def policy(eqn: Eqn) -> bool:
        return eqn.prim.name == "checkpoint_name" and eqn.params.get("name") in wanted

    policy.__name__ = f"save_only_these_names{tuple(sorted(wanted))}"
    return policy


def resolve(policy) -> Policy:
    """Return the policy callable for ``policy`` (None means ``nothing_saveable``)."""
    if policy is None:
        return nothing_saveable
    if not callable(policy):
        raise WengertTypeError(
            f"checkpoint: policy must be a callable (eqn) -> bool or None, but received "
            f"{type(policy).__name__}; pass e.g. wengert.checkpoint.policies.dots_saveable."
        )
    return policy
