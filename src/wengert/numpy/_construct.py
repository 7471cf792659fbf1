"""Array construction and introspection in ``wengert.numpy`` (filled in by its owner).

Imports: core, primitives, the other ``wengert.numpy`` modules, NumPy.
"""

from __future__ import annotations

__all__: list[str] = []
