"""``wengert.scipy.integrate.odeint``: SciPy's ODE solver, differentiable to any order.

``odeint(func, y0, t, args=())`` integrates ``dy/dt = func(y, t, *args)`` with
``scipy.integrate.odeint`` (LSODA) on plain arrays and is differentiable with respect to
``y0``, the time points ``t`` and the extra arguments ``args``:

* **reverse mode** (``custom_vjp``): the backward pass solves the adjoint ODE backwards in
  time, interval by interval, on the augmented state ``(y, a, a_t, a_args)`` with
  ``da/dt = -aᵀ ∂f/∂y``, ``da_args/dt = -aᵀ ∂f/∂args`` (Chen et al. 2018; the scheme of JAX's
  ``jax.experimental.ode.odeint``); the vector-Jacobian products of ``func`` come from
  ``wengert.vjp``;
* **forward mode** (``custom_jvp``, called by the custom VJP's primal, so ``jvp`` and
  ``jacfwd`` work): the forward sensitivity equations ``ds/dt = ∂f/∂y s + ∂f/∂args ȧrgs``,
  ``s(t₀) = ẏ₀ - f(y₀, t₀) ṫ₀``, integrated alongside ``y``; the tangent at ``tᵢ`` adds
  ``f(yᵢ, tᵢ) ṫᵢ``. The JVPs of ``func`` come from ``wengert.jvp``.

As in JAX, both rules solve their augmented systems with this same differentiable ``odeint``,
on whatever tracers their inputs carry, so a second derivative (``grad`` of ``grad``,
``hessian``, ``jvp`` of ``grad``) differentiates the auxiliary solves by these same rules, and
so on to any order. The recursion ends at the plain level: with no tracer left, ``odeint`` is
``scipy.integrate.odeint`` on plain arrays. The auxiliary systems run at the caller's
tolerances, so derivatives carry the ODE solver's error (about ``rtol``), not rounding error,
and reverse and forward mode agree to about that. Parameters that ``func`` closes over are
constants: pass what you differentiate in ``args``.
Imports: core, ``wengert.numpy``, the transforms (``jvp``, ``vjp``, custom rules), NumPy and
``scipy.integrate``.
"""

from __future__ import annotations

import numpy as np
import scipy.integrate as _si

from .. import numpy as wnp
from .. import tree as _tree
from ..core.errors import UnsupportedError, WengertValueError, describe
from ..core.tracer import Tracer
from ..primitives.batching import map_examples
from ..primitives.special import custom_jvp, custom_vjp
from ..transforms.forward import jvp as _jvp
from ..transforms.reverse import vjp as _vjp

__all__ = ["odeint"]

# Options forwarded to scipy.integrate.odeint for the solution and the auxiliary systems.
_OPTIONS = ("rtol", "atol", "tcrit", "h0", "hmax", "hmin", "mxstep")


def _any_traced(*xs) -> bool:
    return any(isinstance(x, Tracer) for x in _tree.leaves(xs))


def odeint(func, y0, t, args=(), Dfun=None, col_deriv=0, full_output=0, ml=None, mu=None,
           rtol=None, atol=None, tcrit=None, h0=0.0, hmax=0.0, hmin=0.0, ixpr=0, mxstep=0,
           mxhnil=0, mxordn=12, mxords=5, printmessg=0, tfirst=False):
    """Integrate ``dy/dt = func(y, t, *args)`` from ``y(t[0]) = y0``; return ``y`` at each ``t``.

    The signature is ``scipy.integrate.odeint``'s, and so is the result: an array of shape
    ``(len(t), len(y0))``. On traced input it is differentiable with respect to ``y0``, ``t``
    and each array in ``args``, in reverse mode by the adjoint method and in forward mode by
    the forward sensitivity equations, to any order (see the module docstring). ``func`` must
    be written with ``wengert.numpy`` so that its own derivatives can be taken.

    Raises
    ------
    UnsupportedError
        If traced and ``full_output``, ``Dfun``, banded Jacobians or ``tfirst`` are requested.

    Examples
    --------
    >>> import numpy as np, wengert as wg
    >>> from wengert.scipy.integrate import odeint
    >>> t = np.array([0.0, 1.0])
    >>> decay = lambda y, t, k: -k * y
    >>> float(odeint(decay, np.array([2.0]), t, args=(0.5,))[1, 0])  # 2 exp(-0.5)
    1.21306...
    >>> g = wg.grad(lambda k: odeint(decay, np.array([2.0]), t, args=(k,))[1, 0])(0.5)
    >>> float(g)  # d/dk 2 exp(-k) = -2 exp(-k)
    -1.21306...
    >>> h = wg.grad(wg.grad(lambda k: odeint(decay, np.array([2.0]), t, args=(k,),
    ...                                      rtol=1e-10, atol=1e-10)[1, 0]))(0.5)
    >>> round(float(h), 6)  # d²/dk² 2 exp(-k) = 2 exp(-k)
    1.213061
    """
    if not isinstance(args, tuple):
        args = (args,)
    if not _any_traced(y0, t, args):
        return _si.odeint(func, y0, t, args=args, Dfun=Dfun, col_deriv=col_deriv,
                          full_output=full_output, ml=ml, mu=mu, rtol=rtol, atol=atol,
                          tcrit=tcrit, h0=h0, hmax=hmax, hmin=hmin, ixpr=ixpr, mxstep=mxstep,
                          mxhnil=mxhnil, mxordn=mxordn, mxords=mxords, printmessg=printmessg,
                          tfirst=tfirst)
    refused = [name for name, value, default in (
        ("Dfun", Dfun, None), ("full_output", full_output, 0), ("ml", ml, None),
        ("mu", mu, None), ("tfirst", tfirst, False)) if value != default]
    if refused:
        raise UnsupportedError(
            f"wengert.scipy.integrate.odeint: {', '.join(refused)} cannot be used while "
            "differentiating; leave them at their defaults (wengert supplies the Jacobian "
            "products itself, and func takes (y, t, *args))."
        )
    options = {"rtol": rtol, "atol": atol, "tcrit": tcrit, "h0": h0, "hmax": hmax,
               "hmin": hmin, "mxstep": mxstep}
    y0, t = _as_state(y0), _as_times(t)
    args = tuple(a if isinstance(a, Tracer) else np.asarray(a, float) for a in args)
    return _differentiable_odeint(func, options)(y0, t, *args)


def _as_state(y0):
    y0 = y0 if isinstance(y0, Tracer) else np.asarray(y0, float)
    if y0.ndim > 1:
        raise WengertValueError(
            "wengert.scipy.integrate.odeint: expected y0 to be a scalar or a 1-D array, but "
            f"received {describe(y0)}. Flatten the state (y0.ravel()) and reshape inside func."
        )
    return wnp.reshape(y0, (-1,)) if y0.ndim == 0 else y0


def _as_times(t):
    t = t if isinstance(t, Tracer) else np.asarray(t, float)
    if t.ndim != 1 or t.shape[0] < 1:
        raise WengertValueError(
            "wengert.scipy.integrate.odeint: expected t to be a 1-D array of time points, but "
            f"received {describe(t)}."
        )
    return t


def _differentiating(*xs) -> bool:
    """Whether some value is traced by a differentiating transform (not only by ``vmap``)."""
    for x in _tree.leaves(xs):
        while isinstance(x, Tracer):
            if not x._holds_batch:
                return True
            x = x._value()
    return False


def _solve(fn, state, times, options):
    """``scipy.integrate.odeint`` on a flat plain state."""
    return _si.odeint(lambda y, s: np.asarray(fn(y, s), float), state, times,
                      **{k: v for k, v in options.items() if k in _OPTIONS})


def _flat(x):
    return wnp.reshape(x, (-1,))


def _differentiable_odeint(func, options):
    """The solver as ``f(y0, t, *args)`` with a forward-sensitivity JVP and an adjoint VJP.

    Both rules call this solver again on an augmented system, with whatever tracers their
    inputs carry, so a further transform differentiates them by these same rules. The primal
    solves on plain arrays through ``map_examples`` (under ``vmap``, example by example); on
    values that a differentiating transform still traces it hands them back to that transform.
    """

    def solve(y0, t, *args):
        return _solve(lambda y, s: func(y, s, *args), y0, t, options)

    def primal(y0, t, *args):
        if _differentiating(y0, t, args):
            # Reached from a transform that stripped only its own tracers (reverse mode over
            # the custom JVP): let the outer transforms apply their rules.
            return with_vjp(y0, t, *args)
        return map_examples(solve, y0, t, *args)

    with_jvp = custom_jvp(primal)

    @with_jvp.defjvp
    def _forward(primals, tangents):
        return _sensitivities(func, primals, tangents, options)

    with_vjp = custom_vjp(with_jvp)

    def fwd(y0, t, *args):
        ys = with_jvp(y0, t, *args)
        return ys, (ys, t, args)

    def bwd(res, g):
        ys, t, args = res
        return _adjoint(func, ys, t, args, g, options)

    with_vjp.defvjp(fwd, bwd)
    return with_vjp


def _sensitivities(func, primals, tangents, options):
    """``(ys, ys_dot)`` by the forward sensitivity equations, solved by ``odeint`` itself."""
    (y0, t, *args), (y0_dot, t_dot, *args_dot) = primals, tangents
    args, args_dot, k = tuple(args), tuple(args_dot), len(args)
    n = y0.shape[0]
    # s(t₀) = ẏ₀ - f(y₀, t₀) ṫ₀: moving the start time moves the whole trajectory.
    s0 = y0_dot - func(y0, t[0], *args) * t_dot[0]

    def augmented(z, s, *params):
        y, sens, a, a_dot = z[:n], z[n:], params[:k], params[k:]
        y_dot, sens_dot = _jvp(lambda y, a: func(y, s, *a), (y, a), (sens, a_dot))
        return wnp.concatenate([_flat(y_dot), _flat(sens_dot)])

    z = odeint(augmented, wnp.concatenate([y0, s0]), t, args=args + args_dot, **options)
    ys, sens = z[:, :n], z[:, n:]
    f_at = wnp.stack([_flat(func(ys[i], t[i], *args)) for i in range(t.shape[0])])
    ys_dot = sens + f_at * wnp.reshape(t_dot, (-1, 1))
    # y(t₀) = y₀ whatever t₀ is.
    ys_dot = wnp.concatenate([wnp.reshape(y0_dot, (1, n)), ys_dot[1:]])
    return ys, ys_dot


def _adjoint(func, ys, t, args, g, options):
    """Cotangents ``(y0_bar, t_bar, *args_bar)`` from ``g``, by the adjoint ODE.

    Between observations the state ``(y, a, a_t, a_args)`` runs backwards in time (as
    ``s = -t`` increasing): ``dy/ds = -f``, ``da/ds = aᵀ ∂f/∂y``, ``da_t/ds = aᵀ ∂f/∂t``,
    ``da_args/ds = aᵀ ∂f/∂args``; at each observation ``g[i]`` joins ``a``. Each interval is
    solved by ``odeint`` itself, so the cotangents are differentiable in turn.
    """
    n = ys.shape[1]

    def augmented(z, s, *params):
        y, a = z[:n], z[n : 2 * n]
        y_dot, f_vjp = _vjp(lambda y, tt, *p: func(y, tt, *p), y, -s, *params)
        a_y, a_t, *a_args = f_vjp(a)
        return wnp.concatenate([-_flat(y_dot), _flat(a_y), _flat(a_t)]
                               + [_flat(x) for x in a_args])

    a = g[-1]
    t0_bar = wnp.zeros((1,))
    args_bar = wnp.zeros((sum(int(np.prod(np.shape(x))) for x in args),))
    t_bars = []
    for i in range(t.shape[0] - 1, 0, -1):
        # Moving the observation time tᵢ moves yᵢ along f.
        t_bar_i = wnp.sum(_flat(func(ys[i], t[i], *args)) * g[i])
        t_bars.append(t_bar_i)
        t0_bar = t0_bar - t_bar_i
        z0 = wnp.concatenate([ys[i], a, t0_bar, args_bar])
        z1 = odeint(augmented, z0, wnp.stack([-t[i], -t[i - 1]]), args=args, **options)[-1]
        a = z1[n : 2 * n] + g[i - 1]
        t0_bar = z1[2 * n : 2 * n + 1]
        args_bar = z1[2 * n + 1 :]
    t_bar = wnp.concatenate([t0_bar] + [wnp.reshape(x, (1,)) for x in reversed(t_bars)])
    cts, offset = [a, t_bar], 0
    for x in args:
        size = int(np.prod(np.shape(x)))
        cts.append(wnp.reshape(args_bar[offset : offset + size], np.shape(x)))
        offset += size
    return tuple(cts)
