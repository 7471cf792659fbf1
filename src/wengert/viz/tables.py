"""The Wengert list as a table: primal values, forward-mode tangents and reverse-mode adjoints.

``table(f, *args)`` records ``f`` once and runs the lecture's two sweeps over the stored list:
the forward sweep (``jvp_sweep``) along one input direction, filling v̇ᵢ = ∂vᵢ/∂w_k, and the
reverse sweep (``backward``) from one output cotangent, filling v̄ᵢ = ∂L/∂vᵢ. Both sweeps are
the engine's own, watched through their ``observe`` hooks, so every number shown is a number
wengert computes. The result renders as text, Markdown, LaTeX and HTML, and ``steps()`` walks
through both sweeps one equation at a time. Imports: core, transforms, tree and viz.cost.
"""

from __future__ import annotations

import dataclasses
import html
import inspect
import numbers
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import tree as _tree
from ..core.errors import WengertTypeError, WengertValueError
from ..core.ir import Eqn, Trace, Var, _fmt_param, _type_str
from ..transforms import _api
from ..transforms.forward import jvp_sweep
from ..transforms.reverse import backward, record
from .cost import eqn_flops, saved_bytes

COLUMNS = ("index", "name", "expr", "value", "tangent", "adjoint", "flops", "saved")
DEFAULT_COLUMNS = ("index", "name", "expr", "value", "tangent", "adjoint")
FORWARD_COLUMNS = ("index", "name", "expr", "value", "tangent")
REVERSE_COLUMNS = ("index", "name", "expr", "value", "adjoint")


# --- formatting of values and operations ------------------------------------------------------


def format_value(v, width: int = 24, precision: int = 6, full_size: int = 6) -> str:
    """Format a value for a table cell: in full when small, else its type and range.

    Scalars print with ``precision`` significant digits; arrays of at most ``full_size``
    elements print in full; larger ones as ``f64[100,10] ∈ [min, max]``.

    Examples
    --------
    >>> format_value(2.0794415416798357)
    '2.07944'
    >>> format_value(np.arange(100.0).reshape(10, 10))
    'f64[10,10] ∈ [0, 99]'
    """
    a = np.asarray(v)
    if a.ndim == 0:
        s = _fmt_scalar(a.item(), precision)
    elif a.size <= full_size:
        s = "[" + ", ".join(_fmt_scalar(x, precision) for x in a.ravel().tolist()) + "]"
        if a.ndim > 1:
            s = f"{_type_str(a.shape, a.dtype)} {s}"
    elif a.size == 0:
        s = _type_str(a.shape, a.dtype)
    else:
        lo, hi = (np.min(a), np.max(a)) if a.dtype.kind != "b" else (a.min(), a.max())
        s = f"{_type_str(a.shape, a.dtype)} ∈ [{_fmt_scalar(lo.item(), 3)}, {_fmt_scalar(hi.item(), 3)}]"
    return s if len(s) <= width else s[: width - 1] + "…"


def _fmt_scalar(x, precision: int) -> str:
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, numbers.Integral):
        return str(x)
    if x == 0:
        return "0"
    return f"{x:.{precision}g}"


_INFIX = {"add": " + ", "sub": " - ", "mul": "·", "div": " / ", "matmul": " @ ",
          "pow": "^", "float_power": "^"}
_LATEX_INFIX = {"add": " + ", "sub": " - ", "mul": r" \cdot ", "div": r" / ",
                "matmul": r" \, ", "pow": "^", "float_power": "^"}
_LATEX_FUN = {"log": r"\log", "exp": r"\exp", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan",
              "tanh": r"\tanh", "sinh": r"\sinh", "cosh": r"\cosh", "arctan": r"\arctan",
              "arcsin": r"\arcsin", "arccos": r"\arccos", "sum": r"\sum", "max": r"\max",
              "min": r"\min"}


def _accent(name: str, mark: str) -> str:
    """Put a combining accent on a variable's letter: ``v2`` -> ``v̇2``, ``L`` -> ``L̄``."""
    return name[:1] + mark + name[1:]


def dot(name: str) -> str:
    """The tangent's name: ``v̇2``."""
    return _accent(name, "\u0307")


def bar(name: str) -> str:
    """The adjoint's name: ``v̄2``."""
    return _accent(name, "\u0304")


def _latex_name(name: str) -> str:
    head = name.rstrip("0123456789")
    tail = name[len(head):]
    return f"{head}_{{{tail}}}" if head and tail else rf"\mathrm{{{name}}}" if len(name) > 1 else name


def _operand(x, names: dict, latex: bool) -> str:
    if isinstance(x, Var):
        name = names.get(x.id, f"?{x.id}")
        return _latex_name(name) if latex else name
    return format_value(x.value, 16)


def expr_str(eqn: Eqn, names: dict, latex: bool = False) -> str:
    """Write one equation's right-hand side as mathematics: ``w2·v1``, ``log(w1)``."""
    name = eqn.prim.name
    ops = [_operand(x, names, latex) for x in eqn.inputs]
    params = dict(eqn.params)
    infix = _LATEX_INFIX if latex else _INFIX
    if name in infix and len(ops) == 2 and not params:
        a, b = ops
        if name in ("pow", "float_power"):
            return f"{a}^{{{b}}}" if latex else f"{a}^{b}"
        return a + infix[name] + b
    if name == "integer_pow" and len(ops) == 1:
        n = params["n"]
        return f"{ops[0]}^{{{n}}}" if latex else f"{ops[0]}^{n}"
    if name == "neg" and len(ops) == 1:
        return f"-{ops[0]}"
    if latex:
        if name == "sqrt":
            return rf"\sqrt{{{ops[0]}}}"
        head = _LATEX_FUN.get(name, rf"\operatorname{{{_latex_escape(name)}}}")
        extra = [f"{k}={_latex_escape(_fmt_param(v))}" for k, v in params.items()]
        return rf"{head}\left({', '.join(ops + extra)}\right)"
    extra = [f"{k}={_fmt_param(v)}" for k, v in params.items()]
    return f"{name}({', '.join(ops + extra)})"


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


def _latex_escape(s: str) -> str:
    return "".join(_LATEX_SPECIAL.get(c, c) for c in s)


# --- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Row:
    """One variable of the Wengert list with everything the lecture writes beside it."""

    index: int
    name: str
    kind: str  # "input" or "op"
    op: str
    expr: str
    inputs: tuple
    var: Var
    eqn: Eqn | None
    value: Any
    tangent: Any
    adjoint: Any
    flops: int | None
    saved_bytes: int
    is_output: bool

    @property
    def shape(self) -> tuple:
        return tuple(self.var.shape)

    @property
    def dtype(self):
        return self.var.dtype

    @property
    def latex_expr(self) -> str:
        """The operation in LaTeX (``\\log w_{1}``)."""
        return self._latex

    _latex: str = ""


@dataclass(frozen=True)
class SweepRecord:
    """What one sweep did at one equation: its (co)tangent and the per-input contributions.

    ``TraceTable.forward_log`` and ``reverse_log`` hold one per equation the sweep reached, in
    the sweep's order; ``parts`` pairs each operand's name with what flowed along that edge.
    """

    eqn: Eqn
    total: Any
    parts: tuple  # ((input name, value), ...)


@dataclass(frozen=True, eq=False)
class TraceTable:
    """A recorded Wengert list with primal, tangent and adjoint values for every variable.

    Build one with :func:`table`. ``rows`` holds one :class:`Row` per variable (inputs first,
    then one per equation in evaluation order). ``str(tbl)`` is the text rendering;
    ``to_markdown``, ``to_latex`` and ``to_html`` give the others, and Jupyter displays the
    HTML. ``steps()`` yields the forward sweep, then the reverse sweep, one step at a time.
    ``reverse_table()`` lists the rows in the order the reverse sweep visits them, so its
    adjoint column ends with the gradient.
    """

    rows: tuple
    trace: Trace
    tangent_label: str
    adjoint_label: str
    direction: str
    columns: tuple = DEFAULT_COLUMNS
    forward_log: tuple = ()
    reverse_log: tuple = ()
    seeds: tuple = ()  # ((output name, cotangent), ...)
    order: str = "forward"  # "reverse": equations last-first, then the inputs

    # -- access --
    def __getitem__(self, name: str) -> Row:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"no variable named {name!r}; the table has {[r.name for r in self.rows]}")

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def inputs(self) -> tuple:
        return tuple(r for r in self.rows if r.kind == "input")

    @property
    def outputs(self) -> tuple:
        return tuple(r for r in self.rows if r.is_output)

    @property
    def total_flops(self) -> int | None:
        """Sum of the modelled flops (None if some equation has no model)."""
        fl = [r.flops for r in self.rows if r.kind == "op"]
        return None if any(f is None for f in fl) else int(sum(fl))

    @property
    def total_saved_bytes(self) -> int:
        return int(sum(r.saved_bytes for r in self.rows))

    def tangent_name(self, name: str) -> str:
        """What the tangent of variable ``name`` is called: ``∂v2/∂w1``, or ``v̇2``."""
        label = self.tangent_label
        return f"∂{name}/{label.split('/', 1)[1]}" if "/" in label else dot(name)

    def adjoint_name(self, name: str) -> str:
        """What the adjoint of variable ``name`` is called: ``∂L/∂v2``, or ``v̄2``."""
        label = self.adjoint_label
        return f"{label.split('/', 1)[0]}/∂{name}" if "/" in label else bar(name)

    def with_columns(self, *columns: str) -> TraceTable:
        """Return the same table showing only ``columns`` (any of :data:`COLUMNS`)."""
        bad = [c for c in columns if c not in COLUMNS]
        if bad:
            raise WengertValueError(
                f"table: unknown column(s) {bad}; choose from {list(COLUMNS)}."
            )
        return dataclasses.replace(self, columns=tuple(columns))

    def forward_table(self) -> TraceTable:
        """The forward sweep's view: primal values and tangents."""
        return self.with_columns(*FORWARD_COLUMNS)

    def reverse_table(self) -> TraceTable:
        """The reverse sweep's view: values and adjoints, rows in the sweep's order.

        The equations come last-first, then the inputs, so the adjoint column ends with
        ∂L/∂w1, ∂L/∂w2, …: the gradient, as in the lecture's reverse-mode table.
        """
        view = self.with_columns(*REVERSE_COLUMNS)
        return dataclasses.replace(view, order="reverse")

    def _display_rows(self) -> tuple:
        if self.order == "forward":
            return self.rows
        ops = [r for r in self.rows if r.kind != "input"]
        return (*reversed(ops), *self.inputs)

    # -- rendering --
    def _headers(self, style: str) -> dict:
        if style == "latex":
            return {"index": "$i$", "name": "$v_i$", "expr": "operation", "value": "value",
                    "tangent": f"${_latex_label(self.tangent_label)}$",
                    "adjoint": f"${_latex_label(self.adjoint_label)}$",
                    "flops": "flops", "saved": "kept (B)"}
        return {"index": "#", "name": "v", "expr": "operation", "value": "value",
                "tangent": f"tangent {self.tangent_label}", "adjoint": f"adjoint {self.adjoint_label}",
                "flops": "flops", "saved": "kept (B)"}

    def _cell(self, row: Row, col: str, width: int, state=None) -> str:
        if col == "index":
            return str(row.index)
        if col == "name":
            return row.name
        if col == "expr":
            return "input" if row.kind == "input" else row.expr
        if col == "flops":
            return "" if row.kind == "input" else "?" if row.flops is None else str(row.flops)
        if col == "saved":
            return str(row.saved_bytes)
        v = getattr(row, col) if state is None else state.get((col, row.name), "")
        return v if isinstance(v, str) else format_value(v, width)

    def _matrix(self, width: int, state=None, style: str = "text") -> tuple[list, list]:
        heads = self._headers(style)
        header = [heads[c] for c in self.columns]
        body = []
        for r in self._display_rows():
            cells = [self._cell(r, c, width, state) for c in self.columns]
            if style == "latex":
                cells = [_latex_cell(r, c, s) for c, s in zip(self.columns, cells)]
            body.append(cells)
        return header, body

    def to_text(self, width: int = 24, _state=None, _mark: str | None = None) -> str:
        """Render as aligned plain text, one variable per line (outputs marked ``→``)."""
        header, body = self._matrix(width, _state)
        widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]
        right = {"index", "value", "tangent", "adjoint", "flops", "saved"}

        def line(cells, lead):
            parts = [c.rjust(w) if col in right else c.ljust(w)
                     for c, w, col in zip(cells, widths, self.columns)]
            return (lead + "  ".join(parts)).rstrip()

        out = [line(header, "  "), "  " + "  ".join("─" * w for w in widths)]
        for r, cells in zip(self._display_rows(), body):
            lead = "▶ " if r.name == _mark else "→ " if r.is_output else "  "
            out.append(line(cells, lead))
        return "\n".join(out + self._footer())

    def _footer(self) -> list[str]:
        notes = [f"direction: {self.direction}"] if "tangent" in self.columns else []
        if "adjoint" in self.columns and self.seeds:
            seeds = ", ".join(f"{bar(n)} = {format_value(v, 16)}" for n, v in self.seeds)
            notes.append(f"seed: {seeds}")
        if "flops" in self.columns or "saved" in self.columns:
            tf = self.total_flops
            notes.append(f"total: {'?' if tf is None else tf} flops, "
                         f"{self.total_saved_bytes} bytes kept for the backward pass")
        return notes

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<TraceTable: {len(self.rows)} variables>\n{self.to_text()}"

    def to_markdown(self, width: int = 24) -> str:
        """Render as a GitHub-flavoured Markdown table."""
        header, body = self._matrix(width)

        def esc(s):
            return s.replace("|", r"\|")

        out = ["| " + " | ".join(esc(h) for h in header) + " |",
               "|" + "|".join("---:" if c in ("index", "value", "tangent", "adjoint", "flops",
                                              "saved") else "---" for c in self.columns) + "|"]
        for r, cells in zip(self._display_rows(), body):
            cells = [f"**{c}**" if r.is_output and col == "name" else c
                     for c, col in zip(cells, self.columns)]
            out.append("| " + " | ".join(esc(c) for c in cells) + " |")
        footer = self._footer()
        return "\n".join(out + ([""] + [f"*{n}*  " for n in footer] if footer else []))

    def to_latex(self, width: int = 24) -> str:
        """Render as a LaTeX ``tabular`` (booktabs rules), math in the name and operation columns."""
        header, body = self._matrix(width, style="latex")
        spec = "".join("r" if c in ("index", "value", "tangent", "adjoint", "flops", "saved")
                       else "l" for c in self.columns)
        out = [rf"\begin{{tabular}}{{{spec}}}", r"\toprule", " & ".join(header) + r" \\",
               r"\midrule"]
        out += [" & ".join(cells) + r" \\" for cells in body]
        out += [r"\bottomrule", r"\end{tabular}"]
        return "\n".join(out)

    def to_html(self, width: int = 24, _state=None, _mark: str | None = None) -> str:
        """Render as an HTML table (what Jupyter shows)."""
        header, body = self._matrix(width, _state)
        e = html.escape
        style = "border-collapse:collapse;font-family:monospace"
        out = [f'<table class="wengert-trace" style="{style}">',
               "<thead><tr>" + "".join(f'<th style="{_TH}">{e(h)}</th>' for h in header)
               + "</tr></thead>", "<tbody>"]
        for r, cells in zip(self._display_rows(), body):
            cls = "input" if r.kind == "input" else "output" if r.is_output else "op"
            bg = "#fff3c4" if r.name == _mark else _ROW_BG[cls]
            tds = "".join(f'<td style="{_TD}{"text-align:right;" if c in _RIGHT else ""}">'
                          f"{e(s)}</td>" for c, s in zip(self.columns, cells))
            out.append(f'<tr class="{cls}" style="background:{bg}">{tds}</tr>')
        out.append("</tbody>")
        footer = self._footer()
        if footer:  # a caption must be the table's first child; CSS puts it below
            out.insert(1, '<caption style="caption-side:bottom;text-align:left">'
                       + "<br>".join(e(n) for n in footer) + "</caption>")
        out.append("</table>")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        return self.to_html()

    # -- step by step --
    def steps(self) -> Iterator[Step]:
        """Yield the forward sweep one variable at a time, then the reverse sweep.

        Each :class:`Step` renders the table as it stands at that moment: in the forward sweep
        the rows computed so far; in the reverse sweep every adjoint sum accumulated so far,
        with the row being processed marked ``▶``.
        """
        state: dict = {}
        fwd = {s.eqn.out.id: s for s in self.forward_log}
        for n, r in enumerate(self.rows, 1):
            state[("value", r.name)] = r.value
            state[("tangent", r.name)] = r.tangent
            yield Step(self, "forward", n, r.name, _forward_text(r, fwd.get(r.var.id)),
                       dict(state))
        acc: dict = {}
        for name, g in self.seeds:
            acc[name] = g
            state[("adjoint", name)] = g
        seeds = ", ".join(f"{bar(name)} = {format_value(g)}" for name, g in self.seeds)
        focus = self.outputs[-1].name if self.outputs else None
        yield Step(self, "reverse", 1, focus, f"seed the output: {seeds}", dict(state))
        names = {r.var.id: r.name for r in self.rows}
        for n, s in enumerate(self.reverse_log, 2):
            out_name = names[s.eqn.out.id]
            parts = []
            for p, ct in s.parts:
                acc[p] = ct if p not in acc else acc[p] + ct
                state[("adjoint", p)] = acc[p]
                parts.append(f"{bar(p)} += {format_value(ct)}")
            text = (f"{bar(out_name)} = {format_value(s.total)} flows back through "
                    f"{out_name} = {self[out_name].expr}: "
                    + ("; ".join(parts) or "nothing to propagate"))
            yield Step(self, "reverse", n, out_name, text, dict(state))


def _forward_text(r: Row, sweep: SweepRecord | None) -> str:
    """Describe one forward step: the value, and the tangent with its contributions."""
    if r.kind == "input":
        return f"{r.name} = {format_value(r.value)} (input); {dot(r.name)} = {format_value(r.tangent)}"
    if sweep is None:
        how = "(no tangent reaches it)"
    elif not sweep.parts:
        how = "(every contribution is zero)"
    elif len(sweep.parts) == 1:
        how = f"(via {sweep.parts[0][0]})"
    else:
        how = "= " + " + ".join(f"{format_value(t)} (via {p})" for p, t in sweep.parts)
    return (f"{r.name} = {r.expr} = {format_value(r.value)}; "
            f"{dot(r.name)} = {format_value(r.tangent)} {how}")


_TH = "border-bottom:1px solid #999;padding:2px 8px;text-align:left;"
_TD = "padding:2px 8px;"
_RIGHT = {"index", "value", "tangent", "adjoint", "flops", "saved"}
_ROW_BG = {"input": "#eef5ff", "op": "#ffffff", "output": "#eefbea"}


def _latex_label(label: str) -> str:
    """``∂v/∂w1`` -> ``\\frac{\\partial v_i}{\\partial w_{1}}``; ``v̇`` -> ``\\dot v_i``."""
    if label in ("v̇", "v̄"):
        return (r"\dot v_i" if label == "v̇" else r"\bar v_i")
    num, den = (p.strip().lstrip("∂") for p in label.split("/"))
    num, den = ("v_i" if p == "v" else _latex_name(p) for p in (num, den))
    return rf"\frac{{\partial {num}}}{{\partial {den}}}"


def _latex_cell(row: Row, col: str, s: str) -> str:
    if col == "name":
        return f"${_latex_name(s)}$"
    if col == "expr":
        return "input" if row.kind == "input" else f"${row.latex_expr}$"
    if col in ("value", "tangent", "adjoint"):
        return f"${_latex_escape(s)}$" if _is_number(s) else _latex_escape(s)
    return _latex_escape(s)


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, eq=False)
class Step:
    """One step of a sweep: what happened, and the table as it stands afterwards."""

    table: TraceTable
    sweep: str  # "forward" or "reverse"
    number: int
    focus: str | None
    text: str
    state: dict

    def __str__(self) -> str:
        return (f"[{self.sweep} {self.number}] {self.text}\n"
                + self.table.to_text(_state=self.state, _mark=self.focus))

    def _repr_html_(self) -> str:
        return (f"<p><b>{self.sweep} step {self.number}</b>: {html.escape(self.text)}</p>"
                + self.table.to_html(_state=self.state, _mark=self.focus))


# --- building -----------------------------------------------------------------------------------


def _input_names(f, args, n_leaves: int) -> list[str]:
    """Name the input rows: f's parameter names when each argument is one array, else w1, w2, ….

    Names that could be mistaken for intermediates (``v3``) fall back to ``w<k>``.
    """
    params = _param_names(f)
    default = [f"w{k}" for k in range(1, n_leaves + 1)]
    if n_leaves != len(args) or len(params) < len(args):
        return default
    names = params[: len(args)]
    if len(set(names)) != len(names) or any(n[:1] == "v" and n[1:].isdigit() for n in names):
        return default
    return names


def _resolve_direction(f, args, flat_args, in_tree, in_names, wrt, tangents):
    """Return one tangent per input leaf and a description of the direction."""
    leaf_counts = [len(_tree.leaves(a)) for a in args]
    starts = np.cumsum([0, *leaf_counts]).tolist()
    if tangents is not None:
        tangents = tuple(tangents) if isinstance(tangents, (tuple, list)) else (tangents,)
        flat_t, t_tree = _api.flatten_leaves(tangents)
        _, flat_t = _api.check_tangents("table", flat_args, flat_t, in_tree, t_tree)
        return flat_t, "along the given tangents"
    params = _param_names(f)
    wrt = 0 if wrt is None else wrt
    if isinstance(wrt, str) and wrt in params[: len(args)]:
        wrt = params.index(wrt)  # a parameter name names a whole argument
    if isinstance(wrt, str):
        if wrt in in_names:
            k = in_names.index(wrt)
        elif wrt[:1] == "w" and wrt[1:].isdigit() and 1 <= int(wrt[1:]) <= len(flat_args):
            k = int(wrt[1:]) - 1
        else:
            raise WengertValueError(
                f"table: wrt={wrt!r} names neither an input ({', '.join(in_names)}) nor a "
                f"parameter of f ({', '.join(params) or 'none found'}). Pass one of those, an "
                "argument position, or tangents=."
            )
        lo, hi = k, k + 1
    else:
        if not isinstance(wrt, numbers.Integral) or not -len(args) <= wrt < len(args):
            raise WengertValueError(
                f"table: wrt must be an argument position (0..{len(args) - 1}), an input name "
                f"({', '.join(in_names)}) or a parameter name, but got {wrt!r}."
            )
        wrt = int(wrt) % len(args)
        lo, hi = starts[wrt], starts[wrt + 1]
    ts = [_api.ones_like_value(x) if lo <= i < hi else _api.zeros_like_value(x)
          for i, x in enumerate(flat_args)]
    if hi - lo == 1 and np.ndim(flat_args[lo]) == 0:
        return ts, f"e{lo + 1}: tangents are ∂v/∂{in_names[lo]}"
    return ts, f"ones in {', '.join(in_names[lo:hi])}, zeros elsewhere"


def _param_names(f) -> list[str]:
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        return []
    return [p.name for p in sig.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def table(f, *args, wrt=None, tangents=None, cotangent=None, output_names=None) -> TraceTable:
    """Record ``f(*args)`` and tabulate its Wengert list with values, tangents and adjoints.

    The forward sweep pushes one input direction through the list: with ``wrt`` naming an
    argument (its position, its parameter name, or an input variable ``"w1"``) the direction
    is ones in that argument and zeros elsewhere, so for a scalar argument the tangent column
    is ∂vᵢ/∂w_k. ``tangents`` (one per argument, shaped like it) gives any other direction.
    The reverse sweep starts from ``cotangent`` (shaped like the output; default ones), so for
    a scalar output the adjoint column is ∂L/∂vᵢ and the input rows hold the gradient.

    Parameters
    ----------
    f : function of float arrays (or pytrees of them) returning arrays.
    *args : the point at which to evaluate. When every argument is one array, the input rows
        take f's parameter names; otherwise each leaf becomes an input w1, w2, ….
    wrt : argument position, parameter name or input name for the forward direction
        (default: the first argument).
    tangents : tuple with one tangent per argument (overrides ``wrt``).
    cotangent : output cotangent for the reverse sweep (default: ones).
    output_names : names for the output rows, e.g. ``("L",)`` as in the lecture.

    Returns
    -------
    TraceTable

    Examples
    --------
    >>> import wengert.numpy as wnp
    >>> from wengert.viz import table
    >>> def L(w1, w2):
    ...     v1 = wnp.log(w1)
    ...     v2 = w2 * v1
    ...     return v2 + wnp.sqrt(v2)
    >>> tbl = table(L, 2.0, 3.0, wrt="w1", output_names=("L",))
    >>> print(tbl.forward_table())
      #  v   operation     value  tangent ∂v/∂w1
      ─  ──  ─────────  ────────  ──────────────
      1  w1  input             2               1
      2  w2  input             3               0
      3  v1  log(w1)    0.693147             0.5
      4  v2  w2·v1       2.07944             1.5
      5  v3  sqrt(v2)    1.44203        0.520101
    → 6  L   v2 + v3     3.52147          2.0201
    direction: e1: tangents are ∂v/∂w1
    >>> float(tbl["w2"].adjoint)  # ∂L/∂w2 from the reverse sweep
    0.933484994...
    """
    flat_args, in_tree = _api.flatten_float_args("table", args, tuple(range(len(args))))
    flat_fun, out_store = _api.flatten_fun(f, in_tree, False, "table")
    trace, out_vals = record(flat_fun, flat_args)
    if not trace.outvars:
        raise WengertValueError("table: f returned nothing to tabulate.")
    in_names = _input_names(f, args, len(flat_args))
    in_tangents, direction = _resolve_direction(f, args, flat_args, in_tree, in_names, wrt,
                                                tangents)

    names = trace.names()
    names.update({v.id: n for v, n in zip(trace.invars, in_names)})
    if output_names is not None:
        output_names = (output_names,) if isinstance(output_names, str) else tuple(output_names)
        if len(output_names) != len(trace.outvars):
            raise WengertValueError(
                f"table: output_names has {len(output_names)} names but f has "
                f"{len(trace.outvars)} outputs."
            )
        clash = sorted(set(output_names) & set(in_names))
        if clash:
            raise WengertValueError(
                f"table: output_names {clash} repeat input names ({', '.join(in_names)}); "
                "choose other names for the outputs."
            )
        for v, n in zip(trace.outvars, output_names):
            if isinstance(v, Var) and v.id not in {x.id for x in trace.invars}:
                names[v.id] = n

    # Forward sweep: the engine's own, observed.
    tangent_of = {v.id: t for v, t in zip(trace.invars, in_tangents)}
    forward_log = []

    def on_forward(eqn, out_dot, parts):
        if out_dot is not None:
            tangent_of[eqn.out.id] = out_dot
        forward_log.append(SweepRecord(eqn, out_dot, tuple((names[eqn.inputs[i].id], t)
                                                       for i, t in parts)))

    jvp_sweep(trace, in_tangents, observe=on_forward)

    # Reverse sweep from the output cotangent(s).
    out_tree, _ = out_store()
    if cotangent is None:
        cts = [_api.ones_like_value(o) for o in out_vals]
    else:
        flat_ct, ct_tree = _api.flatten_leaves(cotangent)
        if ct_tree != out_tree:
            raise WengertTypeError(
                f"table: cotangent has structure {ct_tree} but f's output has {out_tree}; "
                "pass one cotangent per output, shaped like it."
            )
        cts = [_api.coerce_like("table", "cotangent", i, c, _api.as_array(o))
               for i, (c, o) in enumerate(zip(flat_ct, out_vals))]
    seeds: dict = {}
    seed_list = []
    for v, ct in zip(trace.outvars, cts):
        if isinstance(v, Var):
            seeds[v.id] = seeds[v.id] + ct if v.id in seeds else ct
            seed_list.append((names[v.id], ct))
    adjoint_of = {}
    reverse_log = []

    def on_reverse(eqn, out_bar, parts):
        adjoint_of[eqn.out.id] = out_bar
        reverse_log.append(SweepRecord(eqn, out_bar, tuple((names[eqn.inputs[i].id], c)
                                                       for i, c in parts)))

    final = backward(trace, seeds, free=False, observe=on_reverse)
    for v in trace.invars:
        if v.id in final:
            adjoint_of[v.id] = final[v.id]

    kept = saved_bytes(trace)
    out_ids = {v.id for v in trace.outvars if isinstance(v, Var)}
    values = trace.values
    rows = []

    def make_row(idx, var, eqn):
        value = values[var.id]
        t = tangent_of.get(var.id)
        a = adjoint_of.get(var.id)
        return Row(
            index=idx, name=names[var.id], kind="input" if eqn is None else "op",
            op="" if eqn is None else eqn.prim.name,
            expr="" if eqn is None else expr_str(eqn, names),
            inputs=() if eqn is None else tuple(names[x.id] for x in eqn.inputs
                                                if isinstance(x, Var)),
            var=var, eqn=eqn, value=value,
            tangent=np.zeros_like(value) if t is None else np.asarray(t),
            adjoint=np.zeros_like(value) if a is None else np.asarray(a),
            flops=0 if eqn is None else eqn_flops(eqn), saved_bytes=kept.get(var.id, 0),
            is_output=var.id in out_ids,
            _latex="" if eqn is None else expr_str(eqn, names, latex=True),
        )

    for k, v in enumerate(trace.invars, 1):
        rows.append(make_row(k, v, None))
    for k, e in enumerate(trace.eqns, len(rows) + 1):
        rows.append(make_row(k, e.out, e))

    out_name = seed_list[0][0] if len(seed_list) == 1 else "L"
    wrt_name = direction.split("∂v/∂")[-1] if "∂v/∂" in direction else None
    return TraceTable(
        rows=tuple(rows), trace=trace,
        tangent_label=f"∂v/∂{wrt_name}" if wrt_name else "v̇",
        adjoint_label=f"∂{out_name}/∂v" if len(seed_list) == 1 and np.ndim(cts[0]) == 0
        and float(np.asarray(cts[0])) == 1.0 else "v̄",
        direction=direction, forward_log=tuple(forward_log), reverse_log=tuple(reverse_log),
        seeds=tuple(seed_list),
    )


__all__ = ["COLUMNS", "Row", "Step", "TraceTable", "expr_str", "format_value", "table"]
