"""Tracers, the interpreter stack and ``bind``: the single interception point.

Every primitive call goes through :func:`bind`. With no transform active it calls the
primitive's NumPy implementation directly. Otherwise it finds, among the arguments, the tracer
made by the innermost active transform (the highest *level*) and lets that transform's
interpreter process the call. The interpreter unwraps its own tracers and binds the primitive
again one level down, so nested transforms peel off one at a time and never mix up their
perturbations: a tracer is tagged with the interpreter that made it, and an interpreter only
ever unwraps its own.

The stack of active interpreters lives in a ``contextvars.ContextVar``, so each thread (and
each asyncio task) has its own. Imports: the standard library, NumPy and ``core.errors``.
"""

from __future__ import annotations

import contextvars
import math
import operator
from contextlib import contextmanager

from .errors import UnsupportedError, WengertTypeError, WengertValueError

_STACK: contextvars.ContextVar[tuple] = contextvars.ContextVar("wengert_interpreters", default=())


class Interpreter:
    """One active transform. Subclasses implement :meth:`process`.

    ``level`` is the interpreter's depth in the stack when it was pushed: inner transforms
    have higher levels and process a primitive call first.
    """

    __slots__ = ("level",)

    def process(self, prim, args: tuple, params: dict):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement process()")


@contextmanager
def interpreter(cls, *args, **kwargs):
    """Push a new interpreter of class ``cls`` for the duration of a ``with`` block."""
    stack = _STACK.get()
    interp = cls(*args, **kwargs)
    interp.level = len(stack)
    token = _STACK.set(stack + (interp,))
    try:
        yield interp
    finally:
        _STACK.reset(token)


def active_interpreters() -> tuple:
    """Return the stack of active interpreters, outermost first."""
    return _STACK.get()


class Tracer:
    """A value being traced by one interpreter.

    Subclasses store the underlying value (which may itself be a tracer of an outer
    transform) and whatever the transform carries with it (a tangent, a Wengert-list
    variable). ``shape``, ``dtype`` and ``ndim`` mirror the value's. Arithmetic operators and
    array methods are attached by ``wengert.numpy``.
    """

    __slots__ = ("_interp", "dtype", "shape")
    __array_priority__ = 1000
    #: True for a tracer holding a batch of examples on its value's first axis (``vmap``'s).
    #: Its value then mixes every example, so code reading concrete values must work example
    #: by example (``primitives.batching.map_examples``). Such a class is built as
    #: ``cls(interp, value)``.
    _holds_batch = False

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __len__(self) -> int:
        if not self.shape:
            raise WengertTypeError("len() of a 0-d traced array is undefined, as in NumPy.")
        return self.shape[0]

    def primal_value(self):
        """Return the plain NumPy value underneath every level of tracing."""
        v = self
        while isinstance(v, Tracer):
            v = v._value()
        return v

    def _value(self):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement _value()")

    # Define-by-run: Python control flow sees the current value. Each level defers to the value
    # underneath, so a tracer holding a batch (which has no single truth value) can refuse.
    def __bool__(self) -> bool:
        return bool(self._value())

    def __index__(self) -> int:
        return operator.index(self._value())

    def _concrete_error(self, what: str):
        return WengertTypeError(
            f"{what} on a traced array would drop its derivative. "
            "Keep the computation in wengert.numpy, or call wengert.stop_gradient(x) and "
            "convert its result if you really want a constant."
        )

    def __float__(self):
        raise self._concrete_error("float()")

    def __int__(self):
        raise self._concrete_error("int()")

    def __complex__(self):
        raise self._concrete_error("complex()")

    def item(self, *args):
        raise self._concrete_error(".item()")

    def tolist(self):
        raise self._concrete_error(".tolist()")

    def __array__(self, dtype=None, copy=None):
        raise self._concrete_error("Converting to a NumPy array (np.asarray)")

    def __setitem__(self, key, value):
        raise UnsupportedError(
            "item assignment on a traced array is not supported; build a new array with "
            "wnp.where(mask, new, x) (e.g. wnp.where(wnp.arange(n) == i, value, x) for x[i] = "
            "value) or wnp.concatenate of the pieces."
        )

    def __hash__(self):
        return id(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(level={self._interp.level}, value={self._value()!r})"


def bind(prim, *args, **params):
    """Apply primitive ``prim`` to ``args``: the one place every transform intercepts."""
    stack = _STACK.get()
    if stack:
        top = None
        for a in args:
            if isinstance(a, Tracer):
                it = a._interp
                if top is None or it.level > top.level:
                    top = it
        if top is not None:
            if top.level >= len(stack) or stack[top.level] is not top:
                raise leak_error(f"primitive '{prim.name}'")
            return top.process(prim, args, params)
    return prim.impl(*args, **params)


def is_live(tracer) -> bool:
    """Whether ``tracer``'s transform is still active (it has not returned)."""
    stack = _STACK.get()
    it = tracer._interp
    return it.level < len(stack) and stack[it.level] is it


def leak_error(what: str) -> WengertValueError:
    """The error for a traced value used after its transform returned."""
    return WengertValueError(
        f"{what} received a traced value from a transform that has already "
        "returned (a leaked tracer). Do not store traced values in globals or closures that "
        "outlive the transform; return them from the function instead."
    )


def find_top(args) -> Interpreter | None:
    """Return the innermost interpreter owning a tracer among ``args``, or None."""
    top = None
    for a in args:
        if isinstance(a, Tracer):
            it = a._interp
            if top is None or it.level > top.level:
                top = it
    return top
