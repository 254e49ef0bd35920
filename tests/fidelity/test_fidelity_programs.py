"""Fidelity: our five Go programs against their gmpviz scenarios, figure by figure (issues 14 and 15).

Each real program (progs/NAME/main.go) runs DEFAULT_RUNS times under
`GODEBUG=gctrace=1,schedtrace=100` (cached per session under $TMPDIR/gmpviz-fidelity-go/runs/, keyed
by source, flags and environment); its scenario (scenarios/NAME.toml) is emulated once. Both texts
go through the same `figures.figures`; the emulated figure must be within its issue's tolerance of
the real runs' median (`realgo.TOLERANCES`: GC cycles 10 %, heap goal 5 %, run-queue means,
schedticks per P per second and threads 20 %, stacks 10 % (#14); mark wall time, ms-cpu split,
heap1/heap2 30 %, STW within 2x (#15)).

The table in docs/fidelity.md was measured twice, with two independent sets of 5 real runs
(2026-12-01 11:12 UTC, 1-min load 10.5-11.5, and 14:18 UTC, load 17: the real programs got 6-24 % of
the 2 CPUs), after issue 14's machine model (ncpu, start-up goroutines, measured thread latencies).
HOLDS lists the figures within tolerance in both sets, or in every earlier pair of sets and in the
first set here (three broke only in the starved second set: docs/fidelity.md): those are asserted.
UNSTABLE ones held in some sets only (their real spread is wider than the tolerance);
MISSES held in neither: today's model misses them, by the ratios given. Neither is asserted. With
GMPVIZ_FIDELITY_MISSES=1 they run too, as non-strict xfails, so a model change that brings one
within tolerance shows as XPASS (`GMPVIZ_FIDELITY_MISSES=1 pytest -m fidelity -rX tests/fidelity`)
and it can move to HOLDS. Nothing here is fitted to these runs: the scenarios are derived from the
programs' flags, and their approximations are written in each scenario file.

NOT_COMPARED names the rest: figures a program does not produce (no GC cycles), and figures that were
0 in every real run and in the emulation (e.g. stacks under 1 MB, which gctrace truncates to 0),
which would pass for any model.
"""

import os

import pytest
import realgo

from gmpviz.gotrace.godebuglog import FIGURES

N_RUNS = realgo.DEFAULT_RUNS

HOLDS: list[tuple[str, str]] = [
    # issue 15's markshape programs: one set of 5 runs (2026-12-01 14:19-14:20 UTC, 1-min load 18)
    # issue 14's machine model (h14fid), measured before issue 15's marking was merged:
    # issue 15's figures on the quiet set /work/quiet/q1 (7 runs per program, 2026-12-01 16:10 UTC,
    # 1-min load 1.0-1.3), after session 3's marking (fractional workers, drainCheckThreshold,
    # gcParkAssist, object-queue costs, gcMarkDone's ragged barrier, the live slices): emulated / real median
    ("ringalloc", "heap1_mb"),  # 0.93
    ("ringalloc", "heap2_mb"),  # 0.94
    ("pipes", "heap1_mb"),  # 1.00
    ("leak", "heap1_mb"),  # 1.00
    ("marksmall", "heap2_mb"),  # 1.00
    ("marklarge", "heap1_mb"),  # 0.97
    ("marklarge", "heap2_mb"),  # 0.95
    ("marknoscan", "heap1_mb"),  # 0.98
    ("marknoscan", "heap2_mb"),  # 1.00
    # issue 14 figures on the quiet set q1 (7 runs, 16:10 UTC), h14fid merged with main:
    ("cpubound", "threads"),
    ("ringalloc", "gc_cycles"),
    ("ringalloc", "threads"),
    ("pipes", "heap_goal_mb"),
    ("pipes", "threads"),
    ("leak", "threads"),
    ("maxprocs", "heap_goal_mb"),
    ("maxprocs", "threads"),
    ("ringalloc", "heap_goal_mb"),
    ("marklarge", "threads_start"),
    ("maxprocs", "threads_start"),
    # issue 15 after session 4's marking (hfid15: the runtime's own roots, suspendG waits, gcMarkDone's
    # second ragged barrier, root-loop checks, markStartTime), within tolerance on the quiet set q1 and on
    # the loaded set of the default cache (q1 ratio, loaded ratio):
    ("ringalloc", "cpu_idle_ms"),  # 0.85, 0.89
    # session 4 (hfid14: the safe-point model, sched/safepoint.py; preempted Gs on a contended CPU stop
    # within a slice): within tolerance on q1 (1.05) and on the loaded 11:12 set (0.96)
    ("cpubound", "runq_global_mean"),
]

# Within tolerance in one of the two published run sets, not in the other (the real spread is wider
# than the tolerance): (emulated / real median in set A, in set B; None: real median 0).
UNSTABLE: dict[tuple[str, str], tuple[float | None, float | None]] = {
    # held in both published sets but missed in one set of an earlier pair (10:43-10:45 UTC, load
    # 8.1-10.4, the same programs before their stdout line): cpubound 0.76, ringalloc real 0.05
    # against 0, leak 0.64
    # markshape: within tolerance in its one run set, but the real spread is wider than the
    # tolerance or the figure is too coarse to call (the ratio of that set, twice)
    # issue 14's machine model (h14fid), measured before issue 15's marking was merged:
    # issue 15's figures within tolerance on the quiet set /work/quiet/q1 (16:10 UTC, load ~1.1) but
    # not on the loaded set the tests' cache holds (5 runs, 1-min load 10.5-18.5): (quiet, loaded)
    ("leak", "heap2_mb"): (1.00, 1.50),
    ("maxprocs", "heap2_mb"): (None, 0.00),
    ("maxprocs", "stw_total_ms"): (2.82, 0.70),
    ("marksmall", "heap1_mb"): (0.95, 1.72),
    ("marksmall", "mark_ms"): (0.82, 0.32),
    ("marksmall", "cpu_idle_ms"): (0.92, 3.90),
    ("marklarge", "cpu_idle_ms"): (1.18, 5.47),
    # issue 14 figures on the quiet set q1 (7 runs, 16:10 UTC), h14fid merged with main:
    # within tolerance, but the real spread is wider than the tolerance, or (cpubound threads_start,
    # leak stacks_mb) not within it on the loaded 11:12 set the default cache holds (q1 ratio twice)
    ("cpubound", "threads_start"): (1.00, 1.00),
    ("ringalloc", "runq_local_mean"): (None, None),
    ("ringalloc", "idlethreads_mean"): (1.12, 1.12),
    ("leak", "heap_goal_mb"): (1.00, 1.00),
    ("marklarge", "threads"): (1.00, 1.00),
    ("marknoscan", "heap_goal_mb"): (1.03, 1.03),
    ("marknoscan", "runq_local_mean"): (None, None),
    ("marknoscan", "threads_start"): (1.00, 1.00),
    ("pipes", "threads_start"): (1.00, 1.00),
    ("leak", "threads_start"): (1.00, 1.00),
    ("leak", "stacks_mb"): (1.00, 1.00),
    ("marksmall", "runq_local_mean"): (None, None),
    ("marksmall", "schedticks_per_p_s"): (0.85, 0.85),
    ("marksmall", "threads"): (1.00, 1.00),
    ("marksmall", "threads_start"): (1.00, 1.00),
    ("marksmall", "idlethreads_mean"): (0.89, 0.89),
    ("marklarge", "runq_local_mean"): (None, None),
    ("marklarge", "idlethreads_mean"): (0.94, 0.94),
    ("marknoscan", "threads"): (1.00, 1.00),
    ("marknoscan", "idlethreads_mean"): (1.11, 1.11),
    ("maxprocs", "runq_local_mean"): (1.15, 1.15),
    # within tolerance on q1, far off on the loaded sets of the default cache (load 10.6 and 18: the
    # real maxprocs allocated a fraction of its rate, marksmall's real heap goal was 17 MB): (loaded, q1)
    ("marksmall", "heap_goal_mb"): (2.12, 1.00),
    # issue 15 after session 4's marking (hfid15): within tolerance on the quiet set q1 but not on the
    # loaded set of the default cache (5 runs, load 10.5), or (the first three, held before) no longer on
    # one of them: (q1 ratio, loaded ratio)
    ("maxprocs", "heap1_mb"): (1.33, 1.00),
    ("pipes", "mark_ms"): (0.82, 0.02),
    ("leak", "cpu_idle_ms"): (0.71, 1.44),
    ("marksmall", "cpu_assist_ms"): (1.09, 0.02),
    ("marklarge", "gc_cycles"): (1.00, 1.75),
    ("marknoscan", "gc_cycles"): (1.00, 1.14),
    # session 4 (hfid14, the safe-point model): within tolerance on q1, not on the loaded 11:12 set
    # (q1, loaded). ringalloc's assists (in HOLDS before: 0.93 and 0.74) shrank with the shorter
    # pauses now that allocating Gs stop at their next step; cpubound's real schedticks on the loaded
    # set (24.8) measure the load
    ("cpubound", "schedticks_per_p_s"): (1.02, 2.03),
    ("maxprocs", "runq_global_mean"): (0.94, 1.23),
    # session 5 (hfid15: the measured sweep-termination wake-up stall and mark-termination cost): within
    # tolerance on q1 but not on the loaded set of the default cache, whose pauses measure its load
    # (1-min load 10.5-18), or (marknoscan's assists) the other way round: (q1, loaded)
    ("ringalloc", "stw_total_ms"): (0.62, 0.29),
    ("pipes", "stw_total_ms"): (0.58, 0.14),
    ("pipes", "cpu_background_ms"): (0.79, 0.59),
    ("leak", "cpu_assist_ms"): (1.23, 1.68),
    ("maxprocs", "stw_max_ms"): (1.90, 0.31),
    ("marksmall", "stw_max_ms"): (1.00, 0.01),
    ("marknoscan", "stw_total_ms"): (0.95, 0.08),
    ("marknoscan", "stw_max_ms"): (1.54, 0.03),
    ("marknoscan", "cpu_assist_ms"): (0.41, 0.74),
}

# Outside tolerance in both sets: (emulated / real median in set A, in set B; None: real median 0).
MISSES: dict[tuple[str, str], tuple[float | None, float | None]] = {
    # markshape, one run set at load 18 (the ratio twice): the real process got 4-9 % of the CPUs,
    # so wall-clock figures (mark phase, STW, gctrace's ms cpu) measure the machine's load
    # issue 14's machine model (h14fid), measured before issue 15's marking was merged:
    # issue 15's figures on the quiet set /work/quiet/q1 (7 runs per program, 2026-12-01 16:10 UTC,
    # 1-min load 1.0-1.3), after session 3's marking (fractional workers, drainCheckThreshold,
    # gcParkAssist, object-queue costs, gcMarkDone's ragged barrier, the live slices): the ratio
    # twice (one set), re-measured after session 4's marking (hfid15)
    # session 5: with the wake-up stall measured isolated (SCHED_FIFO, median 44 µs; the loaded 86 µs
    # measured the neighbours) leak's STW total is 0.28 of q1 and 0.37 of the loaded set, and 1.34 of
    # a SCHED_FIFO set of real runs (docs/fidelity.md, "isolated real runs"): (q1, loaded)
    ("leak", "stw_total_ms"): (0.28, 0.37),
    ("ringalloc", "stw_max_ms"): (0.14, 0.14),
    ("ringalloc", "mark_ms"): (0.24, 0.24),
    ("ringalloc", "cpu_background_ms"): (0.22, 0.22),
    ("pipes", "stw_max_ms"): (0.03, 0.03),
    ("pipes", "cpu_idle_ms"): (193.14, 193.14),
    ("leak", "stw_max_ms"): (0.07, 0.07),
    ("leak", "mark_ms"): (0.59, 0.59),
    ("leak", "cpu_background_ms"): (0.19, 0.19),
    ("maxprocs", "mark_ms"): (4.25, 4.25),
    ("maxprocs", "cpu_assist_ms"): (0.11, 0.11),
    ("maxprocs", "cpu_background_ms"): (0.23, 0.23),
    ("marksmall", "stw_total_ms"): (0.32, 0.32),
    ("marksmall", "cpu_background_ms"): (0.49, 0.49),
    ("marklarge", "stw_total_ms"): (0.11, 0.11),
    ("marklarge", "stw_max_ms"): (0.08, 0.08),
    ("marklarge", "mark_ms"): (0.62, 0.62),
    ("marklarge", "cpu_assist_ms"): (0.65, 0.65),
    ("marklarge", "cpu_background_ms"): (0.18, 0.18),
    ("marknoscan", "mark_ms"): (0.63, 0.63),
    ("marknoscan", "cpu_idle_ms"): (2.32, 2.32),
    # issue 14 figures on the quiet set q1 (7 runs, 16:10 UTC), h14fid merged with main:
    # outside tolerance (the q1 ratio twice)
    ("leak", "runq_local_mean"): (3.00, 3.00),
    ("ringalloc", "threads_start"): (1.33, 1.33),
    ("pipes", "idlethreads_mean"): (3.17, 3.17),
    ("leak", "idlethreads_mean"): (1.23, 1.23),
    ("maxprocs", "schedticks_per_p_s"): (0.67, 0.67),
    ("cpubound", "idlethreads_mean"): (0.67, 0.67),
    ("ringalloc", "runq_global_mean"): (0.00, 0.00),
    ("ringalloc", "schedticks_per_p_s"): (0.02, 0.02),
    ("pipes", "gc_cycles"): (1.23, 1.23),
    ("pipes", "runq_global_mean"): (0.00, 0.00),
    ("pipes", "runq_local_mean"): (2.00, 2.00),
    ("pipes", "schedticks_per_p_s"): (1.28, 1.28),
    ("leak", "gc_cycles"): (1.18, 1.18),
    ("leak", "runq_global_mean"): (0.00, 0.00),
    ("leak", "schedticks_per_p_s"): (0.03, 0.03),
    ("marksmall", "gc_cycles"): (0.86, 0.86),
    ("marksmall", "runq_global_mean"): (0.00, 0.00),
    ("marklarge", "heap_goal_mb"): (1.05, 1.05),
    ("marklarge", "schedticks_per_p_s"): (0.00, 0.00),
    ("marknoscan", "runq_global_mean"): (0.00, 0.00),
    ("marknoscan", "schedticks_per_p_s"): (0.06, 0.06),
    # session 4 (hfid14, the safe-point model), outside tolerance in both sets (q1, loaded):
    # maxprocs' idle threads held (0.89) only because one schedtrace line fell inside a stop-the-world
    # (two Ms parked by it); the structural miss is a thread fewer than real (5 against 6 after
    # GOMAXPROCS 2 -> 4), and with shorter pauses no line lands in one any more
    ("maxprocs", "idlethreads_mean"): (0.67, 0.75),
    ("maxprocs", "gc_cycles"): (1.15, 6.30),
    ("cpubound", "runq_local_mean"): (1.31, 1.75),
    # session 5 (hfid15): held on one set before, on neither since the wake-up stall (the triggering
    # allocator sits out the stall while the woken worker marks, so it assists less): (q1, loaded)
    ("ringalloc", "cpu_assist_ms"): (0.63, 0.50),
    ("pipes", "cpu_assist_ms"): (0.58, 5.49),
    ("marknoscan", "cpu_background_ms"): (0.37, 0.49),
}

_NO_GC = "no GC cycles (nothing allocates after start-up)"
_ZERO = "0 in every real run and emulated: passes for any model"
# (program, figure) -> why the pair is not compared.
NOT_COMPARED: dict[tuple[str, str], str] = {
    ("cpubound", "gc_cycles"): _ZERO,
    ("cpubound", "heap_goal_mb"): _NO_GC,
    ("cpubound", "heap1_mb"): _NO_GC,
    ("cpubound", "heap2_mb"): _NO_GC,
    ("cpubound", "stw_total_ms"): _NO_GC,
    ("cpubound", "stw_max_ms"): _NO_GC,
    ("cpubound", "mark_ms"): _NO_GC,
    ("cpubound", "cpu_assist_ms"): _NO_GC,
    ("cpubound", "cpu_background_ms"): _NO_GC,
    ("cpubound", "cpu_idle_ms"): _NO_GC,
    ("cpubound", "stacks_mb"): _NO_GC,
    ("ringalloc", "stacks_mb"): _ZERO,
    ("pipes", "heap2_mb"): _ZERO,
    ("pipes", "stacks_mb"): _ZERO,
    ("maxprocs", "cpu_idle_ms"): _ZERO,
    ("maxprocs", "stacks_mb"): _ZERO,
    ("marksmall", "stacks_mb"): _ZERO,
    ("marklarge", "stacks_mb"): _ZERO,
    ("marknoscan", "stacks_mb"): _ZERO,
    ("marklarge", "runq_global_mean"): _ZERO,
    **{(p, "gc_cpu_pct"): "no tolerance set (issue 16 prints it)" for p in realgo.PROGRAMS},
}


@pytest.fixture(scope="module", autouse=True)
def _emulations_first():
    """Emulate every scenario (side by side) before the first real run needs the CPUs."""
    realgo.emulate_all(list(realgo.PROGRAMS))


def _row(program: str, figure: str) -> realgo.Row:
    return next(r for r in realgo.compare(program, N_RUNS) if r.figure == figure)


def _explain(row: realgo.Row) -> str:
    runs = realgo.real_runs(row.program, N_RUNS)
    tol, issue = realgo.TOLERANCES[row.figure]
    return (
        f"{row.program} {row.figure}: emulated {row.emulated} vs real median {row.real_median} "
        f"[{row.real_min}..{row.real_max}] over {len(runs)} runs (1-min load "
        f"{', '.join(f'{r.load1:.1f}' for r in runs)}); tolerance {tol:.0%} ({issue})"
    )


def _ratios(r: tuple[float | None, float | None]) -> str:
    return " and ".join("- (real 0)" if x is None else f"{x:.2f}" for x in r)


def _params():
    for prog, fig in HOLDS:
        yield pytest.param(prog, fig, id=f"{prog}-{fig}")
    if os.environ.get("GMPVIZ_FIDELITY_MISSES") != "1":
        return  # the default run asserts what holds; the misses are in docs/fidelity.md
    for (prog, fig), r in UNSTABLE.items():
        why = f"within tolerance in some run sets only (emulated/real {_ratios(r)})"
        yield pytest.param(prog, fig, id=f"{prog}-{fig}", marks=pytest.mark.xfail(reason=why, strict=False))
    for (prog, fig), r in MISSES.items():
        why = f"known miss: emulated/real {_ratios(r)}"
        yield pytest.param(prog, fig, id=f"{prog}-{fig}", marks=pytest.mark.xfail(reason=why, strict=False))


@pytest.mark.parametrize(("program", "figure"), list(_params()))
def test_emulated_figure_within_tolerance_of_real_median(program, figure):
    row = _row(program, figure)
    assert row.holds is not None, f"{program} {figure}: not comparable ({_explain(row)})"
    assert row.holds, _explain(row)


def test_every_figure_is_held_a_known_miss_or_not_compared():
    """HOLDS, UNSTABLE, MISSES and NOT_COMPARED cover programs x figures, each pair exactly once."""
    lists = [set(HOLDS), set(UNSTABLE), set(MISSES), set(NOT_COMPARED)]
    assert sum(map(len, lists)) == len(set().union(*lists)), "a pair is in two lists"
    everything = {(p, f) for p in realgo.PROGRAMS for f in FIGURES}
    assert set().union(*lists) == everything
