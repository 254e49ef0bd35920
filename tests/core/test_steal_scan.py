"""stealWork's O(busy Ps) passes give exactly the events of proc.go's full scan over every P."""

import numpy as np
import pytest

from gmpviz.core.constants import MS, STEAL_TRIES, Pidle
from gmpviz.core.engine import Engine
from gmpviz.core.sched.scheduler import Scheduler
from gmpviz.core.workload.loader import load_scenario


def full_scan_stealWork(self, m, pp):  # noqa: N802 (proc.go's name)
    """The full scan as proc.go writes it (and as gmpviz did before the O(busy Ps) passes)."""
    n = self.gomaxprocs
    allp = self.allp
    rnd = self.rng.random
    coprimes = self.steal_coprimes
    for i in range(STEAL_TRIES):
        last_pass = i == STEAL_TRIES - 1
        pos = int(rnd() * n)
        inc = coprimes[int(rnd() * len(coprimes))]
        for _ in range(n):
            if self.sched.gcwaiting:
                return None, False, True
            p2 = allp[pos]
            pos = (pos + inc) % n
            if p2 is pp:
                continue
            if last_pass and p2.timers and p2.timers[0][0] <= self.clock.now:
                self.run_timers(p2, pp)
                gp, inherit = self.runqget(pp)
                if gp is not None:
                    return gp, inherit, False
            if p2.status == Pidle:
                continue
            gp = self.runqsteal(pp, p2, last_pass)
            if gp is not None:
                return gp, False, False
    return None, False, False


def _events(preset: str, procs: int, duration_ns: int) -> np.ndarray:
    eng = Engine(load_scenario(preset), procs=procs, duration_ns=duration_ns)
    eng.run_until(duration_ns)
    return eng.drain()


@pytest.mark.parametrize(
    ("preset", "procs"),
    [("default", 3), ("default", 64), ("work-stealing", 7), ("work-stealing", 256), ("gc-steady", 12)],
)
def test_same_events_as_the_full_scan(monkeypatch, preset, procs):
    fast = _events(preset, procs, 40 * MS)
    monkeypatch.setattr(Scheduler, "stealWork", full_scan_stealWork)
    slow = _events(preset, procs, 40 * MS)
    assert len(fast) > 1000
    np.testing.assert_array_equal(fast, slow)


def test_the_work_set_is_the_ps_with_queued_gs():
    eng = Engine(load_scenario("work-stealing"), procs=9, duration_ns=20 * MS)
    for _ in range(20_000):
        if eng.done:
            break
        eng.step_event()
        busy = {pp.id for pp in eng.allp if pp.runq or pp.runnext is not None}
        assert eng.scheduler.p_with_work == busy
