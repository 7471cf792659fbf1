"""Derivative checkers: finite differences and the exact JVP/VJP cross-check. Public.

``check_grads`` is what wengert tests its own rules with, and what users test theirs with:

* the JVP along one random direction ``v`` is compared with a central difference;
* the VJP is checked without building a Jacobian, through ⟨u, J v⟩ = ⟨Jᵀu, v⟩ for a random
  output direction ``u`` (against the JVP when forward mode is checked too, which is exact up
  to rounding, and against the finite difference otherwise);
* ``order=2`` repeats both checks on the JVP and VJP functions themselves, and so on.

Steps are ``eps * max(1, |x|_inf)`` along a unit direction. Imports: transforms, tree, NumPy.
"""

from __future__ import annotations

import numpy as np

from . import tree as _tree
from .core.ir import Var
from .core.tracer import bind
from .transforms.forward import jvp
from .transforms.reverse import trace, vjp

__all__ = ["check_grads", "check_jvp_vjp_consistency", "check_primitive_rules", "check_values",
           "numerical_grad", "numerical_jvp"]


def _leaves(x):
    return [np.asarray(v) for v in _tree.leaves(x)]


def _inner(a, b) -> float:
    # The bilinear pairing Re Σ a·b (no conjugation) that VJP rules transpose for, also for
    # complex values (docs/design.md §5c); for real values it is the dot product.
    la, lb = _leaves(a), _leaves(b)
    return float(sum(np.sum(x * y).real for x, y in zip(la, lb)))


def _axpy(alpha, x, y):
    """alpha * x + y over pytrees of arrays, keeping each leaf's dtype."""
    return _tree.map(lambda a, b: (b + alpha * np.asarray(a)).astype(np.result_type(b)), x, y)


def _random_like(tree, rng):
    # Complex leaves get complex directions, so that the real and the imaginary direction
    # are both checked.
    def draw(a):
        a = np.asarray(a)
        if a.dtype.kind == "f":
            return rng.standard_normal(a.shape).astype(a.dtype)
        if a.dtype.kind == "c":
            z = rng.standard_normal(a.shape) + 1j * rng.standard_normal(a.shape)
            return z.astype(a.dtype)
        return a

    return _tree.map(draw, tree)


def _inexact(x):
    """``x`` as a float64 or complex128 array (complex kept complex)."""
    x = np.asarray(x)
    return x.astype(complex) if x.dtype.kind == "c" else x.astype(float)


def _norm_tree(tree):
    n = np.sqrt(sum(float(np.sum(np.abs(v) ** 2)) for v in _leaves(tree)))
    return n


def numerical_jvp(f, primals, tangents, eps: float = 1e-6):
    """Central-difference estimate of J(primals) @ tangents (same structure as f's output).

    The step is ``eps * max(1, max|x|)`` along ``tangents`` scaled to unit norm.
    """
    primals = tuple(primals)
    tangents = tuple(tangents)
    tnorm = _norm_tree(tangents)
    if tnorm == 0:
        return _tree.map(lambda o: np.zeros_like(_inexact(o)), f(*primals))
    scale = max([1.0] + [float(np.max(np.abs(v))) for v in _leaves(primals) if v.size])
    h = eps * scale / tnorm
    plus = f(*_axpy(h, tangents, primals))
    minus = f(*_axpy(-h, tangents, primals))
    return _tree.map(lambda p, m: (_inexact(p) - _inexact(m)) / (2 * h), plus, minus)


def numerical_grad(f, x, eps: float = 1e-6):
    """Gradient of scalar ``f`` at array ``x`` by central differences, one coordinate at a time.

    Costs 2·x.size evaluations of f: the "2dT" of finite differences. For complex ``x`` it
    is ∂f/∂x − i ∂f/∂y (the convention of ``grad``), at twice the cost.
    """
    x = np.asarray(x)
    x = x.astype(complex) if x.dtype.kind == "c" else x.astype(float)
    g = np.zeros_like(x)
    flat = g.reshape(-1)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.reshape(-1)[i] = 1.0
        flat[i] = float(np.real(numerical_jvp(f, (x,), (e,), eps)))
        if x.dtype.kind == "c":
            e.reshape(-1)[i] = 1j
            flat[i] -= 1j * float(np.real(numerical_jvp(f, (x,), (e,), eps)))
    return g


def _close(name, a, b, rtol, atol, what):
    la, lb = _leaves(a), _leaves(b)
    for k, (x, y) in enumerate(zip(la, lb)):
        x = _inexact(x)
        y = _inexact(y)
        if x.shape != y.shape:
            raise AssertionError(f"{name}: {what} leaf {k}: shape {x.shape} != {y.shape}")
        if not np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True):
            err = np.max(np.abs(x - y)) if x.size else 0.0
            raise AssertionError(
                f"{name}: {what} disagree (leaf {k}, max abs error {err:.3e}, rtol={rtol}, "
                f"atol={atol}):\n  got      {x.ravel()[:8]}\n  expected {y.ravel()[:8]}"
            )


def _scalar_close(name, a, b, rtol, atol, what):
    if not np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True):
        raise AssertionError(f"{name}: {what}: {a!r} != {b!r} (rtol={rtol}, atol={atol})")


def check_jvp_vjp_consistency(f, args, rng=None, rtol: float = 1e-10, atol: float = 1e-12):
    """Check ⟨u, J v⟩ = ⟨Jᵀu, v⟩ exactly (to rounding) for random u, v. No finite differences.

    For complex values the pairing is ⟨a, b⟩ = Re Σ a·b (no conjugation), the one VJP rules
    are transposes for, and u, v are complex.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    args = tuple(args)
    v = _random_like(args, rng)
    _out, out_dot = jvp(f, args, v)
    out2, f_vjp = vjp(f, *args)
    u = _random_like(out2, rng)
    lhs = _inner(u, out_dot)
    rhs = _inner(f_vjp(u), v)
    scale = max(1.0, abs(lhs), abs(rhs))
    _scalar_close("check_jvp_vjp_consistency", lhs / scale, rhs / scale, rtol, atol,
                  "<u, J v> vs <J^T u, v>")


def check_grads(f, args, order: int = 2, modes=("fwd", "rev"), eps: float = 1e-6,
                rtol: float = 1e-5, atol: float = 1e-7, rng=None) -> None:
    """Check f's derivatives against central differences, to the given order.

    Parameters
    ----------
    f : function of ``len(args)`` arrays (or pytrees of arrays) returning arrays.
    args : tuple of float64 (or complex128) arrays at which to check. Complex arguments get
        complex directions; the VJP check then uses the pairing Re Σ a·b.
    order : how many times to differentiate (1 checks first derivatives).
    modes : any of "fwd" (JVP vs central difference) and "rev" (⟨u, Jv⟩ = ⟨Jᵀu, v⟩).
    rng : ``np.random.Generator`` for the random directions (default: seed 0).

    Raises
    ------
    AssertionError naming the check, the order and the error.

    Examples
    --------
    >>> import numpy as np, wengert.numpy as wnp
    >>> from wengert.testing import check_grads
    >>> check_grads(lambda x: wnp.tanh(x) * x, (np.array([0.3, -1.2]),), order=3)
    """
    rng = np.random.default_rng(0) if rng is None else rng
    args = tuple(_tree.map(np.asarray, a) for a in args)
    _check(f, args, order, tuple(modes), eps, rtol, atol, rng, level=1)


def _check(f, args, order, modes, eps, rtol, atol, rng, level):
    name = f"check_grads (order {level})"
    v = _random_like(args, rng)
    num = numerical_jvp(f, args, v, eps)
    if "fwd" in modes:
        _, out_dot = jvp(f, args, v)
        _close(name, out_dot, num, rtol, atol, "JVP and finite difference")
    if "rev" in modes:
        out, f_vjp = vjp(f, *args)
        u = _random_like(out, rng)
        lhs_num = _inner(u, num)
        rhs = _inner(f_vjp(u), v)
        scale = max(1.0, abs(lhs_num))
        _scalar_close(name, rhs / scale, lhs_num / scale, rtol, atol,
                      "<J^T u, v> (VJP) vs <u, J v> (finite difference)")
        if "fwd" in modes:
            lhs = _inner(u, out_dot)
            s2 = max(1.0, abs(lhs), abs(rhs))
            _scalar_close(name, lhs / s2, rhs / s2, 1e-9, 1e-11,
                          "<u, J v> (JVP) vs <J^T u, v> (VJP), exact cross-check")
    if order > 1:
        if "fwd" in modes:
            v_fixed = v
            _check(lambda *x: jvp(f, x, v_fixed)[1], args, order - 1, modes, eps, rtol, atol,
                   rng, level + 1)
        if "rev" in modes:
            out, _ = vjp(f, *args)
            u_fixed = _random_like(out, rng)
            _check(lambda *x: vjp(f, *x)[1](u_fixed), args, order - 1, modes, eps, rtol,
                   atol, rng, level + 1)


def check_values(f, args, expected, rtol: float = 0.0, atol: float = 0.0):
    """Check ``f(*args)`` against a reference value plainly and under ``jvp`` and ``vjp``.

    The plain call, the primal of ``jvp`` (along the arguments themselves) and the primal of
    ``vjp`` must equal ``expected`` (to ``rtol``/``atol``; exactly by default) in value, shape
    and dtype, no call may warn, the tangent must have the output's shape and dtype, and each
    cotangent its argument's. Returns ``(tangent, cotangents)`` for further checks.

    Raises
    ------
    AssertionError naming what differs.

    Examples
    --------
    >>> import numpy as np, wengert.numpy as wnp
    >>> x = np.array([0.5, 2.0])
    >>> tangent, (ct,) = check_values(wnp.log, (x,), np.log(x))
    >>> tangent.tolist()
    [1.0, 1.0]
    """
    import warnings

    expected = np.asarray(expected)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plain = f(*args)
        traced, tangent = jvp(f, tuple(args), tuple(args))
        out, f_vjp = vjp(f, *args)
        cts = f_vjp(np.ones_like(expected))
    for what, value in (("plain", plain), ("jvp primal", traced), ("vjp primal", out)):
        np.testing.assert_allclose(value, expected, rtol=rtol, atol=atol, err_msg=what)
        assert np.shape(value) == expected.shape, (what, np.shape(value), expected.shape)
        assert np.result_type(value) == expected.dtype, (what, np.result_type(value))
    assert np.shape(tangent) == expected.shape and np.result_type(tangent) == expected.dtype
    for i, (ct, a) in enumerate(zip(cts, args)):
        assert ct.shape == np.shape(a) and ct.dtype == np.result_type(a), ("cotangent", i)
    return tangent, cts


def check_primitive_rules(f, args, eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-7,
                          rng=None) -> int:
    """Check each primitive's rules along f's Wengert list, and name the first one that is wrong.

    ``check_grads`` says *that* a function's derivative is off; this says *where*: it records
    ``f`` at ``args`` and runs a first-order ``check_grads`` on every equation, at the values
    that equation saw. Returns the number of equations checked.

    Raises
    ------
    AssertionError naming the equation (``v3 = mul w2 v1``), its primitive and the error.

    Examples
    --------
    >>> import numpy as np, wengert.numpy as wnp
    >>> from wengert.testing import check_primitive_rules
    >>> check_primitive_rules(lambda x: wnp.sum(wnp.tanh(x) ** 2), (np.array([0.5, -1.0]),))
    3
    """
    rng = np.random.default_rng(0) if rng is None else rng
    t = trace(f)(*args)
    names = t.names()
    checked = 0
    for eqn in t.eqns:
        vals = [t.value_of(x) for x in eqn.inputs]
        diff = [i for i, x in enumerate(eqn.inputs)
                if isinstance(x, Var) and i not in eqn.prim.nondiff
                and np.result_type(vals[i]).kind in "fc"]
        if not diff:
            continue

        def g(*d, eqn=eqn, vals=vals, diff=diff):
            full = list(vals)
            for i, v in zip(diff, d):
                full[i] = v
            return bind(eqn.prim, *full, **eqn.params)

        try:
            check_grads(g, tuple(vals[i] for i in diff), order=1, eps=eps, rtol=rtol, atol=atol,
                        rng=rng)
        except AssertionError as exc:
            line = f"{names[eqn.out.id]} = {eqn.prim.name} " + " ".join(
                t.operand_str(x, names) for x in eqn.inputs)
            raise AssertionError(
                f"the rules of primitive '{eqn.prim.name}' are wrong at equation `{line}`: "
                f"{exc}"
            ) from None
        checked += 1
    return checked
