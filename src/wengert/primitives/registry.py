"""The primitive record, ``define``/``linear``/``nondifferentiable``, and the registry.

A primitive declares, in one place, its NumPy implementation (``impl``), its output shape and
dtype rule (``shape``), and one JVP rule and one VJP rule per differentiable argument:

* ``jvp[i](x_dot, out, *args, **params)`` returns the output tangent due to argument ``i``;
* ``vjp[i](out_bar, out, *args, **params)`` returns argument ``i``'s cotangent;
* ``batch(size, args, batched, **params)`` applies the primitive to a batch: ``batched[i]``
  says whether ``args[i]`` carries a leading batch axis of length ``size``; the result carries
  one (see ``transforms/batching.py``).

Rules are written with operators and ``wnp`` functions, never raw NumPy, so they are
themselves traced by any outer transform: higher derivatives come free. ``wnp`` here is a lazy
reference to ``wengert.numpy`` (which imports this module), resolved on first use. The
elementwise family builds its primitives from local partial derivatives with its own helper
(``elementwise._elementwise``), next to the strong-zero product it relies on. Imports:
``core`` and NumPy.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.tracer import bind

REGISTRY: dict[str, Primitive] = {}


class _LazyNumpy:
    """``wengert.numpy``, imported on first attribute access (rules run only after import)."""

    def __getattr__(self, name):
        module = importlib.import_module("wengert.numpy")
        self.__dict__.update(vars(module))
        return getattr(module, name)


wnp = _LazyNumpy()


class Indexed:
    """Rules of an n-ary primitive: ``rules[i]`` is ``fn`` with the argument index bound."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def __getitem__(self, i: int) -> Callable:
        return functools.partial(self.fn, i)


@dataclass(eq=False)
class Primitive:
    """One primitive operation and every rule wengert knows for it."""

    name: str
    impl: Callable
    shape: Callable
    jvp: Any = None
    vjp: Any = None
    batch: Any = None
    nondiff: frozenset = frozenset()
    differentiable: bool = True
    family: str = ""
    params_doc: str = ""
    extra: dict = field(default_factory=dict)
    #: Set on the k equations that one multi-output call records (a custom rule, a
    #: checkpoint): reverse mode then treats them as one operation (see ``Group``).
    group: Any = None

    def __call__(self, *args, **params):
        return bind(self, *args, **params)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def _register(prim: Primitive) -> Primitive:
    if prim.name in REGISTRY:
        raise ValueError(f"primitive {prim.name!r} is defined twice")
    REGISTRY[prim.name] = prim
    return prim


def _family(depth: int = 2) -> str:
    import sys

    mod = sys._getframe(depth).f_globals.get("__name__", "")
    return mod.rsplit(".", 1)[-1]


def define(name, impl, *, shape=None, jvp=None, vjp=None, batch=None, nondiff=(),
           differentiable=True):
    """Declare a primitive with explicit per-argument rules.

    ``shape(*avals, **params) -> (shape, dtype)`` receives ``ShapeDtype`` records; when omitted
    the shape rule evaluates ``impl`` on zero-stride dummy arrays (no memory for the inputs).
    """
    return _register(
        Primitive(name, impl, shape or shape_by_eval(impl), jvp, vjp, batch, frozenset(nondiff),
                  differentiable, _family())
    )


def nondifferentiable(name, impl, *, shape=None, batch=None):
    """Declare a primitive whose output has zero derivative everywhere (comparisons, floor)."""
    return _register(
        Primitive(name, impl, shape or shape_by_eval(impl), None, None, batch, frozenset(),
                  False, _family())
    )


@dataclass(frozen=True)
class ShapeDtype:
    """The abstract value of an array: its shape and dtype."""

    shape: tuple
    dtype: Any


def shape_by_eval(impl):
    """Shape rule that runs ``impl`` on zero-stride dummies of the given shapes and dtypes."""

    def rule(*avals, **params):
        dummies = [np.broadcast_to(np.zeros((), a.dtype), a.shape) if isinstance(a, ShapeDtype)
                   else a for a in avals]
        out = impl(*dummies, **params)
        return tuple(np.shape(out)), np.result_type(out)

    return rule


def linear(name, impl, *, transpose, shape=None, batch=None, nondiff=()):
    """Declare a primitive that is linear in its (first) array argument.

    The JVP applies the primitive itself to the tangent; ``transpose(out_bar, x, **params)``
    is the VJP (the adjoint linear map).
    """
    prim = Primitive(name, impl, shape or shape_by_eval(impl), None, None, batch,
                     frozenset(nondiff), True, _family())
    prim.jvp = (lambda x_dot, out, x, *rest, **p: bind(prim, x_dot, *rest, **p),)
    prim.vjp = (lambda out_bar, out, x, *rest, **p: transpose(out_bar, x, *rest, **p),)
    return _register(prim)


def check_registry() -> list[str]:
    """Return a list of problems: primitives lacking impl, shape rule, batching rule, JVP or VJP."""
    problems = []
    for name, p in REGISTRY.items():
        if p.impl is None:
            problems.append(f"{name}: no impl")
        if p.shape is None:
            problems.append(f"{name}: no shape rule")
        if p.batch is None:
            problems.append(f"{name}: no batching rule")
        if p.differentiable:
            for kind in ("jvp", "vjp"):
                rules = getattr(p, kind)
                if rules is None:
                    problems.append(f"{name}: no {kind.upper()} rules")
    return problems
