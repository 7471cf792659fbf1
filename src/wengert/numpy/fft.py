"""``wengert.numpy.fft``: NumPy's discrete Fourier transforms, differentiable in both modes.

Everything is composed from two primitives (``primitives/fft.py``): ``fft`` and ``ifft``
along one axis of a complex array. The length ``n`` is applied first, by truncating (a slice)
or zero-padding (``pad``); real input is cast to complex (whose VJP takes the real part).
The real transforms follow NumPy's definitions exactly, so their derivatives need no rules of
their own:

* ``rfft(x) = fft(x)[: n//2 + 1]``, the non-redundant half of a real signal's spectrum;
* ``irfft(X, n)`` keeps ``X[: n//2 + 1]`` (padded with zeros if shorter), extends it to the
  Hermitian spectrum ``Y[n - k] = conj(Y[k])`` and returns ``real(ifft(Y))``. That is what
  NumPy computes: the imaginary parts of ``X[0]`` (and of ``X[n/2]`` for even n) do not
  reach the output, so their derivative is 0.

The n-dimensional transforms apply the one-dimensional ones axis by axis, in NumPy's order,
and ``fftshift``/``ifftshift`` are ``roll``. Plain (untraced) input goes to ``numpy.fft``
directly. Imports: core, primitives, and ``wengert.numpy``'s own modules.
"""

from __future__ import annotations

import numbers
import operator
import warnings

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ..core.errors import UnsupportedError, WengertTypeError
from ..core.tracer import Tracer
from ..primitives import fft as F
from ._core import astype, conj, real
from ._shape import concatenate, getitem, pad, roll

__all__ = [
    "fft",
    "fft2",
    "fftn",
    "fftshift",
    "ifft",
    "ifft2",
    "ifftn",
    "ifftshift",
    "irfft",
    "irfft2",
    "irfftn",
    "rfft",
    "rfft2",
    "rfftn",
]

_NORMS = (None, "backward", "ortho", "forward")


def _traced(a) -> bool:
    return isinstance(a, Tracer)


def _check_out(name, out):
    if out is not None:
        raise UnsupportedError(
            f"wengert.numpy.fft.{name}(..., out=...) would write a traced value into an array "
            "that cannot hold its derivative; drop out= and use the returned value."
        )


def _norm(norm):
    if norm not in _NORMS:
        raise ValueError(
            f'Invalid norm value {norm}; should be "backward", "ortho" or "forward".'
        )
    return "backward" if norm is None else norm


def _complex(a):
    """``a`` cast to the complex dtype NumPy's FFT computes in (complex64 from float32)."""
    if a.dtype.kind not in "biufc":
        raise WengertTypeError(
            f"wengert.numpy.fft: expected a numeric array, but received dtype {a.dtype}."
        )
    dtype = np.result_type(a.dtype, np.complex64)
    return astype(a, dtype)


def _real_input(a):
    """``a`` as the real array rfft transforms (NumPy discards an imaginary part)."""
    if a.dtype.kind == "c":
        raise WengertTypeError(
            f"wengert.numpy.fft.rfft: expected real input, but received dtype {a.dtype}. Take "
            "wnp.real(x) first, or use wnp.fft.fft for the full complex transform."
        )
    return astype(a, np.result_type(a.dtype, np.float32))


def _points(n, default):
    if n is None:
        return default
    n = operator.index(n)
    if n < 1:
        raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
    return n


def _resize(a, n, axis):
    """``a`` truncated or zero-padded to length ``n`` along ``axis``."""
    m = a.shape[axis]
    if n < m:
        index = [slice(None)] * a.ndim
        index[axis] = slice(0, n)
        return getitem(a, tuple(index))
    if n > m:
        width = [(0, 0)] * a.ndim
        width[axis] = (0, n - m)
        return pad(a, width)
    return a


def _c2c(prim, a, n, axis, norm):
    axis = normalize_axis_index(operator.index(axis), a.ndim)
    n = _points(n, a.shape[axis])
    return prim(_resize(_complex(a), n, axis), axis=axis, norm=_norm(norm))


def _take(a, axis, start, stop, step=1):
    index = [slice(None)] * a.ndim
    index[axis] = slice(start, stop, step)
    return getitem(a, tuple(index))


# --- one-dimensional ---------------------------------------------------------------------------


def fft(a, n=None, axis=-1, norm=None, out=None):
    """Compute the one-dimensional discrete Fourier transform.

    Like ``numpy.fft.fft``: ``A[k] = s Σ_j a[j] exp(-2πi jk/n)`` along ``axis``, after
    truncating or zero-padding to ``n`` points; ``s`` is 1, 1/√n or 1/n for ``norm``
    "backward", "ortho" or "forward". Linear; its VJP is ``fft`` again with the same ``norm``
    (the DFT matrix is symmetric).

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> x = np.array([1.0, 2.0, 0.0, -1.0])
    >>> wg.grad(lambda x: wnp.sum(wnp.abs(wnp.fft.fft(x)) ** 2))(x)  # Parseval: 2 n x
    array([ 8., 16.,  0., -8.])
    """
    if not _traced(a):
        return np.fft.fft(a, n, axis, norm, out)
    _check_out("fft", out)
    return _c2c(F.fft_p, a, n, axis, norm)


def ifft(a, n=None, axis=-1, norm=None, out=None):
    """Compute the one-dimensional inverse discrete Fourier transform.

    Like ``numpy.fft.ifft``: ``a[j] = s Σ_k A[k] exp(+2πi jk/n)``, ``s`` = 1/n, 1/√n or 1 for
    ``norm`` "backward", "ortho" or "forward". Linear; its VJP is ``ifft`` with the same
    ``norm``.
    """
    if not _traced(a):
        return np.fft.ifft(a, n, axis, norm, out)
    _check_out("ifft", out)
    return _c2c(F.ifft_p, a, n, axis, norm)


def rfft(a, n=None, axis=-1, norm=None, out=None):
    """Compute the one-dimensional discrete Fourier transform of real input.

    Like ``numpy.fft.rfft``: the first ``n//2 + 1`` entries of ``fft(a, n)``, the others
    being their complex conjugates. Its VJP pads the cotangent with zeros, applies ``fft``
    and keeps the real part.
    """
    if not _traced(a):
        return np.fft.rfft(a, n, axis, norm, out)
    _check_out("rfft", out)
    a = _real_input(a)
    axis = normalize_axis_index(operator.index(axis), a.ndim)
    n = _points(n, a.shape[axis])
    full = _c2c(F.fft_p, a, n, axis, norm)
    return _take(full, axis, 0, n // 2 + 1)


def irfft(a, n=None, axis=-1, norm=None, out=None):
    """Compute the inverse of ``rfft``: a real signal of length ``n`` from half a spectrum.

    Like ``numpy.fft.irfft`` (``n`` defaults to ``2 (m - 1)`` for ``m`` input points). The
    input is truncated or zero-padded to ``n//2 + 1`` points, extended to the Hermitian
    spectrum ``Y[n - k] = conj(Y[k])``, and ``real(ifft(Y))`` is returned. As in NumPy, the
    imaginary parts of ``Y[0]`` and (n even) of ``Y[n/2]`` are ignored: their derivative is 0.

    Examples
    --------
    >>> import numpy as np, wengert.numpy as wnp
    >>> x = np.array([1.0, 2.0, 0.0, -1.0, 0.5])
    >>> np.allclose(wnp.fft.irfft(wnp.fft.rfft(x), n=5), x)
    True
    """
    if not _traced(a):
        return np.fft.irfft(a, n, axis, norm, out)
    _check_out("irfft", out)
    a = _complex(a)
    axis = normalize_axis_index(operator.index(axis), a.ndim)
    n = _points(n, 2 * (a.shape[axis] - 1))
    half = _resize(a, n // 2 + 1, axis)
    # Y[n - k] = conj(Y[k]) for k = 1 .. (n - 1) // 2, in the order k = n - 1 .. n//2 + 1.
    mirror = conj(_take(half, axis, (n + 1) // 2 - 1, 0, -1))
    full = concatenate([half, mirror], axis=axis) if mirror.shape[axis] else half
    return real(F.ifft_p(full, axis=axis, norm=_norm(norm)))


# --- n-dimensional ----------------------------------------------------------------------------


def _cook(name, a, s, axes, invreal=False):
    """NumPy's ``s``/``axes`` defaults: every axis (or those of ``s``), lengths from ``a``."""
    if s is None:
        axes = list(range(a.ndim)) if axes is None else [operator.index(ax) for ax in axes]
        s = [a.shape[ax] for ax in axes]
        if invreal and axes:
            s[-1] = 2 * (a.shape[axes[-1]] - 1)
    else:
        s = list(s)
        if axes is None:
            warnings.warn("`axes` should not be `None` if `s` is not `None` (Deprecated in "
                          "NumPy 2.0); pass axes=range(-len(s), 0) to keep this behaviour.",
                          DeprecationWarning, stacklevel=4)
            axes = range(-len(s), 0)
        axes = [operator.index(ax) for ax in axes]
        if len(s) != len(axes):
            raise ValueError("Shape and axes have different lengths.")
        if None in s:
            warnings.warn("Passing an array containing `None` values to `s` is deprecated in "
                          "NumPy 2.0; pass the lengths, or -1 for an axis's own length.",
                          DeprecationWarning, stacklevel=4)
        # -1: the axis's own length; None: the default of the one-dimensional transform.
        s = [a.shape[ax] if n == -1 else n for n, ax in zip(s, axes)]
    axes = [normalize_axis_index(ax, a.ndim) for ax in axes]
    return s, axes


def _c2c_n(name, one, a, s, axes, norm, out):
    npfn = getattr(np.fft, name)
    if not _traced(a):
        return npfn(a, s, axes, norm, out)
    _check_out(name, out)
    s, axes = _cook(name, a, s, axes)
    # NumPy transforms the last listed axis first.
    for n, ax in reversed(list(zip(s, axes))):
        a = one(a, n=n, axis=ax, norm=norm)
    return a


def fftn(a, s=None, axes=None, norm=None, out=None):
    """Compute the n-dimensional discrete Fourier transform (``fft`` along each of ``axes``).

    Like ``numpy.fft.fftn``; ``s`` gives the number of points along each axis.
    """
    return _c2c_n("fftn", fft, a, s, axes, norm, out)


def ifftn(a, s=None, axes=None, norm=None, out=None):
    """Compute the n-dimensional inverse discrete Fourier transform.

    Like ``numpy.fft.ifftn``: ``ifft`` along each of ``axes``.
    """
    return _c2c_n("ifftn", ifft, a, s, axes, norm, out)


def fft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """Compute the two-dimensional discrete Fourier transform (``fftn`` over two axes)."""
    return _c2c_n("fft2", fft, a, s, axes, norm, out)


def ifft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """Compute the two-dimensional inverse discrete Fourier transform."""
    return _c2c_n("ifft2", ifft, a, s, axes, norm, out)


def _rfftn(name, a, s, axes, norm, out):
    if not _traced(a):
        return getattr(np.fft, name)(a, s, axes, norm, out)
    _check_out(name, out)
    s, axes = _cook(name, a, s, axes)
    a = rfft(a, s[-1], axes[-1], norm)
    for n, ax in zip(s[-2::-1], axes[-2::-1]):
        a = fft(a, n, ax, norm)
    return a


def _irfftn(name, a, s, axes, norm, out):
    if not _traced(a):
        return getattr(np.fft, name)(a, s, axes, norm, out)
    _check_out(name, out)
    s, axes = _cook(name, a, s, axes, invreal=True)
    for n, ax in zip(s[:-1], axes[:-1]):
        a = ifft(a, n, ax, norm)
    return irfft(a, s[-1], axes[-1], norm)


def rfftn(a, s=None, axes=None, norm=None, out=None):
    """Compute the n-dimensional discrete Fourier transform of real input.

    Like ``numpy.fft.rfftn``: ``rfft`` along the last of ``axes``, then ``fft`` along the
    others.
    """
    return _rfftn("rfftn", a, s, axes, norm, out)


def irfftn(a, s=None, axes=None, norm=None, out=None):
    """Compute the inverse of ``rfftn``.

    Like ``numpy.fft.irfftn``: ``ifft`` along all but the last of ``axes``, then ``irfft``
    along the last (``s[-1]`` defaults to ``2 (m - 1)``).
    """
    return _irfftn("irfftn", a, s, axes, norm, out)


def rfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """Compute the two-dimensional FFT of a real array (``rfftn`` over two axes)."""
    return _rfftn("rfft2", a, s, axes, norm, out)


def irfft2(a, s=None, axes=(-2, -1), norm=None, out=None):
    """Compute the inverse of ``rfft2``."""
    return _irfftn("irfft2", a, s, axes, norm, out)


# --- shifts -----------------------------------------------------------------------------------


def _shift(a, axes, sign):
    axes = list(range(a.ndim)) if axes is None else (
        [axes] if isinstance(axes, numbers.Integral) else list(axes))
    shifts = [sign * (a.shape[ax] // 2) for ax in axes]
    return roll(a, shifts, axes)


def fftshift(x, axes=None):
    """Shift the zero-frequency component to the centre of the spectrum (a ``roll``).

    Like ``numpy.fft.fftshift``: each of ``axes`` (default all) is rolled by ``n // 2``.
    """
    if not _traced(x):
        return np.fft.fftshift(x, axes)
    return _shift(x, axes, 1)


def ifftshift(x, axes=None):
    """Undo ``fftshift`` (a ``roll`` by ``-(n // 2)`` along each of ``axes``)."""
    if not _traced(x):
        return np.fft.ifftshift(x, axes)
    return _shift(x, axes, -1)
