"""The curse of dimensionality, with more dimensions than the tour: GD against zero-order GD.

Runs the measurements of :mod:`wengert.demos.dimensionality` for n up to 256 (the tour stops
at 64) and prints the table with the fitted growth exponents. Run from the repository root:
``.venv/bin/python examples/dimensionality.py``. Imports: NumPy and wengert's demo module.
"""

from __future__ import annotations

import numpy as np

from wengert.demos.dimensionality import iterations_gd, iterations_zeroth, theory

DIMS = (4, 8, 16, 32, 64, 128, 256)


def main(seeds: int = 3) -> None:
    """Print iterations per dimension for both methods and the fitted growth in n."""
    print("     n   GD iters   theory   zero-order iters   theory")
    gd, zo = [], []
    for n in DIMS:
        k_gd = iterations_gd(n)
        k_zo = float(np.mean([iterations_zeroth(n, s)[0] for s in range(seeds)]))
        gd.append(k_gd)
        zo.append(k_zo)
        print(f"{n:6d} {k_gd:10d} {theory(n, False):8.0f} {k_zo:18.0f} {theory(n, True):8.0f}")
    logn = np.log(DIMS)
    print(f"fitted growth: GD n^{np.polyfit(logn, np.log(gd), 1)[0]:.2f}, "
          f"zero-order n^{np.polyfit(logn, np.log(zo), 1)[0]:.2f} (the lecture: n^0 and n^1)")


if __name__ == "__main__":
    main()
