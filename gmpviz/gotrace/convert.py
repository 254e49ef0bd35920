"""Map an ordered Go trace into gmpviz's own event stream (EVENT_DTYPE), table-driven. A start.

Each Go wire type that has a gmpviz counterpart is one row of `MAPPING`: the gmpviz kind, and where
each EVENT_DTYPE column comes from — the event's context (`ctx.g`, `ctx.p`, `ctx.m`: Go's state
*before* the event), one of its arguments (`arg0`..`arg3`), or a constant. gmpviz puts the P/G an
event is *about* in its columns (GoStart's g is the G that starts, ProcStart's p the P acquired),
so those rows read the argument. The event spec may be reshaped: only this table knows both sides.

What a trace cannot say is not made up: Go's ProcSteal is a P taken from an M in a syscall (gmpviz's
`Retake`), not a run-queue steal; there are no run-queue events; wait reasons are strings (kept as
string IDs into the generation's table in a0) rather than gmpviz's WAIT_REASONS indices.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from gmpviz.core.trace.events import EV, EVENT_DTYPE

from . import spec as S
from .wire import Generation

# Go type -> (gmpviz kind, g, p, m, a0, a1, a2). A source is "ctx.g"/"ctx.p"/"ctx.m", "argN" or an int.
MAPPING: dict[int, tuple] = {
    S.EvGoCreate: (EV.GoCreate, "arg0", "ctx.p", "ctx.m", "ctx.g", 0, 0),
    S.EvGoCreateBlocked: (EV.GoCreate, "arg0", "ctx.p", "ctx.m", "ctx.g", 0, 0),
    S.EvGoStart: (EV.GoStart, "arg0", "ctx.p", "ctx.m", 0, 0, 0),
    S.EvGoStop: (EV.GoStop, "ctx.g", "ctx.p", "ctx.m", "arg0", 0, 0),
    S.EvGoBlock: (EV.GoBlock, "ctx.g", "ctx.p", "ctx.m", "arg0", 0, 0),
    S.EvGoUnblock: (EV.GoUnblock, "arg0", "ctx.p", "ctx.m", "ctx.g", 0, 0),
    S.EvGoSyscallBegin: (EV.GoSyscallBegin, "ctx.g", "ctx.p", "ctx.m", 0, 0, 0),
    S.EvGoSyscallEnd: (EV.GoSyscallEnd, "ctx.g", "ctx.p", "ctx.m", 0, 0, 0),
    S.EvGoSyscallEndBlocked: (EV.GoSyscallEndBlocked, "ctx.g", "ctx.p", "ctx.m", 0, 0, 0),
    S.EvGoDestroy: (EV.GoEnd, "ctx.g", "ctx.p", "ctx.m", 0, 0, 0),
    S.EvProcStart: (EV.ProcStart, 0, "arg0", "ctx.m", 0, 0, 0),
    S.EvProcStop: (EV.ProcStop, 0, "ctx.p", "ctx.m", 0, 0, 0),
    S.EvProcSteal: (EV.Retake, 0, "arg0", "ctx.m", 0, 0, 0),
    S.EvSTWBegin: (EV.STWBegin, "ctx.g", "ctx.p", "ctx.m", "arg0", 0, 0),
    S.EvSTWEnd: (EV.STWEnd, "ctx.g", "ctx.p", "ctx.m", "arg0", 0, 0),
    S.EvGCBegin: (EV.GCBegin, "ctx.g", "ctx.p", "ctx.m", "arg0", 0, 0),
    S.EvGCEnd: (EV.GCEnd, "ctx.g", "ctx.p", "ctx.m", "arg0", 0, 0),
    S.EvGCMarkAssistBegin: (EV.GCMarkAssistBegin, "ctx.g", "ctx.p", "ctx.m", 0, 0, 0),
    S.EvGCMarkAssistEnd: (EV.GCMarkAssistEnd, "ctx.g", "ctx.p", "ctx.m", 0, 0, 0),
    S.EvGCSweepBegin: (EV.GCSweepBegin, "ctx.g", "ctx.p", "ctx.m", 0, 0, 0),
    S.EvGCSweepEnd: (EV.GCSweepEnd, "ctx.g", "ctx.p", "ctx.m", 0, 0, 0),
    S.EvHeapGoal: (EV.HeapGoal, "ctx.g", "ctx.p", "ctx.m", "arg0", 0, 0),
    S.EvSpanAlloc: (EV.SpanAlloc, "ctx.g", "ctx.p", "ctx.m", "arg0", "arg2", "arg1"),
    S.EvSpanFree: (EV.SpanFree, "ctx.g", "ctx.p", "ctx.m", "arg0", 0, 0),
    S.EvGoroutineStackAlloc: (EV.StackAlloc, "ctx.g", "ctx.p", "ctx.m", "arg1", 0, "arg0"),
    S.EvGoroutineStackFree: (EV.StackFree, "ctx.g", "ctx.p", "ctx.m", 0, 0, "arg0"),
}

_COLS = ("g", "p", "m", "a0", "a1", "a2")
_INT = {"g": np.int32, "p": np.int16, "m": np.int32}


def _column(src, arr: np.ndarray, sel: np.ndarray, m_index: dict[int, int]) -> np.ndarray | int:
    if isinstance(src, int):
        return src
    if src == "ctx.g":
        return arr["g"][sel]
    if src == "ctx.p":
        return arr["p"][sel]
    if src == "ctx.m":
        ms = arr["m"][sel]
        return np.array(
            [m_index.setdefault(m, len(m_index)) if m >= 0 else -1 for m in ms.tolist()], np.int64
        )
    return arr["args"][sel, int(src[3:])].astype(np.int64)


def convert(chunks: Iterable[tuple[Generation | None, np.ndarray]]) -> np.ndarray:
    """The events gmpviz has a kind for, as EVENT_DTYPE, t_ns from the trace's first event.

    M ids (OS thread ids in a trace) become small indices in order of appearance; goroutine ids
    above int32 and the Go-side "none" (-1) for G become 0 (gmpviz's "no G")."""
    out: list[np.ndarray] = []
    m_index: dict[int, int] = {}
    t0 = None
    for _g, arr in chunks:
        if not len(arr):
            continue
        if t0 is None:
            t0 = int(arr["time"][0])
        keep = np.isin(arr["typ"], list(MAPPING))
        sub = arr[keep]
        part = np.zeros(len(sub), EVENT_DTYPE)
        part["t_ns"] = sub["time"] - t0
        for typ, row in MAPPING.items():
            sel = np.flatnonzero(sub["typ"] == typ)
            if not sel.size:
                continue
            part["kind"][sel] = int(row[0])
            for name, src in zip(_COLS, row[1:], strict=True):
                v = _column(src, sub, sel, m_index)
                if name == "g":
                    v = np.where((np.asarray(v) < 0) | (np.asarray(v) > np.iinfo(np.int32).max), 0, v)
                part[name][sel] = v
        out.append(part)
    return np.concatenate(out) if out else np.zeros(0, EVENT_DTYPE)
