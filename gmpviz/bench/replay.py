"""`gmpviz bench --replay`: size on disk, open time, seek latency and memory of a 10M-event recording.

The recording (the standard scheduler workload of `gmpviz bench`, run until 10M events) takes a
minute or more to make, so it is cached under $TMPDIR keyed by the gmpviz and format versions.
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np

from .. import __version__
from ..record import format as F
from ..record.replay import Replay
from ..record.writer import RecordingWriter
from .sched import STANDARD_WORKLOAD

BENCH_EVENTS = 10_000_000
SEEKS = 200
SEEK_SEED = 6  # the seek targets are seeded: the same bench seeks the same points
STEP_NS = 10_000_000  # the CLI's headless slice
LONG_RUN_NS = 3_600 * 10**9  # virtual duration cap: the run stops at BENCH_EVENTS first


def cache_path(n_events: int = BENCH_EVENTS) -> str:
    root = os.environ.get("TMPDIR") or tempfile.gettempdir()
    return os.path.join(root, f"gmpviz-{__version__}-f{F.FORMAT_VERSION}-replay-{n_events}.gmprec")


def make_recording(path: str, n_events: int = BENCH_EVENTS, progress=None) -> float:
    """Record the standard workload until `n_events`; return the wall seconds it took."""
    from ..core.engine import Engine
    from ..core.workload.loader import loads_scenario

    sc = loads_scenario(STANDARD_WORKLOAD, filename="<bench-standard>")
    eng = Engine(sc, duration_ns=LONG_RUN_NS)
    w = RecordingWriter.create(path, eng)
    t0 = time.perf_counter()
    t, n = 0, 0
    try:
        while n < n_events and not eng.done:
            t += STEP_NS
            eng.run_until(t)
            ev = eng.drain()
            ev = ev[: n_events - n]
            n += len(ev)
            w.append(ev, eng.drain_counters())
            if progress is not None:
                progress(n / n_events)
    except BaseException:
        w.abort()
        raise
    w.close()
    return time.perf_counter() - t0


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def bench_replay(n_events: int = BENCH_EVENTS, path: str | None = None) -> dict:
    path = path or cache_path(n_events)
    made_s = None
    if not os.path.exists(path):
        from ..console import Progress

        made_s = make_recording(path, n_events, Progress("recording"))
    rss0 = _rss_bytes()
    t0 = time.perf_counter()
    rp = Replay.open(path)
    open_s = time.perf_counter() - t0
    n = rp.n_events
    rng = np.random.default_rng(SEEK_SEED)
    ms = []
    for t in rng.integers(0, rp.t_end_ns + 1, SEEKS).tolist():
        a = time.perf_counter()
        rp.seek_time(t)
        ms.append((time.perf_counter() - a) * 1e3)
    for i in rng.integers(0, n + 1, SEEKS // 4).tolist():  # back and forth by event
        a = time.perf_counter()
        rp.seek_index(i)
        rp.step(-1)
        ms.append((time.perf_counter() - a) * 1e3)
    t0 = time.perf_counter()
    rp.load_all()
    fold_s = time.perf_counter() - t0
    rss1 = _rss_bytes()
    out = {
        "events": n,
        "bytes_per_event": round(os.path.getsize(path) / max(n, 1), 2),
        "replay_open_s": round(open_s, 3),
        "replay_seek_ms_p95": round(float(np.percentile(ms, 95)), 1),
        "replay_seek_ms_max": round(float(np.max(ms)), 1),
        "replay_history_fold_s": round(fold_s, 2),
        "replay_mem_bytes_per_event": round((rss1 - rss0) / max(n, 1), 1),
        "recording": path,
    }
    if made_s is not None:
        out["record_s"] = round(made_s, 1)
    return out


def run(args) -> dict:
    return bench_replay()
