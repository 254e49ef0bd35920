"""GC pacer (mgcpacer.go) against values worked out by hand from the runtime's formulas."""

from collections import deque

import pytest

from gmpviz.core.gc.mgcpacer import (
    GC_TRIGGER_CYCLE,
    GC_TRIGGER_HEAP,
    GC_TRIGGER_TIME,
    MAX_INT64,
    MAX_UINT64,
    GCController,
    PacerError,
    SweepPacing,
    deductSweepCredit,
    gcPaceScavenger,
    gcPaceSweeper,
    gcTrigger_test,
    mark_worker_split,
)
from gmpviz.core.trace.events import WORKER_DEDICATED, WORKER_FRACTIONAL, WORKER_IDLE

KiB = 1 << 10
MiB = 1 << 20
MS = 1_000_000


def pacer(heap_marked, stacks=0, globals_=0, gogc=100, *, sweep_done=True, heap_scan=None):
    """A controller as it is right after mark termination with this live heap."""
    c = GCController(gcPercent=gogc)
    c.heapMarked = c.heapLive = heap_marked
    c.lastHeapScan = heap_marked if heap_scan is None else heap_scan
    c.lastStackScan = stacks
    c.globalsScan = globals_
    c.commit(sweep_done)
    return c


# --- heap goal -------------------------------------------------------------------------------------
def test_facts_worked_example_goal_and_trigger_bounds():
    c = pacer(10 * MiB, stacks=1 * MiB, globals_=512 * KiB)
    assert c.heapGoal() == 21.5 * MiB  # 10 + (10 + 1 + 0.5) * 100/100
    # runway 0 (consMark 0): trigger = goal, clamped to maxTrigger = 10 + (11.5/64)*61 MiB
    step = (int(11.5 * MiB)) // 64
    assert c.trigger() == (10 * MiB + step * 61, int(21.5 * MiB))
    assert c.trigger()[0] / MiB == pytest.approx(20.96, abs=0.01)
    # a huge runway clamps to minTrigger = 10 + (11.5/64)*45 MiB ~ 18.1 MiB
    c.consMark = 100.0
    c.commit(True)
    assert c.trigger()[0] == 10 * MiB + step * 45
    assert c.trigger()[0] / MiB == pytest.approx(18.09, abs=0.01)


def test_first_cycle_goal_is_heap_minimum():
    c = GCController()
    assert c.heapGoal() == 4 * MiB
    assert c.trigger() == ((4 * MiB // 64) * 61, 4 * MiB)  # 3.8125 MiB, as gc 1 in a real gctrace


@pytest.mark.parametrize(
    ("gogc", "live_mib", "goal_mib"),
    [(100, 100, 200), (50, 100, 150), (200, 10, 30), (400, 64, 320)],
)
def test_steady_state_goal_is_live_times_one_plus_gogc(gogc, live_mib, goal_mib):
    assert pacer(live_mib * MiB, gogc=gogc).heapGoal() == goal_mib * MiB


@pytest.mark.parametrize(
    ("gogc", "live", "floor"), [(100, 1 * MiB, 4 * MiB), (200, 2 * MiB, 8 * MiB), (50, 0, 2 * MiB)]
)
def test_heap_minimum_floor_scales_with_gogc(gogc, live, floor):
    c = pacer(live, gogc=gogc)
    assert c.heapMinimum == floor
    assert c.heapGoal() == floor


def test_gogc_off_means_no_heap_goal_and_no_periodic_gc():
    c = pacer(100 * MiB, gogc=-1)
    assert c.gcPercent == -1
    assert c.gcPercentHeapGoal == MAX_UINT64
    # only the (off) memory limit bounds it: ~97% of MaxInt64
    assert c.heapGoal() > 2**62
    c.heapLive = 10 * 1024 * MiB
    assert not gcTrigger_test(GC_TRIGGER_HEAP, c)
    assert not gcTrigger_test(GC_TRIGGER_TIME, c, now_ns=10**15, last_gc_ns=1)


def test_gogc_zero_collects_at_the_live_heap():
    c = pacer(10 * MiB, stacks=1 * MiB, gogc=0)
    assert c.heapMinimum == 0
    assert c.heapGoal() == 10 * MiB
    assert c.trigger() == (10 * MiB, 10 * MiB)  # heapMarked >= goal: trigger at once


def test_set_gc_percent_returns_old_and_recommits():
    c = pacer(10 * MiB)
    assert c.setGCPercent(50) == 100
    c.commit(True)
    assert c.heapGoal() == 15 * MiB
    assert c.setGCPercent(-5) == 50
    assert c.gcPercent == -1


def test_unfinished_sweep_keeps_one_mib_of_sweep_distance():
    c = pacer(10 * MiB, sweep_done=False)
    assert c.sweepDistMinTrigger == 11 * MiB  # heapLive (= heapMarked) + sweepMinHeapDistance
    c.heapLive = 30 * MiB
    c.commit(False)
    assert c.trigger() == (31 * MiB, 31 * MiB)  # the sweep distance bounds goal and trigger


def test_min_runway_above_triggered_point_during_a_cycle():
    c = pacer(10 * MiB)
    c.triggered = 20 * MiB - 10 * KiB
    assert c.heapGoal() == c.triggered + 64 * KiB


def test_big_heap_max_trigger_is_goal_minus_four_mib():
    c = pacer(1024 * MiB)  # goal 2 GiB; 61/64 of the way leaves 48 MiB, goal-4MiB leaves 4
    trigger, goal = c.trigger()
    assert goal == 2048 * MiB
    assert trigger == goal - 4 * MiB


# --- memory limit ----------------------------------------------------------------------------------
def test_memory_limit_goal_subtracts_non_heap_and_headroom():
    c = pacer(50 * MiB)
    c.setMemoryLimit(100 * MiB)
    c.update_memstats(mapped_ready=60 * MiB, heap_free=5 * MiB, heap_alloc=40 * MiB)
    # nonHeap = 15 MiB, goal = 85 MiB, headroom = 85MiB//100*3
    expected = 85 * MiB - (85 * MiB // 100) * 3
    assert c.memoryLimitHeapGoal() == expected
    assert c.heapGoal() == expected  # below the GOGC goal of 100 MiB
    assert c.memoryLimitHeapGoal(60 * MiB, 5 * MiB, 40 * MiB) == expected


def test_memory_limit_overage_and_floors():
    c = pacer(50 * MiB)
    c.setMemoryLimit(100 * MiB)
    # 10 MiB over the limit: overage lowers the goal by as much again
    goal = 100 * MiB - (20 * MiB + 10 * MiB)
    assert c.memoryLimitHeapGoal(110 * MiB, 10 * MiB, 80 * MiB) == goal - (goal // 100) * 3
    # non-heap memory alone above the limit -> heapMarked
    assert c.memoryLimitHeapGoal(200 * MiB, 0, 50 * MiB) == 50 * MiB
    # never below the live heap
    assert c.memoryLimitHeapGoal(99 * MiB, 0, 40 * MiB) == 50 * MiB
    # small limits: the 1 MiB minimum headroom
    c2 = pacer(0)
    c2.setMemoryLimit(3 * MiB)
    assert c2.memoryLimitHeapGoal(1 * MiB, 0, 1 * MiB) == 2 * MiB
    assert c2.memoryLimitHeapGoal(2 * MiB, 0, 1 * MiB) == 1 * MiB  # goal < 2 x headroom


def test_memory_limit_goal_wins_over_gogc_off():
    c = pacer(20 * MiB, gogc=-1)
    c.setMemoryLimit(64 * MiB)
    c.update_memstats(mapped_ready=30 * MiB, heap_free=0, heap_alloc=28 * MiB)
    goal = 64 * MiB - 2 * MiB
    assert c.heapGoal() == goal - (goal // 100) * 3
    assert c.setMemoryLimit(-1) == 64 * MiB  # negative: just reads
    assert c.memoryLimit == 64 * MiB
    assert GCController().memoryLimit == MAX_INT64


# --- workers ---------------------------------------------------------------------------------------
WORKER_TABLE = {
    1: (0, 0.25),
    2: (0, 0.25),
    3: (0, 0.25),
    4: (1, 0.0),
    5: (1, 0.0),
    6: (1, 0.5 / 6),
    7: (2, 0.0),
    8: (2, 0.0),
    9: (2, 0.0),
    10: (3, 0.0),
    11: (3, 0.0),
    12: (3, 0.0),
    13: (3, 0.0),
    14: (4, 0.0),
    15: (4, 0.0),
    16: (4, 0.0),
}


@pytest.mark.parametrize("procs", sorted(WORKER_TABLE))
def test_dedicated_and_fractional_workers_table(procs):
    dedicated, frac = mark_worker_split(procs)
    assert dedicated == WORKER_TABLE[procs][0]
    assert frac == pytest.approx(WORKER_TABLE[procs][1])
    c = pacer(10 * MiB)
    c.startCycle(0, procs, GC_TRIGGER_HEAP)
    assert c.dedicatedMarkWorkersNeeded == dedicated
    assert c.fractionalUtilizationGoal == pytest.approx(frac)
    assert c.maxIdleMarkWorkers == procs - dedicated


def test_periodic_cycle_limits_idle_workers_and_stw_mode_is_all_dedicated():
    c = pacer(10 * MiB)
    c.startCycle(0, 8, GC_TRIGGER_TIME)
    assert c.maxIdleMarkWorkers == 0
    c.startCycle(0, 2, GC_TRIGGER_TIME)
    assert c.maxIdleMarkWorkers == 1  # no dedicated worker: one idle worker guarantees progress
    c.startCycle(0, 4, GC_TRIGGER_HEAP, gcstoptheworld=1)
    assert (c.dedicatedMarkWorkersNeeded, c.fractionalUtilizationGoal) == (4, 0.0)
    with pytest.raises(PacerError):
        c.startCycle(0, 0, GC_TRIGGER_HEAP)


def test_find_runnable_gc_worker_decisions():
    c = pacer(10 * MiB)
    c.startCycle(0, 8, GC_TRIGGER_HEAP)
    assert [c.worker_mode_for(0, 1 * MS) for _ in range(3)] == [WORKER_DEDICATED, WORKER_DEDICATED, None]
    c.markWorkerStop(WORKER_DEDICATED, 5 * MS)  # preempted: the slot is needed again
    assert c.dedicatedMarkTime == 5 * MS
    assert c.worker_mode_for(0, 1 * MS) == WORKER_DEDICATED

    c.startCycle(0, 2, GC_TRIGGER_HEAP)  # fractional 0.25 per P
    assert c.worker_mode_for(0, 0) == WORKER_FRACTIONAL
    assert c.worker_mode_for(25 * MS, 100 * MS) == WORKER_FRACTIONAL  # at the goal: still runs
    assert c.worker_mode_for(26 * MS, 100 * MS) is None  # over the goal
    c.markWorkerStop(WORKER_FRACTIONAL, 3 * MS)
    assert c.fractionalMarkTime == 3 * MS


def test_idle_worker_slots():
    c = pacer(10 * MiB)
    c.startCycle(0, 4, GC_TRIGGER_HEAP)  # 1 dedicated, 3 idle slots
    assert [c.addIdleMarkWorker() for _ in range(4)] == [True, True, True, False]
    assert not c.needIdleMarkWorker()
    c.markWorkerStop(WORKER_IDLE, 2 * MS)
    assert c.idleMarkTime == 2 * MS and c.needIdleMarkWorker()
    c.removeIdleMarkWorker()
    c.removeIdleMarkWorker()
    with pytest.raises(PacerError):
        c.removeIdleMarkWorker()


# --- assists ---------------------------------------------------------------------------------------
def started_cycle():
    """Worked example controller at the start of a cycle triggered at 18 MiB."""
    c = pacer(10 * MiB, stacks=1 * MiB, globals_=512 * KiB)
    c.heapScan = 10 * MiB
    c.maxStackScan = 1 * MiB
    c.heapLive = 18 * MiB
    c.startCycle(0, 4, GC_TRIGGER_HEAP)
    return c


def test_revise_assist_ratio_at_start_and_during_mark():
    c = started_cycle()
    assert c.triggered == 18 * MiB
    # 11.5 MiB of expected scan work over 3.5 MiB of heap left
    assert c.assistWorkPerByte == pytest.approx(11.5 / 3.5)
    assert c.assistBytesPerWork == pytest.approx(3.5 / 11.5)
    c.addScanWork(heap=6 * MiB)
    c.update(2 * MiB, 1 * MiB, gc_blacken_enabled=True)
    assert c.heapScan == 10 * MiB  # frozen while marking
    assert c.assistWorkPerByte == pytest.approx(5.5 / 1.5)


def test_revise_extrapolates_when_heap_grows_and_overshoots():
    c = started_cycle()
    c.heapScan, c.maxStackScan = 20 * MiB, 2 * MiB
    c.heapLive = 20 * MiB
    c.addScanWork(heap=12 * MiB)  # more than the 11.5 MiB expected
    c.revise()
    ext_goal = int((21.5 * MiB - 18 * MiB) / (11.5 * MiB) * (22.5 * MiB)) + 18 * MiB
    assert c.assistWorkPerByte == pytest.approx((22.5 - 12) * MiB / (ext_goal - 20 * MiB))
    # past even the extended goal: aim 10% further, against the worst-case work
    c.heapLive = 26 * MiB
    c.revise()
    assert c.assistWorkPerByte == pytest.approx((22.5 - 12) * MiB / (int(ext_goal * 1.1) - 26 * MiB))
    # past 1.1x too: the heap distance is clamped to one byte
    c.heapLive = 30 * MiB
    c.revise()
    assert c.assistWorkPerByte == (22.5 - 12) * MiB


def test_revise_with_gc_off_uses_hard_goal_of_gogc_100000():
    c = started_cycle()
    c.setGCPercent(-1)
    c.commit(True)
    c.addScanWork(heap=12 * MiB)
    c.revise()  # must not raise; memory-limit goal is astronomically far
    assert 0 < c.assistWorkPerByte < 1e-6


def test_assist_debt_work_has_gc_over_assist_work_floor():
    c = started_cycle()
    c.assistWorkPerByte, c.assistBytesPerWork = 2.0, 0.5
    assert c.assist_debt_work(100 * KiB) == (200 * KiB, 100 * KiB)
    assert c.assist_debt_work(10 * KiB) == (64 * KiB, 32 * KiB)  # over-assist, credited 32 KiB


def test_assist_steals_background_credit():
    c = started_cycle()
    c.assistWorkPerByte, c.assistBytesPerWork = 2.0, 0.5
    c.bgScanCredit = 100 * KiB
    assert c.assist_steal_credit(-10 * KiB) == (22 * KiB, 0)  # paid in full, ends in credit
    assert c.bgScanCredit == 36 * KiB
    c.bgScanCredit = 10 * KiB
    assert c.assist_steal_credit(-10 * KiB) == (-10 * KiB + 1 + 5 * KiB, 54 * KiB)
    assert c.bgScanCredit == 0
    assert c.assist_steal_credit(-10 * KiB) == (-10 * KiB, 64 * KiB)  # no credit: assist all
    assert c.assist_credit_for_work(64 * KiB) == 32 * KiB


def test_flush_bg_credit_pays_parked_assists_fifo():
    c = started_cycle()
    c.assistWorkPerByte, c.assistBytesPerWork = 2.0, 0.5
    q = deque([[7, -1000], [9, -5000]])
    assert c.gcFlushBgCredit(4000, q) == [7]  # 2000 bytes: G7 paid, G9 partly
    assert list(q) == [[9, -4000]]
    assert c.bgScanCredit == 0
    assert c.gcFlushBgCredit(10000, q) == [9]  # 5000 bytes: 1000 left -> 2000 work of credit
    assert c.bgScanCredit == 2000
    assert c.gcFlushBgCredit(300, deque()) == []
    assert c.bgScanCredit == 2300


# --- end of cycle ----------------------------------------------------------------------------------
def test_end_cycle_cons_mark_and_next_runway():
    c = started_cycle()
    c.addAssistTime(4 * MS)  # u = 0.25 + 4/(10*4) = 0.35
    c.idleMarkTime = 8 * MS  # u_idle = 0.2
    c.addScanWork(heap=10 * MiB, stack=1 * MiB)
    c.heapLive = 22 * MiB  # 4 MiB allocated since the trigger
    measured = c.endCycle(10 * MS, 4)
    assert c.lastHeapGoal == int(21.5 * MiB)  # the goal this cycle ran against
    expected = 4 * (0.35 + 0.2) / (11 * (1 - 0.35))
    assert measured == pytest.approx(expected)
    assert c.consMark == pytest.approx(expected)
    c.resetLive(12 * MiB)
    assert (c.heapMarked, c.heapLive, c.lastHeapScan, c.lastStackScan) == (
        12 * MiB,
        12 * MiB,
        10 * MiB,
        1 * MiB,
    )
    assert c.triggered == MAX_UINT64
    c.commit(True)
    assert c.heapGoal() == 12 * MiB + (12 * MiB + 1 * MiB + 512 * KiB)
    assert c.runway == int(expected * 3 * (11.5 * MiB))


def test_cons_mark_is_max_of_last_four_measurements():
    c = pacer(10 * MiB)
    values = []
    for i, allocated in enumerate([8, 1, 1, 1, 1, 1]):
        c.heapLive = 10 * MiB
        c.startCycle(0, 4, GC_TRIGGER_HEAP)
        c.addScanWork(heap=10 * MiB)
        c.heapLive += allocated * MiB
        values.append(c.endCycle(10 * MS, 4))
        if i < 5:
            assert c.consMark == pytest.approx(values[0])  # the big one is within the history
    assert c.consMark == pytest.approx(values[1])  # aged out after 4 more cycles


def test_end_cycle_ignores_cycles_that_never_passed_the_trigger():
    c = started_cycle()
    c.consMark = 0.5
    assert c.endCycle(10 * MS, 4) is None
    assert c.consMark == 0.5
    assert c.lastHeapGoal == int(21.5 * MiB)


def test_scannable_stack_is_batched_per_p():
    c = GCController()
    c.addScannableStack(0, 4 * KiB)
    assert c.maxStackScan == 0
    c.addScannableStack(0, 4 * KiB)
    assert c.maxStackScan == 8 * KiB
    c.addScannableStack(None, 2 * KiB)
    assert c.maxStackScan == 10 * KiB
    c.addGlobals(512 * KiB)
    assert c.globalsScan == 512 * KiB


# --- gcTrigger.test --------------------------------------------------------------------------------
def test_gc_trigger_test_heap_time_cycle():
    c = pacer(10 * MiB)
    trigger, _ = c.trigger()
    c.heapLive = trigger - 1
    assert not gcTrigger_test(GC_TRIGGER_HEAP, c)
    c.heapLive = trigger
    assert gcTrigger_test(GC_TRIGGER_HEAP, c)
    assert not gcTrigger_test(GC_TRIGGER_HEAP, c, gcphase_off=False)
    assert not gcTrigger_test(GC_TRIGGER_HEAP, c, enablegc=False)
    two_min = 120 * 10**9
    assert not gcTrigger_test(GC_TRIGGER_TIME, c, now_ns=10 * two_min, last_gc_ns=0)  # no GC yet
    assert not gcTrigger_test(GC_TRIGGER_TIME, c, now_ns=1 + two_min, last_gc_ns=1)
    assert gcTrigger_test(GC_TRIGGER_TIME, c, now_ns=2 + two_min, last_gc_ns=1)
    assert gcTrigger_test(GC_TRIGGER_CYCLE, c, n=5, cycles=4)
    assert not gcTrigger_test(GC_TRIGGER_CYCLE, c, n=4, cycles=4)
    assert gcTrigger_test(GC_TRIGGER_CYCLE, c, n=0, cycles=2**32 - 1)  # wraparound
    with pytest.raises(PacerError):
        gcTrigger_test(9, c)


# --- sweep and scavenger pacing --------------------------------------------------------------------
def test_proportional_sweep_pacing_and_debt():
    sp = SweepPacing()
    gcPaceSweeper(
        sp, trigger=20 * MiB, heap_live=10 * MiB, pages_in_use=1000, pages_swept=0, is_sweep_done=False
    )
    assert sp.sweepPagesPerByte == pytest.approx(1000 / (9 * MiB))
    assert sp.sweepHeapLiveBasis == 10 * MiB and sp.pagesSweptBasis == 0
    need = deductSweepCredit(sp, 8 * KiB, 0, heap_live=10 * MiB + 4608 * KiB, pages_swept=100)
    assert need == int(1000 / (9 * MiB) * (4608 * KiB + 8 * KiB)) - 100  # 500 - 100
    assert deductSweepCredit(sp, 8 * KiB, 450, heap_live=10 * MiB + 4608 * KiB, pages_swept=100) == 0
    gcPaceSweeper(
        sp, trigger=10 * MiB + 1, heap_live=10 * MiB, pages_in_use=10, pages_swept=0, is_sweep_done=False
    )
    assert sp.sweepPagesPerByte == pytest.approx(10 / 8192)  # distance floored at one page
    gcPaceSweeper(
        sp, trigger=20 * MiB, heap_live=10 * MiB, pages_in_use=10, pages_swept=0, is_sweep_done=True
    )
    assert sp.sweepPagesPerByte == 0
    assert deductSweepCredit(sp, 8 * KiB, 0, heap_live=15 * MiB, pages_swept=0) == 0


def test_scavenger_goals():
    # memory limit: retain at most 95% of it
    _, ml_goal = gcPaceScavenger(100 * MiB, 40 * MiB, 20 * MiB, 90 * MiB, 16 * MiB, 50 * MiB)
    assert ml_goal == MAX_UINT64
    _, ml_goal = gcPaceScavenger(100 * MiB, 40 * MiB, 20 * MiB, 99 * MiB, 16 * MiB, 50 * MiB)
    assert ml_goal == int(100 * MiB * 0.95)
    # GOGC: lastHeapInUse x goal growth (2x) + 10%, page-rounded
    gc_goal, _ = gcPaceScavenger(MAX_INT64, 40 * MiB, 20 * MiB, 99 * MiB, 16 * MiB, 50 * MiB)
    assert gc_goal == -(-(32 * MiB + 32 * MiB // 10) // 4096) * 4096
    gc_goal, _ = gcPaceScavenger(MAX_INT64, 40 * MiB, 20 * MiB, 99 * MiB, 16 * MiB, 35 * MiB)
    assert gc_goal == MAX_UINT64  # already retaining less than the goal (35.2 MiB)
    gc_goal, _ = gcPaceScavenger(MAX_INT64, 40 * MiB, 0, 99 * MiB, 16 * MiB, 50 * MiB)
    assert gc_goal == MAX_UINT64  # no previous goal yet


def test_pacer_is_deterministic():
    def run():
        c = pacer(10 * MiB, stacks=1 * MiB)
        out = []
        for k in range(20):
            c.heapLive = c.trigger()[0]
            c.startCycle(k * 100 * MS, 4, GC_TRIGGER_HEAP)
            c.addScanWork(heap=c.heapMarked)
            c.addAssistTime(k * 100_000)
            c.heapLive += (k % 3 + 1) * MiB
            c.endCycle(k * 100 * MS + 5 * MS, 4)
            c.resetLive(10 * MiB + k * 256 * KiB)
            c.commit(False)
            out.append(c.trigger())
        return out

    assert run() == run()


def test_gc_controller_commit_and_keyframe_round_trip():
    c = started_cycle()
    c.addScanWork(heap=2 * MiB)
    c.addScannableStack(3, 4 * KiB)
    trigger, goal = c.gcControllerCommit(is_sweep_done=True, gcphase_off=False)
    assert (trigger, goal) == c.trigger()
    assert c.assistWorkPerByte == pytest.approx(9.5 / 3.5)  # revised while marking
    c2 = GCController.from_state(c.to_state())
    assert c2.to_state() == c.to_state()
    assert c2.trigger() == (trigger, goal)
    c2.addScannableStack(3, 4 * KiB)  # the per-P slack survived the round trip
    assert c2.maxStackScan == c.maxStackScan + 8 * KiB
    with pytest.raises(PacerError, match="unknown pacer field"):
        GCController.from_state({**c.to_state(), "bogus": 1})
