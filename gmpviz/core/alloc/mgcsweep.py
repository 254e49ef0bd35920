"""Sweeping (`mgcsweep.go`): the allocator's side of it. A sweep turns a span's mark bits into its
alloc bits; a span left empty goes back to the heap.

Functions follow mgcsweep.go's order: ``nextSpanForSweep``, ``finishsweep_m``, ``sweepone``
(the unit of work of ``bgsweep``, whose goroutine and pacing belong to the GC), ``isSweepDone``,
``sweep`` (``sweepLocked.sweep``); ``activeSweep.begin/end`` as ``begin``/``end``.
"""

from __future__ import annotations

from gmpviz.core.constants import NUM_SPAN_CLASSES
from gmpviz.core.trace.events import EV

from .mspan import SPAN_FULL, SPAN_LARGE, SPAN_PARTIAL, SPANCLASS_NELEMS

#: cleared allocBits/gcmarkBits bytes for a whole span, by length (no span has more slots): a table
#: lookup costs less than slicing a memoryview, and a bytearray slice takes a bytearray without the
#: copy it makes of bytes
_ZEROS = tuple(bytearray(k) for k in range(max(SPANCLASS_NELEMS) + 1))
#: the SpanSweep kind for the raw emit form (a hot kind: tracer.RAW_HOT_KINDS)
_SPAN_SWEEP = int(EV.SpanSweep)
#: mgcsweep.go: numSweepClasses, every span class twice (full, then partial)
NUM_SWEEP_CLASSES = NUM_SPAN_CLASSES * 2


class Sweeper:
    """mgcsweep.go: sweep (sweepdata), the sweeper's position over the mcentrals' unswept sets.

    ``a`` is the allocator (mheap_, memstats, the mcaches).
    """

    __slots__ = ("a", "centralIndex", "sweepers")

    def __init__(self, a) -> None:
        self.a = a
        self.centralIndex = NUM_SWEEP_CLASSES  # sweep.centralIndex: nothing to sweep yet
        # sweep.active's count of outstanding sweepers (activeSweep.state without sweepDrainedMask,
        # which is ``centralIndex`` reaching the end here). Only gcMarkTermination holds one across
        # events: from under STW #2 until forEachP(flushProcCaches) has run on every P.
        self.sweepers = 0

    def begin(self) -> bool:
        """mgcsweep.go: activeSweep.begin — one more outstanding sweeper; False (an invalid
        sweepLocker) when the sweep is already drained."""
        if self.centralIndex >= NUM_SWEEP_CLASSES:
            return False
        self.sweepers += 1
        return True

    def end(self) -> None:
        """mgcsweep.go: activeSweep.end — the sweeper is done."""
        self.sweepers -= 1

    def nextSpanForSweep(self) -> int:
        """mgcsweep.go: mheap.nextSpanForSweep, the next unswept span in sweep-class order (full,
        then partial, class by class), or -1 when every class is drained."""
        h = self.a.mheap
        sp = h.spans
        sg = h.sweepgen
        ui = 1 - (sg >> 1 & 1)
        central = h.central
        cursor = self.centralIndex
        while cursor < NUM_SWEEP_CLASSES:
            c = central[cursor >> 1]
            dq = c.partial[ui] if cursor & 1 else c.full[ui]
            while dq:
                sid = dq.popleft()
                if sp.f_sweepgen[sid] == sg - 2:
                    self.centralIndex = cursor
                    return sid
            cursor += 1
        self.centralIndex = cursor
        return -1

    def finishsweep_m(self, t_ns: int) -> int:
        """mgc.go: finishsweep_m, sweep everything left; pages swept.

        Sweeping is only complete once every mcache was flushed in this phase (mark termination's
        forEachP guarantees it in the runtime), so Ps that missed the flush are flushed here.
        """
        a = self.a
        sg = a.mheap.sweepgen
        for mc in a.mcaches:
            if mc.flush_gen != sg:
                mc.prepareForSweep(t_ns)
        # sweepone until it returns 0, its body inline (one frame less per span)
        h = a.mheap
        sp = h.spans
        sweep = self.sweep
        total = 0
        while True:
            sid = self.nextSpanForSweep()
            if sid < 0:
                h.reclaimIndex = -1  # everything is swept: nothing left to reclaim
                return total
            sp.f_sweepgen[sid] = h.sweepgen - 1  # sweepLocker.tryAcquire
            total += sp.f_npages[sid]
            sweep(t_ns, -1, -1, 0, sid, False)

    def sweepone(self, t_ns: int, p: int = -1, m: int = -1, g: int = 0) -> int:
        """mgcsweep.go: sweepone, sweep one span; its pages, 0 when nothing is left."""
        sid = self.nextSpanForSweep()
        h = self.a.mheap
        if sid < 0:
            h.reclaimIndex = -1  # everything is swept: nothing left to reclaim
            return 0
        sp = h.spans
        sp.f_sweepgen[sid] = h.sweepgen - 1  # sweepLocker.tryAcquire
        npages = sp.f_npages[sid]
        self.sweep(t_ns, p, m, g, sid, False)
        return npages

    def isSweepDone(self) -> bool:
        """mgcsweep.go: isSweepDone (activeSweep.isDone): drained and no outstanding sweepers."""
        return self.centralIndex >= NUM_SWEEP_CLASSES and self.sweepers == 0

    def sweep(self, t_ns: int, p: int, m: int, g: int, sid: int, preserve: bool) -> None:
        """mgcsweep.go: sweepLocked.sweep, allocBits <- gcmarkBits; an empty span goes back to the heap.

        preserve: cacheSpan sweeps in place and keeps the span whatever it holds.
        """
        a = self.a
        h = a.mheap
        sp = h.spans
        old = sp.f_alloc_count[sid]
        off = sp.f_off[sid]
        nelems = sp.f_nelems[sid]
        end = off + nelems
        marks = sp.mark_bits
        live = marks.count(1, off, end) if nelems > 1 else marks[off]
        # marked objects are a subset of the allocated ones: no marks -> nothing stays allocated,
        # every allocated object marked -> allocBits stay as they are
        if live == 0:
            if old:
                sp.alloc_bits[off:end] = _ZEROS[nelems]
        else:
            if live != old:
                sp.alloc_bits[off:end] = marks[off:end]
            marks[off:end] = _ZEROS[nelems]
        if sid in sp.freelist:
            del sp.freelist[sid]
        sg = h.sweepgen
        sp.f_freeindex[sid] = 0
        sp.f_alloc_count[sid] = live
        sp.f_sweepgen[sid] = sg
        freed = old - live
        if freed:
            a.frees += freed
            a.heap_alloc -= freed * sp.f_elemsize[sid]
        h.pagesSwept += sp.f_npages[sid]
        a.ext((t_ns, _SPAN_SWEEP, p, m, g, sid, freed, live))  # SpanSweep: span, freed_objects, live_objects
        if preserve:
            return
        spc = sp.f_spanclass[sid]
        if live == 0:
            h.freeSpan(t_ns, p, m, g, sid)
        elif spc <= 1:
            sp.f_state[sid] = SPAN_LARGE
            h.central[spc].full[sg >> 1 & 1].append(sid)  # fullSwept(sweepgen).push(s)
        elif live == nelems:
            sp.f_state[sid] = SPAN_FULL
            h.central[spc].full[sg >> 1 & 1].append(sid)
        else:
            sp.f_state[sid] = SPAN_PARTIAL
            h.central[spc].partial[sg >> 1 & 1].append(sid)  # partialSwept(sweepgen).push(s)
