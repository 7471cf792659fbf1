"""Per-primitive overhead: a 2,000-op elementwise chain on a length-3 float64 vector.

The arrays are tiny, so the arithmetic costs nothing and the time per op is the library's own
overhead: dispatch, tracing, recording and the backward walk. The chain is 500 repetitions of
``x = sin(x); x = x * 0.9; x = x + 0.1; x = tanh(x)`` (bounded: tanh keeps |x| < 1), then
``sum(x)``; times are divided by the 2,001 user-level ops.

Rows: NumPy forward (floor), wengert forward outside any transform, wengert ``value_and_grad``,
and, when installed, autograd ``value_and_grad``, JAX ``value_and_grad`` run eagerly (no
``jax.jit``: each op is dispatched on its own, as a user gets without jit) and PyTorch eager
(forward with ``requires_grad`` then ``torch.autograd.grad``).

Target (issue): eager ``value_and_grad`` overhead below 15 µs per primitive, i.e. at least 2x
lower than autograd's.

Run: ``python benchmarks/bench_overhead.py [--quick] [--json PATH]``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Library,
    Timing,
    environment,
    fmt,
    load_peers,
    load_wengert,
    parse_args,
    print_environment,
    print_table,
    short_error,
    time_call,
    timing_config,
    timing_dict,
    write_json,
)

REPEATS = 500
N_OPS = 4 * REPEATS + 1  # the chain plus the final sum
TARGET_US_PER_OP = 15.0
TARGET_SPEEDUP_VS_AUTOGRAD = 2.0
X0 = np.array([0.3, -1.2, 2.0])


def chain(x: Any, m: Any) -> Any:
    """Return sum of the 2,000-op chain; ``m`` is a NumPy-like namespace (np, wnp, jnp, ...)."""
    for _ in range(REPEATS):
        x = m.sin(x)
        x = x * 0.9
        x = x + 0.1
        x = m.tanh(x)
    return m.sum(x)


def chain_functions(x: Any, m: Any) -> Any:
    """Same chain, with ``m.multiply``/``m.add`` instead of operators (all ops through ``m``)."""
    for _ in range(REPEATS):
        x = m.sin(x)
        x = m.multiply(x, 0.9)
        x = m.add(x, 0.1)
        x = m.tanh(x)
    return m.sum(x)


def _cases(wengert: Library, peers: dict[str, Library]) -> list[dict[str, Any]]:
    """Build the rows to time: label, kind, a zero-argument callable, and a gradient getter."""
    cases: list[dict[str, Any]] = []

    def add(label: str, kind: str, make: Callable[[], Callable[[], Any]] | None, error=None):
        cases.append({"label": label, "kind": kind, "make": make, "error": error})

    add("numpy", "forward", lambda: lambda: chain(X0, np))

    if wengert.ok:
        wg, wnp = wengert.modules["wg"], wengert.modules["wnp"]
        add("wengert", "forward", lambda: lambda: chain(X0, wnp))
        add("wengert (wnp.multiply/add)", "forward", lambda: lambda: chain_functions(X0, wnp))

        def make_wengert_vg():
            vg = wg.value_and_grad(lambda x: chain(x, wnp))
            return lambda: vg(X0)

        add("wengert", "value_and_grad", make_wengert_vg)
    else:
        add("wengert", "forward", None, "wengert import failed (see above)")
        add("wengert", "value_and_grad", None, "wengert import failed (see above)")

    ag = peers.get("autograd")
    if ag is not None and ag.ok:
        autograd, anp = ag.modules["autograd"], ag.modules["anp"]
        add("autograd", "forward", lambda: lambda: chain(X0, anp))

        def make_autograd_vg():
            vg = autograd.value_and_grad(lambda x: chain(x, anp))
            return lambda: vg(X0)

        add("autograd", "value_and_grad", make_autograd_vg)

    jx = peers.get("jax")
    if jx is not None and jx.ok:
        jax, jnp = jx.modules["jax"], jx.modules["jnp"]
        x0j = jnp.asarray(X0)

        # JAX dispatches asynchronously: block on the result so the time covers the work.
        add("jax (eager)", "forward", lambda: lambda: jax.block_until_ready(chain(x0j, jnp)))

        def make_jax_vg():
            vg = jax.value_and_grad(lambda x: chain(x, jnp))  # no jit: op-by-op dispatch
            return lambda: jax.block_until_ready(vg(x0j))

        add("jax (eager)", "value_and_grad", make_jax_vg)

    th = peers.get("torch")
    if th is not None and th.ok:
        torch = th.modules["torch"]
        x0t = torch.tensor(X0, dtype=torch.float64)

        def torch_forward():
            with torch.no_grad():
                return chain(x0t, torch)

        add("torch (eager)", "forward", lambda: torch_forward)

        def make_torch_vg():
            def vg():
                x = x0t.detach().requires_grad_(True)
                value = chain(x, torch)
                (x_bar,) = torch.autograd.grad(value, x)
                return value.detach(), x_bar

            return vg

        add("torch (eager)", "value_and_grad", make_torch_vg)
    return cases


def _gradient(label: str, fn: Callable[[], Any]) -> np.ndarray:
    """Return the gradient from one ``value_and_grad`` call as a NumPy array."""
    _, x_bar = fn()
    if hasattr(x_bar, "detach"):
        x_bar = x_bar.detach().numpy()
    return np.asarray(x_bar, dtype=np.float64)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the overhead benchmark, print its table, and return the results as a dict."""
    args = parse_args(argv, __doc__.splitlines()[0])
    config = timing_config(args.quick)
    print(f"== bench_overhead: {N_OPS:,} ops (500 x [sin, *0.9, +0.1, tanh] + sum) on float64[3]")
    wengert = load_wengert()
    peers = load_peers()
    env = environment([wengert, *peers.values()])
    print_environment(env)
    print(f"  timing: {config.repeat} repeats, loops of >= {config.min_time} s, median and min\n")

    rows_out: list[dict[str, Any]] = []
    grads: dict[str, np.ndarray] = {}
    for case in _cases(wengert, peers):
        timing: Timing | None = None
        error = case["error"]
        if case["make"] is not None:
            try:
                fn = case["make"]()
                timing = time_call(fn, config)
                if case["kind"] == "value_and_grad":
                    grads[case["label"]] = _gradient(case["label"], fn)
            except Exception as exc:  # noqa: BLE001 -- one broken row must not stop the rest
                error = short_error(exc)
        rows_out.append(
            {
                "label": case["label"],
                "kind": case["kind"],
                "timing": timing_dict(timing),
                "us_per_op_median": None if timing is None else timing.median / N_OPS * 1e6,
                "us_per_op_min": None if timing is None else timing.min / N_OPS * 1e6,
                "error": error,
            }
        )

    table = []
    for r in rows_out:
        t = r["timing"]
        table.append(
            [
                r["label"],
                r["kind"],
                fmt(r["us_per_op_median"]),
                fmt(r["us_per_op_min"]),
                "-" if t is None else fmt(t["median"] * 1e3, 3),
                "-" if t is None else f"{t['number']}x{t['repeat']}",
                r["error"] or "",
            ]
        )
    print_table(
        ["library", "mode", "us/op med", "us/op min", "ms/call med", "loops", "note"], table
    )

    def per_op(label: str, kind: str) -> float | None:
        for r in rows_out:
            if r["label"] == label and r["kind"] == kind:
                return r["us_per_op_median"]
        return None

    summary: dict[str, Any] = {}
    wengert_vg = per_op("wengert", "value_and_grad")
    autograd_vg = per_op("autograd", "value_and_grad")
    print()
    print(
        f"  target: eager value_and_grad overhead below {TARGET_US_PER_OP:g} us per primitive, "
        f"i.e. at least {TARGET_SPEEDUP_VS_AUTOGRAD:g}x lower than autograd's"
    )
    if wengert_vg is not None:
        summary["wengert_vg_us_per_op"] = wengert_vg
        print(f"  wengert value_and_grad: {wengert_vg:.2f} us/op (median)")
    if wengert_vg is not None and autograd_vg is not None:
        ratio = autograd_vg / wengert_vg
        summary["autograd_over_wengert_vg"] = ratio
        print(f"  autograd_time / wengert_time (value_and_grad): {ratio:.2f}x")
    met = (
        None
        if wengert_vg is None or autograd_vg is None
        else bool(wengert_vg < TARGET_US_PER_OP and autograd_vg / wengert_vg >= 2.0)
    )
    summary["target_met"] = met
    print(f"  target met: {'n/a' if met is None else ('yes' if met else 'no')}")

    if len(grads) > 1:
        reference = "wengert" if "wengert" in grads else min(grads)
        # The chain contracts (each block scales the cotangent by at most 0.9), so the gradient
        # is ~1e-100: the absolute difference means little, the relative one is the check.
        ref = grads[reference]
        scale = float(np.max(np.abs(ref)))
        print(f"\n  gradient check against {reference} (max |grad| = {scale:.3e}):")
        checks = {}
        for label, g in grads.items():
            if label != reference:
                diff = float(np.max(np.abs(g - ref)))
                checks[label] = {"max_abs_diff": diff, "max_rel_diff": diff / scale}
                print(f"    {label:<16} max abs diff {diff:.3e}   relative {diff / scale:.3e}")
        summary["grad_check_vs_" + reference] = checks

    result = {
        "benchmark": "overhead",
        "n_ops": N_OPS,
        "environment": env,
        "quick": args.quick,
        "rows": rows_out,
        "summary": summary,
    }
    if args.json:
        write_json(args.json, result)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
