"""``wengert.scipy``: differentiable counterparts of SciPy functions (the ``scipy`` extra).

Submodules: ``special``, ``stats``, ``linalg``, ``signal``, ``integrate``. Each is imported on
first use (``import wengert.scipy.special``, or ``wengert.scipy.special`` after ``import
wengert.scipy``), so the core never needs SciPy. Imports: the submodules, lazily.
"""

from __future__ import annotations

import importlib

_SUBMODULES = ("special", "stats", "linalg", "signal", "integrate")


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'wengert.scipy' has no attribute {name!r}")


__all__ = list(_SUBMODULES)
