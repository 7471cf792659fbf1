"""Schedules for reversing a chain of steps with a bounded number of stored states.

A chain of T steps maps the state ``x_0`` (the input) to ``x_T`` by ``x_{i+1} = step(x_i)``.
Reverse mode needs the steps' states in the order ``x_{T-1}, ..., x_0``; storing them all costs
T states, storing none costs T(T-1)/2 re-evaluations. A :class:`Schedule` is the plan in
between: a list of :class:`Action` records (advance, take a snapshot, restore a snapshot,
reverse one step) that keeps at most c snapshots. ``"binomial"`` is Griewank and Walther's
revolve, which is optimal; ``"sqrt"`` and ``"every"`` are the simple schedules, in the same
vocabulary.

Conventions (they match Griewank and Walther's closed form, and the tests check them against
an independent dynamic programme):

* an *advance* is one un-taped evaluation of a step, ``x_i -> x_{i+1}``; the T taped
  evaluations that reverse the steps are not advances;
* the first reversal (``firsturn``, of step T-1) starts from the working state ``x_{T-1}``;
  the revolve model produces ``x_T`` in that taped evaluation, so the primal forward pass
  ``x_0 -> x_{T-1}`` costs T-1 advances and no schedule needs fewer;
* the input ``x_0`` occupies one of the c snapshots; the *working state* (the state the next
  advance or reversal starts from) is held besides the snapshots.

Pure Python; imports only the standard library and ``core.errors``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..core.errors import WengertValueError

__all__ = [
    "Action",
    "Schedule",
    "beta",
    "optimal_advances",
    "repetition_number",
    "schedule",
]

KINDS = ("binomial", "sqrt", "every")
ACTION_KINDS = ("advance", "takeshot", "restore", "firsturn", "youturn")


def beta(c: int, r: int) -> int:
    """Return ``C(c + r, c)``, the most steps c snapshots reverse with r repetitions.

    ``beta(c, -1)`` is 0 by convention.

    Examples
    --------
    >>> beta(2, 1), beta(2, 2), beta(3, -1)
    (3, 6, 0)
    """
    if r < 0:
        return 0
    return math.comb(c + r, c)


def _check_counts(where: str, num_steps, snapshots) -> None:
    for name, value in (("num_steps", num_steps), ("snapshots", snapshots)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise WengertValueError(
                f"{where}: {name} must be an integer >= 1, but it is {value!r}. "
                f"Pass a positive int."
            )


def repetition_number(num_steps: int, snapshots: int) -> int:
    """Return r with ``beta(c, r - 1) < T <= beta(c, r)`` for T steps and c snapshots.

    r is the largest number of times any step is evaluated (advanced or reversed) by the
    binomial schedule; r is 0 for T = 1 and 1 when every state fits (T <= c + 1).

    Examples
    --------
    >>> repetition_number(1, 3), repetition_number(4, 3), repetition_number(5, 3)
    (0, 1, 2)
    """
    _check_counts("repetition_number", num_steps, snapshots)
    r = 0
    while beta(snapshots, r) < num_steps:
        r += 1
    return r


def optimal_advances(num_steps: int, snapshots: int) -> int:
    """Return ``r T - beta(c + 1, r - 1)``: the fewest advances that reverse T steps.

    This is Griewank and Walther's minimum for T steps and c snapshots, with r =
    :func:`repetition_number`. An advance is an un-taped step evaluation; the input state
    ``x_0`` counts as one of the c snapshots; the taped evaluation of each step during its
    reversal is not counted (so T-1 advances, the plain forward pass up to ``x_{T-1}``, is the
    least any schedule needs, reached when ``c >= T - 1``).

    Examples
    --------
    >>> optimal_advances(1, 1), optimal_advances(4, 1), optimal_advances(10, 3)
    (0, 6, 15)
    """
    _check_counts("optimal_advances", num_steps, snapshots)
    r = repetition_number(num_steps, snapshots)
    return r * num_steps - beta(snapshots + 1, r - 1)


@dataclass(frozen=True)
class Action:
    """One instruction of a schedule.

    Attributes
    ----------
    kind : str
        ``"advance"``: apply ``count`` un-taped steps to the working state ``x_step``, giving
        ``x_{step+count}``. ``"takeshot"``: store the working state ``x_step`` in ``slot``, replacing what
        the slot held (a slot whose state is no longer needed is reused without a release).
        ``"restore"``: make the snapshot in ``slot`` (``x_step``) the working state; with
        ``release`` the slot is freed afterwards. ``"firsturn"``: reverse step T-1 (a taped
        evaluation from ``x_{T-1}`` pulled back with the output cotangent). ``"youturn"``:
        reverse step ``step`` (a taped evaluation from ``x_step`` pulled back with the cotangent
        of ``x_{step+1}``).
    step : int
        The index of the working state the action starts from (for a turn: the step reversed).
    count : int
        Number of steps advanced (``advance`` only, otherwise 0).
    slot : int or None
        The snapshot slot (``takeshot`` and ``restore`` only).
    release : bool
        Whether a ``restore`` frees its slot.
    """

    kind: str
    step: int
    count: int = 0
    slot: int | None = None
    release: bool = False

    def describe(self) -> str:
        """Return a one-line description, e.g. ``advance x3 -> x5``."""
        if self.kind == "advance":
            return f"advance x{self.step} -> x{self.step + self.count}"
        if self.kind == "takeshot":
            return f"store x{self.step} in slot {self.slot}"
        if self.kind == "restore":
            extra = " (slot released)" if self.release else ""
            return f"restore x{self.step} from slot {self.slot}{extra}"
        return f"reverse step {self.step} (x{self.step} -> x{self.step + 1}, taped)"


@dataclass(frozen=True)
class Schedule:
    """A plan for reversing ``num_steps`` steps with at most ``snapshots`` stored states.

    The actions before the first reversal (``firsturn``) form the *forward phase*: they run in
    the primal pass, which ends with the working state ``x_{T-1}`` and the snapshots it took
    (a ``checkpoint_scan`` then evaluates the last step once more to return ``x_T``). The
    remaining actions form the *reverse phase* and run in the backward pass.

    Attributes
    ----------
    actions : tuple of Action
    num_steps : int
        T, the number of steps.
    snapshots : int
        The snapshot budget c (slots ``0 .. c-1``); ``x_0`` is held in one of them.
    kind : str
        ``"binomial"``, ``"sqrt"`` or ``"every"``.
    """

    actions: tuple[Action, ...]
    num_steps: int
    snapshots: int
    kind: str

    @property
    def forward_actions(self) -> tuple[Action, ...]:
        """Return the actions run in the primal pass (everything before ``firsturn``)."""
        return self.actions[: self._split]

    @property
    def reverse_actions(self) -> tuple[Action, ...]:
        """Return the actions run in the backward pass (from ``firsturn`` on)."""
        return self.actions[self._split :]

    @property
    def _split(self) -> int:
        return next(i for i, a in enumerate(self.actions) if a.kind == "firsturn")

    @property
    def advances(self) -> int:
        """Return the number of un-taped step evaluations (both phases)."""
        return sum(a.count for a in self.actions if a.kind == "advance")

    @property
    def recomputations(self) -> int:
        """Return the advances beyond the T-1 of a plain forward pass ``x_0 -> x_{T-1}``."""
        return self.advances - (self.num_steps - 1)

    @property
    def peak_snapshots(self) -> int:
        """Return the largest number of snapshot slots held at once."""
        held: set[int] = set()
        peak = 0
        for a in self.actions:
            if a.kind == "takeshot":
                held.add(a.slot)
                peak = max(peak, len(held))
            elif a.kind == "restore" and a.release:
                held.discard(a.slot)
        return peak

    @property
    def residual_snapshots(self) -> int:
        """Return the number of snapshots held between the primal and the backward pass."""
        held: set[int] = set()
        for a in self.forward_actions:
            if a.kind == "takeshot":
                held.add(a.slot)
            elif a.kind == "restore" and a.release:
                held.discard(a.slot)
        return len(held)

    def predicted_memory(self, state_bytes: int) -> int:
        """Return the peak bytes of stored states: ``(peak_snapshots + 1) * state_bytes``.

        The one extra state is the working state. The tape of the single step being reversed
        comes on top, and so does the output ``x_T``.

        Examples
        --------
        >>> schedule(10, 3).predicted_memory(8 * 1000)
        32000
        """
        return (self.peak_snapshots + 1) * int(state_bytes)

    def __str__(self) -> str:
        rows = [
            f"{self.kind} schedule: {self.num_steps} steps, {self.snapshots} snapshot slots",
            f"{'#':>4}  {'phase':<8} {'action':<9} {'what':<44} held",
        ]
        held: set[int] = set()
        split = self._split
        for i, a in enumerate(self.actions):
            if a.kind == "takeshot":
                held.add(a.slot)
            elif a.kind == "restore" and a.release:
                held.discard(a.slot)
            phase = "forward" if i < split else "reverse"
            rows.append(f"{i + 1:>4}  {phase:<8} {a.kind:<9} {a.describe():<44} {len(held)}")
        rows.append(self.summary())
        return "\n".join(rows)

    def summary(self) -> str:
        """Return the two summary lines of the table: step evaluations and memory.

        Examples
        --------
        >>> print(schedule(1000, 4).summary())  # doctest: +NORMALIZE_WHITESPACE
        advances: 7998 un-taped step evaluations, 6999 recomputations beyond the 999 of a
        plain forward pass; 1000 taped reversals
        memory: peak 4 snapshots + 1 working state = 5 states; 4 snapshots kept between the
        passes
        """
        return (
            f"advances: {self.advances} un-taped step evaluations, {self.recomputations} "
            f"recomputations beyond the {self.num_steps - 1} of a plain forward pass; "
            f"{self.num_steps} taped reversals\n"
            f"memory: peak {self.peak_snapshots} snapshots + 1 working state = "
            f"{self.peak_snapshots + 1} states; {self.residual_snapshots} snapshots kept "
            f"between the passes"
        )


def _best_split(length: int, snapshots: int) -> int:
    """Return j minimising ``j + F(length - j, snapshots - 1) + F(j, snapshots)``.

    F(l, c) = optimal_advances(l, c) has increments ``F(l + 1) - F(l) = r(l + 1, c)``, which
    grow with l, so the cost is convex in j and its increment
    ``1 + r(j + 1, c) - r(length - j, c - 1)`` changes sign once: a bisection finds it.
    """
    lo, hi = 1, length - 1
    while lo < hi:
        mid = (lo + hi) // 2
        diff = (1 + repetition_number(mid + 1, snapshots)
                - repetition_number(length - mid, snapshots - 1))
        if diff >= 0:
            hi = mid
        else:
            lo = mid + 1
    return lo


class _Builder:
    """Accumulate actions, hand out the lowest free slot, and track the working state."""

    def __init__(self, num_steps: int):
        self.num_steps = num_steps
        self.actions: list[Action] = []
        self.free: list[int] = []
        self.next_slot = 0

    def advance(self, step: int, count: int) -> None:
        if count > 0:
            self.actions.append(Action("advance", step, count=count))

    def takeshot(self, step: int) -> int:
        if self.free:
            slot = min(self.free)
            self.free.remove(slot)
        else:
            slot = self.next_slot
            self.next_slot += 1
        self.actions.append(Action("takeshot", step, slot=slot))
        return slot

    def restore(self, step: int, slot: int, release: bool) -> None:
        self.actions.append(Action("restore", step, slot=slot, release=release))
        if release:
            self.free.append(slot)

    def turn(self, step: int) -> None:
        kind = "firsturn" if step == self.num_steps - 1 else "youturn"
        self.actions.append(Action(kind, step))


def _binomial(b: _Builder, start: int, end: int, snapshots: int, slot: int) -> None:
    """Reverse steps ``start .. end-1``; on entry the working state is ``x_start``, in ``slot``.

    ``snapshots`` counts the slot holding ``x_start``. The slot is released by the last restore.
    """
    length = end - start
    if length == 1:
        # The working state is x_start already; after the turn its slot may be overwritten.
        b.turn(start)
        b.free.append(slot)
        return
    if snapshots == 1:
        # One slot: re-advance from x_start for every step, the last restore frees the slot.
        for k in range(length - 1, -1, -1):
            b.advance(start, k)
            b.turn(start + k)
            if k > 0:
                b.restore(start, slot, release=(k == 1))
            else:
                b.free.append(slot)
        return
    j = _best_split(length, snapshots)
    b.advance(start, j)
    inner = b.takeshot(start + j)
    _binomial(b, start + j, end, snapshots - 1, inner)
    b.restore(start, slot, release=False)
    _binomial(b, start, start + j, snapshots, slot)


def _sqrt_actions(b: _Builder, num_steps: int) -> None:
    """Store every k-th state (k = ceil(sqrt(T))); per segment, recompute and store all states."""
    k = math.isqrt(num_steps - 1) + 1
    starts = list(range(0, num_steps, k))
    last = starts[-1]
    slots: dict[int, int] = {}
    for i in range(num_steps - 1):
        if i % k == 0 or i >= last:
            slots[i] = b.takeshot(i)
        b.advance(i, 1)
    b.turn(num_steps - 1)
    for i in range(num_steps - 2, last - 1, -1):
        b.restore(i, slots.pop(i), release=True)
        b.turn(i)
    for s in reversed(starts[:-1]):
        b.restore(s, slots[s], release=False)
        inner = {s: slots.pop(s)}
        for i in range(s, s + k - 1):
            b.advance(i, 1)
            if i + 1 < s + k - 1:
                inner[i + 1] = b.takeshot(i + 1)
        b.turn(s + k - 1)
        for i in range(s + k - 2, s - 1, -1):
            b.restore(i, inner.pop(i), release=True)
            b.turn(i)


def _every_actions(b: _Builder, num_steps: int) -> None:
    """Store every state ``x_0 .. x_{T-2}`` in the primal pass; no recomputation."""
    slots = {}
    for i in range(num_steps - 1):
        slots[i] = b.takeshot(i)
        b.advance(i, 1)
    b.turn(num_steps - 1)
    for i in range(num_steps - 2, -1, -1):
        b.restore(i, slots.pop(i), release=True)
        b.turn(i)


def _needed(kind: str, num_steps: int) -> int:
    """Return the snapshot slots the fixed schedules ``sqrt`` and ``every`` use."""
    if kind == "every":
        return max(1, num_steps - 1)
    b = _Builder(num_steps)
    _sqrt_actions(b, num_steps)
    return max(1, Schedule(tuple(b.actions), num_steps, 1, kind).peak_snapshots)


def schedule(num_steps: int, snapshots: int | None = None, kind: str = "binomial") -> Schedule:
    """Return the schedule of kind ``kind`` that reverses ``num_steps`` steps.

    ``"binomial"`` is revolve: with c = ``snapshots`` it performs exactly
    :func:`optimal_advances` (T, c) advances, the minimum; with ``c >= T - 1`` it stores every
    state and recomputes nothing. ``"sqrt"`` stores every ceil(sqrt(T))-th state in the primal
    pass and, per segment, recomputes and stores that segment's states (about 2 sqrt(T)
    snapshots, T-1 recomputations at most). ``"every"`` stores all states ``x_0 .. x_{T-2}``
    (no recomputation). ``"sqrt"`` and ``"every"`` decide their own number of slots;
    ``snapshots`` may be None for them, and when given must be at least that number.

    Parameters
    ----------
    num_steps : int
        T >= 1.
    snapshots : int or None
        c >= 1, the number of stored states, the input ``x_0`` included (required for
        ``"binomial"``).
    kind : {"binomial", "sqrt", "every"}

    Returns
    -------
    Schedule

    Raises
    ------
    WengertValueError
        If T or c is not a positive integer, the kind is unknown, or c is too small for
        ``"sqrt"``/``"every"``.

    Examples
    --------
    >>> s = schedule(6, 2)
    >>> s.advances, optimal_advances(6, 2), s.peak_snapshots
    (8, 8, 2)
    >>> schedule(6, kind="every").recomputations
    0
    """
    if kind not in KINDS:
        raise WengertValueError(
            f"schedule: kind must be one of {', '.join(map(repr, KINDS))}, but it is {kind!r}."
        )
    if snapshots is None:
        if kind == "binomial":
            raise WengertValueError(
                "schedule: the 'binomial' schedule needs snapshots (an integer >= 1), but it "
                "is None. Pass snapshots=c, or use kind='sqrt' or 'every'."
            )
        _check_counts("schedule", num_steps, 1)
        snapshots = _needed(kind, num_steps)
    _check_counts("schedule", num_steps, snapshots)
    b = _Builder(num_steps)
    if kind == "binomial":
        slot = b.takeshot(0)
        _binomial(b, 0, num_steps, snapshots, slot)
    else:
        needed = _needed(kind, num_steps)
        if snapshots < needed:
            raise WengertValueError(
                f"schedule: the {kind!r} schedule for {num_steps} steps stores {needed} "
                f"states, but snapshots is {snapshots}. Pass snapshots=None (or >= {needed}), "
                f"or use kind='binomial', which works with any snapshots >= 1."
            )
        if kind == "sqrt":
            _sqrt_actions(b, num_steps)
        else:
            _every_actions(b, num_steps)
    return Schedule(tuple(b.actions), num_steps, snapshots, kind)
