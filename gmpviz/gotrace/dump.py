"""`gmpviz open FILE.trace --dump`: one line per event, as `go tool trace -d=parsed` prints it.

The format is `Event.String()` in `internal/trace/event.go` without the `Stack=` and `TransitionStack=`
blocks (the lines after an event that start with a tab), so `go tool trace -d=parsed FILE | grep '^M='`
and this dump can be compared with `diff`.
"""

from __future__ import annotations

import time as _time
from collections.abc import Iterable, Iterator

import numpy as np

from . import spec as S
from .order import s64
from .wire import Generation

_METRIC = {
    S.EvProcsChange: "/sched/gomaxprocs:threads",
    S.EvHeapAlloc: "/memory/classes/heap/objects:bytes",
    S.EvHeapGoal: "/gc/heap/goal:bytes",
}
_GO_SIMPLE = {  # StateTransition of the goroutine in the context: (from, to) GoState
    S.EvGoDestroy: (S.GS_RUNNING, S.GS_NOTEXIST),
    S.EvGoDestroySyscall: (S.GS_SYSCALL, S.GS_NOTEXIST),
    S.EvGoStop: (S.GS_RUNNING, S.GS_RUNNABLE),
    S.EvGoBlock: (S.GS_RUNNING, S.GS_WAITING),
    S.EvGoSyscallBegin: (S.GS_RUNNING, S.GS_SYSCALL),
    S.EvGoSyscallEnd: (S.GS_SYSCALL, S.GS_RUNNING),
    S.EvGoSyscallEndBlocked: (S.GS_SYSCALL, S.GS_RUNNABLE),
}
_GO_ARG = {  # StateTransition of the goroutine named by args[0]
    S.EvGoCreate: (S.GS_NOTEXIST, S.GS_RUNNABLE),
    S.EvGoCreateBlocked: (S.GS_NOTEXIST, S.GS_WAITING),
    S.EvGoCreateSyscall: (S.GS_NOTEXIST, S.GS_SYSCALL),
    S.EvGoStart: (S.GS_RUNNABLE, S.GS_RUNNING),
    S.EvGoUnblock: (S.GS_WAITING, S.GS_RUNNABLE),
    S.EvGoSwitch: (S.GS_WAITING, S.GS_RUNNABLE),
    S.EvGoSwitchDestroy: (S.GS_WAITING, S.GS_RUNNABLE),
}
_RANGE_KIND = {
    S.EvSTWBegin: "RangeBegin",
    S.EvSTWEnd: "RangeEnd",
    S.EvGCBegin: "RangeBegin",
    S.EvGCActive: "RangeActive",
    S.EvGCEnd: "RangeEnd",
    S.EvGCSweepBegin: "RangeBegin",
    S.EvGCSweepActive: "RangeActive",
    S.EvGCSweepEnd: "RangeEnd",
    S.EvGCMarkAssistBegin: "RangeBegin",
    S.EvGCMarkAssistActive: "RangeActive",
    S.EvGCMarkAssistEnd: "RangeEnd",
}

_ESC = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v", 92: "\\\\", 34: '\\"'}


def go_quote(s: str) -> str:
    """strconv.Quote for the strings a trace holds (bytes that were not UTF-8 come back as \\xNN)."""
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return f'"{s}"'
    out = ['"']
    for ch in s:
        c = ord(ch)
        if c in _ESC:
            out.append(_ESC[c])
        elif 0xDC80 <= c <= 0xDCFF:  # surrogateescape: a byte that was not UTF-8
            out.append(f"\\x{c - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        elif c < 0x20 or c == 0x7F:
            out.append(f"\\x{c:02x}")
        elif c < 0x10000:
            out.append(f"\\u{c:04x}")
        else:
            out.append(f"\\U{c:08x}")
    out.append('"')
    return "".join(out)


def rfc3339nano(sec: int, nsec: int) -> str:
    """time.Unix(sec, nsec).Format(time.RFC3339Nano) in the local zone, as Go prints it."""
    sec = s64(sec)
    nsec = s64(nsec)
    sec += nsec // 1_000_000_000
    nsec %= 1_000_000_000
    try:
        tm = _time.localtime(sec)
    except (OverflowError, OSError, ValueError):
        return f"<time {sec}.{nsec:09d}>"
    frac = f"{nsec:09d}".rstrip("0")
    off = tm.tm_gmtoff or 0
    if off == 0:
        zone = "Z"
    else:
        sign = "+" if off > 0 else "-"
        off = abs(off)
        zone = f"{sign}{off // 3600:02d}:{off % 3600 // 60:02d}"
    return _time.strftime("%Y-%m-%dT%H:%M:%S", tm) + (f".{frac}" if frac else "") + zone


def _value(v: int) -> str:
    return f"Value{{Uint64({v})}}"


def event_line(e, g: Generation | None) -> str:
    """Event.String() of one ORDERED_DTYPE record (its first line)."""
    typ = int(e[0])
    t, m, p, gg = int(e[1]), int(e[2]), int(e[3]), int(e[4])
    a = [int(x) for x in e[5]]
    head = f"M={m} P={p} G={gg}"
    if typ == S.EvSyncEvent:
        line = f"{head} Sync Time={t} N={a[0]}"
        if a[1] and g is not None and g.has_clock_snapshot:
            line += (
                f" Trace={g.mul(g.snap_time)} Mono={g.snap_mono} Wall={rfc3339nano(g.snap_sec, g.snap_nsec)}"
            )
        return line
    if typ == S.EvCPUSample:
        return f"{head} StackSample Time={t}"
    if typ in _METRIC:
        return f'{head} Metric Time={t} Name="{_METRIC[typ]}" Value={_value(a[0])}'
    if typ == S.EvGoLabel:
        return f"{head} Label Time={t} Label={go_quote(g.string(a[0]))} Resource=Goroutine({gg})"
    if typ in _RANGE_KIND:
        kind = _RANGE_KIND[typ]
        if typ in (S.EvSTWBegin, S.EvSTWEnd):
            name, scope = f"stop-the-world ({g.string(a[0])})", f"Goroutine({gg})"
        elif typ in (S.EvGCBegin, S.EvGCActive, S.EvGCEnd):
            name, scope = "GC concurrent mark phase", "None"
        elif typ in (S.EvGCSweepBegin, S.EvGCSweepActive, S.EvGCSweepEnd):
            name = "GC incremental sweep"
            scope = f"Proc({s64(a[0]) if typ == S.EvGCSweepActive else p})"
        else:
            name = "GC mark assist"
            scope = f"Goroutine({s64(a[0]) if typ == S.EvGCMarkAssistActive else gg})"
        line = f"{head} {kind} Time={t} Name={go_quote(name)} Scope={scope}"
        if kind == "RangeEnd":
            attrs = ""
            if typ == S.EvGCSweepEnd:
                attrs = f'"bytes swept"={_value(a[0])} "bytes reclaimed"={_value(a[1])}'
            line += f" Attributes=[{attrs}]"
        return line
    if typ == S.EvUserTaskBegin:
        return f"{head} TaskBegin Time={t} ID={a[0]} Parent={a[1]} Type={go_quote(g.string(a[2]))}"
    if typ == S.EvUserTaskEnd:
        return f"{head} TaskEnd Time={t} ID={a[0]} Parent={a[2]} Type={go_quote(g.extra_string(a[3]))}"
    if typ in (S.EvUserRegionBegin, S.EvUserRegionEnd):
        kind = "RegionBegin" if typ == S.EvUserRegionBegin else "RegionEnd"
        return f"{head} {kind} Time={t} Task={a[0]} Type={go_quote(g.string(a[1]))}"
    if typ == S.EvUserLog:
        return (
            f"{head} Log Time={t} Task={a[0]} Category={go_quote(g.string(a[1]))} "
            f"Message={go_quote(g.string(a[2]))}"
        )
    if typ >= S.EvSpan:
        name, argn = S.TIMED[typ][0], S.TIMED[typ][1][1:]
        vals = ", ".join(
            f"{n}={g.string(a[i]) if n.endswith('string') else _value(a[i])}" for i, n in enumerate(argn)
        )
        return f"{head} Experimental Time={t} Name={name} Args=[{vals}]"
    return f"{head} StateTransition Time={t} {_transition(typ, a, p, gg, g)}"


def _transition(typ: int, a: list, p: int, gg: int, g: Generation) -> str:
    reason = ""
    if typ in _GO_SIMPLE:
        old, new = _GO_SIMPLE[typ]
        res = f"GoID={gg} {S.GO_STATE_NAMES[old]}->{S.GO_STATE_NAMES[new]}"
        if typ in (S.EvGoStop, S.EvGoBlock):
            reason = g.string(a[0])
    elif typ in _GO_ARG:
        old, new = _GO_ARG[typ]
        res = f"GoID={s64(a[0])} {S.GO_STATE_NAMES[old]}->{S.GO_STATE_NAMES[new]}"
    elif typ in (S.EvGoStatus, S.EvGoStatusStack):
        old, new = a[2] >> 32, a[2] & 0xFFFFFFFF
        res = f"GoID={s64(a[0])} {_go_state(old)}->{_go_state(S.GO_STATUS_TO_STATE[new])}"
    elif typ == S.EvProcStart:
        res = f"ProcID={s64(a[0])} Idle->Running"
    elif typ == S.EvProcStop:
        res = f"ProcID={p} Running->Idle"
    elif typ == S.EvProcSteal:
        before = "Idle" if a[3] == S.ProcSyscallAbandonedW else "Running"
        res = f"ProcID={s64(a[0])} {before}->Idle"
    elif typ == S.EvProcStatus:
        res = f"ProcID={s64(a[0])} {_proc_state(a[2])}->{_proc_state(S.PROC_STATUS_TO_STATE[a[1]])}"
    else:
        res = ""
    return f"{res} Reason={go_quote(reason)}"


def _go_state(s: int) -> str:
    return S.GO_STATE_NAMES[s] if 0 <= s < len(S.GO_STATE_NAMES) else "Bad"


def _proc_state(s: int) -> str:
    return S.PROC_STATE_NAMES[s] if 0 <= s < len(S.PROC_STATE_NAMES) else "Bad"


def dump_lines(chunks: Iterable[tuple[Generation | None, np.ndarray]]) -> Iterator[str]:
    for g, arr in chunks:
        for e in arr.tolist():
            yield event_line(e, g)
