"""Green Tea marking, folded: per-P span-queue lengths, the shared list, steals, and what each mark
worker or assist scans (roots, the span queue, the object queue).

Source events (columns looked up by field name in SPEC, never by position):

* GCSpanQueue (mgc.py gcDrain, after each drain with Green Tea on): the P's ring length, the shared
  lists' length and the spans stolen during the drain (runtime/mgcmark_greenteagc.go spanQueue,
  spanSPMC, tryStealSpan);
* GCMarkScan (gcDrain): one run of one kind of work (`what`, mgcmark.py SCAN_*), objects, bytes,
  span dequeues;
* GCMarkAssistBegin / GCMarkAssistEnd (gcAssistAlloc): where assists start and stop.
"""

from __future__ import annotations

import numpy as np

from ..core.gc.mgcmark import SCAN_NAMES  # GCMarkScan's `what`: SCAN_ROOTS, SCAN_SPANQ, SCAN_OBJQ
from ..core.trace.events import EV, SPEC
from ._grow import Columns

NO_MODE = -1  # a G that never scanned

_SPANQ, _SCAN = int(EV.GCSpanQueue), int(EV.GCMarkScan)
_ASSIST_BEGIN, _ASSIST_END = int(EV.GCMarkAssistBegin), int(EV.GCMarkAssistEnd)


def arg_column(kind: EV, name: str) -> str:
    """The event column ("a0".."a2") SPEC gives field `name` of `kind` (KeyError if it has none)."""
    for i, f in enumerate(SPEC[kind].args):
        if f.name == name:
            return f"a{i}"
    raise KeyError(f"{kind.name} has no field {name!r}")


_RING = arg_column(EV.GCSpanQueue, "ring")
_SHARED = arg_column(EV.GCSpanQueue, "shared")
_STOLEN = arg_column(EV.GCSpanQueue, "stolen")
_WHAT_DEQ = arg_column(EV.GCMarkScan, "what_dequeues")
_MARK_SCAN = SPEC[EV.GCMarkScan].args[int(_WHAT_DEQ[1])].codec
_OBJECTS = arg_column(EV.GCMarkScan, "objects")
_WORK = arg_column(EV.GCMarkScan, "work_bytes")


class MarkQueueFold:
    """Green Tea's queues and the scan mode of every worker, over the whole run (a history: it folds
    in both fold sets). Every series is exact (one row per event); the views thin what they draw."""

    def __init__(self) -> None:
        self.version = 0
        self.nprocs = 0
        self._ring: dict[int, Columns] = {}  # p -> (t_ns, ring length after the drain)
        self.shared = Columns({"t_ns": "<i8", "len": "<i4"})
        self.steals = Columns({"t_ns": "<i8", "p": "<i2", "stolen": "<i4"})  # drains that stole (> 0)
        self.scans = Columns(
            {
                "t_ns": "<i8",
                "p": "<i2",
                "g": "<i4",
                "what": "i1",
                "objects": "<i8",
                "work_bytes": "<i8",
                "dequeues": "<i8",
            }
        )
        self.assists = Columns({"t_ns": "<i8", "g": "<i4", "begin": "?"})
        self._mode = np.full(0, NO_MODE, dtype=np.int8)  # goid -> what its last scan was

    def apply(self, ev: np.ndarray) -> None:
        if len(ev) == 0:
            return
        k = ev["kind"]
        changed = False
        q = ev[k == _SPANQ]
        if len(q):
            self._fold_queues(q)
            changed = True
        s = ev[k == _SCAN]
        if len(s):
            self._fold_scans(s)
            changed = True
        a = ev[(k == _ASSIST_BEGIN) | (k == _ASSIST_END)]
        if len(a):
            self.assists.extend(len(a), a["t_ns"], a["g"], a["kind"] == _ASSIST_BEGIN)
            changed = True
        if changed:
            self.version += 1

    def _fold_queues(self, q: np.ndarray) -> None:
        t, p = q["t_ns"], q["p"].astype(np.int64)
        self.shared.extend(len(q), t, q[_SHARED])
        order = np.argsort(p, kind="stable")
        ps = p[order]
        starts = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
        ends = np.r_[starts[1:], len(order)]
        for pid, a, b in zip(ps[starts].tolist(), starts.tolist(), ends.tolist()):
            rows = order[a:b]
            cols = self._ring.get(pid)
            if cols is None:
                cols = self._ring[pid] = Columns({"t_ns": "<i8", "len": "<i4"})
            cols.extend(b - a, t[rows], q[_RING][rows])
        self.nprocs = max(self.nprocs, int(ps[-1]) + 1)
        stole = np.flatnonzero(q[_STOLEN] > 0)
        if len(stole):
            self.steals.extend(len(stole), t[stole], q["p"][stole], q[_STOLEN][stole])

    def _fold_scans(self, s: np.ndarray) -> None:
        what, deq = _MARK_SCAN.decode(s[_WHAT_DEQ].astype(np.int64))
        g = s["g"].astype(np.int64)
        self.scans.extend(len(s), s["t_ns"], s["p"], g, what, s[_OBJECTS], s[_WORK], deq)
        if len(g) and int(g.max()) >= len(self._mode):
            grown = np.full(max(int(g.max()) + 1, 2 * len(self._mode)), NO_MODE, dtype=np.int8)
            grown[: len(self._mode)] = self._mode
            self._mode = grown
        self._mode[g] = what  # fancy assignment: the last row of a goid wins

    def ring_series(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        """(t_ns, spans on P `p`'s ring after each of its drains)."""
        cols = self._ring.get(p)
        if cols is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32)
        return cols.col("t_ns"), cols.col("len")

    def shared_series(self) -> tuple[np.ndarray, np.ndarray]:
        """(t_ns, spans on the shared lists after each drain)."""
        return self.shared.col("t_ns"), self.shared.col("len")

    def mode_of(self, goid: int) -> int:
        """What G `goid` scanned last (SCAN_* code), NO_MODE if it never scanned."""
        return int(self._mode[goid]) if 0 <= goid < len(self._mode) else NO_MODE

    def mode_at(self, goid: int, t_ns: int) -> tuple[int, int]:
        """(SCAN_* code, t_ns) of G `goid`'s last scan at or before `t_ns`, (NO_MODE, -1) if none: a
        replay's cursor asks of the whole-run history."""
        end = int(np.searchsorted(self.scans.col("t_ns"), t_ns, side="right"))
        hit = np.flatnonzero(self.scans.col("g")[:end] == goid)
        if len(hit) == 0:
            return NO_MODE, -1
        i = int(hit[-1])
        return int(self.scans.col("what")[i]), int(self.scans.col("t_ns")[i])

    def modes(self) -> dict[int, str]:
        """Every G that scanned -> the name of what it scanned last."""
        gs = np.flatnonzero(self._mode != NO_MODE)
        return {int(g): SCAN_NAMES[int(self._mode[g])] for g in gs}

    def scan_totals(self) -> dict[str, tuple[int, int]]:
        """Per scan kind: (objects, work bytes) over the run."""
        what = self.scans.col("what")
        obj, wb = self.scans.col("objects"), self.scans.col("work_bytes")
        return {
            name: (int(obj[what == i].sum()), int(wb[what == i].sum())) for i, name in enumerate(SCAN_NAMES)
        }
