"""The lecture tour: one module per slide or figure, registered by name.

``DEMOS`` maps a name to ``(title, run)``; ``run(out)`` writes the demo to the text stream
``out``. ``python -m wengert demo`` runs them all in order. Imports: the public API only.
"""

from __future__ import annotations

from . import lecture_graph

DEMOS = {
    "graph": (lecture_graph.TITLE, lecture_graph.run),
}

__all__ = ["DEMOS"]
