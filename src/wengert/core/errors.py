"""Exception classes for wengert.

Every error raised at the API boundary says what was required, what was received and how to
fix it. Each class subclasses both :class:`WengertError` and the closest builtin, so callers
can catch either. Imports: the standard library only.
"""

from __future__ import annotations


class WengertError(Exception):
    """Base class of every error wengert raises on purpose."""


class WengertTypeError(WengertError, TypeError):
    """A value of the wrong type (integer where floats are needed, a traced value in `bool`)."""


class WengertValueError(WengertError, ValueError):
    """A value of the right type but the wrong shape, dtype or range."""


class WengertIndexError(WengertError, IndexError):
    """An argument index (argnums) out of range."""


class MissingRuleError(WengertError, NotImplementedError):
    """A primitive has no rule for the requested transform."""


class UnsupportedError(WengertError, NotImplementedError):
    """An operation wengert deliberately does not support on traced arrays."""


class ReplayError(WengertError, TypeError):
    """``jit`` cannot replay a recording safely (control flow on a traced value, a side effect)."""


def describe(x) -> str:
    """Return a short human description of a value: type, shape and dtype."""
    shape = getattr(x, "shape", None)
    dtype = getattr(x, "dtype", None)
    if shape is not None and dtype is not None:
        return f"{type(x).__name__} of shape {tuple(shape)} and dtype {dtype}"
    return f"{type(x).__name__} {x!r}"[:120]
