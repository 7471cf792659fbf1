"""jit: signatures and the cache, guards, simplification, generated code, replay under transforms."""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert import ReplayError


def _f(x, w):
    return wnp.sum(wnp.tanh(x @ w) ** 2) + wnp.sum(wnp.sin(w))


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((4, 3)), rng.standard_normal((3, 2))


def _same(a, b):
    for u, v in zip(wg.tree.leaves(a), wg.tree.leaves(b)):
        np.testing.assert_array_equal(u, v)
        assert np.result_type(u) == np.result_type(v)


# --- equality with eager, first call and replays ------------------------------------------


@pytest.mark.parametrize("transform", [
    lambda f: f,
    lambda f: wg.value_and_grad(f, argnums=(0, 1)),
    lambda f: wg.grad(lambda x, w: wnp.sum(wg.grad(f, argnums=1)(x, w) ** 2)),
    lambda f: wg.jacrev(lambda x, w: wg.grad(f, argnums=1)(x, w)),
    lambda f: (lambda x, w: wg.hvp(lambda v: f(x, v), w, np.ones_like(w))),
    lambda f: wg.vmap(wg.grad(f), in_axes=(0, None)),
], ids=["forward", "value_and_grad", "grad-of-grad", "jacrev", "hvp", "vmap-grad"])
def test_compiled_equals_eager_on_every_call(transform):
    x, w = _data()
    eager = transform(_f)
    jitted = wg.jit(eager)
    want = eager(x, w)
    _same(jitted(x, w), want)  # the recording's own values
    _same(jitted(x, w), want)  # the generated code
    x2, w2 = _data(1)
    _same(jitted(x2, w2), eager(x2, w2))  # same signature, new values
    assert jitted.cache_info().misses == 1 and jitted.cache_info().hits == 2


def test_replay_under_outer_transforms():
    x, w = _data()
    jf = wg.jit(_f)
    _same(wg.grad(jf, argnums=(0, 1))(x, w), wg.grad(_f, argnums=(0, 1))(x, w))
    np.testing.assert_allclose(wg.hessian(lambda v: jf(x, v))(w), wg.hessian(lambda v: _f(x, v))(w),
                               rtol=1e-14, atol=1e-14)
    xs = np.stack([x, 2 * x])
    _same(wg.vmap(jf, in_axes=(0, None))(xs, w), wg.vmap(_f, in_axes=(0, None))(xs, w))
    t = np.ones_like(w)
    _same(wg.jvp(lambda v: jf(x, v), (w,), (t,)), wg.jvp(lambda v: _f(x, v), (w,), (t,)))
    inner = wg.jit(lambda v: wnp.sin(v) * 2.0)
    _same(wg.jit(lambda v: inner(v) + 1.0)(w), np.sin(w) * 2.0 + 1.0)  # jit inside jit


def test_pytrees_kwargs_static_arguments_and_python_numbers():
    calls = []

    def f(params, x, *, scale, mode):
        calls.append(mode)
        y = params["w"] * x + params["b"]
        return {"out": wnp.tanh(y) * scale if mode == "tanh" else y * scale}

    jf = wg.jit(f, static_argnums=())
    params = {"w": np.arange(3.0), "b": np.ones(3)}
    x = np.linspace(0.0, 1.0, 3)
    for mode in ("tanh", "lin", "tanh"):
        _same(jf(params, x, scale=2.0, mode=mode), f(params, x, scale=2.0, mode=mode))
    _same(jf(params, x, scale=3.0, mode="lin"), f(params, x, scale=3.0, mode="lin"))
    info = jf.cache_info()
    assert (info.misses, info.hits) == (3, 1)  # a Python number and a string are static
    g = wg.jit(lambda x, n: x ** n, static_argnums=1)
    _same(g(x, 3), x ** 3)
    assert g.cache_info().misses == 1
    x32 = x.astype(np.float32)
    assert wg.jit(lambda v: v * 2.0)(x32).dtype == np.float32  # weak Python float, as in NumPy


def test_signature_change_recompiles_and_the_cache_is_bounded():
    jf = wg.jit(lambda x: wnp.sum(x * x), maxsize=2)
    for n in (1, 2, 3, 2):
        assert jf(np.ones(n)) == n
    assert jf(np.ones(2, np.float32)).dtype == np.float32
    info = jf.cache_info()
    assert info.currsize == 2 and info.maxsize == 2 and info.misses == 4 and info.hits == 1
    jf.cache_clear()
    assert jf.cache_info() == (0, 0, 2, 0)


# --- guards --------------------------------------------------------------------------------


def _branchy(x):
    if wnp.sum(x) > 0:  # control flow on a value
        return x * 2.0
    return -x


@pytest.mark.parametrize("fun, words", [
    (_branchy, "bool()"),
    (lambda x: x * int(wnp.sum(x)), "int()"),
    (lambda x: x[wnp.argmax(x)], "value"),
    (lambda x: x * float(wnp.sum(x)), "float()"),
    (lambda x: x + np.asarray(x), "np.asarray"),
    (wg.grad(lambda x: wnp.sum(x * 2.0) if wnp.max(x) > 0 else wnp.sum(x)), "bool()"),
])
def test_value_dependent_control_flow_is_refused_with_the_line(fun, words):
    with pytest.raises(ReplayError, match="test_jit.py:") as err:
        wg.jit(fun)(np.array([1.0, -2.0, 3.0]))
    assert words in str(err.value) and "fallback=True" in str(err.value)


def test_side_effects_are_refused():
    x = np.ones(3)
    with pytest.raises(ReplayError, match="global random state"):
        wg.jit(lambda v: v + np.random.normal())(x)
    with pytest.raises(ReplayError, match="stdout or stderr"):
        wg.jit(lambda v: print("hello") or v * 2.0)(x)


def test_closed_over_tracers_are_refused():
    x = np.ones(3)

    def outer(v):
        return wg.jit(lambda u: u * v)(np.ones(3)).sum()  # v is traced by grad, u is not

    with pytest.raises(ReplayError, match="closed-over tracer"):
        wg.grad(outer)(x)


def test_fallback_runs_eagerly_and_warns_once():
    jf = wg.jit(_branchy, fallback=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _same(jf(np.array([1.0, 2.0])), np.array([2.0, 4.0]))
        _same(jf(np.array([1.0, 2.0])), np.array([2.0, 4.0]))
        _same(jf(np.array([-1.0, -2.0])), np.array([1.0, 2.0]))  # eager: the other branch
        _same(jf(np.ones(3)), 2.0 * np.ones(3))
    assert len(caught) == 1 and "eagerly" in str(caught[0].message)
    assert jf.lower(np.ones(2)).eager


# --- simplification and the generated code -------------------------------------------------


def test_simplification_removes_identities_folds_merges_and_drops_dead_code():
    c = np.arange(3.0)

    def f(x):
        unused = wnp.exp(x)  # noqa: F841 -- dead
        a = wnp.sin(x) * 1.0 + 0.0  # identities
        b = wnp.sin(x)  # a common subexpression
        return a + b + wnp.reshape(x, (3,))

    compiled = wg.jit(f).lower(c)
    s = compiled.stats
    assert s.identities >= 2 and s.merged == 1 and s.dead >= 1
    assert compiled.source.count("np.sin") == 1 and "np.exp" not in compiled.source
    _same(wg.jit(f)(c), f(c))
    grad_src = wg.jit(wg.grad(lambda x: wnp.sum(wnp.sin(x)))).lower(c).source
    assert "np.ones" not in grad_src and grad_src.count("np.multiply") == 0  # seed·cos(x) is cos(x)


def test_source_is_readable_and_releases_intermediates():
    src = wg.jit(lambda x: wnp.exp(wnp.sin(x) * 2.0)).lower(np.ones(2)).source
    assert src.splitlines()[0].startswith("def jit__lambda_(a0):")
    assert "# sin" in src and "del " in src and src.rstrip().endswith(",)")


def test_compiled_code_holds_few_intermediates():
    x = np.ones(250_000)  # 2 MB per array

    def chain(v):
        for _ in range(20):
            v = wnp.sin(v) * 1.5 + 0.25
        return v

    jf = wg.jit(chain)
    jf(x)
    tracemalloc.start()
    jf(x)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 3 * x.nbytes  # 60 intermediates, at most two or three alive at once


def test_bad_arguments_are_explained():
    with pytest.raises(wg.WengertTypeError, match="expected a function"):
        wg.jit(3)
    with pytest.raises(wg.WengertTypeError, match="static_argnums"):
        wg.jit(lambda x: x, static_argnums="0")
    with pytest.raises(wg.WengertValueError, match="maxsize"):
        wg.jit(lambda x: x, maxsize=0)
    with pytest.raises(wg.WengertValueError, match="static_argnums"):
        wg.jit(lambda x: x, static_argnums=3)(np.ones(2))
    with pytest.raises(wg.WengertTypeError, match="hashable"):
        wg.jit(lambda x, opts: x, static_argnums=1)(np.ones(2), [1, 2])


def test_an_output_is_never_overwritten_by_a_later_line():
    def f(x):
        a = wnp.sin(x) * 2.0  # an output, and an operand of the line below
        return a, a + 1.0

    x = np.linspace(0.0, 1.0, 5)
    jf = wg.jit(f)
    jf(x)
    _same(jf(x), f(x))


def test_fallback_after_a_finished_recording_does_not_run_the_function_twice(capsys):
    calls = []

    def noisy(x):
        calls.append(1)
        print("side effect")
        return x * 2.0

    jf = wg.jit(noisy, fallback=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same(jf(np.ones(2)), 2.0 * np.ones(2))
        _same(jf(np.ones(2)), 2.0 * np.ones(2))
    assert len(calls) == 2 and capsys.readouterr().out.count("side effect") == 2


def test_merged_outputs_are_still_distinct_arrays():
    jf = wg.jit(lambda x: (wnp.sin(x), wnp.sin(x)))
    for _ in range(2):
        a, b = jf(np.ones(3))
        assert a is not b
        a[0] = 5.0
        assert b[0] == np.sin(1.0)
