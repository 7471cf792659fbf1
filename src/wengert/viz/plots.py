"""Matplotlib drawings for wengert: computational graphs (PNG, PDF, subplots) and the tour's plots.

The only module of the package that imports matplotlib, and only inside functions, so
``import wengert`` never needs it. Figures are made with :class:`matplotlib.figure.Figure` and
the Agg canvas rather than ``pyplot``, which leaves the user's backend and open figures alone.
Imports: the standard library, NumPy, :mod:`wengert.core.errors`, :mod:`wengert.viz.dot` (the
palette), :mod:`wengert.viz.graphs` inside functions (the layout it draws) and, lazily,
matplotlib.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from wengert.core.errors import WengertError
from wengert.viz.dot import NODE_STYLES

if TYPE_CHECKING:
    from wengert.viz.graphs import Graph, Layout

__all__ = [
    "draw_graph", "graph_figure", "new_figure", "plot_bars", "plot_cost_scaling", "plot_curves",
    "plot_fit", "plot_jacobian_modes", "plot_spectral_density", "plot_step_error",
    "save_animation", "save_layout",
]

# DejaVu Sans (matplotlib's default) is wider than the average the layout assumes for
# sans-serif, so text is drawn a little smaller to stay inside its box.
_FONT_SHRINK = 0.88


def _require_matplotlib(what: str):
    """Import matplotlib or raise an error that says how to get it."""
    try:
        import matplotlib
    except ImportError as exc:
        raise WengertError(
            f"{what} needs matplotlib, which is not installed. Run 'pip install wengert[plot]' "
            "(or install Graphviz and use engine='dot', or write SVG with to_svg())."
        ) from exc
    return matplotlib


def _as_layout(obj) -> Layout:
    from wengert.viz.graphs import Graph, Layout

    if isinstance(obj, Layout):
        return obj
    if isinstance(obj, Graph):
        return obj.layout()
    raise WengertError(
        f"draw_graph: expected a Graph or a Layout, but got {type(obj).__name__}; build one "
        "with wengert.viz.graph(f, *args)."
    )


def draw_graph(ax, layout: Layout | Graph, *, scale: float | None = None) -> None:
    """Draw a computational graph into the matplotlib axes ``ax``.

    The drawing keeps its aspect ratio and fills the axes; text and line widths scale with it
    (``scale`` points per layout pixel; by default fitted to the axes' size). Useful to put a
    graph into one panel of a larger figure.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    layout : Layout or Graph
        A builtin layout (``graph.layout()``), or a graph to lay out.
    scale : float, optional
        Points per layout pixel; 1 draws the layout at its natural size.
    """
    _require_matplotlib("draw_graph")
    from matplotlib.patches import FancyBboxPatch, PathPatch, Polygon
    from matplotlib.path import Path as MplPath

    layout = _as_layout(layout)
    width, height = layout.width, layout.height
    if scale is None:
        box = ax.get_position()
        fig_w, fig_h = ax.figure.get_size_inches()
        scale = min(box.width * fig_w * 72 / width, box.height * fig_h * 72 / height)
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_aspect("equal")
    ax.set_axis_off()
    font = layout.font_size * scale * _FONT_SHRINK
    edge_font = layout.edge_font_size * scale * _FONT_SHRINK

    for e in layout.edges:
        vertices = [e.segments[0][0]]
        codes = [MplPath.MOVETO]
        for seg in e.segments:
            vertices.extend(seg[1:])
            codes.extend([MplPath.CURVE4] * 3)
        ax.add_patch(PathPatch(MplPath(vertices, codes), facecolor="none", edgecolor=e.color,
                               linewidth=1.4 * scale, zorder=1))
        ax.add_patch(Polygon(e.arrow, closed=True, facecolor=e.color, edgecolor="none",
                             zorder=2))
    for e in layout.edges:
        if e.label_at is not None:
            ax.text(*e.label_at, e.label, ha="center", va="center", fontsize=edge_font,
                    color=e.color, zorder=3,
                    bbox={"boxstyle": "square,pad=0.15", "facecolor": "white",
                          "edgecolor": "none", "alpha": 0.85})
    for b in layout.nodes:
        style = NODE_STYLES[b.kind]
        x0, y0, _, _ = b.bounds
        radius = min(b.height / 2, 12.0) if b.kind == "input" else 3.0
        ax.add_patch(FancyBboxPatch((x0, y0), b.width, b.height,
                                    boxstyle=f"round,pad=0,rounding_size={radius}",
                                    facecolor=style["fill"], edgecolor=style["stroke"],
                                    linewidth=1.2 * scale, zorder=4))
        if b.kind == "output":
            ax.add_patch(FancyBboxPatch((x0 + 3, y0 + 3), b.width - 6, b.height - 6,
                                        boxstyle="round,pad=0,rounding_size=2",
                                        facecolor="none", edgecolor=style["stroke"],
                                        linewidth=0.8 * scale, zorder=5))
        first = b.y - (len(b.lines) - 1) * layout.line_height / 2
        for i, line in enumerate(b.lines):
            ax.text(b.x, first + i * layout.line_height, line, ha="center", va="center",
                    fontsize=font, fontweight="bold" if i == 0 else "normal", zorder=6)
    if layout.caption:
        ax.text(*layout.caption_at, layout.caption, ha="left", va="center", fontsize=font,
                color="#333333", zorder=6)


def graph_figure(layout: Layout | Graph):
    """Return a matplotlib ``Figure`` (Agg canvas, no pyplot) showing the graph at natural size."""
    _require_matplotlib("graph_figure")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    layout = _as_layout(layout)
    # One layout pixel is one point, so a 12 px font is a 12 pt font.
    fig = Figure(figsize=(layout.width / 72, layout.height / 72))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    draw_graph(ax, layout, scale=1.0)
    return fig


def save_layout(layout: Layout | Graph, path, *, dpi: float = 150, fmt: str | None = None) -> Path:
    """Draw the graph with matplotlib and save it to ``path`` (format from ``fmt`` or suffix).

    Raises
    ------
    WengertError
        When matplotlib is not installed (``pip install wengert[plot]``).
    """
    _require_matplotlib("drawing a graph as PNG or PDF")
    path = Path(path)
    fig = graph_figure(layout)
    fig.savefig(path, format=fmt, dpi=dpi, facecolor="white")
    return path


# --- figures for the tour -----------------------------------------------------------------------


def new_figure(nrows: int = 1, ncols: int = 1, size: tuple[float, float] = (5.0, 4.0)):
    """Return a new figure and its axes as a flat tuple, without touching pyplot.

    ``size`` is the size of one panel in inches; the figure uses the constrained layout.

    Examples
    --------
    >>> fig, (left, right) = new_figure(ncols=2, size=(4, 3))
    >>> fig.get_size_inches().tolist()
    [8.0, 3.0]
    """
    _require_matplotlib("new_figure")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, tuple(axes.ravel())


def plot_step_error(ax, steps: Sequence[float], errors: Mapping[str, Sequence[float]],
                    ad_error: float | None = None) -> None:
    """Plot the error of finite differences against the step ``h`` (log-log), with AD's error.

    Each entry of ``errors`` is one curve; ``ad_error``, when given, is a horizontal line (AD
    has no step). Dotted verticals mark √ε and ∛ε, the best steps of forward and central
    differences in double precision. Errors of exactly 0 are drawn at ε/100, the plot's floor.
    """
    eps = float(np.finfo(np.float64).eps)
    floor = eps / 100
    steps = np.asarray(steps, dtype=float)
    for label, err in errors.items():
        ax.loglog(steps, np.maximum(np.asarray(err, dtype=float), floor), marker=".",
                  label=label)
    if ad_error is not None:
        ax.axhline(max(float(ad_error), floor), color="black", linestyle="--",
                   label=f"AD (no step): {ad_error:.1e}")
    for h, name in ((eps ** 0.5, "√ε"), (eps ** (1 / 3), "∛ε")):
        ax.axvline(h, color="grey", linestyle=":", linewidth=1)
        ax.annotate(name, (h, 1), xycoords=("data", "axes fraction"), xytext=(2, -12),
                    textcoords="offset points", color="grey")
    ax.set_xlabel("step h")
    ax.set_ylabel("absolute error")
    ax.legend(loc="best", fontsize="small")


def plot_cost_scaling(ax, dims: Sequence[int], costs: Mapping[str, Sequence[float]]) -> None:
    """Plot the cost of a whole gradient against the dimension ``d`` (log-log).

    Each entry of ``costs`` is one method's cost in units of one function evaluation T. A grey
    line of slope one through the first point of the first method shows what "grows like d"
    looks like.
    """
    dims = np.asarray(dims, dtype=float)
    for label, cost in costs.items():
        ax.loglog(dims, np.asarray(cost, dtype=float), marker="o", label=label)
    first = next(iter(costs.values()), None)
    if first is not None and len(dims):
        ax.loglog(dims, float(first[0]) * dims / dims[0], color="grey", linestyle=":",
                  linewidth=1, label="∝ d")
    ax.set_xlabel("dimension d")
    ax.set_ylabel("time of the gradient / time of one evaluation")
    ax.legend(loc="best", fontsize="small")


def plot_jacobian_modes(ax, ratios: Sequence[float], times: Mapping[str, Sequence[float | None]],
                        crossover: float | None = None, *,
                        styles: Mapping[str, Mapping] | None = None,
                        ylabel: str = "time per Jacobian (s)",
                        crossover_label: str = "measured crossover") -> None:
    """Plot the cost of a whole Jacobian against m/n (log-log), with the crossover marked.

    ``ratios`` are the output-to-input ratios m/n; each entry of ``times`` is one method's cost
    at those ratios (``None`` or NaN where it was not measured). ``styles`` maps a label to
    extra matplotlib keywords for its line. A dotted grey line marks m = n, where the lecture's
    rule says forward mode (cost ∝ n inputs) and reverse mode (cost ∝ m outputs) break even; a
    solid black line marks ``crossover``, the ratio where the curves cross (its legend entry
    starts with ``crossover_label``).

    Examples
    --------
    >>> fig, (ax,) = new_figure()
    >>> plot_jacobian_modes(ax, [0.1, 1.0, 10.0], {"jacfwd": [1.0, 1.1, 1.5],
    ...                                            "jacrev": [0.1, 1.0, 12.0]}, 1.05)
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['jacfwd', 'jacrev']
    """
    _require_matplotlib("plot_jacobian_modes")
    from matplotlib.ticker import NullLocator

    ratios = np.asarray(ratios, dtype=float)
    styles = styles or {}
    for label, values in times.items():
        y = np.array([np.nan if v is None else float(v) for v in values])
        ax.loglog(ratios, y, **{"marker": "o", "label": label, **styles.get(label, {})})
    ax.axvline(1.0, color="grey", linestyle=":", linewidth=1, label="m = n")
    if crossover is not None and np.isfinite(crossover):
        ax.axvline(crossover, color="black", linewidth=1.2,
                   label=f"{crossover_label} m/n ≈ {crossover:.2g}")
    ax.set_xticks(ratios, labels=[f"{r:g}" for r in ratios])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("outputs / inputs  m/n")
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="best", fontsize="small")


# --- small general-purpose panels (the linear-algebra demos) -----------------------------------


def plot_curves(ax, x: Sequence[float], curves: Mapping[str, Sequence[float]], *, xlabel: str,
                ylabel: str, title: str, logy: bool = False, logx: bool = False,
                levels: Mapping[str, float] | None = None) -> None:
    """Draw one line per entry of ``curves`` against ``x``, and dashed horizontal ``levels``.

    Examples
    --------
    >>> fig, (ax,) = new_figure()
    >>> plot_curves(ax, [0, 1, 2], {"loss": [3.0, 2.0, 1.5]}, xlabel="step", ylabel="L",
    ...             title="descent", levels={"optimum": 1.4})
    >>> [line.get_label() for line in ax.get_lines()]
    ['loss', 'optimum']
    """
    for label, y in curves.items():
        ax.plot(x, y, marker="." if len(x) <= 40 else None, label=label)
    for label, level in (levels or {}).items():
        ax.axhline(level, color="black", linestyle="--", linewidth=1, label=label)
    if logy:
        ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")


def plot_fit(ax, t: Sequence[float], y: Sequence[float], t_fit: Sequence[float],
             y_fit: Sequence[float], *, title: str) -> None:
    """Draw data points and a fitted curve through them."""
    ax.scatter(t, y, color="tab:blue", zorder=3, label="data")
    ax.plot(t_fit, y_fit, color="tab:orange", label="least-squares fit")
    ax.set_xlabel("t")
    ax.set_ylabel("y")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")


def plot_bars(ax, x: Sequence[float], heights: Mapping[str, Sequence[float]], *, xlabel: str,
              ylabel: str, title: str) -> None:
    """Draw grouped bars: one group per ``x``, one bar per entry of ``heights``."""
    import numpy as np

    k = len(heights)
    width = 0.8 / max(k, 1)
    pos = np.arange(len(x), dtype=float)
    for j, (label, h) in enumerate(heights.items()):
        ax.bar(pos + (j - (k - 1) / 2) * width, h, width=width, label=label)
    ax.set_xticks(pos, [str(v) for v in x])
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize="small")


def plot_spectral_density(ax, grid: Sequence[float], density: Sequence[float],
                          eigenvalues: Sequence[float] = (), *, title: str,
                          floor: float = 1e-6) -> None:
    """Draw an eigenvalue density on a log scale, with eigenvalues marked as red ticks.

    ``density`` is drawn against ``grid``; values below ``floor`` times its peak are clipped
    there, so the log scale shows the tails without the Gaussian kernels' underflow.
    ``eigenvalues`` (the top ones from Lanczos, say) become dashed verticals.

    Examples
    --------
    >>> fig, (ax,) = new_figure()
    >>> t = np.linspace(-1.0, 3.0, 50)
    >>> plot_spectral_density(ax, t, np.exp(-t * t), [2.5], title="density")
    >>> ax.get_yscale(), [line.get_label() for line in ax.get_lines()]
    ('log', ['density', 'top eigenvalues'])
    """
    grid = np.asarray(grid, dtype=float)
    density = np.asarray(density, dtype=float)
    low = floor * float(density.max()) if density.size and density.max() > 0 else floor
    ax.semilogy(grid, np.maximum(density, low), color="tab:blue", label="density")
    for j, value in enumerate(eigenvalues):
        ax.axvline(float(value), color="tab:red", linestyle="--", linewidth=0.9,
                   label="top eigenvalues" if j == 0 else "_nolegend_")
    ax.set_xlabel("eigenvalue")
    ax.set_ylabel("density (log scale)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")


# --- animations -------------------------------------------------------------------------------


def save_animation(frames_xy: Sequence, path, *, target=None, titles: Sequence[str] | None = None,
                   fps: float = 8.0, size_px: int = 300) -> Path:
    """Write an animated GIF of 2-D point clouds, one frame per entry of ``frames_xy``.

    Each frame is an ``(N, 2)`` array of points drawn as dots; ``target``, an ``(N, 2)`` array,
    is drawn as hollow circles in every frame (where the points should end up). The axes are
    fixed over all frames. The picture is ``size_px`` pixels square, written with matplotlib's
    ``PillowWriter`` (Pillow comes with matplotlib).

    Parameters
    ----------
    frames_xy : sequence of (N, 2) arrays
    path : str or Path
        The ``.gif`` file to write.
    target : (N, 2) array, optional
    titles : sequence of str, optional
        One title per frame.
    fps : float
        Frames per second.
    size_px : int
        Width and height of the picture in pixels.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> frames = [np.zeros((3, 2)), np.eye(3)[:, :2]]
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "points.gif"
    >>> save_animation(frames, out, target=np.eye(3)[:, :2]).stat().st_size > 0
    True
    """
    _require_matplotlib("save_animation")
    from matplotlib.animation import FuncAnimation, PillowWriter

    frames = [np.asarray(f, dtype=float) for f in frames_xy]
    if not frames or any(f.ndim != 2 or f.shape[1] != 2 for f in frames):
        raise WengertError(
            "save_animation: expected a non-empty sequence of (N, 2) arrays of points, but got "
            f"shapes {[f.shape for f in frames]}; project the points to two coordinates first."
        )
    everything = np.concatenate(frames + ([np.asarray(target, float)] if target is not None
                                          else []))
    lo, hi = everything.min(axis=0), everything.max(axis=0)
    pad = 0.05 * float(np.max(hi - lo) or 1.0)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    dpi = 100
    fig = Figure(figsize=(size_px / dpi, size_px / dpi))  # fixed layout: no per-frame solve
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.04, 0.04, 0.92, 0.86))
    ax.set_xlim(lo[0] - pad, hi[0] + pad)
    ax.set_ylim(lo[1] - pad, hi[1] + pad)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    if target is not None:
        t = np.asarray(target, dtype=float)
        ax.scatter(t[:, 0], t[:, 1], s=40, facecolors="none", edgecolors="grey")
    dots = ax.scatter(frames[0][:, 0], frames[0][:, 1], s=14, color="tab:blue")
    title = ax.set_title("", fontsize=8)

    def draw(i):
        dots.set_offsets(frames[i])
        title.set_text(titles[i] if titles is not None else "")
        return dots, title

    anim = FuncAnimation(fig, draw, frames=len(frames), blit=False)
    path = Path(path)
    anim.save(path, writer=PillowWriter(fps=fps), dpi=dpi)
    return path
