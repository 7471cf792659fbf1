"""Checkpointing in five steps: what a gradient stores, and how to make it store less.

1. ``saved_residuals`` lists what the backward pass of a small MLP keeps;
2. ``wg.checkpoint`` on each layer keeps only the layers' inputs and outputs;
3. a policy (``dots_saveable``, or ``save_only_these_names`` with ``wg.checkpoint_name``) keeps
   chosen values inside the checkpoint;
4. every variant gives the same gradient;
5. ``checkpoint_scan`` reverses a 10-step chain with 3 snapshots on Griewank and Walther's
   binomial schedule, printed before it runs.

Run from the repository root: ``.venv/bin/python examples/checkpointing.py``. Imports: NumPy
and wengert.
"""

from __future__ import annotations

import numpy as np

import wengert as wg
import wengert.numpy as wnp
from wengert.checkpoint import checkpoint_scan, policies, saved_residuals, schedule

rng = np.random.default_rng(0)
WEIGHTS = [rng.standard_normal((64, 64)) / 8 for _ in range(3)]
X = rng.standard_normal((32, 64))


def layer(h, w):
    """One layer; its pre-activation is tagged "pre" for the name policy."""
    pre = wg.checkpoint_name(h @ w, "pre")
    return wnp.tanh(pre) + 0.1 * wnp.sin(pre)


def make_loss(wrap):
    """The MLP's loss with every layer passed through ``wrap``."""
    step = wrap(layer)

    def loss(x):
        for w in WEIGHTS:
            x = step(x, w)
        return wnp.sum(x**2)

    return loss


def main() -> None:
    """Print the residuals of each variant, check the gradients, print and run a schedule."""
    variants = {
        "no checkpointing": make_loss(lambda f: f),
        "checkpoint each layer": make_loss(wg.checkpoint),
        "... keeping the matmuls": make_loss(lambda f: wg.checkpoint(
            f, policy=policies.dots_saveable)),
        "... keeping values named 'pre'": make_loss(lambda f: wg.checkpoint(
            f, policy=policies.save_only_these_names("pre"))),
    }
    print("What the backward pass keeps:\n")
    print(saved_residuals(variants["no checkpointing"], X), end="\n\n")
    print(saved_residuals(variants["checkpoint each layer"], X), end="\n\n")
    reference = wg.grad(variants["no checkpointing"])(X)
    for name, loss in variants.items():
        kept = saved_residuals(loss, X).total_bytes
        err = np.max(np.abs(wg.grad(loss)(X) - reference))
        print(f"{name:32s} keeps {kept:8,d} bytes; gradient differs by {err:.1e}")

    print("\nA chain of 10 steps with 3 snapshots (the input is one of them):\n")
    print(schedule(10, 3))
    a = np.array([0.9, 1.1])

    def chain(x0, scan):
        step = lambda x: x + 0.1 * wnp.sin(a * x)
        if scan:
            return wnp.sum(checkpoint_scan(step, x0, num_steps=10, snapshots=3))
        for _ in range(10):
            x0 = step(x0)
        return wnp.sum(x0)

    x0 = np.array([0.3, -0.4])
    g_scan, g_loop = wg.grad(chain)(x0, True), wg.grad(chain)(x0, False)
    print(f"\ncheckpoint_scan gradient {g_scan}, plain loop {g_loop}")


if __name__ == "__main__":
    main()
