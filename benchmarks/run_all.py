"""Run every benchmark in turn: overhead, MLP gradient, HVP cost, Jacobian modes, checkpointing.

``--quick`` is passed through; ``--json PATH`` writes one file holding every benchmark's results
under its name. Each benchmark prints its own tables and never asserts on time.

Run: ``python benchmarks/run_all.py [--quick] [--json PATH]`` (or ``make bench``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_checkpoint
import bench_hvp
import bench_mlp
import bench_overhead
import jacobian_modes
from _common import parse_args, write_json

BENCHMARKS = (
    ("overhead", bench_overhead.main),
    ("mlp", bench_mlp.main),
    ("hvp", bench_hvp.main),
    ("jacobian_modes", jacobian_modes.main),
    ("checkpoint", bench_checkpoint.main),
)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run each benchmark's ``main`` with the shared options; return results keyed by name."""
    args = parse_args(argv, __doc__.splitlines()[0])
    passed = ["--quick"] if args.quick else []
    results: dict[str, Any] = {}
    for index, (name, run) in enumerate(BENCHMARKS):
        if index:
            print()
        results[name] = run(passed)
    if args.json:
        write_json(args.json, results)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
