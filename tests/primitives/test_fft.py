"""Spec table for the FFT primitives (wengert/primitives/fft.py): ``fft`` and ``ifft``.

Each row binds the primitive directly (complex input, a non-negative axis, every ``norm``),
over a shape set including a length-1 axis and an empty batch. Checked: value, shape and
dtype against NumPy; derivatives to order 2 in both modes along complex directions; the
exact cross-check Re(u·Jv) = Re(Jᵀu·v); the VJP in closed form (the DFT matrix is symmetric,
so the transpose is the transform itself, with the same norm); and the batching rule.
"""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
from wengert.primitives import fft as F
from wengert.testing import check_grads, check_jvp_vjp_consistency

COVERED_PRIMITIVES = {"fft", "ifft"}

SEED = 20240614
NORMS = ["backward", "ortho", "forward"]
# (shape, axis): a vector, each axis of a matrix, length 1, an empty leading axis, 3-d.
SHAPES = [((5,), 0), ((4,), 0), ((2, 3), 0), ((2, 3), 1), ((1,), 0), ((0, 4), 1),
          ((2, 1, 3), 2)]
PRIMS = {"fft": (F.fft_p, np.fft.fft), "ifft": (F.ifft_p, np.fft.ifft)}


def _complex(shape, seed=SEED, dtype=np.complex128):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def _dft_matrix(n, name, norm):
    sign = -1 if name == "fft" else 1
    k = np.arange(n)
    m = np.exp(sign * 2j * np.pi * np.outer(k, k) / n)
    scale = {"backward": 1.0 if name == "fft" else 1.0 / n, "ortho": 1.0 / np.sqrt(n),
             "forward": 1.0 / n if name == "fft" else 1.0}[norm]
    return scale * m


CASES = [pytest.param(name, shape, axis, norm, id=f"{name}-{'x'.join(map(str, shape))}-"
                      f"axis{axis}-{norm}")
         for name in PRIMS for shape, axis in SHAPES for norm in NORMS]


@pytest.mark.parametrize("name, shape, axis, norm", CASES)
def test_value_shape_dtype(name, shape, axis, norm):
    prim, ref = PRIMS[name]
    for dtype in (np.complex128, np.complex64):
        z = _complex(shape, dtype=dtype)
        out = prim(z, axis=axis, norm=norm)
        expected = ref(z, axis=axis, norm=norm)
        assert out.dtype == expected.dtype and out.shape == expected.shape
        np.testing.assert_array_equal(out, expected)
        assert prim.shape(z, axis=axis, norm=norm) == (expected.shape, expected.dtype)


@pytest.mark.parametrize("name, shape, axis, norm", CASES)
def test_grads(name, shape, axis, norm):
    prim, _ = PRIMS[name]
    f = lambda z: prim(z, axis=axis, norm=norm)
    z = _complex(shape)
    check_grads(f, (z,), order=2, modes=("fwd", "rev"))
    check_jvp_vjp_consistency(f, (z,), rng=np.random.default_rng(1))


@pytest.mark.parametrize("name", sorted(PRIMS))
@pytest.mark.parametrize("norm", NORMS)
def test_jvp_and_vjp_are_the_dft_matrix_and_its_transpose(name, norm):
    prim, _ = PRIMS[name]
    n = 6
    z, t, g = _complex(n), _complex(n, 1), _complex(n, 2)
    M = _dft_matrix(n, name, norm)
    _, out_dot = wg.jvp(lambda v: prim(v, axis=0, norm=norm), (z,), (t,))
    (z_bar,) = wg.vjp(lambda v: prim(v, axis=0, norm=norm), z)[1](g)
    np.testing.assert_allclose(out_dot, M @ t, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(z_bar, M.T @ g, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(PRIMS))
@pytest.mark.parametrize("in_axes", [0, 1])
def test_batching_rule_maps_examples(name, in_axes):
    prim, ref = PRIMS[name]
    z = _complex((3, 4, 5))
    f = lambda v: prim(v, axis=1, norm="ortho")
    out = wg.vmap(f, in_axes=in_axes)(z)
    examples = np.moveaxis(z, in_axes, 0)
    np.testing.assert_allclose(out, np.stack([ref(e, axis=1, norm="ortho") for e in examples]),
                               rtol=1e-14, atol=1e-14)
    # Derivatives composed with vmap: per-example VJPs against a loop.
    g = _complex(out.shape, 3)
    (ct,) = wg.vjp(wg.vmap(f, in_axes=in_axes), z)[1](g)
    loop = np.stack([wg.vjp(f, e)[1](gi)[0] for e, gi in zip(examples, g)])
    np.testing.assert_allclose(ct, np.moveaxis(loop, 0, in_axes), rtol=1e-14, atol=1e-14)
