"""Tests for wengert.tree: flatten/unflatten, TreeDef, map, registration and ravel."""

import collections
import dataclasses
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wengert import tree


class Point(NamedTuple):
    x: Any
    y: Any


@tree.register_dataclass
@dataclasses.dataclass
class Layer:
    w: Any
    b: Any
    activation: str = dataclasses.field(default="tanh", metadata={"static": True})


class Box:
    """A custom node holding two children and a static label."""

    def __init__(self, label, first, second):
        self.label = label
        self.first = first
        self.second = second

    def __eq__(self, other):
        return (
            type(other) is Box
            and self.label == other.label
            and _same(self.first, other.first)
            and _same(self.second, other.second)
        )


tree.register(Box, lambda b: ((b.first, b.second), b.label), lambda label, ch: Box(label, *ch))


def _same(a, b) -> bool:
    """Structural equality that also compares node types (a namedtuple is not a tuple here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if dataclasses.is_dataclass(a):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    return a == b


def _roundtrip(t):
    flat, treedef = tree.flatten(t)
    assert treedef.num_leaves == len(flat)
    rebuilt = tree.unflatten(treedef, flat)
    assert _same(rebuilt, t)
    assert tree.structure(rebuilt) == treedef
    return flat, treedef


# -- flatten / unflatten ----------------------------------------------------------------------

ARR = np.arange(6.0).reshape(2, 3)

ROUNDTRIP_CASES = {
    "array": ARR,
    "float": 1.5,
    "string leaf": "hello",
    "object leaf": object,
    "empty tuple": (),
    "flat tuple": (ARR, 1.0, np.float32(2.0)),
    "list": [1, 2, 3],
    "empty list": [],
    "dict": {"b": 1, "a": 2},
    "empty dict": {},
    "None": None,
    "namedtuple": Point(1.0, [2.0, 3.0]),
    "ordered dict": collections.OrderedDict([("z", 1), ("a", (2, 3))]),
    "dataclass": Layer(ARR, 0.5, activation="relu"),
    "custom": Box("lbl", 1.0, {"k": [2.0, None]}),
    "nested": (ARR, {"a": [1, (2, None)], "b": Point(3, {"c": 4})}, [Layer(5, 6)], None),
}


@pytest.mark.parametrize("t", ROUNDTRIP_CASES.values(), ids=ROUNDTRIP_CASES.keys())
def test_roundtrip(t):
    _roundtrip(t)


def test_leaf_order_is_depth_first():
    t = (1, [2, {"b": 4, "a": 3}], Point(5, 6), Layer(7, 8), Box("x", 9, (10,)))
    assert tree.leaves(t) == list(range(1, 11))


def test_array_leaf_is_not_copied():
    flat, treedef = tree.flatten(ARR)
    assert flat[0] is ARR
    assert treedef.is_leaf
    assert tree.unflatten(treedef, [ARR]) is ARR


def test_dict_children_sorted_but_order_restored():
    d = {"b": 1, "c": 2, "a": 3}
    flat, treedef = tree.flatten(d)
    assert flat == [3, 1, 2]
    rebuilt = tree.unflatten(treedef, [30, 10, 20])
    assert list(rebuilt) == ["b", "c", "a"]
    assert rebuilt == {"a": 30, "b": 10, "c": 20}


def test_dict_structure_ignores_insertion_order():
    assert tree.structure({"a": 1, "b": 2}) == tree.structure({"b": 2, "a": 1})
    assert hash(tree.structure({"a": 1, "b": 2})) == hash(tree.structure({"b": 2, "a": 1}))


def test_dict_with_unorderable_keys_uses_insertion_order():
    d = {1: "x", "a": "y"}
    flat, treedef = tree.flatten(d)
    assert flat == ["x", "y"]
    assert tree.unflatten(treedef, flat) == d


def test_ordered_dict_keeps_insertion_order():
    od = collections.OrderedDict([("z", 1), ("a", 2)])
    flat, treedef = tree.flatten(od)
    assert flat == [1, 2]
    rebuilt = tree.unflatten(treedef, flat)
    assert type(rebuilt) is collections.OrderedDict
    assert list(rebuilt) == ["z", "a"]
    # Unlike dict, OrderedDict structures differ by key order.
    assert treedef != tree.structure(collections.OrderedDict([("a", 2), ("z", 1)]))


def test_none_is_a_node_without_leaves():
    flat, treedef = tree.flatten(None)
    assert flat == []
    assert treedef.num_leaves == 0
    assert not treedef.is_leaf
    assert tree.unflatten(treedef, []) is None
    assert tree.leaves([None, 1, (None,)]) == [1]
    assert tree.map(lambda x: x + 1, {"a": None, "b": 1}) == {"a": None, "b": 2}


def test_namedtuple_rebuilt_as_same_class():
    rebuilt = tree.map(lambda v: v * 2, Point(1, 2))
    assert type(rebuilt) is Point
    assert rebuilt == Point(2, 4)
    assert tree.structure(Point(1, 2)) != tree.structure((1, 2))


def test_dataclass_static_field_kept_in_treedef():
    flat, treedef = tree.flatten(Layer(1.0, 2.0, activation="relu"))
    assert flat == [1.0, 2.0]
    rebuilt = tree.unflatten(treedef, [3.0, 4.0])
    assert type(rebuilt) is Layer
    assert rebuilt == Layer(3.0, 4.0, activation="relu")
    assert treedef != tree.structure(Layer(1.0, 2.0, activation="tanh"))
    assert treedef == tree.structure(Layer(5.0, 6.0, activation="relu"))


def test_register_dataclass_rejects_non_dataclass_and_init_false():
    class Plain:
        pass

    with pytest.raises(TypeError, match="not a dataclass"):
        tree.register_dataclass(Plain)

    @dataclasses.dataclass
    class Derived:
        a: float
        b: float = dataclasses.field(init=False, default=0.0)

    with pytest.raises(TypeError, match="init=False"):
        tree.register_dataclass(Derived)


def test_custom_register():
    box = Box("label", np.ones(2), [3.0])
    flat, treedef = tree.flatten(box)
    assert len(flat) == 2
    rebuilt = tree.unflatten(treedef, [np.zeros(2), 4.0])
    assert type(rebuilt) is Box
    assert rebuilt.label == "label"
    assert rebuilt.second == [4.0]
    assert treedef != tree.structure(Box("other", np.ones(2), [3.0]))


def test_register_twice_raises():
    with pytest.raises(ValueError, match="already a pytree node"):
        tree.register(Box, lambda b: ((), None), lambda aux, ch: Box(None, None, None))
    with pytest.raises(ValueError, match="already a pytree node"):
        tree.register(dict, lambda d: ((), None), lambda aux, ch: {})


def test_subclasses_are_leaves_unless_registered():
    class MyList(list):
        pass

    flat, treedef = tree.flatten(MyList([1, 2]))
    assert treedef.is_leaf
    assert flat == [MyList([1, 2])]


def test_is_leaf_predicate():
    t = {"a": (1, 2), "b": [3, (4, 5)]}
    flat = tree.leaves(t, is_leaf=lambda x: type(x) is tuple)
    assert flat == [(1, 2), 3, (4, 5)]
    sizes = tree.map(np.size, t, is_leaf=lambda x: type(x) is tuple)
    assert sizes == {"a": 2, "b": [1, 2]}


def test_unflatten_wrong_leaf_count():
    _, treedef = tree.flatten((1, [2, 3]))
    with pytest.raises(ValueError, match=r"expects 3 leaves, but 2 were received"):
        tree.unflatten(treedef, [1, 2])
    with pytest.raises(ValueError, match=r"expects 3 leaves, but 4 were received"):
        treedef.unflatten([1, 2, 3, 4])
    _, leaf_def = tree.flatten(ARR)
    with pytest.raises(ValueError, match=r"expects 1 leaves, but 0 were received"):
        leaf_def.unflatten([])


def test_unflatten_accepts_any_iterable():
    _, treedef = tree.flatten([0, (0, 0)])
    assert tree.unflatten(treedef, iter([1, 2, 3])) == [1, (2, 3)]
    assert treedef.unflatten(x for x in (1, 2, 3)) == [1, (2, 3)]


def test_unflatten_rejects_non_treedef():
    with pytest.raises(TypeError, match="treedef must be a TreeDef"):
        tree.unflatten((1, 2), [1, 2])


# -- TreeDef ----------------------------------------------------------------------------------


def test_treedef_equality_and_hash():
    a = tree.structure((np.zeros(2), {"x": 1.0, "y": None}))
    b = tree.structure((np.ones(5), {"y": None, "x": "anything"}))
    c = tree.structure((np.zeros(2), {"x": 1.0, "y": 2.0}))
    d = tree.structure([np.zeros(2), {"x": 1.0, "y": None}])
    assert a == b
    assert hash(a) == hash(b)
    assert a != c
    assert a != d
    assert a != "not a treedef"
    assert len({a, b, c, d}) == 3
    assert {a: "cached"}[b] == "cached"


def test_treedef_repr():
    t = (np.zeros(2), {"b": None, "a": 1.0})
    assert repr(tree.structure(t)) == "TreeDef(tuple[*, dict{'a': *, 'b': None}])"
    assert repr(tree.structure(ARR)) == "TreeDef(*)"
    assert repr(tree.structure([Point(1, 2)])) == "TreeDef(list[Point(x=*, y=*)])"
    assert repr(tree.structure(Layer(1, 2))) == "TreeDef(Layer(w=*, b=*; activation='tanh'))"
    od = collections.OrderedDict(z=1)
    assert repr(tree.structure(od)) == "TreeDef(OrderedDict{'z': *})"
    assert repr(tree.structure(Box("k", 1, 2))) == "TreeDef(Box[aux='k'; *, *])"


def test_treedef_num_leaves():
    assert tree.structure(ARR).num_leaves == 1
    assert tree.structure(()).num_leaves == 0
    assert tree.structure([1, (2, None), {"a": 3}]).num_leaves == 3


def test_flat_tuple_fast_path_matches_general_path():
    t = (np.zeros(2), 1.0, 2)
    fast = tree.structure(t)
    general = tree.structure(t, is_leaf=lambda x: False)
    assert fast == general
    assert repr(fast) == repr(general)


# -- map --------------------------------------------------------------------------------------


def test_map_single_tree():
    t = {"a": np.ones(2), "b": (1.0, None)}
    out = tree.map(lambda x: x * 3, t)
    np.testing.assert_array_equal(out["a"], 3 * np.ones(2))
    assert out["b"] == (3.0, None)


def test_map_multiple_trees():
    x = [1, {"a": 2, "b": Point(3, 4)}]
    y = [10, {"b": Point(30, 40), "a": 20}]
    z = [100, {"a": 200, "b": Point(300, 400)}]
    assert tree.map(lambda a, b, c: a + b + c, x, y, z) == [
        111,
        {"a": 222, "b": Point(333, 444)},
    ]


def test_map_structure_mismatch_names_both_structures():
    with pytest.raises(ValueError) as info:
        tree.map(lambda a, b: a + b, (1, [2, 3]), (1, [2]))
    message = str(info.value)
    assert "TreeDef(tuple[*, list[*, *]])" in message
    assert "TreeDef(tuple[*, list[*]])" in message
    assert "tree 1" in message


def test_map_mismatch_in_node_type_or_keys():
    with pytest.raises(ValueError, match="same structure|structure of the first tree"):
        tree.map(lambda a, b: a, (1, 2), [1, 2])
    with pytest.raises(ValueError, match="dict"):
        tree.map(lambda a, b: a, {"a": 1}, {"b": 1})


# -- ravel ------------------------------------------------------------------------------------


def test_ravel_mixed_shapes_roundtrip():
    rng = np.random.default_rng(0)
    t = {"w": rng.normal(size=(2, 3)), "b": rng.normal(size=3), "s": rng.normal(size=())}
    flat, unravel = tree.ravel(t)
    assert flat.shape == (10,)
    assert flat.dtype == np.float64
    # Leaf order is sorted-key order: b, s, w.
    np.testing.assert_array_equal(flat[:3], t["b"])
    np.testing.assert_array_equal(flat[4:], t["w"].ravel())
    assert _same(unravel(flat), t)


def test_ravel_float32_and_float64():
    t = (np.ones(2, np.float32), np.full((1, 2), 2.0))
    flat, unravel = tree.ravel(t)
    assert flat.dtype == np.float64
    rebuilt = unravel(flat + 0.5)
    assert rebuilt[0].dtype == np.float32
    assert rebuilt[1].dtype == np.float64
    np.testing.assert_array_equal(rebuilt[0], [1.5, 1.5])
    np.testing.assert_array_equal(rebuilt[1], [[2.5, 2.5]])


def test_ravel_only_float32_stays_float32():
    flat, unravel = tree.ravel([np.ones(2, np.float32), np.float32(3.0)])
    assert flat.dtype == np.float32
    assert unravel(flat)[1].dtype == np.float32


def test_ravel_scalars():
    t = {"a": 1.5, "b": 2, "c": np.float64(3.0)}
    flat, unravel = tree.ravel(t)
    np.testing.assert_array_equal(flat, [1.5, 2.0, 3.0])
    assert flat.dtype == np.float64
    rebuilt = unravel(flat)
    assert rebuilt["a"].shape == ()
    assert rebuilt["b"].dtype == np.asarray(2).dtype
    assert float(rebuilt["a"]) == 1.5


def test_ravel_empty_tree():
    for empty in [(), [], {}, None, {"a": None, "b": ()}]:
        flat, unravel = tree.ravel(empty)
        assert flat.shape == (0,)
        assert flat.dtype == np.float64
        assert _same(unravel(flat), empty)


def test_ravel_empty_leaf():
    t = (np.zeros((2, 0)), np.ones(3))
    flat, unravel = tree.ravel(t)
    assert flat.shape == (3,)
    assert _same(unravel(flat), t)


def test_ravel_copies_and_unravel_does_not_alias():
    x = np.zeros(3)
    flat, unravel = tree.ravel([x])
    flat[0] = 1.0
    assert x[0] == 0.0
    rebuilt = unravel(flat)
    rebuilt[0][1] = 5.0
    assert flat[1] == 0.0


def test_unravel_wrong_length():
    _, unravel = tree.ravel((np.zeros(2), 1.0))
    with pytest.raises(ValueError, match=r"expected a vector of shape \(3,\)"):
        unravel(np.zeros(4))
    with pytest.raises(ValueError, match=r"received shape \(3, 1\)"):
        unravel(np.zeros((3, 1)))


def test_ravel_rejects_non_numeric_leaves():
    with pytest.raises(TypeError, match="leaf 1 is a object"):
        tree.ravel((1.0, object()))
    with pytest.raises(TypeError, match="dtype <U"):
        tree.ravel((1.0, np.array(["a"])))


# -- property-based roundtrip -----------------------------------------------------------------

_leaf = st.one_of(
    st.integers(-5, 5),
    st.floats(allow_nan=False, width=64),
    st.text(max_size=3),
    st.builds(np.float32, st.floats(-1e3, 1e3, width=32)),
)
_keys = st.text(alphabet="abcdef", min_size=1, max_size=3)


def _nodes(children):
    return st.one_of(
        st.lists(children, max_size=4).map(tuple),
        st.lists(children, max_size=4),
        st.dictionaries(_keys, children, max_size=4),
        st.dictionaries(_keys, children, max_size=4).map(collections.OrderedDict),
        st.builds(Point, children, children),
        st.builds(Layer, children, children, st.sampled_from(["tanh", "relu"])),
        st.builds(Box, st.sampled_from(["p", "q"]), children, children),
        st.none(),
    )


_trees = st.recursive(_leaf, _nodes, max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(_trees)
def test_flatten_unflatten_roundtrip_random_trees(t):
    flat, treedef = _roundtrip(t)
    # Replacing the leaves keeps the structure; mapping identity keeps the tree.
    assert tree.structure(tree.unflatten(treedef, list(range(len(flat))))) == treedef
    assert _same(tree.map(lambda x: x, t), t)
    assert hash(treedef) == hash(tree.structure(t))
