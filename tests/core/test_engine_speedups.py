"""The engine's speed-ups are exact: each fast path gives what the slow one gives (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest

from gmpviz.core.engine import Engine
from gmpviz.core.gc.mgc import GC
from gmpviz.core.trace.stats import COUNTERS_DTYPE
from gmpviz.core.workload.loader import list_presets, load_scenario


@pytest.mark.parametrize("name", ["gc-steady", "alloc-mix", "memlimit", "gc-death-spiral"])
def test_heap_trigger_memo_equals_the_pacer_every_time(monkeypatch, name):
    calls = {"n": 0}
    memo = GC.heap_trigger

    def checked(self):
        calls["n"] += 1
        got = memo(self)
        assert got == self.gcController.trigger()
        return got

    monkeypatch.setattr(GC, "heap_trigger", checked)
    eng = Engine(load_scenario(name), seed=1, duration_ns=300_000_000)
    eng.run()
    assert calls["n"] > 10 and eng.gc_cycles > 0


def test_counters_rows_equal_a_row_filled_field_by_field():
    eng = Engine(load_scenario("gc-steady"), seed=1, duration_ns=200_000_000)
    eng.run_until(100_000_000)
    rows = eng.drain_counters()
    assert rows.dtype == COUNTERS_DTYPE and len(rows) >= 100
    assert np.all(np.diff(rows["t_ns"]) > 0)
    row = np.zeros(1, dtype=COUNTERS_DTYPE)
    for name, value in zip(COUNTERS_DTYPE.names, eng._counter_values()):
        row[0][name] = value
    assert row.tobytes() == eng.counters().tobytes()


@pytest.mark.parametrize("name", ["gc-steady", "gomaxprocs", "memlimit", "syscall-handoff", "oom"])
def test_counter_tuples_equal_the_rows_filled_by_name_at_every_sample(monkeypatch, name):
    checked = {"n": 0}
    fast = Engine._counter_values

    def both(self):
        got = fast(self)
        want = self._counter_values_by_name()
        assert got == want and [type(x) for x in got] == [type(x) for x in want]
        checked["n"] += 1
        return got

    monkeypatch.setattr(Engine, "_counter_values", both)
    eng = Engine(load_scenario(name), seed=1, duration_ns=300_000_000)
    eng.sample_reuse = False  # every sample a full row (a reused row is checked below)
    eng.run_until(150_000_000)
    eng.apply(("gomaxprocs", 3))
    eng.apply(("gogc", 50))
    eng.run()
    eng.drain_counters()
    assert checked["n"] > 100


@pytest.mark.parametrize("name", ["cpu-bound", "preemption", "gosched", "chan-pileup"])
def test_a_resampled_row_equals_a_full_row(monkeypatch, name):
    checked = {"n": 0}
    resampled = Engine._resampled_row

    def both(self, last):
        got = resampled(self, last)
        want = self._counter_values()
        assert got == want and [type(x) for x in got] == [type(x) for x in want]
        checked["n"] += 1
        return got

    monkeypatch.setattr(Engine, "_resampled_row", both)
    eng = Engine(load_scenario(name), seed=1, duration_ns=400_000_000)
    eng.sample_fast_forward = False  # one step per sample: each gap's samples are resampled rows
    t = 0
    while not eng.done:
        t += 10_000_000
        eng.run_until(t)
        eng.drain()
        rows = eng.drain_counters()
        assert np.all(np.diff(rows["t_ns"]) > 0)
        if t == 200_000_000:
            eng.apply(("gomaxprocs", 2))
            eng.apply(("gogc", 25))
    assert checked["n"] > 50


@pytest.mark.parametrize("name", [name for name, _ in list_presets()])
def test_no_counter_moves_without_an_event(monkeypatch, name):
    """A sample reuses the last row when no event was emitted since (Engine._resampled_row): every
    state the row reads changes only with an event. Checked at each sample of every preset, fast
    forward on as recordings run, a command applied midway."""
    resampled = Engine._resampled_row

    def checked(self, last):
        got = resampled(self, last)
        want = self._counter_values()
        assert got == want and [type(x) for x in got] == [type(x) for x in want], "a counter moved"
        return got

    monkeypatch.setattr(Engine, "_resampled_row", checked)
    eng = Engine(load_scenario(name), seed=1, duration_ns=300_000_000)
    t = 0
    while not eng.done:
        t += 10_000_000
        eng.run_until(t)
        eng.drain()
        eng.drain_counters()
        if t == 150_000_000:
            eng.apply(("gogc", 25))


def _slices(name: str, fast_forward: bool, slice_ns: int, sample_counters: bool = True):
    """Every drain of a run in slices (a command applied midway) and the run's stats."""
    eng = Engine(load_scenario(name), seed=1, duration_ns=400_000_000)
    eng.sample_fast_forward = fast_forward
    eng.sample_counters = sample_counters
    out, t = [], 0
    while not eng.done:
        t += slice_ns
        eng.run_until(t)
        out.append(eng.drain().tobytes())
        out.append(eng.drain_counters().tobytes())
        if t == 20 * slice_ns:
            eng.apply(("gomaxprocs", 3))
    return out, eng.stats()


@pytest.mark.parametrize("name", ["cpu-bound", "preemption", "gomaxprocs", "netpoll", "gc-steady"])
@pytest.mark.parametrize("slice_ns", [10_000_000, 3_333_333])
def test_fast_forwarded_samples_equal_one_step_per_sample(name, slice_ns):
    """The samples taken at once up to the next step (_fast_forward_samples) are the rows, events and
    run-queue means one clock step per sample gives."""
    assert _slices(name, True, slice_ns) == _slices(name, False, slice_ns)
    assert _slices(name, True, slice_ns, False)[1] == _slices(name, False, slice_ns, False)[1]


def test_fast_forward_stays_within_run_until():
    eng = Engine(load_scenario("cpu-bound"), seed=1, duration_ns=100_000_000)
    for t in range(1_000_000, 100_000_001, 7_000_000):
        eng.run_until(t)
        rows = eng.drain_counters()
        assert rows["t_ns"].max() <= eng.now == t and np.all(np.diff(rows["t_ns"]) > 0)
    steps = eng.steps
    eng.clock.step()  # a single step takes no sample ahead of the clock
    assert eng.steps == steps + 1 and eng.drain_counters()["t_ns"].max() <= eng.now


def test_headless_runs_without_counter_rows_keep_the_current_row():
    eng = Engine(load_scenario("default"), seed=1, duration_ns=50_000_000)
    eng.sample_counters = False
    eng.run()
    rows = eng.drain_counters()
    assert len(rows) == 1 and rows["t_ns"][0] == eng.now


def test_drain_packs_what_fromiter_makes():
    from gmpviz.core.trace import tracer

    long = list(range(3 * tracer._PACK_INTS + 5))  # several pack_into chunks
    for flat in ([1, -1, 2**62, True, np.int64(7), 0] * 3, [1.5, 2, 3], long):
        got = tracer._int64s(flat, len(flat))
        assert got.dtype == np.int64
        assert got.tobytes() == np.fromiter(flat, dtype=np.int64, count=len(flat)).tobytes()
    with pytest.raises(OverflowError):
        tracer._int64s([1, 2**63], 2)


#: CPython 3.11 keeps at most this many attributes of an instance in shared-key values; one more
#: materializes the instance's dict, and every ``self.method()`` call then takes the generic lookup
SHARED_KEYS_MAX = 30


@pytest.mark.parametrize("name", ["default", "gc-steady", "syscall-handoff", "gomaxprocs"])
def test_the_hot_parts_keep_their_instance_dicts_within_shared_keys(name):
    eng = Engine(load_scenario(name), seed=1, duration_ns=300_000_000)
    eng.run()
    for part in (eng.scheduler, eng.allocator, eng.os):
        left = sorted(getattr(part, "__dict__", {}))  # (materializes the dict: only after the run)
        assert len(left) <= SHARED_KEYS_MAX, f"{type(part).__name__}: add to __slots__: {left}"


def test_counter_arrays_pack_what_numpy_makes():
    from gmpviz.core.engine import _counter_array

    eng = Engine(load_scenario("gc-steady"), seed=1, duration_ns=100_000_000)
    eng.run()
    rows = [eng._counter_values(), eng._counter_values_by_name()]
    for got_rows in (rows, rows[:1], [], [(*rows[0][:5], 7.9, *rows[0][6:])]):  # a float in an int column
        want = np.array(got_rows, dtype=COUNTERS_DTYPE)
        got = _counter_array(got_rows)
        assert got.dtype == COUNTERS_DTYPE and got.tobytes() == want.tobytes()
    too_big = [(*rows[0][:1], 2**40, *rows[0][2:])]  # gomaxprocs is an int32 column
    with pytest.raises(OverflowError):
        np.array(too_big, dtype=COUNTERS_DTYPE)
    with pytest.raises(OverflowError):
        _counter_array(too_big)


def _drive(name: str, slice_ns: int, max_events: int, schedtrace_ms: int = 0):
    """Every drain of a run in slices, each drained every max_events (as the recorder does), a
    command applied midway; the stats and schedtrace lines."""
    eng = Engine(load_scenario(name), seed=1, duration_ns=300_000_000, schedtrace_ms=schedtrace_ms)
    out, t = [], 0
    while not eng.done:
        t += slice_ns
        while True:
            n = eng.run_until(t, max_events=max_events)
            out.append(eng.drain().tobytes())
            out.append(eng.drain_counters().tobytes())
            if n < max_events or eng.done:
                break
        if t == 7 * slice_ns:
            eng.apply(("gomaxprocs", 3))
    return out, eng.stats(), eng.scheduler.schedtrace_lines


@pytest.mark.parametrize("name", ["syscall-handoff", "preemption", "netpoll", "alloc-mix"])
@pytest.mark.parametrize(
    ("slice_ns", "max_events", "schedtrace_ms"),
    [(10_000_000, 200_000, 0), (3_333_333, 7, 0), (10_000_000, 200_000, 5)],
)
def test_sysmon_idle_rounds_equal_rounds_popped_one_by_one(
    monkeypatch, name, slice_ns, max_events, schedtrace_ms
):
    """sysmon's rounds run at once while nothing can happen (_sysmon_idle_rounds) give the events,
    rows, statistics and schedtrace lines of one clock step per round, also when a run stops at its
    event limit."""
    from gmpviz.core.sched.sysmon import SysmonMixin

    fast = _drive(name, slice_ns, max_events, schedtrace_ms)
    monkeypatch.setattr(SysmonMixin, "_sysmon_idle_rounds", lambda self, t: t)
    assert fast == _drive(name, slice_ns, max_events, schedtrace_ms)
