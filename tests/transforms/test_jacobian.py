"""Vectorised Jacobians (jacfwd, jacrev, jacobian in every mode) and the mode choice."""

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core.errors import WengertTypeError, WengertValueError
from wengert.core.tracer import Tracer
from wengert.testing import numerical_grad, numerical_jvp

RNG = np.random.default_rng(7)
MODES = ("fwd", "rev", "mixed", "auto")


def _fd_jacobian(f, x):
    """Finite-difference Jacobian of an array-to-array f: shape out.shape + x.shape."""
    out_shape = np.shape(f(x))
    cols = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e.reshape(-1)[k] = 1.0
        cols.append(np.asarray(numerical_jvp(f, (x,), (e,))).reshape(-1))
    return np.stack(cols, axis=-1).reshape(out_shape + x.shape)


def _jacobians(f, *args, **kw):
    return {mode: wg.jacobian(f, mode=mode, **kw)(*args) for mode in MODES}


def _assert_trees_close(a, b, **tol):
    la, ta = wg.tree.flatten(a)
    lb, tb = wg.tree.flatten(b)
    assert ta == tb
    for x, y in zip(la, lb):
        assert np.shape(x) == np.shape(y)
        np.testing.assert_allclose(x, y, **tol)


# One array-to-array function per shape class: the modes agree with each other and with
# central differences.
FUNCTIONS = {
    "vector->vector": (lambda x: wnp.sin(x) * x[0] + wnp.cumsum(x) ** 2, (5,)),
    "vector->scalar": (lambda x: wnp.sum(wnp.tanh(x) * x) + wnp.max(x), (6,)),
    "scalar->vector": (lambda x: wnp.stack([wnp.cos(x), x ** 3, wnp.exp(x)]), ()),
    "scalar->scalar": (lambda x: wnp.log1p(x * x), ()),
    "matrix->matrix": (lambda x: wnp.tanh(x @ x.T) + x[:, :1], (3, 2)),
    "indexing": (lambda x: wnp.concatenate([x[::2] * x[1], x[1:3] ** 2]), (5,)),
    "softmax": (lambda x: wnp.exp(x - wnp.max(x)) / wnp.sum(wnp.exp(x - wnp.max(x))), (4,)),
    "constant matrix": (lambda x: np.arange(12.0).reshape(4, 3) @ wnp.sin(x), (3,)),
}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_modes_agree_with_finite_differences(name):
    f, shape = FUNCTIONS[name]
    x = RNG.standard_normal(shape)
    expected = _fd_jacobian(f, x)
    for mode, J in _jacobians(f, x).items():
        assert np.shape(J) == expected.shape, mode
        np.testing.assert_allclose(J, expected, rtol=1e-6, atol=1e-7, err_msg=mode)
    np.testing.assert_allclose(wg.jacfwd(f)(x), wg.jacrev(f)(x), rtol=1e-12, atol=1e-13)


def test_pytree_blocks_nest_output_outside_argnums_inside():
    def f(p, y):
        return {"a": p["w"] @ y + p["b"], "s": wnp.sum(y * y)}, wnp.tanh(p["b"])

    p = {"w": RNG.standard_normal((2, 3)), "b": RNG.standard_normal(2)}
    y = RNG.standard_normal(3)
    res = _jacobians(f, p, y, argnums=(0, 1))
    J = res["fwd"]
    assert J[0]["a"][0]["w"].shape == (2, 2, 3)
    assert J[0]["a"][0]["b"].shape == (2, 2)
    assert J[0]["a"][1].shape == (2, 3)
    assert J[0]["s"][1].shape == (3,)
    assert J[1][0]["w"].shape == (2, 2, 3)
    np.testing.assert_allclose(J[0]["a"][1], p["w"])
    np.testing.assert_allclose(J[0]["s"][1], 2 * y)
    np.testing.assert_allclose(J[1][0]["b"], np.diag(1 - np.tanh(p["b"]) ** 2))
    np.testing.assert_array_equal(J[1][0]["w"], np.zeros((2, 2, 3)))
    for mode in ("rev", "mixed", "auto"):
        _assert_trees_close(res[mode], J, rtol=1e-12, atol=1e-13)
    # A single argnum gives the argument's own structure inside, no tuple.
    J0 = wg.jacrev(f)(p, y)
    _assert_trees_close(J0, ({"a": J[0]["a"][0], "s": J[0]["s"][0]}, J[1][0]), rtol=1e-12)


@pytest.mark.parametrize("chunk_size", [1, 3, None])
def test_chunk_sizes_give_the_same_jacobian(chunk_size):
    # Two input leaves (sizes 4 and 3) and two outputs (sizes 6 and 1), so chunks of 3 span
    # leaves on both sides.
    def f(x, y):
        return wnp.concatenate([wnp.sin(x) * y[0], y ** 2 * x[1]]), wnp.sum(x) * wnp.prod(y)

    x, y = RNG.standard_normal(4), RNG.standard_normal(3)
    ref = wg.jacobian(f, argnums=(0, 1), mode="mixed")(x, y)
    for jac in (wg.jacfwd, wg.jacrev):
        J = jac(f, argnums=(0, 1), chunk_size=chunk_size)(x, y)
        _assert_trees_close(J, ref, rtol=1e-12, atol=1e-13)
    J = wg.jacobian(f, argnums=(0, 1), chunk_size=chunk_size)(x, y)
    _assert_trees_close(J, ref, rtol=1e-12, atol=1e-13)


def test_float32_in_float32_out():
    f = lambda x: wnp.tanh(x) * x[0]
    x = RNG.standard_normal(3).astype(np.float32)
    for mode, J in _jacobians(f, x).items():
        assert J.dtype == np.float32, mode
        np.testing.assert_allclose(J, wg.jacobian(f, mode="fwd")(x.astype(float)),
                                   rtol=1e-5, atol=1e-6)
    assert wg.jacfwd(f, chunk_size=2)(x).dtype == np.float32
    assert wg.hessian(lambda x: wnp.sum(x ** 3))(x).dtype == np.float32


def test_has_aux_returns_the_aux_of_the_single_run():
    calls = []

    def f(x):
        calls.append(1)
        return wnp.sin(x), {"norm": wnp.sum(x * x)}

    x = RNG.standard_normal(3)
    for mode in MODES:
        calls.clear()
        J, aux = wg.jacobian(f, has_aux=True, mode=mode)(x)
        assert len(calls) == 1, mode
        np.testing.assert_allclose(J, np.diag(np.cos(x)))
        assert not isinstance(aux["norm"], Tracer)
        np.testing.assert_allclose(aux["norm"], x @ x)
    J, aux = wg.jacrev(f, has_aux=True, chunk_size=2)(x)
    np.testing.assert_allclose(J, np.diag(np.cos(x)))


def test_auto_records_once_and_runs_its_choice_on_that_record():
    calls = []

    def f(x):
        calls.append(1)
        return wnp.sum(wnp.sin(x))

    (J, report) = wg.jacobian(f, explain=True)(np.zeros(4))
    assert len(calls) == 1
    np.testing.assert_allclose(J, np.ones(4))
    assert report.choice in ("fwd", "rev", "mixed")
    (J, aux), report = wg.jacobian(lambda x: (x * 2, 3), has_aux=True, mode="rev",
                                   explain=True)(np.ones(2))
    assert aux == 3 and report.choice == "rev" and "asked for" in report.reason


def test_special_outputs_constant_repeated_and_input_itself():
    def f(x):
        y = wnp.sin(x)
        return x, y, y, np.ones(2), wnp.astype(x > 0, np.int64)

    x = RNG.standard_normal(3)
    for mode, (jx, jy1, jy2, jc, ji) in _jacobians(f, x).items():
        np.testing.assert_array_equal(jx, np.eye(3), err_msg=mode)
        np.testing.assert_allclose(jy1, np.diag(np.cos(x)), err_msg=mode)
        np.testing.assert_allclose(jy2, np.diag(np.cos(x)), err_msg=mode)
        np.testing.assert_array_equal(jc, np.zeros((2, 3)), err_msg=mode)
        np.testing.assert_array_equal(ji, np.zeros((3, 3)), err_msg=mode)


def test_empty_input_and_output():
    x = np.zeros(0)
    for mode, J in _jacobians(lambda x: wnp.sin(x), x).items():
        assert J.shape == (0, 0), mode
    for mode, J in _jacobians(lambda x: x[:0] * 2.0, np.ones(3)).items():
        assert J.shape == (0, 3), mode


def test_hessian_is_jacfwd_of_jacrev_in_every_nesting():
    f = lambda x: wnp.sum(wnp.sin(x) * x ** 2) + wnp.prod(x[:2])
    x = RNG.standard_normal(4)
    H = wg.hessian(f)(x)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    for outer in ("fwd", "rev", "mixed"):
        for inner in ("fwd", "rev", "mixed"):
            Hm = wg.jacobian(wg.jacobian(f, mode=inner), mode=outer)(x)
            np.testing.assert_allclose(Hm, H, rtol=1e-10, atol=1e-12, err_msg=(outer, inner))
    np.testing.assert_allclose(wg.hessian(f, chunk_size=3)(x), H, rtol=1e-12)


def test_gradient_through_a_jacobian():
    inner = lambda y: wnp.sin(y) * y[0]

    def loss(mode):
        return lambda x: wnp.sum(wg.jacobian(inner, mode=mode)(x) ** 2)

    x = RNG.standard_normal(3)
    expected = numerical_grad(lambda x: np.sum(wg.jacfwd(inner)(x) ** 2), x)
    for mode in ("fwd", "rev", "mixed"):
        np.testing.assert_allclose(wg.grad(loss(mode))(x), expected, rtol=1e-6, atol=1e-7)


def test_jacobians_compose_with_vmap():
    g = lambda x: wnp.tanh(x[:3] * x[1:])
    xs = RNG.standard_normal((2, 4))
    per_example = np.stack([wg.jacfwd(g)(x) for x in xs])
    block = np.zeros((2, 3, 2, 4))
    for b in range(2):
        block[b, :, b, :] = per_example[b]
    for mode in ("fwd", "rev", "mixed"):
        jac = wg.jacobian(g, mode=mode)
        np.testing.assert_allclose(wg.vmap(jac)(xs), per_example, rtol=1e-12)
        np.testing.assert_allclose(wg.jacobian(wg.vmap(g), mode=mode)(xs), block, rtol=1e-12)


# --- the mode choice -------------------------------------------------------------------------


def test_jacobian_cost_picks_reverse_for_a_wide_function():
    # R^5000 -> R: the cumulative sum's dense block (5000 x 5000) rules out elimination.
    f = lambda x: wnp.sum(wnp.sin(wnp.cumsum(x)))
    report = wg.jacobian_cost(f, RNG.standard_normal(5000))
    assert (report.n, report.m) == (5000, 1)
    assert report.choice == "rev"
    assert report.mixed is None
    assert report.forward > 100 * report.reverse
    assert report.forward_flops > 1000 * report.reverse_flops


def test_jacobian_cost_picks_forward_for_a_tall_function():
    f = lambda x: wnp.cumsum(wnp.sin(wnp.repeat(x, 2000)))
    report = wg.jacobian_cost(f, RNG.standard_normal(3))
    assert (report.n, report.m) == (3, 6000)
    assert report.choice == "fwd" and report.sweep_choice == "fwd"
    assert report.reverse > 100 * report.forward


def test_jacobian_cost_reports_all_three_modes_as_a_table():
    W = RNG.standard_normal((30, 20))
    report = wg.jacobian_cost(lambda x: W @ wnp.tanh(x), RNG.standard_normal(20))
    assert (report.n, report.m, report.num_eqns) == (20, 30, 2)
    assert report.forward_sweeps == report.reverse_sweeps == 1
    # Forward: 20 directions through tanh' (20 mults) and W (600); reverse: 30 directions.
    assert report.forward_multiplications == 20 * (20 + 600)
    assert report.reverse_multiplications == 30 * (20 + 600)
    # Elimination: diag(tanh') times W once.
    assert report.mixed_multiplications == 600
    # Sweeps this cheap are not worth planning an elimination for: the better sweep is taken.
    assert min(report.forward, report.reverse) < wg.transforms.cost.MODEL.plan_worth_us
    assert report.cost_of(report.choice) == min(report.forward, report.reverse)
    assert "not considered" in report.reason
    text = str(report)
    for word in ("forward", "reverse", "mixed", "<- chosen", "R^20 -> R^30", "choice:"):
        assert word in text
    assert wg.jacobian_cost(lambda x: W @ wnp.tanh(x), RNG.standard_normal(20),
                            chunk_size=7).forward_sweeps == 3


def test_jacobian_cost_chunks_and_argnums():
    f = lambda x, y: x * y
    report = wg.jacobian_cost(f, np.ones(4), np.ones(4), argnums=(0, 1), chunk_size=3)
    assert (report.n, report.m) == (8, 4)
    assert (report.forward_sweeps, report.reverse_sweeps) == (3, 2)


def test_mode_and_chunk_size_are_validated():
    f = lambda x: x
    with pytest.raises(WengertValueError, match="mode must be one of"):
        wg.jacobian(f, mode="forward")
    with pytest.raises(WengertValueError, match="chunk_size must be at least 1"):
        wg.jacfwd(f, chunk_size=0)
    with pytest.raises(WengertTypeError, match="chunk_size must be a positive int"):
        wg.jacrev(f, chunk_size=2.5)
    with pytest.raises(WengertTypeError, match="chunk_size must be a positive int"):
        wg.jacobian(f, chunk_size=True)
    with pytest.raises(WengertTypeError, match="expected a function"):
        wg.jacfwd(3.0)
    with pytest.raises(WengertTypeError, match="argument 0 of dtype int64"):
        wg.jacrev(f)(np.arange(3))
    with pytest.raises(WengertTypeError, match="with has_aux=True"):
        wg.jacfwd(f, has_aux=True)(np.ones(2))
    with pytest.raises(WengertValueError, match="chunk_size must be at least 1"):
        wg.jacobian_cost(f, np.ones(2), chunk_size=-1)
