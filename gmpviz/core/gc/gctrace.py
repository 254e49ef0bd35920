"""GODEBUG=gctrace=1 lines: format exactly as runtime/mgc.go gcMarkTermination prints them, and parse them.

Format (Go 1.18+ pacer; stacks and globals fields since then):
    gc N @T.TTTs U%: A+B+C ms clock, D+E/F/G+H ms cpu, H0->H1->H2 MB, GOAL MB goal, S MB stacks,
    GL MB globals, P P[ (forced)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NS_PER_MS = 1_000_000
NS_PER_US = 1_000
MIB_SHIFT = 20  # the runtime prints ">>20" and labels it MB


class GCTraceParseError(ValueError):
    """A line that is not a gctrace line (one-line message)."""


def itoaDiv(val: int, dec: int) -> str:
    """itoaDiv (mgc.go): val / 10**dec in decimal, with exactly `dec` decimals (none if dec == 0)."""
    if val < 0:
        raise ValueError(f"itoaDiv: negative value {val}")
    digits = str(val)
    if dec == 0:
        return digits
    digits = digits.rjust(dec + 1, "0")
    return f"{digits[:-dec]}.{digits[-dec:]}"


def fmtNSAsMS(ns: int) -> str:
    """fmtNSAsMS (mgc.go): >= 10 ms as whole ms; else two significant digits, at most 3 decimals."""
    if ns < 0:
        # The runtime converts to uint64; a negative span only comes from a caller bug.
        raise ValueError(f"fmtNSAsMS: negative duration {ns}")
    if ns >= 10 * NS_PER_MS:
        return itoaDiv(ns // NS_PER_MS, 0)
    x = ns // NS_PER_US
    if x == 0:
        return "0"
    dec = 3
    while x >= 100:
        x //= 10
        dec -= 1
    return itoaDiv(x, dec)


@dataclass(frozen=True)
class CycleStats:
    """The inputs gcMarkTermination reads for its gctrace line (times are absolute virtual ns)."""

    numgc: int  # memstats.numgc, already incremented for this cycle
    tSweepTerm: int  # work.tSweepTerm
    tMark: int  # work.tMark
    tMarkTerm: int  # work.tMarkTerm
    tEnd: int  # work.tEnd
    gc_cpu_fraction: float  # memstats.gc_cpu_fraction
    stwprocs: int  # work.stwprocs = min(GOMAXPROCS, ncpu)
    assistTime: int  # gcController.assistTime, ns
    dedicatedMarkTime: int  # ns
    fractionalMarkTime: int  # ns
    idleMarkTime: int  # ns
    heap0: int  # work.heap0: heapLive at gcStart, bytes
    heap1: int  # work.heap1: heapLive at mark termination
    heap2: int  # work.heap2: bytes marked
    lastHeapGoal: int  # gcController.lastHeapGoal, bytes
    lastStackScan: int  # bytes
    globalsScan: int  # bytes
    maxprocs: int  # work.maxprocs (GOMAXPROCS)
    userForced: bool = False  # work.userForced: runtime.GC()
    runtimeInitTime: int = 0  # runtimeInitTime, ns


def format_gctrace(c: CycleStats) -> str:
    """gcMarkTermination's `if debug.gctrace > 0` block, without the trailing newline."""
    util = int(c.gc_cpu_fraction * 100)
    at = itoaDiv((c.tSweepTerm - c.runtimeInitTime) // NS_PER_MS, 3)
    clock = "+".join(
        fmtNSAsMS(b - a) for a, b in ((c.tSweepTerm, c.tMark), (c.tMark, c.tMarkTerm), (c.tMarkTerm, c.tEnd))
    )
    stw1 = fmtNSAsMS(c.stwprocs * (c.tMark - c.tSweepTerm))
    assist = fmtNSAsMS(c.assistTime)
    background = fmtNSAsMS(c.dedicatedMarkTime + c.fractionalMarkTime)
    idle = fmtNSAsMS(c.idleMarkTime)
    stw2 = fmtNSAsMS(c.stwprocs * (c.tEnd - c.tMarkTerm))
    line = (
        f"gc {c.numgc} @{at}s {util}%: {clock} ms clock, {stw1}+{assist}/{background}/{idle}+{stw2} ms cpu, "
        f"{c.heap0 >> MIB_SHIFT}->{c.heap1 >> MIB_SHIFT}->{c.heap2 >> MIB_SHIFT} MB, "
        f"{c.lastHeapGoal >> MIB_SHIFT} MB goal, {c.lastStackScan >> MIB_SHIFT} MB stacks, "
        f"{c.globalsScan >> MIB_SHIFT} MB globals, {c.maxprocs} P"
    )
    if c.userForced:
        line += " (forced)"
    return line


_NUM = r"(\d+(?:\.\d+)?)"
_GCTRACE_RE = re.compile(
    rf"^gc (\d+) @{_NUM}s (\d+)%: {_NUM}\+{_NUM}\+{_NUM} ms clock, "
    rf"{_NUM}\+{_NUM}/{_NUM}/{_NUM}\+{_NUM} ms cpu, "
    r"(\d+)->(\d+)->(\d+) MB, (\d+) MB goal, "
    r"(?:(\d+) MB stacks, (\d+) MB globals, )?"  # absent before Go 1.18
    r"(\d+) P( \(forced\))?\s*$"
)


def parse_gctrace(line: str) -> dict:
    """Parse one gctrace line into a dict (ms floats, MiB ints); raises GCTraceParseError otherwise.

    Keys: n, t_s, util_pct, clock_ms (sweep_term, mark, mark_term), cpu_ms (sweep_term, assist,
    background, idle, mark_term), heap0_mb, heap1_mb, heap2_mb, goal_mb, stacks_mb, globals_mb
    (None on pre-1.18 lines), procs, forced.
    """
    m = _GCTRACE_RE.match(line.strip())
    if m is None:
        raise GCTraceParseError(f"not a gctrace line: {line.strip()[:80]!r}")
    g = m.groups()
    return {
        "n": int(g[0]),
        "t_s": float(g[1]),
        "util_pct": int(g[2]),
        "clock_ms": tuple(float(x) for x in g[3:6]),
        "cpu_ms": tuple(float(x) for x in g[6:11]),
        "heap0_mb": int(g[11]),
        "heap1_mb": int(g[12]),
        "heap2_mb": int(g[13]),
        "goal_mb": int(g[14]),
        "stacks_mb": None if g[15] is None else int(g[15]),
        "globals_mb": None if g[16] is None else int(g[16]),
        "procs": int(g[17]),
        "forced": g[18] is not None,
    }


def parse_gctrace_lines(text: str) -> list[dict]:
    """Parse every gctrace line in `text` (e.g. a program's stderr), skipping everything else."""
    out = []
    for line in text.splitlines():
        if line.startswith("gc "):
            try:
                out.append(parse_gctrace(line))
            except GCTraceParseError:
                continue
        # other GODEBUG output (pacer:, scav, program output) is ignored
    return out
