"""Operators, methods and NumPy interoperability of traced arrays.

``wengert.numpy`` attaches these to :class:`~wengert.core.tracer.Tracer` when it is imported,
so ``x + y``, ``x @ w``, ``x.sum()`` and ``np.sin(x)`` on a traced ``x`` all go through the
primitives. NumPy's own functions reach us through ``__array_ufunc__`` (ufuncs, and every
operator with a NumPy array or scalar on the left) and ``__array_function__`` (everything else):
each is sent to the ``wengert.numpy`` function of the same name and submodule, and a NumPy
function without a counterpart raises an error that names it. Traced values are immutable:
in-place operators (``x += 1``) fall back to the plain operator and make a new value.
Imports: core and the other ``wengert.numpy`` modules.
"""

from __future__ import annotations

import importlib

import numpy as np

from ..core.errors import UnsupportedError, WengertTypeError, WengertValueError
from ..core.tracer import Tracer, is_live, leak_error

# Methods taken from wengert.numpy by name, when the function exists at import time.
_METHODS = (
    "sum", "mean", "prod", "max", "min", "var", "std", "cumsum", "cumprod", "ptp", "argmax",
    "argmin", "all", "any", "dot", "clip", "conj", "conjugate", "ravel", "squeeze", "swapaxes",
    "repeat", "diagonal", "trace", "argsort", "round", "nonzero", "take",
)

# NumPy functions that only describe an array's type; a leaked tracer may still answer them.
_DESCRIBE = frozenset({"result_type", "shape", "ndim", "size", "iscomplexobj", "isrealobj"})

# ufunc.reduce / ufunc.accumulate as the wengert function that computes them.
_REDUCE = {"add": "sum", "multiply": "prod", "maximum": "max", "minimum": "min",
           "logical_and": "all", "logical_or": "any"}
_ACCUMULATE = {"add": "cumsum", "multiply": "cumprod"}

# Private NumPy submodules that never name a public namespace of their own.
_PRIVATE_PARTS = frozenset({
    "_core", "core", "lib", "fromnumeric", "numeric", "multiarray", "function_base",
    "shape_base", "_function_base_impl", "_shape_base_impl", "_linalg", "_pocketfft",
})


def _r(fn):
    return lambda self, other: fn(other, self)


def attach(ns) -> None:
    """Give Tracer its operators and methods, taken from the namespace ``ns`` (wnp)."""
    T = Tracer
    # Forward operators are the wnp functions themselves (a function is a method descriptor),
    # which saves a Python frame on every operator.
    T.__add__ = ns.add
    T.__radd__ = _r(ns.add)
    T.__sub__ = ns.subtract
    T.__rsub__ = _r(ns.subtract)
    T.__mul__ = ns.multiply
    T.__rmul__ = _r(ns.multiply)
    T.__truediv__ = ns.divide
    T.__rtruediv__ = _r(ns.divide)
    T.__floordiv__ = ns.floor_divide
    T.__rfloordiv__ = _r(ns.floor_divide)
    T.__mod__ = ns.mod
    T.__rmod__ = _r(ns.mod)
    T.__divmod__ = ns.divmod
    T.__rdivmod__ = _r(ns.divmod)
    T.__pow__ = ns.power
    T.__rpow__ = _r(ns.power)
    T.__matmul__ = ns.matmul
    T.__rmatmul__ = _r(ns.matmul)
    T.__neg__ = ns.negative
    T.__pos__ = lambda s: s
    T.__abs__ = ns.abs
    T.__round__ = lambda s, ndigits=None: ns.round(s, 0 if ndigits is None else ndigits)
    T.__eq__ = ns.equal
    T.__ne__ = ns.not_equal
    T.__lt__ = ns.less
    T.__le__ = ns.less_equal
    T.__gt__ = ns.greater
    T.__ge__ = ns.greater_equal
    T.__and__ = lambda s, o: _logic(ns, "and", s, o)
    T.__rand__ = lambda s, o: _logic(ns, "and", o, s)
    T.__or__ = lambda s, o: _logic(ns, "or", s, o)
    T.__ror__ = lambda s, o: _logic(ns, "or", o, s)
    T.__xor__ = lambda s, o: _logic(ns, "xor", s, o)
    T.__rxor__ = lambda s, o: _logic(ns, "xor", o, s)
    T.__invert__ = lambda s: ns.logical_not(s) if s.dtype == bool else ns.invert(s)
    T.__getitem__ = lambda s, idx: ns.getitem(s, idx)
    T.__hash__ = lambda s: id(s)

    def __iter__(self):
        if self.ndim == 0:
            raise WengertTypeError("iteration over a 0-d traced array is undefined, as in NumPy.")
        return (ns.getitem(self, i) for i in range(self.shape[0]))

    T.__iter__ = __iter__

    def method(name, fn):
        setattr(T, name, fn)

    def _mT(s):
        if s.ndim < 2:
            raise WengertValueError(
                f".mT needs an array with at least 2 dimensions, but this one has shape "
                f"{s.shape}; use .T or wnp.expand_dims first."
            )
        return ns.swapaxes(s, -1, -2)

    method("T", property(lambda s: ns.transpose(s)))
    method("mT", property(_mT))
    method("real", property(lambda s: ns.real(s)))
    method("imag", property(lambda s: ns.imag(s)))
    method("itemsize", property(lambda s: s.dtype.itemsize))
    method("nbytes", property(lambda s: s.size * s.dtype.itemsize))
    for name in _METHODS:
        if hasattr(ns, name):
            method(name, _bound(getattr(ns, name)))
    method("astype", lambda s, dtype, order="K", casting="unsafe", subok=True, copy=True:
           ns.astype(s, dtype))
    method("reshape", lambda s, *shape, order="C": ns.reshape(
        s, shape[0] if len(shape) == 1 else shape, order=order))
    method("transpose", lambda s, *axes: ns.transpose(
        s, None if not axes else (axes[0] if len(axes) == 1 else axes)))
    method("flatten", lambda s, order="C": ns.ravel(s, order=order))
    # Traced values are never mutated, so a copy can share the value.
    method("copy", lambda s, order="C": s)

    def _sort_in_place(s, *args, **kwargs):
        raise UnsupportedError(
            "ndarray.sort() sorts in place, which a traced array cannot do; use "
            "y = wnp.sort(x, axis=...) instead."
        )

    method("sort", _sort_in_place)

    # A leaked tracer reaches NumPy itself (bind found no transform to hand it to): refuse it
    # here, or NumPy would send it back to wengert.numpy and round again. Asking only for its
    # type (np.result_type, np.shape, ...) computes nothing and stays allowed.
    def __array_ufunc__(self, ufunc, method_name, *inputs, **kwargs):
        if not is_live(self):
            raise leak_error(f"np.{ufunc.__name__}")
        return _array_ufunc(ns, ufunc, method_name, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if not all(issubclass(t, (Tracer, np.ndarray)) for t in types):
            return NotImplemented
        if func.__name__ not in _DESCRIBE and not is_live(self):
            raise leak_error(f"np.{func.__name__}")
        fn = _counterpart(ns, func)
        if fn is None:
            raise _unsupported_function(func)
        return fn(*args, **kwargs)

    T.__array_ufunc__ = __array_ufunc__
    T.__array_function__ = __array_function__


def _logic(ns, op, x, y):
    # &, |, ^ are logical on booleans and bitwise on integers, as in NumPy.
    is_bool = all(isinstance(v, (bool, np.bool_)) or getattr(v, "dtype", None) == bool
                  for v in (x, y))
    return getattr(ns, f"logical_{op}" if is_bool else f"bitwise_{op}")(x, y)


def _public_parts(func) -> list[str] | None:
    """The public submodule path of a NumPy function (["linalg"] for numpy.linalg.norm)."""
    parts = (func.__module__ or "numpy").split(".")
    if parts[0] != "numpy":
        return None
    return [p for p in parts[1:] if p not in _PRIVATE_PARTS]


def _counterpart(ns, func):
    """The ``wengert.numpy`` function with ``func``'s name and submodule, or None."""
    parts = _public_parts(func)
    if parts is None:
        return None
    target = ns
    for part in parts:
        sub = getattr(target, part, None)
        if sub is None:
            modpath = f"{target.__name__}.{part}"
            try:
                sub = importlib.import_module(modpath)
            except ModuleNotFoundError as exc:
                if exc.name != modpath:
                    raise
                return None
        target = sub
    fn = getattr(target, func.__name__, None)
    # A NumPy object re-exported unchanged would only send us back here.
    if fn is None or fn is func or not callable(fn):
        return None
    return fn


def _unsupported_function(func):
    parts = _public_parts(func) or []
    where = ".".join(["wengert.numpy", *parts])
    npname = ".".join(["numpy", *parts, func.__name__])
    return UnsupportedError(
        f"{npname} has no wengert counterpart ({where} has no {func.__name__!r}), so it "
        "cannot be applied to a traced array. Express it with wengert.numpy functions, or "
        "give it rules of your own with wengert.custom_vjp."
    )


def _array_ufunc(ns, ufunc, method_name, inputs, kwargs):
    name = ufunc.__name__
    if method_name == "__call__" and not kwargs:  # x + y, W @ x with an array on the left
        fn = getattr(ns, name, None)
        if fn is not None:
            return fn(*inputs)
    out = kwargs.pop("out", None)
    if out is not None and any(o is not None for o in (out if isinstance(out, tuple) else (out,))):
        raise UnsupportedError(
            f"numpy.{name}(..., out=...) would write a traced value into a NumPy array, which "
            f"cannot hold its derivative. Write the result to a new name instead (y = x + z, "
            f"not y += x where y is a NumPy array), or call wengert.numpy.{name} without out=."
        )
    where = kwargs.pop("where", True)
    if where is not True:
        raise UnsupportedError(
            f"numpy.{name}(..., where=...) is not supported on traced arrays; compute the full "
            "result and select with wengert.numpy.where(mask, result, other) instead."
        )
    dtype = kwargs.pop("dtype", None)
    for k in ("casting", "order", "subok", "signature"):
        kwargs.pop(k, None)
    if method_name == "__call__":
        if kwargs:
            raise UnsupportedError(
                f"numpy.{name}: keyword arguments {sorted(kwargs)} are not supported on traced "
                f"arrays; call wengert.numpy.{name} instead."
            )
        fn = getattr(ns, name, None)
        if fn is None:
            raise UnsupportedError(
                f"numpy.{name} cannot be applied to a traced array: wengert.numpy has no "
                f"{name!r}. Express it with wengert.numpy functions."
            )
        if dtype is not None:
            inputs = [ns.astype(x, dtype) if hasattr(x, "dtype") else x for x in inputs]
        return fn(*inputs)
    if method_name in ("reduce", "accumulate"):
        table = _REDUCE if method_name == "reduce" else _ACCUMULATE
        fn = getattr(ns, table.get(name, ""), None)
        if fn is None:
            raise UnsupportedError(
                f"numpy.{name}.{method_name} has no wengert counterpart for traced arrays; "
                f"supported: {', '.join(f'numpy.{u}.{method_name}' for u in table)}."
            )
        (x,) = inputs
        axis = kwargs.pop("axis", 0)
        if dtype is not None:
            x = ns.astype(x, dtype)
        if method_name == "reduce":
            extra = {"keepdims": kwargs.pop("keepdims", False)}
        else:
            extra = {}
        if kwargs:
            raise UnsupportedError(
                f"numpy.{name}.{method_name}: keyword arguments {sorted(kwargs)} are not "
                f"supported on traced arrays; call wengert.numpy.{table[name]} instead."
            )
        return fn(x, axis=axis, **extra)
    if method_name == "outer":
        fn = getattr(ns, name, None)
        if fn is None or kwargs:
            raise UnsupportedError(
                f"numpy.{name}.outer is not supported on traced arrays; broadcast explicitly: "
                f"wengert.numpy.{name}(a[..., None], b)."
            )
        a, b = inputs
        a_shape = ns.shape(a)
        b_nd = ns.ndim(b)
        a = ns.reshape(a, tuple(a_shape) + (1,) * b_nd)
        return fn(a, b)
    raise UnsupportedError(
        f"numpy.{name}.{method_name} is not supported on traced arrays; express it with "
        "wengert.numpy functions (e.g. wengert.numpy.where or indexing)."
    )


def _bound(fn):
    def m(self, *args, **kwargs):
        return fn(self, *args, **kwargs)

    m.__name__ = fn.__name__
    m.__doc__ = fn.__doc__
    return m
