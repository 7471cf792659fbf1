"""Shared helpers for the timing scripts: timing, optional peers, tables, CLI and JSON output.

Imports only the standard library and NumPy at module level; wengert and the peer libraries
(autograd, JAX, PyTorch) are imported on request and reported as missing rather than failing.
Nothing here asserts on wall-clock time: the scripts measure and print, readers judge.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
REPO_SRC = BENCH_DIR.parent / "src"

PEER_NAMES = ("autograd", "jax", "torch")


# --------------------------------------------------------------------------------------------
# Command line


def parse_args(argv: list[str] | None, description: str) -> argparse.Namespace:
    """Parse the options every benchmark script shares: ``--quick`` and ``--json PATH``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer repeats and shorter timing loops (noisier figures, for smoke runs)",
    )
    parser.add_argument(
        "--json", metavar="PATH", default=None, help="also write the results to PATH as JSON"
    )
    return parser.parse_args(argv)


@dataclass(frozen=True)
class TimingConfig:
    """How long to measure: ``repeat`` loops, each of at least ``min_time`` seconds."""

    repeat: int
    min_time: float
    warmup: int = 2


def timing_config(quick: bool) -> TimingConfig:
    """Return the timing settings for a full run or a ``--quick`` run."""
    if quick:
        return TimingConfig(repeat=3, min_time=0.05, warmup=1)
    return TimingConfig(repeat=7, min_time=0.25, warmup=2)


# --------------------------------------------------------------------------------------------
# Timing


@dataclass(frozen=True)
class Timing:
    """Seconds per call: the median and the minimum over ``repeat`` loops of ``number`` calls."""

    median: float
    min: float
    number: int
    repeat: int


def time_call(fn: Callable[[], Any], config: TimingConfig, *, number: int | None = None) -> Timing:
    """Time ``fn()`` with ``time.perf_counter``; return per-call median and min over the loops.

    After ``config.warmup`` untimed calls, ``number`` (calibrated from one timed call when not
    given, so that a loop lasts about ``config.min_time``) calls are timed together, ``repeat``
    times. The garbage collector stays enabled, because the libraries measured allocate heavily
    and a user pays for collection too; a full collection runs before the loops.
    """
    for _ in range(config.warmup):
        fn()
    if number is None:
        start = time.perf_counter()
        fn()
        one = time.perf_counter() - start
        number = int(min(10_000, max(1, config.min_time / max(one, 1e-9))))
    gc.collect()
    per_call = []
    for _ in range(config.repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        per_call.append((time.perf_counter() - start) / number)
    return Timing(statistics.median(per_call), min(per_call), number, config.repeat)


def time_interleaved(fns: dict[str, Callable[[], Any]], config: TimingConfig) -> dict[str, Timing]:
    """Time several functions like :func:`time_call`, but round-robin: repeat r of each before
    repeat r + 1 of any, so that a burst of load on a shared machine hits them all alike."""
    numbers = {}
    for label, fn in fns.items():
        for _ in range(config.warmup):
            fn()
        start = time.perf_counter()
        fn()
        one = time.perf_counter() - start
        numbers[label] = int(min(10_000, max(1, config.min_time / max(one, 1e-9))))
    gc.collect()
    per_call: dict[str, list[float]] = {label: [] for label in fns}
    for _ in range(config.repeat):
        for label, fn in fns.items():
            start = time.perf_counter()
            for _ in range(numbers[label]):
                fn()
            per_call[label].append((time.perf_counter() - start) / numbers[label])
    return {label: Timing(statistics.median(t), min(t), numbers[label], config.repeat)
            for label, t in per_call.items()}


# --------------------------------------------------------------------------------------------
# Libraries


@dataclass
class Library:
    """An optional library: the module (or modules) when the import worked, else the reason."""

    name: str
    modules: dict[str, Any]
    version: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _import_autograd() -> Library:
    import autograd
    import autograd.numpy as anp

    version = getattr(autograd, "__version__", None)
    if version is None:
        from importlib.metadata import version as _dist_version

        version = _dist_version("autograd")
    return Library("autograd", {"autograd": autograd, "anp": anp}, version)


def _import_jax() -> Library:
    # Benchmarks compare CPU figures; set before the first import of jax.
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return Library("jax", {"jax": jax, "jnp": jnp}, jax.__version__)


def _import_torch() -> Library:
    import torch

    # float64 to match NumPy; the thread count is left at torch's default on purpose.
    torch.set_default_dtype(torch.float64)
    return Library("torch", {"torch": torch}, torch.__version__)


_IMPORTERS = {"autograd": _import_autograd, "jax": _import_jax, "torch": _import_torch}


def load_peers(names: tuple[str, ...] = PEER_NAMES) -> dict[str, Library]:
    """Import each peer library that is installed; print a "(not installed)" note for the rest."""
    peers = {}
    for name in names:
        try:
            peers[name] = _IMPORTERS[name]()
        except Exception as exc:  # noqa: BLE001 -- ImportError, or a broken install's own error
            peers[name] = Library(name, {}, error=f"{type(exc).__name__}: {exc}")
            print(f"  {name}: (not installed) [{type(exc).__name__}: {exc}]")
    return peers


def load_wengert() -> Library:
    """Import ``wengert`` and ``wengert.numpy``; on failure return the error, never raise.

    If the package is not importable as installed, ``src/`` beside ``benchmarks/`` is tried, so
    the scripts run from a checkout without ``PYTHONPATH``.
    """

    def _try() -> Library:
        import wengert as wg
        import wengert.numpy as wnp

        wg.value_and_grad  # noqa: B018 -- the transform the benchmarks need
        version = getattr(wg, "__version__", "dev")
        return Library("wengert", {"wg": wg, "wnp": wnp}, version)

    try:
        return _try()
    except Exception as exc:  # noqa: BLE001 -- reported in the table, never raised
        failure: Exception = exc
    if REPO_SRC.is_dir() and str(REPO_SRC) not in sys.path:
        sys.path.insert(0, str(REPO_SRC))
        for mod in [m for m in sys.modules if m == "wengert" or m.startswith("wengert.")]:
            del sys.modules[mod]
        try:
            return _try()
        except Exception as exc:  # noqa: BLE001 -- reported in the table, never raised
            failure = exc
    error = f"{type(failure).__name__}: {failure}"
    print(f"  wengert: import failed [{error}]; wengert rows are skipped")
    return Library("wengert", {}, error=error)


def environment(libraries: list[Library]) -> dict[str, Any]:
    """Describe the machine and library versions, for the header and the JSON dump."""
    env = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    for lib in libraries:
        env[lib.name] = lib.version if lib.ok else None
    return env


def print_environment(env: dict[str, Any]) -> None:
    """Print the environment on one or two lines."""
    libs = [
        f"{k} {v if v is not None else '(missing)'}"
        for k, v in env.items()
        if k in ("numpy", "wengert", *PEER_NAMES)
    ]
    load = env.get("load_average_1min")
    load_text = "" if load is None else f", load average {load:.2f}"
    print(f"  python {env['python']} on {env['platform']}, {env['cpu_count']} CPUs{load_text}")
    print("  " + ", ".join(libs))
    if env.get("OPENBLAS_CORETYPE"):
        print(
            f"  note: OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE']} is set; "
            "NumPy's BLAS may be slower than on an unrestricted machine"
        )
    if load is not None and env["cpu_count"] and load > 0.5 * env["cpu_count"]:
        print("  note: the machine is busy; multithreaded BLAS figures may be inflated")


# --------------------------------------------------------------------------------------------
# Output


def fmt(value: float | None, digits: int = 2) -> str:
    """Format a number for a table cell; ``None`` prints as a dash."""
    if value is None:
        return "-"
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 10 ** (-digits)):
        return f"{value:.{digits}e}"
    return f"{value:,.{digits}f}"


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    """Print a plain-text table; the first column is left aligned, the others right aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        parts = [row[0].ljust(widths[0])]
        parts += [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        return "  " + "  ".join(parts)

    print(line(cells[0]))
    print("  " + "  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print(line(row))


def timing_dict(t: Timing | None) -> dict[str, Any] | None:
    """Return a timing as a JSON-ready dict (seconds per call)."""
    return None if t is None else asdict(t)


def write_json(path: str, payload: dict[str, Any]) -> None:
    """Write ``payload`` as indented JSON to ``path``, creating parent folders."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    print(f"\nresults written to {out}")


def short_error(exc: BaseException, limit: int = 72) -> str:
    """Return ``Type: message`` cut to ``limit`` characters, for a table note."""
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."
