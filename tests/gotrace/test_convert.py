"""A real program's trace in gmpviz's own event stream: what the window and the recordings show."""

from __future__ import annotations

import numpy as np
import pytest
from gotrace_fixtures import MODES
from gotrace_synth import simple_trace

from gmpviz.core.constants import Grunning
from gmpviz.core.trace.events import EV, EVENT_DTYPE, WAIT_REASONS
from gmpviz.gotrace.convert import RUNTIME_GROUP, TraceConverter
from gmpviz.gotrace.reader import GoTraceReader
from gmpviz.gotrace.summary import TraceSummary
from gmpviz.model.spans import SpanTable
from gmpviz.model.state import RuntimeState
from gmpviz.record import RecordingError
from gmpviz.record.fromtrace import cached_recording, trace_to_recording
from gmpviz.record.reader import RecordingReader


def convert(path) -> tuple[np.ndarray, np.ndarray, TraceConverter, dict]:
    conv, summ = TraceConverter(), TraceSummary()
    evs, rows = [], []
    with GoTraceReader(str(path)) as r:
        for g, arr in r.chunks():
            summ.add(g, arr)
            e, c = conv.add(g, arr)
            evs.append(e)
            rows.append(c)
        st = summ.result(r)
    return np.concatenate(evs), np.concatenate(rows), conv, st


def test_a_hand_written_trace(tmp_path):
    path = tmp_path / "s.trace"
    path.write_bytes(simple_trace())
    ev, rows, conv, _ = convert(path)
    assert ev.dtype == EVENT_DTYPE
    names = [EV(k).name for k in ev["kind"]]
    want = ["ProcStart", "GoCreate", "GoStart", "GoCreate", "GoBlock", "GoStart", "GoEnd", "ProcStop"]
    assert names == want
    block = ev[ev["kind"] == EV.GoBlock][0]
    assert WAIT_REASONS[block["a0"]] == "chan receive" and block["g"] == 1
    assert rows["heap_alloc"][-1] == 4096 and rows["ngoroutines"][-1] == 1  # G1 waits, G2 is gone
    st = RuntimeState()
    st.apply(ev)
    assert st.g_status[1] != Grunning and st.m_count == 1


pytestmark_go = pytest.mark.fidelity


@pytestmark_go
@pytest.mark.parametrize("mode", MODES)
def test_fixture_converts_to_what_the_trace_says(go_traces, mode, tmp_path):
    ev, rows, conv, st = convert(go_traces[mode][0])
    assert (np.diff(ev["t_ns"]) >= 0).all() and ev["t_ns"][0] >= 0
    kinds = np.bincount(ev["kind"], minlength=256)
    gc = st["gc"]
    assert kinds[EV.GCEnd] == gc["cycles"] and kinds[EV.STWEnd] == gc["stw_count"]
    stw = ev[ev["kind"] == EV.STWEnd]
    assert int(stw["a1"].sum()) == gc["stw_total_ns"] and int(stw["a1"].max(initial=0)) == gc["stw_max_ns"]
    assert kinds[EV.ProcHandoff] == st["steals"]["count"]
    assert kinds[EV.GoSyscallEndBlocked] == st["syscalls_blocked"]
    assert kinds[EV.GoSyscallBegin] >= st["syscalls"]
    assert rows["heap_alloc"][-1] == st["HeapAlloc"]
    assert rows["ngoroutines"][-1] == st["goroutines"]["live"]
    assert rows["gc_cycles"][-1] == gc["cycles"]
    # Ms: every thread the trace names gets an index; the counter counts those the shown events run on
    assert rows["threads"][-1] <= len(conv.m_index) and st["threads"] <= len(conv.m_index)
    # GC workers run as the runtime's goroutines, between GCWorkerBegin and GCWorkerEnd
    created = ev[ev["kind"] == EV.GoCreate]
    workers = set(ev["g"][ev["kind"] == EV.GCWorkerBegin].tolist())
    assert all(int(created["a1"][created["g"] == w][0]) == RUNTIME_GROUP for w in workers)
    # ... labelled with their mode (traceruntime.go GoStart's GoLabel), each run ended once
    wb, we = ev[ev["kind"] == EV.GCWorkerBegin], ev[ev["kind"] == EV.GCWorkerEnd]
    assert set(wb["a0"].tolist()) <= {1, 2, 3} and 0 <= len(wb) - len(we) <= len(workers)
    for w in workers:
        seq = ev[((ev["kind"] == EV.GCWorkerBegin) | (ev["kind"] == EV.GCWorkerEnd)) & (ev["g"] == w)]
        assert (np.diff((seq["kind"] == EV.GCWorkerBegin).astype(int)) != 0).all(), w
    # a recording of it reads back, with the groups and the trace's assumptions
    out = tmp_path / f"{mode}.gmprec"
    trace_to_recording(str(go_traces[mode][0]), str(out))
    r = RecordingReader.open(str(out))
    try:
        assert r.n_events == len(ev) and r.groups == tuple(conv.groups)
        assert any("run-queue" in a for a in r.header["assumptions"])
    finally:
        r.close()


@pytestmark_go
def test_traceallocfree_gives_a_real_span_heatmap(go_traces):
    ev, _, conv, st = convert(go_traces["alloc"][0])
    assert conv.has_alloc_free
    spans = SpanTable()
    spans.apply(ev)
    ids = spans.ids()
    assert len(ids) > 20
    occ = spans.occupancy(ids)
    assert (occ > 0).sum() > 10 and (occ <= 1).all()
    img, cell = spans.heatmap()
    assert img.any() and (cell >= 0).any()
    allocs = ev[ev["kind"] == EV.Alloc]
    existing = _existing_objects(go_traces["alloc"][0])
    assert int(allocs["a1"].sum()) == st["alloc_free"]["objects_alloc"] + existing


def _existing_objects(path) -> int:
    from gmpviz.gotrace import spec as S

    with GoTraceReader(str(path)) as r:
        return sum(int((arr["typ"] == S.EvHeapObject).sum()) for _g, arr in r.chunks())


def test_hostile_traces_are_one_line(tmp_path):
    bad = tmp_path / "bad.trace"
    bad.write_bytes(b"go 1.26 trace\x00\x00\x00\x01\x02\x03")
    with pytest.raises(RecordingError, match="bad.trace"):
        trace_to_recording(str(bad), str(tmp_path / "o.gmprec"))
    assert not (tmp_path / "o.gmprec").exists() and not (tmp_path / "o.gmprec.part").exists()
    with pytest.raises(RecordingError, match="No such file"):
        cached_recording(str(tmp_path / "missing.trace"))
    ok = tmp_path / "ok.trace"
    ok.write_bytes(simple_trace())
    with pytest.raises(RecordingError, match="directory"):
        trace_to_recording(str(ok), str(tmp_path / "nodir" / "o.gmprec"))


LOG = """workers 5
SCHED 0ms: gomaxprocs=2 idleprocs=0 threads=5 spinningthreads=0 needspinning=1 idlethreads=2 runqueue=1 [ 4 3 ] schedticks=[ 4 3 ]
gc 1 @0.003s 5%: 2.9+1.6+0.006 ms clock, 5.9+0/0.76/0+0.012 ms cpu, 3->6->5 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P
SCHED 100ms: gomaxprocs=2 idleprocs=1 threads=6 spinningthreads=0 needspinning=0 idlethreads=3 runqueue=0 [ 0 2 ] schedticks=[ 40 33 ]
gc 2 @0.150s 2%: 0.16+13+0.016 ms clock, 0.32+0.16/0.12/0.092+0.032 ms cpu, 10->17->11 MB, 11 MB goal, 0 MB stacks, 0 MB globals, 2 P
"""  # noqa: E501


def test_a_godebug_log_opens_as_heap_gc_and_run_queues(tmp_path, capsys, monkeypatch):
    from gmpviz.cli import main
    from gmpviz.record.fromtrace import log_to_recording
    from gmpviz.record.replay import Replay

    path = tmp_path / "run.log"
    path.write_text(LOG)
    out = log_to_recording(str(path), str(tmp_path / "log.gmprec"))
    rp = Replay.open(out)
    rp.load_all()
    m = rp.model
    cyc = m.gc.all_cycles(rp.t_end_ns)
    assert list(cyc["cycle"]) == [1, 2] and cyc["begin_ns"][1] == 150_000_000
    assert [int(d) for d in m.gc.pauses.col("duration_ns")] == [2_900_000, 6_000, 160_000, 16_000]
    assert m.counters.col("heap_goal").max() == 11 << 20
    t, n = m.runq_hist.series(-1)
    assert list(n) == [1, 0]
    rp.seek_time(rp.t_end_ns)
    assert [len(q) for q in rp.model.state.runq[:2]] == [0, 2]  # lengths only: unknown Gs
    assert main(["open", str(path), "--headless", "--json"]) == 0
    assert '"gc_cycles": 2' in capsys.readouterr().out
    (tmp_path / "other.log").write_text("hello\n")
    assert main(["open", str(tmp_path / "other.log")]) == 2
    assert "nor a GODEBUG" in capsys.readouterr().err
    assert main(["open", str(path), "--dump"]) == 2
