"""The checkpointing demo: its picture, its table, equal gradients and the memory orderings.

Memory from ``tracemalloc`` is deterministic for a fixed workload, so its orderings are
asserted; nothing here depends on how fast anything ran.
"""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
from wengert.demos import DEMOS, run_demo
from wengert.demos import checkpointing as ck

pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("checkpointing")
    return out, run_demo("checkpointing", out, progress=False)


def test_registered_in_the_tour():
    assert "checkpointing" in DEMOS


def test_writes_a_png_and_a_row_per_configuration(demo):
    out, res = demo
    assert res.ok
    (png,) = res.images
    assert png == out / "checkpointing-tradeoff.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = res.text.splitlines()
    for config in ck.CONFIGS:
        assert any(line.startswith(config + " ") for line in lines), config
    assert "binomial schedule: 10 steps, 3 snapshot slots" in res.text
    assert (out / "checkpointing.txt").read_text().strip() == res.text.strip()


def test_every_configuration_gives_the_unchecked_gradient(demo):
    _, res = demo
    assert set(res.data["errors"]) == set(ck.CONFIGS)
    assert max(res.data["errors"].values()) <= ck.TOLERANCE


def test_checkpointing_lowers_peak_memory(demo):
    mem = demo[1].data["memory"]
    assert mem["every"] < mem["none"]
    assert mem["sqrt"] < mem["none"]

    assert mem["binomial c=2"] < mem["sqrt"]


def test_fewer_snapshots_keep_less(demo):
    mem = demo[1].data["memory"]
    assert mem["binomial c=2"] < mem["binomial c=4"] < mem["binomial c=8"] < mem["none"]


def test_fewer_snapshots_cost_more_recomputation(demo):
    extra = demo[1].data["extra_steps"]
    assert extra["none"] == 0 and extra["every"] == extra["sqrt"] == ck.BLOCKS
    assert extra["binomial c=2"] > extra["binomial c=4"] > extra["binomial c=8"] > ck.BLOCKS


@pytest.mark.parametrize("config", ck.CONFIGS)
def test_loss_for_matches_the_plain_chain(config):
    x0, As = ck.make_data(6, (3, 4))
    loss, stacked = ck.loss_for(config, 6)
    plain, _ = ck.loss_for("none", 6)
    args = (x0, np.stack(As) if stacked else As)
    value, grad = wg.value_and_grad(loss)(*args)
    ref_value, ref_grad = wg.value_and_grad(plain)(x0, As)
    np.testing.assert_allclose(value, ref_value, rtol=1e-13)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-14)


def test_unknown_configuration_is_refused():
    with pytest.raises(ValueError, match="choose from"):
        ck.loss_for("binomal", 4)
