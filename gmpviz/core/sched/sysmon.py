"""sysmon — `runtime/proc.go: sysmon, retake`: a thread without a P that polls the network,
retakes Ps from syscalls and preempts long-running goroutines, with an adaptive 20 µs → 10 ms delay.
"""

from __future__ import annotations

from ..clock import PRIO_SYSMON
from ..constants import (
    FORCE_PREEMPT_NS,
    SYSCALL_RETAKE_NS,
    SYSMON_IDLE_ROUNDS,
    SYSMON_MAX_DELAY_NS,
    SYSMON_MIN_DELAY_NS,
    SYSMON_NETPOLL_NS,
    Grunning,
    Gsyscall,
    Prunning,
)
from ..runtime2 import M_SYSCALL
from ..trace.events import HANDOFF_SYSMON, NETPOLL_SYSMON

# SIMPLIFICATION: sysmon's deep sleep lasts at most this long (the runtime: forcegcperiod/2 = 1 min, or
# until the next timer); woken early by syscalls and startTheWorld as in the runtime.
SYSMON_DEEP_SLEEP_NS = 60_000_000_000



def _in_syscall_holding(m, pp) -> bool:
    """retake's syscall case: pp's M is in a syscall with its G in _Gsyscall and still holds pp (the
    quiet-round check and retake itself must agree on it, or a skipped round would differ)."""
    return (
        m is not None
        and m.state == M_SYSCALL
        and m.curg is not None
        and m.curg.status == Gsyscall
        and m.p is pp
    )

class SysmonMixin:
    def sysmon_step(self, _obj, token: int) -> None:
        """sysmon wakes from its usleep (clock handler), unless a wake-up superseded this sleep."""
        if token == self.sysmon_token:
            self.sysmon_round()

    def sysmon_round(self) -> None:
        """proc.go: sysmon — one round, then sleep for the adaptive delay."""
        sched = self.sched
        now = self.clock.now
        if not self.schedtrace_ns and (sched.gcwaiting or len(sched.pidle) == self.gomaxprocs):
            # deep sleep on sched.sysmonnote until a syscall, startTheWorld or the next timer
            sched.sysmonwait = True
            when = self._next_timer_when()
            wake = now + SYSMON_DEEP_SLEEP_NS if when < 0 else max(when, now + self.sysmon_delay)
            self.sysmon_token += 1
            self.at(wake, PRIO_SYSMON, self.sysmon_step, None, self.sysmon_token)
            return
        # 2. netpoll if nobody polled for more than 10 ms
        if sched.lastpoll != 0 and sched.lastpoll + SYSMON_NETPOLL_NS < now:
            sched.lastpoll = now
            glist = self.netpoll(NETPOLL_SYSMON)
            if glist:
                self.injectglist(glist, None)
        # timers that should have fired on a P that is not scheduling: start an M to steal them
        when = self._next_timer_when()
        if 0 <= when < now and sched.pidle and self.netpoll_m is None:
            self.startm(None, False)
        # 5. retake
        if self.retake(now):
            self.sysmon_idle = 0
        else:
            self.sysmon_idle += 1
        self.gc.sysmon_gc_check(now)
        if self.schedtrace_ns:
            self.schedtrace_tick(now)
        delay = self.sysmon_delay
        if self.sysmon_idle == 0:
            delay = SYSMON_MIN_DELAY_NS
        elif self.sysmon_idle > SYSMON_IDLE_ROUNDS:
            delay *= 2
        if delay > SYSMON_MAX_DELAY_NS:
            delay = SYSMON_MAX_DELAY_NS
        if delay != self.sysmon_delay:
            self.sysmon_delay = delay
            self.ev.SysmonTick(now, -1, 1, 0, delay_ns=delay)
        nxt = now + delay
        if nxt <= self.clock.horizon:
            nxt = self._sysmon_idle_rounds(nxt)
        self.sysmon_token += 1
        self.at(nxt, PRIO_SYSMON, self.sysmon_step, None, self.sysmon_token)

    def _sysmon_idle_rounds(self, t: int) -> int:
        """Run now the rounds from ``t`` on that provably do nothing but count an idle round (and
        maybe double the delay); returns the time of the first round left to the clock.

        A round due before the clock's next step (and before run_until's horizon) sees the state this
        one left, so it acts only once a time threshold passes (_sysmon_quiet_until). Until then each
        round is ``idle++``, the delay rule and its SysmonTick: what the loop below does, counting each
        as a clock step (seq), so everything after is as if the rounds had been popped one by one.
        It stops after a round that emits, so a run stopped by its event limit stops where it would.
        syscall-handoff's sysmon polls every 20 µs beside Ps that are busy for milliseconds; its rounds
        were a third of the clock's steps (issue 13)."""
        clock = self.clock
        if len(clock.out) >= clock.out_limit:
            return t
        due = clock.next_due()
        limit = clock.horizon + 1
        if 0 <= due < limit:
            limit = due
        if t >= limit:
            return t
        quiet = self._sysmon_quiet_until()
        if quiet < limit:
            limit = quiet
        delay = self.sysmon_delay
        while t < limit:
            clock.seq += 1  # the round's step, pushed and popped
            self.sysmon_idle += 1
            d = delay * 2 if self.sysmon_idle > SYSMON_IDLE_ROUNDS else delay
            if d > SYSMON_MAX_DELAY_NS:
                d = SYSMON_MAX_DELAY_NS
            if d != delay:
                self.sysmon_delay = delay = d
                self.ev.SysmonTick(t, -1, 1, 0, delay_ns=d)
                clock.now = t  # where a run stopped by its event limit now stands
                return t + d
            t += d
        return t

    def _sysmon_quiet_until(self) -> int:
        """The earliest time at which a sysmon round, seeing the state as it is now, could do more than
        count an idle round (0: the next one may): each test of sysmon_round, retake and
        sysmon_gc_check, read as the time its condition becomes true."""
        sched = self.sched
        if not self.schedtrace_ns and (sched.gcwaiting or len(sched.pidle) == self.gomaxprocs):
            return 0  # the round would go into its deep sleep
        quiet = 1 << 62
        if sched.lastpoll != 0:
            quiet = sched.lastpoll + SYSMON_NETPOLL_NS + 1  # lastpoll + 10 ms < now
        if sched.pidle and self.netpoll_m is None:
            when = self._next_timer_when()
            if 0 <= when < quiet - 1:
                quiet = when + 1  # 0 <= when < now
        allp = self.allp
        for i in range(self.gomaxprocs):
            pp = allp[i]
            if pp.status != Prunning:
                continue
            if pp.sysmon_schedtick != pp.schedtick:
                return 0
            t = pp.sysmon_schedwhen + FORCE_PREEMPT_NS  # schedwhen + forcePreemptNS <= now
            if t < quiet:
                quiet = t
            m = pp.m
            if not _in_syscall_holding(m, pp):
                continue
            if pp.sysmon_syscalltick != pp.syscalltick:
                return 0
            if not (self.runqempty(pp) and sched.nmspinning + len(sched.pidle) > 0):
                return 0  # retaken at the next round
            t = pp.sysmon_syscallwhen + SYSCALL_RETAKE_NS  # syscallwhen + 10 ms > now fails
            if t < quiet:
                quiet = t
        gc = self.gc
        t = gc.sysmon_quiet_until()
        if t < quiet:
            quiet = t
        if self.schedtrace_ns:
            t = self.lasttrace + self.schedtrace_ns
            if t < quiet:
                quiet = t
        return quiet

    def sysmon_wake(self) -> None:
        """notewakeup(&sched.sysmonnote) from entersyscall/exitsyscall/startTheWorld."""
        sched = self.sched
        if sched.sysmonwait:
            sched.sysmonwait = False
            self.sysmon_idle = 0
            self.sysmon_delay = SYSMON_MIN_DELAY_NS
            self.sysmon_token += 1
            self.at(
                self.clock.now + SYSMON_MIN_DELAY_NS, PRIO_SYSMON, self.sysmon_step, None, self.sysmon_token
            )

    def retake(self, now: int) -> int:
        """proc.go: retake — preempt Gs that held a schedtick for ≥ 10 ms; take Ps from syscalls."""
        sched = self.sched
        n = 0
        allp = self.allp
        for i in range(self.gomaxprocs):
            pp = allp[i]
            if pp.status != Prunning:
                continue
            m = pp.m
            sysretake = False
            t = pp.schedtick
            if pp.sysmon_schedtick != t:
                pp.sysmon_schedtick = t
                pp.sysmon_schedwhen = now
            elif pp.sysmon_schedwhen + FORCE_PREEMPT_NS <= now:
                if m is not None and m.curg is not None and m.curg.status == Grunning:
                    gp = m.curg
                    if self.preemptone(pp, self.safepoint_ns(gp)):
                        self.n_preemptions += 1
                        self.ev.Preempt(now, pp.id, m.id, gp.goid, held_ns=now - pp.sysmon_schedwhen)
                sysretake = True
            if not _in_syscall_holding(m, pp):
                continue
            t = pp.syscalltick
            if not sysretake and pp.sysmon_syscalltick != t:
                pp.sysmon_syscalltick = t
                pp.sysmon_syscallwhen = now
                continue
            if (
                self.runqempty(pp)
                and sched.nmspinning + len(sched.pidle) > 0
                and pp.sysmon_syscallwhen + SYSCALL_RETAKE_NS > now
            ):
                continue
            # takeP + handoffp
            gp = m.curg
            m.p = None
            pp.m = None
            pp.syscalltick += 1
            n += 1
            self.n_handoffs += 1
            self.ev.Retake(now, pp.id, m.id, gp.goid, syscall_ns=now - gp.syscall_start)
            self.ev.ProcHandoff(now, pp.id, m.id, gp.goid, reason=HANDOFF_SYSMON, to_m=-1)
            self.handoffp(pp)
        return n
