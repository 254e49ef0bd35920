"""Scheduler mechanisms, each shown by its events (go-runtime-facts.md §2–3)."""

from __future__ import annotations

import numpy as np
import pytest
from _scen import scen

from gmpviz.core import constants as C
from gmpviz.core.engine import Engine, EngineError
from gmpviz.core.runtime2 import G
from gmpviz.core.trace.events import (
    EV,
    HANDOFF_SYSMON,
    SRC_GLOBAL_FAIR,
    STOP_GOSCHED,
    STOP_PREEMPT,
    WHERE_GLOBAL,
    WHERE_RUNNEXT,
)
from gmpviz.core.workload.loader import load_scenario


def run(sc, **kw) -> tuple[Engine, np.ndarray]:
    eng = Engine(sc, **kw)
    eng.run()
    return eng, eng.drain()


def of(ev, kind) -> np.ndarray:
    return ev[ev["kind"] == int(kind)]


def user_only(ev) -> np.ndarray:
    """The events without those of the runtime's own goroutines (forcegchelper, bgsweep, bgscavenge
    that runtime.main starts before main.main: GoCreate's group is -1)."""
    create = of(ev, EV.GoCreate)
    runtime_gs = create[create["a1"] < 0]["g"]
    return ev[~np.isin(ev["g"], runtime_gs)]


def test_new_goroutine_goes_to_runnext_and_runs_next_on_creators_p():
    sc = scen(
        """
[channels]
c = 0
[programs.main]
ops = [ { go = "child" }, { recv = "c" } ]
[programs.child]
ops = [ { compute = "1us" }, { send = "c" } ]
""",
        gomaxprocs=1,
        duration="1ms",
    )
    eng, ev = run(sc)
    ev = user_only(ev)
    create = of(ev, EV.GoCreate)
    child = int(create[create["g"] != 1]["g"][0])
    put = of(ev, EV.RunqPut)
    assert put[put["g"] == child]["a0"][0] == WHERE_RUNNEXT
    starts = of(ev, EV.GoStart)
    # after main parks on the receive, the child is the next G started on P0, inheriting the slice
    # (main started before: runtime.main's start-up ops ran first and parked it twice)
    starts = starts[starts["t_ns"] > create[create["g"] == child]["t_ns"][0]]
    assert starts["g"][0] == child
    assert starts["p"][0] == 0 and starts["a0"][0] == 1


def test_runnext_kicks_the_old_runnext_to_the_tail():
    sc = scen(
        '[programs.main]\nops = [ { go = "w", count = 3 }, { compute = "1ms" } ]\n'
        '[programs.w]\nops = [ { compute = "1us" } ]',
        gomaxprocs=1,
        duration="100us",
    )
    eng, ev = run(sc)
    ev = user_only(ev)
    put = of(ev, EV.RunqPut)
    gids = of(ev, EV.GoCreate)["g"][1:]
    # second and third go statements kick the previous runnext to the ring's tail
    kicked = put[put["a2"] != 0]["a2"]
    assert list(kicked) == [gids[0], gids[1]]
    pp = eng.allp[0]
    assert pp.runnext.goid == gids[2]
    assert [g.goid for g in pp.runq] == [gids[0], gids[1]]


def test_full_ring_spills_half_plus_one_to_the_global_queue():
    sc = load_scenario("work-stealing")
    eng, ev = run(sc, procs=1, duration_ns=5_000_000)
    spills = of(ev, EV.RunqSpill)
    assert len(spills) >= 1
    assert set(spills["a0"].tolist()) == {129}
    assert spills["a1"][0] >= 129  # global queue length after the batch


def test_runqsteal_takes_ceil_half_and_runs_the_last_one():
    sc = scen('[programs.main]\nops = [ { compute = "1ms" } ]', gomaxprocs=2, duration="1ms")
    eng = Engine(sc)
    thief, victim = eng.allp[0], eng.allp[1]
    gs = []
    for i in range(9):
        g = G()
        g.goid = 100 + i
        g.status = C.Grunnable
        gs.append(g)
        victim.runq.append(g)
    thief_len = len(thief.runq)
    got = eng.runqsteal(thief, victim, False)
    assert got is gs[4]  # 9 - 9//2 = 5 taken; the last of them runs
    assert [g.goid for g in victim.runq] == [105, 106, 107, 108]
    assert [g.goid for g in list(thief.runq)[thief_len:]] == [100, 101, 102, 103]
    steal = of(eng.drain(), EV.ProcSteal)[-1]
    assert (steal["p"], steal["a0"], steal["a1"]) == (0, 1, 5)


def test_runnext_is_stolen_only_on_the_last_pass():
    sc = scen('[programs.main]\nops = [ { compute = "1ms" } ]', gomaxprocs=2, duration="1ms")
    eng = Engine(sc)
    g = G()
    g.goid = 77
    g.status = C.Grunnable
    eng.allp[1].runnext = g
    assert eng.runqsteal(eng.allp[0], eng.allp[1], False) is None
    assert eng.runqsteal(eng.allp[0], eng.allp[1], True) is g
    assert eng.allp[1].runnext is None


def test_idle_ps_steal_from_a_busy_one():
    sc = load_scenario("work-stealing")
    eng, ev = run(sc, duration_ns=20_000_000)
    steals = of(ev, EV.ProcSteal)
    assert len(steals) > 0
    assert (steals["p"] != steals["a0"]).all()
    # every steal is done by a spinning M
    assert len(of(ev, EV.MSpinBegin)) >= len(steals) // 4


def test_long_syscall_loses_its_p_and_its_m_parks_when_no_p_is_free():
    sc = scen(
        """
[programs.main]
ops = [ { go = "cpu" }, { compute = "10us" }, { syscall = "30ms" }, { compute = "1ms" } ]
[programs.cpu]
ops = [ { compute = "100ms" } ]
""",
        gomaxprocs=1,
        duration="60ms",
    )
    eng, ev = run(sc)
    begin = of(ev, EV.GoSyscallBegin)
    assert begin["g"][0] == 1
    retake = of(ev, EV.Retake)
    assert len(retake) == 1 and retake["g"][0] == 1
    # With work queued sysmon does not wait the full 10 ms. (The first syscall on a P is retaken at
    # sysmon's first look: pd.syscalltick starts equal to pp.syscalltick, as in the runtime.)
    assert 0 < retake["t_ns"][0] - begin["t_ns"][0] < C.SYSCALL_RETAKE_NS
    hand = of(ev, EV.ProcHandoff)
    assert hand["a0"][0] == HANDOFF_SYSMON
    # the CPU-bound G runs on another M meanwhile
    cpu_start = of(user_only(ev), EV.GoStart)
    cpu_start = cpu_start[cpu_start["g"] != 1]
    assert cpu_start["m"][0] != begin["m"][0]
    # the syscall returns with the only P busy: exitsyscallNoP -> global queue, the M parks
    blocked = of(ev, EV.GoSyscallEndBlocked)
    assert len(blocked) == 1 and blocked["g"][0] == 1
    t = blocked["t_ns"][0]
    glob = of(ev, EV.GlobRunqPut)
    assert ((glob["g"] == 1) & (glob["t_ns"] == t)).any()
    park = of(ev, EV.MPark)
    assert ((park["m"] == begin["m"][0]) & (park["t_ns"] == t)).any()


def test_short_syscall_keeps_its_p_fast_path():
    sc = scen(
        '[programs.main]\nops = [ { syscall = "5us" }, { compute = "1ms" } ]', gomaxprocs=2, duration="2ms"
    )
    eng, ev = run(sc)
    end = of(ev, EV.GoSyscallEnd)
    assert len(end) == 1 and end["a0"][0] == 0  # SYSEXIT_FAST
    assert len(of(ev, EV.Retake)) == 0


def test_cpu_bound_goroutine_is_preempted_after_10_to_20ms_to_the_global_queue():
    sc = load_scenario("preemption")
    eng, ev = run(sc, duration_ns=200_000_000)
    pre = of(ev, EV.Preempt)
    assert len(pre) > 0
    held = pre["a0"]
    assert (held >= C.FORCE_PREEMPT_NS).all() and (held <= 2 * C.FORCE_PREEMPT_NS).all()
    stops = of(ev, EV.GoStop)
    pstops = stops[stops["a0"] == STOP_PREEMPT]
    assert len(pstops) > 0 and (pstops["a1"] == WHERE_GLOBAL).all()
    # the time slice: from the GoStart that began the schedtick to the preemption stop
    for row in pstops[:5]:
        st = of(ev, EV.GoStart)
        st = st[(st["g"] == row["g"]) & (st["t_ns"] <= row["t_ns"])][-1]
        assert (
            C.FORCE_PREEMPT_NS <= row["t_ns"] - st["t_ns"] <= 2 * C.FORCE_PREEMPT_NS + C.ASYNC_PREEMPT_MAX_NS
        )


def test_every_61st_schedtick_takes_one_g_from_the_global_queue():
    # The spawner fills P0's ring with short Gs (each new G kicks the previous runnext to the tail);
    # the yielders keep the global queue non-empty. Ring Gs start new time slices (schedtick++), and
    # whenever schedtick % 61 == 0 findRunnable takes one G from the global queue first.
    sc = scen(
        """
[programs.main]
ops = [ { go = "y", count = 5 }, { go = "spawner" }, { block = true } ]
[programs.spawner]
ops = [ { repeat = "forever", body = [ { go = "short" }, { compute = "1us" } ] } ]
[programs.short]
ops = [ { compute = "5us" } ]
[programs.y]
ops = [ { repeat = "forever", body = [ { compute = "20us" }, "gosched" ] } ]
""",
        gomaxprocs=1,
        duration="100ms",
    )
    eng, ev = run(sc)
    fair = of(ev, EV.RunqGet)
    fair = fair[fair["a0"] == SRC_GLOBAL_FAIR]
    assert len(fair) > 3
    starts = of(ev, EV.GoStart)
    for row in fair:
        nxt = starts[(starts["t_ns"] >= row["t_ns"]) & (starts["g"] == row["g"])][0]
        assert nxt["a1"] % C.SCHED_FAIRNESS_TICKS == 1  # schedtick was 61k when checked, then ++


def test_gosched_goes_to_the_global_queue():
    sc = load_scenario("gosched")
    eng, ev = run(sc, duration_ns=20_000_000)
    stops = of(ev, EV.GoStop)
    g = stops[stops["a0"] == STOP_GOSCHED]
    assert len(g) > 0 and (g["a1"] == WHERE_GLOBAL).all()


def test_channel_wakeup_goes_to_the_wakers_runnext():
    sc = load_scenario("chan-pingpong")
    eng, ev = run(sc, duration_ns=5_000_000)
    unb = of(ev, EV.GoUnblock)
    assert len(unb) > 10
    assert (unb["a1"] == WHERE_RUNNEXT).all()


def test_closing_a_channel_wakes_every_receiver():
    sc = scen(
        """
[channels]
c = 0
[programs.main]
ops = [ { go = "r", count = 5 }, { compute = "100us" }, { close = "c" }, { compute = "1ms" } ]
[programs.r]
ops = [ { recv = "c" } ]
""",
        gomaxprocs=2,
        duration="2ms",
    )
    eng, ev = run(sc)
    close = of(ev, EV.ChanClose)
    assert close["a1"][0] == 5
    ends = of(ev, EV.GoEnd)
    assert len(ends[ends["g"] != 1]) == 5


def test_select_is_deterministic_and_covers_ready_cases():
    body = """
[channels]
a = 100
b = 100
[programs.main]
ops = [ { repeat = 50, body = [ { send = "a" }, { send = "b" } ] },
        { repeat = 100, body = [ { select = [ { recv = "a" }, { recv = "b" } ] } ] } ]
"""
    picks = []
    for _ in range(2):
        eng, ev = run(scen(body, gomaxprocs=1, duration="10ms"))
        sel = of(ev, EV.Select)
        picks.append(sel["a0"].tolist())
    assert picks[0] == picks[1]
    assert set(picks[0][:50]) == {0, 1}


def test_deadlock_is_detected():
    sc = scen('[channels]\nc = 0\n[programs.main]\nops = [ { recv = "c" } ]', gomaxprocs=2, duration="1s")
    eng, ev = run(sc)
    assert eng.error == "fatal error: all goroutines are asleep - deadlock!"
    assert len(of(ev, EV.Deadlock)) == 1


def test_netpoll_returns_io_waiters():
    sc = load_scenario("netpoll")
    eng, ev = run(sc, duration_ns=50_000_000)
    blocks = of(ev, EV.GoBlock)
    assert (blocks["a0"] == 6).any()  # IO wait
    assert len(of(ev, EV.NetpollReady)) > 0


def test_gomaxprocs_change_stops_the_world_and_resizes():
    sc = load_scenario("gomaxprocs")
    eng, ev = run(sc)
    resize = of(ev, EV.ProcResize)
    assert len(resize) >= 1
    assert len(of(ev, EV.STWBegin)) == len(of(ev, EV.STWEnd)) >= 1
    last = resize[-1]
    assert eng.gomaxprocs == last["a1"]


def test_apply_gomaxprocs_from_outside():
    eng = Engine(load_scenario("cpu-bound"), procs=4, duration_ns=50_000_000)
    eng.run_until(10_000_000)
    eng.apply(("gomaxprocs", 2))
    eng.run_until(20_000_000)
    assert eng.gomaxprocs == 2
    eng.drain()
    eng.run_until(40_000_000)
    ev = eng.drain()
    starts = of(ev, EV.GoStart)
    assert set(starts["p"].tolist()) <= {0, 1}
    with pytest.raises(EngineError):
        eng.apply(("gomaxprocs", 0))


def test_no_user_g_runs_during_stop_the_world():
    sc = load_scenario("gomaxprocs")
    eng, ev = run(sc)
    b, e = of(ev, EV.STWBegin)["t_ns"], of(ev, EV.STWEnd)["t_ns"]
    starts = of(ev, EV.GoStart)["t_ns"]
    for t0, t1 in zip(b, e):
        assert not ((starts > t0) & (starts < t1)).any()


@pytest.mark.parametrize("policy", ["global-queue", "no-steal"])
def test_policies(policy):
    eng, ev = run(load_scenario("work-stealing"), policy=policy, duration_ns=20_000_000)
    assert len(of(ev, EV.ProcSteal)) == 0
    if policy == "global-queue":
        put = of(ev, EV.RunqPut)
        assert len(put) == 0
        assert len(of(ev, EV.GlobRunqPut)) > 0


def test_same_seed_same_bytes_different_seed_differs():
    sc = load_scenario("default")
    a = Engine(sc, duration_ns=100_000_000, schedtrace_ms=10)
    a.run()
    b = Engine(sc, duration_ns=100_000_000, schedtrace_ms=10)
    b.run()
    ea, eb = a.drain(), b.drain()
    assert ea.tobytes() == eb.tobytes()
    assert a.schedtrace_lines == b.schedtrace_lines
    assert a.stats() == b.stats()
    c = Engine(sc, duration_ns=100_000_000, seed=99)
    c.run()
    assert c.drain().tobytes() != ea.tobytes()


def test_schedtrace_line_format():
    import re

    eng = Engine(load_scenario("cpu-bound"), schedtrace_ms=100, duration_ns=300_000_000)
    eng.run()
    pat = re.compile(
        r"^SCHED \d+ms: gomaxprocs=\d+ idleprocs=\d+ threads=\d+ spinningthreads=\d+ needspinning=[01] "
        r"idlethreads=\d+ runqueue=\d+ \[ (\d+ )+\] schedticks=\[ (\d+ )+\]$"
    )
    # sysmon prints them: SCHED 0ms at its first round, then the first round at least 100 ms after the
    # last line (sysmon sleeps up to 10 ms here), so 3 lines in 300 ms
    assert len(eng.schedtrace_lines) == 3
    for line in eng.schedtrace_lines:
        assert pat.match(line), line
    assert eng.schedtrace_lines[0].startswith("SCHED 0ms: gomaxprocs=")
    ms = [int(line.split()[1][:-3]) for line in eng.schedtrace_lines]
    assert all(100 <= b - a <= 110 for a, b in zip(ms, ms[1:])), ms


def test_time_never_goes_back_and_invariants_hold_on_presets():
    for name in ("default", "work-stealing", "syscall-handoff", "chan-pileup", "gomaxprocs"):
        eng = Engine(load_scenario(name), duration_ns=30_000_000)
        last = -1
        steps = 0
        while eng._heap and not eng.done and steps < 20_000:
            eng.step_event()
            assert eng.now >= last
            last = eng.now
            steps += 1
            if steps % 7 == 0:
                eng.check_invariants()
        eng.check_invariants()
