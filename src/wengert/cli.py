"""The ``wengert`` command (also ``python -m wengert``): trace, check and demo.

* ``wengert trace EXPR --at w1=2 w2=3`` tabulates the Wengert list of an expression with its
  forward-mode tangents and reverse-mode adjoints (text, Markdown, LaTeX, HTML, SVG or PNG).
* ``wengert check MODULE:FUNCTION --at x=...`` checks a user's function's derivatives
  against central finite differences, argument by argument.
* ``wengert demo [NAME ...]`` runs the lecture tour and writes its pictures and an index page.

Usage errors print one line to stderr and exit with status 2, never a traceback; ``check``
exits 1 when a derivative check fails. Imports: the public API, ``wengert.expr``,
``wengert.testing``, ``wengert.viz`` and ``wengert.demos`` (all lazily, so ``--help`` is
fast), and the standard library.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import inspect
import math
import os
import sys
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path

__all__ = ["CliError", "build_parser", "main", "run_check", "run_trace"]

DEFAULT_TOUR_DIR = "wengert-tour"
TEXT_FORMATS = ("text", "md", "latex", "html")
PICTURE_FORMATS = ("svg", "png")
MAX_FD_ELEMENTS = 2000
"""Arguments with more elements get their VJP checked along a random direction, not
coordinate by coordinate (which costs two function evaluations per element)."""

_TRACE_EPILOG = """\
examples:
  wengert trace "w2*log(w1) + sqrt(w2*log(w1))" --at w1=2 w2=3
  wengert trace "w2*log(w1) + sqrt(w2*log(w1))" --at w1=2 w2=3 --mode fwd --wrt w1
  wengert trace "w2*log(w1) + sqrt(w2*log(w1))" --at w1=2 w2=3 --mode rev --name L
  wengert trace "sum(tanh(A @ x))" --at A=[[1,2],[3,4]] x=[0.5,-1] --format md
  wengert trace "exp(-x**2)" --at x=0.5 --format svg -o trace.svg
  wengert trace -- "-log(x)" --at x=2        (use -- before an expression starting with -)

The expression is Python syntax, checked against a whitelist and interpreted; it is never
passed to eval. Allowed: numbers; the variables given with --at; the constants pi, e, inf,
nan; + - * / ** @ % // and unary + -; comparisons (for where); [lists] of these (arrays);
and calls by plain name of these wengert.numpy functions:
{functions}.
Reductions take axis= and keepdims=, e.g. sum(x, axis=0); stack, concatenate, hstack and
vstack take a list, e.g. stack([x, y]).

Input rows carry the variables' names, in the order of --at. --mode fwd shows the forward sweep's tangents along --wrt (default: the
first variable), so for a scalar input the last row holds the derivative of the output with
respect to it; --mode rev shows the reverse sweep's adjoints, so the input rows hold the
gradient; --mode both (the default) shows both.
"""

_CHECK_EPILOG = """\
examples:
  wengert check mymodel:loss --at w=[0.5,-1,2] b=0.1
  wengert check path/to/file.py:f --at x=[[1,2],[3,4]] --order 1
  wengert check mypackage.layers:softplus --at x=[-2,0,3] --eps 1e-5

MODULE is a dotted module name, importable from the current directory, or the path of a
.py file. --at names the function's parameters (in any order); parameters with defaults
may be left out. Each argument is reported on its own line: the largest absolute and
relative error of the forward-mode JVP (along a random unit direction) and of the
reverse-mode VJP (the gradient for a scalar output, uᵀJ for a random u otherwise) against
central finite differences. wengert.testing.check_grads then checks both modes to --order.
Exit status: 0 when everything passes, 1 when a check fails, 2 for usage errors.
"""

_DEMO_EPILOG = """\
examples:
  wengert demo --list
  wengert demo                       (the whole tour, into ./wengert-tour)
  wengert demo graph --out /tmp/tour --no-progress

Each demo writes PNG pictures and a short text result into the output folder, and the tour
writes index.html showing every picture with its caption. Demos need matplotlib
(pip install "wengert[plot]").
"""


class CliError(Exception):
    """A usage error: printed as one line on stderr, exit status 2."""


# ---------------------------------------------------------------------------------------------
# Parser


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``wengert`` command."""
    from .expr import FUNCTIONS

    parser = argparse.ArgumentParser(
        prog="wengert",
        description="wengert: automatic differentiation with the Wengert list in plain view.",
        epilog="Run 'wengert VERB --help' for a verb's options and examples.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="VERB")

    trace = sub.add_parser(
        "trace",
        help="tabulate the Wengert list of an expression with tangents and adjoints",
        description="Record an expression once and show its Wengert list with the forward "
        "sweep's tangents and the reverse sweep's adjoints.",
        epilog=_TRACE_EPILOG.format(functions=_wrap(", ".join(sorted(FUNCTIONS)), 88)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    trace.add_argument("expression", metavar="EXPR", help="the expression, e.g. 'w2*log(w1)'")
    trace.add_argument(
        "--at",
        nargs="+",
        action="extend",
        required=True,
        metavar="NAME=VALUE",
        help="the point: one NAME=VALUE per variable, e.g. w1=2 x=[1,2,3] A=[[1,2],[3,4]]",
    )
    trace.add_argument(
        "--mode",
        choices=("fwd", "rev", "both"),
        default="both",
        help="which sweep to show (default: both)",
    )
    trace.add_argument(
        "--wrt",
        metavar="NAME",
        help="the variable the forward sweep differentiates with respect to "
        "(default: the first variable)",
    )
    trace.add_argument(
        "--name",
        default="f",
        metavar="NAME",
        help="the output's name in the table, e.g. L (default: f)",
    )
    trace.add_argument(
        "--format",
        choices=TEXT_FORMATS + PICTURE_FORMATS,
        default="text",
        help="output format (default: text); png needs -o",
    )
    trace.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    trace.set_defaults(handler=_cmd_trace)

    check = sub.add_parser(
        "check",
        help="check a function's derivatives against finite differences",
        description="Check the forward-mode and reverse-mode derivatives of a Python "
        "function against central finite differences.",
        epilog=_CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("target", metavar="MODULE:FUNCTION", help="the function to check")
    check.add_argument(
        "--at",
        nargs="+",
        action="extend",
        required=True,
        metavar="NAME=VALUE",
        help="one NAME=VALUE per parameter, e.g. x=[1,2,3] b=0.5",
    )
    check.add_argument(
        "--order",
        type=int,
        choices=(1, 2),
        default=2,
        help="how many times to differentiate in check_grads (default: 2)",
    )
    check.add_argument(
        "--eps",
        type=_positive_float,
        default=1e-6,
        help="finite-difference step, relative to max(1, |x|) (default: 1e-6)",
    )
    check.add_argument(
        "--rtol", type=_positive_float, default=1e-5, help="relative tolerance (default: 1e-5)"
    )
    check.add_argument(
        "--atol", type=_positive_float, default=1e-7, help="absolute tolerance (default: 1e-7)"
    )
    check.set_defaults(handler=_cmd_check)

    demo = sub.add_parser(
        "demo",
        help="run the lecture tour (all demos, or the named ones)",
        description="Run the lecture tour: each demo writes its pictures and text result, "
        "and the tour writes an index page.",
        epilog=_DEMO_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument("names", nargs="*", metavar="NAME", help="demos to run (default: all)")
    demo.add_argument("--list", action="store_true", help="list the demos and exit")
    demo.add_argument(
        "--out",
        default=DEFAULT_TOUR_DIR,
        metavar="DIR",
        help=f"output folder (default: ./{DEFAULT_TOUR_DIR})",
    )
    demo.add_argument("--no-progress", action="store_true", help="do not show progress")
    demo.set_defaults(handler=_cmd_demo)
    return parser


def _wrap(text: str, width: int) -> str:
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``wengert`` command with ``argv`` (default: ``sys.argv[1:]``); return the status.

    Usage errors print one line on stderr and return 2.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits after --help (0) and on usage errors (2)
        return int(exc.code or 0)
    try:
        return args.handler(args)
    except CliError as err:
        print(f"wengert {args.command}: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `wengert trace ... | head`
        with contextlib.suppress(OSError):
            sys.stderr.close()
        return 0


# ---------------------------------------------------------------------------------------------
# trace


def _parse_at(items: Sequence[str]) -> dict:
    from .core.errors import WengertError
    from .expr import parse_assignment

    values: dict = {}
    for item in items:
        try:
            name, value = parse_assignment(item)
        except WengertError as err:
            raise CliError(f"--at {_short(item)}: {err}") from None
        if name in values:
            raise CliError(f"--at gives {name} twice; give each variable once.")
        values[name] = value
    return values


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def run_trace(args: argparse.Namespace):
    """Build the :class:`~wengert.viz.TraceTable` that ``wengert trace`` prints.

    ``args`` holds ``expression``, ``at`` (``NAME=VALUE`` strings), ``wrt`` and ``name``, as
    parsed by :func:`build_parser`. The variables are the function's parameters, in ``--at``
    order, so the table's input rows carry their names.

    Raises
    ------
    CliError
        on a refused expression, a bad ``--at`` value, a variable without a value or a value
        without a variable, an unknown ``--wrt``, or an error while evaluating.
    """
    from .core.errors import WengertError
    from .expr import parse
    from .viz import table

    values = _parse_at(args.at)
    try:
        free = parse(args.expression)
    except WengertError as err:
        raise CliError(str(err)) from None
    missing = [n for n in free.used if n not in values]
    if missing:
        raise CliError(
            f"the expression uses {', '.join(missing)} but --at gives no value for "
            f"{'it' if len(missing) == 1 else 'them'}; add e.g. --at {missing[0]}=1."
        )
    extra = [n for n in values if n not in free.used]
    if extra:
        raise CliError(
            f"--at gives {', '.join(extra)}, which the expression does not use (it uses "
            f"{', '.join(free.used) or 'no variables'}); remove it or fix the spelling."
        )
    names = list(values)
    if args.wrt is not None and args.wrt not in names:
        raise CliError(
            f"--wrt {args.wrt}: the expression has no variable {args.wrt}; choose one of "
            f"{', '.join(names)}."
        )
    if not args.name.isidentifier():
        raise CliError(f"--name {args.name!r}: the output name must be a word such as L or f.")
    expression = parse(args.expression, variables=names)
    wrt = names.index(args.wrt) if args.wrt is not None else 0  # a position: never ambiguous
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tbl = table(
                expression.function,
                *(values[n] for n in names),
                wrt=wrt,
                output_names=(args.name,),
            )
    except Exception as err:  # noqa: BLE001 - any failure of the user's expression is reported
        raise CliError(
            f"evaluating {_short(args.expression)!r} failed: {type(err).__name__}: {err}"
        ) from None
    # One line per distinct warning (e.g. log of a negative number), without source lines.
    for message in dict.fromkeys(str(w.message) for w in caught):
        print(f"wengert trace: warning: {message}", file=sys.stderr)
    return tbl


def _render(tbl, args: argparse.Namespace) -> str | None:
    view = {"fwd": tbl.forward_table, "rev": tbl.reverse_table, "both": lambda: tbl}[args.mode]()
    fmt = args.format
    if fmt in PICTURE_FORMATS:
        picture = _graph(tbl, args.mode)
        if fmt == "svg":
            return picture.to_svg()
        from .core.errors import WengertError

        try:
            picture.to_png(args.output)
        except (ImportError, WengertError) as err:
            raise CliError(
                f"--format png needs Graphviz or matplotlib ({err}); install matplotlib with "
                'pip install "wengert[plot]", or use --format svg.'
            ) from None
        except OSError as err:
            raise CliError(f"cannot write {args.output}: {err.strerror or err}.") from None
        return None
    render = {"text": view.to_text, "md": view.to_markdown, "latex": view.to_latex,
              "html": view.to_html}[fmt]
    return render()


def _graph(tbl, mode: str):
    from .viz import graph

    sweep = {"fwd": "forward", "rev": "reverse", "both": None}[mode]
    return graph(tbl, sweep=sweep)


def _cmd_trace(args: argparse.Namespace) -> int:
    if args.format == "png" and not args.output:
        raise CliError("--format png writes a file; give it with -o FILE.png.")
    tbl = run_trace(args)
    text = _render(tbl, args)
    if args.output and text is not None:
        try:
            Path(args.output).write_text(text + "\n", encoding="utf-8")
        except OSError as err:
            raise CliError(f"cannot write {args.output}: {err.strerror}.") from None
    if args.output:
        print(f"wrote {args.output}")
    else:
        print(text)
    return 0


# ---------------------------------------------------------------------------------------------
# check


@contextlib.contextmanager
def _on_sys_path(folder: str):
    """Put ``folder`` first on ``sys.path`` for the duration of an import."""
    sys.path.insert(0, folder)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)


def _user_location(err: BaseException) -> str:
    """``file.py:12`` of the innermost frame outside wengert, or ''."""
    package = str(Path(__file__).resolve().parent)
    frames = [
        f
        for f in traceback.extract_tb(err.__traceback__)
        if not str(Path(f.filename).resolve()).startswith(package)
    ]
    return f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""


def _load_function(target: str):
    module_name, sep, func_name = target.rpartition(":")
    if not sep or not module_name or not func_name:
        raise CliError(
            f"expected MODULE:FUNCTION such as mymodel:loss or path/to/file.py:f, but got "
            f"{target!r}."
        )
    path = Path(module_name)
    is_file = module_name.endswith(".py") or os.sep in module_name or "/" in module_name
    try:
        if is_file:
            if not path.is_file():
                raise CliError(f"no such file: {module_name}.")
            unique = f"_wengert_check_{abs(hash(str(path.resolve())))}_{path.stem}"
            spec = importlib.util.spec_from_file_location(unique, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[unique] = module
            with _on_sys_path(str(path.resolve().parent)):
                spec.loader.exec_module(module)
        else:
            with _on_sys_path(os.getcwd()):
                module = importlib.import_module(module_name)
    except CliError:
        raise
    except ModuleNotFoundError as err:
        raise CliError(
            f"cannot import {module_name!r}: {err}. Give a module importable from the current "
            "directory, or the path of a .py file."
        ) from None
    except Exception as err:  # noqa: BLE001 - the user's module may raise anything on import
        raise CliError(
            f"importing {module_name!r} failed: {type(err).__name__}: {err}{_user_location(err)}"
        ) from None
    fn = getattr(module, func_name, None)
    if fn is None:
        public = sorted(
            n
            for n, v in vars(module).items()
            if callable(v) and not n.startswith("_") and not inspect.ismodule(v)
        )
        raise CliError(
            f"{module_name} has no attribute {func_name!r}; its functions are "
            f"{', '.join(public[:20]) or 'none'}."
        )
    if not callable(fn):
        raise CliError(f"{target} is a {type(fn).__name__}, not a function.")
    return fn


def _bind(fn, target: str, values: dict):
    """Order the ``--at`` values by ``fn``'s parameters; return (names, call)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        # No signature (some builtins): pass the values positionally in --at order.
        return list(values), fn
    P = inspect.Parameter
    named = [p for p in params if p.kind not in (P.VAR_POSITIONAL, P.VAR_KEYWORD)]
    accepts_any = any(p.kind is P.VAR_KEYWORD for p in params)
    known = {p.name for p in named}
    unknown = [n for n in values if n not in known and not accepts_any]
    if unknown:
        listed = ", ".join(p.name for p in named) or "none"
        raise CliError(
            f"--at gives {', '.join(unknown)}, but {target} has no such parameter (its "
            f"parameters are {listed})."
        )
    missing = [p.name for p in named if p.default is P.empty and p.name not in values]
    if missing:
        raise CliError(
            f"{target} needs a value for {', '.join(missing)}; add e.g. --at {missing[0]}=1."
        )
    positional_only = [p.name for p in named if p.kind is P.POSITIONAL_ONLY]
    given_positional = [n for n in positional_only if n in values]
    if given_positional != positional_only[: len(given_positional)]:
        raise CliError(
            f"{target}'s positional-only parameters must be given in order from the first: "
            f"{', '.join(positional_only)}."
        )
    names = [p.name for p in named if p.name in values]
    names += [n for n in values if n not in names]  # extra names that go to **kwargs

    def call(*args):
        bound = dict(zip(names, args))
        leading = [bound.pop(n) for n in given_positional]
        return fn(*leading, **bound)

    return names, call


def _max_errors(got, expected) -> tuple[float, float]:
    """Largest absolute error, and that error relative to the largest expected magnitude."""
    import numpy as np

    from . import tree as _tree

    pairs = list(zip(_tree.leaves(got), _tree.leaves(expected)))
    abs_err = 0.0
    scale = 0.0
    for a, b in pairs:
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float)
        if a.size:
            abs_err = max(abs_err, float(np.max(np.abs(a - b))))
            scale = max(scale, float(np.max(np.abs(b))))
    rel_err = abs_err / scale if scale > 0 else (0.0 if abs_err == 0 else math.inf)
    return abs_err, rel_err


def _allclose(got, expected, rtol: float, atol: float) -> bool:
    import numpy as np

    from . import tree as _tree

    return all(
        np.allclose(
            np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=atol, equal_nan=True
        )
        for a, b in zip(_tree.leaves(got), _tree.leaves(expected))
    )


def run_check(
    fn,
    names: Sequence[str],
    args: Sequence,
    order: int = 2,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-7,
) -> dict:
    """Check ``fn(*args)``'s derivatives; return the report ``wengert check`` prints.

    For each argument ``i``: the JVP along a random unit direction in argument ``i`` (zeros
    elsewhere) against :func:`wengert.testing.numerical_jvp`, and the VJP ``uᵀJᵢ`` (``u = 1``
    for a scalar output, so the gradient; a random ``u`` otherwise) against the central
    difference gradient of ``⟨u, f⟩`` (:func:`wengert.testing.numerical_grad`; along a random
    direction for arguments of more than :data:`MAX_FD_ELEMENTS` elements). Then
    :func:`wengert.testing.check_grads` to ``order`` in both modes.

    Returns
    -------
    dict with ``rows`` (one dict per argument: name, shape, jvp_abs, jvp_rel, vjp_abs,
    vjp_rel, vjp_projected, ok), ``check_grads`` (None when it passed, else its message) and
    ``ok``.
    """
    import numpy as np

    from . import tree as _tree
    from .testing import check_grads, numerical_grad, numerical_jvp
    from .transforms.forward import jvp
    from .transforms.reverse import vjp

    rng = np.random.default_rng(0)
    args = tuple(np.asarray(a, dtype=np.float64) for a in args)
    out, f_vjp = vjp(fn, *args)
    out_leaves = [np.asarray(o) for o in _tree.leaves(out)]
    scalar_out = len(out_leaves) == 1 and out_leaves[0].ndim == 0
    u = _tree.map(
        lambda o: (
            np.ones_like(np.asarray(o, float)) if scalar_out else rng.standard_normal(np.shape(o))
        ),
        out,
    )
    cotangents = f_vjp(u)

    def inner_u(*xs) -> float:
        return float(
            sum(
                np.vdot(np.asarray(a, float), np.asarray(b, float))
                for a, b in zip(_tree.leaves(u), _tree.leaves(fn(*xs)))
            )
        )

    rows = []
    for i, (name, x) in enumerate(zip(names, args)):
        v = rng.standard_normal(x.shape)
        norm = float(np.linalg.norm(v))
        v = v / norm if norm > 0 else v
        tangents = tuple(v if k == i else np.zeros_like(a) for k, a in enumerate(args))
        _, out_dot = jvp(fn, args, tangents)
        fd_dot = numerical_jvp(fn, args, tangents, eps)
        jvp_abs, jvp_rel = _max_errors(out_dot, fd_dot)
        jvp_ok = _allclose(out_dot, fd_dot, rtol, atol)

        def along_i(xi, i=i):
            return inner_u(*args[:i], xi, *args[i + 1 :])

        x_bar = np.asarray(cotangents[i], dtype=float)
        projected = x.size > MAX_FD_ELEMENTS
        if projected:
            got = float(np.vdot(x_bar, v))
            expected = float(numerical_jvp(along_i, (x,), (v,), eps))
        else:
            got, expected = x_bar, numerical_grad(along_i, x, eps)
        vjp_abs, vjp_rel = _max_errors(got, expected)
        vjp_ok = _allclose(got, expected, rtol, atol)
        rows.append(
            {
                "name": name,
                "shape": x.shape,
                "jvp_abs": jvp_abs,
                "jvp_rel": jvp_rel,
                "vjp_abs": vjp_abs,
                "vjp_rel": vjp_rel,
                "vjp_projected": projected,
                "ok": jvp_ok and vjp_ok,
            }
        )
    failure = None
    try:
        check_grads(fn, args, order=order, modes=("fwd", "rev"), eps=eps, rtol=rtol, atol=atol)
    except AssertionError as err:
        failure = str(err).splitlines()[0].rstrip(":") if str(err) else "failed"
    return {
        "rows": rows,
        "check_grads": failure,
        "ok": failure is None and all(r["ok"] for r in rows),
        "scalar_output": scalar_out,
    }


def _format_report(target: str, report: dict, args: argparse.Namespace) -> str:
    header = [
        "argument",
        "shape",
        "JVP abs err",
        "JVP rel err",
        "VJP abs err",
        "VJP rel err",
        "ok",
    ]
    body = []
    for r in report["rows"]:
        mark = "*" if r["vjp_projected"] else ""
        body.append(
            [
                r["name"],
                str(r["shape"]),
                f"{r['jvp_abs']:.2e}",
                f"{r['jvp_rel']:.2e}",
                f"{r['vjp_abs']:.2e}{mark}",
                f"{r['vjp_rel']:.2e}{mark}",
                "yes" if r["ok"] else "NO",
            ]
        )
    widths = [
        max(len(h), *(len(b[k]) for b in body)) if body else len(h) for k, h in enumerate(header)
    ]

    def line(cells):
        return "  ".join(
            c.ljust(w) if k in (0, 1) else c.rjust(w)
            for k, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    vjp_what = "the gradient" if report["scalar_output"] else "uᵀJ for a random u"
    title = (
        f"wengert check {target}  (order {args.order}, eps {args.eps:g}, "
        f"rtol {args.rtol:g}, atol {args.atol:g})"
    )
    lines = [
        title,
        "",
        line(header),
        line(["─" * w for w in widths]),
        *(line(b) for b in body),
        "",
        "JVP: forward mode along a random unit direction vs central differences.",
        f"VJP: reverse mode ({vjp_what}) vs central differences, element by element.",
    ]
    if any(r["vjp_projected"] for r in report["rows"]):
        lines.append(
            f"  * more than {MAX_FD_ELEMENTS} elements: compared along a random direction instead."
        )
    cg = report["check_grads"]
    lines.append(
        f"check_grads (order {args.order}, fwd and rev): "
        + ("passed" if cg is None else f"FAILED: {cg}")
    )
    lines.append("PASS" if report["ok"] else "FAIL")
    return "\n".join(lines)


def _cmd_check(args: argparse.Namespace) -> int:
    values = _parse_at(args.at)
    fn = _load_function(args.target)
    names, call = _bind(fn, args.target, values)
    try:
        report = run_check(
            call,
            names,
            [values[n] for n in names],
            order=args.order,
            eps=args.eps,
            rtol=args.rtol,
            atol=args.atol,
        )
    except Exception as err:  # noqa: BLE001 - the user's function may raise anything
        print(
            f"wengert check: {args.target} raised {type(err).__name__}: {err}"
            f"{_user_location(err)}",
            file=sys.stderr,
        )
        print("FAIL")
        return 1
    print(_format_report(args.target, report, args))
    return 0 if report["ok"] else 1


# ---------------------------------------------------------------------------------------------
# demo


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demos import DEMOS

    if args.list:
        width = max((len(n) for n in DEMOS), default=0)
        for name, demo in DEMOS.items():
            print(f"{name:{width}s}  {demo.title}")
        return 0
    unknown = [n for n in args.names if n not in DEMOS]
    if unknown:
        raise CliError(
            f"unknown demo(s) {', '.join(unknown)}; choose from {', '.join(DEMOS)} "
            "(wengert demo --list)."
        )
    from .demos import run_tour

    out_dir = Path(args.out)
    try:
        results = run_tour(
            out_dir, names=args.names or None, progress=not args.no_progress, stream=sys.stdout
        )
    except ImportError as err:
        raise CliError(
            f'the demos need matplotlib ({err}); install it with pip install "wengert[plot]" '
            "(or make demo)."
        ) from None
    except OSError as err:
        raise CliError(f"cannot write into {out_dir}: {err.strerror or err}.") from None
    print(f"wrote {out_dir / 'index.html'}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
