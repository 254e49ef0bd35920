"""`gmpviz bench --replay`: size on disk, open time, seek latency and memory of a 10M-event recording,
and the file's and keyframes' bytes per event of `default` and `gc-steady` at 30 s and 300 s.

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
from ..record import writer as W
from ..record.replay import Replay
from ..record.writer import RecordingWriter
from .sched import STANDARD_WORKLOAD

BENCH_EVENTS = 10_000_000
SEEKS = 200
SEEK_SEED = 6  # the seek targets are seeded: the same bench seeks the same points
STEP_NS = 10_000_000  # the CLI's headless slice
LONG_RUN_NS = 3_600 * 10**9  # virtual duration cap: the run stops at BENCH_EVENTS first


# the cached recordings are rebuilt when the writer's chunk or keyframe policy changes
_WRITER_TAG = (
    f"{F.FORMAT_VERSION}-c{W.CHUNK_EVENTS}-k{W.KEYFRAME_MAX_EVENTS}x{int(1 / W.KEYFRAME_STATE_SHARE)}"
)


def cache_path(n_events: int = BENCH_EVENTS) -> str:
    root = os.environ.get("TMPDIR") or tempfile.gettempdir()
    return os.path.join(root, f"gmpviz-{__version__}-f{_WRITER_TAG}-replay-{n_events}.gmprec")


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


GROWTH_SCENARIOS = ("default", "gc-steady")  # default's live heap grows (a cache that never frees)
GROWTH_SECONDS = (30, 300)  # virtual seconds: the size per event at both must agree (linear growth)


def _growth_recording(scenario: str, seconds: int) -> str:
    """`scenario` recorded headless for `seconds` (seed 1), cached like the 10M-event recording."""
    from ..core.engine import Engine
    from ..core.workload.loader import load_scenario
    from ..record.writer import record_run

    root = os.environ.get("TMPDIR") or tempfile.gettempdir()
    path = os.path.join(root, f"gmpviz-{__version__}-f{_WRITER_TAG}-{scenario}-{seconds}s.gmprec")
    if not os.path.exists(path):
        eng = Engine(load_scenario(scenario), seed=1, duration_ns=seconds * 10**9)
        record_run(eng, path)
    return path


def bench_state_growth(scenarios=GROWTH_SCENARIOS, seconds=GROWTH_SECONDS) -> dict:
    """File and keyframe (state) bytes per event of each scenario at each duration. Keyframes hold
    the live state only, so state bytes per event stay flat when the program's live state does
    (gc-steady) and grow with it when it grows (default keeps a cache it never frees: its live
    spans are printed beside)."""
    from ..record.reader import RecordingReader

    out = {}
    for sc in scenarios:
        for s in seconds:
            r = RecordingReader.open(_growth_recording(sc, s), marks=False)
            kf = sum(b.length for b in r._kf_blocks)
            n = max(r.n_events, 1)
            _, snap = r.keyframe_before(r.n_events)
            live_spans = int(np.count_nonzero(snap["span_state"])) if snap else 0
            out[f"growth_{sc}_{s}s_events"] = r.n_events
            out[f"growth_{sc}_{s}s_bytes_per_event"] = round(os.path.getsize(r.path) / n, 2)
            out[f"growth_{sc}_{s}s_state_bytes_per_event"] = round(kf / n, 3)
            out[f"growth_{sc}_{s}s_spans_in_last_keyframe"] = live_spans
            r.close()
        lo, hi = seconds[0], seconds[-1]
        out[f"growth_{sc}_state_ratio_{hi}s_over_{lo}s"] = round(
            out[f"growth_{sc}_{hi}s_state_bytes_per_event"]
            / max(out[f"growth_{sc}_{lo}s_state_bytes_per_event"], 1e-9),
            2,
        )
    return out


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
    return {**bench_replay(), **bench_state_growth()}
