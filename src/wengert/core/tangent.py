"""Markers for tangents that need no array: ``Zero`` and ``NoTangent``.

A rule returns ``Zero`` when its contribution is identically zero (say, the derivative of
``sign``), so no zero array is ever built. ``NoTangent`` marks an argument that has no
derivative at all (an index, a boolean mask). Imports: the standard library only.
"""

from __future__ import annotations


class _Marker:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __reduce__(self):
        return self._name


Zero = _Marker("Zero")
"""The tangent or cotangent that is identically zero."""

NoTangent = _Marker("NoTangent")
"""The (co)tangent of an argument that is not differentiable, such as an index array."""
