"""Seeing the Wengert list: tables of primal, tangent and adjoint values, and graph pictures.

Imports: the public API, ``viz.tables`` and ``viz.cost``; matplotlib only inside ``viz.plots``.
"""

from .tables import Row, Step, TraceTable, format_value, table

__all__ = ["Row", "Step", "TraceTable", "format_value", "table"]
