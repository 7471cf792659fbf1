"""Curvature of a function at a point, or of a linear operator, from Hessian-vector products.

``trace`` and ``diagonal`` (Hutchinson, Hutch++), ``top_eigenvalues`` (Lanczos, power
iteration), ``spectral_density`` (stochastic Lanczos quadrature), the dense ``hessian`` for
small problems, and ``LinearOperator``/``hessian_operator``. Re-exports only.
"""

from .hutchinson import CurvatureEstimate, diagonal, trace
from .lanczos import Eigenpairs, lanczos, spectral_density, top_eigenvalues
from .operators import LinearOperator, hessian, hessian_operator

__all__ = [
    "CurvatureEstimate", "Eigenpairs", "LinearOperator", "diagonal", "hessian",
    "hessian_operator", "lanczos", "spectral_density", "top_eigenvalues", "trace",
]
