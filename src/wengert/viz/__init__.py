"""Seeing the Wengert list: tables of primal, tangent and adjoint values, and graph pictures.

Imports: the public API, ``viz.tables``, ``viz.cost`` and ``viz.graphs``; matplotlib only
inside ``viz.plots``.
"""

from .graphs import Graph, graph
from .tables import Row, Step, TraceTable, format_value, table

__all__ = ["Graph", "Row", "Step", "TraceTable", "format_value", "graph", "table"]
