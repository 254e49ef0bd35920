"""gctrace lines: fmtNSAsMS and the gcMarkTermination format, checked against real Go output."""

import pytest

from gmpviz.core.gc.gctrace import (
    CycleStats,
    GCTraceParseError,
    fmtNSAsMS,
    format_gctrace,
    itoaDiv,
    parse_gctrace,
    parse_gctrace_lines,
)

MiB = 1 << 20

# Printed by go1.27.3 linux/amd64 running tests/fidelity/gcprog (GODEBUG=gctrace=1, GOMAXPROCS=2).
REAL_LINES = [
    "gc 1 @0.001s 5%: 0.015+0.17+0.007 ms clock, 0.031+0.15/0.034/0.11+0.015 ms cpu, "
    "3->3->3 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P",
    "gc 4 @0.012s 3%: 0.019+0.32+0.023 ms clock, 0.038+0.083/0.18/0+0.046 ms cpu, "
    "28->28->28 MB, 29 MB goal, 0 MB stacks, 0 MB globals, 2 P",
    "gc 20 @1.954s 0%: 0.16+0.48+0.005 ms clock, 0.33+0/0.28/0.17+0.011 ms cpu, "
    "64->64->32 MB, 65 MB goal, 0 MB stacks, 0 MB globals, 2 P",
]


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0"),
        (999, "0"),
        (1_000, "0.001"),
        (12_345, "0.012"),
        (99_999, "0.099"),
        (100_000, "0.10"),
        (150_000, "0.15"),
        (1_000_000, "1.0"),
        (1_500_000, "1.5"),
        (9_999_999, "9.9"),
        (10_000_000, "10"),
        (123_456_789, "123"),
    ],
)
def test_fmt_ns_as_ms(ns, text):
    assert fmtNSAsMS(ns) == text


def test_itoa_div():
    assert itoaDiv(5, 3) == "0.005"
    assert itoaDiv(1954, 3) == "1.954"
    assert itoaDiv(123456, 3) == "123.456"
    assert itoaDiv(42, 0) == "42"
    with pytest.raises(ValueError):
        fmtNSAsMS(-1)


def real_line_20_stats(**kw):
    """Inputs that reproduce REAL_LINES[2] (times in ns since runtime init)."""
    t0 = 1_954_000_000
    base = dict(
        numgc=20,
        tSweepTerm=t0,
        tMark=t0 + 165_000,
        tMarkTerm=t0 + 165_000 + 480_000,
        tEnd=t0 + 165_000 + 480_000 + 5_500,
        gc_cpu_fraction=0.004,
        stwprocs=2,
        assistTime=0,
        dedicatedMarkTime=200_000,
        fractionalMarkTime=80_000,
        idleMarkTime=170_000,
        heap0=64 * MiB + 100,
        heap1=64 * MiB + 200_000,
        heap2=32 * MiB + 500_000,
        lastHeapGoal=65 * MiB + 300_000,
        lastStackScan=40_000,
        globalsScan=120_000,
        maxprocs=2,
    )
    base.update(kw)
    return CycleStats(**base)


def test_format_reproduces_a_real_line():
    assert format_gctrace(real_line_20_stats()) == REAL_LINES[2]


def test_format_forced_and_big_values():
    c = real_line_20_stats(userForced=True, tEnd=1_954_000_000 + 25_000_000, runtimeInitTime=4_000_000)
    line = format_gctrace(c)
    assert line.startswith("gc 20 @1.950s 0%: 0.16+0.48+24 ms clock, ")
    assert line.endswith(", 2 P (forced)")
    assert "+48 ms cpu" in line  # 2 x 24.36 ms


def test_format_then_parse_round_trip():
    line = format_gctrace(real_line_20_stats(userForced=True))
    d = parse_gctrace(line)
    assert d["n"] == 20 and d["t_s"] == 1.954 and d["forced"]
    assert d["clock_ms"] == (0.16, 0.48, 0.005)
    assert d["cpu_ms"] == (0.33, 0.0, 0.28, 0.17, 0.011)
    assert (d["heap0_mb"], d["heap1_mb"], d["heap2_mb"], d["goal_mb"]) == (64, 64, 32, 65)


@pytest.mark.parametrize("line", REAL_LINES)
def test_parse_real_lines(line):
    d = parse_gctrace(line)
    assert d["procs"] == 2 and d["stacks_mb"] == 0 and d["globals_mb"] == 0 and not d["forced"]
    assert d["heap2_mb"] <= d["heap1_mb"] and d["goal_mb"] >= d["heap2_mb"]


def test_parse_pre_118_line_without_stacks_and_globals():
    d = parse_gctrace(
        "gc 1 @0.019s 0%: 0.015+0.63+0.006 ms clock, 0.12+0.25/0.45/0.94+0.051 ms cpu, "
        "4->4->0 MB, 5 MB goal, 8 P"
    )
    assert d["stacks_mb"] is None and d["goal_mb"] == 5 and d["procs"] == 8


def test_parse_rejects_other_lines_and_mixed_text_is_filtered():
    with pytest.raises(GCTraceParseError, match="not a gctrace line"):
        parse_gctrace("pacer: assist ratio=+1.0")
    text = "\n".join(["hello", REAL_LINES[0], "gc garbage", "scav 0 KiB work", REAL_LINES[1]])
    assert [d["n"] for d in parse_gctrace_lines(text)] == [1, 4]
