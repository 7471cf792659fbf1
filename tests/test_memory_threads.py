"""Memory release and thread safety of the transforms (issue 2, item 9)."""

from __future__ import annotations

import gc
import threading
import tracemalloc
import weakref

import numpy as np

import wengert as wg
import wengert.numpy as wnp


def test_nothing_recorded_is_referenced_after_grad():
    refs = []

    def f(x):
        h = wnp.tanh(x)
        big = wnp.exp(h) * 2.0
        # Watch the recorded value of an intermediate (a large array).
        refs.append(weakref.ref(big.value))
        return wnp.sum(wnp.sin(big))

    x = np.linspace(0, 1, 200_000)
    g = wg.grad(f)(x)
    gc.collect()
    assert g.shape == x.shape
    assert refs and refs[0]() is None, "an intermediate outlived grad"


def test_value_and_grad_peak_memory_tanh_chain():
    n, layers = 100_000, 50
    x = np.random.default_rng(0).standard_normal(n) * 0.1

    def f(x):
        for _ in range(layers):
            x = wnp.tanh(x)
        return wnp.sum(x)

    wg.value_and_grad(f)(x)  # warm up imports and caches
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    val, g = wg.value_and_grad(f)(x)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    kept = layers * x.nbytes  # the tanh outputs the backward pass needs
    assert np.isfinite(val) and g.shape == x.shape
    assert peak < 1.3 * kept, f"peak {peak / kept:.2f}x the stored intermediates"


def test_threads_do_not_interfere():
    errors = []

    def worker(seed):
        rng = np.random.default_rng(seed)
        try:
            for _ in range(200):
                a = float(rng.uniform(-2, 2))
                # d/dx [x * d/dy (x*y + sin y)] at y=1 is d/dx [x * (x + cos 1)] = 2x + cos 1
                inner = lambda x: x * wg.grad(lambda y: x * y + wnp.sin(y))(1.0)
                got = float(wg.grad(inner)(a))
                want = 2 * a + np.cos(1.0)
                if abs(got - want) > 1e-12:
                    errors.append((seed, a, got, want))
                third = float(wg.grad(wg.grad(wg.grad(wnp.sin)))(a))
                if abs(third + np.cos(a)) > 1e-12:
                    errors.append((seed, a, third, -np.cos(a)))
        except Exception as exc:  # noqa: BLE001 - any failure in a thread is reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
