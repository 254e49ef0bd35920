"""EngineThread + Session against the synthetic engine and the real one (no Qt)."""

import threading
import time

import numpy as np
import pytest
from _synthetic import SyntheticEngine

from gmpviz.core.constants import MS
from gmpviz.core.thread import EngineThread
from gmpviz.model import Model
from gmpviz.session import LiveSource, Session


def pump_until(session, cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.pump()
        if cond():
            return True
        time.sleep(0.005)
    return False


def test_runs_to_the_end_at_max_speed_and_stops_cleanly():
    eng = SyntheticEngine(duration_ns=50 * MS)
    src = LiveSource(eng)
    s = Session(src, Model(eng.groups))
    src.start()
    assert pump_until(s, lambda: s.done)
    src.stop()
    assert not src.thread.is_alive()
    assert s.model.now_ns == 50 * MS
    assert s.model.events_total == eng._i or s.model.events_total > 0
    assert s.model.ptl.segment_count() > 100


def test_pacing_follows_speed():
    eng = SyntheticEngine(duration_ns=1000 * MS)
    th = EngineThread(eng, speed_ns_per_s=10 * MS)  # 10 ms of virtual time per second
    t0 = time.perf_counter()
    th.start()
    time.sleep(0.3)
    now, elapsed = eng.now_ns, time.perf_counter() - t0
    th.stop()
    assert 0.5 * 10 * MS * elapsed <= now <= 10 * MS * elapsed + 1 * MS, (now, elapsed)


def test_pause_step_apply_and_notice():
    eng = SyntheticEngine(duration_ns=100 * MS)
    src = LiveSource(eng, paused=True)
    s = Session(src, Model(eng.groups))
    src.start()
    time.sleep(0.1)
    s.pump()
    assert s.model.events_total == 0
    src.thread.step("event")
    assert pump_until(s, lambda: s.model.events_total >= 1)
    n1 = s.model.events_total
    assert n1 <= 2
    src.thread.apply(("gomaxprocs", 2))
    assert pump_until(s, lambda: s.model.ptl.active_lanes() == 2 or eng.gomaxprocs == 2)
    src.thread.apply(("bogus", 1))
    got = []
    deadline = time.monotonic() + 5
    while not got and time.monotonic() < deadline:
        got.extend(s.pump().notices)
        time.sleep(0.005)
    assert "unknown command" in got[0]
    src.thread.resume()
    assert pump_until(s, lambda: s.done)
    src.stop()


class Boom(SyntheticEngine):
    def run_until(self, t_ns, max_events=None):
        if self.now_ns > 5 * MS:
            raise ZeroDivisionError("engine bug")
        return super().run_until(t_ns, max_events)


def test_engine_exception_becomes_a_crash_batch():
    eng = Boom(duration_ns=100 * MS)
    src = LiveSource(eng)
    s = Session(src, Model())
    src.start()
    assert pump_until(s, lambda: s.crash is not None)
    assert "ZeroDivisionError: engine bug" in s.crash and "Traceback" in s.crash
    src.stop()
    assert not src.thread.is_alive()


def test_real_engine_through_the_session():
    from gmpviz.core.engine import Engine
    from gmpviz.core.workload.loader import load_scenario

    sc = load_scenario("work-stealing")
    src = LiveSource(Engine(sc, duration_ns=30 * MS))
    s = Session(src, Model(sc.groups))
    src.start()
    assert pump_until(s, lambda: s.done, timeout=30)
    src.stop()
    m = s.model
    assert m.ptl.active_lanes() == sc.gomaxprocs
    # run queue reconstruction agrees with the engine's own counters
    last = m.counters.last()[0]
    assert int(m.state.runq_lengths().sum()) == int(last["local_runq_total"])
    assert len(m.state.globrunq) == int(last["global_runq"])
    assert m.ptl.markers.n > 0  # steals happened


def test_typed_commands_reach_the_engine_in_its_tuple_form():
    from gmpviz.core.settings import SetGCPercent, SetGOMAXPROCS, SetMemoryLimit, SetPolicy

    eng = SyntheticEngine(duration_ns=100 * MS)
    src = LiveSource(eng, paused=True)
    s = Session(src, Model(eng.groups))
    src.start()
    for cmd in (SetGOMAXPROCS(2), SetGCPercent(50), SetMemoryLimit(64 << 20), SetPolicy("no-steal")):
        src.thread.apply(cmd)
    assert pump_until(s, lambda: len(eng.applied) == 4)
    src.stop()
    assert eng.applied == [("gomaxprocs", 2), ("gogc", 50), ("memlimit", 64 << 20), ("policy", "no-steal")]
    assert (eng.gomaxprocs, eng.gogc, eng.policy) == (2, 50, "no-steal")


def test_both_engines_are_engine_like():
    from gmpviz.core.engine import Engine
    from gmpviz.core.workload.loader import load_scenario
    from gmpviz.session import EngineLike

    assert isinstance(SyntheticEngine(duration_ns=MS), EngineLike)
    assert isinstance(Engine(load_scenario("default"), duration_ns=MS), EngineLike)


def test_no_thread_left_behind():
    before = {t.name for t in threading.enumerate()}
    eng = SyntheticEngine(duration_ns=1000 * MS)
    th = EngineThread(eng, speed_ns_per_s=None)
    th.start()
    time.sleep(0.05)
    th.stop()
    assert not th.is_alive()
    assert "gmpviz-engine" not in {t.name for t in threading.enumerate()} - before


@pytest.mark.parametrize("bad", ["jump"])
def test_step_rejects_unknown_kind(bad):
    th = EngineThread(SyntheticEngine(duration_ns=MS))
    with pytest.raises(ValueError):
        th.step(bad)
    assert np.zeros(1).size == 1


def test_model_does_not_depend_on_batch_cuts():
    from gmpviz.core.engine import Engine
    from gmpviz.core.workload.loader import load_scenario

    sc = load_scenario("default")
    eng = Engine(sc, duration_ns=60 * MS)
    parts = []
    while not eng.done:
        eng.run_until(eng.now + 5 * MS, max_events=3000)
        parts.append(eng.drain())
    ev = np.concatenate(parts)
    whole, cut = Model(sc.groups), Model(sc.groups)
    whole.apply(ev)
    for i in range(0, len(ev), 777):
        cut.apply(ev[i : i + 777])
    for name in ("ptl", "mtl"):
        a, b = getattr(whole, name), getattr(cut, name)
        assert a.segment_count() == b.segment_count() > 0
        np.testing.assert_array_equal(a.raster(0, 60 * MS, 400), b.raster(0, 60 * MS, 400))
    for k, v in whole.snapshot().items():
        np.testing.assert_array_equal(v, cut.snapshot()[k], err_msg=k)


def test_pump_joins_batches_exactly_like_concatenate():
    from gmpviz.core.engine import Engine
    from gmpviz.core.thread import Batch
    from gmpviz.core.workload.loader import load_scenario

    sc = load_scenario("default")
    eng = Engine(sc, duration_ns=30 * MS)
    batches = []
    while not eng.done:
        eng.run_until(eng.now + 3 * MS, max_events=500)
        batches.append(Batch(eng.drain(), eng.drain_counters(), eng.now, eng.done))
    batches.append(Batch(batches[0].events[:0], batches[0].counters[:0], eng.now, True))  # an empty one
    assert sum(len(b.counters) > 0 for b in batches) > 1 and sum(len(b.events) > 0 for b in batches) > 1

    class Source:
        def poll(self):
            return batches

    class Writer:
        def append(self, events, counters):
            self.got = (events, counters)

    w = Writer()
    res = Session(Source(), Model(sc.groups), w).pump()
    events, counters = w.got
    want_ev = np.concatenate([b.events for b in batches])
    want_c = np.concatenate([b.counters for b in batches])
    assert res.events == len(events) == len(want_ev)
    assert events.dtype == want_ev.dtype and counters.dtype == want_c.dtype
    np.testing.assert_array_equal(events, want_ev)
    np.testing.assert_array_equal(counters, want_c)
    assert not any(np.shares_memory(counters, b.counters) for b in batches)


def test_idle_mark_workers_fold_as_waiting_not_runnable():
    """The runtime's parked mark workers are _Gwaiting (GC worker (idle)), never runnable Gs in no queue."""
    from gmpviz.core.constants import Gwaiting
    from gmpviz.core.engine import Engine
    from gmpviz.core.workload.loader import load_scenario
    from gmpviz.model.goroutines import RUNTIME_GROUP, profile

    sc = load_scenario("gc-steady")
    eng = Engine(sc, duration_ns=15 * MS)
    eng.run_until(eng.duration_ns)
    m = Model(sc.groups)
    m.apply(eng.drain())
    workers = [g for g in eng.runtime_gs if getattr(g, "is_worker", False)]
    assert workers
    for g in workers:
        if g.status == Gwaiting:
            assert m.state.g_status[g.goid] == Gwaiting
    runnable_rt = [r for r in profile(m.state, m.groups) if r[2] == RUNTIME_GROUP and r[0] == "runnable"]
    queued = set(m.state.globrunq) | {
        int(x) for p in range(len(m.state.runq)) for x in m.state.runq_contents(p)
    }
    for r in runnable_rt:
        assert set(r[4]) <= queued | {int(x) for x in m.state.runnext}
