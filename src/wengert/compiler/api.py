"""``jit``: record once per signature, simplify, then run generated straight-line NumPy.

See docs/design.md §5f. A call flattens its arguments into array leaves (traced by ``jit``)
and static values (part of the signature: ``static_argnums`` arguments, Python numbers and
any other non-array leaf), looks the signature up in a bounded LRU cache and runs the compiled
function. The first call of a signature records (``record``), simplifies (``simplify``) and
generates code (``codegen``); its result is the recording's own, so it costs one eager run
plus the compilation. Called on values traced by an outer transform (``grad(jit(f))``,
``vmap(jit(f))``), the compiled list is replayed primitive by primitive through ``bind``, so
that transform sees ordinary primitives. Imports: tree, core, transforms._api, the sibling
modules.
"""

from __future__ import annotations

import functools
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .. import tree as _tree
from ..core.errors import ReplayError, WengertTypeError, WengertValueError
from ..core.ir import Trace
from ..core.tracer import Tracer
from ..transforms import _api
from . import codegen
from .record import record
from .simplify import Stats, simplify


class CacheInfo(NamedTuple):
    """Hits, misses, the bound and the current size of a jitted function's cache."""

    hits: int
    misses: int
    maxsize: int
    currsize: int


@dataclass(eq=False)
class Compiled:
    """One signature of a jitted function: the simplified list and its generated code.

    Attributes
    ----------
    trace : the simplified Wengert list (inputs: the array leaves, in order).
    source : the generated Python source.
    fn : the generated function (array leaves in, output leaves out).
    stats : what simplification removed (``recorded``, ``identities``, ``folded``,
        ``merged``, ``dead``, ``kept``).
    compile_seconds : recording, simplification and code generation of this signature.
    eager : True for a signature that ``fallback=True`` runs eagerly (then ``trace``,
        ``source`` and ``fn`` are None and ``reason`` says why).
    """

    trace: Trace | None
    source: str | None
    fn: Any
    out_tree: Any
    stats: Stats | None
    compile_seconds: float
    eager: bool = False
    reason: str = ""

    def __str__(self) -> str:
        if self.eager:
            return f"eager (not compiled): {self.reason}"
        s = self.stats
        return (f"{s.recorded} equations recorded, {s.kept} kept ({s.identities} identities, "
                f"{s.folded} folded, {s.merged} merged, {s.dead} dead); compiled in "
                f"{self.compile_seconds * 1e3:.1f} ms\n{self.source}")


_ARRAY_TYPES = (np.ndarray, np.generic, Tracer)


class Jitted:
    """A function compiled per input signature (see :func:`jit`)."""

    def __init__(self, fun, static_argnums: tuple, fallback: bool, maxsize: int):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.static_argnums = static_argnums
        self.fallback = fallback
        self.maxsize = maxsize
        self._cache: OrderedDict = OrderedDict()
        self._hits = self._misses = 0
        self._warned = False
        self._last: Compiled | None = None

    # --- the signature -------------------------------------------------------------------

    def _split(self, args: tuple, kwargs: dict):
        """Return (dynamic leaves, signature key, rebuild(leaves) -> (args, kwargs))."""
        n = len(args)
        static = set()
        for k in self.static_argnums:
            if not -n <= k < n:
                raise WengertValueError(
                    f"jit: static_argnums={self.static_argnums} names argument {k}, but the "
                    f"function was called with {n} positional arguments. Pass the argument, or "
                    "change static_argnums."
                )
            static.add(k % n)
        dynamic = tuple(None if i in static else a for i, a in enumerate(args))
        leaves, tdef = _tree.flatten((dynamic, kwargs))
        dyn, key_parts, slots = [], [tdef], []
        for leaf in leaves:
            if isinstance(leaf, _ARRAY_TYPES):
                slots.append(len(dyn))
                dyn.append(leaf)
                key_parts.append((tuple(leaf.shape), np.dtype(leaf.dtype).str))
            else:
                slots.append(None)
                key_parts.append(("static", type(leaf), _static_key(leaf)))
        statics = tuple((i, args[i]) for i in sorted(static))
        key_parts.append(tuple((i, type(a), _static_key(a)) for i, a in statics))
        key = tuple(key_parts)

        def rebuild(values):
            full = [leaf if s is None else values[s] for leaf, s in zip(leaves, slots)]
            dyn_args, kw = _tree.unflatten(tdef, full)
            new_args = list(dyn_args)
            for i, a in statics:
                new_args[i] = a
            return tuple(new_args), kw

        return dyn, key, rebuild

    # --- compilation ---------------------------------------------------------------------

    def _compile(self, dyn: list, rebuild) -> tuple[Compiled, list | None]:
        """Record, simplify and generate code; return the entry and the recorded outputs."""
        start = time.perf_counter()
        def run(*tracers):
            args, kwargs = rebuild(tracers)
            return self.fun(*args, **kwargs)

        try:
            trace, out_tree, values = record(run, dyn, lambda ts: ts)
        except ReplayError as exc:
            if not self.fallback:
                raise
            if not self._warned:
                warnings.warn(f"{exc} Running this signature eagerly (fallback=True).",
                              stacklevel=4)
                self._warned = True
            entry = Compiled(None, None, None, None, None, time.perf_counter() - start,
                             eager=True, reason=str(exc))
            # A side effect found after the call finished: its result is this call's result.
            return entry, getattr(exc, "result", _NOT_RUN)
        simple, stats = simplify(trace)
        name = "jit_" + "".join(c if c.isalnum() else "_"
                                for c in getattr(self.fun, "__name__", "f"))
        fn, source = codegen.build(simple, name)
        entry = Compiled(simple, source, fn, out_tree, stats, time.perf_counter() - start)
        return entry, values

    def _entry(self, dyn, rebuild, key):
        entry = self._cache.get(key)
        if entry is not None:
            self._hits += 1
            self._cache.move_to_end(key)
            return entry, None
        self._misses += 1
        entry, values = self._compile(dyn, rebuild)
        self._cache[key] = entry
        if len(self._cache) > self.maxsize:
            self._cache.popitem(last=False)
        self._last = entry
        return entry, values

    # --- calls ---------------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        dyn, key, rebuild = self._split(args, kwargs)
        traced = any(isinstance(x, Tracer) for x in dyn)
        if traced:
            return self._replay(dyn, key, rebuild, args, kwargs)
        entry, values = self._entry(dyn, rebuild, key)
        if entry.eager:
            return self.fun(*args, **kwargs) if values is None or values is _NOT_RUN else values
        if values is None:
            values = entry.fn(*dyn)
        return _tree.unflatten(entry.out_tree, _distinct(values))

    def _replay(self, dyn, key, rebuild, args, kwargs):
        """Under an outer transform: evaluate the compiled list through ``bind``."""
        examples = [_example(x) for x in dyn]
        entry = self._cache.get(key)
        if entry is None:
            self._misses += 1
            with np.errstate(all="ignore"):
                entry, _ = self._compile(examples, rebuild)
            self._cache[key] = entry
            if len(self._cache) > self.maxsize:
                self._cache.popitem(last=False)
            self._last = entry
        else:
            self._hits += 1
        if entry.eager:
            return self.fun(*args, **kwargs)
        return _tree.unflatten(entry.out_tree, entry.trace.evaluate(*dyn))

    def lower(self, *args, **kwargs) -> Compiled:
        """Return the compiled entry for these arguments' signature, compiling it if needed."""
        dyn, key, rebuild = self._split(args, kwargs)
        if key not in self._cache:
            self._entry([_example(x) for x in dyn], rebuild, key)
        return self._cache[key]

    @property
    def source(self) -> str | None:
        """The generated source of the most recently compiled signature (None before one)."""
        return None if self._last is None else self._last.source

    def cache_info(self) -> CacheInfo:
        """Return hits, misses, maxsize and current size of this function's cache."""
        return CacheInfo(self._hits, self._misses, self.maxsize, len(self._cache))

    def cache_clear(self) -> None:
        """Forget every compiled signature."""
        self._cache.clear()
        self._hits = self._misses = 0
        self._last = None

    def __repr__(self) -> str:
        return f"jit({getattr(self.fun, '__name__', 'f')})"


_NOT_RUN = object()  # a fallback whose recording stopped midway: run the function eagerly


def _distinct(values) -> list:
    """Outputs as eager returns them: writable, and one array object per output position.

    Merged common subexpressions can make two outputs one array; eager returns two.
    """
    out, seen = [], set()
    for v in values:
        v = _api.writable(v)
        if isinstance(v, np.ndarray):
            if id(v) in seen:
                v = v.copy()
            seen.add(id(v))
        out.append(v)
    return out


def _example(x):
    """A concrete array of ``x``'s shape and dtype to record with."""
    if not isinstance(x, Tracer):
        return x
    try:
        value = x.primal_value()
    except ReplayError:  # inside an outer jit: its values are not to be read
        value = None
    if value is not None:
        extra = np.ndim(value) - len(x.shape)
        if extra >= 0 and np.shape(value)[extra:] == tuple(x.shape):
            # Under vmap the value holds the whole batch (batch axes first): record on the
            # first example, a real input rather than a made-up one.
            return np.asarray(value)[(0,) * extra] if extra else value
    return np.ones(x.shape, x.dtype)


def _static_key(v):
    try:
        hash(v)
    except TypeError as exc:
        raise WengertTypeError(
            f"jit: a static argument (or a non-array leaf of the arguments) must be hashable, "
            f"but received a {type(v).__name__}. Pass arrays for values that change between "
            "calls, or a hashable value (a tuple instead of a list)."
        ) from exc
    return v


def jit(fun=None, *, static_argnums=(), fallback: bool = False, maxsize: int = 64):
    """Return ``fun`` compiled: recorded once per input signature, then run as generated NumPy.

    The first call with a new signature (pytree structure, shapes and dtypes of the array
    leaves, values of static arguments and Python numbers) records ``fun`` — which may be
    any transformed function: ``jit(grad(f))``, ``jit(value_and_grad(f))``, ``jit(vmap(g))``,
    ``jit(lambda x, v: hvp(f, x, v))`` — simplifies the Wengert list (identities, constant
    folding, common subexpressions, dead code) and generates a Python function of
    straight-line NumPy calls that releases each intermediate after its last use. Later calls
    with that signature run the generated code. ``grad(jit(f))`` and ``vmap(jit(f))`` replay
    the compiled list through the transforms.

    Parameters
    ----------
    fun : the function (positional and keyword arguments may be pytrees).
    static_argnums : positions of arguments that are compile-time constants (hashable); each
        new value compiles a new signature. Python numbers among the arguments are static too.
    fallback : if True, a signature that cannot be replayed safely runs eagerly (one warning
        per function); if False (the default), ``ReplayError`` is raised.
    maxsize : the number of signatures kept (least recently used first out).

    Raises
    ------
    ReplayError
        When recording finds control flow on a traced value (``if x > 0``, ``float(x)``),
        reads NumPy's global random state, writes to stdout/stderr, or closes over a value
        traced by an outer transform; the message names the source line.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> f = wg.jit(wg.value_and_grad(lambda x: wnp.sum(wnp.sin(x) * x)))
    >>> value, g = f(np.array([0.5, 1.0]))
    >>> bool(np.allclose(g, np.sin([0.5, 1.0]) + np.cos([0.5, 1.0]) * [0.5, 1.0]))
    True
    >>> f.cache_info()
    CacheInfo(hits=0, misses=1, maxsize=64, currsize=1)
    >>> print(wg.jit(lambda x: x * 2.0 + 1.0).lower(np.ones(2)).source)
    def jit__lambda_(a0):
        v1 = np.multiply(a0, 2.0)  # mul
        v2 = np.add(v1, 1.0, out=v1)  # add
        del v1
        return (v2,)
    <BLANKLINE>
    """
    if fun is None:
        return functools.partial(jit, static_argnums=static_argnums, fallback=fallback,
                                 maxsize=maxsize)
    if not callable(fun):
        raise WengertTypeError(
            f"jit: expected a function, but received {type(fun).__name__}; pass the function, "
            "e.g. jit(f) or @jit."
        )
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    if any(not isinstance(k, int) or isinstance(k, bool) for k in nums):
        raise WengertTypeError(
            f"jit: static_argnums must be an int or a tuple of ints, but received "
            f"{static_argnums!r}."
        )
    if not isinstance(maxsize, int) or maxsize < 1:
        raise WengertValueError(f"jit: maxsize must be a positive int, but received {maxsize!r}.")
    return Jitted(fun, nums, bool(fallback), maxsize)
