"""Perfetto JSON export, the export command's errors, replay cursor, bookmarks, the bench."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from gmpviz.cli import main
from gmpviz.console import format_size
from gmpviz.core.trace.events import EV
from gmpviz.record import RecordingError
from gmpviz.record.bookmarks import Bookmark, bookmarks_path, load_bookmarks, save_bookmarks
from gmpviz.record.export import export_main, parse_size
from gmpviz.record.perfetto import PID_M, PID_P, PID_RT, TID_GC, TID_STW, export_perfetto
from gmpviz.record.replay import Replay


@pytest.fixture(scope="module")
def trace(gc_rec, tmp_path_factory):
    out = tmp_path_factory.mktemp("pf") / "trace.json"
    export_perfetto(Replay.open(gc_rec[0]), str(out))
    return json.loads(out.read_text()), gc_rec[1]


def test_perfetto_tracks_per_p_and_m(trace):
    doc, ev = trace
    te = doc["traceEvents"]
    names = {(e["pid"], e.get("tid")): e["args"]["name"] for e in te if e["ph"] == "M"}
    nprocs = int(ev["p"].max()) + 1
    for p in range(nprocs):
        assert names[(PID_P, p)] == f"P{p}"
    assert (PID_M, 0) in names and names[(PID_RT, TID_GC)] == "GC" and names[(PID_RT, TID_STW)] == "STW"
    assert doc["displayTimeUnit"] == "ns" and doc["otherData"]["go_version"] == "go1.26"


def test_perfetto_slices_per_g_run(trace):
    doc, ev = trace
    on_p = [e for e in doc["traceEvents"] if e["ph"] == "X" and e["pid"] == PID_P and e["args"]["goid"]]
    starts = ev[(ev["kind"] == EV.GoStart) & (ev["p"] >= 0)]
    # a slice per G run (user Gs by name, GC mark workers as "GC worker G<n>")
    assert {e["args"]["goid"] for e in on_p} == set(starts["g"].tolist())
    assert 0.9 * len(starts) <= len(on_p) <= 3 * len(starts)
    for e in on_p:
        assert e["dur"] >= 0
        assert e["name"].endswith(f"G{e['args']['goid']}")
    # slices on one track never overlap (Perfetto needs proper nesting)
    for p in range(int(ev["p"].max()) + 1):
        s = sorted(
            (e["ts"], e["ts"] + e["dur"])
            for e in doc["traceEvents"]
            if e["ph"] == "X" and e["pid"] == PID_P and e["tid"] == p
        )
        assert all(a[1] <= b[0] + 1e-3 for a, b in zip(s, s[1:]))


def test_perfetto_gc_stw_counters(trace):
    doc, ev = trace
    te = doc["traceEvents"]
    gcs = [e for e in te if e["ph"] == "X" and e["pid"] == PID_RT and e["tid"] == TID_GC]
    assert len(gcs) == int(np.count_nonzero(ev["kind"] == EV.GCEnd))
    stw = [e for e in te if e["ph"] == "X" and e["pid"] == PID_RT and e["tid"] == TID_STW]
    assert len(stw) == int(np.count_nonzero(ev["kind"] == EV.STWEnd))
    heap = [e for e in te if e["ph"] == "C" and e["name"] == "heap bytes"]
    runq = [e for e in te if e["ph"] == "C" and e["name"] == "run queues"]
    assert len(heap) == len(runq) > 10
    assert {"HeapAlloc", "heap goal"} <= set(heap[0]["args"])


def test_perfetto_steal_flows(tmp_path):
    from _rechelp import record

    p = tmp_path / "ws.gmprec"
    _, ev = record(p, scenario="work-stealing", duration_ns=200_000_000)
    out = tmp_path / "ws.json"
    export_perfetto(Replay.open(str(p)), str(out))
    te = json.loads(out.read_text())["traceEvents"]
    steals = int(np.count_nonzero(ev["kind"] == EV.ProcSteal))
    s = [e for e in te if e["ph"] == "s"]
    f = [e for e in te if e["ph"] == "f"]
    assert steals > 0 and len(s) == len(f) == steals
    assert {e["id"] for e in s} == {e["id"] for e in f}
    assert all(e["bp"] == "e" for e in f)


def _args(file, **kw):
    d = dict(
        file=file,
        perfetto=None,
        png=None,
        at=None,
        video=None,
        t_from=None,
        t_to=None,
        fps=None,
        size=None,
    )
    d.update(kw)
    return argparse.Namespace(**d)


def test_export_arguments_errors(small_rec, tmp_path):
    with pytest.raises(RecordingError, match="nothing to export"):
        export_main(_args(small_rec[0]))
    with pytest.raises(RecordingError, match="--at goes with --png"):
        export_main(_args(small_rec[0], perfetto="x.json", at=5))
    with pytest.raises(RecordingError, match="size"):
        parse_size("big")
    assert parse_size("1921x1081") == (1920, 1080)
    with pytest.raises(RecordingError, match="outside"):
        export_main(_args(small_rec[0], png=str(tmp_path / "a.png"), at=10**12))
    assert not (tmp_path / "a.png").exists()


def test_cli_export_exit_codes(small_rec, tmp_path, capsys):
    out = tmp_path / "t.json"
    assert main(["export", small_rec[0], "--perfetto", str(out)]) == 0
    assert json.loads(out.read_text())["traceEvents"]
    assert not list(tmp_path.glob("*.part"))
    bad = tmp_path / "bad.gmprec"
    bad.write_bytes(b"\x89GMPREC\n\x07\x00\x00\x00\x00\x00\x00\x00")
    assert main(["export", str(bad), "--perfetto", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gmpviz: recording format version 7 is newer") and "\n" not in err


def test_cli_record_is_deterministic(tmp_path):
    a, b = tmp_path / "a.gmprec", tmp_path / "b.gmprec"
    for p in (a, b):
        assert main(["run", "work-stealing", "--headless", "--duration", "100ms", "--record", str(p)]) == 0
    assert a.read_bytes() == b.read_bytes()


def test_replay_cursor_steps_and_jumps(gc_rec):
    path, ev = gc_rec
    rp = Replay.open(path)
    assert rp.index == 0 and rp.t_ns == 0
    rp.seek_time(300_000_000)
    i = rp.index
    assert ev["t_ns"][i - 1] <= 300_000_000 < ev["t_ns"][i]
    rp.sync_log()
    cap = rp.model.log.capacity
    np.testing.assert_array_equal(rp.model.log.ordered(), ev[max(i - cap, 0) : i])
    rp.step(1)
    assert rp.index == i + 1 and rp.model.state.events == i + 1
    rp.sync_log()
    assert rp.model.log.ordered()[-1] == ev[i]
    rp.step(-2)
    assert rp.index == i - 1 and rp.model.state.events == i - 1
    gcs = np.flatnonzero(ev["kind"] == EV.GCBegin)
    rp.seek_index(0)
    assert rp.jump("gc", 1) and rp.index == gcs[0] + 1
    assert rp.current_event()["kind"] == EV.GCBegin
    assert rp.jump("gc", 1) and rp.index == gcs[1] + 1
    assert rp.jump("gc", -1) and rp.index == gcs[0] + 1
    assert not rp.jump("gc", -1)
    rp.seek_index(len(ev))
    assert not rp.jump("gc", 1)


def test_replay_histories_equal_live_model(small_rec):
    from gmpviz.model import Model

    path, ev = small_rec
    rp = Replay.open(path)
    rp.load_all()
    live = Model(rp.reader.groups)
    live.apply(ev)
    for name in ("ptl", "mtl"):
        a, b = getattr(rp.model, name), getattr(live, name)
        assert a.segment_count() == b.segment_count()
        np.testing.assert_array_equal(a.raster(0, 4e8, 500), b.raster(0, 4e8, 500))
    assert rp.model.gc.cycles.n == live.gc.cycles.n
    assert rp.model.ptl.markers.n == live.ptl.markers.n
    assert rp.model.runq_hist.cols.n == live.runq_hist.cols.n
    assert len(rp.model.counters) == len(rp.reader.counters)
    for lane_a, lane_b in zip(rp.model.ptl.lanes, live.ptl.lanes):
        np.testing.assert_array_equal(lane_a.seg.col("state"), lane_b.seg.col("state"))
        np.testing.assert_array_equal(lane_a.seg.col("start_ns"), lane_b.seg.col("start_ns"))


def test_bookmarks_round_trip(tmp_path):
    rec = str(tmp_path / "r.gmprec")
    assert load_bookmarks(rec) == []
    marks = [Bookmark("second GC", 200, 20), Bookmark("start", 0, 0)]
    save_bookmarks(rec, marks)
    assert load_bookmarks(rec) == sorted(marks, key=lambda b: b.index)
    with open(bookmarks_path(rec), "w") as f:
        f.write("{not json")
    with pytest.raises(RecordingError, match="bookmarks"):
        load_bookmarks(rec)


def test_bench_replay_small(tmp_path):
    from gmpviz.bench.replay import bench_replay

    res = bench_replay(n_events=30_000, path=str(tmp_path / "b.gmprec"))
    assert res["events"] == 30_000
    assert res["bytes_per_event"] <= 16
    assert res["replay_seek_ms_p95"] < 1000


def test_interrupted_export_leaves_nothing(small_rec, tmp_path):
    out = tmp_path / "t.json"
    calls = []

    def progress(f):
        calls.append(f)
        if f > 0.85:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_perfetto(Replay.open(small_rec[0]), str(out), progress)
    assert calls and not out.exists() and not list(tmp_path.iterdir())


def test_cli_record_to_bad_path(tmp_path, capsys):
    assert main(["run", "gosched", "--headless", "--record", str(tmp_path / "no" / "dir" / "x.gmprec")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gmpviz: cannot write the recording") and err.count("\n") == 1


def test_cli_export_png_says_nothing_on_stderr(small_rec, tmp_path):
    """Qt's offscreen plugin notice ("does not support propagateSizeHints()") is filtered out."""
    pytest.importorskip("PySide6")
    out = tmp_path / "f.png"
    r = subprocess.run(
        [sys.executable, "-m", "gmpviz", "export", small_rec[0], "--png", str(out), "--size", "640x360"],
        capture_output=True,
        text=True,
        timeout=180,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    assert r.returncode == 0 and r.stderr == ""
    size = format_size(out.stat().st_size)
    line = rf"wrote {re.escape(str(out))}: PNG image 640x360 at [0-9.]+ s \({re.escape(size)}\)\n"
    assert re.fullmatch(line, r.stdout) and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.png"]
