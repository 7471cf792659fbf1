"""FFT primitives: the discrete Fourier transform and its inverse along one axis.

``fft`` and ``ifft`` act on a complex array along one (non-negative) ``axis``, with NumPy's
``norm`` ("backward", "ortho" or "forward"); zero-padding or truncating to ``n`` points, the
real transforms and the n-dimensional ones are composed from them in ``wengert.numpy.fft``.
Both are linear, so the JVP applies the transform to the tangent. The DFT matrix
F[j, k] = exp(-2πi jk/n) is symmetric, and so is each scaled form of it and of its inverse;
the VJP is the transpose for the bilinear pairing Re Σ a·b (no conjugation, docs/design.md
§5c), so each primitive is its own VJP, with the same ``norm``. Batching shifts ``axis`` by
one. Imports: registry, NumPy (in ``impl`` and the shape rules only).
"""

from __future__ import annotations

import numpy as np

from .registry import ShapeDtype, linear


def _same_shape(x, *, axis, norm):
    if isinstance(x, ShapeDtype):
        return tuple(x.shape), np.dtype(x.dtype)
    x = np.asarray(x)
    return x.shape, x.dtype


def _impl(npfn):
    def impl(x, *, axis, norm):
        return npfn(x, axis=axis, norm=norm)

    impl.__name__ = npfn.__name__
    return impl


def _batch(prim):
    # The batch axis comes first, so the transformed axis moves one to the right.
    def rule(size, args, batched, *, axis, norm):
        return prim(args[0], axis=axis + 1, norm=norm)

    return rule


# fft(x)[k] = s · Σ_j x[j] exp(-2πi jk/n), s = 1, 1/√n or 1/n for norm backward, ortho, forward.
fft_p = linear(
    "fft",
    _impl(np.fft.fft),
    transpose=lambda g, x, *, axis, norm: fft_p(g, axis=axis, norm=norm),
    shape=_same_shape,
)
# ifft(x)[k] = s · Σ_j x[j] exp(+2πi jk/n), s = 1/n, 1/√n or 1 for norm backward, ortho, forward.
ifft_p = linear(
    "ifft",
    _impl(np.fft.ifft),
    transpose=lambda g, x, *, axis, norm: ifft_p(g, axis=axis, norm=norm),
    shape=_same_shape,
)
fft_p.batch = _batch(fft_p)
ifft_p.batch = _batch(ifft_p)
