"""``jit``: replay the Wengert list as generated straight-line NumPy (design.md §5f).

``record`` (the recording interpreter and its guards), ``simplify`` (identities, constant
folding, common subexpressions, dead code), ``codegen`` (the generated function) and ``api``
(``jit``, its signature cache and the replay under outer transforms).
"""

from .api import CacheInfo, Compiled, Jitted, jit
from .simplify import Stats

__all__ = ["CacheInfo", "Compiled", "Jitted", "Stats", "jit"]
