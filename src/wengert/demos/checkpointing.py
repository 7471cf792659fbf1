"""Checkpointing, measured: the memory a gradient keeps against the time it takes.

Reverse mode stores every intermediate of the forward pass; checkpointing stores fewer and
recomputes the rest in the backward pass. The demo differentiates a chain of residual blocks
x -> x + tanh(x @ A_l) with respect to x0 under six configurations: no checkpointing, every
block in ``wengert.checkpoint``, √n segments (``checkpoint_sequential``) and Griewank and
Walther's binomial schedule with c = 2, 4 and 8 snapshots (``checkpoint_scan``). For each it
measures the peak memory ``tracemalloc`` sees during one ``value_and_grad`` and the best time of
a few calls, checks the gradient against the unchecked one, and prints the binomial schedule of
a small case. ``benchmarks/bench_checkpoint.py`` runs the issue's full-size chain (64 blocks,
float32), one process per configuration, next to autograd, JAX and PyTorch. Imports: NumPy,
the public API of wengert (with ``wengert.checkpoint``) and ``viz.plots``.
"""

from __future__ import annotations

import gc
import math
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

import wengert as wg
import wengert.numpy as wnp
from wengert.checkpoint import checkpoint_scan, checkpoint_sequential, revolve
from wengert.core.errors import WengertValueError
from wengert.viz.plots import new_figure

from . import register

BLOCKS = 32
SHAPE = (64, 128)
SNAPSHOTS = (2, 4, 8)
SEED = 0
REPEATS = 2
TOLERANCE = 1e-12
CONFIGS = ("none", "every", "sqrt", *(f"binomial c={c}" for c in SNAPSHOTS))


def make_data(blocks: int = BLOCKS, shape: tuple[int, int] = SHAPE, seed: int = SEED):
    """Return x0 and the list of matrices A_l, float64, A_l scaled by 0.5/√d.

    Examples
    --------
    >>> x0, As = make_data(3, (2, 4))
    >>> x0.shape, len(As), As[0].shape
    ((2, 4), 3, (4, 4))
    """
    rng = np.random.default_rng(seed)
    n, d = shape
    x0 = rng.standard_normal((n, d))
    return x0, [rng.standard_normal((d, d)) * (0.5 / math.sqrt(d)) for _ in range(blocks)]


def block(x, A):
    """One residual block, x + tanh(x @ A)."""
    return x + wnp.tanh(x @ A)


def loss_for(config: str, num_blocks: int) -> tuple[Callable, bool]:
    """Return ``(loss(x0, As), stacked)``: the chain's summed output under ``config``.

    ``stacked`` says whether ``As`` is passed as one (T, d, d) array (the scan configurations)
    rather than a list.

    Examples
    --------
    >>> x0, As = make_data(4, (2, 3))
    >>> plain, _ = loss_for("none", 4)
    >>> scan, stacked = loss_for("binomial c=2", 4)
    >>> stacked, bool(np.isclose(plain(x0, As), scan(x0, np.stack(As))))
    (True, True)
    """
    if config in ("none", "every"):
        step = block if config == "none" else wg.checkpoint(block)

        def loss(x, As):
            for A in As:
                x = step(x, A)
            return wnp.sum(x)

        return loss, False
    if config == "sqrt":

        def loss(x, As):
            layers = [lambda h, A=A: block(h, A) for A in As]
            return wnp.sum(checkpoint_sequential(layers, x))

        return loss, False
    if config.startswith("binomial c="):
        c = int(config.split("=")[1])

        def loss(x, A_stack):
            return wnp.sum(checkpoint_scan(block, x, num_steps=num_blocks, snapshots=c,
                                           schedule="binomial", xs=A_stack))

        return loss, True
    raise WengertValueError(
        f"unknown checkpointing configuration {config!r}; choose from {', '.join(CONFIGS)}."
    )


def extra_steps(config: str, num_blocks: int) -> int:
    """Block evaluations beyond the plain forward pass that one gradient costs.

    ``every`` and ``sqrt`` replay each block once in the backward pass; ``checkpoint_scan``
    runs its schedule's advances plus one un-taped step, besides the T taped ones.

    Examples
    --------
    >>> extra_steps("none", 32), extra_steps("every", 32), extra_steps("binomial c=32", 32)
    (0, 32, 32)
    """
    if config == "none":
        return 0
    if config in ("every", "sqrt"):
        return num_blocks
    c = int(config.split("=")[1])
    return revolve.schedule(num_blocks, c).advances + 1


def peak_memory(fn: Callable[[], object]) -> int:
    """Return the peak number of bytes ``tracemalloc`` sees allocated during ``fn()``."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(blocks: int = BLOCKS, shape: tuple[int, int] = SHAPE, repeats: int = REPEATS,
            progress=lambda it, desc: it) -> dict[str, dict]:
    """Measure every configuration: peak bytes, best seconds, extra steps, gradient error."""
    x0, As = make_data(blocks, shape)
    stack = np.stack(As)
    rows: dict[str, dict] = {}
    reference = None
    for config in progress(CONFIGS, "measuring"):
        loss, stacked = loss_for(config, blocks)
        vg = wg.value_and_grad(loss)
        args = (x0, stack if stacked else As)
        value, grad = vg(*args)  # warm-up, and the gradient checked below
        memory = peak_memory(lambda vg=vg, args=args: vg(*args))
        seconds = _best_of(lambda vg=vg, args=args: vg(*args), repeats)
        grad = np.asarray(grad)
        if reference is None:
            reference = grad
        err = float(np.max(np.abs(grad - reference)) / np.max(np.abs(reference)))
        rows[config] = {"bytes": memory, "seconds": seconds, "extra_steps":
                        extra_steps(config, blocks), "rel_err": err, "loss": float(value)}
    return rows


def _best_of(fn: Callable[[], object], repeats: int) -> float:
    """Best wall-clock seconds of ``repeats`` calls (the caller has warmed ``fn`` up)."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _figure(ctx, rows: dict[str, dict]) -> None:
    fig, (left, right) = new_figure(ncols=2, size=(5.4, 4.2))
    colors = {"none": "tab:gray", "every": "tab:orange", "sqrt": "tab:green"}
    for config, row in rows.items():
        color = colors.get(config, "tab:blue")
        left.scatter(row["seconds"] * 1e3, row["bytes"] / 2**20, color=color, zorder=3)
        left.annotate(config, (row["seconds"] * 1e3, row["bytes"] / 2**20), fontsize=8,
                      xytext=(4, 3), textcoords="offset points")
    left.set(xlabel="time per value_and_grad (ms)", ylabel="peak traced memory (MB)",
             title="Memory against time")
    left.grid(alpha=0.3)
    names = list(rows)
    right.bar(range(len(names)), [rows[n]["bytes"] / 2**20 for n in names],
              color=[colors.get(n, "tab:blue") for n in names])
    right.set_xticks(range(len(names)), names, rotation=30, ha="right")
    right.set(ylabel="peak traced memory (MB)", title="Peak memory of one gradient")
    right.grid(axis="y", alpha=0.3)
    ctx.save_figure(fig, "tradeoff")


@register(
    "checkpointing",
    "Checkpointing: memory against time",
    f"One gradient of {BLOCKS} residual blocks x → x + tanh(x @ A), x of shape {SHAPE}, "
    "float64, with respect to x0: peak memory (tracemalloc) against time with no "
    "checkpointing, every block checkpointed, √n segments and the binomial (revolve) schedule "
    "with 2, 4 and 8 snapshots. Fewer stored states cost more recomputation; every gradient "
    "equals the unchecked one.",
)
def run(ctx):
    rows = measure(progress=ctx.progress)
    _figure(ctx, rows)
    base = rows["none"]
    lines = ["config          peak MB   / none   time ms   / none   extra steps   rel. error"]
    lines += [f"{name:14s} {r['bytes'] / 2**20:8.2f} {r['bytes'] / base['bytes']:8.2f} "
              f"{r['seconds'] * 1e3:9.2f} {r['seconds'] / base['seconds']:8.2f} "
              f"{r['extra_steps']:13d} {r['rel_err']:12.1e}" for name, r in rows.items()]
    lines += ["", "The binomial schedule for 10 steps and 3 snapshots:",
              str(revolve.schedule(10, 3))]
    memory = {name: r["bytes"] for name, r in rows.items()}
    errors = {name: r["rel_err"] for name, r in rows.items()}
    ok = (max(errors.values()) <= TOLERANCE and memory["every"] < memory["none"]
          and memory["none"] > memory["sqrt"] > memory["binomial c=2"])
    return ctx.result("\n".join(lines), ok=ok, memory=memory, errors=errors,
                      seconds={name: r["seconds"] for name, r in rows.items()},
                      extra_steps={name: r["extra_steps"] for name, r in rows.items()})
