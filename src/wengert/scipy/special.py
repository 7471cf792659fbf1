"""``wengert.scipy.special``: SciPy's special functions, differentiable in both modes.

Each function takes plain and traced arrays alike. With no traced argument it calls SciPy and
returns exactly SciPy's result; otherwise it casts and broadcasts like SciPy's ufunc (NumPy's
loop selection) and binds a primitive of ``wengert/primitives/scipy_special.py``, where the
derivative rules live. ``softmax``, ``log_softmax`` and ``multigammaln`` are compositions.
Derivatives are available to any order, except:

* orders of Bessel functions (``v``, ``n``) and ``polygamma``'s ``n`` are integers (or
  indices) and carry no derivative; ``gammasgn`` is piecewise constant (derivative 0);
* ``betainc``/``betaincc`` in ``a`` and ``b``, ``gammainc``/``gammaincc`` in ``a`` and
  ``stdtr`` in ``df`` have no closed-form derivative: wengert evaluates those (log-weighted
  integrals) by quadrature, to about 1e-12 relative, and to any order (derivatives in ``x``
  are exact).

Complex input (traced): the functions SciPy evaluates at complex arguments and that are
holomorphic there take it, with the real rules (the VJP is ``g · f'(z)`` for the pairing
Re Σ a·b): ``erf``, ``erfc``, ``ndtr``, ``log_ndtr``, ``gamma``, ``rgamma``, ``xlogy``,
``xlog1py`` (both arguments), ``iv``, ``jv``, ``jn`` (in ``x``, real order), ``logsumexp``,
``softmax``, ``log_softmax``, ``digamma``/``psi`` and ``polygamma`` (in ``x``). SciPy's
``polygamma`` has no complex loop, so wengert evaluates ``polygamma(n, z)`` at complex ``z`` itself
(recurrence and asymptotic series, about 1e-14 relative; see
``wengert.primitives.scipy_special.polygamma_complex``), plain input included; that is what
differentiates ``digamma`` and, beyond the first order, ``gamma`` and ``rgamma`` there.
Every other function raises
:class:`~wengert.core.errors.WengertTypeError` on a complex traced argument, ``ive`` too
(SciPy scales it by ``exp(-|Re z|)``, which is not holomorphic).

``xlogy(0, y) = xlog1py(0, y) = 0`` for every ``y``, with ``d/dy = 0`` there and
``d/dx = log y`` (``-inf`` at ``y = 0``). ``logsumexp`` over entries that are all ``-inf`` is
``-inf`` with gradient 0. Imports: core, primitives (``scipy_special``), ``wengert.numpy``,
NumPy and SciPy.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.special as sc

from ..core.errors import WengertTypeError, WengertValueError
from ..core.tracer import Tracer, bind
from ..numpy import _core, _reduce
from ..numpy._reduce import norm_axes
from ..primitives import scipy_special as P
from ..primitives.batching import anywhere, map_examples

__all__ = [
    "beta",
    "betainc",
    "betaincc",
    "betaln",
    "digamma",
    "erf",
    "erfc",
    "erfcinv",
    "erfinv",
    "expit",
    "gamma",
    "gammainc",
    "gammaincc",
    "gammaln",
    "gammasgn",
    "i0",
    "i1",
    "iv",
    "ive",
    "j0",
    "j1",
    "jn",
    "jv",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "polygamma",
    "psi",
    "rgamma",
    "softmax",
    "stdtr",
    "xlog1py",
    "xlogy",
    "y0",
    "y1",
    "yn",
]


def _traced(*xs) -> bool:
    return any(isinstance(x, Tracer) for x in xs)


def _is_complex(x) -> bool:
    return np.dtype(getattr(x, "dtype", None) or np.result_type(x)).kind == "c"


def _no_complex(name, args, allowed=(), why=""):
    """Refuse a complex argument of a traced call at a position outside ``allowed``.

    By default the reason is that SciPy has no complex loop for it (its own error would come
    from deep inside the rule or the cast); ``why`` replaces that reason.
    """
    for i, x in enumerate(args):
        if i not in allowed and _is_complex(x):
            reason = why or f"SciPy does not evaluate {name} at complex arguments"
            raise WengertTypeError(
                f"wengert.scipy.special.{name}: expected a real argument {i}, but received "
                f"dtype {np.result_type(x)}; {reason}. Pass real values (e.g. wnp.real(z) or "
                "wnp.abs(z)), or split z into real and imaginary parts."
            )


def _ufunc(prim, ufunc, name: str, derivative: str, complex_args=(), complex_why=""):
    """The wrapper of an elementwise primitive: SciPy on plain input, else promote and bind.

    ``complex_args`` are the positions where a traced call accepts complex values (SciPy
    evaluates the function there and it is holomorphic in them); a complex value elsewhere
    raises a clear error (``complex_why`` says why, when SciPy does accept it).
    """

    def fn(*args):
        if not _traced(*args):
            return ufunc(*args)
        if len(args) != ufunc.nin:
            raise TypeError(f"{name}() takes {ufunc.nin} arguments but {len(args)} were given")
        _no_complex(name, args, complex_args, complex_why)
        return bind(prim, *_core.promote(*args, ufunc=ufunc))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        f"Compute ``scipy.special.{name}`` elementwise, differentiably.\n\n"
        f"Like ``scipy.special.{name}`` (same broadcasting and dtypes); {derivative}"
    )
    return fn


erf = _ufunc(
    P.erf_p, sc.erf, "erf", "erf'(x) = 2/sqrt(pi) exp(-x**2).", complex_args=(0,)
)
erfc = _ufunc(
    P.erfc_p, sc.erfc, "erfc", "erfc'(x) = -2/sqrt(pi) exp(-x**2).", complex_args=(0,)
)
erfinv = _ufunc(
    P.erfinv_p, sc.erfinv, "erfinv", "erfinv'(x) = sqrt(pi)/2 exp(erfinv(x)**2), +inf at ±1."
)
erfcinv = _ufunc(
    P.erfcinv_p, sc.erfcinv, "erfcinv", "erfcinv'(x) = -sqrt(pi)/2 exp(erfcinv(x)**2)."
)
ndtr = _ufunc(
    P.ndtr_p, sc.ndtr, "ndtr", "ndtr'(x) = exp(-x**2/2) / sqrt(2 pi).", complex_args=(0,)
)
log_ndtr = _ufunc(
    P.log_ndtr_p, sc.log_ndtr, "log_ndtr",
    "log_ndtr'(x) = exp(-x**2/2 - log_ndtr(x)) / sqrt(2 pi), accurate in both tails.",
    complex_args=(0,),
)
expit = _ufunc(P.expit_p, sc.expit, "expit", "expit'(x) = expit(x) expit(-x).")
logit = _ufunc(P.logit_p, sc.logit, "logit", "logit'(x) = 1 / (x (1 - x)).")
gamma = _ufunc(
    P.gamma_p, sc.gamma, "gamma", "gamma'(x) = gamma(x) digamma(x).", complex_args=(0,)
)
gammaln = _ufunc(
    P.gammaln_p, sc.gammaln, "gammaln", "gammaln (log|gamma|) has derivative digamma(x)."
)
gammasgn = _ufunc(
    P.gammasgn_p, sc.gammasgn, "gammasgn",
    "not differentiable: it returns a plain array (the sign is piecewise constant).",
)
rgamma = _ufunc(
    P.rgamma_p, sc.rgamma, "rgamma",
    "rgamma'(x) = -digamma(x) / gamma(x); at the poles x = -n it is the limit (-1)**n n! "
    "(exact to first order there).",
    complex_args=(0,),
)
digamma = _ufunc(
    P.digamma_p, sc.digamma, "digamma", "digamma'(x) = polygamma(1, x).", complex_args=(0,)
)
psi = _ufunc(
    P.digamma_p, sc.psi, "psi", "psi'(x) = polygamma(1, x).", complex_args=(0,)
)
beta = _ufunc(
    P.beta_p, sc.beta, "beta",
    "d/da beta(a, b) = beta(a, b) (digamma(a) - digamma(a + b)), and alike in b.",
)
betaln = _ufunc(
    P.betaln_p, sc.betaln, "betaln", "d/da betaln(a, b) = digamma(a) - digamma(a + b)."
)
betainc = _ufunc(
    P.betainc_p, sc.betainc, "betainc",
    "d/dx = x**(a-1) (1-x)**(b-1) / B(a, b); d/da = (1/B(a, b)) int_0^x (ln t - psi(a) + "
    "psi(a+b)) t**(a-1) (1-t)**(b-1) dt, and alike in b, by quadrature (about 1e-12 relative).",
)
betaincc = _ufunc(
    P.betaincc_p, sc.betaincc, "betaincc",
    "d/dx = -x**(a-1) (1-x)**(b-1) / B(a, b); in a and b minus betainc's (by quadrature).",
)
gammainc = _ufunc(
    P.gammainc_p, sc.gammainc, "gammainc",
    "d/dx = x**(a-1) exp(-x) / gamma(a); d/da = (1/gamma(a)) int_0^x (ln t - psi(a)) "
    "t**(a-1) exp(-t) dt, by quadrature (about 1e-12 relative).",
)
gammaincc = _ufunc(
    P.gammaincc_p, sc.gammaincc, "gammaincc",
    "d/dx = -x**(a-1) exp(-x) / gamma(a); in a minus gammainc's (by quadrature).",
)
stdtr = _ufunc(
    P.stdtr_p, sc.stdtr, "stdtr",
    "d/dt is the Student t density; d/ddf follows from stdtr = betainc(df/2, df/2, "
    "1/2 + t / (2 sqrt(df + t²))) (by quadrature).",
)
xlogy = _ufunc(
    P.xlogy_p, sc.xlogy, "xlogy",
    "xlogy(0, y) = 0 for every y; d/dx = log(y) (-inf at y = 0), d/dy = x / y, taken as 0 "
    "where x = 0.",
    complex_args=(0, 1),
)
xlog1py = _ufunc(
    P.xlog1py_p, sc.xlog1py, "xlog1py",
    "xlog1py(0, y) = 0 for every y; d/dx = log1p(y), d/dy = x / (1 + y), taken as 0 where "
    "x = 0.",
    complex_args=(0, 1),
)
i0 = _ufunc(P.i0_p, sc.i0, "i0", "i0' = i1.")
i1 = _ufunc(P.i1_p, sc.i1, "i1", "i1' = (i0 + iv(2, x)) / 2.")
iv = _ufunc(
    P.iv_p, sc.iv, "iv",
    "d/dx iv(v, x) = (iv(v-1, x) + iv(v+1, x)) / 2; v is not differentiable.",
    complex_args=(1,),
)
ive = _ufunc(
    P.ive_p, sc.ive, "ive",
    "d/dx ive(v, x) = (ive(v-1, x) + ive(v+1, x)) / 2 - sign(x) ive(v, x) (sign(0) = 0); v is "
    "not differentiable.",
    complex_why="ive(v, z) = iv(v, z) exp(-|Re z|) is not holomorphic in z (SciPy's scaling "
    "for complex z); use iv(v, z) * wnp.exp(-z) or iv itself",
)
j0 = _ufunc(P.j0_p, sc.j0, "j0", "j0' = -j1.")
j1 = _ufunc(P.j1_p, sc.j1, "j1", "j1' = (j0 - jv(2, x)) / 2.")
jv = _ufunc(
    P.jv_p, sc.jv, "jv",
    "d/dx jv(v, x) = (jv(v-1, x) - jv(v+1, x)) / 2; v is not differentiable.",
    complex_args=(1,),
)
jn = _ufunc(
    P.jv_p, sc.jn, "jn",
    "d/dx jn(n, x) = (jn(n-1, x) - jn(n+1, x)) / 2; n is not differentiable.",
    complex_args=(1,),
)
y0 = _ufunc(P.y0_p, sc.y0, "y0", "y0' = -y1.")
y1 = _ufunc(P.y1_p, sc.y1, "y1", "y1' = (y0 - yn(2, x)) / 2.")
yn = _ufunc(
    P.yn_p, sc.yn, "yn", "d/dx yn(n, x) = (yn(n-1, x) - yn(n+1, x)) / 2; n is not differentiable."
)


def polygamma(n, x):
    """Compute the polygamma function of integer order ``n`` at ``x``, differentiably in ``x``.

    Like ``scipy.special.polygamma``: psi^(n)(x), the (n+1)-th derivative of log gamma; the
    derivative in ``x`` is ``polygamma(n + 1, x)``. ``n`` is not differentiable. Unlike SciPy,
    ``x`` may be complex (plain or traced): wengert evaluates it there (complex128), to about
    1e-14 relative, at every ``z`` off the poles ``0, -1, -2, ...``.

    Examples
    --------
    >>> import wengert as wg
    >>> from wengert.scipy import special
    >>> float(wg.grad(lambda x: special.polygamma(1, x))(1.0))  # -2 zeta(3)
    -2.4041138063191...
    """
    if not _traced(n, x):
        if _is_complex(x):
            return P.polygamma_values(np.asarray(n), np.asarray(x))[()]
        return sc.polygamma(n, x)
    _no_complex("polygamma", (n, x), allowed=(1,))
    if isinstance(n, Tracer):
        n = map_examples(lambda v: v, n, elementwise=True)
    if not isinstance(n, Tracer):
        n = np.asarray(n)
    (x,) = _core.promote(x, float_out=True)
    shape = np.broadcast_shapes(np.shape(n), x.shape)
    if x.shape != shape:
        x = _core.coerce(x, x.dtype, shape)
    return P.polygamma_p(n, x)


def multigammaln(a, d: int):
    """Compute the log of the multivariate gamma function of dimension ``d``, differentiably.

    Like ``scipy.special.multigammaln``: ``d (d-1)/4 log(pi) + sum_j gammaln(a - (j-1)/2)``
    for j = 1..d (a composition of ``gammaln``, so its derivative is a sum of digammas).

    Raises
    ------
    ValueError
        If ``d`` is not a positive integer, or some ``a <= (d - 1) / 2``.

    Examples
    --------
    >>> import wengert as wg
    >>> from wengert.scipy import special
    >>> float(special.multigammaln(3.0, 2))
    1.55019499395...
    """
    if not _traced(a):
        return sc.multigammaln(a, d)
    _no_complex("multigammaln", (a,))
    if not isinstance(d, numbers.Integral) or isinstance(d, bool) or d < 1:
        raise WengertValueError(
            f"multigammaln: d must be a positive integer (the dimension), but got {d!r}; pass "
            "e.g. d=2."
        )
    if anywhere(_core.less_equal(a, 0.5 * (d - 1))):
        raise WengertValueError(
            f"multigammaln: requires a > (d - 1) / 2 = {0.5 * (d - 1)} everywhere, but some "
            "a is smaller; the multivariate gamma function is infinite there."
        )
    res = (d * (d - 1) * 0.25) * np.log(np.pi)
    total = gammaln(a)
    for j in range(2, d + 1):
        total = total + gammaln(a - (j - 1) / 2)
    return res + total


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False):
    """Compute ``log(sum(b * exp(a)))`` over ``axis`` stably, differentiably in ``a`` and ``b``.

    Like ``scipy.special.logsumexp`` (SciPy's value). The gradient in ``a`` is the softmax
    ``b exp(a - out)`` (with the sign of the sum when ``b`` has negative entries); in ``b``
    it is ``exp(a - out)``. Entries of ``-inf`` get weight 0; where every entry is ``-inf``
    the value is ``-inf`` and the gradient 0. With ``return_sign=True`` it returns
    ``(log|s|, sign(s))``; the sign is a constant (no derivative). Without it, a negative
    sum gives NaN, as SciPy.

    Examples
    --------
    >>> import numpy as np, wengert as wg
    >>> from wengert.scipy import special
    >>> x = np.array([0.0, np.log(3.0)])
    >>> float(special.logsumexp(x))  # log(1 + 3)
    1.386294...
    >>> wg.grad(special.logsumexp)(x)  # the softmax
    array([0.25, 0.75])
    """
    if not _traced(a, b):
        return sc.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    args = [a] if b is None else [a, b]
    args = _core.promote(*args, float_out=True)
    shape = np.broadcast_shapes(*[np.shape(x) for x in args])
    args = [x if isinstance(x, Tracer) else np.broadcast_to(x, shape) for x in args]
    axes = norm_axes(axis, len(shape))
    out = P.logsumexp_p(*args, axis=axes, keepdims=keepdims)
    if out.dtype.kind == "c":
        # Complex: out = log s (SciPy's principal branch) carries the phase of s itself; SciPy's
        # return_sign=True gives (log|s|, s/|s|) instead.
        if not return_sign:
            return out
        return _core.real(out), map_examples(
            lambda *v: sc.logsumexp(*v[:1], axis=axes, b=v[1] if len(v) > 1 else None,
                                    keepdims=keepdims, return_sign=True)[1], *args)
    if b is None:
        if not return_sign:
            return out
        return out, np.ones(out.shape, out.dtype)

    def sign(av, bv):
        return sc.logsumexp(av, axis=axes, b=bv, keepdims=keepdims, return_sign=True)[1]

    sgn = map_examples(sign, *args)
    if return_sign:
        return out, sgn
    return _core.where(sgn < 0, np.nan, out)


def _shift(x, axis):
    # The stop_gradient'd maximum over axis (0 where it is not finite): softmax and
    # log_softmax do not depend on the shift, so it carries no derivative.
    m = _reduce.max(_core.stop_gradient(x), axis=axis, keepdims=True)
    return _core.where(_core.isfinite(m), m, _core.zeros_like(m))


def softmax(x, axis=None):
    """Compute ``exp(x) / sum(exp(x))`` over ``axis``, differentiably (shifted by the maximum).

    Like ``scipy.special.softmax`` (the same shifted evaluation, so the same values). Its
    Jacobian is ``diag(s) - s sᵀ`` along ``axis``.

    Examples
    --------
    >>> import numpy as np, wengert as wg
    >>> from wengert.scipy import special
    >>> special.softmax(np.array([0.0, np.log(3.0)]))
    array([0.25, 0.75])
    """
    if not _traced(x):
        return sc.softmax(x, axis=axis)
    (x,) = _core.promote(x, float_out=True)
    if x.size == 0:
        return x
    m = _reduce.max(_core.stop_gradient(x), axis=axis, keepdims=True)
    e = _core.exp(x - m)
    return e / _reduce.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=None):
    """Compute ``x - logsumexp(x)`` over ``axis``, differentiably.

    Like ``scipy.special.log_softmax`` (the same evaluation: shift by the finite maximum, so
    large entries neither overflow nor lose precision). Its gradient is ``1 - softmax``-shaped:
    ``d/dx_j log_softmax(x)_i = delta_ij - softmax(x)_j``.

    Examples
    --------
    >>> import numpy as np
    >>> from wengert.scipy import special
    >>> special.log_softmax(np.array([0.0, np.log(3.0)]))
    array([-1.386294..., -0.287682...])
    """
    if not _traced(x):
        return sc.log_softmax(x, axis=axis)
    (x,) = _core.promote(x, float_out=True)
    if x.size == 0:
        return x
    tmp = x - _shift(x, axis)
    s = _reduce.sum(_core.exp(tmp), axis=axis, keepdims=True)
    return tmp - _core.log(s)
