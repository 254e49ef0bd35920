"""Chrome trace-event JSON (opens in Perfetto and chrome://tracing) from a recording.

Tracks: one thread per P (process "Ps") and per M (process "Ms"), a "GC" and an "STW" thread in
process "Runtime". Slices: each G run on a P/M (``G<goid>``), syscalls, spinning, GC workers and
assists; GC cycles and STW pauses. Counters: heap (HeapAlloc, goal, HeapSys) and run queues
(global, sum of the local rings). Flow arrows: victim P -> thief P for every steal.

Timestamps are microseconds with nanosecond decimals (the format's unit). The file is streamed:
events are folded one block at a time and each block's slices written and dropped, so memory stays
flat however long the recording is.
"""

from __future__ import annotations

import json

import numpy as np

from ..model.counters import GCHistory
from ..model.folds import GroupsFold
from ..model.timeline import (
    LANE_STATES_OF_SPEC,
    MK_STEAL,
    ST_IDLE,
    ST_NONE,
    ST_STW,
    ST_USER0,
    STATE_NAMES,
    Timeline,
)
from .outpath import atomic_open
from .replay import Replay

PID_P, PID_M, PID_RT = 1, 2, 3
TID_GC, TID_STW = 0, 1
_SKIP_STATES = (ST_NONE, ST_IDLE, ST_STW)  # idle and "no P" are gaps; STW has its own track
# a runtime slice for every lane state SPEC's lane actions reach (spinning, syscall, GC worker, assist)
_STATE_NAME = {st: STATE_NAMES[st] for st in LANE_STATES_OF_SPEC if st not in _SKIP_STATES}


def _us(t_ns) -> str:
    return f"{t_ns / 1000:.3f}"


def _meta(pid: int, tid: int | None, name: str) -> str:
    if tid is None:
        return json.dumps({"ph": "M", "pid": pid, "name": "process_name", "args": {"name": name}})
    return json.dumps({"ph": "M", "pid": pid, "tid": tid, "name": "thread_name", "args": {"name": name}})


def _lane_slices(
    pid: int, tid: int, lane, now_ns: int | None, groups: tuple[str, ...], other: str
) -> list[str]:
    """The lane's closed segments as slices, and its open one (ending at `now_ns`) unless None."""
    c = lane.seg
    start, end, state = c.col("start_ns"), c.col("end_ns"), c.col("state")
    goid, oth = c.col("goid"), c.col("other")
    if now_ns is not None:
        start, end = np.append(start, lane.o_start), np.append(end, now_ns)
        state, goid = np.append(state, lane.o_state), np.append(goid, lane.o_goid)
        oth = np.append(oth, lane.o_other)
    # SIMPLIFICATION: slices are the timeline's lane segments: zero-length runs are not shown and
    # a G run cut by a stop-the-world shows as two slices.
    keep = ~np.isin(state, _SKIP_STATES) & (end > start)
    out = []
    for s, e, st, g, o in zip(*(a[keep].tolist() for a in (start, end, state, goid, oth))):
        if st >= ST_USER0:
            grp = st - ST_USER0
            name, cat = f"G{g}", json.dumps(groups[grp] if grp < len(groups) else f"group {grp}")
        else:
            name, cat = _STATE_NAME.get(st, f"state {st}"), '"runtime"'
            if g:
                name += f" G{g}"
        out.append(
            f'{{"ph":"X","pid":{pid},"tid":{tid},"ts":{_us(s)},"dur":{_us(e - s)},'
            f'"name":"{name}","cat":{cat},"args":{{"goid":{g},"{other}":{o}}}}}'
        )
    return out


def _drain_lanes(tl, pid: int, groups: tuple[str, ...], other: str) -> list[str]:
    """The closed segments of every lane as slices; then forget them (the lane keeps its open
    segment), so the export holds one block's segments at a time, not the whole run's."""
    out = []
    for i, ln in enumerate(tl.lanes):
        if ln.seg.n:
            out += _lane_slices(pid, i, ln, None, groups, other)
            ln.seg.clear()
            ln.prefix[:] = 0
            ln.part[:] = 0
    return out


COUNTER_ROWS_PER_WRITE = 2048  # counters rows formatted per write (the series is not held as text)


def _counters(reader, lo: int = 0, hi: int | None = None) -> list[str]:
    c = reader.counters[lo:hi]
    out = []
    for t, ha, hg, hs, gq, lq in zip(
        *(
            c[k].tolist()
            for k in ("t_ns", "heap_alloc", "heap_goal", "heap_sys", "global_runq", "local_runq_total")
        )
    ):
        out.append(
            f'{{"ph":"C","pid":{PID_RT},"ts":{_us(t)},"name":"heap bytes",'
            f'"args":{{"HeapAlloc":{ha},"heap goal":{hg},"HeapSys":{hs}}}}}'
        )
        out.append(
            f'{{"ph":"C","pid":{PID_RT},"ts":{_us(t)},"name":"run queues",'
            f'"args":{{"global":{gq},"local total":{lq}}}}}'
        )
    return out


def _gc(model, now_ns: int) -> list[str]:
    cyc = model.gc.all_cycles(now_ns)
    out = []
    for n, b, e in zip(cyc["cycle"].tolist(), cyc["begin_ns"].tolist(), cyc["end_ns"].tolist()):
        out.append(
            f'{{"ph":"X","pid":{PID_RT},"tid":{TID_GC},"ts":{_us(b)},"dur":{_us(max(e - b, 0))},'
            f'"name":"GC {n}","cat":"gc"}}'
        )
    s, e = model.ptl.stw_bands()
    for a, z in zip(s.tolist(), e.tolist()):
        out.append(
            f'{{"ph":"X","pid":{PID_RT},"tid":{TID_STW},"ts":{_us(a)},"dur":{_us(max(z - a, 0))},'
            f'"name":"STW","cat":"stw"}}'
        )
    return out


def _steals(tl, first_id: int) -> list[str]:
    """Flow arrows of the steal markers folded so far (ids from `first_id`); then forget them."""
    m = tl.markers_in(-1, np.iinfo(np.int64).max, limit=1 << 62)
    tl.markers.clear()
    sel = m["kind"] == MK_STEAL
    out = []
    for i, (t, thief, victim, g) in enumerate(
        zip(*(m[k][sel].tolist() for k in ("t_ns", "lane", "arg", "goid"))), first_id
    ):
        ts = _us(t)
        out.append(
            f'{{"ph":"s","id":{i},"pid":{PID_P},"tid":{victim},"ts":{ts},"name":"steal","cat":"steal"}}'
        )
        out.append(
            f'{{"ph":"f","bp":"e","id":{i},"pid":{PID_P},"tid":{thief},"ts":{ts},'
            f'"name":"steal","cat":"steal"}}'
        )
        out.append(
            f'{{"ph":"i","s":"t","pid":{PID_P},"tid":{thief},"ts":{ts},"name":"steal from P{victim}",'
            f'"cat":"steal","args":{{"victim":{victim},"goid":{g}}}}}'
        )
    return out


class _Out:
    """The traceEvents array, written as it comes: commas between batches, a running count."""

    def __init__(self, f) -> None:
        self.f, self.n = f, 0

    def write(self, batch: list[str]) -> None:
        if batch:
            self.f.write(("" if self.n == 0 else ",\n") + ",\n".join(batch))
            self.n += len(batch)


class _Fold:
    """What the trace needs, folded block by block: the groups (GoCreate), P and M lanes, GC
    cycles and STW pauses. Lane segments and markers are drained after every block."""

    def __init__(self) -> None:
        self.groups_of = GroupsFold()
        self.ptl, self.mtl, self.gc = Timeline("p"), Timeline("m"), GCHistory()

    def apply(self, ev: np.ndarray) -> None:
        self.groups_of.apply(ev)
        g = self.groups_of.group_of
        self.ptl.apply(ev, g)
        self.mtl.apply(ev, g)
        self.gc.apply(ev)

    def advance(self, now_ns: int) -> None:
        self.ptl.advance(now_ns)
        self.mtl.advance(now_ns)


def export_perfetto(replay: Replay, out_path: str, progress=None) -> int:
    """Write the trace to `out_path` atomically (temp + rename); return the number of trace events.

    Streamed: the events are folded one block at a time and each block's finished slices are
    written and forgotten, so memory stays flat however long the recording is (the counters
    series, GC cycles and STW pauses are kept: a few rows per GC cycle)."""
    reader = replay.reader
    groups, h, now = reader.groups, reader.header, replay.t_end_ns
    other = {
        "gmpviz_version": h.get("gmpviz_version"),
        "go_version": h.get("go_version"),
        "scenario": (h.get("scenario") or {}).get("name"),
        "seed": h.get("seed"),
    }
    fold = _Fold()
    steals = 0
    total = max(reader.n_events, 1)
    with atomic_open(out_path, "w", (reader.path,), "the Perfetto trace", encoding="utf-8") as f:
        f.write('{"traceEvents":[\n')
        out = _Out(f)
        out.write([_meta(PID_P, None, "Ps (GOMAXPROCS)"), _meta(PID_M, None, "Ms (OS threads)")])
        out.write(
            [_meta(PID_RT, None, "Runtime"), _meta(PID_RT, TID_GC, "GC"), _meta(PID_RT, TID_STW, "STW")]
        )
        done = 0
        for ev in reader.iter_blocks():
            fold.apply(ev)
            out.write(_drain_lanes(fold.ptl, PID_P, groups, "m"))
            out.write(_drain_lanes(fold.mtl, PID_M, groups, "p"))
            batch = _steals(fold.ptl, steals + 1)
            steals += len(batch) // 3
            out.write(batch)
            done += len(ev)
            if progress:
                progress(0.95 * done / total)
        fold.advance(now)
        for tl, pid, oth in ((fold.ptl, PID_P, "m"), (fold.mtl, PID_M, "p")):
            out.write([_meta(pid, i, f"{'P' if pid == PID_P else 'M'}{i}") for i in range(tl.nlanes)])
            for i, ln in enumerate(tl.lanes):
                out.write(_lane_slices(pid, i, ln, now, groups, oth))
        out.write(_gc(fold, now))
        for i in range(0, len(reader.counters), COUNTER_ROWS_PER_WRITE):
            out.write(_counters(reader, i, i + COUNTER_ROWS_PER_WRITE))
        f.write('\n],"displayTimeUnit":"ns","otherData":' + json.dumps(other, sort_keys=True) + "}\n")
    if progress:
        progress(1.0)
    return out.n
