"""Where in the user's code something happened: the innermost frame outside wengert.

Used by messages and reports that name a source line (``jit``'s ``ReplayError``,
``saved_residuals``). Imports: the standard library only.
"""

from __future__ import annotations

import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_line(short: bool = False) -> str:
    """Return ``file:line`` of the innermost frame outside the wengert package.

    With ``short=True`` the file is its base name only. ``"<unknown>"`` if every frame is
    inside wengert.

    Examples
    --------
    >>> user_line(short=True).startswith("<doctest")
    True
    """
    frame = sys._getframe(1)
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if not path.startswith(_PACKAGE_DIR):
            name = os.path.basename(path) if short else path
            return f"{name}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"
