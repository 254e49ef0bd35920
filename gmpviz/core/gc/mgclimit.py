"""GC CPU limiter: gcCPULimiterState from runtime/mgclimit.go (Go 1.20+ with idle-time accounting).

A leaky bucket that fills with GC CPU time (assists, 25% of all CPU while the GC is on, and all CPU
during the GC's STW transitions) and drains with mutator time. Capacity is 1 CPU-second per P. When
the bucket is full, `limiting()` is true and assists stop (gcAssistAlloc returns early), which caps
GC CPU at about 50% over the window. Time is virtual ns passed in by the caller.
"""

from __future__ import annotations

from gmpviz.core.constants import GC_BACKGROUND_UTILIZATION

CAPACITY_PER_PROC_NS = 1_000_000_000  # mgclimit.go: capacityPerProc = 1e9 (1 CPU-second per P)
GC_CPU_LIMITER_UPDATE_PERIOD_NS = 10_000_000  # mgclimit.go: gcCPULimiterUpdatePeriod = 10e6 (10 ms)


class LimiterError(RuntimeError):
    """A limiter call out of protocol (the runtime throws)."""


class GCCPULimiter:
    """gcCPULimiterState (mgclimit.go). After construction call `resetCapacity(now, gomaxprocs)`."""

    def __init__(self) -> None:
        self.enabled = False
        self.fill = 0  # bucket.fill, CPU-ns
        self.capacity = 0  # bucket.capacity, CPU-ns
        self.overflow = 0  # GC CPU-ns that did not fit in the bucket
        self.gcEnabled = False  # copy of gcBlackenEnabled
        self.transitioning = False
        self.assistTimePool = 0
        self.idleTimePool = 0
        self.lastUpdate = 0
        self.lastEnabledCycle = 0
        self.nprocs = 0
        self.numgc = 0  # memstats.numgc, kept by the engine; used for lastEnabledCycle

    def limiting(self) -> bool:
        """limiting: is the bucket full, so assists must be skipped?"""
        return self.enabled

    def startGCTransition(self, enable_gc: bool, now_ns: int) -> None:
        """startGCTransition: at the start of a GC STW; flush the window, switch the 25% accounting."""
        if self.gcEnabled == enable_gc:
            raise LimiterError("transitioning GC to the same state as before?")
        self._updateLocked(now_ns)
        self.gcEnabled = enable_gc
        self.transitioning = True

    def finishGCTransition(self, now_ns: int) -> None:
        """finishGCTransition: at the end of the STW; the whole pause counts as GC CPU on every P."""
        if not self.transitioning:
            raise LimiterError("finishGCTransition called without starting one?")
        if now_ns >= self.lastUpdate:
            self.accumulate(0, (now_ns - self.lastUpdate) * self.nprocs)
        self.lastUpdate = now_ns
        self.transitioning = False

    def needUpdate(self, now_ns: int) -> bool:
        """needUpdate: more than 10 ms since the last update (checked by sysmon and the scheduler)."""
        return now_ns - self.lastUpdate > GC_CPU_LIMITER_UPDATE_PERIOD_NS

    def addAssistTime(self, t_ns: int) -> None:
        """addAssistTime: mark-assist (or scavenge-assist) CPU time since the last update."""
        self.assistTimePool += t_ns

    def addIdleTime(self, t_ns: int) -> None:
        """addIdleTime: time Ps spent idle (on the idle list or in idle mark workers)."""
        self.idleTimePool += t_ns

    def update(self, now_ns: int) -> None:
        """update: fold the time since lastUpdate into the bucket."""
        if self.transitioning:
            raise LimiterError("update during transition")
        self._updateLocked(now_ns)

    def _updateLocked(self, now_ns: int) -> None:
        """updateLocked: GC time = assists (+25% of total while GC is on); idle time is not mutator time."""
        if now_ns < self.lastUpdate:
            return
        windowTotalTime = (now_ns - self.lastUpdate) * self.nprocs
        self.lastUpdate = now_ns
        assistTime, self.assistTimePool = self.assistTimePool, 0
        idleTime, self.idleTimePool = self.idleTimePool, 0
        # SIMPLIFICATION: the runtime also consumes in-flight per-P limiterEvents (an assist or idle
        # period still running at update time); the emulator adds each period when it ends.
        windowGCTime = assistTime
        if self.gcEnabled:
            windowGCTime += int(windowTotalTime * GC_BACKGROUND_UTILIZATION)
        windowTotalTime -= idleTime
        self.accumulate(windowTotalTime - windowGCTime, windowGCTime)

    def accumulate(self, mutator_time_ns: int, gc_time_ns: int) -> None:
        """accumulate: bucket += gc - mutator, clamped to [0, capacity]; full turns limiting on."""
        headroom = self.capacity - self.fill
        enabled = headroom == 0
        change = gc_time_ns - mutator_time_ns
        if change > 0 and headroom <= change:
            self.overflow += change - headroom
            self.fill = self.capacity
            if not enabled:
                self.enabled = True
                self.lastEnabledCycle = self.numgc + 1
            return
        self.fill = max(self.fill + change, 0)
        if change != 0 and enabled:
            self.enabled = False

    def resetCapacity(self, now_ns: int, nprocs: int) -> None:
        """resetCapacity: GOMAXPROCS changed (procresize); capacity = nprocs CPU-seconds."""
        self._updateLocked(now_ns)
        self.nprocs = nprocs
        self.capacity = nprocs * CAPACITY_PER_PROC_NS
        if self.fill > self.capacity:
            self.fill = self.capacity
            self.enabled = True
            self.lastEnabledCycle = self.numgc + 1
        elif self.fill < self.capacity:
            self.enabled = False
