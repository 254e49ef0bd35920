"""Issue 14: mark termination's tail (sweep.active, forEachP(flushProcCaches)), bgsweep's
goschedIfBusy loop, the used stack per park site and the `pace` and kept-`stack` ops."""

from __future__ import annotations

import pytest
from _scen import START_UP_BYTES, START_UP_GS, scen

import gmpviz.core.gc.mgc as mgc
import gmpviz.core.sched.proc as proc
from gmpviz.core.engine import Engine
from gmpviz.core.trace.events import EV, STOP_GOSCHED, WAIT_IO
from gmpviz.core.workload.loader import ScenarioError

MiB = 1 << 20


START_UP_NS = 10_000  # runtime.main's start-up is over (measured: ~2 us of virtual time)


def user_goids(eng) -> list[int]:
    """The scenario's goroutines (main is goid 1; the runtime's own are left out)."""
    return [g.goid for g in eng.allgs if g.group != mgc.RUNTIME_GROUP]


def of(ev, kind):
    return ev[ev["kind"] == int(kind)]


def busy_alloc(procs: int = 2):
    # every P always has a goroutine that computes and allocates: no P is idle during the sweep
    return scen(
        """
[programs.main]
ops = [ { alloc = "1KiB", count = 4096, lifetime = "forever" }, { go = "churn", count = 4 }, "block" ]
[programs.churn]
ops = [ { repeat = "forever", body = [ { compute = "20us" }, { alloc = "8KiB", count = 8 } ] } ]
""",
        gomaxprocs=procs,
        duration="200ms",
    )


def test_sweep_stays_active_until_every_p_ran_flushProcCaches(monkeypatch):
    seen = []
    orig = proc.ProcMixin.forEachP

    def forEachP(self, fn, done, caller=None):
        if fn != self.gc.flushProcCaches:  # gcMarkDone's ragged barrier (marking, not the sweep)
            return orig(self, fn, done, caller)

        def check_done():
            # sweep.active.end(sl) only after every P ran fn: until then isSweepDone() is false
            assert not self.gc.allocator.sweep_done
            assert all(not self.allp[i].runSafePointFn for i in range(self.gomaxprocs))
            seen.append(self.clock.now)
            done()
            assert not self.gc.worldsema_held

        assert not self.gc.allocator.sweep_done
        orig(self, fn, check_done, caller)

    monkeypatch.setattr(proc.ProcMixin, "forEachP", forEachP)
    eng = Engine(busy_alloc())
    eng.run()
    assert eng.gc.gc_cycles >= 3
    # the run may end inside the last cycle's tail
    assert eng.gc.gc_cycles - 1 <= len(seen) <= eng.gc.gc_cycles


def test_bgsweep_yields_while_no_p_is_idle_and_while_the_sweep_is_held(monkeypatch):
    # one allocating goroutine on 2 Ps: the sweeper's P and the goroutine's leave no P idle
    sc = scen(
        """
[programs.main]
ops = [ { alloc = "1KiB", count = 4096, lifetime = "forever" }, { go = "churn" }, "block" ]
[programs.churn]
ops = [ { repeat = "forever", body = [ { alloc = "8KiB", count = 64 }, { sleep = "100us" } ] } ]
""",
        gomaxprocs=2,
        duration="200ms",
    )
    held = []
    orig = mgc.GC._bgsweep_gosched

    def gosched(self, m, gp):
        held.append(self.worldsema_held)
        orig(self, m, gp)

    monkeypatch.setattr(mgc.GC, "_bgsweep_gosched", gosched)
    eng = Engine(sc)
    eng.run()
    ev = eng.drain()
    stops = of(ev, EV.GoStop)
    yields = stops[(stops["g"] == eng.gc.sweeper.goid) & (stops["a0"] == STOP_GOSCHED)]
    assert len(yields) == len(held) > 10 * eng.gc.gc_cycles
    assert any(held)  # some after the sweep was drained, while mark termination still held it
    gaps = yields["t_ns"][1:] - yields["t_ns"][:-1]
    assert int(gaps.min()) == 200  # back to back: the yield's schedule() (COST_SCHEDULE_NS) apart


def test_a_gc_triggered_during_the_flush_waits_for_worldsema(monkeypatch):
    started = []
    orig = mgc.GC.gcStart

    def gcStart(self, kind, m):
        if self.worldsema_held:
            started.append(kind)
        before = self.gcphase
        orig(self, kind, m)
        if self.worldsema_held:
            assert self.gcphase == before  # nothing started

    monkeypatch.setattr(mgc.GC, "gcStart", gcStart)
    eng = Engine(busy_alloc())
    eng.run()
    assert eng.gc.gc_cycles >= 3


def leak(n: int):
    return scen(
        f"""
[channels]
never = 0
[programs.main]
ops = [ {{ go = "leaked", count = {n} }}, {{ sleep = "10ms" }}, "gc", "block" ]
[programs.leaked]
ops = [ {{ recv = "never" }} ]
""",
        gomaxprocs=2,
        duration="50ms",
    )


def test_a_goroutine_parked_in_chanrecv_scans_264_bytes():
    eng = Engine(leak(1000))
    eng.run()
    parked = [g for g in eng.allgs if g.status == mgc.Gwaiting and g.group != mgc.RUNTIME_GROUP]
    assert len(parked) == 1001  # main in runtime.GC/select{} too
    assert mgc.stack_used_bytes(parked[-1]) == 264
    # the 1000 receivers, and main, running (it called runtime.GC): the default 512 B; the runtime's
    # own parked goroutines add at most the default each
    runtime_scan = eng.gc.gcController.lastStackScan - (1000 * 264 + mgc.DEFAULT_STACK_USED_BYTES)
    n_runtime = sum(1 for g in eng.allgs if g.group == mgc.RUNTIME_GROUP)
    assert 0 <= runtime_scan <= n_runtime * mgc.DEFAULT_STACK_USED_BYTES


def test_a_kept_stack_op_adds_its_frames_to_the_park_site():
    sc = scen(
        """
[channels]
never = 0
[programs.main]
ops = [ { go = "deep" }, { sleep = "1ms" }, "gc", "block" ]
[programs.deep]
ops = [ { stack = 10, frame = "100B", keep = true }, { stack = 40, frame = "1KiB" }, { recv = "never" } ]
""",
        gomaxprocs=2,
        duration="20ms",
    )
    eng = Engine(sc)
    eng.run()
    ev = eng.drain()
    deep = next(g for g in eng.allgs if g.goid != 1 and g.group != mgc.RUNTIME_GROUP)
    assert deep.stack_used == 1000
    assert mgc.stack_used_bytes(deep) == 1000 + 264
    grows = of(ev, EV.GoStackGrow)
    # the second op called on top of the kept frames: 41,960 B needs a 64 KiB stack
    assert int(grows[grows["g"] == deep.goid]["a1"].max()) == 64 * 1024


def paced(rate: str, compute: str = "1us"):
    return scen(
        f"""
[programs.main]
ops = [ {{ repeat = "forever", body = [
  {{ alloc = "64KiB", count = 4 }}, {{ compute = "{compute}" }}, {{ pace = "{rate}" }} ] }} ]
""",
        gomaxprocs=1,
        duration="100ms",
        gogc="off",
    )


def test_pace_keeps_the_allocation_rate():
    eng = Engine(paced("256MiB/s"))
    eng.run()
    total = eng.mem.allocator.memstats()["TotalAlloc"]
    # 256 KiB per pass at 256 MiB/s: a pass every 976.5625 us, 103 passes in 100 ms (the first at 0)
    assert total == 103 * 256 * 1024 + 480 + START_UP_BYTES  # and main's g


def test_a_late_pace_catches_up_without_sleeping():
    # each pass computes 2 ms but is due every 1 ms: it never sleeps, it is always behind
    eng = Engine(paced("256MiB/s", compute="2ms"))
    eng.run()
    ev = eng.drain()
    blocks = of(ev, EV.GoBlock)
    # main never sleeps once runtime.main's start-up (its two receives from gcenable) is over
    assert len(blocks[(blocks["g"] == 1) & (blocks["t_ns"] > START_UP_NS)]) == 0
    assert eng.mem.allocator.memstats()["TotalAlloc"] == 50 * 256 * 1024 + 480 + START_UP_BYTES


def test_pace_as_a_period():
    sc = scen(
        """
[programs.main]
ops = [ { repeat = "forever", body = [ { compute = "100us" }, { pace = "1ms" } ] } ]
""",
        gomaxprocs=1,
        duration="10ms",
    )
    eng = Engine(sc)
    eng.run()
    ev = eng.drain()
    starts = of(ev, EV.GoStart)
    # main, after runtime.main's start-up (it waits twice for gcenable's goroutines)
    starts = starts[(starts["g"] == 1) & (starts["t_ns"] > START_UP_NS)]
    assert [int(t) // 1000 for t in starts["t_ns"][:5]] == [1000, 2000, 3000, 4000, 5000]


@pytest.mark.parametrize(
    "ops, words",
    [
        ('{ pace = "1MiB/s" }', "must be in a repeat body"),
        ('{ repeat = 2, body = [ { compute = "1ms" }, { pace = "1MiB/s" } ] }', "needs an alloc"),
        (
            '{ repeat = 2, body = [ { repeat = "forever", body = [ { alloc = "1KiB" }, { sleep = "1ms" } ] },'
            ' { pace = "1MiB/s" } ] }',
            '"forever" loop',
        ),
        ('{ pace = "0/s" }', "at least 1 byte"),
        ('{ pace = "fast" }', "duration"),
        ('{ pace = "0s" }', "above 0"),
        ('{ pace = "1MB/s" }', "ambiguous"),
        ("{ pace = 5 }", "duration"),
        ('{ stack = 2, frame = "1KiB", keep = "yes" }', "keep"),
    ],
)
def test_bad_pace_and_stack_ops_are_one_line_errors(ops, words):
    with pytest.raises(ScenarioError) as err:
        scen(f"[programs.main]\nops = [ {ops} ]")
    msg = str(err.value)
    assert "\n" not in msg and words in msg


def piped(writes: int = 32, size: str = "4KiB", procs: int = 2):
    return scen(
        f"""
[programs.main]
ops = [ {{ go = "reader" }}, {{ repeat = "forever", body = [
  {{ repeat = {writes}, body = [ {{ pipe = "p", write = "{size}" }} ] }}, {{ sleep = "1ms" }} ] }} ]
[programs.reader]
ops = [ {{ repeat = "forever", body = [ {{ pipe = "p", read = "{size}" }}, {{ alloc = "{size}" }} ] }} ]
""",
        gomaxprocs=procs,
        duration="10ms",
        gogc="off",
    )


def test_a_pipe_reader_is_woken_by_the_writer_through_the_netpoller():
    eng = Engine(piped())
    eng.run()
    ev = eng.drain()
    # every byte written is read (32 x 4 KiB per ms; the last burst may still be in flight)
    total = eng.mem.allocator.memstats()["TotalAlloc"] - 2 * 480 - START_UP_BYTES  # less the gs
    assert 9 * 32 * 4096 <= total <= 10 * 32 * 4096
    reader = user_goids(eng)[1]
    blocks = of(ev, EV.GoBlock)
    assert len(blocks[(blocks["g"] == reader) & (blocks["a0"] == WAIT_IO)]) >= 9
    assert len(of(ev, EV.NetpollReady)) >= 9
    # both ends are syscalls: 320 writes, 320 reads, and the reader's EAGAIN reads
    assert len(of(ev, EV.GoSyscallBegin)) > 640


def test_a_full_pipe_parks_the_writer_until_the_reader_makes_room():
    # 32 x 4 KiB = 128 KiB per burst into a 64 KiB pipe: the writer waits for the reader
    sc = scen(
        """
[programs.main]
ops = [ { go = "reader" }, { repeat = 32, body = [ { pipe = "p", write = "4KiB" } ] }, "block" ]
[programs.reader]
ops = [ { sleep = "1ms" },
        { repeat = "forever", body = [ { pipe = "p", read = "64KiB" }, { sleep = "1ms" } ] } ]
""",
        gomaxprocs=2,
        duration="10ms",
    )
    eng = Engine(sc)
    eng.run()
    ev = eng.drain()
    main = next(g for g in eng.allgs if g.goid == 1)
    assert main.pc == len(main.ops)  # past the block: all 32 writes went through
    assert eng.scheduler.pipes[0].buffered == 0
    blocks = of(ev, EV.GoBlock)
    assert len(blocks[(blocks["g"] == 1) & (blocks["a0"] == WAIT_IO)]) == 1  # once, when it was full


@pytest.mark.parametrize(
    "ops, words",
    [
        ('{ pipe = "p" }', "exactly one of read"),
        ('{ pipe = "p", read = "1KiB", write = "1KiB" }', "exactly one of read"),
        ('{ pipe = "p", write = "65KiB" }', "capacity"),
        ('{ pipe = "p", read = "0B" }', "at least 1 byte"),
        ('{ pipe = 3, read = "1KiB" }', "a pipe name"),
        ('{ pipe = "", read = "1KiB" }', "a pipe name"),
        ('{ pipe = "p", read = "1KiB", cap = 3 }', "cap"),
    ],
)
def test_bad_pipe_ops_are_one_line_errors(ops, words):
    with pytest.raises(ScenarioError) as err:
        scen(f"[programs.main]\nops = [ {ops} ]")
    msg = str(err.value)
    assert "\n" not in msg and words in msg


def test_too_many_pipes_is_one_line():
    ops = ", ".join(f'{{ pipe = "p{i}", read = "1B" }}' for i in range(4097))
    with pytest.raises(ScenarioError) as err:
        scen(f"[programs.main]\nops = [ {ops} ]")
    assert "more than 4,096 pipes" in str(err.value)


def test_g_and_sudog_come_out_of_the_heap():
    from gmpviz.core.constants import G_STRUCT_BYTES, SUDOG_BYTES

    eng = Engine(leak(1000))
    eng.run()
    st = eng.mem.allocator.memstats()
    # 1001 user gs (main too) and 1000 sudogs, in the 480 and 112 B size classes (the GC's own
    # workers and sweeper are not allocated: SIMPLIFICATION in SCHED_ASSUMPTIONS)
    n_g = len(user_goids(eng))
    assert G_STRUCT_BYTES == 456 and SUDOG_BYTES == 104
    # and runtime.main's start-up (START_UP_GS gs, gcenable's hchan; its receive's sudog is reused)
    assert st["Mallocs"] == n_g + START_UP_GS + 1000 + 1
    assert st["TotalAlloc"] == (n_g + START_UP_GS) * 480 + (1000 + 1) * 112
