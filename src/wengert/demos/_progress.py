"""Progress bars for anything slower than a second: tqdm when installed, a plain line otherwise.

Imports: the standard library; tqdm lazily.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator

DELAY = 1.0  # seconds before a bar appears: quick loops stay silent


def progress(iterable: Iterable, desc: str, total: int | None = None,
             enabled: bool = True) -> Iterable:
    """Wrap ``iterable`` in a progress bar written to standard error."""
    if not enabled:
        return iterable
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _plain(iterable, desc, total)
    return tqdm(iterable, desc=desc, total=total, delay=DELAY, leave=False, file=sys.stderr)


def _plain(iterable: Iterable, desc: str, total: int | None) -> Iterator:
    """A one-line text bar, redrawn in place, shown only after ``DELAY`` seconds."""
    start = time.perf_counter()
    shown = False
    n = 0
    for n, item in enumerate(iterable, 1):
        yield item
        if time.perf_counter() - start >= DELAY:
            shown = True
            of = f"/{total}" if total else ""
            frac = n / total if total else 0.0
            bar = ("#" * int(20 * frac)).ljust(20) if total else ""
            sys.stderr.write(f"\r{desc} [{bar}] {n}{of}")
            sys.stderr.flush()
    if shown:
        sys.stderr.write(f"\r{desc}: {n} done in {time.perf_counter() - start:.1f} s\n")
        sys.stderr.flush()
