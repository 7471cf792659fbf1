"""wengert: automatic differentiation of NumPy code, with the Wengert list in plain view.

Re-exports the public API only.
"""

from . import checkpoint, curvature, numpy, optim, tree, zeroth  # noqa: F401  (registers primitives)
from .checkpoint.core import checkpoint_name
from .compiler import jit
from .core.errors import (
    MissingRuleError,
    ReplayError,
    UnsupportedError,
    WengertError,
    WengertTypeError,
    WengertValueError,
)
from .numpy import stop_gradient
from .primitives.special import custom_jvp, custom_vjp
from .transforms.batching import vmap
from .transforms.forward import derivative, jvp
from .transforms.hessian import hessian, hvp
from .transforms.jacobian import (
    JacobianCost,
    jacfwd,
    jacobian,
    jacobian_cost,
    jacrev,
    linearize,
)
from .transforms.reverse import grad, trace, value_and_grad, vjp

__version__ = "0.1.0"

__all__ = [
    "JacobianCost", "MissingRuleError", "ReplayError", "UnsupportedError", "WengertError",
    "WengertTypeError", "WengertValueError", "checkpoint", "checkpoint_name", "custom_jvp",
    "custom_vjp", "derivative", "grad", "hessian", "hvp", "jacfwd", "jacobian", "jacobian_cost",
    "jacrev", "jit", "jvp", "linearize", "stop_gradient", "trace", "value_and_grad", "vjp",
    "vmap",
]
