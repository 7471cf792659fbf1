"""Choosing the Jacobian mode: forward costs grow with the inputs, reverse with the outputs.

The workload is the lecture's: f(x) = W2 tanh(W1 x) with n = 100 inputs fixed (W1 is 100×100)
and m outputs (W2 is m×100), m from 10 to 1000. Forward mode builds the m×n Jacobian from n
JVP sweeps, so its cost hardly moves with m; reverse mode needs m VJP sweeps, so its cost grows
like m. The measured curves cross near m ≈ n, and ``jacobian(mode="auto")`` should follow the
lower one, or go below both where vertex elimination (``mode="mixed"``) is cheaper still. When
wengert has a cost model (``wengert.jacobian_cost``) its predicted costs are drawn beside the
measurements. ``benchmarks/jacobian_modes.py`` times the same workload with more repeats,
the Python-loop baselines, JAX and torch.func. Imports: NumPy, the public API of wengert and
``viz.plots``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

import wengert as wg
import wengert.numpy as wnp
from wengert.viz.plots import new_figure, plot_jacobian_modes

from . import best_time, register

N = 100
SIZES = (10, 30, 100, 300, 1000)
SEED = 0
REPEATS = 7  # single calls, best of seven after a warm-up: enough for a picture, not a benchmark
TOLERANCE = 1e-10


def workload(m: int, n: int = N, seed: int = SEED):
    """Return ``(f, x, J)``: f(x) = W2 tanh(W1 x) with m outputs, a point x, and J = ∂f/∂x there.

    W1 (n×n) and x come from ``default_rng(seed)``, W2 (m×n) from ``default_rng([seed, m])``,
    all Gaussian with W's scaled by 1/√n. ``J = W2 diag(1 - tanh²(W1 x)) W1`` is the closed form
    the AD Jacobians are checked against.

    Examples
    --------
    >>> f, x, J = workload(3, n=4)
    >>> f(x).shape, J.shape
    ((3,), (3, 4))
    """
    rng = np.random.default_rng(seed)
    w1 = rng.standard_normal((n, n)) / np.sqrt(n)
    x = rng.standard_normal(n)
    w2 = np.random.default_rng([seed, m]).standard_normal((m, n)) / np.sqrt(n)

    def f(x):
        return w2 @ wnp.tanh(w1 @ x)

    jac = w2 @ ((1.0 - np.tanh(w1 @ x) ** 2)[:, None] * w1)
    return f, x, jac


def crossover(ratios: Sequence[float], t_fwd: Sequence[float],
              t_rev: Sequence[float]) -> float | None:
    """Return the ratio m/n where the two cost curves cross, interpolated on log-log axes.

    The first change of sign of log t_fwd - log t_rev between neighbouring ratios is located
    by linear interpolation in log(m/n); ``None`` when the curves do not cross in the range.

    Examples
    --------
    >>> round(crossover([0.1, 1.0, 10.0], [1.0, 1.0, 1.0], [0.1, 0.5, 2.0]), 3)
    3.162
    """
    r = np.log(np.asarray(ratios, dtype=float))
    d = np.log(np.asarray(t_fwd, dtype=float)) - np.log(np.asarray(t_rev, dtype=float))
    for k in range(len(d)):
        if d[k] == 0:
            return float(np.exp(r[k]))
        if k + 1 < len(d) and np.sign(d[k]) != np.sign(d[k + 1]) and d[k + 1] != 0:
            return float(np.exp(r[k] + d[k] / (d[k] - d[k + 1]) * (r[k + 1] - r[k])))
    return None


def ran_as(j_auto, j_fwd, j_rev) -> str:
    """Name the mode whose Jacobian ``auto``'s result equals bit for bit.

    Forward and reverse mode sum in different orders, so their Jacobians usually differ in the
    last bits; the one auto's result matches exactly is the mode it took (``"neither"`` when it
    took another way, such as vertex elimination).
    """
    fwd, rev = np.array_equal(j_auto, j_fwd), np.array_equal(j_auto, j_rev)
    if fwd and rev:
        return "fwd=rev"
    return "fwd" if fwd else "rev" if rev else "neither"


def predicted_costs(f: Callable, x) -> dict | None:
    """Return wengert's predicted cost of each mode and its choice, or None without a cost model.

    Reads ``wengert.jacobian_cost(f, x)``, the report ``jacobian(mode="auto")`` decides with:
    the predicted cost of forward mode, reverse mode and vertex elimination (``mixed``, None
    where it does not apply), the mode auto runs, and the report as text.
    """
    if not hasattr(wg, "jacobian_cost"):
        return None
    report = wg.jacobian_cost(f, x)
    return {"fwd": float(report.forward), "rev": float(report.reverse),
            "mixed": None if report.mixed is None else float(report.mixed),
            "choice": report.choice, "report": str(report)}


def measure(m: int, repeats: int = REPEATS) -> dict:
    """Time ``jacfwd``, ``jacrev`` and ``jacobian(mode="auto")`` on the m-output workload.

    With a cost model, vertex elimination (``jacobian(mode="mixed")``) is timed too. Returns
    the best time of each (seconds), the largest difference between any two of the Jacobians
    and the closed form, which mode's Jacobian auto's equals (:func:`ran_as`) and the
    prediction (:func:`predicted_costs`), whose ``choice`` is the mode auto ran.
    """
    f, x, exact = workload(m)
    predicted = predicted_costs(f, x)
    methods = {"fwd": wg.jacfwd(f), "rev": wg.jacrev(f), "auto": wg.jacobian(f, mode="auto")}
    if predicted is not None and predicted["mixed"] is not None:
        methods["mixed"] = wg.jacobian(f, mode="mixed")
    times = {k: best_time(lambda j=j: j(x), repeats) for k, j in methods.items()}
    jacs = {k: np.asarray(j(x)) for k, j in methods.items()}
    diff = max(float(np.max(np.abs(jacs[a] - b)))
               for a in jacs for b in (exact, *jacs.values()))
    return {"m": m, "ratio": m / N, "times": times,
            "auto_over_best": times["auto"] / min(times["fwd"], times["rev"]),
            "equals": ran_as(jacs["auto"], jacs["fwd"], jacs["rev"]), "max_diff": diff,
            "predicted": predicted}


def _table(rows: list[dict], cross: float | None) -> list[str]:
    mixed = all("mixed" in r["times"] for r in rows)
    model = all(r["predicted"] is not None for r in rows)
    lines = [
        f"f(x) = W2 tanh(W1 x): n = {N} inputs, m outputs; best of {REPEATS} calls, in ms",
        "       m    m/n    jacfwd    jacrev" + ("     mixed" if mixed else "")
        + "      auto   auto/best" + ("   auto chose" if model else "") + "   auto equals",
    ]
    for r in rows:
        t = r["times"]
        lines.append(
            f"    {r['m']:4d}  {r['ratio']:5.1f}  {t['fwd'] * 1e3:8.2f}  {t['rev'] * 1e3:8.2f}"
            + (f"  {t['mixed'] * 1e3:8.2f}" if mixed else "")
            + f"  {t['auto'] * 1e3:8.2f}   {r['auto_over_best']:9.2f}"
            + (f"   {r['predicted']['choice']:>11}" if model else "")
            + f"   {r['equals']:>11}"
        )
    if cross is None:
        lines.append("measured crossover: jacfwd and jacrev do not cross between m/n = "
                     f"{rows[0]['ratio']:g} and {rows[-1]['ratio']:g}")
    else:
        lines.append(f"measured crossover: jacfwd and jacrev take the same time at "
                     f"m/n ≈ {cross:.2f} (m ≈ {cross * N:.0f}); the lecture's rule says m = n")
    lines.append("auto/best: auto's time over the better of jacfwd and jacrev; auto equals: the "
                 "mode whose Jacobian auto's result equals bit for bit")
    return lines


@register(
    "jacobian-modes",
    "Choosing the Jacobian mode: forward costs grow with the inputs, reverse with the outputs",
    "The time of the whole m×n Jacobian of f(x) = W2 tanh(W1 x) with n = 100 inputs, against "
    "m/n on log-log axes. Forward mode (jacfwd) runs one JVP sweep per input, so its cost is "
    "∝ n and barely moves with m; reverse mode (jacrev) runs one VJP sweep per output, so its "
    "cost is ∝ m. The measured curves cross near m ≈ n (solid vertical line). "
    "jacobian(mode='auto') reads the recorded Wengert list and follows the lower curve, or "
    "goes below both where vertex elimination (mode='mixed') is predicted cheaper still; the "
    "right panel shows those predicted costs.",
)
def run(ctx):
    rows = [measure(m) for m in ctx.progress(SIZES, "timing Jacobians")]
    ratios = [r["ratio"] for r in rows]
    t = {k: [r["times"].get(k) for r in rows] for k in ("fwd", "rev", "mixed", "auto")}
    cross = crossover(ratios, t["fwd"], t["rev"])
    preds = [r["predicted"] for r in rows]
    model = all(p is not None for p in preds)
    fig, axes = new_figure(ncols=2 if model else 1, size=(5.5, 4.2))
    measured = {"jacfwd (n JVP sweeps)": t["fwd"], "jacrev (m VJP sweeps)": t["rev"]}
    if all(v is not None for v in t["mixed"]):
        measured["vertex elimination (mode='mixed')"] = t["mixed"]
    measured["jacobian(mode='auto')"] = t["auto"]
    styles = {"jacobian(mode='auto')": {"marker": "x", "linestyle": "--", "color": "black"},
              "vertex elimination (mode='mixed')": {"marker": ".", "linestyle": ":"}}
    plot_jacobian_modes(axes[0], ratios, measured, cross, styles=styles)
    axes[0].set_title(f"Measured time, n = {N} inputs")
    predicted_cross = None
    if model:
        p = {k: [q[k] for q in preds] for k in ("fwd", "rev", "mixed")}
        predicted_cross = crossover(ratios, p["fwd"], p["rev"])
        curves = {"forward (predicted)": p["fwd"], "reverse (predicted)": p["rev"]}
        if any(v is not None for v in p["mixed"]):
            curves["vertex elimination (predicted)"] = p["mixed"]
        plot_jacobian_modes(axes[1], ratios, curves, predicted_cross,
                            styles={"vertex elimination (predicted)": {"linestyle": ":"}},
                            ylabel="predicted cost (flop-equivalents)",
                            crossover_label="predicted crossover")
        axes[1].set_title("Predicted by wengert.jacobian_cost from the recorded list")
    ctx.save_figure(fig, "time-vs-outputs")
    diff = max(r["max_diff"] for r in rows)
    lines = _table(rows, cross)
    if predicted_cross is not None:
        lines.append(f"predicted crossover of forward and reverse mode (wengert.jacobian_cost): "
                     f"m/n ≈ {predicted_cross:.2f}")
    lines.append(f"every Jacobian and the closed form W2 diag(1 - tanh²(W1 x)) W1 agree to "
                 f"{diff:.1e}")
    return ctx.result("\n".join(lines), ok=diff <= TOLERANCE, rows=rows, ratios=ratios,
                      times=t, crossover=cross, predicted_crossover=predicted_cross,
                      max_diff=diff)
