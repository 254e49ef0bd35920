"""Syscalls — `runtime/proc.go: reentersyscall, entersyscallblock, exitsyscall, exitsyscallTryGetP,
exitsyscallNoP` with the Go 1.26 design: the P stays `_Prunning` and wired to the M during a syscall;
whoever takes it (sysmon retake, a STW, a thread leaving its own syscall) detaches it.
"""

from __future__ import annotations

from ..clock import PRIO_MSTEP, PRIO_SYSCALL_DONE
from ..constants import COST_SYSCALL_ENTRY_NS, Grunnable, Grunning, Gsyscall, Pgcstop
from ..runtime2 import M_RUNNING, M_SYSCALL
from ..trace.events import HANDOFF_BLOCK, SYSEXIT_FAST, SYSEXIT_IDLEP, SYSEXIT_OLDP


class SyscallMixin:
    def entersyscall(self, m, gp, duration_ns: int, blocking: bool, cpu: bool = False) -> None:
        """proc.go: reentersyscall / entersyscallblock — _Grunning -> _Gsyscall; the P stays attached
        (m.oldp remembers it) unless the syscall is known to block, which hands it off first. ``cpu``:
        the kernel works on a CPU for the syscall's duration; else the thread sleeps in the kernel."""
        sched = self.sched
        now = self.clock.now
        pp = m.p
        self._g_off_cpu(pp)
        if pp.runSafePointFn:
            self.runSafePointFn(pp)  # reentersyscall: before the P can be taken in the syscall
        m.syscalltick = pp.syscalltick
        m.oldp = pp
        gp.syscall_start = now
        gp.syscall_end = now + COST_SYSCALL_ENTRY_NS + duration_ns
        self.n_syscalls += 1
        if blocking:
            # entersyscallblock: handoffp(releasep()) before the call
            pp = self.releasep(m)
            gp.status = Gsyscall
            m.state = M_SYSCALL
            self.ev.GoSyscallBegin(now, pp.id, m.id, gp.goid, blocking=1, duration_ns=duration_ns)
            self.n_handoffs += 1
            self.ev.ProcHandoff(now, pp.id, m.id, gp.goid, reason=HANDOFF_BLOCK, to_m=-1)
            self.handoffp(pp)
        else:
            gp.status = Gsyscall
            m.state = M_SYSCALL
            self.ev.GoSyscallBegin(now, pp.id, m.id, gp.goid, blocking=0, duration_ns=duration_ns)
            if sched.gcwaiting:
                # entersyscallHandleGCWait: give the P to the pending STW at once
                pp = self.releasep(m)
                pp.status = Pgcstop
                self.ev.ProcStatus(now, pp.id, m.id, 0, status=Pgcstop)
                sched.stopwait -= 1
                if sched.stopwait == 0:
                    self._stw_stopped()
        if not cpu:
            self.os.release(m)  # the thread sleeps in the kernel until the syscall returns
        self.sysmon_wake()
        m.token += 1
        self.at(gp.syscall_end, PRIO_SYSCALL_DONE, self.syscall_done, m, m.token)

    def syscall_done(self, m, token: int) -> None:
        """The syscall returns (clock handler): exitsyscall, unless the M's step was superseded."""
        if token != m.token:
            return
        if m.cpu_hold and not self.os.admit(m, self.syscall_done, PRIO_SYSCALL_DONE):
            return  # the kernel work needs a CPU too, and a blocking syscall's thread wakes up
        self.exitsyscall(m)

    def exitsyscall(self, m) -> None:
        """proc.go: exitsyscall — fast path if m.p is still set; else oldp if a syscalling thread holds
        it; else an idle P; else exitsyscallNoP (global queue, M parks)."""
        sched = self.sched
        now = self.clock.now
        gp = m.curg
        pp = m.p
        if pp is not None:
            gp.status = Grunning
            m.state = M_RUNNING
            pp.syscalltick += 1
            pp.run_start = now
            self.ev.GoSyscallEnd(now, pp.id, m.id, gp.goid, path=SYSEXIT_FAST)
            self._continue_after_syscall(m)
            return
        path = -1
        oldp = m.oldp
        if (
            oldp is not None
            and not sched.gcwaiting
            and oldp.m is not None
            and oldp.m.state == M_SYSCALL
            and oldp.m.p is oldp
            and oldp.id < self.gomaxprocs
        ):
            # setBlockOnExitSyscall(oldp) + takeP: take it from the thread now in a syscall on it
            other = oldp.m
            other.p = None
            oldp.m = None
            oldp.syscalltick += 1
            self.acquirep(m, oldp)
            path = SYSEXIT_OLDP
        elif not sched.gcwaiting and sched.pidle:
            self.acquirep(m, self.pidleget())
            path = SYSEXIT_IDLEP
        if path >= 0:
            gp.status = Grunning
            m.state = M_RUNNING
            m.p.run_start = now
            self.ev.GoSyscallEnd(now, m.p.id, m.id, gp.goid, path=path)
            self._continue_after_syscall(m)
            return
        # exitsyscallNoP
        gp.status = Grunnable
        gp.m = None
        m.curg = None
        self.ev.GoSyscallEndBlocked(now, -1, m.id, gp.goid)
        self.globrunqput(gp)
        self.stopm(m)
        self.sysmon_wake()

    def _continue_after_syscall(self, m) -> None:
        self.sysmon_wake()
        m.token += 1
        self.at(self.clock.now, PRIO_MSTEP, self.mstep, m, m.token)
