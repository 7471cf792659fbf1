"""Checkpointing, measured: peak memory and time of one gradient of a 64-block residual chain.

The workload of issue 7: x -> x + tanh(x @ A_l) for l = 1..64, x0 of shape (256, 512), A_l of
shape (512, 512), float32, seed 0, A_l scaled by 0.5/sqrt(512) so activations stay O(1); the
loss is the sum of the final x. One table differentiates with respect to x0, a second with
respect to the 64 matrices A_l. Configurations:

- wengert: ``none`` (plain ``value_and_grad``), ``every`` (each block in ``wg.checkpoint``),
  ``sqrt`` (``checkpoint_sequential`` with 8 segments) and ``binomial c=2/4/8``
  (``checkpoint_scan`` over the stacked A_l with c snapshots, Griewank-Walther's schedule);
- autograd: no checkpointing, and ``autograd.checkpoint`` on every block;
- JAX (float32, CPU): ``value_and_grad`` eager and jitted, ``jax.checkpoint`` per block (with
  the default policy and with ``checkpoint_policies.dots_saveable``), ``lax.scan`` over a
  checkpointed step;
- PyTorch (eager): no checkpointing, ``torch.utils.checkpoint`` on every block and
  ``checkpoint_sequential`` with 8 segments (``use_reentrant=False``).

Every configuration runs in a fresh process (``--worker CONFIG --wrt x0|A``), which builds the
data, makes one untimed warm-up call (it compiles the jitted ones), then measures the best of
``--repeats`` calls for time, one call for peak RSS growth (``VmHWM`` reset through
``/proc/self/clear_refs``, minus ``VmRSS`` before the call; glibc is first told to ``mmap``
every large array, so freed arrays leave the resident set) and one call under ``tracemalloc``
for peak traced memory (what NumPy allocates; JAX's and torch's allocators are invisible to
it). The times in the tables, and so the time ratios, come from one more fresh process per
library that times all of that library's configurations round-robin (``--time-group``), so
that load on the shared machine hits the numerator and the denominator alike. The
environment of each worker pins every BLAS and XLA to one thread.

Run: ``python benchmarks/bench_checkpoint.py [--quick] [--json PATH] [--plot PNG]`` (peers
are optional; see README.md).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO_SRC, fmt, print_table, write_json

WENGERT = ("none", "every", "sqrt", "binomial c=2", "binomial c=4", "binomial c=8")
PEERS = ("autograd none", "autograd checkpoint", "jax none (eager)", "jax none (jit)",
         "jax checkpoint (jit)", "jax checkpoint dots (jit)", "jax scan+checkpoint (jit)",
         "torch none", "torch checkpoint", "torch checkpoint_sequential")
CONFIGS = WENGERT + PEERS
# The row each configuration is compared against: its own library without checkpointing.
BASELINE = {c: "none" for c in WENGERT}
BASELINE.update({c: "autograd none" for c in PEERS if c.startswith("autograd")})
BASELINE.update({c: "jax none (jit)" for c in PEERS if c.startswith("jax")})
BASELINE.update({"jax none (eager)": "jax none (eager)"})
BASELINE.update({c: "torch none" for c in PEERS if c.startswith("torch")})
TOLERANCE = 1e-5
WORKER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "JAX_PLATFORMS": "cpu",
              "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"}


def sizes(quick: bool) -> dict[str, int]:
    """Blocks, batch rows and width: the issue's 64 x (256, 512), or 16 x (64, 128) quick."""
    return {"T": 16, "n": 64, "d": 128} if quick else {"T": 64, "n": 256, "d": 512}


def make_data(T: int, n: int, d: int, seed: int = 0) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return x0 (n, d) and T matrices A_l (d, d), float32, A_l scaled by 0.5/sqrt(d)."""
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal((n, d), dtype=np.float32)
    scale = np.float32(0.5 / math.sqrt(d))
    return x0, [rng.standard_normal((d, d), dtype=np.float32) * scale for _ in range(T)]


# --------------------------------------------------------------------------------------------
# One gradient per configuration: each builder returns call() -> (loss, gradient as the
# library holds it) and to_numpy(gradient) -> one array (the A_l stacked).


def _wengert(config: str, x0, As, wrt: str):
    import wengert as wg
    from wengert.demos.checkpointing import loss_for  # the tour demo's configurations

    loss, stacked = loss_for(config, len(As))
    args = (x0, np.stack(As) if stacked else list(As))
    vg = wg.value_and_grad(loss, argnums=0 if wrt == "x0" else 1)
    return (lambda: vg(*args)), (lambda g: np.asarray(g) if wrt == "x0" else np.stack(g))


def _autograd(config: str, x0, As, wrt: str):
    import autograd
    import autograd.numpy as anp
    from autograd.differential_operators import checkpoint

    def block(x, A):
        return x + anp.tanh(anp.dot(x, A))

    step = checkpoint(block) if config == "autograd checkpoint" else block

    def loss(x, As):
        for A in As:
            x = step(x, A)
        return anp.sum(x)

    vg = autograd.value_and_grad(loss, 0 if wrt == "x0" else 1)
    return (lambda: vg(x0, list(As))), (lambda g: np.asarray(g) if wrt == "x0" else np.stack(g))


def _jax(config: str, x0, As, wrt: str):
    import jax
    import jax.numpy as jnp

    def block(x, A):
        return x + jnp.tanh(x @ A)

    if config == "jax scan+checkpoint (jit)":
        step = jax.checkpoint(lambda c, A: (block(c, A), None))

        def loss(x, A_stack):
            return jnp.sum(jax.lax.scan(step, x, A_stack)[0])

        args = (jnp.asarray(x0), jnp.asarray(np.stack(As)))
    else:
        step = {"jax checkpoint (jit)": jax.checkpoint(block),
                "jax checkpoint dots (jit)": jax.checkpoint(
                    block, policy=jax.checkpoint_policies.dots_saveable)}.get(config, block)

        def loss(x, As):
            for A in As:
                x = step(x, A)
            return jnp.sum(x)

        args = (jnp.asarray(x0), [jnp.asarray(A) for A in As])
    vg = jax.value_and_grad(loss, argnums=0 if wrt == "x0" else 1)
    if config != "jax none (eager)":
        vg = jax.jit(vg)
    return ((lambda: jax.block_until_ready(vg(*args))),
            (lambda g: np.asarray(g) if wrt == "x0" or np.ndim(g) == 3
             else np.stack([np.asarray(a) for a in g])))


def _torch(config: str, x0, As, wrt: str):
    import torch
    from torch.utils.checkpoint import checkpoint, checkpoint_sequential

    torch.set_num_threads(1)
    xt = torch.from_numpy(x0).requires_grad_(wrt == "x0")
    At = [torch.from_numpy(A).requires_grad_(wrt == "A") for A in As]
    wrt_tensors = [xt] if wrt == "x0" else At

    def block(x, A):
        return x + torch.tanh(x @ A)

    def call():
        x = xt
        if config == "torch checkpoint_sequential":
            layers = [lambda h, A=A: block(h, A) for A in At]
            x = checkpoint_sequential(layers, round(math.sqrt(len(At))), x, use_reentrant=False)
        else:
            for A in At:
                x = (checkpoint(block, x, A, use_reentrant=False)
                     if config == "torch checkpoint" else block(x, A))
        loss = x.sum()
        return loss.detach(), torch.autograd.grad(loss, wrt_tensors)

    return call, (lambda g: g[0].numpy() if wrt == "x0" else np.stack([a.numpy() for a in g]))


def build(config: str, x0, As, wrt: str):
    """Return ``(call, to_numpy)`` for one configuration; imports its library."""
    if config in WENGERT:
        return _wengert(config, x0, As, wrt)
    builder = {"autograd": _autograd, "jax": _jax, "torch": _torch}[config.split()[0]]
    return builder(config, x0, As, wrt)


# --------------------------------------------------------------------------------------------
# The worker: one configuration in a fresh process.


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _allocate_large_arrays_with_mmap() -> None:
    """Make glibc serve every allocation of 128 KiB or more with its own ``mmap``.

    Freed arrays then leave the resident set at once, and a call cannot reuse, unseen, heap
    memory an earlier call freed. (Set only after the timing: faulting in fresh pages for
    every array slows recomputation, which allocates more, by up to 40% here.)
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD; also turns off its dynamic growth
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def peak_rss_growth(call) -> float | None:
    """Bytes by which the resident set's high-water mark rises above VmRSS during ``call()``.

    Linux only: writing 5 to ``/proc/self/clear_refs`` resets VmHWM to the current RSS. Returns
    None where that is not possible.
    """
    gc.collect()
    _allocate_large_arrays_with_mmap()
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return None
    before = _status_kb("VmRSS")
    out = call()
    peak = _status_kb("VmHWM")
    del out
    if before is None or peak is None:
        return None
    return float(peak - before) * 1024


def peak_traced(call) -> tuple[float, Any]:
    """Peak bytes ``tracemalloc`` sees allocated during ``call()``, and the call's result."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    out = call()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return float(peak), out


def worker(config: str, wrt: str, quick: bool, repeats: int, grad_path: str) -> dict[str, Any]:
    """Measure one configuration; save its gradient to ``grad_path`` (``.npy``)."""
    s = sizes(quick)
    x0, As = make_data(s["T"], s["n"], s["d"])
    call, to_numpy = build(config, x0, As, wrt)
    start = time.perf_counter()
    call()
    first = time.perf_counter() - start
    best = math.inf
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    rss = peak_rss_growth(call)
    traced, (value, grad) = peak_traced(call)
    np.save(grad_path, to_numpy(grad))
    loss = float(np.asarray(value))
    return {"config": config, "wrt": wrt, "traced_bytes": traced, "rss_bytes": rss,
            "best_s": best, "first_call_s": first, "loss": loss}


def _library(config: str) -> str:
    return config.split()[0] if config.startswith(("autograd", "jax", "torch")) else "wengert"


def time_group(configs: list[str], wrt: str, quick: bool, repeats: int) -> dict[str, float]:
    """Best time of each configuration of one library, timed round-robin in this process.

    Call r of every configuration runs before call r + 1 of any, so a burst of load on the
    shared machine hits them all alike; the ratios over "none" come from these times.
    """
    s = sizes(quick)
    x0, As = make_data(s["T"], s["n"], s["d"])
    calls = {}
    for config in configs:
        try:
            calls[config] = build(config, x0, As, wrt)[0]
            calls[config]()  # warm up (and compile, for jit rows)
        except Exception:  # noqa: BLE001 -- the memory worker reports the error
            calls.pop(config, None)
    best = {c: math.inf for c in calls}
    for _ in range(repeats):
        for config, call in calls.items():
            gc.collect()
            start = time.perf_counter()
            call()
            best[config] = min(best[config], time.perf_counter() - start)
    return best


def run_time_group(configs: list[str], wrt: str, quick: bool, repeats: int, tmp: Path,
                   timeout: float) -> dict[str, float]:
    """Run :func:`time_group` in a fresh interpreter; {} if it fails."""
    out = tmp / f"times-{wrt}-{_library(configs[0])}.json"
    cmd = [sys.executable, __file__, "--time-group", *configs, "--wrt", wrt, "--repeats",
           str(repeats), "--out", str(out)] + (["--quick"] if quick else [])
    env = dict(os.environ, **WORKER_ENV)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_SRC), env.get("PYTHONPATH")]))
    try:
        subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout * len(configs),
                       check=False)
    except subprocess.TimeoutExpired:
        return {}
    return json.loads(out.read_text()) if out.exists() else {}


def run_worker(config: str, wrt: str, quick: bool, repeats: int, tmp: Path,
               timeout: float) -> dict[str, Any]:
    """Run :func:`worker` in a fresh interpreter; return its record or the reason it failed."""
    tag = f"{wrt}-{config}".replace(" ", "_").replace("=", "").replace("(", "").replace(")", "")
    out, grad = tmp / f"{tag}.json", tmp / f"{tag}.npy"
    cmd = [sys.executable, __file__, "--worker", config, "--wrt", wrt, "--repeats", str(repeats),
           "--out", str(out), "--grad", str(grad)] + (["--quick"] if quick else [])
    env = dict(os.environ, **WORKER_ENV)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_SRC), env.get("PYTHONPATH")]))
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return {"config": config, "wrt": wrt, "error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0 or not out.exists():
        lines = (proc.stderr or proc.stdout).strip().splitlines() or ["no output"]
        last = lines[-1]
        if "ModuleNotFoundError" in last and config not in WENGERT:
            last = f"(not installed) {last}"
        elif "ImportError" in last or "AttributeError" in last:
            last = f"(not available) {last}"
        return {"config": config, "wrt": wrt, "error": last}
    record = json.loads(out.read_text())
    record["grad_file"] = str(grad)
    return record


# --------------------------------------------------------------------------------------------
# The driver: tables, agreement, the figures, JSON and the plot.


def _ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def compare_gradients(records: dict[str, dict[str, Any]]) -> None:
    """Add ``max_rel_err``: max |g - g_none| / max |g_none| against wengert's ``none``."""
    ref_rec = records.get("none")
    if ref_rec is None or "grad_file" not in ref_rec:
        return
    ref = np.load(ref_rec["grad_file"]).astype(np.float64)
    scale = float(np.max(np.abs(ref)))
    for rec in records.values():
        if "grad_file" in rec:
            g = np.load(rec["grad_file"]).astype(np.float64)
            rec["max_rel_err"] = (float(np.max(np.abs(g - ref)) / scale)
                                  if g.shape == ref.shape else math.inf)


def table(records: dict[str, dict[str, Any]]) -> list[list[str]]:
    """Rows: config, traced MB, RSS MB, best ms, memory and time over the library's none."""
    rows = []
    mb = 1 / 2**20
    for config, rec in records.items():
        if "error" in rec:
            error = rec["error"]
            rows.append([config, error if len(error) <= 60 else error[:57] + "...",
                         "", "", "", "", "", ""])
            continue
        base = records.get(BASELINE[config], {})
        numpy_based = not config.startswith(("jax", "torch"))
        traced = rec["traced_bytes"] if numpy_based else None
        rows.append([
            config,
            fmt(traced and traced * mb, 1) if numpy_based else "(unseen)",
            fmt(rec["rss_bytes"] and rec["rss_bytes"] * mb, 1),
            fmt(rec["best_s"] * 1e3, 1),
            fmt(_ratio(traced, base.get("traced_bytes")) if numpy_based else None),
            fmt(_ratio(rec["rss_bytes"], base.get("rss_bytes"))),
            fmt(_ratio(rec["best_s"], base.get("best_s"))),
            f"{rec['max_rel_err']:.1e}" if "max_rel_err" in rec else "-",
        ])
    return rows


HEADERS = ["config", "peak traced MB", "peak RSS growth MB", "best ms", "traced / none",
           "RSS / none", "time / none", "max rel err"]


def acceptance(records: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The issue's figures from the x0 table (None where a row is missing)."""

    def get(config, key):
        return records.get(config, {}).get(key)

    mem = _ratio(get("sqrt", "traced_bytes"), get("none", "traced_bytes"))
    time_ = _ratio(get("sqrt", "best_s"), get("none", "best_s"))
    b4, sq = get("binomial c=4", "traced_bytes"), get("sqrt", "traced_bytes")
    ag = _ratio(get("autograd checkpoint", "traced_bytes"), get("autograd none", "traced_bytes"))
    errs = [r["max_rel_err"] for c, r in records.items() if c in WENGERT and "max_rel_err" in r]
    return {"sqrt_memory_over_none": mem, "sqrt_time_over_none": time_,
            "binomial4_below_sqrt": None if b4 is None or sq is None else b4 < sq,
            "autograd_checkpoint_over_none": ag,
            "wengert_max_rel_err": max(errs) if errs else None}


def print_acceptance(acc: dict[str, Any]) -> None:
    """Print the issue's targets with yes/no."""

    def yn(v, ok):
        return "-" if v is None else ("yes" if ok(v) else "no")

    m, t = acc["sqrt_memory_over_none"], acc["sqrt_time_over_none"]
    print("\nIssue 7's figures (wrt x0, traced memory):")
    print(f"  sqrt peak memory / none = {fmt(m)}  (target <= 0.30: {yn(m, lambda v: v <= .3)})")
    print(f"  sqrt time / none        = {fmt(t)}  (target <= 1.40: {yn(t, lambda v: v <= 1.4)})")
    b = acc["binomial4_below_sqrt"]
    print(f"  binomial c=4 memory < sqrt memory: {'-' if b is None else ('yes' if b else 'no')}")
    a = acc["autograd_checkpoint_over_none"]
    verdict = ("" if a is None else " (about the same as without checkpointing)"
               if abs(a - 1) <= 0.02 else " (more than without checkpointing)" if a > 1
               else " (less than without checkpointing)")
    print(f"  autograd checkpoint memory / autograd none = {fmt(a)}{verdict}")
    e = acc["wengert_max_rel_err"]
    print(f"  wengert gradients vs none: max rel err {'-' if e is None else f'{e:.1e}'} "
          f"(tolerance {TOLERANCE:.0e}: {yn(e, lambda v: v <= TOLERANCE)})")


def plot(results: dict[str, dict[str, dict[str, Any]]], path: str) -> None:
    """Draw peak memory against time, one labelled point per configuration and panel."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed; no plot")
        return
    panels = [(wrt, key) for wrt in results for key in ("traced_bytes", "rss_bytes")]
    fig, axes = plt.subplots(len(results), 2, figsize=(12, 4.8 * len(results)), squeeze=False)
    for ax, (wrt, key) in zip(axes.ravel(), panels):
        for config, rec in results[wrt].items():
            if "error" in rec or rec.get(key) is None:
                continue
            if key == "traced_bytes" and config.startswith(("jax", "torch")):
                continue
            lib = config.split()[0] if config not in WENGERT else "wengert"
            ax.scatter(rec["best_s"] * 1e3, rec[key] / 2**20, color=_COLORS.get(lib, "k"))
            ax.annotate(config, (rec["best_s"] * 1e3, rec[key] / 2**20), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
        what = "traced (NumPy) memory" if key == "traced_bytes" else "RSS growth"
        ax.set(xlabel="time per value_and_grad (ms)", ylabel=f"peak {what} (MB)",
               title=f"wrt {wrt}: {what}")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"plot written to {path}")


_COLORS = {"wengert": "tab:blue", "autograd": "tab:orange", "jax": "tab:green",
           "torch": "tab:red"}


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="16 blocks of (64, 128): a smoke run")
    p.add_argument("--json", metavar="PATH", help="also write the results to PATH")
    p.add_argument("--plot", metavar="PNG", help="draw memory against time into PNG")
    p.add_argument("--repeats", type=int, default=None, help="timed calls (best of; 5, quick 2)")
    p.add_argument("--wrt", choices=("x0", "A", "both"), default="both")
    p.add_argument("--configs", nargs="+", metavar="CONFIG", default=list(CONFIGS),
                   help=f"subset of: {', '.join(CONFIGS)}")
    p.add_argument("--timeout", type=float, default=600, help="seconds per configuration")
    p.add_argument("--worker", metavar="CONFIG", help=argparse.SUPPRESS)
    p.add_argument("--time-group", nargs="+", metavar="CONFIG", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--grad", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run every configuration in its own process, print the tables and the issue's figures."""
    args = parse(argv)
    repeats = args.repeats or (2 if args.quick else 5)
    if args.worker:
        rec = worker(args.worker, args.wrt, args.quick, repeats, args.grad)
        Path(args.out).write_text(json.dumps(rec))
        return rec
    if args.time_group:
        best = time_group(args.time_group, args.wrt, args.quick, repeats)
        Path(args.out).write_text(json.dumps(best))
        return best
    unknown = [c for c in args.configs if c not in CONFIGS]
    if unknown:
        raise SystemExit(f"unknown configuration(s) {unknown}; choose from {list(CONFIGS)}")
    s = sizes(args.quick)
    print(f"== bench_checkpoint: {s['T']} blocks x -> x + tanh(x @ A), x ({s['n']}, {s['d']}) "
          f"float32, loss sum(x); best of {repeats}, memory in one fresh process per configuration, times round-robin per library ==")
    print(f"  python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
          "one BLAS/XLA thread per worker", flush=True)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for wrt in ("x0", "A") if args.wrt == "both" else (args.wrt,):
            records = {c: run_worker(c, wrt, args.quick, repeats, Path(tmp), args.timeout)
                       for c in CONFIGS if c in args.configs}
            # Times for the ratios: each library's rows round-robin in one process (the
            # memory workers' own best times are kept as "isolated_best_s").
            for lib in ("wengert", "autograd", "jax", "torch"):
                group = [c for c, r in records.items() if _library(c) == lib and "error" not in r]
                if not group:
                    continue
                for c, t in run_time_group(group, wrt, args.quick, repeats, Path(tmp),
                                           args.timeout).items():
                    records[c]["isolated_best_s"] = records[c]["best_s"]
                    records[c]["best_s"] = t
            compare_gradients(records)
            for rec in records.values():
                rec.pop("grad_file", None)
            results[wrt] = records
            print(f"\nwith respect to {'x0' if wrt == 'x0' else 'the A_l'}:")
            print_table(HEADERS, table(records))
            sys.stdout.flush()
    print("  traced: tracemalloc's peak during one call (NumPy's buffers; JAX and torch "
          "allocate\n  outside it). RSS: rise of the resident high-water mark during one call. "
          "Ratios are\n  over the same library's row without checkpointing (JAX: the jitted one).")
    acc = acceptance(results.get("x0", {}))
    print_acceptance(acc)
    payload = {"sizes": s, "repeats": repeats, "results": results, "acceptance": acc}
    if args.json:
        write_json(args.json, payload)
    if args.plot:
        plot(results, args.plot)
    return payload


if __name__ == "__main__":
    main()
