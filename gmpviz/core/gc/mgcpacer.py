"""GC pacer: gcControllerState from runtime/mgcpacer.go (Go 1.26 semantics, proposal 44167 + memory limit).

Field and method names follow the runtime so that a reader can hold this file next to mgcpacer.go.
Byte counts are Python ints with the runtime's uint64 arithmetic (integer division where Go divides
integers, float64 where Go converts). Nothing here reads a clock: every time is passed in (virtual ns).

Also here, as pure functions: `gcTrigger.test` (mgc.go), sweep pacing (`gcPaceSweeper`,
`deductSweepCredit`, mgcsweep.go) and the scavenger goals (`gcPaceScavenger`, mgcscavenge.go).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from gmpviz.core.constants import (
    DEFAULT_HEAP_MINIMUM,
    FORCEGC_PERIOD_NS,
    GC_BACKGROUND_UTILIZATION,
    GC_OVER_ASSIST_WORK,
    MAX_TRIGGER_RATIO_NUM,
    MEMLIMIT_HEADROOM_PERCENT,
    MEMLIMIT_MIN_HEADROOM,
    MIN_TRIGGER_RATIO_NUM,
    PAGE_SIZE,
    SWEEP_MIN_HEAP_DISTANCE,
    TRIGGER_RATIO_DEN,
)
from gmpviz.core.trace.events import WORKER_DEDICATED, WORKER_FRACTIONAL

# --- runtime constants used only by the pacer (mgcpacer.go unless noted) --------------------------
MAX_UINT64 = (1 << 64) - 1  # ^uint64(0): "no goal" / "not triggered"
MAX_INT64 = (1 << 63) - 1  # math.MaxInt64: memory limit off (readGOMEMLIMIT)
GC_GOAL_UTILIZATION = GC_BACKGROUND_UTILIZATION  # mgcpacer.go: gcGoalUtilization = gcBackgroundUtilization
GC_CREDIT_SLACK = 2000  # mgcpacer.go: gcCreditSlack (scan work flushed at a time)
GC_ASSIST_TIME_SLACK_NS = 5000  # mgcpacer.go: gcAssistTimeSlack
MAX_STACK_SCAN_SLACK = 8 << 10  # mgcpacer.go: maxStackScanSlack
MIN_RUNWAY = 64 << 10  # mgcpacer.go: heapGoalInternal, const minRunway
MAX_OVERSHOOT = 1.1  # mgcpacer.go: revise, const maxOvershoot
MIN_SCAN_WORK_REMAINING = 1000  # mgcpacer.go: revise, lower bound on scanWorkRemaining
MAX_UTIL_ERROR = 0.3  # mgcpacer.go: startCycle, const maxUtilError
REVISE_OFF_GC_PERCENT = 100_000  # mgcpacer.go: revise acts as if GOGC=100000 when GC is off
CONS_MARK_HISTORY = 4  # mgcpacer.go: lastConsMark [4]float64
GOGC_DEFAULT = 100  # mgcpacer.go: readGOGC
RETAIN_EXTRA_PERCENT = 10  # mgcscavenge.go: retainExtraPercent
REDUCE_EXTRA_PERCENT = 5  # mgcscavenge.go: reduceExtraPercent
SCAVENGE_PERCENT = 1  # mgcscavenge.go: scavengePercent (1% of one CPU)
PHYS_PAGE_SIZE = 4096  # runtime physPageSize on linux/amd64

# gcTriggerKind (mgc.go); the same codes as the GCBegin event's `trigger` field.
GC_TRIGGER_HEAP = 0
GC_TRIGGER_TIME = 1
GC_TRIGGER_CYCLE = 2

_MASK64 = MAX_UINT64


class PacerError(ValueError):
    """A pacer input out of range (one-line message)."""


class GCController:
    """gcControllerState (mgcpacer.go): decides when a cycle triggers and how hard it marks.

    Usage by the engine, mirroring mgc.go: `startCycle` in gcStart, `update` on every heapLive change,
    `markWorkerStop`/`addAssistTime`/`addScanWork` while marking, then in gcMarkDone/gcMarkTermination
    `endCycle` -> `resetLive` -> `gcControllerCommit(is_sweep_done=False, ...)` (the sweep has only just
    started there, so the goal keeps 1 MiB of sweep distance), and `trigger()` for the heap trigger.
    """

    def __init__(self, gcPercent: int = GOGC_DEFAULT, memoryLimit: int = MAX_INT64) -> None:
        """gcControllerState.init: heap minimum, GOGC, memory limit, then commit(isSweepDone=True)."""
        self.gcPercent = GOGC_DEFAULT
        self.memoryLimit = MAX_INT64
        self.heapMinimum = DEFAULT_HEAP_MINIMUM
        self.runway = 0
        self.consMark = 0.0
        self.lastConsMark = [0.0] * CONS_MARK_HISTORY
        self.gcPercentHeapGoal = MAX_UINT64
        self.sweepDistMinTrigger = 0
        self.triggered = MAX_UINT64
        self.lastHeapGoal = 0
        self.heapLive = 0
        self.heapScan = 0
        self.lastHeapScan = 0
        self.lastStackScan = 0
        self.maxStackScan = 0
        self.globalsScan = 0
        self.heapMarked = 0
        self.heapScanWork = 0
        self.stackScanWork = 0
        self.globalsScanWork = 0
        self.bgScanCredit = 0
        self.assistTime = 0
        self.dedicatedMarkTime = 0
        self.fractionalMarkTime = 0
        self.idleMarkTime = 0
        self.markStartTime = 0
        self.dedicatedMarkWorkersNeeded = 0
        self.idleMarkWorkersRunning = 0  # low int32 of idleMarkWorkers
        self.maxIdleMarkWorkers = 0  # high int32 of idleMarkWorkers
        self.assistWorkPerByte = 0.0
        self.assistBytesPerWork = 0.0
        self.fractionalUtilizationGoal = 0.0
        # memstats mirrored into the controller for the memory limit (mgcpacer.go: heapFree,
        # totalAlloc-totalFree, mappedReady). The engine keeps them current with update_memstats.
        self.heapFree = 0
        self.heapAlloc = 0
        self.mappedReady = 0
        self._maxStackScanDelta: dict[int, int] = {}  # p.maxStackScanDelta per P id
        self.setGCPercent(gcPercent)
        self.setMemoryLimit(memoryLimit)
        self.commit(True)

    # --- cycle boundaries -----------------------------------------------------------------------
    def startCycle(self, mark_start_ns: int, procs: int, trigger_kind: int, gcstoptheworld: int = 0) -> None:
        """startCycle: reset per-cycle counters, size dedicated/fractional workers, first revise."""
        if procs < 1:
            raise PacerError(f"startCycle: procs must be >= 1, got {procs}")
        self.heapScanWork = self.stackScanWork = self.globalsScanWork = 0
        self.bgScanCredit = 0
        self.assistTime = 0
        self.dedicatedMarkTime = self.fractionalMarkTime = self.idleMarkTime = 0
        self.markStartTime = mark_start_ns
        self.triggered = self.heapLive
        dedicated, self.fractionalUtilizationGoal = mark_worker_split(procs)
        if gcstoptheworld > 0:
            dedicated, self.fractionalUtilizationGoal = procs, 0.0
        if trigger_kind == GC_TRIGGER_TIME:
            # Periodic cycles: the system is idle anyway, but keep one idle worker if nothing else
            # guarantees progress (issue 44163).
            self.setMaxIdleMarkWorkers(0 if dedicated > 0 else 1)
        else:
            self.setMaxIdleMarkWorkers(procs - dedicated)
        self.dedicatedMarkWorkersNeeded = dedicated
        self.revise()

    def revise(self) -> None:
        """revise: recompute assistWorkPerByte/assistBytesPerWork from the work left and heap left."""
        gcPercent = self.gcPercent if self.gcPercent >= 0 else REVISE_OFF_GC_PERCENT
        live = self.heapLive
        work = self.heapScanWork + self.stackScanWork + self.globalsScanWork
        heapGoal = self.heapGoal()
        scanWorkExpected = self.lastHeapScan + self.lastStackScan + self.globalsScan
        maxScanWork = self.heapScan + self.maxStackScan + self.globalsScan
        if work > scanWorkExpected:
            # More work than last cycle: the heap is growing. Stretch the runway to the worst case,
            # bounded by the hard goal (1+GOGC/100) x goal.
            triggered = self.triggered if self.triggered != MAX_UINT64 else -1  # int64(^uint64(0))
            hardGoal = int((1.0 + gcPercent / 100.0) * heapGoal)
            if scanWorkExpected > 0:
                extHeapGoal = int((heapGoal - triggered) / scanWorkExpected * maxScanWork) + triggered
            else:
                # SIMPLIFICATION: with no scan history at all (no globals either) the runtime divides
                # by zero; pace against the hard goal instead.
                extHeapGoal = hardGoal
            scanWorkExpected = maxScanWork
            heapGoal = min(extHeapGoal, hardGoal)
        if live > heapGoal:
            heapGoal = int(heapGoal * MAX_OVERSHOOT)
            scanWorkExpected = maxScanWork
        scanWorkRemaining = max(scanWorkExpected - work, MIN_SCAN_WORK_REMAINING)
        heapRemaining = heapGoal - live
        if heapRemaining <= 0:
            heapRemaining = 1
        self.assistWorkPerByte = scanWorkRemaining / heapRemaining
        self.assistBytesPerWork = heapRemaining / scanWorkRemaining

    def endCycle(self, now_ns: int, procs: int, user_forced: bool = False) -> float | None:
        """endCycle: measure cons/mark for this cycle; consMark = max(it, last 4 measurements).

        Returns the measured cons/mark, or None when heapLive never passed the trigger (the runtime
        then leaves consMark alone). `user_forced` is accepted for parity; the runtime ignores it here.
        """
        del user_forced
        self.lastHeapGoal = self.heapGoal()
        assistDuration = now_ns - self.markStartTime
        utilization = GC_BACKGROUND_UTILIZATION
        if assistDuration > 0:
            utilization += self.assistTime / (assistDuration * procs)
        if self.heapLive <= self.triggered:
            return None
        idleUtilization = 0.0
        if assistDuration > 0:
            idleUtilization = self.idleMarkTime / (assistDuration * procs)
        scanWork = self.heapScanWork + self.stackScanWork + self.globalsScanWork
        if scanWork <= 0 or utilization >= 1.0:
            # SIMPLIFICATION: the runtime divides anyway (Inf/NaN); an emulated cycle with no scan
            # work or 100% assist keeps the previous estimate instead.
            return None
        currentConsMark = ((self.heapLive - self.triggered) * (utilization + idleUtilization)) / (
            scanWork * (1 - utilization)
        )
        self.consMark = max([currentConsMark, *self.lastConsMark])
        self.lastConsMark = [*self.lastConsMark[1:], currentConsMark]
        return currentConsMark

    def resetLive(self, bytes_marked: int) -> None:
        """resetLive: after mark termination heapLive = heapMarked = bytes marked; scans become history."""
        self.heapMarked = bytes_marked
        self.heapLive = bytes_marked
        self.heapScan = self.heapScanWork
        self.lastHeapScan = self.heapScanWork
        self.lastStackScan = self.stackScanWork
        self.triggered = MAX_UINT64

    def commit(self, is_sweep_done: bool) -> None:
        """commit: recompute the GOGC heap goal (with heapMinimum floor), sweep distance and runway."""
        if is_sweep_done:
            self.sweepDistMinTrigger = 0
        else:
            self.sweepDistMinTrigger = self.heapLive + SWEEP_MIN_HEAP_DISTANCE
        gcPercentHeapGoal = MAX_UINT64
        if self.gcPercent >= 0:
            gcPercentHeapGoal = (
                self.heapMarked
                + (self.heapMarked + self.lastStackScan + self.globalsScan) * self.gcPercent // 100
            )
        gcPercentHeapGoal = max(gcPercentHeapGoal, self.heapMinimum)
        self.gcPercentHeapGoal = gcPercentHeapGoal
        scanExpected = self.lastHeapScan + self.lastStackScan + self.globalsScan
        self.runway = _u64(self.consMark * (1 - GC_GOAL_UTILIZATION) / GC_GOAL_UTILIZATION * scanExpected)

    def gcControllerCommit(self, is_sweep_done: bool, gcphase_off: bool) -> tuple[int, int]:
        """gcControllerCommit: commit, revise if marking; returns (trigger, heapGoal).

        The caller then paces the sweeper (`gcPaceSweeper`) and scavenger (`gcPaceScavenger`) with them.
        """
        self.commit(is_sweep_done)
        if not gcphase_off:
            self.revise()
        return self.trigger()

    def to_state(self) -> dict:
        """Every field, for a recording keyframe (plain ints, floats and lists)."""
        state = dict(vars(self))
        state["lastConsMark"] = list(self.lastConsMark)
        state["_maxStackScanDelta"] = sorted(self._maxStackScanDelta.items())
        return state

    @classmethod
    def from_state(cls, state: dict) -> GCController:
        """Inverse of to_state."""
        c = cls()
        for key, value in state.items():
            if key not in vars(c):
                raise PacerError(f"unknown pacer field in keyframe: {key}")
            setattr(c, key, value)
        c.lastConsMark = list(state["lastConsMark"])
        c._maxStackScanDelta = dict(state["_maxStackScanDelta"])
        return c

    # --- goal and trigger -----------------------------------------------------------------------
    def heapGoal(self) -> int:
        """heapGoal: the heap size the current (or next) cycle aims to finish at."""
        return self.heapGoalInternal()[0]

    def heapGoalInternal(self) -> tuple[int, int]:
        """heapGoalInternal: min(GOGC goal, memory-limit goal), plus the minimum trigger it implies."""
        goal = self.gcPercentHeapGoal
        minTrigger = 0
        newGoal = self.memoryLimitHeapGoal()
        if newGoal < goal:
            goal = newGoal
        else:
            sweepDistTrigger = self.sweepDistMinTrigger
            goal = max(goal, sweepDistTrigger)
            minTrigger = sweepDistTrigger
            if self.triggered != MAX_UINT64 and goal < self.triggered + MIN_RUNWAY:
                goal = self.triggered + MIN_RUNWAY
        return goal, minTrigger

    def memoryLimitHeapGoal(
        self, mapped_ready: int | None = None, heap_free: int | None = None, heap_alloc: int | None = None
    ) -> int:
        """memoryLimitHeapGoal: limit minus non-heap memory and overage, minus max(3%, 1 MiB) headroom.

        The memstats inputs default to the values last given to `update_memstats`.
        """
        mappedReady = self.mappedReady if mapped_ready is None else mapped_ready
        heapFree = self.heapFree if heap_free is None else heap_free
        heapAlloc = self.heapAlloc if heap_alloc is None else heap_alloc
        memoryLimit = self.memoryLimit
        # SIMPLIFICATION: the runtime spins until heapFree+heapAlloc <= mappedReady (a torn read);
        # here the stats are consistent by construction, so clamp instead of spinning.
        nonHeapMemory = max(mappedReady - heapFree - heapAlloc, 0)
        overage = mappedReady - memoryLimit if mappedReady > memoryLimit else 0
        if nonHeapMemory + overage >= memoryLimit:
            return self.heapMarked
        goal = memoryLimit - (nonHeapMemory + overage)
        headroom = max(goal // 100 * MEMLIMIT_HEADROOM_PERCENT, MEMLIMIT_MIN_HEADROOM)
        goal = headroom if goal < headroom or goal - headroom < headroom else goal - headroom
        return max(goal, self.heapMarked)

    def trigger(self) -> tuple[int, int]:
        """trigger: (trigger, heapGoal); trigger = goal - runway clamped to [45/64, 61/64] of the way."""
        goal, minTrigger = self.heapGoalInternal()
        if self.heapMarked >= goal:
            return goal, goal
        minTrigger = max(minTrigger, self.heapMarked)
        triggerLowerBound = (
            (goal - self.heapMarked) // TRIGGER_RATIO_DEN
        ) * MIN_TRIGGER_RATIO_NUM + self.heapMarked
        minTrigger = max(minTrigger, triggerLowerBound)
        maxTrigger = ((goal - self.heapMarked) // TRIGGER_RATIO_DEN) * MAX_TRIGGER_RATIO_NUM + self.heapMarked
        if goal > DEFAULT_HEAP_MINIMUM and goal - DEFAULT_HEAP_MINIMUM > maxTrigger:
            maxTrigger = goal - DEFAULT_HEAP_MINIMUM
        maxTrigger = max(maxTrigger, minTrigger)
        trigger = minTrigger if self.runway > goal else goal - self.runway
        trigger = min(max(trigger, minTrigger), maxTrigger)
        if trigger > goal:
            raise PacerError(
                f"produced a trigger greater than the heap goal: trigger={trigger} heapGoal={goal}"
            )
        return trigger, goal

    # --- knobs ----------------------------------------------------------------------------------
    def setGCPercent(self, in_: int) -> int:
        """setGCPercent: new GOGC (negative = off), heapMinimum = 4 MiB x GOGC/100; returns the old one.

        The caller must `commit` afterwards (gcControllerCommit), as in the runtime.
        """
        out = self.gcPercent
        if in_ < 0:
            in_ = -1
        # uint64 arithmetic: with GOGC=off the runtime's heapMinimum wraps; it is unused then.
        self.heapMinimum = ((DEFAULT_HEAP_MINIMUM * (in_ & _MASK64)) & _MASK64) // 100
        self.gcPercent = in_
        return out

    def setMemoryLimit(self, in_: int) -> int:
        """setMemoryLimit: new soft limit in bytes (negative = just read); returns the old one."""
        out = self.memoryLimit
        if in_ >= 0:
            self.memoryLimit = in_
        return out

    # --- accounting during a cycle ----------------------------------------------------------------
    def update(self, d_heap_live: int, d_heap_scan: int, gc_blacken_enabled: bool) -> None:
        """update: heapLive moved; heapScan is frozen during marking, where revise runs instead."""
        self.heapLive += d_heap_live
        if not gc_blacken_enabled:
            self.heapScan += d_heap_scan
        else:
            self.revise()

    def update_memstats(self, mapped_ready: int, heap_free: int, heap_alloc: int) -> None:
        """Mirror of gcController.mappedReady / heapFree / totalAlloc-totalFree for the memory limit."""
        self.mappedReady, self.heapFree, self.heapAlloc = mapped_ready, heap_free, heap_alloc

    def addScannableStack(self, p_id: int | None, amount: int) -> None:
        """addScannableStack: stack bytes in use, batched per P by maxStackScanSlack (8 KiB)."""
        if p_id is None:
            self.maxStackScan += amount
            return
        delta = self._maxStackScanDelta.get(p_id, 0) + amount
        if delta >= MAX_STACK_SCAN_SLACK or delta <= -MAX_STACK_SCAN_SLACK:
            self.maxStackScan += delta
            delta = 0
        self._maxStackScanDelta[p_id] = delta

    def addGlobals(self, amount: int) -> None:
        """addGlobals: scannable data+bss bytes (modules loaded)."""
        self.globalsScan += amount

    def addScanWork(self, heap: int = 0, stack: int = 0, globals_: int = 0) -> None:
        """heapScanWork/stackScanWork/globalsScanWork += work (gcWork.dispose / markroot flushes)."""
        self.heapScanWork += heap
        self.stackScanWork += stack
        self.globalsScanWork += globals_

    def addAssistTime(self, duration_ns: int) -> None:
        """gcController.assistTime += duration (gcAssistAlloc1, flushed per P every gcAssistTimeSlack)."""
        self.assistTime += duration_ns

    def markWorkerStop(self, mode: int, duration_ns: int) -> None:
        """markWorkerStop: account a worker's run time; a dedicated slot becomes needed again."""
        if mode == WORKER_DEDICATED:
            self.dedicatedMarkTime += duration_ns
            self.dedicatedMarkWorkersNeeded += 1
        elif mode == WORKER_FRACTIONAL:
            self.fractionalMarkTime += duration_ns
        else:
            self.idleMarkTime += duration_ns
            self.removeIdleMarkWorker()

    # --- worker scheduling (findRunnableGCWorker, idle workers) -----------------------------------
    def worker_mode_for(self, p_fractional_time_ns: int, elapsed_ns: int) -> int | None:
        """findRunnableGCWorker's decision: WORKER_DEDICATED, WORKER_FRACTIONAL or None.

        Takes a dedicated slot if one is free (decrements dedicatedMarkWorkersNeeded), else runs a
        fractional worker if this P's fractional time / elapsed mark time is at or under the goal.
        The caller has already checked there is mark work and a parked worker G (gcShouldScheduleWorker).
        """
        # SIMPLIFICATION: gcShouldScheduleWorker, the gcBgMarkWorkerPool pop and the limiter update
        # that precede this in findRunnableGCWorker are the caller's (they need scheduler state).
        if self.dedicatedMarkWorkersNeeded <= 0 and self.fractionalUtilizationGoal == 0:
            return None
        if self.dedicatedMarkWorkersNeeded > 0:
            self.dedicatedMarkWorkersNeeded -= 1
            return WORKER_DEDICATED
        if self.fractionalUtilizationGoal == 0:
            return None
        if elapsed_ns > 0 and p_fractional_time_ns / elapsed_ns > self.fractionalUtilizationGoal:
            return None
        return WORKER_FRACTIONAL

    def addIdleMarkWorker(self) -> bool:
        """addIdleMarkWorker: claim an idle-worker slot if under the cap."""
        if self.idleMarkWorkersRunning >= self.maxIdleMarkWorkers:
            return False
        self.idleMarkWorkersRunning += 1
        return True

    def needIdleMarkWorker(self) -> bool:
        """needIdleMarkWorker: would another idle worker be allowed?"""
        return self.idleMarkWorkersRunning < self.maxIdleMarkWorkers

    def removeIdleMarkWorker(self) -> None:
        """removeIdleMarkWorker: an idle worker stopped."""
        if self.idleMarkWorkersRunning <= 0:
            raise PacerError("negative idle mark workers")
        self.idleMarkWorkersRunning -= 1

    def setMaxIdleMarkWorkers(self, max_: int) -> None:
        """setMaxIdleMarkWorkers: cap idle workers (running ones deschedule themselves)."""
        self.maxIdleMarkWorkers = max_

    # --- assists (mgcmark.go) ---------------------------------------------------------------------
    def assist_debt_work(self, debt_bytes: int) -> tuple[int, int]:
        """gcAssistAlloc step 2: (scanWork, debtBytes) for a G in debt, at least gcOverAssistWork.

        When the debt is small the G over-assists 64 KiB of scan work and is credited the bytes
        that work pays for (amortises the cost of entering an assist).
        """
        scanWork = int(self.assistWorkPerByte * debt_bytes)
        if scanWork < GC_OVER_ASSIST_WORK:
            scanWork = GC_OVER_ASSIST_WORK
            debt_bytes = int(self.assistBytesPerWork * scanWork)
        return scanWork, debt_bytes

    def assist_steal_credit(self, gc_assist_bytes: int) -> tuple[int, int]:
        """gcAssistAlloc steps 2-3: steal background credit. Returns (new gcAssistBytes, scanWork left).

        scanWork left == 0 means the background credit paid the whole debt: no assist runs.
        """
        scanWork, debtBytes = self.assist_debt_work(-gc_assist_bytes)
        bgScanCredit = self.bgScanCredit
        if bgScanCredit > 0:
            if bgScanCredit < scanWork:
                stolen = bgScanCredit
                gc_assist_bytes += 1 + int(self.assistBytesPerWork * stolen)
            else:
                stolen = scanWork
                gc_assist_bytes += debtBytes
            self.bgScanCredit -= stolen
            scanWork -= stolen
        return gc_assist_bytes, scanWork

    def assist_credit_for_work(self, work_done: int) -> int:
        """gcAssistAlloc1: bytes of allocation credit earned by `work_done` units of assist scan work."""
        return int(self.assistBytesPerWork * work_done)

    def gcFlushBgCredit(self, scan_work: int, assist_queue: deque[list[int]]) -> list[int]:
        """gcFlushBgCredit: pay parked assists first (FIFO), the rest goes to bgScanCredit.

        `assist_queue` holds `[goid, gcAssistBytes]` items (work.assistQueue); paid Gs are removed and
        their ids returned in the order to `ready` them (not into runnext). A partly paid head G is
        moved to the back, as the runtime does.
        """
        if not assist_queue:
            self.bgScanCredit += scan_work
            return []
        readied: list[int] = []
        scanBytes = int(scan_work * self.assistBytesPerWork)
        while assist_queue and scanBytes > 0:
            item = assist_queue.popleft()
            if scanBytes + item[1] >= 0:
                scanBytes += item[1]
                item[1] = 0
                readied.append(item[0])
            else:
                item[1] += scanBytes
                scanBytes = 0
                assist_queue.append(item)
                break
        if scanBytes > 0:
            self.bgScanCredit += int(scanBytes * self.assistWorkPerByte)
        return readied


def _u64(x: float) -> int:
    """uint64(float64) for the non-negative values the pacer produces."""
    if x != x or x <= 0:  # NaN or negative
        return 0
    return min(int(x), MAX_UINT64)


def mark_worker_split(procs: int) -> tuple[int, float]:
    """startCycle: (dedicated workers, fractionalUtilizationGoal) for GOMAXPROCS=procs.

    25% of procs, rounded to whole dedicated workers; if rounding is more than 30% off the goal,
    drop one if over, and let a fractional worker make up the rest on each P.
    """
    totalUtilizationGoal = procs * GC_BACKGROUND_UTILIZATION
    dedicated = int(totalUtilizationGoal + 0.5)
    utilError = dedicated / totalUtilizationGoal - 1
    if utilError < -MAX_UTIL_ERROR or utilError > MAX_UTIL_ERROR:
        if dedicated > totalUtilizationGoal:
            dedicated -= 1
        return dedicated, (totalUtilizationGoal - dedicated) / procs
    return dedicated, 0.0


# --- gcTrigger.test (mgc.go) ---------------------------------------------------------------------
def gcTrigger_test(
    kind: int,
    controller: GCController,
    *,
    now_ns: int = 0,
    last_gc_ns: int = 0,
    n: int = 0,
    cycles: int = 0,
    gcphase_off: bool = True,
    enablegc: bool = True,
) -> bool:
    """gcTrigger.test: should a cycle of this kind start now?

    heap: heapLive >= trigger. time: GC on (GOGC >= 0), a GC has run (last_gc_ns != 0) and it ended
    more than forcegcperiod (2 min) ago. cycle: cycle n not started yet (int32 wraparound).
    All need GC enabled and _GCoff.
    """
    if not enablegc or not gcphase_off:
        return False
    if kind == GC_TRIGGER_HEAP:
        trigger, _ = controller.trigger()
        return controller.heapLive >= trigger
    if kind == GC_TRIGGER_TIME:
        if controller.gcPercent < 0:
            return False
        return last_gc_ns != 0 and now_ns - last_gc_ns > FORCEGC_PERIOD_NS
    if kind == GC_TRIGGER_CYCLE:
        diff = (n - cycles) & 0xFFFF_FFFF
        return diff != 0 and diff < 0x8000_0000
    raise PacerError(f"unknown gcTrigger kind {kind}")


# --- sweep pacing (mgcsweep.go) --------------------------------------------------------------------
@dataclass
class SweepPacing:
    """The mheap_ fields proportional sweep uses (mheap.go: sweepPagesPerByte, sweepHeapLiveBasis...)."""

    sweepPagesPerByte: float = 0.0
    sweepHeapLiveBasis: int = 0
    pagesSweptBasis: int = 0


def gcPaceSweeper(
    pacing: SweepPacing,
    trigger: int,
    heap_live: int,
    pages_in_use: int,
    pages_swept: int,
    is_sweep_done: bool,
) -> None:
    """gcPaceSweeper: sweep every in-use page before heapLive reaches the trigger (minus 1 MiB margin)."""
    if is_sweep_done:
        pacing.sweepPagesPerByte = 0.0
        return
    heapDistance = trigger - heap_live - SWEEP_MIN_HEAP_DISTANCE  # runtime: "heapDistance -= 1024 * 1024"
    heapDistance = max(heapDistance, PAGE_SIZE)
    sweepDistancePages = pages_in_use - pages_swept
    if sweepDistancePages <= 0:
        pacing.sweepPagesPerByte = 0.0
        return
    pacing.sweepPagesPerByte = sweepDistancePages / heapDistance
    pacing.sweepHeapLiveBasis = heap_live
    pacing.pagesSweptBasis = pages_swept


def deductSweepCredit(
    pacing: SweepPacing, span_bytes: int, caller_sweep_pages: int, heap_live: int, pages_swept: int
) -> int:
    """deductSweepCredit: pages the allocating G must sweep (sweepone) before taking a span of span_bytes.

    The G sweeps until pagesSwept - pagesSweptBasis >= sweepPagesPerByte x (heapLive - basis + spanBytes)
    - callerSweepPages; returns how many pages short it is now (0: no debt). The engine calls sweepone
    until that many pages are swept, and sets sweepPagesPerByte = 0 if sweeping runs dry.
    """
    if pacing.sweepPagesPerByte == 0:
        return 0
    newHeapLive = span_bytes
    if pacing.sweepHeapLiveBasis < heap_live:
        newHeapLive += heap_live - pacing.sweepHeapLiveBasis
    pagesTarget = int(pacing.sweepPagesPerByte * newHeapLive) - caller_sweep_pages
    debt = pagesTarget - (pages_swept - pacing.pagesSweptBasis)
    return max(debt, 0)


# --- scavenger goals (mgcscavenge.go) ---------------------------------------------------------------
def gcPaceScavenger(
    memory_limit: int,
    heap_goal: int,
    last_heap_goal: int,
    mapped_ready: int,
    last_heap_in_use: int,
    heap_retained: int,
    phys_page_size: int = PHYS_PAGE_SIZE,
) -> tuple[int, int]:
    """gcPaceScavenger: (gcPercentGoal, memoryLimitGoal) retained-memory goals; MAX_UINT64 = no work.

    memory limit: keep mappedReady <= 95% of the limit. GOGC: retain lastHeapInUse scaled by the goal
    growth, plus 10%, rounded up to a physical page; skip if already within one page of it.
    `heap_retained` is heapInUse + heapFree (heapRetained).
    """
    memoryLimitGoal = int(memory_limit * (1 - REDUCE_EXTRA_PERCENT / 100.0))
    memoryLimitGoal = MAX_UINT64 if mapped_ready <= memoryLimitGoal else memoryLimitGoal
    if last_heap_goal == 0:
        return MAX_UINT64, memoryLimitGoal
    goalRatio = heap_goal / last_heap_goal
    gcPercentGoal = int(last_heap_in_use * goalRatio)
    gcPercentGoal += gcPercentGoal // (100 // RETAIN_EXTRA_PERCENT)
    gcPercentGoal = (gcPercentGoal + phys_page_size - 1) & ~(phys_page_size - 1)
    if heap_retained <= gcPercentGoal or heap_retained - gcPercentGoal < phys_page_size:
        gcPercentGoal = MAX_UINT64
    return gcPercentGoal, memoryLimitGoal
