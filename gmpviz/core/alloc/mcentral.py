"""Central free lists (`mcentral.go`): one mcentral per span class, the spans no mcache holds.

Functions follow mcentral.go's order: ``partialUnswept``, ``partialSwept``, ``fullUnswept``,
``fullSwept``, ``cacheSpan``, ``uncacheSpan``, ``grow``.
"""

from __future__ import annotations

from collections import deque

from gmpviz.core.constants import MCENTRAL_SPAN_BUDGET, PAGE_SIZE
from gmpviz.core.trace.events import EV

from .mspan import SPAN_FULL, SPAN_MCACHE, SPAN_PARTIAL, SPANCLASS_NELEMS
from .sizeclasses import CLASS_TO_ALLOCNPAGES, CLASS_TO_SIZE

# SpanCache sources (a2): where cacheSpan found the span
CACHE_PARTIAL_SWEPT = 0
CACHE_PARTIAL_UNSWEPT = 1
CACHE_FULL_UNSWEPT = 2
CACHE_GROW = 3

#: the kinds of the raw emit form (hot kinds: tracer.RAW_HOT_KINDS)
_SPAN_CACHE, _SPAN_UNCACHE = int(EV.SpanCache), int(EV.SpanUncache)


class MCentral:
    """mcentral.go: mcentral, partial and full spanSets, each doubled by sweep parity.

    ``partial[sweepgen/2 % 2]`` holds the swept spans with free slots, ``partial[1 - that]`` the
    unswept ones (the runtime's partial[2]spanSet); ``full`` likewise. A deque's left end is the
    spanSet's pop end. ``a`` is the allocator (mheap_, the sweeper, the GC's sweep-credit hook).
    """

    __slots__ = ("a", "spanclass", "partial", "full")

    def __init__(self, a, spanclass: int) -> None:
        self.a = a
        self.spanclass = spanclass
        self.partial = (deque(), deque())
        self.full = (deque(), deque())

    def partialUnswept(self, sweepgen: int) -> deque:
        """mcentral.go: partialUnswept, the partial spans not yet swept in this cycle."""
        return self.partial[1 - (sweepgen >> 1 & 1)]

    def partialSwept(self, sweepgen: int) -> deque:
        """mcentral.go: partialSwept, the partial spans swept (or allocated) in this cycle."""
        return self.partial[sweepgen >> 1 & 1]

    def fullUnswept(self, sweepgen: int) -> deque:
        """mcentral.go: fullUnswept, the full spans not yet swept in this cycle."""
        return self.full[1 - (sweepgen >> 1 & 1)]

    def fullSwept(self, sweepgen: int) -> deque:
        """mcentral.go: fullSwept, the full spans swept (or allocated) in this cycle."""
        return self.full[sweepgen >> 1 & 1]

    def cacheSpan(self, t_ns: int, p: int, m: int, g: int) -> int:
        """mcentral.go: cacheSpan: partial swept, partial unswept, full unswept (budget 100), grow."""
        a = self.a
        h = a.mheap
        sp = h.spans
        spc = self.spanclass
        if a.deduct_sweep_credit is not None:
            npages = CLASS_TO_ALLOCNPAGES[spc >> 1]
            a.deduct_sweep_credit(t_ns, p, m, g, npages * PAGE_SIZE, 0)
        sg = h.sweepgen
        si = sg >> 1 & 1
        sid = -1
        source = CACHE_PARTIAL_SWEPT
        if self.partial[si]:
            sid = self.partial[si].popleft()
        else:
            sweep = a.sweeper.sweep
            budget = MCENTRAL_SPAN_BUDGET
            unswept = self.partial[1 - si]
            while budget >= 0 and unswept:
                s = unswept.popleft()
                budget -= 1
                if sp.f_sweepgen[s] == sg - 2:
                    sp.f_sweepgen[s] = sg - 1
                    sweep(t_ns, p, m, g, s, True)
                    sid, source = s, CACHE_PARTIAL_UNSWEPT
                    break
            if sid < 0:
                unswept = self.full[1 - si]
                while budget >= 0 and unswept:
                    s = unswept.popleft()
                    budget -= 1
                    if sp.f_sweepgen[s] != sg - 2:
                        continue
                    sp.f_sweepgen[s] = sg - 1
                    sweep(t_ns, p, m, g, s, True)
                    if sp.f_alloc_count[s] < sp.f_nelems[s]:
                        sid, source = s, CACHE_FULL_UNSWEPT
                        break
                    sp.f_state[s] = SPAN_FULL
                    self.full[si].append(s)
            if sid < 0:
                sid = self.grow(t_ns, p, m, g)
                source = CACHE_GROW
        a.ext((t_ns, _SPAN_CACHE, p, m, g, sid, spc, source))  # SpanCache: span, spanclass, source
        return sid

    def uncacheSpan(self, t_ns: int, p: int, m: int, g: int, sid: int) -> None:
        """mcentral.go: uncacheSpan; a span cached before this sweep phase (sg+1) is swept now."""
        a = self.a
        h = a.mheap
        sp = h.spans
        sg = h.sweepgen
        sp.f_owner[sid] = -1
        if sp.f_alloc_count[sid] == sp.f_nelems[sid]:
            sp.f_state[sid] = SPAN_FULL
            # SpanUncache: span, spanclass, full
            a.ext((t_ns, _SPAN_UNCACHE, p, m, g, sid, self.spanclass, 1))
            sets = self.full
        else:
            sp.f_state[sid] = SPAN_PARTIAL
            a.ext((t_ns, _SPAN_UNCACHE, p, m, g, sid, self.spanclass, 0))
            sets = self.partial
        if sp.f_sweepgen[sid] == sg + 1:
            sp.f_sweepgen[sid] = sg - 1
            a.sweeper.sweep(t_ns, p, m, g, sid, False)
            return
        sp.f_sweepgen[sid] = sg
        sets[sg >> 1 & 1].append(sid)

    def grow(self, t_ns: int, p: int, m: int, g: int) -> int:
        """mcentral.go: grow, a fresh span of the class from the heap (mheap.alloc)."""
        spc = self.spanclass
        cls = spc >> 1
        h = self.a.mheap
        # mheap.alloc, whose reclaim runs only while sweeping is not done: else straight to allocSpan
        return (h.alloc if h.reclaimIndex >= 0 else h.allocSpan)(
            t_ns,
            p,
            m,
            g,
            CLASS_TO_ALLOCNPAGES[cls],
            spc,
            CLASS_TO_SIZE[cls],
            SPANCLASS_NELEMS[spc],
            SPAN_MCACHE,
        )
