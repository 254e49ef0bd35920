"""Run metrics on hand-built event streams with known answers, and against the engine's own counts."""

from __future__ import annotations

import numpy as np
import pytest

from gmpviz.core.constants import Pdead
from gmpviz.core.trace.events import (
    CHAN_BLOCK,
    CHAN_BUFFER,
    CHAN_DIRECT,
    EV,
    EVENT_DTYPE,
    STW_GC_MARK_TERM,
    STW_GC_SWEEP_TERM,
    STW_GOMAXPROCS,
    WAIT_CHAN_RECV,
    WAIT_IO,
    WAIT_SLEEP,
    WORKER_DEDICATED,
    WORKER_IDLE,
)
from gmpviz.model.metrics import (
    NEEDED_KINDS,
    TIME_HIST_EDGES_NS,
    TIME_HIST_TOTAL_BUCKETS,
    compute_metrics,
    mmu_curve,
    mutator_utilization,
    time_histogram,
)

MS = 1_000_000


def events(*rows) -> np.ndarray:
    """rows of (t_ns, kind, p, m, g, a0, a1, a2), shorter rows padded with 0, sorted by time (stable)."""
    out = np.zeros(len(rows), dtype=EVENT_DTYPE)
    for i, r in enumerate(rows):
        r = tuple(r) + (0,) * (8 - len(r))
        out[i] = (int(r[0]), int(r[1]), *r[2:])
    return out[np.argsort(out["t_ns"], kind="stable")]


def procs(n: int, t: int = 0) -> list[tuple]:
    """GOMAXPROCS n at t, every P idle (what schedinit emits: pidleput each, then the resize)."""
    return [(t, EV.ProcStop, p, -1) for p in range(n)] + [(t, EV.ProcResize, -1, -1, 0, 0, n)]


def go_create(t: int, g: int, group: int = 1) -> tuple:
    return (t, EV.GoCreate, 0, 0, g, 1, group)


# --- MMU ---------------------------------------------------------------------------------------


def gc_pause_pattern(end_ns: int = 10 * MS) -> np.ndarray:
    """4 Ps: sweep termination 2-3 ms, a dedicated mark worker on P0 3-7 ms, mark termination
    7-7.5 ms, also an idle worker on P1 and a GOMAXPROCS stop-the-world, neither of which counts."""
    return events(
        *procs(4),
        (2 * MS, EV.STWBegin, -1, -1, 0, STW_GC_SWEEP_TERM),
        (3 * MS, EV.STWEnd, -1, -1, 0, STW_GC_SWEEP_TERM, 1 * MS),
        (3 * MS, EV.GCWorkerBegin, 0, 0, 50, WORKER_DEDICATED),
        (4 * MS, EV.GCWorkerBegin, 1, 1, 51, WORKER_IDLE),
        (5 * MS, EV.GCWorkerEnd, 1, 1, 51, WORKER_IDLE),
        (7 * MS, EV.GCWorkerEnd, 0, 0, 50, WORKER_DEDICATED),
        (7 * MS, EV.STWBegin, -1, -1, 0, STW_GC_MARK_TERM),
        (7_500_000, EV.STWEnd, -1, -1, 0, STW_GC_MARK_TERM, 500_000),
        (8 * MS, EV.STWBegin, -1, -1, 0, STW_GOMAXPROCS),
        (8_200_000, EV.STWEnd, -1, -1, 0, STW_GOMAXPROCS, 200_000),
        (end_ns, EV.SysmonTick, -1, -1),
    )


def test_mutator_utilization_of_a_known_pause_pattern():
    t, u = mutator_utilization(gc_pause_pattern())
    assert t.tolist() == [0, 2 * MS, 3 * MS, 7 * MS, 7_500_000, 10 * MS]
    assert u.tolist() == [1.0, 0.0, 0.75, 0.0, 1.0, 0.0]


def test_mmu_of_a_known_pause_pattern():
    m = compute_metrics(gc_pause_pattern(), windows_ns=[500_000, 1 * MS, 2 * MS, 4 * MS, 10 * MS, 20 * MS])
    # any window inside the 1 ms pause sees 0; 2 ms: the pause then 1 ms of 3/4 (from 2 ms);
    # 4 ms: 3 ms of 3/4 and the pause, from 2 ms or ending at 7.5 ms (0.5625); the whole run: 7.5/10
    assert m.mmu.tolist() == pytest.approx([0.0, 0.0, 0.375, 0.5625, 0.75, 0.75])
    assert m.mmu_worst_start_ns[2] == 2 * MS


def test_mmu_matches_go_tool_trace_on_a_random_series():
    """Values printed by internal/trace/gc.go NewMMUCurve(...).MMU (Go 1.27) for this series."""
    t = [0, 222548, 476225, 509319, 558449, 696382, 864147, 1092875, 1203930, 1215639, 1280906, 1418334,
         1534695, 1809360, 1938381, 2130173, 2313964, 2342189, 2563368, 2579302, 2584873, 2760890, 2837848,
         2948297, 3129936, 3177704, 3203741, 3414269, 3713600, 3918777, 4168648, 4293570, 4305566, 4501071,
         4671765, 4896679, 5079871, 5226461, 5229532, 5439332, 5493878]  # fmt: skip
    u = [0.5, 0.0, 0.5, 0.5, 0.5, 0.5, 0.0, 0.5, 0.75, 1.0, 0.25, 1.0, 0.25, 0.5, 1.0, 0.25, 0.25, 0.25, 0.75,
         1.0, 0.25, 0.25, 1.0, 1.0, 0.75, 0.5, 1.0, 0.25, 0.0, 0.75, 0.25, 0.75, 0.25, 0.5, 1.0, 0.25, 0.5,
         0.75, 0.25, 0.5, 0.0]  # fmt: skip
    w = [1000, 10000, 50000, 100000, 250000, 1000000, 3000000, 5493878]
    go = [0, 0, 0, 0, 0, 0.2587975, 0.42057133333333335, 0.45755338942728613]
    assert mmu_curve(np.array(t), np.array(u), np.array(w))[0].tolist() == pytest.approx(go, abs=1e-12)


def test_assists_count_against_the_mutator_and_the_gc_cpu_fraction():
    ev = events(
        *procs(2),
        go_create(0, 2),
        (0, EV.GoStart, 0, 0, 2),
        (1 * MS, EV.GCMarkAssistBegin, 0, 0, 2, 4096),
        (2 * MS, EV.GCMarkAssistEnd, 0, 0, 2, 4096),
        (4 * MS, EV.GoEnd, 0, 0, 2),
    )
    m = compute_metrics(ev, end_ns=4 * MS)
    assert m.assist_ns == 1 * MS
    assert m.state_ns["user"] == 3 * MS
    assert m.p_time_ns == 8 * MS
    assert m.gc_cpu_fraction == pytest.approx(1 / 8)
    assert m.useful_cpu_fraction == pytest.approx(3 / 8)
    assert m.mmu_at(1 * MS) == pytest.approx(0.5)  # one of two Ps assists for 1 ms


def test_gc_cpu_fraction_counts_pauses_times_gomaxprocs_and_not_idle_workers():
    m = compute_metrics(gc_pause_pattern())
    # dedicated 4 ms + GC pauses 1.5 ms x 4 Ps, over 4 Ps x 10 ms; the idle worker's ms is left out
    assert m.gc_cpu_fraction == pytest.approx((4 + 6) / 40)
    assert m.state_ns["gc"] == 4 * MS and m.state_ns["gc_idle"] == 1 * MS
    assert (m.stw_count, m.stw_total_ns, m.stw_max_ns) == (3, 1_700_000, 1 * MS)


# --- scheduling latency and completion times --------------------------------------------------------


def record_like_go(d: int) -> int:
    """runtime/histogram.go timeHistogram.record, line by line: the index into the metric's counts."""
    if d < 0:
        return 0
    n = d.bit_length()
    if n < 9:
        bucket_bit, bucket = 9, 0
    else:
        bucket_bit, bucket = n, n - 9 + 1
    if bucket >= 40:
        return TIME_HIST_TOTAL_BUCKETS - 1
    sub = (d >> (bucket_bit - 1 - 2)) % 4
    return bucket * 4 + sub + 1


def test_latency_percentiles_of_known_waits():
    rows = list(procs(1))
    for i in range(1, 101):  # G i+1 waits i x 100 ns from its creation to its start
        rows += [go_create(i * 100_000, i + 1), (i * 100_000 + i * 100, EV.GoStart, 0, 0, i + 1)]
        rows += [(i * 100_000 + 50_000, EV.GoBlock, 0, 0, i + 1, WAIT_SLEEP)]
    m = compute_metrics(events(*rows))
    assert m.latency_count == 100
    assert (m.latency_p50_ns, m.latency_p90_ns, m.latency_p99_ns, m.latency_max_ns) == (
        5000,
        9000,
        9900,
        10000,
    )
    want = np.zeros(TIME_HIST_TOTAL_BUCKETS, np.int64)
    for i in range(1, 101):
        want[record_like_go(i * 100)] += 1
    assert m.latency_hist.tolist() == want.tolist()


def test_latency_is_measured_from_every_way_into_runnable():
    ev = events(
        *procs(1),
        go_create(0, 2),
        (1_000, EV.GoStart, 0, 0, 2),  # 1000 after create
        (2_000, EV.GoStop, 0, 0, 2),
        (2_500, EV.GoStart, 0, 0, 2),  # 500 after a preemption
        (3_000, EV.GoBlock, 0, 0, 2, WAIT_CHAN_RECV),
        (10_000, EV.GoUnblock, 0, 0, 2, 0, 0, WAIT_CHAN_RECV),
        (10_200, EV.GoStart, 0, 0, 2),  # 200 after the wake-up, not 7200 after the block
        (11_000, EV.GoSyscallBegin, 0, 0, 2),
        (12_000, EV.GoSyscallEndBlocked, -1, 0, 2),
        (12_050, EV.GoStart, 0, 0, 2),  # 50 after a syscall without a P
        (13_000, EV.GoSyscallBegin, 0, 0, 2),
        (14_000, EV.GoSyscallEnd, 0, 0, 2),  # kept running: no wait
        (15_000, EV.GoEnd, 0, 0, 2),
    )
    m = compute_metrics(ev)
    assert m.latency_count == 4
    assert m.latency_max_ns == 1000 and m.latency_p50_ns == 200
    assert (m.completion_p50_ns, m.completion_p99_ns) == (15_000, 15_000)


def test_time_histogram_edges_are_the_runtime_layout():
    assert len(TIME_HIST_EDGES_NS) == 161 and TIME_HIST_TOTAL_BUCKETS == 162
    assert TIME_HIST_EDGES_NS[:9].tolist() == [0, 64, 128, 192, 256, 320, 384, 448, 512]
    assert TIME_HIST_EDGES_NS[-1] == 1 << 47
    rng = np.random.default_rng(1)
    d = np.r_[-5, 0, 1, 63, 64, 255, 256, 511, 512, rng.integers(0, 1 << 40, 2000), 1 << 47, 1 << 50]
    want = np.zeros(TIME_HIST_TOTAL_BUCKETS, np.int64)
    for x in d.tolist():
        want[record_like_go(x)] += 1
    assert time_histogram(d).tolist() == want.tolist()


def test_completion_times_of_user_goroutines_only():
    rows = list(procs(1))
    for i, life in enumerate((1000, 2000, 3000, 4000), start=2):
        rows += [go_create(10, i), (10 + life, EV.GoEnd, 0, 0, i)]
    rows += [go_create(10, 9, group=-1), (900_000, EV.GoEnd, 0, 0, 9)]  # a runtime G
    m = compute_metrics(events(*rows))
    assert (m.goroutines_created, m.goroutines_finished) == (4, 4)
    assert (m.completion_p50_ns, m.completion_p99_ns) == (2000, 4000)


# --- P time, throughput, scheduler counts -----------------------------------------------------------


def test_p_time_by_state_and_useful_cpu():
    ev = events(
        *procs(2),
        go_create(0, 2),
        go_create(0, 3, group=-1),  # the runtime's own G
        (0, EV.ProcStart, 0, 0),
        (0, EV.GoStart, 0, 0, 2),
        (3 * MS, EV.GoBlock, 0, 0, 2, WAIT_SLEEP),  # P0 idle from here
        (1 * MS, EV.ProcStart, 1, 1),
        (1 * MS, EV.MSpinBegin, 1, 1),
        (2 * MS, EV.MSpinEnd, 1, 1),
        (2 * MS, EV.GoStart, 1, 1, 3),
        (4 * MS, EV.GoBlock, 1, 1, 3),
        (4 * MS, EV.ProcStatus, 1, -1, 0, Pdead),  # P1 gone: no more P time
    )
    m = compute_metrics(ev, end_ns=10 * MS)
    assert m.state_ns["user"] == 3 * MS
    assert m.state_ns["spinning"] == 1 * MS
    assert m.state_ns["runtime"] == 2 * MS
    assert m.state_ns["idle"] == 7 * MS + 1 * MS  # P0 after 3 ms, P1 before spinning
    assert m.p_time_ns == 10 * MS + 4 * MS
    assert m.useful_cpu_fraction == pytest.approx(3 / 14)


def test_operations_counted_once_when_they_take_effect():
    ev = events(
        *procs(1),
        (1, EV.ChanSend, 0, 0, 2, 0, CHAN_BUFFER),  # 1: done at once
        (2, EV.ChanRecv, 0, 0, 3, 0, CHAN_BLOCK),  # blocked: counted at its wake-up
        (3, EV.ChanSend, 0, 0, 4, 0, CHAN_DIRECT),  # 2: the sender's op ...
        (3, EV.GoUnblock, 0, 0, 3, 4, 0, WAIT_CHAN_RECV),  # 3: ... and the receiver's
        (4, EV.Select, 0, 0, 2, -2, 2),  # 4: a select's default
        (5, EV.GoSyscallEnd, 0, 0, 2),  # 5
        (6, EV.GoUnblock, -1, -1, 5, 0, 2, WAIT_SLEEP),  # 6
        (7, EV.GoUnblock, -1, -1, 6, 0, 2, WAIT_IO),  # 7
        (1_000_000_000, EV.SysmonTick, -1, -1),
    )
    m = compute_metrics(ev)
    assert m.ops_by_kind == {"chan": 4, "syscall": 1, "sleep": 1, "netwait": 1}
    assert m.ops_completed == 7 and m.ops_per_s == pytest.approx(7.0)


def test_scheduler_counts():
    ev = events(
        *procs(2),
        (1, EV.ProcSteal, 1, 1, 0, 0, 3),
        (2, EV.ProcSteal, 1, 1, 0, 0, 1, 1),
        (3, EV.ProcHandoff, 0, 0, 0, 0, -1),
        (4, EV.Preempt, 0, 0, 2, 10 * MS),
        (5, EV.GoStart, 0, 0, 2),
        (6, EV.GoStart, 1, 1, 3),
        (7, EV.GCBegin, -1, -1, 0, 1),
        (8, EV.HeapGoal, -1, -1, 0, 4 << 20),
        (9, EV.HeapGoal, -1, -1, 0, 8 << 20),
        (10, EV.HeapGoal, -1, -1, 0, 10 << 20),
    )
    m = compute_metrics(ev)
    assert (m.steals, m.gs_stolen, m.handoffs, m.preemptions, m.context_switches) == (2, 4, 1, 1, 2)
    assert m.gc_cycles == 1 and m.heap_goal_median_bytes == 8 << 20
    assert m.heap_peak_bytes is None


def test_empty_and_dict_form():
    m = compute_metrics(np.zeros(0, dtype=EVENT_DTYPE))
    assert m.ops_completed == 0 and m.as_dict()["gc"]["cycles"] == 0
    d = compute_metrics(gc_pause_pattern()).as_dict()
    assert len(d["sched_latency"]["histogram"]["counts"]) == 162
    assert d["mmu"]["window_ns"][0] == 100_000 and d["mmu"]["window_ns"][-1] <= 10 * MS


# --- against the engine's own statistics -----------------------------------------------------------


def run_preset(name: str, duration_ns: int):
    from gmpviz.core.engine import Engine
    from gmpviz.core.workload.loader import load_scenario

    eng = Engine(load_scenario(name), duration_ns=duration_ns)
    parts, counters = [], []
    t = 0
    while not eng.done:
        t += 20 * MS
        eng.run_until(t)
        parts.append(eng.drain())
        counters.append(eng.drain_counters())
    return eng, np.concatenate(parts), np.concatenate(counters)


@pytest.mark.parametrize("name", ["work-stealing", "gc-steady", "syscall-handoff", "preemption"])
def test_metrics_agree_with_the_engines_counts(name):
    eng, ev, counters = run_preset(name, 300 * MS)
    st = eng.stats()
    m = compute_metrics(ev, counters, end_ns=eng.now)
    assert m.steals == st["steals"]["count"] and m.gs_stolen == st["steals"]["gs_moved"]
    assert m.handoffs == st["handoffs"]
    assert m.preemptions == st["preemptions"]
    assert m.context_switches == st["context_switches"]
    assert m.goroutines_created == st["goroutines"]["created"]
    assert m.goroutines_finished == st["goroutines"]["exited"]
    gc = st["gc"]
    assert m.gc_cycles == gc["cycles"]
    pauses = [gc[k] for k in ("pause_sweep_termination", "pause_mark_termination")]
    assert m.stw_total_ns == sum(p["total_ns"] for p in pauses)
    assert m.stw_max_ns == max(p["max_ns"] for p in pauses)
    assert m.gc_cpu_fraction == pytest.approx(gc["cpu_fraction"], abs=0.002)
    assert m.p_time_ns == eng.now * eng.gomaxprocs
    busy = sum(st["p_busy_fraction"]) * eng.now
    on_cpu = sum(m.state_ns[k] for k in ("user", "runtime", "gc", "gc_idle", "assist"))
    assert on_cpu == pytest.approx(busy, rel=0.01)
    assert m.heap_peak_bytes == int(counters["heap_alloc"].max())


def test_the_needed_kinds_alone_give_the_same_metrics():
    _, ev, counters = run_preset("gc-steady", 200 * MS)
    full = compute_metrics(ev, counters, end_ns=200 * MS).as_dict()
    kept = compute_metrics(ev[NEEDED_KINDS[ev["kind"]]], counters, end_ns=200 * MS).as_dict()
    assert kept == full


@pytest.mark.parametrize("name", ["gc-steady", "default"])
def test_live_fold_in_any_batches_gives_the_whole_streams_mmu_and_latencies(name):
    from gmpviz.model.metrics import LiveMetrics

    _, ev, _ = run_preset(name, 300 * MS)
    whole = compute_metrics(ev, end_ns=300 * MS)
    t_whole, u_whole = mutator_utilization(ev, 300 * MS)
    rng = np.random.default_rng(3)
    cuts = np.sort(rng.choice(len(ev), 40, replace=False))
    live = LiveMetrics()
    for part in np.split(ev, cuts):
        live.apply(part)
    live.advance(300 * MS)
    t, u = live.utilization()
    assert t.tolist() == t_whole.tolist() and u.tolist() == u_whole.tolist()
    w, mmu, worst = live.mmu()
    assert w.tolist() == whole.mmu_window_ns.tolist()
    assert mmu.tolist() == whole.mmu.tolist() and worst.tolist() == whole.mmu_worst_start_ns.tolist()
    assert live.latency_hist.tolist() == whole.latency_hist.tolist()
    assert live.latency_max_ns == whole.latency_max_ns
    p99 = live.latency_percentile_ns(99)
    assert p99 >= whole.latency_p99_ns and p99 <= max(whole.latency_p99_ns * 1.25, whole.latency_p99_ns + 64)


def test_stable_argsort_u32_is_numpys_stable_argsort():
    from gmpviz.model.metrics import stable_argsort_u32

    rng = np.random.default_rng(7)
    for hi in (10, 1 << 16, 1 << 31):
        k = rng.integers(0, hi, 5000).astype(np.int32)
        assert stable_argsort_u32(k).tolist() == np.argsort(k, kind="stable").tolist()
    assert stable_argsort_u32(np.zeros(0, np.int32)).size == 0
