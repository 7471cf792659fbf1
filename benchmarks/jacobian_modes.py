"""The lecture's figure on choosing the Jacobian mode: jacfwd, jacrev and auto against m/n.

Workload: f(x) = W2 tanh(W1 x) with n = 100 inputs fixed (W1 100×100) and m outputs (W2 m×100),
m in 10, 30, 100, 300, 1000; float64, the same seeds as the tour demo ``jacobian-modes``
(W1 and x from ``default_rng(0)``, W2 from ``default_rng([0, m])``, W's scaled by 1/√n).
Forward mode needs n JVP sweeps whatever m is; reverse mode needs m VJP sweeps. So jacfwd's
time barely moves with m, jacrev's grows like m, and the two cross near m ≈ n.

Rows, all timed in one run on the same matrices: wengert ``jacfwd``, ``jacrev``,
``jacobian(mode="auto")`` and, with the cost model, ``jacobian(mode="mixed")`` (vertex
elimination); the Python-loop baselines (n single ``wg.jvp`` calls, one per basis vector; m
single ``wg.vjp`` calls, one per basis cotangent, each with its own forward pass as each JVP
computes its own primal; and, for reference, one ``wg.vjp`` then m calls of its ``vjp_fn``);
and, when installed, JAX
(``jax.jacfwd``/``jax.jacrev`` under ``jax.jit`` and without) and torch.func
(``jacfwd``/``jacrev``). Every Jacobian is compared with the closed form
W2 diag(1 - tanh²(W1 x)) W1. The crossover is where the measured jacfwd and jacrev curves cross,
interpolated on log axes. The mode auto ran is its cost model's choice
(``wengert.jacobian_cost``); the table also names the mode whose Jacobian auto's result equals
bit for bit, which works without the cost model.

Targets (issue 4): jacfwd at m = 1000 and jacrev at m = 10 each at least 5x faster than the Python
loop; auto never more than 15% slower than the better of jacfwd and jacrev; auto switches from
reverse to forward mode where the measured curves cross (and the predicted crossover lies between
the same two m as the measured one).

Run: ``python benchmarks/jacobian_modes.py [--quick] [--json PATH] [--plot [PATH]]``. The JSON
goes to ``benchmarks/results/jacobian_modes.json`` unless ``--json`` names another file.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# The tour demo owns the crossover interpolation and the bit-for-bit mode check; both are
# shared here so that the benchmark and the picture never disagree.
from wengert.demos.jacobian_modes import crossover, ran_as

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BENCH_DIR,
    Library,
    Timing,
    environment,
    fmt,
    load_peers,
    load_wengert,
    print_environment,
    print_table,
    short_error,
    time_interleaved,
    timing_config,
    timing_dict,
    write_json,
)

N = 100
SIZES = (10, 30, 100, 300, 1000)
SEED = 0
RESULTS_DIR = BENCH_DIR / "results"
TARGET_LOOP_SPEEDUP = 5.0
TARGET_AUTO_SLOWDOWN = 1.15
AGREEMENT = 1e-10
PAUSE_S = 1.0  # between libraries, so one's worker threads are idle before the next starts

WENGERT_ROWS = ("jacfwd", "jacrev", "mixed", "auto", "fwd loop", "rev loop", "rev loop 1 rec")
PEER_ROWS = (
    "jax jacfwd (jit)",
    "jax jacrev (jit)",
    "jax jacfwd",
    "jax jacrev",
    "torch.func jacfwd",
    "torch.func jacrev",
)
# Pairs of (forward, reverse) rows whose curves have a crossover worth printing.
CURVES = {
    "wengert": ("jacfwd", "jacrev"),
    "wengert loops": ("fwd loop", "rev loop"),
    "jax (jit)": ("jax jacfwd (jit)", "jax jacrev (jit)"),
    "jax (eager)": ("jax jacfwd", "jax jacrev"),
    "torch.func": ("torch.func jacfwd", "torch.func jacrev"),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse ``--quick`` and ``--json PATH`` (as every benchmark does) and ``--plot [PATH]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer repeats and shorter timing loops (for smoke runs)",
    )
    parser.add_argument(
        "--json",
        metavar="PATH",
        default=str(RESULTS_DIR / "jacobian_modes.json"),
        help="where to write the results as JSON (default: %(default)s)",
    )
    parser.add_argument(
        "--plot",
        metavar="PATH",
        nargs="?",
        default=None,
        const=str(RESULTS_DIR / "jacobian_modes.png"),
        help="also draw the figure as PNG (default path: %(const)s)",
    )
    return parser.parse_args(argv)


def matrices(m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(W1, W2, x)`` for m outputs, with the tour demo's seeds."""
    rng = np.random.default_rng(SEED)
    w1 = rng.standard_normal((N, N)) / np.sqrt(N)
    x = rng.standard_normal(N)
    w2 = np.random.default_rng([SEED, m]).standard_normal((m, N)) / np.sqrt(N)
    return w1, w2, x


def closed_form(w1: np.ndarray, w2: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Return the Jacobian W2 diag(1 - tanh²(W1 x)) W1 of f(x) = W2 tanh(W1 x)."""
    return w2 @ ((1.0 - np.tanh(w1 @ x) ** 2)[:, None] * w1)


def _wengert_cases(wengert: Library) -> dict[str, Callable]:
    wg, wnp = wengert.modules["wg"], wengert.modules["wnp"]

    def model(w1, w2):
        return lambda x: w2 @ wnp.tanh(w1 @ x)

    def fwd_loop(w1, w2, x):
        f, basis = model(w1, w2), np.eye(x.size)
        return lambda: np.stack([wg.jvp(f, (x,), (e,))[1] for e in basis], axis=-1)

    def rev_loop(w1, w2, x):
        # m single VJPs, each its own forward and backward pass, as each JVP of the forward
        # loop computes its own primal: the symmetric baseline.
        f, basis = model(w1, w2), np.eye(w2.shape[0])
        return lambda: np.stack([wg.vjp(f, x)[1](u)[0] for u in basis])

    def rev_loop_1rec(w1, w2, x):
        # One recorded forward pass, then m backward passes over it.
        f, basis = model(w1, w2), np.eye(w2.shape[0])

        def jac():
            _, vjp_fn = wg.vjp(f, x)
            return np.stack([vjp_fn(u)[0] for u in basis])

        return jac

    def transform(make):
        def case(w1, w2, x):
            jac = make(model(w1, w2))
            return lambda: jac(x)

        return case

    cases = {"jacfwd": transform(wg.jacfwd), "jacrev": transform(wg.jacrev)}
    if hasattr(wg, "jacobian_cost"):  # vertex elimination came with the cost model
        cases["mixed"] = transform(lambda f: wg.jacobian(f, mode="mixed"))
    cases["auto"] = transform(lambda f: wg.jacobian(f, mode="auto"))
    return {**cases, "fwd loop": fwd_loop, "rev loop": rev_loop, "rev loop 1 rec": rev_loop_1rec}


def _jax_cases(lib: Library) -> dict[str, Callable]:
    jax, jnp = lib.modules["jax"], lib.modules["jnp"]

    def case(transform, jit):
        def make(w1, w2, x):
            w1j, w2j, xj = jnp.asarray(w1), jnp.asarray(w2), jnp.asarray(x)
            jac = transform(lambda x: w2j @ jnp.tanh(w1j @ x))
            jac = jax.jit(jac) if jit else jac
            # JAX returns before the work is done: block so the time covers it.
            return lambda: jax.block_until_ready(jac(xj))

        return make

    return {
        "jax jacfwd (jit)": case(jax.jacfwd, True),
        "jax jacrev (jit)": case(jax.jacrev, True),
        "jax jacfwd": case(jax.jacfwd, False),
        "jax jacrev": case(jax.jacrev, False),
    }


def _torch_cases(lib: Library) -> dict[str, Callable]:
    torch = lib.modules["torch"]

    def case(transform):
        def make(w1, w2, x):
            w1t, w2t, xt = (torch.tensor(a, dtype=torch.float64) for a in (w1, w2, x))
            jac = transform(lambda x: w2t @ torch.tanh(w1t @ x))
            return lambda: jac(xt)

        return make

    return {
        "torch.func jacfwd": case(torch.func.jacfwd),
        "torch.func jacrev": case(torch.func.jacrev),
    }


def _as_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().numpy()
    return np.asarray(value, dtype=np.float64)


def _predicted(wengert: Library, w1, w2, x) -> dict | None:
    """wengert's own prediction of each mode's cost and its choice, when it has a cost model."""
    wg = wengert.modules["wg"]
    if not hasattr(wg, "jacobian_cost"):
        return None
    from wengert.demos.jacobian_modes import predicted_costs

    wnp = wengert.modules["wnp"]
    return predicted_costs(lambda x: w2 @ wnp.tanh(w1 @ x), x)


# --------------------------------------------------------------------------------------------
# Measuring, reporting


def _measure(
    groups: list[tuple[str, dict[str, Callable]]], config, wengert: Library
) -> list[dict[str, Any]]:
    """Time every case at every m; keep the best and median time, first call and accuracy.

    One library at a time (its rows round-robin, see ``time_interleaved``), with a pause in
    between: on a machine with few cores the worker
    threads a library leaves spinning (XLA's pool, OpenMP) slow the next library's calls for a
    while (torch.func ten times slower right after JAX, on 2 cores).
    """
    rows = [
        {
            "m": m,
            "ratio": m / N,
            "timings": {},
            "first_call_s": {},
            "max_abs_diff": {},
            "errors": {},
        }
        for m in SIZES
    ]
    for index, (name, cases) in enumerate(groups):
        if index:
            time.sleep(PAUSE_S)
        for row in rows:
            w1, w2, x = matrices(row["m"])
            exact = closed_form(w1, w2, x)
            jacs, fns = {}, {}
            for label, make in cases.items():
                try:
                    fn = make(w1, w2, x)
                    start = time.perf_counter()
                    jac = _as_numpy(fn())  # the first call: JAX's jit compiles here
                    row["first_call_s"][label] = time.perf_counter() - start
                except Exception as exc:  # noqa: BLE001 -- one broken row must not stop the rest
                    row["errors"][label] = short_error(exc)
                    continue
                fns[label] = fn
                row["max_abs_diff"][label] = float(np.max(np.abs(jac - exact)))
                jacs[label] = jac
            # A library's rows are timed round-robin, so a burst of load hits them alike and
            # ratios such as auto/best compare like with like.
            timings: dict[str, Timing] = time_interleaved(fns, config)
            for label, timing in timings.items():
                row["timings"][label] = timing_dict(timing)
            if {"jacfwd", "jacrev", "auto"} <= set(jacs):
                row["auto_equals"] = ran_as(jacs["auto"], jacs["jacfwd"], jacs["jacrev"])
            if name == "wengert":
                try:
                    row["predicted"] = _predicted(wengert, w1, w2, x)
                except Exception as exc:  # noqa: BLE001 -- reported, never raised
                    row["errors"]["jacobian_cost"] = short_error(exc)
        print(f"  {name}: {len(cases)} rows timed at each m", flush=True)
    return rows


def _bracket(ratios: list[float], value: float) -> int:
    """Return k with ratios[k] <= value <= ratios[k + 1]: which interval holds ``value``."""
    return int(np.clip(np.searchsorted(ratios, value) - 1, 0, len(ratios) - 2))


def _best(row: dict[str, Any], label: str) -> float | None:
    t = row["timings"].get(label)
    return None if t is None else t["min"]


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a / b


def _ms(value: float | None) -> str:
    return fmt(None if value is None else value * 1e3, 3)


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-m ratios, the crossovers, and the issue's targets."""
    ratios = [r["ratio"] for r in rows]
    for r in rows:
        fwd, rev, auto = (_best(r, k) for k in ("jacfwd", "jacrev", "auto"))
        r["loop_over_vec_fwd"] = _ratio(_best(r, "fwd loop"), fwd)
        r["loop_over_vec_rev"] = _ratio(_best(r, "rev loop"), rev)
        r["auto_over_best"] = None if None in (fwd, rev, auto) else auto / min(fwd, rev)
        r["faster_mode"] = None if None in (fwd, rev) else ("fwd" if fwd <= rev else "rev")
    crossovers = {
        name: crossover(ratios, [_best(r, f) for r in rows], [_best(r, b) for r in rows])
        for name, (f, b) in CURVES.items()
    }
    preds = [r.get("predicted") for r in rows]
    if all(p is not None and p["fwd"] is not None and p["rev"] is not None for p in preds):
        crossovers["wengert predicted"] = crossover(
            ratios, [p["fwd"] for p in preds], [p["rev"] for p in preds]
        )
    by_m = {r["m"]: r for r in rows}
    fwd_gain = by_m.get(max(SIZES), {}).get("loop_over_vec_fwd")
    rev_gain = by_m.get(min(SIZES), {}).get("loop_over_vec_rev")
    auto_worst = max(
        (r["auto_over_best"] for r in rows if r["auto_over_best"] is not None), default=None
    )
    # The mode auto ran: its own report where wengert has a cost model, else the bitwise match.
    modes = [(p or {}).get("choice") or r.get("auto_equals") for r, p in zip(rows, preds)]
    for r, mode in zip(rows, modes):
        r["auto_chose"] = mode
    switch = None  # between the last m auto ran reverse mode and the first it ran forward mode
    if "rev" in modes and "fwd" in modes:
        last_rev = max(i for i, mode in enumerate(modes) if mode == "rev")
        first_fwd = min(i for i, mode in enumerate(modes) if mode == "fwd")
        if last_rev < first_fwd:
            switch = (ratios[last_rev], ratios[first_fwd])
    cross = crossovers["wengert"]
    predicted = crossovers.get("wengert predicted")
    targets = {
        "jacfwd_vs_loop_at_m_max": fwd_gain,
        "jacrev_vs_loop_at_m_min": rev_gain,
        "auto_over_best_worst": auto_worst,
        "auto_modes": modes,
        "auto_switch_between": switch,
        "fwd_met": None if fwd_gain is None else bool(fwd_gain >= TARGET_LOOP_SPEEDUP),
        "rev_met": None if rev_gain is None else bool(rev_gain >= TARGET_LOOP_SPEEDUP),
        "auto_met": None if auto_worst is None else bool(auto_worst <= TARGET_AUTO_SLOWDOWN),
        "switch_at_crossover": (
            None if cross is None or switch is None else bool(switch[0] <= cross <= switch[1])
        ),
        "predicted_crossover_at_measured": (
            None
            if cross is None or predicted is None
            else _bracket(ratios, cross) == _bracket(ratios, predicted)
        ),
    }
    agreement = {}
    for r in rows:
        for label, diff in r["max_abs_diff"].items():
            agreement[label] = max(agreement.get(label, 0.0), diff)
    return {"crossover": crossovers, "targets": targets, "max_abs_diff": agreement}


def _print_tables(rows: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    shown = [k for k in WENGERT_ROWS if any(k in r["timings"] for r in rows)]
    head = [
        "m",
        "m/n",
        *shown,
        "loop/vec fwd",
        "loop/vec rev",
        "auto/best",
        "auto chose",
        "auto equals",
    ]
    table = [
        [
            r["m"],
            f"{r['ratio']:g}",
            *(_ms(_best(r, k)) for k in shown),
            fmt(r["loop_over_vec_fwd"], 1),
            fmt(r["loop_over_vec_rev"], 1),
            fmt(r["auto_over_best"]),
            r.get("auto_chose") or "-",
            r.get("auto_equals", "-"),
        ]
        for r in rows
    ]
    print(
        "\n  wengert, best time per Jacobian in ms. loop/vec: the Python loop's time over the"
        "\n  vectorised transform's; auto/best: auto's over the better of jacfwd and jacrev;"
        "\n  auto chose: its cost model's choice; auto equals: the mode whose Jacobian auto's"
        "\n  result equals bit for bit"
    )
    print_table(head, table)

    peers = [k for k in PEER_ROWS if any(k in r["timings"] for r in rows)]
    if peers:
        print(
            "\n  peers on the same matrices, best time per Jacobian in ms "
            "(jit: compile time excluded)"
        )
        print_table(
            ["m", "m/n", *peers],
            [[r["m"], f"{r['ratio']:g}", *(_ms(_best(r, k)) for k in peers)] for r in rows],
        )

    errors = {(r["m"], k): e for r in rows for k, e in r["errors"].items()}
    for (m, label), error in errors.items():
        print(f"  m = {m}, {label}: {error}")

    print("\n  crossover (m/n where the forward and reverse curves cross, log-log interpolation):")
    for name, value in summary["crossover"].items():
        text = (
            "not in the measured range" if value is None else f"{value:.2f} (m ≈ {value * N:.0f})"
        )
        print(f"    {name:<18} {text}")

    print("\n  agreement with the closed form W2 diag(1 - tanh²(W1 x)) W1 (max abs diff over m):")
    for label, diff in summary["max_abs_diff"].items():
        flag = "" if diff <= AGREEMENT else "   <-- exceeds 1e-10"
        print(f"    {label:<18} {diff:.1e}{flag}")

    t = summary["targets"]

    def verdict(met):
        return "n/a" if met is None else ("yes" if met else "NO")

    print("\n  targets (issue 4), measured in this run:")
    print(
        f"    jacfwd at m = {max(SIZES)} vs loop of JVPs: "
        f"{fmt(t['jacfwd_vs_loop_at_m_max'], 1)}x "
        f"(>= {TARGET_LOOP_SPEEDUP:g}x: {verdict(t['fwd_met'])})"
    )
    print(
        f"    jacrev at m = {min(SIZES)} vs loop of VJPs: "
        f"{fmt(t['jacrev_vs_loop_at_m_min'], 1)}x "
        f"(>= {TARGET_LOOP_SPEEDUP:g}x: {verdict(t['rev_met'])})"
    )
    print(
        f"    auto / best of fwd and rev, worst m: {fmt(t['auto_over_best_worst'])}"
        f" (<= {TARGET_AUTO_SLOWDOWN:g}: {verdict(t['auto_met'])})"
    )
    switch = t["auto_switch_between"]
    modes = ", ".join(f"{m}: {mode or '-'}" for m, mode in zip(SIZES, t["auto_modes"]))
    where = (
        "does not switch from rev to fwd"
        if switch is None
        else (
            f"switches from rev to fwd between m/n = {switch[0]:g} and {switch[1]:g}; "
            f"the measured crossover lies there: {verdict(t['switch_at_crossover'])}"
        )
    )
    print(f"    auto ran ({modes}): it {where}")
    if t["predicted_crossover_at_measured"] is not None:
        print(
            "    predicted and measured crossover of jacfwd and jacrev between the same two m: "
            f"{verdict(t['predicted_crossover_at_measured'])}"
        )


def _plot(
    path: str, rows: list[dict[str, Any]], summary: dict[str, Any], wengert: Library
) -> None:
    """Draw wengert's curves (left) and the peers' (right) against m/n."""
    if not wengert.ok:
        print("\n  --plot needs wengert (its plotting helpers); no figure drawn")
        return
    try:
        from wengert.viz.plots import new_figure, plot_jacobian_modes
    except Exception as exc:  # noqa: BLE001 -- reported, never raised
        print(f"\n  --plot: {short_error(exc)}; no figure drawn")
        return
    ratios = [r["ratio"] for r in rows]

    def curve(label):
        return [_best(r, label) for r in rows]

    peers = [k for k in PEER_ROWS if any(k in r["timings"] for r in rows)]
    try:
        fig, axes = new_figure(ncols=2 if peers else 1, size=(5.5, 4.2))
    except Exception as exc:  # noqa: BLE001 -- matplotlib missing: say so, keep the results
        print(f"\n  --plot: {short_error(exc)}; no figure drawn")
        return
    blue, orange = "tab:blue", "tab:orange"
    labels = {
        "jacfwd": "jacfwd",
        "jacrev": "jacrev",
        "mixed": "vertex elimination (mode='mixed')",
        "auto": "jacobian(mode='auto')",
        "fwd loop": "loop of n jvp",
        "rev loop": "loop of m vjp",
        "rev loop 1 rec": "one recording, loop of m vjp_fn",
    }
    styles = {
        "jacfwd": {"color": blue},
        "jacrev": {"color": orange},
        "mixed": {"color": "tab:green", "linestyle": ":", "marker": "."},
        "auto": {"color": "black", "marker": "x", "linestyle": "--"},
        "fwd loop": {"color": blue, "linestyle": ":", "marker": "."},
        "rev loop": {"color": orange, "linestyle": ":", "marker": "."},
        "rev loop 1 rec": {"color": orange, "linestyle": "-.", "marker": "."},
    }
    shown = [k for k in WENGERT_ROWS if any(k in r["timings"] for r in rows)]
    plot_jacobian_modes(
        axes[0],
        ratios,
        {labels[k]: curve(k) for k in shown},
        summary["crossover"]["wengert"],
        styles={labels[k]: styles[k] for k in shown},
    )
    axes[0].set_title(f"wengert, n = {N} inputs")
    if peers:
        styles = {
            k: {
                "color": blue if "jacfwd" in k else orange,
                "linestyle": "-" if "(jit)" in k else "--" if "jax" in k else "-.",
                "marker": "s" if "torch" in k else "o",
            }
            for k in peers
        }
        plot_jacobian_modes(
            axes[1],
            ratios,
            {k: curve(k) for k in peers},
            summary["crossover"].get("jax (jit)"),
            styles=styles,
            crossover_label="jax (jit) crossover",
        )
        axes[1].set_title("JAX and torch.func on the same matrices")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120, facecolor="white")
    print(f"\n  figure written to {out}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the Jacobian-mode benchmark, print its tables, write JSON (and a PNG with --plot)."""
    args = parse_args(argv)
    config = timing_config(args.quick)
    print(f"== jacobian_modes: J of f(x) = W2 tanh(W1 x), n = {N}, m in {SIZES}, float64")
    wengert = load_wengert()
    peers = load_peers(("jax", "torch"))
    env = environment([wengert, *peers.values()])
    print_environment(env)
    print(
        f"  timing: {config.repeat} repeats, loops of >= {config.min_time} s; best (min) shown\n"
    )

    groups: list[tuple[str, dict[str, Callable]]] = []
    if wengert.ok:
        groups.append(("wengert", _wengert_cases(wengert)))
    # torch before JAX: XLA's idle threads linger longer than OpenMP's (see _measure).
    for name, build in (("torch", _torch_cases), ("jax", _jax_cases)):
        if peers[name].ok:
            groups.append((name, build(peers[name])))
    rows = _measure(groups, config, wengert)
    summary = _summary(rows)
    _print_tables(rows, summary)
    result = {
        "benchmark": "jacobian_modes",
        "n": N,
        "sizes": list(SIZES),
        "environment": env,
        "quick": args.quick,
        "rows": rows,
        "summary": summary,
    }
    write_json(args.json, result)
    if args.plot:
        _plot(args.plot, rows, summary, wengert)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
