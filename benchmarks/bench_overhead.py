"""Per-primitive overhead: a 2,000-op elementwise chain on a length-3 float64 vector.

The arrays are tiny, so the arithmetic costs nothing and the time per op is the library's own
overhead: dispatch, tracing, recording and the backward walk. The chain is 500 repetitions of
``x = sin(x); x = x * 0.9; x = x + 0.1; x = tanh(x)`` (bounded: tanh keeps |x| < 1), then
``sum(x)``; times are divided by the 2,001 user-level ops.

Rows: NumPy forward (floor), wengert forward outside any transform, wengert ``value_and_grad``,
``wengert.jit`` of the forward and of ``value_and_grad`` (the chain recorded once, simplified
and run as generated straight-line NumPy; the first call, which compiles, is timed apart and
printed in the note), and, when installed, autograd ``value_and_grad``, JAX
``value_and_grad`` run eagerly (no ``jax.jit``: each op is dispatched on its own, as a user
gets without jit) and PyTorch eager (forward with ``requires_grad`` then
``torch.autograd.grad``).

Targets: eager ``value_and_grad`` overhead below 15 µs per primitive, i.e. at least 2x lower
than autograd's (issue 3); compiled ``jit(value_and_grad)`` at most 4 µs per primitive and at
most 3x NumPy's forward per op, at least 4x faster than PyTorch eager and at least 7x faster
than autograd (issue 8). "Per primitive" is per user-level op, as everywhere here: a time
divided by the 2,001 ops of the forward chain, whatever the gradient adds.

Every row is timed round-robin with the others (``time_interleaved``), so the ratios compare
figures measured under the same load.

Run: ``python benchmarks/bench_overhead.py [--quick] [--json PATH]``.
"""

from __future__ import annotations

import sys
import time
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
    time_interleaved,
    timing_config,
    timing_dict,
    write_json,
)

REPEATS = 500
N_OPS = 4 * REPEATS + 1  # the chain plus the final sum
TARGET_US_PER_OP = 15.0
TARGET_SPEEDUP_VS_AUTOGRAD = 2.0
TARGET_JIT_US_PER_OP = 4.0
TARGET_JIT_OVER_NUMPY = 3.0
TARGET_JIT_SPEEDUP_VS_TORCH = 4.0
TARGET_JIT_SPEEDUP_VS_AUTOGRAD = 7.0
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
    """Build the rows to time: label, kind, a maker of a zero-argument callable, an error.

    A jitted row also carries ``jitted``, the ``wengert.jit`` object, so that its first call
    (the compilation) can be timed and described apart.
    """
    cases: list[dict[str, Any]] = []

    def add(
        label: str,
        kind: str,
        make: Callable[[], Callable[[], Any]] | None,
        error=None,
        jitted: Any = None,
    ):
        cases.append(
            {"label": label, "kind": kind, "make": make, "error": error, "jitted": jitted}
        )

    add("numpy", "forward", lambda: lambda: chain(X0, np))

    if wengert.ok:
        wg, wnp = wengert.modules["wg"], wengert.modules["wnp"]
        add("wengert", "forward", lambda: lambda: chain(X0, wnp))
        add("wengert (wnp.multiply/add)", "forward", lambda: lambda: chain_functions(X0, wnp))

        def make_wengert_vg():
            vg = wg.value_and_grad(lambda x: chain(x, wnp))
            return lambda: vg(X0)

        add("wengert", "value_and_grad", make_wengert_vg)

        # One jitted object per row, created here so the first call in main() compiles it.
        jit_fwd = wg.jit(lambda x: chain(x, wnp))
        jit_vg = wg.jit(wg.value_and_grad(lambda x: chain(x, wnp)))
        add("wengert.jit", "forward", lambda: lambda: jit_fwd(X0), jitted=jit_fwd)
        add("wengert.jit", "value_and_grad", lambda: lambda: jit_vg(X0), jitted=jit_vg)
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


def _yes_no(met: bool | None) -> str:
    return "n/a" if met is None else ("yes" if met else "no")


def _print_jit_figures(
    summary: dict[str, Any],
    per_op: Callable[[str, str], float | None],
    rows_out: list[dict[str, Any]],
) -> None:
    """Print issue 8's figures for the compiled rows and add them to ``summary``."""
    jit_vg = per_op("wengert.jit", "value_and_grad")
    numpy_fwd = per_op("numpy", "forward")
    torch_vg = per_op("torch (eager)", "value_and_grad")
    autograd_vg = per_op("autograd", "value_and_grad")
    print(
        f"\n  target (jit): compiled value_and_grad <= {TARGET_JIT_US_PER_OP:g} us per primitive "
        f"and <= {TARGET_JIT_OVER_NUMPY:g}x NumPy's forward per op; >= "
        f"{TARGET_JIT_SPEEDUP_VS_TORCH:g}x faster than torch eager, >= "
        f"{TARGET_JIT_SPEEDUP_VS_AUTOGRAD:g}x faster than autograd"
    )
    print(f"  (per primitive = time per call / {N_OPS:,} user-level ops of the forward chain)")
    if jit_vg is None:
        print("  wengert.jit value_and_grad: n/a")
        summary["jit_target_met"] = None
        return
    summary["jit_vg_us_per_op"] = jit_vg
    checks = [jit_vg <= TARGET_JIT_US_PER_OP]
    print(
        f"  wengert.jit value_and_grad: {jit_vg:.2f} us/op (median) -> "
        f"<= {TARGET_JIT_US_PER_OP:g} us: {_yes_no(checks[0])}"
    )
    if numpy_fwd is not None:
        over = jit_vg / numpy_fwd
        summary["jit_vg_over_numpy_forward"] = over
        checks.append(over <= TARGET_JIT_OVER_NUMPY)
        print(
            f"  jit value_and_grad / NumPy forward, per op: {over:.2f}x "
            f"(NumPy {numpy_fwd:.2f} us/op) -> <= {TARGET_JIT_OVER_NUMPY:g}x: "
            f"{_yes_no(checks[-1])}"
        )
    for name, peer, target in (
        ("torch eager", torch_vg, TARGET_JIT_SPEEDUP_VS_TORCH),
        ("autograd", autograd_vg, TARGET_JIT_SPEEDUP_VS_AUTOGRAD),
    ):
        if peer is None:
            print(f"  speedup vs {name}: n/a (not installed)")
            continue
        speedup = peer / jit_vg
        summary[f"jit_vg_speedup_vs_{name.split()[0]}"] = speedup
        checks.append(speedup >= target)
        print(
            f"  {name} value_and_grad / jit value_and_grad: {speedup:.2f}x -> >= {target:g}x: "
            f"{_yes_no(checks[-1])}"
        )
    for r in rows_out:
        if r["label"] == "wengert.jit" and r["compile"] is not None:
            c = r["compile"]
            summary[f"jit_{r['kind']}_compile_s"] = c["compile_s"]
            print(
                f"  compile time, jit {r['kind']}: {c['compile_s'] * 1e3:.0f} ms (recording, "
                f"simplification, code generation); first call {c['first_call_s'] * 1e3:.0f} ms"
            )
    met = all(checks)
    summary["jit_target_met"] = met
    print(f"  jit targets met (those measurable here): {_yes_no(met)}")


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
    compile_notes: dict[str, dict[str, Any]] = {}
    fns: dict[int, Callable[[], Any]] = {}
    cases = _cases(wengert, peers)
    errors: dict[int, str | None] = {}
    # Build every row and call it once (the call that compiles a jitted row, timed apart); a
    # row that fails here is reported and left out of the timing.
    for i, case in enumerate(cases):
        errors[i] = case["error"]
        if case["make"] is None:
            continue
        try:
            fn = case["make"]()
            start = time.perf_counter()
            fn()
            first = time.perf_counter() - start
            if case["jitted"] is not None:
                compiled = case["jitted"].lower(X0)
                compile_notes[i] = {
                    "first_call_s": first,
                    "compile_s": compiled.compile_seconds,
                    "recorded": compiled.stats.recorded,
                    "kept": compiled.stats.kept,
                }
            if case["kind"] == "value_and_grad":
                grads[case["label"]] = _gradient(case["label"], fn)
            fns[i] = fn
        except Exception as exc:  # noqa: BLE001 -- one broken row must not stop the rest
            errors[i] = short_error(exc)
    try:
        timings = time_interleaved({str(i): fn for i, fn in fns.items()}, config)
    except Exception as exc:  # noqa: BLE001 -- reported, and the table still prints
        print(f"  timing failed: {short_error(exc)}")
        timings = {}
    for i, case in enumerate(cases):
        timing: Timing | None = timings.get(str(i))
        note = errors[i]
        if i in compile_notes:
            c = compile_notes[i]
            note = (
                f"first call {c['first_call_s'] * 1e3:.0f} ms, compile {c['compile_s'] * 1e3:.0f}"
                f" ms ({c['recorded']:,} eqns recorded, {c['kept']:,} kept)"
            )
        rows_out.append(
            {
                "label": case["label"],
                "kind": case["kind"],
                "timing": timing_dict(timing),
                "us_per_op_median": None if timing is None else timing.median / N_OPS * 1e6,
                "us_per_op_min": None if timing is None else timing.min / N_OPS * 1e6,
                "error": errors[i],
                "compile": compile_notes.get(i),
                "note": note,
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
                r["note"] or "",
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
    print(f"  eager target met: {'n/a' if met is None else ('yes' if met else 'no')}")

    _print_jit_figures(summary, per_op, rows_out)

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
