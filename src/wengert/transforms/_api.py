"""Boundary helpers shared by the transforms: pytrees in and out, and input validation.

Everything a user passes is checked here, before tracing starts, so errors name the
transform and the argument (STYLE.md §7). Imports: core, tree, NumPy.
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import tree as _tree
from ..core.errors import WengertIndexError, WengertTypeError, WengertValueError
from ..core.tracer import Tracer


def _is_traced(x) -> bool:
    return isinstance(x, Tracer)


def as_array(x):
    """A leaf as an array: tracers and ndarrays pass, numbers and lists become ndarrays."""
    if isinstance(x, (np.ndarray, Tracer)):
        return x
    if isinstance(x, np.generic):
        return np.asarray(x)
    try:
        return np.asarray(x)
    except Exception as exc:  # pragma: no cover - defensive
        raise WengertTypeError(f"expected an array or a number, got {type(x).__name__}") from exc


def _float_dtype_ok(dtype) -> bool:
    return np.dtype(dtype).kind in "fc"


def as_float_input(name: str, x, argnum, path: str = ""):
    """Check that a leaf we differentiate with respect to is floating point."""
    x = as_array(x)
    if not _float_dtype_ok(x.dtype):
        where = f"argument {argnum}{path}"
        raise WengertTypeError(
            f"{name}: cannot differentiate with respect to {where} of dtype {x.dtype}; "
            f"pass floats (e.g. np.asarray(x, dtype=float)) or exclude it with argnums."
        )
    return x


def flatten_float_args(name: str, args: tuple, argnums: tuple):
    """Flatten the differentiated arguments into leaves, checking each is floating point."""
    leaves_all, treedef = _tree.flatten(args)
    # Validate each argument separately so errors can name it.
    for k, a in zip(argnums, args):
        for leaf in _tree.leaves(a):
            as_float_input(name, leaf, k)
    return [as_array(x) for x in leaves_all], treedef


def flatten_args(name: str, args):
    leaves, treedef = _tree.flatten(args)
    return [as_array(x) for x in leaves], treedef


def flatten_leaves(args):
    return _tree.flatten(args)


def unflatten(treedef, leaves):
    return _tree.unflatten(treedef, list(leaves))


def split_aux(name: str, out):
    """Return ``(output, aux)`` from what a ``has_aux=True`` function returned, or explain."""
    if not (isinstance(out, tuple) and len(out) == 2):
        raise WengertTypeError(
            f"{name}: with has_aux=True, f must return a pair (output, aux), but it returned "
            f"{type(out).__name__}. Return (out, aux) or drop has_aux."
        )
    return out


def with_leaves(args: tuple, argnums: tuple, in_tree, leaves) -> list:
    """``args`` with the differentiated arguments ``argnums`` rebuilt from ``leaves``."""
    new = list(args)
    for k, d in zip(argnums, unflatten(in_tree, leaves)):
        new[k] = d
    return new


def ravel_floats(name: str, x, what: str = "x"):
    """Ravel the pytree ``x`` into a float64 vector and its unravel; refuse non-float leaves."""
    flat, unravel = _tree.ravel(x)
    flat = np.asarray(flat)
    if not np.issubdtype(flat.dtype, np.floating):
        raise WengertTypeError(
            f"{name}: {what} must have real floating entries, but its entries have dtype "
            f"{flat.dtype}. Pass floats, e.g. np.asarray({what}, dtype=float)."
        )
    return flat, unravel


def flatten_fun(fun, in_tree, has_aux: bool = False, name: str = "transform"):
    """Wrap ``fun`` to take and return flat lists of leaves; the store returns (out_tree, aux)."""
    store = {}

    def flat_fun(*leaves):
        args = _tree.unflatten(in_tree, list(leaves))
        out = fun(*args)
        if has_aux:
            out, store["aux"] = split_aux(name, out)
        flat, store["tree"] = _tree.flatten(out)
        return [as_array(x) for x in flat]

    def result():
        return store["tree"], lower_escaped(store.get("aux"))

    return flat_fun, result


def normalize_argnums(name: str, argnums, nargs: int) -> tuple:
    nums = (argnums,) if isinstance(argnums, numbers.Integral) else tuple(argnums)
    for k in nums:
        if not isinstance(k, numbers.Integral):
            raise WengertTypeError(
                f"{name}: argnums must be an int or a tuple of ints, got {argnums!r}."
            )
        if not -nargs <= k < nargs:
            raise WengertIndexError(
                f"{name}: argnums={argnums!r} is out of range: f was called with {nargs} "
                f"positional argument(s), so argnums must lie in [0, {nargs - 1}]."
            )
    return tuple(k % nargs for k in nums)


def check_primals_tangents(name, primals, tangents):
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise WengertTypeError(
            f"{name}: primals and tangents must be tuples (one entry per argument of f), got "
            f"{type(primals).__name__} and {type(tangents).__name__}. Write "
            f"{name}(f, (x,), (v,)) for a single argument."
        )
    if len(primals) != len(tangents):
        raise WengertValueError(
            f"{name}: got {len(primals)} primal(s) but {len(tangents)} tangent(s); "
            "pass one tangent per primal."
        )
    return tuple(primals), tuple(tangents)


def check_tangents(name, flat_p, flat_t, p_tree, t_tree, kind="tangent"):
    """Check tangents match primals in structure, shape and dtype; return both as arrays.

    A tangent given as a Python number takes the primal's dtype (a weak type, as in JAX).
    """
    if p_tree != t_tree:
        raise WengertValueError(
            f"{name}: the {kind}s have structure {t_tree} but the primals have {p_tree}; "
            f"give each primal a {kind} of the same structure."
        )
    ps, ts = [], []
    for i, (p, t) in enumerate(zip(flat_p, flat_t)):
        p = as_array(p)
        if not _float_dtype_ok(p.dtype):
            raise WengertTypeError(
                f"{name}: primal {i} has dtype {p.dtype}; only floating-point inputs carry "
                f"{kind}s. Pass floats (e.g. np.asarray(x, dtype=float)) or close over "
                "integer inputs instead of passing them."
            )
        t = np.asarray(t, dtype=p.dtype) if isinstance(t, numbers.Number) else as_array(t)
        if tuple(t.shape) != tuple(p.shape):
            raise WengertValueError(
                f"{name}: the {kind} for argument {i} has shape {tuple(t.shape)} but the "
                f"primal has shape {tuple(p.shape)}."
            )
        if t.dtype != p.dtype:
            raise WengertTypeError(
                f"{name}: the {kind} for argument {i} has dtype {t.dtype} but the primal "
                f"has dtype {p.dtype}; cast it with .astype({p.dtype})."
            )
        ps.append(p)
        ts.append(t)
    return ps, ts


def coerce_like(name, kind, i, t, ref):
    """Return cotangent/tangent ``t`` as an array matching ``ref``'s shape and dtype."""
    if not isinstance(t, (np.ndarray, Tracer)):
        t = np.asarray(t, dtype=ref.dtype if isinstance(t, numbers.Number) else None)
    if tuple(t.shape) != tuple(ref.shape):
        raise WengertValueError(
            f"{name}: the {kind} for output {i} has shape {tuple(t.shape)} but the output has "
            f"shape {tuple(ref.shape)}."
        )
    if t.dtype != ref.dtype:
        if np.can_cast(t.dtype, ref.dtype, "same_kind") and not _is_traced(t):
            t = t.astype(ref.dtype)
        else:
            raise WengertTypeError(
                f"{name}: the {kind} for output {i} has dtype {t.dtype} but the output has "
                f"dtype {ref.dtype}; cast it with .astype({ref.dtype})."
            )
    return t


def zeros_like_value(x):
    from .. import numpy as wnp

    return wnp.zeros_like(x)


def ones_like_value(x):
    from .. import numpy as wnp

    return wnp.ones_like(x)


def lower_escaped(obj):
    """Replace tracers whose transform has returned by their values (for ``aux`` outputs)."""
    from ..core.tracer import active_interpreters

    if obj is None:
        return None
    stack = active_interpreters()

    def low(x):
        while isinstance(x, Tracer) and (x._interp.level >= len(stack)
                                         or stack[x._interp.level] is not x._interp):
            x = x._value()
        return x

    return _tree.map(low, obj)


def writable(x):
    """Return ``x``, copied if it is a read-only NumPy view (e.g. from ``broadcast_to``)."""
    if isinstance(x, np.ndarray) and not x.flags.writeable:
        return x.copy()
    return x
