"""Jacobians: ``jacfwd``, ``jacrev``, ``jacobian`` (mode chosen from the graph), its cost report.

For f: R^n -> R^m every Jacobian here starts with one recorded run of f (the Wengert list,
with its values). Then:

* ``jacfwd`` pushes the standard basis of the inputs through the list: ``jvp_sweep`` vmapped
  over basis tangents, ``chunk_size`` directions per sweep. The primal is not recomputed.
* ``jacrev`` pulls the standard basis of the outputs back: the backward pass vmapped over
  basis cotangents (seeds), in chunks.
* ``jacobian(mode="auto")`` predicts the cost of both sweeps, and of vertex elimination
  (``transforms/elimination.py``), from the recorded list with the model of
  ``transforms/cost.py`` (the lecture's rule: forward costs grow with n, reverse with m), then
  runs the cheapest on the same list. ``jacobian_cost`` returns that prediction as a report.

The Jacobian of a pytree-to-pytree function is a nested pytree: the output structure outside,
the structure of the differentiated arguments inside, each leaf of shape ``out.shape +
in.shape`` and dtype ``result_type(out, in)`` (float32 in, float32 out). The basis is one of
total size n over all differentiated leaves, split per leaf, so a chunk may span leaves.
``linearize`` records the list once and returns its forward sweep. Complex numbers, as in
JAX: ``holomorphic=True`` requires complex inputs and outputs and gives f'(z); without it
forward mode needs real inputs and reverse mode real outputs (``auto`` picks the one that is
exact); complex intermediates are fine, vertex elimination is not used on them. Imports: core, tree, NumPy, the other
transforms.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from .. import numpy as wnp
from .. import tree as _tree
from ..core.errors import WengertTypeError, WengertValueError
from ..core.ir import Trace, Var
from . import _api, cost, elimination
from .batching import map_batch
from .forward import jvp_sweep
from .reverse import backward, record

_MODES = ("auto", "fwd", "rev", "mixed")
_MODE_NAMES = {"fwd": "forward", "rev": "reverse", "mixed": "mixed (vertex elimination)"}


# --- recording once ------------------------------------------------------------------------


class _Recorded(NamedTuple):
    """One recorded run of ``fun``: the pruned list, its inputs, outputs and aux."""

    trace: Trace
    flat: list  # the differentiated leaves, in order
    in_tree: object
    out_vals: list  # f's output leaves (plain values, or tracers of outer transforms)
    out_tree: object
    aux: object


def _record(name, fun, args, argnums, has_aux, kwargs) -> _Recorded:
    """Run ``fun`` once under the recorder, differentiating the leaves of ``argnums``."""
    nums = _api.normalize_argnums(name, argnums, len(args))
    flat, in_tree = _api.flatten_float_args(name, tuple(args[k] for k in nums), nums)
    aux_box = [None]
    out_box = [None]

    def flat_fun(*leaves):
        out = fun(*_api.with_leaves(args, nums, in_tree, leaves), **kwargs)
        if has_aux:
            out, aux_box[0] = _api.split_aux(name, out)
        out_leaves, out_box[0] = _tree.flatten(out)
        return [_api.as_array(o) for o in out_leaves]

    trace, out_vals = record(flat_fun, flat)
    # Equations no output depends on cost sweeps and predictions but change nothing.
    return _Recorded(trace.prune(), flat, in_tree, out_vals, out_box[0],
                     _api.lower_escaped(aux_box[0]))


def _check_chunk_size(name, chunk_size):
    if chunk_size is None:
        return
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, numbers.Integral):
        raise WengertTypeError(
            f"{name}: chunk_size must be a positive int or None, got "
            f"{type(chunk_size).__name__} {chunk_size!r}."
        )
    if chunk_size < 1:
        raise WengertValueError(
            f"{name}: chunk_size must be at least 1 (basis directions per vectorised sweep), "
            f"got {chunk_size}. Pass None to push all directions through one sweep."
        )


def _check_mode(name, mode):
    if mode not in _MODES:
        raise WengertValueError(
            f"{name}: mode must be one of 'auto', 'fwd', 'rev' or 'mixed', got {mode!r}. "
            "Use 'auto' to let the recorded graph decide."
        )


def _sizes(values) -> list[int]:
    return [math.prod(np.shape(v)) for v in values]


def _offsets(sizes) -> list[int]:
    offs, total = [], 0
    for s in sizes:
        offs.append(total)
        total += s
    return offs


def _chunks(total, chunk_size):
    step = total if chunk_size is None else chunk_size
    return [(a, min(a + step, total)) for a in range(0, total, max(step, 1))]


def _basis_rows(x, start, width):
    """Rows ``start .. start+width`` of the identity over x's flattened space, shaped like x.

    Row r is the unit vector e_{start + r}; rows past x's own coordinates are zero, which is
    how a chunk of the global basis lands on each leaf it spans.
    """
    size = math.prod(x.shape)
    rows = np.eye(width, size, k=start, dtype=x.dtype)
    return rows.reshape((width, *tuple(x.shape)))


def _overlapping(offs, sizes, a, b):
    return [j for j, (o, s) in enumerate(zip(offs, sizes)) if o < b and o + s > a and s > 0]


# --- the two vectorised sweeps ---------------------------------------------------------------


def _forward_sweep_fn(trace, active, num_inputs):
    """The forward sweep as a function of the active inputs' tangents (for vmap)."""

    def sweep(*tangents):
        full = [None] * num_inputs
        for j, t in zip(active, tangents):
            full[j] = t
        return jvp_sweep(trace, full)

    return sweep


def _reverse_sweep_fn(trace, flat, active):
    """The backward pass as a function of the active outputs' seeds (for vmap)."""
    outvars = trace.outvars

    def sweep(*seeds_in):
        seeds = {}
        for i, g in zip(active, seeds_in):
            vid = outvars[i].id
            seeds[vid] = seeds[vid] + g if vid in seeds else g
        cts = backward(trace, seeds, free=False)
        res = []
        for v, x in zip(trace.invars, flat):
            ct = cts.get(v.id)
            res.append(_api.zeros_like_value(x) if ct is None else ct)
        return res

    return sweep


def _forward_blocks(rec: _Recorded, chunk_size) -> dict:
    """Return ``{(i, j): d out_i / d in_j}`` by vmapped forward sweeps over the input basis."""
    trace, flat, outs = rec.trace, rec.flat, rec.out_vals
    sizes = _sizes(flat)
    offs = _offsets(sizes)
    pieces = [[] for _ in outs]
    for a, b in _chunks(sum(sizes), chunk_size):
        active = _overlapping(offs, sizes, a, b)
        tangents = [_basis_rows(flat[j], a - offs[j], b - a) for j in active]
        cols = map_batch(_forward_sweep_fn(trace, active, len(flat)), b - a, tangents)
        for i, c in enumerate(cols):
            pieces[i].append(c)
    blocks = {}
    for i, o in enumerate(outs):
        o_shape = tuple(np.shape(o))
        # All directions stacked first: (n, *out.shape).
        cols = _concat(pieces[i]) if pieces[i] else None
        for j, x in enumerate(flat):
            x_shape = tuple(np.shape(x))
            dtype = np.result_type(o.dtype, x.dtype)
            if cols is None or sizes[j] == 0 or math.prod(o_shape) == 0:
                blocks[i, j] = np.zeros(o_shape + x_shape, dtype)
                continue
            c = cols if len(flat) == 1 else cols[offs[j]:offs[j] + sizes[j]]
            c = wnp.transpose(wnp.reshape(c, (sizes[j], math.prod(o_shape))))
            blocks[i, j] = _finish(c, o_shape + x_shape, dtype)
    return blocks


def _reverse_blocks(rec: _Recorded, chunk_size) -> dict:
    """Return ``{(i, j): d out_i / d in_j}`` by vmapped backward passes over the output basis."""
    trace, flat, outs = rec.trace, rec.flat, rec.out_vals
    if len(outs) == 1 and len(flat) == 1 and type(trace.outvars[0]) is Var:
        # One output, one input (the usual case): one identity of seeds, no bookkeeping.
        o, x = _api.as_array(outs[0]), flat[0]
        m = math.prod(o.shape)
        if m and (chunk_size is None or chunk_size >= m):
            seeds = np.eye(m, dtype=o.dtype).reshape((m, *o.shape))
            (rows,) = map_batch(_reverse_sweep_fn(trace, flat, [0]), m, [seeds])
            return {(0, 0): _finish(rows, tuple(o.shape) + tuple(x.shape),
                                    np.result_type(o.dtype, x.dtype))}
    sizes = _sizes(outs)
    offs = _offsets(sizes)
    differentiable = [j for j, v in enumerate(trace.outvars)
                      if type(v) is Var and sizes[j] > 0]
    pieces = [[] for _ in flat]
    for a, b in _chunks(sum(sizes), chunk_size):
        active = [i for i in _overlapping(offs, sizes, a, b) if i in differentiable]
        if not active:
            for j, x in enumerate(flat):
                pieces[j].append(np.zeros((b - a, *np.shape(x)), x.dtype))
            continue
        seeds = [_basis_rows(_api.as_array(outs[i]), a - offs[i], b - a) for i in active]
        rows = map_batch(_reverse_sweep_fn(trace, flat, active), b - a, seeds)
        for j, r in enumerate(rows):
            pieces[j].append(r)
    blocks = {}
    for j, x in enumerate(flat):
        x_shape = tuple(np.shape(x))
        # All output directions stacked first: (m, *in.shape).
        rows = _concat(pieces[j]) if pieces[j] else None
        for i, o in enumerate(outs):
            o_shape = tuple(np.shape(o))
            dtype = np.result_type(o.dtype, x.dtype)
            if rows is None or sizes[i] == 0:
                blocks[i, j] = np.zeros(o_shape + x_shape, dtype)
                continue
            r = rows if len(outs) == 1 else rows[offs[i]:offs[i] + sizes[i]]
            blocks[i, j] = _finish(r, o_shape + x_shape, dtype)
    return blocks


def _mixed_blocks(rec: _Recorded, plan=None) -> dict:
    """Return ``{(i, j): d out_i / d in_j}`` by vertex elimination on the linearised list."""
    plan = elimination.plan(rec.trace) if plan is None else plan
    dense = elimination.accumulate(rec.trace, plan)
    blocks = {}
    for i, o in enumerate(rec.out_vals):
        o_shape = tuple(np.shape(o))
        for j, x in enumerate(rec.flat):
            x_shape = tuple(np.shape(x))
            dtype = np.result_type(o.dtype, x.dtype)
            blk = dense[i][j]
            if blk is None:
                blocks[i, j] = np.zeros(o_shape + x_shape, dtype)
            else:
                blocks[i, j] = _finish(blk, o_shape + x_shape, dtype)
    return blocks


def _concat(parts):
    return parts[0] if len(parts) == 1 else wnp.concatenate(parts, axis=0)


def _finish(block, shape, dtype):
    """Reshape a Jacobian block to ``out.shape + in.shape`` and give it the result dtype.

    A complex block for a real input and a real output (complex values only on the way) is
    projected on its real part: for the pairing Re Σ a·b that is the exact derivative between
    the real spaces, not a lossy cast.
    """
    to_real = np.dtype(block.dtype).kind == "c" and np.dtype(dtype).kind != "c"
    if type(block) is np.ndarray:
        block = block.reshape(shape) if block.shape != shape else block
        block = block.real if to_real else block
        return _api.writable(block if block.dtype == dtype else block.astype(dtype))
    if tuple(block.shape) != shape:
        block = wnp.reshape(block, shape)
    if to_real:
        block = wnp.real(block)
    if block.dtype != dtype:
        block = wnp.astype(block, dtype)
    return _api.writable(block)


def _holds_complex(trace: Trace) -> bool:
    """Whether any variable of the recorded list is complex."""
    return (any(np.dtype(v.dtype).kind == "c" for v in trace.invars)
            or any(np.dtype(e.out.dtype).kind == "c" for e in trace.eqns))


def _check_complex(name, rec: _Recorded, holomorphic, mode):
    """Check complex inputs and outputs against ``holomorphic`` and ``mode``, as JAX does.

    Returns the mode that must run (``"rev"`` or ``"fwd"``) when complex values leave only
    one correct sweep for ``mode="auto"``, else None. Without ``holomorphic`` the derivative
    is only R-linear: the forward sweep over the standard basis would miss the imaginary
    directions of complex inputs (it needs real inputs; a complex output of a real input is
    exact), and the backward pass over real seeds would miss the imaginary parts of complex
    outputs (it needs real outputs; a complex input then gets the gradient ∂f/∂x − i ∂f/∂y).
    """
    ins = [np.dtype(x.dtype) for x in rec.flat]
    outs = [np.dtype(o.dtype) for o in rec.out_vals]
    if holomorphic:
        for i, dt in enumerate(ins):
            if dt.kind != "c":
                raise WengertTypeError(
                    f"{name}: with holomorphic=True, every differentiated input must be "
                    f"complex, but input {i} has dtype {dt}. Pass complex values (e.g. "
                    "x.astype(complex)) or drop holomorphic=True."
                )
        for i, dt in enumerate(outs):
            if dt.kind != "c":
                raise WengertTypeError(
                    f"{name}: with holomorphic=True, f must return complex outputs, but output "
                    f"{i} has dtype {dt}. Drop holomorphic=True for a real-valued f."
                )
        return None
    cin = next(((i, dt) for i, dt in enumerate(ins) if dt.kind == "c"), None)
    cout = next(((i, dt) for i, dt in enumerate(outs) if dt.kind == "c"), None)
    split = ("otherwise split complex values into real and imaginary parts (take real x, y "
             "and form x + 1j * y inside f; return wnp.real(out) and wnp.imag(out)).")
    if cin and (cout or mode == "fwd"):
        other = (f" and output {cout[0]} has dtype {cout[1]}" if cout else
                 "; for a real-valued f use jacrev, whose rows are gradients ∂f/∂x − i ∂f/∂y")
        raise WengertTypeError(
            f"{name}: forward mode needs real inputs (holomorphic=False), but input {cin[0]} "
            f"has dtype {cin[1]}{other}. For a holomorphic f pass holomorphic=True (the "
            f"Jacobian is then f'(z)); {split}"
        )
    if cout and mode == "rev":
        raise WengertTypeError(
            f"{name}: reverse mode needs real outputs (holomorphic=False), but output "
            f"{cout[0]} has dtype {cout[1]}; for real inputs use jacfwd. For a holomorphic f "
            f"of complex inputs pass holomorphic=True (the Jacobian is then f'(z)); {split}"
        )
    if mode == "auto":
        return "rev" if cin else "fwd" if cout else None
    return None


def _assemble(rec: _Recorded, argnums, blocks):
    """Build the nested Jacobian pytree: output structure outside, argnums structure inside."""
    rows = []
    for i in range(len(rec.out_vals)):
        inner = _api.unflatten(rec.in_tree, [blocks[i, j] for j in range(len(rec.flat))])
        rows.append(inner[0] if isinstance(argnums, numbers.Integral) else tuple(inner))
    return _tree.unflatten(rec.out_tree, rows)


def _jacobian_fn(name, fun, argnums, has_aux, chunk_size, mode, explain=False,
                 holomorphic=False):
    _check_chunk_size(name, chunk_size)
    _check_mode(name, mode)
    _api.normalize_argnums(name, argnums, 1 << 30)  # type check now; range at call time
    if not callable(fun):
        raise WengertTypeError(f"{name}: expected a function to differentiate, got "
                               f"{type(fun).__name__}.")

    # mode="auto" decides once per signature (input shapes and dtypes, and the recorded list's
    # operations): the decision is a prediction, so repeated calls need not pay for it again.
    decided: dict = {}

    def jac(*args, **kwargs):
        rec = _record(name, fun, args, argnums, has_aux, kwargs)
        forced = _check_complex(name, rec, holomorphic, mode)
        report = plan = None
        chosen = mode
        if forced is not None:
            chosen = forced
            if explain:
                _, report, plan = _predict(rec, chunk_size, forced)
                side = "inputs" if forced == "rev" else "outputs"
                report = replace(report, reason=f"complex {side} without holomorphic=True: "
                                 f"only {_MODE_NAMES[forced]} mode is exact.")
        elif explain:
            chosen, report, plan = _predict(rec, chunk_size, mode)
        elif mode == "auto":
            key = (tuple((np.shape(x), np.result_type(x)) for x in rec.flat),
                   tuple(e.prim.name for e in rec.trace.eqns))
            chosen = decided.get(key)
            if chosen is None:
                chosen, _, plan = _predict(rec, chunk_size, mode, quick=True)
                decided[key] = chosen
        if chosen == "mixed":
            if _holds_complex(rec.trace):
                # Elimination multiplies local blocks as complex matrices, which cannot
                # represent the R-linear derivatives of conj, real, imag or abs.
                raise WengertValueError(
                    f"{name}: mode='mixed' (vertex elimination) does not apply to a list "
                    "with complex values. Use mode='fwd', 'rev' or 'auto'."
                )
            blocks = _mixed_blocks(rec, plan)
        elif chosen == "fwd":
            blocks = _forward_blocks(rec, chunk_size)
        else:
            blocks = _reverse_blocks(rec, chunk_size)
        res = _assemble(rec, argnums, blocks)
        res = (res, rec.aux) if has_aux else res
        return (res, report) if explain else res

    return jac


# --- public transforms -----------------------------------------------------------------------


def jacfwd(fun, argnums=0, has_aux=False, chunk_size: int | None = None,
           holomorphic: bool = False):
    """Return a function computing the Jacobian of ``fun`` by forward mode.

    ``jacfwd(f)(x)`` is J(x), d f(x)_i / d x_j, with the output structure outside and the
    structure of the arguments in ``argnums`` inside (each leaf shaped ``out.shape +
    in.shape``). f runs once, under the recorder; the standard basis of all differentiated
    inputs (n directions in all) is then pushed through the recorded list by ``jvp_sweep``
    vmapped over ``chunk_size`` directions at a time (all n at once when None).

    Cost: one recorded run, then ceil(n / chunk_size) vectorised tangent sweeps, about n times
    one JVP's flops; memory: the recorded values plus chunk_size tangents per variable.

    Parameters
    ----------
    fun : callable returning a pytree of arrays.
    argnums : int or tuple of ints, the arguments to differentiate (floating point).
    has_aux : if True, ``fun`` returns ``(out, aux)``; the result is ``(jacobian, aux)``.
    chunk_size : positive int or None, basis directions per vectorised sweep (bounds memory).
    holomorphic : if True, ``fun`` must take complex inputs and return complex outputs, and
        the result is the complex Jacobian f'(z) (exact for a holomorphic ``fun``). If False
        (the default), the inputs must be real (outputs may be complex: a real-to-complex map
        has an exact complex Jacobian); complex values may occur on the way.

    Raises
    ------
    WengertTypeError, WengertValueError
        For a non-float argument, an out-of-range ``argnums`` or a bad ``chunk_size``; for
        complex inputs without ``holomorphic=True`` (the derivative of a non-holomorphic map
        is only R-linear, and the real basis misses the imaginary directions: use
        :func:`jacrev` for a real-valued f, or split into real and imaginary parts), or real
        inputs or outputs with it.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    >>> wg.jacfwd(lambda x, y: x * y, argnums=(0, 1), chunk_size=1)(2.0, 3.0)
    (array(3.), array(2.))
    >>> wg.jacfwd(lambda z: z * z, holomorphic=True)(np.array([1j, 2.0 + 0j]))
    array([[0.+2.j, 0.+0.j],
           [0.+0.j, 4.+0.j]])
    """
    return _jacobian_fn("jacfwd", fun, argnums, has_aux, chunk_size, "fwd",
                        holomorphic=holomorphic)


def jacrev(fun, argnums=0, has_aux=False, chunk_size: int | None = None,
           holomorphic: bool = False):
    """Return a function computing the Jacobian of ``fun`` by reverse mode.

    Same result as :func:`jacfwd`, with the same arguments (``holomorphic`` included). f runs
    once, under the recorder; the backward pass is then vmapped over the standard basis of all
    outputs (m cotangent seeds), ``chunk_size`` seeds at a time (all m at once when None).
    With ``holomorphic=True`` the seeds are complex and each backward pass returns a row of
    f'(z): the VJP transposes for the bilinear pairing Re Σ a·b, with no conjugation. Without
    it the outputs must be real (the real seeds miss imaginary parts: use :func:`jacfwd` for
    a complex output of real inputs), and a complex input gets, in each row, the gradient
    ∂f_i/∂x − i ∂f_i/∂y of :func:`~wengert.grad`.

    Cost: one recorded run, then ceil(m / chunk_size) vectorised backward passes, about m times
    one VJP's flops; memory: the recorded values plus chunk_size cotangents per variable.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> wg.jacrev(lambda x: x[0] * x)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [2., 1.]])
    """
    return _jacobian_fn("jacrev", fun, argnums, has_aux, chunk_size, "rev",
                        holomorphic=holomorphic)


def jacobian(fun, argnums=0, has_aux=False, mode: str = "auto", chunk_size: int | None = None,
             explain: bool = False, holomorphic: bool = False):
    """Return a function computing the Jacobian, choosing the cheapest accumulation.

    f runs once, under the recorder. With ``mode="auto"`` the recorded list decides: the
    predicted cost of forward mode (n tangent directions through every equation's JVP), of
    reverse mode (m cotangent directions through every VJP, plus the bytes the backward pass
    keeps) and of vertex elimination in Markowitz order (``mode="mixed"``), each from the flop
    model of ``wengert.transforms.cost``; the cheapest then runs on the same recorded list, so
    choosing costs no extra run of f. ``"fwd"``, ``"rev"`` and ``"mixed"`` override the choice.

    Parameters
    ----------
    fun, argnums, has_aux, chunk_size, holomorphic : as for :func:`jacfwd` (``chunk_size``
        bounds the forward and reverse sweeps; elimination works on whole blocks).
    mode : ``"auto"``, ``"fwd"``, ``"rev"`` or ``"mixed"``.
    explain : if True, the function returns ``(result, report)``, where ``result`` is what it
        returns otherwise and ``report`` the :class:`JacobianCost` of this call (its
        ``choice`` is the mode that ran). ``print(report)`` shows the table.

    Raises
    ------
    WengertValueError
        For an unknown ``mode`` or a bad ``chunk_size``, or ``mode="mixed"`` on a list holding
        complex values (elimination multiplies complex blocks, which cannot represent the
        R-linear derivatives of ``conj``, ``real``, ``imag`` or ``abs``).
    WengertTypeError
        For complex inputs and outputs without ``holomorphic=True``, or a forced mode that
        cannot be exact: ``"fwd"`` with complex inputs, ``"rev"`` with complex outputs.
        ``"auto"`` takes reverse mode for complex inputs and forward mode for complex outputs.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> f = lambda x: wnp.sum(wnp.sin(x))
    >>> J, report = wg.jacobian(f, explain=True)(np.zeros(3))
    >>> J
    array([1., 1., 1.])
    >>> report.n, report.m, report.choice in ("fwd", "rev", "mixed")
    (3, 1, True)
    >>> wg.jacobian(f, mode="rev", explain=True)(np.zeros(3))[1].reason
    "mode='rev' was asked for."
    """
    return _jacobian_fn("jacobian", fun, argnums, has_aux, chunk_size, mode, explain,
                        holomorphic)


def linearize(fun, *primals):
    """Return ``(fun(*primals), f_jvp)`` where ``f_jvp(*tangents)`` is J(primals) @ tangents.

    ``fun`` runs once; each ``f_jvp`` call is a forward sweep over the recorded Wengert list.

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> y, f_jvp = wg.linearize(wnp.sin, 0.0)
    >>> float(f_jvp(2.0))
    2.0
    """
    flat, in_tree = _api.flatten_float_args("linearize", primals, range(len(primals)))
    flat_fun, out_store = _api.flatten_fun(fun, in_tree, False, "linearize")
    trace, out_vals = record(flat_fun, flat)
    out_tree, _ = out_store()

    def f_jvp(*tangents):
        if len(tangents) != len(primals):
            raise WengertValueError(
                f"linearize: f_jvp takes one tangent per primal ({len(primals)}), got "
                f"{len(tangents)}."
            )
        flat_t, t_tree = _api.flatten_leaves(tuple(tangents))
        _, flat_t = _api.check_tangents("linearize", flat, flat_t, in_tree, t_tree)
        return _api.unflatten(out_tree, jvp_sweep(trace, flat_t))

    return _api.unflatten(out_tree, out_vals), f_jvp


# --- the mode choice ---------------------------------------------------------------------


@dataclass(frozen=True)
class JacobianCost:
    """The predicted cost of each way to accumulate one Jacobian, and the choice.

    Predicted times are microseconds on the reference machine of ``cost.MODEL`` (only their
    ratios decide): arithmetic at BLAS or NumPy speed, Python overhead per rule, sweep and
    operation, and for reverse mode the bytes it keeps.

    Attributes
    ----------
    n, m : the number of differentiated inputs and of outputs (scalars).
    num_eqns : equations of the recorded list that some output depends on.
    forward_sweeps, reverse_sweeps : vectorised sweeps each mode runs (chunks).
    forward_flops, reverse_flops : their arithmetic: over the equations, the directions
        reaching each times its JVP (or VJP) flops.
    forward_multiplications, reverse_multiplications : the multiplications by local partial
        derivatives among those flops (additions and data movement are free).
    kept_bytes : the recorded values the backward pass keeps.
    forward, reverse : predicted time of each sweep (``inf`` when a primitive on the way
        lacks the JVP or VJP rule it needs).
    mixed_multiplications : multiplications of vertex elimination in Markowitz order.
    mixed_flops : its arithmetic, block products plus building the local blocks.
    mixed : its predicted time, or None where elimination does not apply.
    choice : ``"fwd"``, ``"rev"`` or ``"mixed"``: the mode that runs.
    reason : one sentence saying why.
    """

    n: int
    m: int
    num_eqns: int
    forward_sweeps: int
    reverse_sweeps: int
    forward_flops: int
    reverse_flops: int
    forward_multiplications: int
    reverse_multiplications: int
    kept_bytes: int
    forward: float
    reverse: float
    mixed_multiplications: int | None
    mixed_flops: int | None
    mixed: float | None
    choice: str
    reason: str

    def cost_of(self, mode: str) -> float | None:
        """Return the predicted time of ``mode`` (``"fwd"``, ``"rev"`` or ``"mixed"``)."""
        return {"fwd": self.forward, "rev": self.reverse, "mixed": self.mixed}[mode]

    @property
    def sweep_choice(self) -> str:
        """The cheaper pure sweep, ``"fwd"`` or ``"rev"``: the lecture's rule, refined."""
        return "fwd" if self.forward <= self.reverse else "rev"

    def __str__(self) -> str:
        def num(x):
            if x is None:
                return "-"
            return "no rule" if x == math.inf else f"{x:,.0f}"

        mark = {k: "<- chosen" if self.choice == k else "" for k in ("fwd", "rev", "mixed")}
        rows = [
            ("mode", "sweeps", "directions", "flops", "multiplications", "predicted us", ""),
            ("forward", str(self.forward_sweeps), str(self.n), num(self.forward_flops),
             num(self.forward_multiplications), num(self.forward), mark["fwd"]),
            ("reverse", str(self.reverse_sweeps), str(self.m), num(self.reverse_flops),
             num(self.reverse_multiplications), num(self.reverse), mark["rev"]),
            ("mixed", "-", "-", num(self.mixed_flops), num(self.mixed_multiplications),
             num(self.mixed), mark["mixed"]),
        ]
        widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
        head = f"Jacobian of f: R^{self.n} -> R^{self.m}, {self.num_eqns} equations on the list"
        lines = [head]
        for k, r in enumerate(rows):
            cells = [c.ljust(w) if i in (0, 6) else c.rjust(w)
                     for i, (c, w) in enumerate(zip(r, widths))]
            lines.append("  ".join(cells).rstrip())
            if k == 0:
                lines.append("  ".join("-" * w for w in widths[:-1]))
        notes = [f"reverse mode keeps {self.kept_bytes:,} B of recorded values"]
        if self.mixed is None:
            notes.append("vertex elimination does not apply (a block too large, a rule "
                         "missing or complex values)")
        else:
            notes.append("mixed = vertex elimination in Markowitz order (greedy)")
        lines.append("; ".join(notes) + ".")
        lines.append(f"choice: {_MODE_NAMES[self.choice]}. {self.reason}")
        return "\n".join(lines)


def jacobian_cost(fun, *args, argnums=0, has_aux: bool = False,
                  chunk_size: int | None = None) -> JacobianCost:
    """Return the predicted cost of forward, reverse and mixed-mode Jacobians of ``fun`` at args.

    Records ``fun(*args)`` once and reads the list: n and m, each equation's JVP and VJP
    flops times the number of directions that reach it, the bytes the backward pass keeps,
    the vertex-elimination plan, and per-sweep overhead. This is what
    ``jacobian(fun, mode="auto")`` decides with; ``print`` the report to see the table.
    (Keyword arguments of ``fun`` are not forwarded; bind them with ``functools.partial``.)

    Examples
    --------
    >>> import numpy as np, wengert as wg, wengert.numpy as wnp
    >>> tall = lambda x: wnp.cumsum(wnp.sin(wnp.repeat(x, 2000)))  # R^3 -> R^6000
    >>> report = wg.jacobian_cost(tall, np.ones(3))
    >>> report.n, report.m, report.choice, report.reverse > 100 * report.forward
    (3, 6000, 'fwd', True)
    >>> print(str(report).splitlines()[0])
    Jacobian of f: R^3 -> R^6000, 5 equations on the list
    """
    if not callable(fun):
        raise WengertTypeError(f"jacobian_cost: expected a function, got {type(fun).__name__}.")
    _check_chunk_size("jacobian_cost", chunk_size)
    rec = _record("jacobian_cost", fun, args, argnums, has_aux, {})
    return _predict(rec, chunk_size, "auto")[1]


def _reach(trace, diffs, in_sizes, out_sizes):
    """Return, per equation, the number of input directions reaching it and of output
    directions it reaches (sums of leaf sizes, tracked as bitmasks of leaves)."""
    totals = {}

    def total(mask, sizes, which):
        key = (mask, which)
        if key not in totals:
            totals[key] = sum(s for k, s in enumerate(sizes) if mask >> k & 1)
        return totals[key]

    fwd_mask = {v.id: 1 << j for j, v in enumerate(trace.invars)}
    n_e = []
    for eqn, diff in zip(trace.eqns, diffs):
        mask = 0
        for i in diff:
            mask |= fwd_mask.get(eqn.inputs[i].id, 0)
        fwd_mask[eqn.out.id] = mask
        n_e.append(total(mask, in_sizes, 0))
    rev_mask = {}
    for k, v in enumerate(trace.outvars):
        if type(v) is Var:
            rev_mask[v.id] = rev_mask.get(v.id, 0) | 1 << k
    m_e = []
    for eqn, diff in zip(reversed(trace.eqns), reversed(diffs)):
        mask = rev_mask.get(eqn.out.id, 0)
        for i in diff:
            vid = eqn.inputs[i].id
            rev_mask[vid] = rev_mask.get(vid, 0) | mask
        m_e.append(total(mask, out_sizes, 1))
    m_e.reverse()
    return n_e, m_e


def _sweep_time(costs, reach, width, sweeps, per_direction, rule_us):
    """Predicted microseconds of ``sweeps`` vectorised sweeps of ``width`` directions each.

    Each equation reached costs Python overhead per rule and its fixed work once per sweep,
    and its per-direction flops once per direction (``reach`` directions in all).
    """
    model = cost.MODEL
    fixed = model.sweep_us
    work = 0.0
    for c, r in zip(costs, reach):
        if r == 0 or not c.diff:
            continue
        fixed += rule_us * len(c.diff) + model.flops_us(c.fixed)
        work += model.flops_us(r * per_direction(c), c.product)
    return sweeps * fixed + work


def _predict(rec: _Recorded, chunk_size, mode, quick=False):
    """Predict each mode's cost from the recorded list and pick one (``mode`` if forced).

    Returns the choice, the report and the elimination plan (reused when elimination runs).
    ``quick`` (for ``jacobian`` without ``explain``) skips the report, and the elimination
    plan when the sweeps are too cheap for it to be considered.
    """
    model = cost.MODEL
    trace = rec.trace
    in_sizes, out_sizes = _sizes(rec.flat), _sizes(rec.out_vals)
    n, m = sum(in_sizes), sum(out_sizes)
    costs = [cost.eqn_cost(e) for e in trace.eqns]
    n_e, m_e = _reach(trace, [c.diff for c in costs], in_sizes, out_sizes)
    fwd_sweeps = len(_chunks(n, chunk_size))
    rev_sweeps = len(_chunks(m, chunk_size))
    kept = cost.kept_bytes(trace)
    fwd_flops = sum(r * c.jvp for c, r in zip(costs, n_e))
    rev_flops = sum(r * c.vjp for c, r in zip(costs, m_e))
    # Every mode ends by reshaping each (output, input) block: a few operations per block.
    assembly = 2 * model.op_us * len(in_sizes) * len(out_sizes)
    forward = _sweep_time(costs, n_e, n, fwd_sweeps, lambda c: c.jvp, model.rule_us) + assembly
    reverse = (_sweep_time(costs, m_e, m, rev_sweeps, lambda c: c.vjp, model.vjp_rule_us)
               + assembly
               + kept / model.bytes_per_us)
    # A sweep that would meet a primitive without the rule it needs is never chosen.
    if any(r and c.diff and e.prim.jvp is None for e, c, r in zip(trace.eqns, costs, n_e)):
        forward = math.inf
    if any(r and c.diff and e.prim.vjp is None for e, c, r in zip(trace.eqns, costs, m_e)):
        reverse = math.inf
    # When the sweeps are predicted so cheap that planning an elimination would cost a good
    # part of them, auto takes the better sweep without planning (the report still shows
    # elimination's prediction, so the choice is the same with or without it).
    cheap = min(forward, reverse) < model.plan_worth_us
    if (quick and mode == "auto" and cheap) or _holds_complex(trace):
        # Elimination's complex block products cannot represent R-linear derivatives.
        plan, mixed = None, None
    else:
        plan = elimination.plan(trace, costs)
        mixed = plan.time_us + assembly if plan.feasible else None
    feasible = plan is not None and plan.feasible
    predicted = {"fwd": forward, "rev": reverse}
    if mixed is not None:
        predicted["mixed"] = mixed
    candidates = {k: v for k, v in predicted.items() if not (k == "mixed" and cheap)}
    if mode == "auto":
        choice = min(candidates, key=lambda k: (candidates[k], _MODES.index(k)))
    else:
        choice = mode
    if quick:
        return choice, None, plan
    reason = (_reason(choice, candidates, n, m) if mode == "auto"
              else f"mode={mode!r} was asked for.")
    if mode == "auto" and cheap and mixed is not None:
        reason += (f" (Elimination is not considered below {model.plan_worth_us:.0f} us of "
                   "predicted sweep time: planning it would cost a good part of that.)")
    report = JacobianCost(
        n=n, m=m, num_eqns=len(trace.eqns), forward_sweeps=fwd_sweeps,
        reverse_sweeps=rev_sweeps, forward_flops=int(fwd_flops), reverse_flops=int(rev_flops),
        forward_multiplications=sum(r * c.mults for c, r in zip(costs, n_e)),
        reverse_multiplications=sum(r * c.mults for c, r in zip(costs, m_e)),
        kept_bytes=kept, forward=float(forward), reverse=float(reverse),
        mixed_multiplications=plan.multiplications if feasible else None,
        mixed_flops=plan.flops if feasible else None, mixed=mixed, choice=choice,
        reason=reason,
    )
    return choice, report, plan


def _reason(choice, predicted, n, m) -> str:
    others = [k for k in predicted if k != choice]
    runner = min(others, key=lambda k: predicted[k])
    ratio = predicted[runner] / predicted[choice] if predicted[choice] > 0 else math.inf
    if n < m:
        rule = f"n = {n} inputs < m = {m} outputs"
    elif n > m:
        rule = f"n = {n} inputs > m = {m} outputs"
    else:
        rule = f"n = m = {n}"
    runner_name = _MODE_NAMES[runner].split(" ")[0]
    if ratio == math.inf:
        return f"{rule}; {runner_name} mode would meet a primitive without the rule it needs."
    return f"{rule}; predicted {ratio:.2f}x faster than {runner_name} mode."
