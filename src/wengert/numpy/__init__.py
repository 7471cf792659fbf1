"""``import wengert.numpy as wnp``: NumPy's names, differentiable.

Every function accepts plain and traced arrays alike. Outside a transform it returns what
NumPy returns; inside one it records or propagates derivatives. Broadcasting and dtype
promotion follow NumPy (NEP 50). Imports: core, primitives and this package's modules.
"""

from __future__ import annotations

import numpy as _np

from . import (
    _construct,
    _core,
    _linalg,
    _methods,
    _reduce,
    _shape,
    fft,  # noqa: F401  (the wnp.fft submodule)
    linalg,  # noqa: F401  (the wnp.linalg submodule)
)
from ._construct import *
from ._core import *
from ._linalg import *
from ._reduce import *
from ._shape import *

# Constants and dtypes, the same objects as NumPy's.
pi, e, inf, nan, newaxis = _np.pi, _np.e, _np.inf, _np.nan, _np.newaxis
float16, float32, float64 = _np.float16, _np.float32, _np.float64
complex64, complex128 = _np.complex64, _np.complex128
int8, int16, int32, int64, uint8, bool_ = _np.int8, _np.int16, _np.int32, _np.int64, _np.uint8, _np.bool_
ndarray, dtype, finfo, iinfo = _np.ndarray, _np.dtype, _np.finfo, _np.iinfo

__all__ = (
    list(_construct.__all__) + list(_core.__all__) + list(_linalg.__all__) + list(_reduce.__all__) + list(_shape.__all__)
    + ["pi", "e", "inf", "nan", "newaxis", "float16", "float32", "float64", "complex64",
       "complex128", "int8", "int16", "int32", "int64", "uint8", "bool_", "ndarray", "dtype",
       "finfo", "iinfo"]
)

_methods.attach(__import__(__name__, fromlist=["_"]))
