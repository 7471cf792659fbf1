"""wengert: automatic differentiation of NumPy code, with the Wengert list in plain view.

Re-exports the public API only.
"""

from . import numpy, tree  # noqa: F401  (registers primitives and array methods)
from .core.errors import (MissingRuleError, UnsupportedError, WengertError, WengertTypeError,
                          WengertValueError)
from .numpy import stop_gradient
from .transforms.forward import derivative, jvp
from .transforms.reverse import grad, trace, value_and_grad, vjp

__version__ = "0.1.0"

__all__ = [
    "MissingRuleError", "UnsupportedError", "WengertError", "WengertTypeError",
    "WengertValueError", "derivative", "grad", "jvp", "stop_gradient", "trace",
    "value_and_grad", "vjp",
]
