"""``wengert.scipy.signal``: ``convolve``, n-dimensional and differentiable in both inputs.

One primitive (``convolve``, full mode, in ``wengert/primitives/scipy_linalg.py``) carries the
derivatives; the ``valid`` and ``same`` modes crop its output exactly as SciPy does, so the crop
(a slice) transposes to zero padding. Values, shapes and dtypes follow
``scipy.signal.convolve``, including ``in2`` larger than ``in1``.
Imports: core, primitives, ``wengert.numpy``, NumPy and ``scipy.signal``.
"""

from __future__ import annotations

import numpy as np
import scipy.signal as _ss

from .. import numpy as wnp
from ..core.errors import WengertValueError, describe
from ..core.tracer import Tracer
from ..primitives.scipy_linalg import convolve_p

__all__ = ["convolve"]

_MODES = ("full", "valid", "same")
_METHODS = ("auto", "direct", "fft")


def convolve(in1, in2, mode="full", method="auto"):
    """Convolve two n-dimensional arrays: ``out[n] = Σ_k in1[k] in2[n - k]``.

    ``mode`` is ``'full'`` (every overlap, shape ``in1.shape + in2.shape - 1``), ``'valid'``
    (complete overlaps only: one input must be at least as large as the other in every
    dimension) or ``'same'`` (``in1``'s shape, centred on the full result). ``method`` is
    passed to SciPy (``'direct'``, ``'fft'`` or ``'auto'``). The derivative with respect to
    each input is a convolution with the other; its transpose is a correlation.

    Examples
    --------
    >>> import numpy as np, wengert as wg
    >>> from wengert.scipy.signal import convolve
    >>> convolve(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
    array([0. , 1. , 2.5, 4. , 1.5])
    >>> wg.grad(lambda x: convolve(x, np.array([0.0, 1.0, 0.5]), mode="same")[1])(np.ones(3))
    array([0.5, 1. , 0. ])
    """
    if mode not in _MODES:
        raise WengertValueError(
            f"wengert.scipy.signal.convolve: expected mode to be one of {_MODES}, but received "
            f"{mode!r}."
        )
    if method not in _METHODS:
        raise WengertValueError(
            f"wengert.scipy.signal.convolve: expected method to be one of {_METHODS}, but "
            f"received {method!r}."
        )
    if not (isinstance(in1, Tracer) or isinstance(in2, Tracer)):
        return _ss.convolve(in1, in2, mode=mode, method=method)
    x, y = (v if isinstance(v, Tracer) else np.asarray(v) for v in (in1, in2))
    if x.ndim != y.ndim:
        raise WengertValueError(
            "wengert.scipy.signal.convolve: expected in1 and in2 to have the same number of "
            f"dimensions, but received {describe(x)} and {describe(y)}. Add size-1 axes "
            "(e.g. with wnp.expand_dims) to the one with fewer."
        )
    if x.ndim == 0:
        return x * y
    if x.size == 0 or y.size == 0:
        return np.array([])  # SciPy's result for an empty input
    dtype = np.result_type(x.dtype, y.dtype)
    x, y = (v if v.dtype == dtype else wnp.astype(v, dtype) for v in (x, y))
    if mode == "valid":
        x_big = all(m >= n for m, n in zip(x.shape, y.shape))
        if not (x_big or all(n >= m for m, n in zip(x.shape, y.shape))):
            raise WengertValueError(
                "wengert.scipy.signal.convolve: for mode='valid', expected one input to be at "
                "least as large as the other in every dimension, but received shapes "
                f"{tuple(x.shape)} and {tuple(y.shape)}. Use mode='full' or 'same'."
            )
    full = convolve_p(x, y, method=method)
    if mode == "full":
        return full
    if mode == "valid":
        index = tuple(slice(min(m, n) - 1, max(m, n)) for m, n in zip(x.shape, y.shape))
    else:  # 'same': in1's shape, starting (in2 - 1) // 2 into the full result, as SciPy does
        index = tuple(slice((n - 1) // 2, (n - 1) // 2 + m) for m, n in zip(x.shape, y.shape))
    return full[index]
