"""The multidimensional-scaling stop of the tour: exact gradients against zero-order estimates."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import wengert as wg
from wengert.demos import run_demo
from wengert.demos.mds import N, problem, procrustes, squared_distances, stress


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return run_demo("mds", tmp_path_factory.mktemp("mds-tour"), progress=False)


def test_gradient_descent_recovers_the_points_and_zero_order_falls_behind(result):
    assert result.ok
    r = result.data["ratios"]
    gd, sphere, central = ("gradient descent (AD)", "zero-order, two-point sphere",
                           "zero-order, central differences")
    assert r[2][gd] < 1e-8 and r[10][gd] < 1e-3
    assert result.data["errors"][2][gd] < 1e-3
    for d in (2, 10):
        assert min(r[d][sphere], r[d][central]) > 100 * r[d][gd]
    assert r[10][sphere] > r[2][sphere] and r[10][central] > r[2][central]
    for d in (2, 10):  # every method got the same budget of evaluations
        budgets = {int(evals[-1]) for evals, _ in result.data["curves"][d].values()}
        assert max(budgets) == 600 and min(budgets) > 0


def test_pictures_are_a_png_and_a_gif_with_several_frames(result):
    png, gif = result.images
    assert gif == result.data["animation"]
    with Image.open(png) as im:
        assert im.format == "PNG"
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames > 1 and im.size[0] <= 300


def test_stress_gradient_matches_the_closed_form():
    X, D, W0 = problem(2)
    g = wg.grad(stress(D))(W0)
    R = squared_distances(W0) - D  # ∇L = 8 Σ_j R_ij (W_i − W_j), R symmetric
    expected = 8.0 * (R.sum(axis=1)[:, None] * W0 - R @ W0)
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-10)
    assert X.shape == (N, 2)


def test_procrustes_undoes_rotation_reflection_and_translation():
    X, _, _ = problem(10)
    Q, _ = np.linalg.qr(np.random.default_rng(3).standard_normal((10, 10)))
    aligned, err = procrustes(X @ Q - 2.0, X)
    assert err < 1e-12
    np.testing.assert_allclose(aligned, X, atol=1e-12)
