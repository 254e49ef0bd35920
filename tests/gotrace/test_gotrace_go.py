"""The reader against Go's own: `gmpviz open --dump` equals `go tool trace -d=parsed`, line for line."""

from __future__ import annotations

import json

import pytest
from gotrace_fixtures import MODES

from gmpviz import cli
from gmpviz.gotrace import spec as S
from gmpviz.gotrace.dump import dump_lines
from gmpviz.gotrace.reader import GoTraceReader, read_trace

pytestmark = pytest.mark.fidelity


def _dump(path, fast=True) -> list[str]:
    with GoTraceReader(str(path), fast=fast) as r:
        lines = list(dump_lines(r.chunks()))
        assert r.error is None
    return lines


@pytest.mark.parametrize("mode", MODES)
def test_dump_equals_go_tool_trace(go_traces, mode):
    path, want = go_traces[mode]
    got = _dump(path)
    assert len(got) == len(want)
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        assert a == b, f"line {i + 1}"


@pytest.mark.parametrize("mode", ("cpu", "syscall", "procs"))
def test_exact_ordering_equals_go(go_traces, mode):
    """The one-event-at-a-time port of order.go gives Go's order too."""
    path, want = go_traces[mode]
    assert _dump(path, fast=False) == want


@pytest.mark.parametrize("mode", ("alloc", "gc", "syscall"))
def test_run_ordering_equals_go(go_traces, mode, monkeypatch):
    """The run-by-run loop (the fast path's fallback) gives Go's order on its own."""
    from gmpviz.gotrace import fast

    monkeypatch.setattr(fast, "order_generation_fast", lambda *a: None)
    path, want = go_traces[mode]
    assert _dump(path) == want


@pytest.mark.parametrize("mode", MODES)
def test_small_windows_equal_go(go_traces, mode, monkeypatch):
    """A generation streamed in windows of a few events (and batches decoded one at a time) is
    still Go's order: the windows' cuts and their ties are right. Which path orders a window is
    not asserted: a fresh real trace may hold a tie the fast path leaves to the run-by-run merge
    (three Ms on one timestamp, or a cut between two tied Ms), and that merge is Go's order too."""
    from gmpviz.gotrace import fast

    monkeypatch.setattr(fast, "WINDOW_EVENTS", 5)
    monkeypatch.setattr(fast, "GROUP_BYTES", 1)
    path, want = go_traces[mode]
    with GoTraceReader(str(path)) as r:
        assert list(dump_lines(r.chunks())) == want
        assert r.error is None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("window", (3, 1000))
def test_run_ordering_in_small_windows_equals_go(go_traces, mode, window, monkeypatch):
    """The run-by-run merge streamed in windows (Go's heap carried across them, a window redone
    with more events when the merge must look past it) is Go's order too."""
    from gmpviz.gotrace import fast

    monkeypatch.setattr(fast, "order_generation_fast", lambda *a: None)
    monkeypatch.setattr(fast, "WINDOW_EVENTS", window)
    monkeypatch.setattr(fast, "GROUP_BYTES", 1)
    path, want = go_traces[mode]
    assert _dump(path) == want


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("min_run", (1, 10**9))
def test_array_runs_and_single_steps_equal_go(go_traces, mode, min_run, monkeypatch):
    """The fast path's active events advanced as arrays wherever they can be (runs of one event
    up: vecorder.advance_run or advance_prefix on every run), and never (one event at a time):
    Go's order both ways, and in small windows too (each window's runs start from the state the
    last one left)."""
    from gmpviz.gotrace import fast, vecorder

    calls = {"runs": 0, "settled": 0}
    real, real_prefix = vecorder.advance_run, vecorder.advance_prefix

    def counted(*a, **kw):
        calls["runs"] += 1
        got = real(*a, **kw)
        calls["settled"] += got is not None
        return got

    def counted_prefix(state, gen, ms, ty, *a):
        calls["runs"] += 1
        done, got = real_prefix(state, gen, ms, ty, *a)
        calls["settled"] += done == len(ty)  # the whole run, as advance_run settles it
        return done, got

    monkeypatch.setattr(fast, "advance_run", counted)
    monkeypatch.setattr(fast, "advance_prefix", counted_prefix)
    monkeypatch.setattr(fast, "_MIN_RUN", min_run)
    path, want = go_traces[mode]
    for window in (fast.WINDOW_EVENTS, 50):
        monkeypatch.setattr(fast, "WINDOW_EVENTS", window)
        with GoTraceReader(str(path)) as r:
            assert list(dump_lines(r.chunks())) == want
            assert r.error is None
            assert r.fast_generations == r.generations
    if min_run == 1:
        assert calls["settled"] > 0 and calls["settled"] >= 0.5 * calls["runs"], calls
    else:
        assert calls["runs"] == 0


def test_fast_path_takes_the_fixtures(go_traces):
    for mode in MODES:
        with GoTraceReader(str(go_traces[mode][0])) as r:
            list(r.chunks())
            assert r.fast_generations == r.generations, mode


def test_fixtures_cover_the_format(go_traces):
    # GoSyscallEndBlocked and ProcSteal are left out: whether a syscall returns to find no P, or an idle
    # P steals, depends on the machine's timing (sysmon's retake, idle Ps), so a fixture cannot force
    # them; the dump-equality tests cover whatever the fixtures do contain.
    seen = set()
    for mode in MODES:
        chunks, err = read_trace(str(go_traces[mode][0]))
        assert err is None
        for _g, arr in chunks:
            seen.update(arr["typ"].tolist())
    for t in (
        S.EvProcStatus, S.EvGoStatus, S.EvGoStart, S.EvGoBlock, S.EvGoUnblock, S.EvGoSyscallBegin,
        S.EvGoSyscallEnd, S.EvProcsChange, S.EvGCBegin, S.EvGCEnd,
        S.EvSTWBegin, S.EvSTWEnd, S.EvHeapAlloc, S.EvHeapGoal, S.EvUserTaskBegin, S.EvUserRegionBegin,
        S.EvUserLog, S.EvSpanAlloc, S.EvHeapObjectAlloc, S.EvHeapObjectFree, S.EvGoroutineStackAlloc,
        S.EvSyncEvent,
    ):  # fmt: skip
        assert t in seen, S.NAMES.get(t, t)


def test_cli_dump_and_headless(go_traces, capsys):
    path, want = go_traces["gc"]
    assert cli.main(["open", str(path), "--dump"]) == 0
    assert capsys.readouterr().out.splitlines() == want
    assert cli.main(["open", str(path), "--headless", "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["gc"]["cycles"] >= 3 and st["gc"]["stw_count"] >= 6 and st["error"] is None
    assert st["events"] == len(want)


def test_summary_counts(go_traces, capsys):
    def summary(mode):
        assert cli.main(["open", str(go_traces[mode][0]), "--headless", "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    assert summary("alloc")["alloc_free"]["objects_alloc"] > 10_000
    assert summary("syscall")["syscalls"] > 100
    leak = summary("leak")["goroutines"]["live_by_status"]
    assert leak.get("_Gwaiting", 0) >= 21  # 10 on a channel, 10 on a mutex, one in select {}
    procs_path = go_traces["procs"][0]
    chunks, _ = read_trace(str(procs_path))
    values = [int(a[0]) for _g, arr in chunks for a in arr["args"][arr["typ"] == S.EvProcsChange]]
    assert 1 in values and 3 in values


def test_truncated_trace_keeps_complete_generations(go_traces, tmp_path, capsys):
    path, want = go_traces["alloc"]
    data = path.read_bytes()
    for cut in (len(data) // 3, len(data) - 7):
        p = tmp_path / f"cut{cut}.trace"
        p.write_bytes(data[:cut])
        rc = cli.main(["open", str(p), "--dump"])
        captured = capsys.readouterr()
        err = captured.err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("gmpviz: "), err
        if rc == 0:
            assert "warning" in err[0]
            assert captured.out.splitlines() == want[: len(captured.out.splitlines())]
        else:
            assert rc == 2
        assert cli.main(["open", str(p), "--dump", "--strict"]) == 2
        capsys.readouterr()


@pytest.mark.parametrize("mode", ("alloc", "gc"))
def test_cut_and_flipped_real_traces(go_traces, tmp_path, capsys, mode):
    """A real trace cut anywhere or with a byte changed: exit 0 with what Go prints up to the
    break (a prefix of Go's lines, every complete generation) and one warning line, or exit 2
    with one line; never a traceback. (A changed byte may still read: then it is just a trace.)"""
    import random

    path, want = go_traces[mode]
    data = path.read_bytes()
    rnd = random.Random(16)
    cuts = sorted({rnd.randrange(1, len(data)) for _ in range(12)} | {17, len(data) - 1})
    for cut in cuts:
        p = tmp_path / "cut.trace"
        p.write_bytes(data[:cut])
        for flags in (["--dump"], ["--headless", "--json"]):
            rc = cli.main(["open", str(p), *flags])
            cap = capsys.readouterr()
            err = cap.err.strip().splitlines()
            assert rc in (0, 2) and len(err) == 1 and err[0].startswith("gmpviz: "), (cut, rc, err)
            if flags == ["--dump"]:
                got = cap.out.splitlines()
                assert got == want[: len(got)], cut
                if rc == 0:
                    assert "warning" in err[0]
    for _ in range(12):
        b = bytearray(data)
        b[rnd.randrange(16, len(b))] = rnd.randrange(256)
        p = tmp_path / "flip.trace"
        p.write_bytes(bytes(b))
        rc = cli.main(["open", str(p), "--dump"])
        cap = capsys.readouterr()
        assert rc in (0, 2) and len(cap.err.strip().splitlines()) <= 1, cap.err[-300:]
