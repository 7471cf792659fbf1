"""Every primitive has impl, shape rule, JVP and VJP, and a row in a family spec table."""

from __future__ import annotations

import importlib
import pathlib

import numpy as np

import wengert  # noqa: F401  (registers everything)
from wengert.primitives import REGISTRY, check_registry
from wengert.primitives.registry import ShapeDtype

HERE = pathlib.Path(__file__).parent


def _covered() -> set:
    names = set()
    for path in sorted(HERE.glob("test_*.py")):
        if path.stem == "test_registry":
            continue
        spec = importlib.util.spec_from_file_location(f"_spec_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        names |= set(getattr(mod, "COVERED_PRIMITIVES", ()))
    return names


def test_every_primitive_has_all_rules():
    assert check_registry() == []
    for name, p in REGISTRY.items():
        if p.differentiable:
            assert p.jvp is not None and p.vjp is not None, name


def test_every_primitive_is_in_a_spec_table():
    missing = sorted(set(REGISTRY) - _covered())
    assert missing == [], f"primitives without a spec-table row: {missing}"


def test_elementwise_shape_rules_agree_with_impl():
    x = ShapeDtype((2, 3), np.dtype("float32"))
    for name in ("exp", "sin", "tanh", "log1p"):
        p = REGISTRY[name]
        shape, dtype = p.shape(x)
        out = p.impl(np.ones((2, 3), np.float32))
        assert shape == out.shape and dtype == out.dtype, name
