"""The events carry enough to rebuild every run queue exactly (no repair needed)."""

import pytest

from gmpviz.core.engine import Engine
from gmpviz.core.workload.loader import load_scenario
from gmpviz.model import Model


@pytest.mark.parametrize("name", ["work-stealing", "default", "gosched", "syscall-handoff", "gomaxprocs"])
def test_model_rebuilds_run_queues_exactly(name):
    sc = load_scenario(name)
    eng = Engine(sc, duration_ns=min(sc.duration_ns, 300_000_000))
    model = Model(sc.groups)
    t = 0
    while not eng.done:
        t += 3_000_000
        eng.run_until(t)
        model.apply(eng.drain())
        st = model.state
        for p in range(eng.gomaxprocs):
            assert list(st.runq[p]) == [g.goid for g in eng.allp[p].runq], f"P{p} at {eng.now}"
            want = eng.allp[p].runnext
            assert st.runnext[p] == (want.goid if want else 0)
        assert list(st.globrunq) == [g.goid for g in eng.sched_runq]
    assert model.state.resyncs == 0
