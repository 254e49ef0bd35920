"""The `tick` op: <-ticker.C of the goroutine's time.Ticker (issue 14's scenario operations)."""

from __future__ import annotations

import pytest
from _scen import scen

from gmpviz.core.engine import Engine
from gmpviz.core.trace.events import EV, WAIT_CHAN_RECV
from gmpviz.core.workload.loader import ScenarioError

TICKERS = """
[programs.main]
ops = [ { go = "fast" }, { go = "late" }, "block" ]
[programs.fast]
ops = [ { repeat = "forever", body = [ { tick = "2ms" }, { compute = "100us" } ] } ]
[programs.late]
ops = [ { repeat = "forever", body = [ { tick = "2ms" }, { compute = "5ms" } ] } ]
"""


def _run():
    eng = Engine(scen(TICKERS, gomaxprocs=2, duration="30ms"))
    eng.run()
    return eng, eng.drain()


def test_a_ticker_fires_on_its_grid_and_a_late_receiver_drops_the_missed_ticks():
    eng, ev = _run()
    user = sorted((g for g in eng.allgs if g.group >= 0 and g.goid != 1), key=lambda g: g.goid)
    fast, late = user[0], user[1]
    fires = ev[ev["kind"] == int(EV.TimerFire)]
    blocks = ev[ev["kind"] == int(EV.GoBlock)]
    fast_fires = fires[fires["g"] == fast.goid]["t_ns"].tolist()
    # a receiver that keeps up waits for every tick: ~14 in 30 ms, each after its grid time
    assert 12 <= len(fast_fires) <= 15
    start = fast.created_ns
    assert (fast.pace_due - start) % 2_000_000 < 100_000  # the grid: first tick one period after the op
    # the late one (5 ms per pass) parks for its first tick only: every later receive finds the
    # ticker's kept tick, and the ticks it missed are dropped (the grid goes on, not the backlog)
    late_blocks = blocks[(blocks["g"] == late.goid) & (blocks["a0"] == WAIT_CHAN_RECV)]
    assert len(late_blocks) == 1
    first = fires[fires["g"] == late.goid]
    assert len(first) == 1
    first_tick = int(first["t_ns"][0] - first["a0"][0])  # TimerFire a0: how late it ran
    # its last receive took the tick kept at most one period before it, on the first tick's grid
    assert (late.pace_due - first_tick) % 2_000_000 == 0
    assert eng.now_ns - 7_000_000 < late.pace_due <= eng.now_ns


@pytest.mark.parametrize(
    ("ops", "needle"),
    [
        ('[ { tick = "1ms" }, { pace = "1ms" } ]', "pace or tick"),
        ('[ { tick = "1ms" }, { tick = "2ms" } ]', "one period"),
        ('[ { tick = "0ms" } ]', "tick"),
    ],
)
def test_bad_ticks_are_one_line_errors(ops, needle):
    with pytest.raises(ScenarioError) as e:
        scen(f"[programs.main]\nops = {ops}\n", gomaxprocs=1, duration="1ms")
    assert needle in str(e.value) and "\n" not in str(e.value)
