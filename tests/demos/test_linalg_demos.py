"""The linear-algebra stops of the tour: least squares and the SVD."""

from __future__ import annotations

import numpy as np
import pytest

from wengert.demos import run_demo
from wengert.demos.least_squares import closed_form, problem
from wengert.demos.svd import LAMBDA, RANK, minimiser, noisy_low_rank


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("linalg-tour")
    return {n: run_demo(n, out, progress=False) for n in ("least-squares", "svd")}


def test_least_squares_derivatives_match_the_normal_equations(results):
    r = results["least-squares"]
    assert r.ok
    _, A, b, dA, db = problem()
    x, pinv, _ = closed_form(A, b, dA, db)
    np.testing.assert_allclose(r.data["x"], x, atol=1e-12)
    np.testing.assert_allclose(r.data["jacobian_b"], pinv, atol=1e-12)
    assert max(r.data["errors"].values()) < 1e-6


def test_svd_descent_recovers_the_rank_and_the_optimum(results):
    r = results["svd"]
    assert r.ok and r.data["grad_error"] <= 1e-10
    s_M, s_X, s_star = r.data["singular_values"]
    assert np.count_nonzero(s_star > 1e-12) == RANK  # λ is above the noise's singular values
    np.testing.assert_allclose(s_X[:RANK], s_star[:RANK], atol=0.05)
    assert np.max(s_X[RANK:]) < 0.1 < np.min(s_M[RANK:])
    U, s, Vt = np.linalg.svd(noisy_low_rank(), full_matrices=False)
    np.testing.assert_allclose(minimiser(noisy_low_rank()), (U * np.maximum(s - LAMBDA, 0)) @ Vt)
    assert r.data["losses"][-1] - r.data["optimum"] < 0.01 * (r.data["losses"][0]
                                                             - r.data["optimum"])
