"""Run queues — `runtime/proc.go: globrunq*, runqempty, runqput, runqputslow, runqget, runqdrain,
runqgrab, runqsteal`, in proc.go's order.

A part of :class:`gmpviz.core.sched.scheduler.Scheduler`. Local queues are deques bounded at RUNQ_SIZE
(the ring's head is the left end); the global queue is an unbounded deque (the runtime's gQueue).
"""

from __future__ import annotations

from ..constants import RUNQ_SIZE, Gsyscall, Prunning
from ..runtime2 import P
from ..trace.events import (
    EV,
    SRC_GLOBAL,
    SRC_GLOBAL_FAIR,
    SRC_LOCAL,
    SRC_RUNNEXT,
    SRC_STEAL,
    WHERE_GLOBAL,
    WHERE_GLOBAL_HEAD,
    WHERE_LOCAL,
    WHERE_RUNNEXT,
)

_RunqPut = int(EV.RunqPut)
_RunqGet = int(EV.RunqGet)


#: proc.go runqgrab: usleep(3) before taking a running P's runnext
RUNQGRAB_USLEEP_NS = 3_000


class RunqMixin:
    """Local and global run queue operations."""

    def globrunqput(self, gp) -> None:
        """proc.go: globrunqput — tail of sched.runq."""
        sched = self.sched
        sched.runq.append(gp)
        self.ev.GlobRunqPut(self.clock.now, -1, -1, gp.goid, where=WHERE_GLOBAL, len=len(sched.runq))
        self._note_global_len()

    def globrunqputhead(self, gp) -> None:
        """proc.go: globrunqputhead (p.destroy)."""
        sched = self.sched
        sched.runq.appendleft(gp)
        self.ev.GlobRunqPut(self.clock.now, -1, -1, gp.goid, where=WHERE_GLOBAL_HEAD, len=len(sched.runq))
        self._note_global_len()

    def globrunqget(self, pp):
        """proc.go: globrunqget — exactly one G (the schedtick%61 fairness check)."""
        sched = self.sched
        gp = sched.runq.popleft()
        self.ext(
            (
                self.clock.now,
                _RunqGet,
                pp.id,
                -1,
                gp.goid,
                SRC_GLOBAL_FAIR,
                len(pp.runq),
                len(sched.runq),
            )
        )
        self._note_global_len()
        return gp

    def globrunqgetbatch(self, pp, n: int):
        """proc.go: globrunqgetbatch — n = min(n, size, size/gomaxprocs + 1); one to run, rest local."""
        now = self.clock.now
        q = self.sched.runq
        size = len(q)
        n = min(n, size, size // self.gomaxprocs + 1)
        if n <= 0:
            return None
        gp = q.popleft()
        moved = 1
        if not self.policy_global:
            runq = pp.runq
            for _ in range(n - 1):
                if len(runq) >= RUNQ_SIZE:
                    break
                runq.append(q.popleft())
                moved += 1
            if moved > 1:
                self.p_with_work.add(pp.id)
        self.ev.GlobRunqGet(now, pp.id, -1, gp.goid, count=moved, len=len(q), local_len=len(pp.runq))
        self.ext((now, _RunqGet, pp.id, -1, gp.goid, SRC_GLOBAL, len(pp.runq), len(q)))
        self._note_global_len()
        return gp

    def _note_global_len(self) -> None:
        n = len(self.sched.runq)
        if n > self.max_global_runq:
            self.max_global_runq = n

    @staticmethod
    def runqempty(pp) -> bool:
        return not pp.runq and pp.runnext is None

    def runqput(self, pp, gp, next_: bool) -> None:
        """proc.go: runqput — next=True puts gp in runnext and kicks the old runnext to the tail."""
        if self.policy_global:
            # Teaching policy "global-queue": one shared FIFO, no local queues at all.
            self.globrunqput(gp)
            return
        if next_:
            old = pp.runnext
            pp.runnext = gp
            self.p_with_work.add(pp.id)
            self.ext(
                (
                    self.clock.now,
                    _RunqPut,
                    pp.id,
                    -1,
                    gp.goid,
                    WHERE_RUNNEXT,
                    len(pp.runq),
                    old.goid if old else 0,
                )
            )
            if old is not None:
                # the kicked G goes to the tail: its own RunqPut (or a RunqSpill if the ring is full)
                self._runq_tail(pp, old, True)
            return
        self._runq_tail(pp, gp, True)

    def _runq_tail(self, pp, gp, emit: bool) -> None:
        """The ring's tail, or runqputslow when it is full."""
        runq = pp.runq
        if len(runq) < RUNQ_SIZE:
            runq.append(gp)
            self.p_with_work.add(pp.id)
            n = len(runq)
            if emit:
                self.ext((self.clock.now, _RunqPut, pp.id, -1, gp.goid, WHERE_LOCAL, n, 0))
            if n > self.max_local_runq:
                self.max_local_runq = n
            return
        self.runqputslow(pp, gp)

    def runqputslow(self, pp, gp) -> None:
        """proc.go: runqputslow — move half the full ring plus gp (129 Gs) to the global queue."""
        sched = self.sched
        runq = pp.runq
        n = len(runq) // 2
        batch = [runq.popleft() for _ in range(n)]  # (half the ring stays: pp keeps work)
        batch.append(gp)
        sched.runq.extend(batch)
        self.n_spills += 1
        self.ev.RunqSpill(self.clock.now, pp.id, -1, gp.goid, count=len(batch), global_len=len(sched.runq))
        self._note_global_len()

    def runqget(self, pp):
        """proc.go: runqget — runnext first (inherits the time slice), else the ring's head.

        Returns (g, inheritTime) or (None, False)."""
        now = self.clock.now
        gp = pp.runnext
        if gp is not None:
            pp.runnext = None
            if not pp.runq:
                self.p_with_work.discard(pp.id)
            self.ext((now, _RunqGet, pp.id, -1, gp.goid, SRC_RUNNEXT, len(pp.runq), 0))
            return gp, True
        if pp.runq:
            gp = pp.runq.popleft()
            if not pp.runq:
                self.p_with_work.discard(pp.id)
            self.ext((now, _RunqGet, pp.id, -1, gp.goid, SRC_LOCAL, len(pp.runq), 0))
            return gp, False
        return None, False

    def runqdrain(self, pp) -> None:
        """proc.go: runqdrain — the P's whole local queue (runnext first) to the global queue."""
        if pp.runnext is not None:
            self.globrunqput(pp.runnext)
            pp.runnext = None
        while pp.runq:
            self.globrunqput(pp.runq.popleft())
        self.p_with_work.discard(pp.id)

    def runqsteal(self, pp: P, p2: P, steal_runnext: bool):
        """proc.go: runqsteal/runqgrab — take ceil(half) of p2's ring; runnext only on the last pass.

        The last grabbed G is returned to run now, the rest go to pp's ring."""
        now = self.clock.now
        q = p2.runq
        n = len(q)
        took_runnext = 0
        if n == 0:
            if not steal_runnext or p2.runnext is None:
                return None
            victim_running = p2.status == Prunning and p2.m is not None and p2.m.curg is not None
            if (
                victim_running
                and p2.m.curg.status != Gsyscall
                and p2.m.curg.busy_until < now + RUNQGRAB_USLEEP_NS
            ):
                # runqgrab: usleep(3) to give the victim a chance to run its runnext first: a victim
                # whose G is not inside a compute burst lasting past the sleep is taken to schedule
                # (block, yield) within it and run runnext itself, so the thief leaves it.
                # SIMPLIFICATION: the 3 µs sleep is not charged to the thief.
                return None
            batch = [p2.runnext]
            p2.runnext = None
            took_runnext = 1
        else:
            k = n - n // 2
            batch = [q.popleft() for _ in range(k)]
        gp = batch.pop()
        pp.runq.extend(batch)
        if not q and p2.runnext is None:
            self.p_with_work.discard(p2.id)
        if batch:
            self.p_with_work.add(pp.id)
        cnt = len(batch) + 1
        self.n_steals += 1
        self.n_stolen += cnt
        self.ev.ProcSteal(
            now, pp.id, pp.m.id if pp.m else -1, gp.goid, victim=p2.id, count=cnt, runnext=took_runnext
        )
        self.ext(
            (
                now,
                _RunqGet,
                pp.id,
                pp.m.id if pp.m else -1,
                gp.goid,
                SRC_STEAL,
                len(pp.runq),
                p2.id,
            )
        )
        return gp
