"""gcMarkDone while another stop-the-world holds worldsema (mgc.go: semacquire(&worldsema) before its
forEachP): the last mark worker parks until that STW's startTheWorld, and the world is never taken
as stopped while the worker still runs."""

from __future__ import annotations

from _scen import scen

import gmpviz.core.gc.mgc as mgc
from gmpviz.core.constants import Grunning
from gmpviz.core.engine import Engine
from gmpviz.core.trace.events import EV, WAIT_SEMACQUIRE


def test_the_last_worker_waits_for_a_gomaxprocs_stw_that_holds_worldsema(monkeypatch):
    # CI's hypothesis run found this race by chance (a GOMAXPROCS change from one G while runtime.GC's
    # last worker ran out of work); the timing that produced it moves with every model change, so
    # here the STW is started at that very moment, from the M of a running user goroutine, as its
    # runtime.GOMAXPROCS call would.
    sc = scen(
        """
[programs.main]
ops = [ { go = "alloc", count = 2 }, { repeat = "forever", body = [ { compute = "20us" }, "gosched" ] } ]
[programs.alloc]
ops = [ { repeat = "forever", body = [
  { alloc = "512B", count = 64, lifetime = "temp" }, { compute = "5us" },
] } ]
""",
        gomaxprocs=2,
        duration="60ms",
    )
    fired = []
    orig = mgc.GC.gcBgMarkWorker_park

    def park(self, m, gp):
        rt = self.rt
        if not fired and self.work.empty() and self.gcBlackenEnabled and not self.gc_marktermination:
            for pp in rt.allp[: rt.gomaxprocs]:
                o = pp.m
                g = o.curg if o is not None and o is not m else None
                if g is not None and g.status == Grunning and not g.is_worker:
                    fired.append(o)
                    o.token += 1  # the G is inside runtime.GOMAXPROCS now, not in its op's step
                    rt.set_gomaxprocs(3, o)
                    break
        orig(self, m, gp)

    monkeypatch.setattr(mgc.GC, "gcBgMarkWorker_park", park)
    eng = Engine(sc)
    while not eng.done and eng._heap and eng.now < 60_000_000:
        eng.step_event()
        eng.check_invariants()
    assert fired, "no mark worker ran out of work beside a running user goroutine"
    ev = eng.drain()
    blocked = ev[ev["kind"] == EV.GoBlock]
    assert (blocked["a0"] == WAIT_SEMACQUIRE).any()  # the worker parked on worldsema
    assert eng.gomaxprocs == 3
    assert eng.gc.gc_cycles >= 2  # the waiting cycle finished, and marking went on after it
