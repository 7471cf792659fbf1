"""The lecture tour: a registry of demos, each reproducing one slide or figure of the lecture.

A demo is a :class:`Demo` record (name, title, caption and a ``run(ctx)`` function) added to
``DEMOS`` with :func:`register`. ``run`` receives a :class:`DemoContext` that knows the output
folder and shows progress bars; it writes PNG files there and returns a :class:`DemoResult`
with a short text result and the figures tests check. :func:`run_tour` runs demos in order and
writes ``index.html`` showing every picture with its caption. The demos need matplotlib (the
``plot`` extra, which ``make demo`` installs). Imports: the public API and ``viz``.
"""

from __future__ import annotations

import html
import importlib
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import WengertValueError
from ._progress import progress as _progress


@dataclass(frozen=True)
class Demo:
    """One stop of the tour."""

    name: str
    title: str
    caption: str
    run: Callable


@dataclass
class DemoResult:
    """What a demo produced: its pictures, its text and the figures a test can check."""

    name: str
    title: str
    caption: str
    images: list = field(default_factory=list)
    text: str = ""
    ok: bool = True
    data: dict = field(default_factory=dict)
    seconds: float = 0.0


class DemoContext:
    """The output folder and progress display handed to a demo's ``run``."""

    def __init__(self, demo: Demo, out_dir: Path, show_progress: bool = True):
        self.demo = demo
        self.out_dir = Path(out_dir)
        self.show_progress = show_progress
        self.images: list[Path] = []

    def path(self, stem: str, suffix: str = ".png") -> Path:
        """Return ``out_dir/<demo>-<stem><suffix>``: where a demo writes one file."""
        return self.out_dir / f"{self.demo.name}-{stem}{suffix}"

    def save_figure(self, fig, stem: str, dpi: int = 120) -> Path:
        """Save a matplotlib figure as PNG and record it as one of the demo's pictures."""
        path = self.path(stem)
        fig.savefig(path, dpi=dpi, bbox_inches="tight", facecolor="white")
        self.images.append(path)
        return path

    def add_image(self, path) -> Path:
        """Record a PNG the demo wrote by other means (a graph picture, say)."""
        path = Path(path)
        self.images.append(path)
        return path

    def progress(self, iterable: Iterable, desc: str, total: int | None = None):
        """Wrap ``iterable`` in a progress bar that appears once it has run for a second."""
        return _progress(iterable, desc=f"{self.demo.name}: {desc}", total=total,
                         enabled=self.show_progress)

    def result(self, text: str, ok: bool = True, **data) -> DemoResult:
        d = self.demo
        return DemoResult(d.name, d.title, d.caption, list(self.images), text, ok, data)


def best_time(fn: Callable, repeats: int = 3) -> float:
    """Return the best of ``repeats`` timed calls of ``fn`` after one warm-up call, in seconds."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


DEMOS: dict[str, Demo] = {}


def register(name: str, title: str, caption: str) -> Callable:
    """Add the decorated ``run(ctx) -> DemoResult`` to the tour under ``name``."""

    def deco(run: Callable) -> Callable:
        if name in DEMOS:
            raise ValueError(f"demo {name!r} is registered twice")
        DEMOS[name] = Demo(name, title, caption, run)
        return run

    return deco


def _check_names(names) -> list[str]:
    names = list(DEMOS) if not names else list(names)
    unknown = [n for n in names if n not in DEMOS]
    if unknown:
        raise WengertValueError(
            f"unknown demo(s) {', '.join(unknown)}; choose from {', '.join(DEMOS)}."
        )
    return names


def run_demo(name: str, out_dir, progress: bool = True) -> DemoResult:
    """Run one demo, writing its PNGs and ``<name>.txt`` into ``out_dir``."""
    (name,) = _check_names([name])
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    demo = DEMOS[name]
    ctx = DemoContext(demo, out_dir, progress)
    start = time.perf_counter()
    res = demo.run(ctx)
    res.seconds = time.perf_counter() - start
    (out_dir / f"{name}.txt").write_text(res.text + "\n", encoding="utf-8")
    return res


def run_tour(out_dir, names=None, progress: bool = True, stream=None) -> list[DemoResult]:
    """Run the demos (all by default) into ``out_dir`` and write ``out_dir/index.html``.

    Each demo's text result is also printed to ``stream`` (default: standard output; pass
    ``False`` for silence).
    """
    names = _check_names(names)
    stream = sys.stdout if stream is None else stream
    results = []
    for name in names:
        res = run_demo(name, out_dir, progress)
        results.append(res)
        if stream:
            print(f"== {res.title} ==", file=stream)
            print(res.text, file=stream)
            shown = ", ".join(p.name for p in res.images) or "none"
            print(f"[{'ok' if res.ok else 'FAILED'}; {res.seconds:.1f} s; pictures: {shown}]\n",
                  file=stream)
    write_index(Path(out_dir), results)
    return results


_CSS = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "figure{margin:1em 0}img{max-width:100%;border:1px solid #ddd}"
        "pre{background:#f6f6f6;padding:.8em;overflow-x:auto;font-size:85%}.failed{color:#b00}")


def write_index(out_dir: Path, results: list[DemoResult]) -> Path:
    """Write ``index.html``: every demo's pictures with caption and text result."""
    e = html.escape
    parts = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>wengert: the lecture tour</title>", f"<style>{_CSS}</style></head><body>",
             "<h1>wengert: the lecture tour</h1>",
             ("<p>Each section reproduces one slide or figure of the lecture on automatic "
              "differentiation, computed by wengert.</p><ul>")]
    parts += [f'<li><a href="#{e(r.name)}">{e(r.title)}</a></li>' for r in results]
    parts.append("</ul>")
    for r in results:
        status = "" if r.ok else ' <span class="failed">(check failed)</span>'
        parts.append(f'<section id="{e(r.name)}"><h2>{e(r.title)}{status}</h2>')
        parts.append(f"<p>{e(r.caption)}</p>")
        for img in r.images:
            rel = Path(img).relative_to(out_dir) if Path(img).is_absolute() else Path(img)
            parts.append(f'<figure><img src="{e(rel.as_posix())}" alt="{e(r.title)}">'
                         f"<figcaption>{e(rel.name)}</figcaption></figure>")
        parts.append(f"<pre>{e(r.text)}</pre></section>")
    parts.append("</body></html>")
    path = out_dir / "index.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


# Each module registers its demos on import; the order here is the order of the tour.
for _module in ("lecture_graph", "sweeps", "finite_differences", "backprop", "jacobian_modes",
                "least_squares", "svd", "dimensionality", "hutchinson", "mds",
                "digits", "checkpointing"):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["DEMOS", "Demo", "DemoContext", "DemoResult", "best_time", "register", "run_demo",
           "run_tour", "write_index"]
