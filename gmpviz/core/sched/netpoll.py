"""The network poller — `runtime/netpoll.go`: netpoll(0), netpollready, and the M blocked in netpoll
(findRunnable step 15). A part of :class:`gmpviz.core.sched.scheduler.Scheduler`.

Readiness is scheduled by the workload (a netwait's duration) instead of real descriptors.
"""

from __future__ import annotations

from ..clock import PRIO_NETPOLL_WAKE
from ..runtime2 import M_NETPOLL, M_RUNNING, G, M
from ..trace.events import EV, NETPOLL_BLOCKING, SRC_NETPOLL

_RunqGet = int(EV.RunqGet)


class NetpollMixin:
    """netpoll.go's poller over the scheduler's Ms and Ps."""

    def netready(self, gp: G, _token: int = 0) -> None:
        """The fd a G waits on became readable (netpollready)."""
        self.netpoll_ready.append(gp)
        nm = self.netpoll_m
        if nm is not None:
            self.at(
                self.clock.now + self.thread_wake_ns(), PRIO_NETPOLL_WAKE, self.netpoll_wake, nm, nm.token
            )

    def netpoll(self, by: int, m_id: int = -1) -> list[G]:
        """netpoll.go: netpoll(0) — the Gs whose descriptors are ready (pdReady). ``by`` says which
        caller polled (NETPOLL_*: findRunnable's non-blocking poll, its blocking poll, or sysmon);
        one NetpollReady event per poll that returned Gs."""
        glist = self.netpoll_ready
        self.netpoll_ready = []
        self.netpoll_waiters -= len(glist)
        if glist:
            self.ev.NetpollReady(self.clock.now, -1, m_id, 0, count=len(glist), by=by)
        return glist

    def netpoll_wake(self, m: M, token: int) -> None:
        """findRunnable step 15 after the blocking netpoll returns: take an idle P and run."""
        sched = self.sched
        now = self.clock.now
        if token != m.token or m.state != M_NETPOLL or self.netpoll_m is not m:
            return
        if m.cpu_hold and not self.os.admit(m, self.netpoll_wake, PRIO_NETPOLL_WAKE):
            return  # epoll_wait returned, but the thread waits for a CPU
        self.netpoll_m = None
        sched.lastpoll = now
        m.state = M_RUNNING
        glist = self.netpoll(NETPOLL_BLOCKING, m.id)
        pp = None
        if not glist:
            # SIMPLIFICATION: woken for timers, the poller takes the idle P whose timer is due (the
            # runtime takes any idle P and reaches other Ps' timers through stealWork's last pass).
            when, pp = self._next_idle_timer()
            if pp is not None and when <= now:
                sched.pidle.remove(pp)
            else:
                pp = None
        if pp is None:
            pp = self.pidleget()
        if pp is None:
            if glist:
                self.injectglist(glist, None)
            self.stopm(m)
            return
        self.acquirep(m, pp)
        if not glist:
            # Woken for timers: run every P's expired timers onto this P. SIMPLIFICATION: the runtime
            # goes back to the top of findRunnable and reaches busy Ps' timers in stealWork's last
            # pass when it may spin; the emulator runs them here so a due timer is never left behind.
            for i in range(self.gomaxprocs):
                owner = self.allp[i]
                if owner.timers and owner.timers[0][0] <= now:
                    self.run_timers(owner, pp)
        if glist:
            gp = glist.pop(0)
            self.ext((now, _RunqGet, pp.id, m.id, gp.goid, SRC_NETPOLL, len(pp.runq), 0))
            if glist:
                self.injectglist(glist, pp)
            self.execute(m, gp, False)
            return
        self.schedule(m)
