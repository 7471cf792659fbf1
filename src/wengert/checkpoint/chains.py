"""Checkpointed chains: ``checkpoint_scan`` (one custom VJP over a loop) and
``checkpoint_sequential`` (a list of layers cut into checkpointed segments).

``checkpoint_scan`` runs a :class:`~wengert.checkpoint.revolve.Schedule`: the primal pass runs
its forward phase and keeps only the snapshots it took; the backward pass runs its reverse
phase, re-advancing from snapshots and reversing one step at a time with ``vjp``. Every step
goes through ``wengert.numpy``, so transforms outside the loop (grad of grad, ``hvp``,
``jacfwd``, ``vmap``) differentiate or batch the replay like any other code.

Imports: tree, core.errors, core.tracer (to tell plain arrays from traced ones),
primitives.special (custom_vjp), numpy, transforms, and the sibling
modules ``revolve`` and ``core`` (``checkpoint``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import numpy as wnp
from .. import tree as _tree
from ..core.errors import WengertTypeError, WengertValueError
from ..core.tracer import Tracer
from ..primitives.special import custom_vjp
from ..transforms.reverse import vjp
from .revolve import KINDS
from .revolve import schedule as _make_schedule

__all__ = ["checkpoint_scan", "checkpoint_sequential"]


def _slice(xs, i: int):
    return _tree.map(lambda a: a[i], xs)


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return _tree.map(lambda u, v: u + v, a, b)


def _store_row(out: list, i: int, row: list, num_steps: int) -> None:
    """Put the cotangent of ``xs[i]`` (its leaves ``row``) into ``out`` (one entry per leaf).

    Each entry is a preallocated ``(num_steps, ...)`` ndarray while the rows are plain arrays,
    or a list of rows to ``wnp.stack`` once a row is traced (under a higher-order transform).
    """
    if not out:
        for r in row:
            out.append(np.zeros((num_steps,) + tuple(np.shape(r)), np.result_type(r))
                       if type(r) is np.ndarray else [None] * num_steps)
    for k, r in enumerate(row):
        if type(out[k]) is np.ndarray and type(r) is np.ndarray:
            out[k][i] = r
        else:
            if type(out[k]) is np.ndarray:  # a traced row arrived: fall back to stacking
                out[k] = list(out[k])
            out[k][i] = r


def _finish_rows(out: list) -> list:
    return [o if type(o) is np.ndarray else wnp.stack(o) for o in out]


def checkpoint_scan(
    step: Callable,
    init: Any,
    num_steps: int,
    snapshots: int | None = None,
    schedule: str = "binomial",
    xs: Any = None,
    params: Any = None,
) -> Any:
    """Apply ``carry = step(carry)`` ``num_steps`` times, storing at most ``snapshots`` states.

    Returns ``x_T`` where ``x_0 = init`` and ``x_{i+1} = step(x_i[, xs[i]][, params])``; the
    call signature of ``step`` follows what is passed: ``step(carry)``, ``step(carry, x)``,
    ``step(carry, params)`` or ``step(carry, x, params)``. The value and every derivative equal
    those of the plain Python loop; only the memory/time trade-off changes.

    The loop is one ``custom_vjp``. Its primal pass runs the forward phase of
    ``wengert.checkpoint.revolve.schedule(num_steps, snapshots, schedule)`` and keeps only
    that schedule's snapshots (the input counts as one) plus the working state ``x_{T-1}``;
    the backward pass runs the reverse phase: it re-advances from snapshots and reverses each
    step with ``vjp``. Print that schedule to see the plan and its predicted memory and
    recomputation. Cost of one gradient: ``schedule.advances + 1`` un-taped step evaluations
    (the extra one returns ``x_T`` from the primal pass) plus T taped ones.

    Gradients flow to ``init``, ``xs`` and ``params``. Arrays that ``step`` closes over are
    constants to an outer ``grad``: pass anything to be differentiated as ``params`` (its
    cotangent is summed over the steps) or through ``xs``. When ``xs`` or ``params`` holds only
    plain arrays (no transform can differentiate them), their cotangents are not computed.

    Parameters
    ----------
    step : callable
        ``(carry[, x][, params]) -> carry``, built from ``wengert.numpy``; the output must have
        the structure of ``init``.
    init : pytree of float arrays
        ``x_0``.
    num_steps : int
        T >= 1.
    snapshots : int or None
        c >= 1 for ``"binomial"``; optional for ``"sqrt"`` and ``"every"``.
    schedule : {"binomial", "sqrt", "every"}
    xs : pytree of arrays with leading axis T, optional
        Per-step inputs; step i receives ``xs[i]`` (sliced leafwise).
    params : pytree of arrays, optional
        Inputs shared by every step.

    Returns
    -------
    pytree
        ``x_T``, with the structure of ``init``.

    Raises
    ------
    WengertValueError
        For T or c < 1, an unknown schedule, or an ``xs`` leaf whose leading axis is not T.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> def loss(x0, a):
    ...     out = checkpoint_scan(lambda x, a: x + 0.1 * wnp.tanh(a * x), x0, num_steps=8,
    ...                           snapshots=2, params=a)
    ...     return out.sum()
    >>> def plain(x0, a):
    ...     for _ in range(8):
    ...         x0 = x0 + 0.1 * wnp.tanh(a * x0)
    ...     return x0.sum()
    >>> x0, a = np.array([0.3, -0.2]), np.array(1.5)
    >>> g1, g2 = wg.grad(loss, argnums=(0, 1))(x0, a), wg.grad(plain, argnums=(0, 1))(x0, a)
    >>> bool(np.allclose(g1[0], g2[0]) and np.allclose(g1[1], g2[1]))
    True
    """
    if schedule not in KINDS:
        raise WengertValueError(
            f"checkpoint_scan: schedule must be one of {', '.join(map(repr, KINDS))}, but it "
            f"is {schedule!r}."
        )
    if not callable(step):
        raise WengertTypeError(
            f"checkpoint_scan: step must be a callable (carry[, x][, params]) -> carry, but it "
            f"is a {type(step).__name__}."
        )
    plan = _make_schedule(num_steps, snapshots, schedule)
    has_xs, has_params = xs is not None, params is not None
    if has_xs:
        for leaf in _tree.leaves(xs):
            shape = getattr(leaf, "shape", ())
            if len(shape) == 0 or shape[0] != num_steps:
                raise WengertValueError(
                    f"checkpoint_scan: every leaf of xs must have leading axis num_steps = "
                    f"{num_steps}, but one has shape {tuple(shape)}. Stack the per-step inputs "
                    f"along axis 0, or change num_steps."
                )
    init_def = _tree.structure(init)
    # Plain arrays in xs or params cannot be differentiated by any transform: skip their
    # cotangents, which for xs would cost T per-step arrays (the size of xs, twice).
    diff_xs = has_xs and any(isinstance(leaf, Tracer) for leaf in _tree.leaves(xs))
    diff_params = has_params and any(isinstance(leaf, Tracer) for leaf in _tree.leaves(params))

    def apply(carry, xs_, params_, i):
        args = [carry]
        if has_xs:
            args.append(_slice(xs_, i))
        if has_params:
            args.append(params_)
        out = step(*args)
        if _tree.structure(out) != init_def:
            raise WengertTypeError(
                f"checkpoint_scan: step must return a carry with the structure of init "
                f"({init_def}), but it returned {_tree.structure(out)}."
            )
        return out

    def run(carry, xs_, params_, start, count):
        for i in range(start, start + count):
            carry = apply(carry, xs_, params_, i)
        return carry

    forward, reverse = plan.forward_actions, plan.reverse_actions
    # The slots held at the end of the forward phase are known statically; the residuals are
    # their states (arrays only, as vmap of a custom_vjp requires), in slot order.
    live: set = set()
    for a in forward:
        if a.kind == "takeshot":
            live.add(a.slot)
        elif a.kind == "restore" and a.release:
            live.discard(a.slot)
    kept = tuple(sorted(live))

    def primal(init_, xs_, params_):
        return run(init_, xs_, params_, 0, num_steps)

    def move(a, carry, slots, xs_, params_):
        """Run one action that reverses nothing: advance, take a snapshot, or restore one."""
        if a.kind == "advance":
            return run(carry, xs_, params_, a.step, a.count)
        if a.kind == "takeshot":
            slots[a.slot] = carry
            return carry
        return slots.pop(a.slot) if a.release else slots[a.slot]  # restore

    def fwd(init_, xs_, params_):
        carry, slots = init_, {}
        for a in forward:
            carry = move(a, carry, slots, xs_, params_)
        out = apply(carry, xs_, params_, num_steps - 1)
        return out, (tuple(slots[k] for k in kept), carry, xs_, params_)

    def pullback(carry, x_i, params_, carry_bar):
        """Reverse one step: a taped evaluation from ``x_i``, pulled back with ``carry_bar``."""

        def one(c, *rest):
            rest = list(rest)
            x = rest.pop(0) if diff_xs else x_i
            p = rest.pop(0) if diff_params else params_
            args = [c] + ([x] if has_xs else []) + ([p] if has_params else [])
            return step(*args)

        primals = [carry] + ([x_i] if diff_xs else []) + ([params_] if diff_params else [])
        cts = list(vjp(one, *primals)[1](carry_bar))
        new_bar = cts.pop(0)
        x_bar = cts.pop(0) if diff_xs else None
        p_bar = cts.pop(0) if diff_params else None
        return new_bar, x_bar, p_bar

    def bwd(res, out_bar):
        states, carry, xs_, params_ = res
        slots = dict(zip(kept, states))
        carry_bar, params_bar = out_bar, None
        # One row per reversed step. Plain rows go straight into a preallocated array (a list
        # then a stack would hold the xs-sized cotangent twice); traced rows are stacked.
        xs_bar_leaves: list = []
        for a in reverse:
            if a.kind not in ("firsturn", "youturn"):
                carry = move(a, carry, slots, xs_, params_)
            else:
                x_i = _slice(xs_, a.step) if has_xs else ()
                carry_bar, x_bar, p_bar = pullback(carry, x_i, params_, carry_bar)
                if diff_xs:
                    _store_row(xs_bar_leaves, a.step, _tree.leaves(x_bar), num_steps)
                if diff_params:
                    params_bar = _add(params_bar, p_bar)
                carry = None
        xs_bar = None
        if diff_xs:
            xs_bar = _tree.unflatten(_tree.structure(xs_), _finish_rows(xs_bar_leaves))
        return carry_bar, xs_bar, params_bar

    primal.__name__ = f"checkpoint_scan[{schedule}]"
    looped = custom_vjp(primal)
    looped.defvjp(fwd, bwd)
    return looped(init, xs if has_xs else (), params if has_params else ())


def checkpoint_sequential(
    layers: Sequence[Callable], x: Any, segments: int | None = None
) -> Any:
    """Apply ``layers`` in order to ``x``, checkpointing ``segments`` contiguous segments.

    Returns ``layers[-1](... layers[0](x))``. Each segment is wrapped in
    ``wengert.checkpoint``, so the backward pass stores only each segment's input and
    recomputes its interior: about ``segments + n / segments`` layer outputs live at once
    instead of n, for about one extra forward pass.

    Parameters
    ----------
    layers : sequence of callables
        Each maps a pytree to a pytree of the same kind; n = ``len(layers)`` >= 1.
    x : pytree of arrays
    segments : int, optional
        1 <= segments <= n; default ``round(sqrt(n))``.

    Returns
    -------
    pytree

    Raises
    ------
    WengertValueError
        If ``layers`` is empty or ``segments`` is out of range.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> layers = [wnp.sin, wnp.tanh, lambda v: 2.0 * v, wnp.cos]
    >>> f = lambda v: checkpoint_sequential(layers, v, segments=2).sum()
    >>> g = lambda v: wnp.cos(2.0 * wnp.tanh(wnp.sin(v))).sum()
    >>> x = np.array([0.1, 0.7])
    >>> bool(np.allclose(wg.grad(f)(x), wg.grad(g)(x)))
    True
    """
    layers = list(layers)
    n = len(layers)
    if n == 0:
        raise WengertValueError(
            "checkpoint_sequential: layers must hold at least one callable, but it is empty."
        )
    if segments is None:
        segments = max(1, round(n**0.5))
    if isinstance(segments, bool) or not isinstance(segments, int) or not 1 <= segments <= n:
        raise WengertValueError(
            f"checkpoint_sequential: segments must be an integer in [1, {n}] (the number of "
            f"layers), but it is {segments!r}. Pass a smaller value, or None for round(sqrt(n))."
        )
    from .core import checkpoint  # the lead's module; imported late to keep import order free

    bounds = [round(k * n / segments) for k in range(segments + 1)]
    for lo, hi in itertools.pairwise(bounds):
        block = layers[lo:hi]

        def segment(v, block=block):
            for layer in block:
                v = layer(v)
            return v

        x = checkpoint(segment)(x)
    return x
