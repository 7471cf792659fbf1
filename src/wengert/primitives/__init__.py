"""Primitives: the only code that knows derivatives. Importing this registers all of them."""

from . import checkpoint, elementwise, linalg, reduce, shape, special  # noqa: F401
from .registry import REGISTRY, Primitive, check_registry, define, linear

__all__ = ["REGISTRY", "Primitive", "check_registry", "define", "linear"]
