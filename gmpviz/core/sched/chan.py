"""Channels — `runtime/chan.go: chansend, chanrecv, closechan`, `runtime/select.go: selectgo`.

Values are not modelled, only their count in the buffer. Each operation returns True if the calling G
may go on running, False if it parked (the caller must then call schedule()).
"""

from __future__ import annotations

from ..constants import SUDOG_BYTES
from ..runtime2 import Hchan
from ..trace.events import (
    CHAN_BLOCK,
    CHAN_BUFFER,
    CHAN_CLOSED,
    CHAN_DIRECT,
    EV,
    WAIT_CHAN_RECV,
    WAIT_CHAN_SEND,
    WAIT_SELECT,
)
from ..workload.ops import SEL_RECV, SEL_SEND

_ChanSend = int(EV.ChanSend)
_ChanRecv = int(EV.ChanRecv)


class ChanMixin:
    """chan.go and select.go over the scheduler (gopark/ready)."""

    def makechan(self, idx: int, cap: int, name: str = "") -> Hchan:
        """chan.go: makechan — (re)create the channel at index idx."""
        c = Hchan(idx, name or f"c{idx}", cap)
        while len(self.chans) <= idx:
            self.chans.append(None)
        self.chans[idx] = c
        return c

    def chansend(self, m, gp, c) -> bool:
        """chan.go: chansend — to a waiting receiver directly, else into the buffer, else park."""
        now = self.clock.now
        pp = m.p
        if c.closed:
            self.fatal("panic: send on closed channel")
            return False
        sg = self._dequeue_sudog(c.recvq)
        if sg is not None:
            rg, sel_id, case = sg
            rg.chan_val = 1
            if sel_id:
                rg.sel_id = 0
                rg.wait_obj = case
            self.ext((now, _ChanSend, pp.id, m.id, gp.goid, c.id, CHAN_DIRECT, c.qcount))
            self.ready(rg, m, True)
            return True
        if c.qcount < c.dataqsiz:
            c.qcount += 1
            self.ext((now, _ChanSend, pp.id, m.id, gp.goid, c.id, CHAN_BUFFER, c.qcount))
            return True
        self.acquireSudog(m, gp)
        c.sendq.append((gp, 0, 0))
        self.ext((now, _ChanSend, pp.id, m.id, gp.goid, c.id, CHAN_BLOCK, c.qcount))
        self.gopark(m, gp, WAIT_CHAN_SEND, c.id)
        return False

    def closechan(self, m, gp, c) -> bool:
        """chan.go: closechan — wake every receiver (zero values); waiting senders panic."""
        if c.closed:
            self.fatal("panic: close of closed channel")
            return False
        c.closed = True
        woken = []
        while True:
            sg = self._dequeue_sudog(c.recvq)
            if sg is None:
                break
            rg, sel_id, case = sg
            rg.chan_val = 0
            if sel_id:
                rg.sel_id = 0
                rg.wait_obj = case
            woken.append(rg)
        if self._dequeue_sudog(c.sendq) is not None:
            self.fatal("panic: send on closed channel")
            return False
        self.ev.ChanClose(self.clock.now, m.p.id, m.id, gp.goid, chan=c.id, woken=len(woken))
        for rg in woken:
            self.ready(rg, m, True)
        return True

    def chanrecv(self, m, gp, c) -> bool:
        """chan.go: chanrecv — from a waiting sender (via the buffer head if buffered), the buffer,
        a closed channel's zero value, else park."""
        now = self.clock.now
        pp = m.p
        sg = self._dequeue_sudog(c.sendq)
        if sg is not None:
            sgp, sel_id, case = sg
            if sel_id:
                sgp.sel_id = 0
                sgp.wait_obj = case
            # unbuffered: take the sender's value; buffered (full): take the head, sender's value to the tail
            gp.chan_val = 1
            self.ext((now, _ChanRecv, pp.id, m.id, gp.goid, c.id, CHAN_DIRECT, c.qcount))
            self.ready(sgp, m, True)
            return True
        if c.qcount > 0:
            c.qcount -= 1
            gp.chan_val = 1
            self.ext((now, _ChanRecv, pp.id, m.id, gp.goid, c.id, CHAN_BUFFER, c.qcount))
            return True
        if c.closed:
            gp.chan_val = 0
            self.ext((now, _ChanRecv, pp.id, m.id, gp.goid, c.id, CHAN_CLOSED, 0))
            return True
        self.acquireSudog(m, gp)
        c.recvq.append((gp, 0, 0))
        self.ext((now, _ChanRecv, pp.id, m.id, gp.goid, c.id, CHAN_BLOCK, c.qcount))
        self.gopark(m, gp, WAIT_CHAN_RECV, c.id)
        return False

    def selectgo(self, m, gp, cases, has_default: bool) -> bool:
        """select.go: selectgo — pick uniformly among ready cases (seeded), else default, else park
        on every channel; the first case to fire wins and the other sudogs go stale."""
        now = self.clock.now
        chans = self.chans
        ready = []
        for i, (kind, ci) in enumerate(cases):
            c = chans[ci]
            if kind == SEL_SEND:
                if c.closed or self._has_waiter(c.recvq) or c.qcount < c.dataqsiz:
                    ready.append(i)
            elif self._has_waiter(c.sendq) or c.qcount > 0 or c.closed:
                ready.append(i)
        pp = m.p
        if ready:
            i = ready[int(self.rng.random() * len(ready))] if len(ready) > 1 else ready[0]
            self.ev.Select(now, pp.id, m.id, gp.goid, case=i, ncases=len(cases))
            kind, ci = cases[i]
            if kind == SEL_SEND:
                return self.chansend(m, gp, chans[ci])
            return self.chanrecv(m, gp, chans[ci])
        if has_default:
            self.ev.Select(now, pp.id, m.id, gp.goid, case=-2, ncases=len(cases))
            return True
        self.sel_seq += 1
        sel_id = self.sel_seq
        gp.sel_id = sel_id
        for i, (kind, ci) in enumerate(cases):
            c = chans[ci]
            (c.sendq if kind == SEL_SEND else c.recvq).append((gp, sel_id, i))
        self.ev.Select(now, pp.id, m.id, gp.goid, case=-1, ncases=len(cases))
        self.gopark(m, gp, WAIT_SELECT, sel_id)
        return False

    @staticmethod
    def _has_waiter(q) -> bool:
        return any(not sel_id or gp.sel_id == sel_id for gp, sel_id, _ in q)

    def _dequeue_sudog(self, q):
        """chan.go: waitq.dequeue — skip sudogs of selects that another case already won."""
        while q:
            gp, sel_id, case = q.popleft()
            if sel_id and gp.sel_id != sel_id:
                continue  # stale select sudog
            if not sel_id:
                self.sudog_free += 1  # the woken G's releaseSudog
            return gp, sel_id, case
        return None

    def acquireSudog(self, m, gp) -> None:
        """proc.go: acquireSudog — a cached sudog, else new(sudog) from the heap.

        SIMPLIFICATION: one cache for all Ps, never dropped (clearpools); a select's sudogs (one per
        case) are not counted."""
        if self.sudog_free:
            self.sudog_free -= 1
        else:
            self.mem.runtime_alloc(m.p.id, m.id, gp.goid, SUDOG_BYTES)


__all__ = ["ChanMixin", "SEL_RECV", "SEL_SEND"]
