"""User-defined derivative rules: ``custom_jvp`` and ``custom_vjp``.

A function wrapped with ``custom_vjp`` carries a forward function that also returns residuals
and a backward function mapping (residuals, output cotangent) to input cotangents. A function
wrapped with ``custom_jvp`` carries a rule mapping (primals, tangents) to (output, output
tangent). Each active transform decides what to do with them (see the interpreters'
``process_custom_vjp`` and ``process_custom_jvp``):

* reverse mode records one equation whose VJP calls the backward function (``custom_vjp``),
  or whose VJP is the transpose of the custom JVP, computed by reverse mode over the rule's
  tangent output, which is linear in the tangents (``custom_jvp``);
* forward mode applies the custom JVP rule (``custom_jvp``), or differentiates the primal
  implementation (``custom_vjp``): so a function with only a custom VJP still works under
  ``jvp``, ``jacfwd`` and forward-over-reverse Hessians, unlike in JAX.

Imports: core and tree.
"""

from __future__ import annotations

import functools

from .. import tree as _tree
from ..core.errors import WengertTypeError
from ..core.tracer import find_top


class custom_vjp:
    """Give a function a hand-written VJP.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> @wg.custom_vjp
    ... def clip_grad_tanh(x):
    ...     return wnp.tanh(x)
    >>> def fwd(x):
    ...     y = wnp.tanh(x)
    ...     return y, y
    >>> def bwd(y, g):
    ...     return (wnp.clip(g * (1 - y * y), -0.1, 0.1),)
    >>> clip_grad_tanh.defvjp(fwd, bwd)
    >>> float(wg.grad(clip_grad_tanh)(0.0))
    0.1
    >>> float(wg.jvp(clip_grad_tanh, (0.0,), (1.0,))[1])  # forward mode: the primal's JVP
    1.0
    """

    def __init__(self, fun):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.fwd = None
        self.bwd = None

    def defvjp(self, fwd, bwd):
        """Set ``fwd(*args) -> (out, residuals)`` and ``bwd(residuals, out_bar) -> tuple``."""
        self.fwd = fwd
        self.bwd = bwd

    def __call__(self, *args):
        return _dispatch(self, args, self.fwd is not None, "call .defvjp(fwd, bwd)",
                         "process_custom_vjp")


class custom_jvp:
    """Give a function a hand-written JVP rule ``rule(primals, tangents) -> (out, out_dot)``.

    Reverse mode transposes the rule, so one rule serves both modes.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> @wg.custom_jvp
    ... def safe_log1pexp(x):
    ...     return wnp.logaddexp(0.0, x)
    >>> @safe_log1pexp.defjvp
    ... def _(primals, tangents):
    ...     (x,), (x_dot,) = primals, tangents
    ...     return safe_log1pexp(x), x_dot * (0.5 * (1 + wnp.tanh(x / 2)))  # sigmoid, stably
    >>> float(wg.grad(safe_log1pexp)(0.0)), float(wg.jvp(safe_log1pexp, (0.0,), (2.0,))[1])
    (0.5, 1.0)
    """

    def __init__(self, fun):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.rule = None

    def defjvp(self, rule):
        """Set the JVP rule; usable as a decorator."""
        self.rule = rule
        return rule

    def __call__(self, *args):
        return _dispatch(self, args, self.rule is not None, "decorate a rule with @f.defjvp",
                         "process_custom_jvp")


def _dispatch(custom, args, has_rule: bool, how: str, method: str):
    """Run a custom-rule function: plainly, or handed to the innermost transform's ``method``."""
    if not has_rule:
        raise WengertTypeError(
            f"{type(custom).__name__}: {getattr(custom.fun, '__name__', 'function')} has no "
            f"rule yet; {how} before using it."
        )
    top = find_top(_tree.leaves(args))
    if top is None:
        return custom.fun(*args)
    return getattr(top, method)(custom, args)
