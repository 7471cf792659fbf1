"""What each line of a Wengert list costs for AD, as the viewer shows it.

The model itself (flops per equation, tangent flops, bytes kept for the backward pass) lives in
``wengert.transforms.cost``, below the transforms that choose a Jacobian mode with it; this
module re-exports the parts the tables and graphs read. Imports: ``transforms.cost``.
"""

from __future__ import annotations

from ..transforms.cost import eqn_flops, read_by_vjp, saved_bytes

__all__ = ["eqn_flops", "read_by_vjp", "saved_bytes"]
