"""Multidimensional scaling with a larger budget: gradient descent against zero-order descent.

Runs :func:`wengert.demos.mds.experiment` with ten times the tour's budget of function
evaluations in d = 2 and d = 10 and prints, per method, the loss reduction L(W)/L(W0) and the
Procrustes error of the recovered points. Run from the repository root:
``.venv/bin/python examples/mds.py [budget]``. Imports: NumPy and wengert's demo module.
"""

from __future__ import annotations

import sys

from wengert.demos.mds import BUDGET, DIMS, N, experiment


def main(budget: int = 10 * BUDGET) -> None:
    """Run the experiment with ``budget`` evaluations per method and print the table."""
    print(f"N = {N} points, {budget} function evaluations per method")
    print("  d   method                              L(W) / L(W0)   Procrustes error")
    for d in DIMS:
        exp = experiment(d, budget=budget)
        for label, final in exp["final"].items():
            print(f"{d:3d}   {label:34s} {final / exp['L0']:13.2e} "
                  f"{exp['errors'][label]:17.2e}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10 * BUDGET)
