"""Tests for wengert.checkpoint.revolve: schedules are correct, bounded and (binomial) optimal."""

from functools import cache

import pytest

import wengert as wg
from wengert.checkpoint.revolve import (
    Action,
    beta,
    optimal_advances,
    repetition_number,
    schedule,
)


@cache
def dp_optimum(length, c):
    """Fewest advances reversing ``length`` steps with c snapshots (x_0 in one), by DP.

    Advance j steps, store x_j, reverse the last length - j steps with c - 1 snapshots, then
    the first j with c; with one snapshot, re-advance from x_0 for every step.
    """
    if length == 1:
        return 0
    if c == 1:
        return length * (length - 1) // 2
    return min(j + dp_optimum(length - j, c - 1) + dp_optimum(j, c) for j in range(1, length))


def simulate(sched):
    """Execute ``sched`` on integer states (state i is the integer i); return the advances.

    Checks that each action starts from the state it names, that every step is reversed once,
    in the order T-1, ..., 0, from the right state and with the cotangent of x_{i+1} at hand,
    and that no more than ``sched.snapshots`` slots are ever held.
    """
    num_steps = sched.num_steps
    current, slots, cotangent_of, advances, reversed_steps = 0, {}, num_steps, 0, []
    for k, a in enumerate(sched.actions):
        assert isinstance(a, Action)
        if a.kind == "advance":
            assert current == a.step and a.count >= 1
            current += a.count
            advances += a.count
            assert current <= num_steps - 1
        elif a.kind == "takeshot":
            assert current == a.step and 0 <= a.slot < sched.snapshots
            slots[a.slot] = current
        elif a.kind == "restore":
            assert slots[a.slot] == a.step
            current = a.step
            if a.release:
                del slots[a.slot]
        else:
            assert a.kind in ("firsturn", "youturn")
            assert current == a.step and cotangent_of == a.step + 1
            assert (a.kind == "firsturn") == (k == len(sched.forward_actions))
            reversed_steps.append(a.step)
            cotangent_of, current = a.step, None
        assert len(slots) <= sched.snapshots
    assert reversed_steps == list(range(num_steps - 1, -1, -1))
    assert advances == sched.advances
    # The forward phase only moves forward and ends at x_{T-1}, where the output is computed.
    assert all(a.kind in ("advance", "takeshot") for a in sched.forward_actions)
    assert sum(a.count for a in sched.forward_actions if a.kind == "advance") == num_steps - 1
    return advances


def test_beta_and_repetition_number():
    assert [beta(2, r) for r in range(-1, 4)] == [0, 1, 3, 6, 10]
    for num_steps in range(1, 60):
        for c in range(1, 6):
            r = repetition_number(num_steps, c)
            assert beta(c, r - 1) < num_steps <= beta(c, r)


@pytest.mark.parametrize("c", range(1, 8))
def test_closed_form_equals_dynamic_programme(c):
    for num_steps in range(1, 41):
        assert optimal_advances(num_steps, c) == dp_optimum(num_steps, c), (num_steps, c)


@pytest.mark.parametrize("c", range(1, 8))
def test_binomial_is_correct_and_optimal(c):
    for num_steps in range(1, 41):
        sched = schedule(num_steps, c)
        assert simulate(sched) == optimal_advances(num_steps, c) == dp_optimum(num_steps, c)
        assert sched.peak_snapshots <= c
        if c >= num_steps - 1:
            assert sched.recomputations == 0


@pytest.mark.parametrize("num_steps,c", [(1000, 4), (64, 2), (64, 4), (64, 8), (300, 1)])
def test_binomial_large_matches_closed_form(num_steps, c):
    sched = schedule(num_steps, c)
    assert simulate(sched) == optimal_advances(num_steps, c)
    assert sched.peak_snapshots == c


def test_known_values():
    # c = 1: re-advance from x_0 for every step; c = 2, T = 6: r = 2, 2*6 - beta(3, 1) = 8.
    assert optimal_advances(5, 1) == 10
    assert optimal_advances(6, 2) == 8
    assert repetition_number(1000, 4) == 10
    assert optimal_advances(1000, 4) == 10 * 1000 - beta(5, 9) == 7998
    assert optimal_advances(10, 9) == 9


@pytest.mark.parametrize("kind", ["sqrt", "every"])
def test_simple_schedules_are_correct(kind):
    for num_steps in range(1, 41):
        sched = schedule(num_steps, kind=kind)
        simulate(sched)
        assert sched.kind == kind
        assert sched.advances >= optimal_advances(num_steps, sched.snapshots)
        if kind == "every":
            assert sched.recomputations == 0 and sched.snapshots == max(1, num_steps - 1)
        else:
            assert 0 <= sched.recomputations <= num_steps - 1
            assert sched.snapshots <= 2 * int(num_steps**0.5) + 2


def test_sqrt_accepts_a_larger_budget():
    assert schedule(16, 20, kind="sqrt").advances == schedule(16, kind="sqrt").advances


def test_memory_and_printing():
    sched = schedule(5, 2)
    assert sched.peak_snapshots == 2 and sched.residual_snapshots == 2
    assert sched.predicted_memory(100) == 300
    text = str(sched)
    for word in ("binomial schedule: 5 steps", "forward", "reverse", "store x0 in slot 0",
                 "advance x0 -> x2", "restore x2 from slot 1", "reverse step 4", "firsturn",
                 "youturn", "advances: 6", "2 recomputations", "peak 2 snapshots"):
        assert word in text, word
    assert len(text.splitlines()) == 2 + len(sched.actions) + 2


@pytest.mark.parametrize("args,kwargs,match", [
    ((0, 1), {}, "num_steps must be an integer >= 1"),
    ((3, 0), {}, "snapshots must be an integer >= 1"),
    ((3, 1.5), {}, "snapshots must be an integer >= 1"),
    ((3, 2), {"kind": "revolve"}, "kind must be one of"),
    ((3,), {}, "needs snapshots"),
    ((10, 3), {"kind": "sqrt"}, "stores"),
    ((10, 3), {"kind": "every"}, "stores 9 states"),
])
def test_bad_inputs(args, kwargs, match):
    with pytest.raises(wg.WengertValueError, match=match):
        schedule(*args, **kwargs)


def test_bad_counts_in_closed_forms():
    with pytest.raises(wg.WengertValueError, match="num_steps"):
        optimal_advances(0, 2)
    with pytest.raises(wg.WengertValueError, match="snapshots"):
        repetition_number(5, True)
