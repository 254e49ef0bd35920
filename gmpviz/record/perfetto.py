"""Chrome trace-event JSON (opens in Perfetto and chrome://tracing) from a recording.

Tracks: one thread per P (process "Ps") and per M (process "Ms"), a "GC" and an "STW" thread in
process "Runtime". Slices: each G run on a P/M (``G<goid>``), syscalls, spinning, GC workers and
assists; GC cycles and STW pauses. Counters: heap (HeapAlloc, goal, HeapSys) and run queues
(global, sum of the local rings). Flow arrows: victim P -> thief P for every steal.

Timestamps are microseconds with nanosecond decimals (the format's unit). The file is streamed:
memory stays flat however long the recording is.
"""

from __future__ import annotations

import contextlib
import json
import os

import numpy as np

from ..model.timeline import LANE_STATES_OF_SPEC, MK_STEAL, ST_IDLE, ST_NONE, ST_STW, ST_USER0, STATE_NAMES
from . import RecordingError
from .replay import Replay

PID_P, PID_M, PID_RT = 1, 2, 3
TID_GC, TID_STW = 0, 1
_SKIP_STATES = (ST_NONE, ST_IDLE, ST_STW)  # idle and "no P" are gaps; STW has its own track
# a runtime slice for every lane state SPEC's lane actions reach (spinning, syscall, GC worker, assist)
_STATE_NAME = {st: STATE_NAMES[st] for st in LANE_STATES_OF_SPEC if st not in _SKIP_STATES}
WRITE_BATCH = 50_000  # trace events formatted per write


def _us(t_ns) -> str:
    return f"{t_ns / 1000:.3f}"


def _meta(pid: int, tid: int | None, name: str) -> str:
    if tid is None:
        return json.dumps({"ph": "M", "pid": pid, "name": "process_name", "args": {"name": name}})
    return json.dumps({"ph": "M", "pid": pid, "tid": tid, "name": "thread_name", "args": {"name": name}})


def _lane_slices(pid: int, tid: int, lane, now_ns: int, groups: tuple[str, ...], other: str) -> list[str]:
    c = lane.seg
    start = np.append(c.col("start_ns"), lane.o_start)
    end = np.append(c.col("end_ns"), now_ns)
    state = np.append(c.col("state"), lane.o_state)
    goid = np.append(c.col("goid"), lane.o_goid)
    oth = np.append(c.col("other"), lane.o_other)
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


def _counters(reader) -> list[str]:
    c = reader.counters
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


def _steals(model) -> list[str]:
    m = model.ptl.markers_in(-1, np.iinfo(np.int64).max, limit=1 << 62)
    sel = m["kind"] == MK_STEAL
    out = []
    for i, (t, thief, victim, g) in enumerate(
        zip(*(m[k][sel].tolist() for k in ("t_ns", "lane", "arg", "goid")))
    ):
        ts = _us(t)
        out.append(
            f'{{"ph":"s","id":{i + 1},"pid":{PID_P},"tid":{victim},"ts":{ts},"name":"steal","cat":"steal"}}'
        )
        out.append(
            f'{{"ph":"f","bp":"e","id":{i + 1},"pid":{PID_P},"tid":{thief},"ts":{ts},'
            f'"name":"steal","cat":"steal"}}'
        )
        out.append(
            f'{{"ph":"i","s":"t","pid":{PID_P},"tid":{thief},"ts":{ts},"name":"steal from P{victim}",'
            f'"cat":"steal","args":{{"victim":{victim},"goid":{g}}}}}'
        )
    return out


def export_perfetto(replay: Replay, out_path: str, progress=None) -> int:
    """Write the trace to `out_path` atomically (temp + rename); return the number of trace events."""
    replay.load_all(progress=(lambda f: progress(0.8 * f)) if progress else None)
    model, now = replay.model, replay.t_end_ns
    groups = replay.reader.groups
    h = replay.reader.header
    parts: list[list[str]] = [
        [_meta(PID_P, None, "Ps (GOMAXPROCS)"), _meta(PID_M, None, "Ms (OS threads)")],
        [_meta(PID_RT, None, "Runtime"), _meta(PID_RT, TID_GC, "GC"), _meta(PID_RT, TID_STW, "STW")],
        [_meta(PID_P, i, f"P{i}") for i in range(model.ptl.nlanes)],
        [_meta(PID_M, i, f"M{i}") for i in range(model.mtl.nlanes)],
    ]
    parts += [_lane_slices(PID_P, i, ln, now, groups, "m") for i, ln in enumerate(model.ptl.lanes)]
    parts += [_lane_slices(PID_M, i, ln, now, groups, "p") for i, ln in enumerate(model.mtl.lanes)]
    parts += [_gc(model, now), _steals(model), _counters(replay.reader)]
    other = {
        "gmpviz_version": h.get("gmpviz_version"),
        "go_version": h.get("go_version"),
        "scenario": (h.get("scenario") or {}).get("name"),
        "seed": h.get("seed"),
    }
    tmp = out_path + ".part"
    n = 0
    total = sum(len(p) for p in parts) or 1
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write('{"traceEvents":[\n')
            first = True
            for p in parts:
                for i in range(0, len(p), WRITE_BATCH):
                    batch = p[i : i + WRITE_BATCH]
                    f.write(("" if first else ",\n") + ",\n".join(batch))
                    first = False
                    n += len(batch)
                    if progress:
                        progress(0.8 + 0.2 * n / total)
            f.write('\n],"displayTimeUnit":"ns","otherData":' + json.dumps(other, sort_keys=True) + "}\n")
        os.replace(tmp, out_path)
    except OSError as e:
        _remove(tmp)
        raise RecordingError(f"cannot write {out_path}: {e.strerror}") from None
    except BaseException:
        _remove(tmp)
        raise
    return n


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)
