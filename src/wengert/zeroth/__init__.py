"""Zero-order gradient estimators: gradients from function values only.

Re-exports :func:`gradient` and :class:`GradientEstimate` from :mod:`.estimators`.
"""

from .estimators import METHODS, GradientEstimate, gradient

__all__ = ["METHODS", "GradientEstimate", "gradient"]
