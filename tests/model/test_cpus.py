"""The CPU lanes (model/cpus.py): packed from the M lanes into ncpu slots."""

import numpy as np
import pytest

from gmpviz.core.engine import Engine
from gmpviz.core.trace.events import EV, LANE_ACTIONS
from gmpviz.core.workload.loader import load_scenario
from gmpviz.model import Model
from gmpviz.model.cpus import SYSMON_M, _pack, on_cpu

MS = 1_000_000


def run(name: str, procs: int, ncpu: int, duration_ns: int = 60 * MS):
    sc = load_scenario(name)
    eng = Engine(sc, duration_ns=duration_ns, procs=procs, ncpu=ncpu)
    model, parts, t = Model(sc.groups), [], 0
    while not eng.done:
        t += 20 * MS
        eng.run_until(t)
        ev = eng.drain()
        parts.append(ev)
        model.apply(ev)
    return eng, model, np.concatenate(parts)


def test_pack_lowest_free_slot_and_keeps_it():
    # runs: a [0,10) b [0,5) c [5,20) d [10,12) e [12,30) with 2 slots; f [1,2) finds none
    s = np.array([0, 0, 5, 10, 12, 1])
    e = np.array([10, 5, 20, 12, 30, 2])
    m = np.array([0, 1, 2, 3, 4, 5])
    assert _pack(s, e, m, 2).tolist() == [0, 1, 1, 0, 0, -1]


@pytest.mark.parametrize(
    "name,procs,ncpu", [("default", 4, 2), ("syscall-handoff", 4, 2), ("netpoll", 4, 1), ("gc-steady", 4, 2)]
)
def test_cpu_lanes_hold_every_run_within_ncpu(name, procs, ncpu):
    eng, model, ev = run(name, procs, ncpu)
    c = model.cpus(eng.ncpu)
    tl = c.timeline
    assert tl.nlanes == ncpu
    # occupancy never exceeds ncpu: every on-CPU stretch found a slot, and a slot's segments never overlap
    assert c.overflow_ns == 0
    for ln in tl.lanes:
        s, e = ln.seg.col("start_ns"), ln.seg.col("end_ns")
        assert (s[1:] >= e[:-1]).all() and (e > s).all()
    r = c.runs
    for t in np.unique(np.r_[r["start_ns"], r["end_ns"]]):
        assert c.occupancy_at(int(t)) <= ncpu
    # every MCPURun (an M gets a CPU after a wait) starts exactly one run, on exactly one slot
    got = ev[ev["kind"] == EV.MCPURun]
    assert len(got) > 0
    # (unless it resumes a syscall, drawn off-CPU, or loses the CPU at once)
    resumed_syscall = got["a0"] == LANE_ACTIONS.index("syscall")
    placed = 0
    for t, m, sc in zip(got["t_ns"].tolist(), got["m"].tolist(), resumed_syscall.tolist()):
        hit = (r["start_ns"] == t) & (r["m"] == m)
        assert hit.sum() == 1 or sc or _zero_length(model, m, t)
        placed += int(hit.sum())
        if hit.sum():
            assert 0 <= int(r["slot"][hit][0]) < ncpu
    assert placed >= len(got) // 2
    # the CPUs' busy time is the Ms' on-CPU time, counted from the M lanes directly
    total = 0
    for mi, ln in enumerate(model.mtl.lanes):
        if mi == SYSMON_M:
            continue
        st, d = ln.seg.col("state"), ln.seg.col("end_ns") - ln.seg.col("start_ns")
        begun = np.r_[255, ln.seg.col("end_kind")[:-1]]
        on = on_cpu(st) & ~np.isin(begun, (int(EV.MWake), int(EV.MCreate)))
        total += int(d[on].sum())
        if (
            ln.o_state
            and on_cpu(np.array([ln.o_state]))[0]
            and ln.seg.n
            and ln.seg.col("end_kind")[-1]
            not in (
                int(EV.MWake),
                int(EV.MCreate),
            )
        ):
            total += tl.now_ns - ln.o_start
    assert int(c.busy_ns.sum()) == c.run_ns == total
    for cpu, ln in enumerate(tl.lanes):
        assert c.busy_ns[cpu] == int((ln.seg.col("end_ns") - ln.seg.col("start_ns")).sum())
    # and never more than the machine has
    assert (c.busy_ns <= tl.now_ns).all()
    # segments carry the M that runs there and what it runs
    assert set(np.concatenate([ln.seg.col("other") for ln in tl.lanes]).tolist()) <= set(
        range(model.mtl.nlanes)
    )


def _zero_length(model, m: int, t: int) -> bool:
    """M m's lane has no on-CPU time right after t (it got a CPU and lost it or parked at once)."""
    seg = model.mtl.segment_at(m, t)
    return seg is None or seg["start_ns"] != t or not on_cpu(np.array([seg["state"]]))[0]


def test_cpu_lanes_of_a_machine_with_enough_cpus_never_wait():
    eng, model, ev = run("default", 2, 4, 20 * MS)
    c = model.cpus(eng.ncpu)
    assert c.timeline.nlanes == 4 and c.overflow_ns == 0
    assert not (ev["kind"] == EV.MCPUWait).any()
    assert c.run_ns > 0 and int(c.busy_ns.sum()) == c.run_ns
