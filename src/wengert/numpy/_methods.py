"""Operators, methods and NumPy interoperability of traced arrays.

``wengert.numpy`` attaches these to :class:`~wengert.core.tracer.Tracer` when it is imported,
so ``x + y``, ``x @ w``, ``x.sum()`` and ``np.sin(x)`` on a traced ``x`` all go through the
primitives. NumPy's own functions reach us through ``__array_ufunc__`` and
``__array_function__``; a NumPy function without a wengert counterpart raises an error that
names what to use. Imports: core and the other ``wengert.numpy`` modules.
"""

from __future__ import annotations

import numpy as np

from ..core.errors import UnsupportedError
from ..core.tracer import Tracer


def _r(fn):
    return lambda self, other: fn(other, self)


def attach(ns) -> None:
    """Give Tracer its operators and methods, taken from the namespace ``ns`` (wnp)."""
    T = Tracer
    T.__add__ = lambda s, o: ns.add(s, o)
    T.__radd__ = _r(ns.add)
    T.__sub__ = lambda s, o: ns.subtract(s, o)
    T.__rsub__ = _r(ns.subtract)
    T.__mul__ = lambda s, o: ns.multiply(s, o)
    T.__rmul__ = _r(ns.multiply)
    T.__truediv__ = lambda s, o: ns.divide(s, o)
    T.__rtruediv__ = _r(ns.divide)
    T.__floordiv__ = lambda s, o: ns.floor_divide(s, o)
    T.__rfloordiv__ = _r(ns.floor_divide)
    T.__mod__ = lambda s, o: ns.mod(s, o)
    T.__rmod__ = _r(ns.mod)
    T.__divmod__ = lambda s, o: ns.divmod(s, o)
    T.__pow__ = lambda s, o: ns.power(s, o)
    T.__rpow__ = _r(ns.power)
    T.__matmul__ = lambda s, o: ns.matmul(s, o)
    T.__rmatmul__ = _r(ns.matmul)
    T.__neg__ = lambda s: ns.negative(s)
    T.__pos__ = lambda s: s
    T.__abs__ = lambda s: ns.abs(s)
    T.__eq__ = lambda s, o: ns.equal(s, o)
    T.__ne__ = lambda s, o: ns.not_equal(s, o)
    T.__lt__ = lambda s, o: ns.less(s, o)
    T.__le__ = lambda s, o: ns.less_equal(s, o)
    T.__gt__ = lambda s, o: ns.greater(s, o)
    T.__ge__ = lambda s, o: ns.greater_equal(s, o)
    T.__and__ = lambda s, o: ns.logical_and(s, o) if s.dtype == bool else ns.bitwise_and(s, o)
    T.__or__ = lambda s, o: ns.logical_or(s, o) if s.dtype == bool else ns.bitwise_or(s, o)
    T.__invert__ = lambda s: ns.invert(s)
    T.__getitem__ = lambda s, idx: ns.getitem(s, idx)
    T.__hash__ = lambda s: id(s)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (ns.getitem(self, i) for i in range(self.shape[0]))

    T.__iter__ = __iter__

    def method(name, fn):
        setattr(T, name, fn)

    method("T", property(lambda s: ns.transpose(s)))
    method("mT", property(lambda s: ns.swapaxes(s, -1, -2)))
    method("real", property(lambda s: ns.real(s)))
    method("imag", property(lambda s: ns.imag(s)))
    for name in ("sum", "mean", "prod", "max", "min", "var", "std", "cumsum", "cumprod",
                 "ptp", "argmax", "argmin", "all", "any", "dot", "clip", "conj", "conjugate",
                 "ravel", "squeeze", "swapaxes", "repeat", "diagonal", "trace", "sort",
                 "argsort", "round", "nonzero", "take"):
        if hasattr(ns, name):
            method(name, _bound(getattr(ns, name)))
    method("astype", lambda s, dtype, copy=True: ns.astype(s, dtype))
    method("reshape", lambda s, *shape, order="C": ns.reshape(
        s, shape[0] if len(shape) == 1 else shape, order=order))
    method("transpose", lambda s, *axes: ns.transpose(
        s, None if not axes else (axes[0] if len(axes) == 1 else axes)))
    method("flatten", lambda s, order="C": ns.ravel(s, order=order))
    method("copy", lambda s: s)

    def __array_ufunc__(self, ufunc, method_name, *inputs, **kwargs):
        fn = getattr(ns, ufunc.__name__, None) if method_name == "__call__" else None
        if fn is None or kwargs.get("out") is not None:
            raise UnsupportedError(
                f"numpy.{ufunc.__name__}{'' if method_name == '__call__' else '.' + method_name}"
                f" cannot be applied to a traced array"
                f"{'' if fn is not None else ' (wengert has no counterpart)'}; "
                f"call wengert.numpy.{ufunc.__name__} without out= on the traced value."
            )
        return fn(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        modname = (func.__module__ or "numpy").replace("numpy", "", 1).lstrip(".")
        target = ns
        for part in filter(None, modname.split(".")):
            if part in ("_core", "core", "lib", "fromnumeric", "numeric", "multiarray",
                        "function_base", "shape_base", "_function_base_impl",
                        "_shape_base_impl"):
                continue
            target = getattr(target, part, None)
            if target is None:
                break
        fn = getattr(target, func.__name__, None) if target is not None else None
        if fn is None:
            qual = f"numpy.{modname + '.' if modname else ''}{func.__name__}"
            raise UnsupportedError(
                f"{qual} has no wengert counterpart, so it cannot be applied to a traced "
                "array. Express it with wengert.numpy functions (see the docs for the covered "
                "surface), or wrap a rule of your own with wengert.custom_vjp."
            )
        return fn(*args, **kwargs)

    T.__array_ufunc__ = __array_ufunc__
    T.__array_function__ = __array_function__


def _bound(fn):
    def m(self, *args, **kwargs):
        return fn(self, *args, **kwargs)

    m.__name__ = fn.__name__
    m.__doc__ = fn.__doc__
    return m
