"""The digits stop of the tour: a trained network and its Hessian spectrum."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

from wengert.demos import run_demo


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return run_demo("digits", tmp_path_factory.mktemp("digits-tour"), progress=False)


def test_network_reaches_the_target_accuracy(result):
    assert result.ok
    assert result.data["test_accuracy"] >= 0.95
    losses = result.data["losses"]
    assert losses[-1] < 0.1 * losses[0]


def test_spectra_are_finite_densities_and_training_moves_them(result):
    before, after = result.data["before"], result.data["after"]
    for s in (before, after):
        assert np.all(np.isfinite(s["top"])) and np.all(np.isfinite(s["density"]))
        assert np.all(s["density"] >= 0)
        assert np.trapezoid(s["density"], s["grid"]) == pytest.approx(1.0, abs=1e-6)
        assert np.isfinite(s["trace"])
        # The top Lanczos eigenvalue lies inside the density's support.
        assert s["grid"][0] <= s["top"][0] <= s["grid"][-1]
    assert abs(after["top"][0] - before["top"][0]) > 0.1 * abs(before["top"][0])


def test_writes_a_valid_png_and_the_table(result):
    (path,) = result.images
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for needle in ("test accuracy", "top 5 Hessian eigenvalues", "Hessian trace"):
        assert needle in result.text
