"""Stop-the-world pauses are never free (go-runtime-facts.md §3.10, claim 6): every STW kind costs the
stop/start machinery even when no other P has to be stopped, plus its own work."""

from __future__ import annotations

import re

import numpy as np
import pytest
from _scen import scen

from gmpviz.core import constants as C
from gmpviz.core.engine import Engine
from gmpviz.core.trace.events import EV, STW_GOMAXPROCS
from gmpviz.core.workload.loader import load_scenario


def run(sc, **kw) -> np.ndarray:
    eng = Engine(sc, **kw)
    eng.run()
    assert eng.error is None
    return eng.drain()


def of(ev, kind) -> np.ndarray:
    return ev[ev["kind"] == int(kind)]


def pauses(ev) -> np.ndarray:
    """STWEnd rows, checked against their STWBegin: one pause at a time, duration = end - begin."""
    b, e = of(ev, EV.STWBegin), of(ev, EV.STWEnd)
    if len(b) == len(e) + 1 and (len(e) == 0 or b["t_ns"][-1] > e["t_ns"][-1]):
        b = b[:-1]  # the last pause is still under way where the run's duration cut it
    assert len(b) == len(e) >= 1
    assert (b["a0"] == e["a0"]).all()
    assert (e["a1"] == e["t_ns"] - b["t_ns"]).all()
    return e


@pytest.mark.parametrize(
    ("preset", "duration_ns"),
    [("gomaxprocs", None), ("default", 400_000_000), ("gc-steady", 300_000_000), ("gc-assist", 200_000_000)],
)
def test_every_stw_pause_is_positive(preset, duration_ns):
    e = pauses(run(load_scenario(preset), duration_ns=duration_ns))
    assert (e["a1"] >= C.COST_STW_NS).all(), e["a1"].tolist()


def test_gomaxprocs_grow_from_one_p_pauses_like_the_other_resizes():
    ev = run(load_scenario("gomaxprocs"))
    e = pauses(ev)
    resize = of(ev, EV.ProcResize)
    resize = resize[resize["t_ns"] > 0]  # schedinit's procresize is not a STW
    assert len(e) == len(resize) == 3
    assert (e["a0"] == STW_GOMAXPROCS).all()
    assert (resize["t_ns"] == e["t_ns"]).all()
    grow_from_one = (resize["a0"] == 1) & (resize["a1"] > 1)
    assert grow_from_one.sum() == 1
    single, others = int(e["a1"][grow_from_one][0]), e["a1"][~grow_from_one]
    assert single > 0
    # the resizes that had other Ps to stop also wait for their Gs to take the preemption signal
    # (a modelled draw, at most ASYNC_PREEMPT_MAX_NS: docs/machine.md); real Go 1.27 measured 4-7 µs
    # growing from one P and 6-57 µs for the shrinks (constants.py COST_STW_NS)
    most = C.ASYNC_PREEMPT_MAX_NS + C.COST_STW_NS + 8 * C.COST_PROCRESIZE_PER_P_NS
    assert single < others.min() and others.max() <= most, (single, others.tolist())


def test_one_p_resize_pause_is_the_machinery_plus_procresize_work():
    # GOMAXPROCS=1 and the caller is on the only P: nothing to wait for, yet the pause is not 0
    sc = scen(
        '[programs.main]\nops = [ { compute = "1ms" }, { gomaxprocs = 4 }, { compute = "1ms" } ]',
        gomaxprocs=1,
        duration="10ms",
    )
    e = pauses(run(sc))
    assert e["a1"].tolist() == [C.COST_STW_NS + 3 * C.COST_PROCRESIZE_PER_P_NS]


def test_resize_from_outside_with_every_p_idle_is_not_free():
    sc = scen('[programs.main]\nops = [ { sleep = "5ms" } ]', gomaxprocs=2, duration="10ms")
    eng = Engine(sc)
    eng.run_until(1_000_000)
    eng.apply(("gomaxprocs", 1))
    eng.run()
    e = pauses(eng.drain())
    assert e["a1"].tolist() == [C.COST_STW_NS + C.COST_PROCRESIZE_PER_P_NS]
    assert eng.gomaxprocs == 1


@pytest.mark.parametrize("procs", [1, 2])
def test_sweep_termination_includes_the_wake_up_stall_only_when_the_restart_wakes_an_m(procs):
    """gcStart's startTheWorldWithSema wakes a parked M for an idle P's mark worker; the stopper's
    nanotime() (work.tMark) comes after a measured stall (gc/mgc.py STW_WAKE_STALL_*,
    tests/fidelity/progs/stwwake): gctrace's sweep-termination clock includes it, the STW event ends
    at the restart, and the mark phase never ends before tMark (gcMarkDone waits for worldsema).
    With one P there is nothing to wake: no stall."""
    from gmpviz.core.gc.mgc import STW_WAKE_STALL_MEDIAN_NS

    sc = scen(
        """
[programs.main]
ops = [ { repeat = "forever", body = [ { alloc = "64KiB", count = 16, lifetime = "temp" },
        { sleep = "200us" } ] } ]
""",
        gomaxprocs=procs,
        duration="100ms",
    )
    eng = Engine(sc, gctrace=True)
    eng.run()
    assert eng.error is None
    ev = eng.drain()
    assert eng.gc.gc_cycles >= 4
    stw = of(ev, EV.STWEnd)
    sweepterm = stw["a1"][stw["a0"] == 0]  # STW_GC_SWEEP_TERM events: they end at the restart
    # gctrace's clock fields (fmtNSAsMS: 2 significant digits), all >= 0
    clock = [re.match(r"gc \d+ @\S+ \d+%: (\S+)\+(\S+)\+(\S+) ms clock", ln) for ln in eng.gc_trace_lines]
    first = np.array([float(m.group(1)) * 1e6 for m in clock])
    n = min(len(first), len(sweepterm))
    stall = first[:n] - sweepterm[:n]
    if procs == 1:
        assert (np.abs(stall) <= 0.05 * sweepterm[:n] + 1000).all(), stall
    else:
        assert (stall > 0).all()
        assert STW_WAKE_STALL_MEDIAN_NS / 5 < np.median(stall) < STW_WAKE_STALL_MEDIAN_NS * 5
