"""Flatten nested containers ("pytrees") into leaves and a structure, and rebuild them.

Every transform accepts and returns pytrees, so this module turns a nested value into a flat
list of *leaves* plus a hashable :class:`TreeDef` that can rebuild it. Node types are
``tuple``, ``list``, ``dict`` (children in sorted-key order; rebuilt with the original key
order), ``None`` (a node with no children), namedtuples, ``collections.OrderedDict``
(insertion order), dataclasses registered with :func:`register_dataclass` and classes
registered with :func:`register`. Everything else (arrays, numbers, strings, other objects) is
a leaf. :func:`ravel` packs the leaves into one 1-D vector.

This module imports only the standard library and NumPy. :func:`ravel` looks up
``wengert.numpy`` at call time, and only when a leaf is a traced array.

Examples
--------
>>> import numpy as np
>>> from wengert import tree
>>> leaves, treedef = tree.flatten((np.zeros(2), {"b": None, "a": 1.0}))
>>> leaves
[array([0., 0.]), 1.0]
>>> treedef
TreeDef(tuple[*, dict{'a': *, 'b': None}])
>>> tree.unflatten(treedef, [np.ones(2), 2.0])
(array([1., 1.]), {'b': None, 'a': 2.0})
>>> tree.map(lambda x, y: x + y, {"w": 1.0, "b": 2.0}, {"w": 10.0, "b": 20.0})
{'w': 11.0, 'b': 22.0}
"""

from __future__ import annotations

import collections
import dataclasses
import functools
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

__all__ = [
    "TreeDef",
    "broadcast_prefix",
    "flatten",
    "leaves",
    "map",
    "ravel",
    "register",
    "register_dataclass",
    "structure",
    "unflatten",
]


class _Handler:
    """How one node type is split into children and rebuilt.

    ``to_children(node) -> (children, aux)``; ``from_children(cls, aux, children) -> node``.
    ``show(cls, aux, child_reprs) -> str`` formats the node for ``TreeDef.__repr__``.
    """

    __slots__ = ("from_children", "show", "to_children")

    def __init__(self, to_children, from_children, show):
        self.to_children = to_children
        self.from_children = from_children
        self.show = show


class _DictKeys:
    """Aux data of a dict node: children follow ``sorted_keys``; ``order`` rebuilds the dict.

    Equality and hash use only the sorted keys, so two dicts with the same keys inserted in a
    different order have the same structure (as in JAX).
    """

    __slots__ = ("order", "sorted_keys")

    def __init__(self, sorted_keys: tuple, order: tuple):
        self.sorted_keys = sorted_keys
        self.order = order

    def __eq__(self, other):
        return isinstance(other, _DictKeys) and self.sorted_keys == other.sorted_keys

    def __hash__(self):
        return hash(self.sorted_keys)


def _dict_to_children(d: dict):
    order = tuple(d)
    try:
        sorted_keys = tuple(sorted(order))
    except TypeError:
        # Keys of mixed, unorderable types (e.g. 1 and "a"): fall back to insertion order.
        sorted_keys = order
    return [d[k] for k in sorted_keys], _DictKeys(sorted_keys, order)


def _dict_from_children(cls, aux: _DictKeys, children):
    by_key = dict(zip(aux.sorted_keys, children))
    return {k: by_key[k] for k in aux.order}


def _join(items) -> str:
    return ", ".join(items)


def _show_keyed(name: str, keys, child_reprs) -> str:
    return f"{name}{{{_join(f'{k!r}: {c}' for k, c in zip(keys, child_reprs))}}}"


_TUPLE = _Handler(
    lambda t: (t, None),
    lambda cls, aux, children: tuple(children),
    lambda cls, aux, cs: f"tuple[{_join(cs)}]",
)
_LIST = _Handler(
    lambda t: (t, None),
    lambda cls, aux, children: list(children),
    lambda cls, aux, cs: f"list[{_join(cs)}]",
)
_DICT = _Handler(
    _dict_to_children,
    _dict_from_children,
    lambda cls, aux, cs: _show_keyed("dict", aux.sorted_keys, cs),
)
_NONE = _Handler(
    lambda n: ((), None),
    lambda cls, aux, children: None,
    lambda cls, aux, cs: "None",
)
_ORDERED_DICT = _Handler(
    lambda d: (list(d.values()), tuple(d)),
    lambda cls, aux, children: cls(zip(aux, children)),
    lambda cls, aux, cs: _show_keyed(cls.__name__, aux, cs),
)
_NAMEDTUPLE = _Handler(
    lambda t: (t, None),
    lambda cls, aux, children: cls(*children),
    lambda cls, aux, cs: f"{cls.__name__}({_join(f'{f}={c}' for f, c in zip(cls._fields, cs))})",
)

# The registry: exact type -> handler. Subclasses are leaves unless registered themselves
# (namedtuples excepted, which are recognised by their ``_fields``).
_handlers: dict[type, _Handler] = {
    tuple: _TUPLE,
    list: _LIST,
    dict: _DICT,
    type(None): _NONE,
    collections.OrderedDict: _ORDERED_DICT,
}

# Types that are always leaves; checked first so the common case costs one set lookup.
_ATOMIC = frozenset({np.ndarray, float, int, complex, bool, str, bytes, np.float64, np.float32})


def _handler_for(cls: type) -> _Handler | None:
    handler = _handlers.get(cls)
    if handler is None and issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return _NAMEDTUPLE
    return handler


class TreeDef:
    """The structure of a pytree: its node types and static data, with a ``*`` per leaf.

    Immutable, hashable and ``==`` comparable; obtained from :func:`flatten` or
    :func:`structure`, never built directly.
    """

    __slots__ = ("_aux", "_children", "_cls", "_flat", "_handler", "_hash", "_num_leaves")

    def __init__(self, cls, handler, aux, children: tuple[TreeDef, ...]):
        self._cls = cls
        self._handler = handler
        self._aux = aux
        self._children = children
        self._hash = None
        if handler is None:
            self._num_leaves = 1
            self._flat = False
        else:
            # A node whose children are all leaves is rebuilt without recursion.
            num_leaves = 0
            flat = True
            for c in children:
                num_leaves += c._num_leaves
                if c._handler is not None:
                    flat = False
            self._num_leaves = num_leaves
            self._flat = flat

    @property
    def num_leaves(self) -> int:
        """Number of leaves in the tree."""
        return self._num_leaves

    @property
    def is_leaf(self) -> bool:
        """Whether the whole tree is a single leaf."""
        return self._handler is None

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        """Rebuild the tree with ``leaves`` in place of its ``*``, in flatten order.

        Raises
        ------
        ValueError
            If the number of leaves differs from :attr:`num_leaves`.
        """
        if not isinstance(leaves, (list, tuple)):
            leaves = list(leaves)
        if len(leaves) != self._num_leaves:
            raise ValueError(
                f"unflatten: the structure {self!r} expects {self._num_leaves} "
                f"leaves, but {len(leaves)} were received; pass exactly one leaf per '*'."
            )
        if self._handler is None:
            return leaves[0]
        if self._flat:
            return self._handler.from_children(self._cls, self._aux, leaves)
        return self._build(iter(leaves))

    def _build(self, it):
        if self._handler is None:
            return next(it)
        children = [c._build(it) for c in self._children]
        return self._handler.from_children(self._cls, self._aux, children)

    def _key(self):
        return (self._cls, self._aux, self._children)

    def __eq__(self, other):
        if self is other:
            return True
        if not isinstance(other, TreeDef):
            return NotImplemented
        return self._num_leaves == other._num_leaves and self._key() == other._key()

    def __hash__(self):
        if self._hash is None:
            self._hash = hash(self._key())
        return self._hash

    def _show(self) -> str:
        if self._handler is None:
            return "*"
        child_reprs = [c._show() for c in self._children]
        return self._handler.show(self._cls, self._aux, child_reprs)

    def __repr__(self):
        return f"TreeDef({self._show()})"


_LEAF = TreeDef(None, None, None, ())


@functools.lru_cache(maxsize=64)
def _flat_tuple_def(n: int) -> TreeDef:
    return TreeDef(tuple, _TUPLE, None, (_LEAF,) * n)


def _flatten_into(node, out: list, is_leaf) -> TreeDef:
    cls = type(node)
    if cls in _ATOMIC or (is_leaf is not None and is_leaf(node)):
        out.append(node)
        return _LEAF
    handler = _handler_for(cls)
    if handler is None:
        out.append(node)
        return _LEAF
    children, aux = handler.to_children(node)
    child_defs = tuple([_flatten_into(c, out, is_leaf) for c in children])
    return TreeDef(cls, handler, aux, child_defs)


def flatten(tree: Any, *, is_leaf: Callable[[Any], bool] | None = None) -> tuple[list, TreeDef]:
    """Split ``tree`` into its leaves (depth first, left to right) and its structure.

    ``unflatten(treedef, leaves)`` rebuilds ``tree``. Dict children come in sorted-key order.

    Parameters
    ----------
    tree
        Any nesting of the node types listed in the module docstring.
    is_leaf
        Optional predicate; a node for which it returns True is kept whole as a leaf.

    Returns
    -------
    leaves : list
        The leaves, in flatten order.
    treedef : TreeDef
        The structure, with one ``*`` per leaf.

    Examples
    --------
    >>> flatten({"b": [1, 2], "a": (3, None)})
    ([3, 1, 2], TreeDef(dict{'a': tuple[*, None], 'b': list[*, *]}))
    >>> flatten([1, (2, 3)], is_leaf=lambda x: isinstance(x, tuple))
    ([1, (2, 3)], TreeDef(list[*, *]))
    """
    cls = type(tree)
    if is_leaf is None:
        # Fast paths for what transforms see most: one array, or a flat tuple of arrays.
        if cls in _ATOMIC:
            return [tree], _LEAF
        if cls is tuple and all(type(x) in _ATOMIC for x in tree):
            return list(tree), _flat_tuple_def(len(tree))
    out: list = []
    treedef = _flatten_into(tree, out, is_leaf)
    return out, treedef


def unflatten(treedef: TreeDef, leaves: Iterable[Any]) -> Any:
    """Rebuild a tree of structure ``treedef`` from ``leaves`` (the inverse of :func:`flatten`).

    Raises
    ------
    ValueError
        If the number of leaves differs from ``treedef.num_leaves``.

    Examples
    --------
    >>> _, treedef = flatten({"x": 0, "y": (0, 0)})
    >>> unflatten(treedef, [1, 2, 3])
    {'x': 1, 'y': (2, 3)}
    """
    if not isinstance(treedef, TreeDef):
        raise TypeError(
            f"unflatten: treedef must be a TreeDef, but received {type(treedef).__name__}; "
            "get one from tree.flatten or tree.structure."
        )
    return treedef.unflatten(leaves)


def broadcast_prefix(prefix: Any, tree: Any, is_prefix_leaf: Callable[[Any], bool]) -> list:
    """Return one entry of ``prefix`` per leaf of ``tree``, ``prefix`` being a tree prefix.

    Where ``prefix`` has a leaf (``is_prefix_leaf`` is true), that value applies to every leaf
    of the matching subtree of ``tree``; elsewhere both must have the same node type and
    children. This is how ``vmap``'s ``in_axes`` names an axis for a whole argument or for
    each part of it.

    Raises
    ------
    ValueError
        Where the structures part, naming the path.

    Examples
    --------
    >>> broadcast_prefix((0, None), ([1, 2], {"a": 3}), lambda a: a is None or isinstance(a, int))
    [0, 0, None]
    """
    out: list = []

    def walk(p, t, path):
        if is_prefix_leaf(p):
            out.extend([p] * structure(t).num_leaves)
            return
        hp, ht = _handler_for(type(p)), _handler_for(type(t))
        if hp is None or hp is not ht:
            raise ValueError(
                f"at {path or 'the root'}: the prefix has {type(p).__name__} where the tree has "
                f"{type(t).__name__}; give one entry per part of the tree, or a single value."
            )
        pc, paux = hp.to_children(p)
        tc, taux = ht.to_children(t)
        if len(pc) != len(tc) or paux != taux:
            raise ValueError(
                f"at {path or 'the root'}: the prefix has {len(pc)} entries where the tree has "
                f"{len(tc)}; give one entry per part of the tree, or a single value."
            )
        for k, (a, b) in enumerate(zip(pc, tc)):
            walk(a, b, f"{path}[{k}]")

    walk(prefix, tree, "")
    return out


def leaves(tree: Any, *, is_leaf: Callable[[Any], bool] | None = None) -> list:
    """Return the leaves of ``tree`` in flatten order.

    Examples
    --------
    >>> leaves([1, {"a": 2, "b": None}, (3,)])
    [1, 2, 3]
    """
    return flatten(tree, is_leaf=is_leaf)[0]


def structure(tree: Any, *, is_leaf: Callable[[Any], bool] | None = None) -> TreeDef:
    """Return the :class:`TreeDef` of ``tree``.

    Examples
    --------
    >>> structure((1.0, [2.0, 3.0]))
    TreeDef(tuple[*, list[*, *]])
    """
    return flatten(tree, is_leaf=is_leaf)[1]


def map(
    fn: Callable[..., Any],
    tree: Any,
    *rest: Any,
    is_leaf: Callable[[Any], bool] | None = None,
) -> Any:
    """Apply ``fn`` leafwise: the result has ``tree``'s structure with ``fn(x, *ys)`` as leaves.

    Parameters
    ----------
    fn
        Called once per leaf, with the matching leaf of each tree in ``rest``.
    tree
        The tree whose structure the result has.
    *rest
        Further trees with the same structure as ``tree``.
    is_leaf
        Optional predicate, as in :func:`flatten` (applied to every tree).

    Raises
    ------
    ValueError
        If a tree in ``rest`` has a different structure from ``tree``.

    Examples
    --------
    >>> map(lambda x, y: x * y, [1, (2, 3)], [4, (5, 6)])
    [4, (10, 18)]
    """
    flat, treedef = flatten(tree, is_leaf=is_leaf)
    if not rest:
        return treedef.unflatten([fn(x) for x in flat])
    flats = [flat]
    for i, other in enumerate(rest, start=1):
        other_flat, other_def = flatten(other, is_leaf=is_leaf)
        if other_def != treedef:
            raise ValueError(
                f"map: every tree must have the structure of the first tree, {treedef!r}, but "
                f"tree {i} has structure {other_def!r}. Pass trees with the same nesting, "
                "node types and dict keys."
            )
        flats.append(other_flat)
    return treedef.unflatten([fn(*xs) for xs in zip(*flats)])


def register(
    cls: type,
    flatten_fn: Callable[[Any], tuple[Iterable[Any], Any]],
    unflatten_fn: Callable[[Any, list], Any],
) -> type:
    """Register ``cls`` as a pytree node type.

    Parameters
    ----------
    cls
        The node class; only exact instances (not subclasses) are treated as nodes.
    flatten_fn
        ``flatten_fn(node) -> (children, aux)``: the children (an iterable of subtrees) and
        static aux data, which is kept in the treedef and so must be hashable and comparable.
    unflatten_fn
        ``unflatten_fn(aux, children) -> node``, the inverse.

    Returns
    -------
    type
        ``cls``, unchanged.

    Raises
    ------
    ValueError
        If ``cls`` is already a node type.

    Examples
    --------
    >>> class Pair:
    ...     def __init__(self, a, b):
    ...         self.a, self.b = a, b
    >>> _ = register(Pair, lambda p: ((p.a, p.b), None), lambda aux, ch: Pair(*ch))
    >>> structure(Pair(1, [2, 3]))
    TreeDef(Pair[*, list[*, *]])
    """
    if not isinstance(cls, type):
        raise TypeError(f"register: cls must be a class, but received {cls!r}.")
    if cls in _handlers:
        raise ValueError(f"register: {cls.__qualname__} is already a pytree node type.")
    name = cls.__name__

    def to_children(node):
        children, aux = flatten_fn(node)
        return list(children), aux

    def show(_cls, aux, child_reprs):
        shown_aux = "" if aux is None else f"aux={aux!r}; "
        return f"{name}[{shown_aux}{_join(child_reprs)}]"

    _handlers[cls] = _Handler(to_children, lambda _cls, aux, ch: unflatten_fn(aux, ch), show)
    return cls


def register_dataclass(cls: type) -> type:
    """Register the dataclass ``cls`` as a pytree node type; usable as a class decorator.

    Fields become children in field order. A field declared with
    ``dataclasses.field(metadata={"static": True})`` is kept in the treedef instead (its value
    must be hashable), so trees that differ in it have different structures.

    Raises
    ------
    TypeError
        If ``cls`` is not a dataclass, or a field is not an ``__init__`` argument.

    Examples
    --------
    >>> @register_dataclass
    ... @dataclasses.dataclass
    ... class Layer:
    ...     w: Any
    ...     b: Any
    ...     act: str = dataclasses.field(default="tanh", metadata={"static": True})
    >>> flatten(Layer(1.0, 2.0))
    ([1.0, 2.0], TreeDef(Layer(w=*, b=*; act='tanh')))
    """
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(
            f"register_dataclass: {cls!r} is not a dataclass; decorate it with "
            "@dataclasses.dataclass first (below @register_dataclass)."
        )
    if cls in _handlers:
        raise ValueError(f"register_dataclass: {cls.__qualname__} is already a pytree node type.")
    fields = dataclasses.fields(cls)
    not_init = [f.name for f in fields if not f.init]
    if not_init:
        raise TypeError(
            f"register_dataclass: field(s) {not_init} of {cls.__qualname__} have init=False, "
            "so the class cannot be rebuilt from its fields; make them init fields."
        )
    data_names = tuple(f.name for f in fields if not f.metadata.get("static", False))
    static_names = tuple(f.name for f in fields if f.metadata.get("static", False))

    def to_children(node):
        children = [getattr(node, n) for n in data_names]
        return children, tuple(getattr(node, n) for n in static_names)

    def from_children(_cls, aux, children):
        return cls(**dict(zip(data_names, children)), **dict(zip(static_names, aux)))

    def show(_cls, aux, child_reprs):
        parts = [f"{n}={c}" for n, c in zip(data_names, child_reprs)]
        statics = _join(f"{n}={v!r}" for n, v in zip(static_names, aux))
        return f"{cls.__name__}({_join(parts)}{'; ' + statics if statics else ''})"

    _handlers[cls] = _Handler(to_children, from_children, show)
    return cls


_PLAIN = (np.ndarray, np.generic, int, float, complex)


def _leaf_dtype(i: int, x) -> np.dtype:
    dtype = np.asarray(x).dtype if isinstance(x, _PLAIN) else getattr(x, "dtype", None)
    if dtype is None:
        raise TypeError(
            f"ravel: leaf {i} is a {type(x).__name__}, but ravel needs array or number leaves; "
            "remove it from the tree or make the tree node static."
        )
    dtype = np.dtype(dtype)
    if not (dtype.kind in "biufc"):
        raise TypeError(
            f"ravel: leaf {i} has dtype {dtype}, but ravel needs boolean or numeric leaves."
        )
    return dtype


def ravel(tree: Any) -> tuple[Any, Callable[[Any], Any]]:
    """Concatenate the raveled leaves of ``tree`` into one 1-D vector.

    The vector's dtype is ``np.result_type`` of the leaves' dtypes (a Python number counts as
    its NumPy default dtype), or float64 for a tree without leaves. ``unravel(vec)`` is the
    inverse: it rebuilds the tree from a vector of the same length, giving each leaf its
    original shape and dtype (number leaves come back as 0-d arrays). Traced leaves are
    handled with ``wengert.numpy``, so both directions are differentiable.

    Parameters
    ----------
    tree
        A pytree whose leaves are arrays or numbers.

    Returns
    -------
    flat : array
        The 1-D vector, a copy of the leaves' data.
    unravel : callable
        ``unravel(vec) -> tree``.

    Raises
    ------
    TypeError
        If a leaf is not an array or a number.

    Examples
    --------
    >>> import numpy as np
    >>> flat, unravel = ravel({"w": np.ones((2, 2), np.float32), "b": 0.5})
    >>> flat
    array([0.5, 1. , 1. , 1. , 1. ])
    >>> unravel(flat * 2)
    {'w': array([[2., 2.],
           [2., 2.]], dtype=float32), 'b': array(1.)}
    """
    flat, treedef = flatten(tree)
    dtypes = [_leaf_dtype(i, x) for i, x in enumerate(flat)]
    shapes = [np.shape(x) for x in flat]
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    total = sum(sizes)
    to_dtype = np.result_type(*dtypes) if dtypes else np.dtype(np.float64)

    if all(isinstance(x, _PLAIN) for x in flat):
        if flat:
            vec = np.concatenate([np.ravel(x) for x in flat], dtype=to_dtype)
        else:
            vec = np.zeros(0, dtype=to_dtype)
    else:
        import wengert.numpy as wnp

        pieces = []
        for x, dtype in zip(flat, dtypes):
            x = wnp.asarray(x)
            if dtype != to_dtype:
                x = x.astype(to_dtype)
            pieces.append(wnp.ravel(x))
        vec = pieces[0] if len(pieces) == 1 else wnp.concatenate(pieces)

    def unravel(vec):
        """Rebuild the raveled tree from the 1-D vector ``vec``; the inverse of ``ravel``."""
        if np.shape(vec) != (total,):
            raise ValueError(
                f"unravel: expected a vector of shape ({total},), but received shape "
                f"{np.shape(vec)}; pass a vector like the one ravel returned."
            )
        if isinstance(vec, _PLAIN):
            vec = np.asarray(vec)
            reshape = np.reshape
        else:
            import wengert.numpy as wnp

            reshape = wnp.reshape
        parts = []
        start = 0
        for shape, size, dtype in zip(shapes, sizes, dtypes):
            part = reshape(vec[start : start + size], shape)
            start += size
            if reshape is np.reshape:
                # astype copies, so the rebuilt leaves never alias ``vec``.
                part = part.astype(dtype)
            elif part.dtype != dtype:
                part = part.astype(dtype)
            parts.append(part)
        return treedef.unflatten(parts)

    return vec, unravel
