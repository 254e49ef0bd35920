"""Issue 12, the engine's budget: the emulated program runs out of emulated memory as Go does, a
loop with no progress in virtual time is stopped, and no scenario can exhaust the host."""

from __future__ import annotations

import time

import numpy as np
import pytest

from gmpviz.cli import main
from gmpviz.core.engine import Engine
from gmpviz.core.trace.events import EV
from gmpviz.core.workload import budget
from gmpviz.core.workload.loader import loads_scenario

ALLOC_1TIB = """
[programs.main]
ops = [{ repeat = "forever", body = [{ alloc = "1TiB", lifetime = "forever" }, { compute = "1ms" }] }]
"""
LEAK_64MIB = """
[programs.main]
ops = [{ repeat = "forever", body = [{ alloc = "64MiB", lifetime = "forever" }, { compute = "10us" }] }]
"""
NESTED_MAKE = """
[channels]
c = 0
[programs.main]
ops = [{ repeat = 10000000, body = [{ repeat = 10000000, body = [{ make = "c" }] }] }]
"""
GO_COUNT = """
[programs.main]
ops = [{ go = "w", count = 10000000 }, { sleep = "1s" }]
[programs.w]
ops = ["block"]
"""
SELF_SPAWN = """
[programs.main]
ops = [{ go = "w" }, "block"]
[programs.w]
ops = [{ go = "w" }, { go = "w" }, { compute = "1us" }, "block"]
"""
DEFER_FOREVER = """
[programs.main]
ops = [{ repeat = "forever", body = [{ defer = 10000000 }, { compute = "1us" }] }]
"""


def _run(text: str, duration_ns: int = 2_000_000_000, **kw) -> Engine:
    eng = Engine(loads_scenario(text), duration_ns=duration_ns, **kw)
    t0 = time.perf_counter()
    t = 0
    while not eng.done:
        t += 10_000_000
        eng.run_until(t, max_events=budget.HEADLESS_MAX_EVENTS)
        eng.discard_output()
        assert time.perf_counter() - t0 < 60
    return eng


def test_alloc_1tib_in_a_loop_runs_out_of_emulated_memory():
    eng = _run(ALLOC_1TIB)
    assert eng.error.splitlines()[-1] == "fatal error: runtime: out of memory"
    assert eng.allocator.heap.mapped_pages * 8192 <= budget.DEFAULT_MACHINE_BYTES


def test_a_leak_fills_the_emulated_machine_then_fails_like_go():
    eng = _run(LEAK_64MIB, duration_ns=3600 * 10**9)
    assert eng.error.endswith("fatal error: runtime: out of memory")
    assert eng.allocator.heap.mapped_pages * 8192 > budget.DEFAULT_MACHINE_BYTES // 2


def test_a_container_limit_kills_first():
    eng = _run('container_limit = "256MiB"\n' + LEAK_64MIB)
    assert eng.error.startswith("signal: killed (OOM)")


def test_a_loop_without_progress_in_virtual_time_is_stopped():
    t0 = time.perf_counter()
    eng = _run(NESTED_MAKE)
    assert "no progress in virtual time" in eng.error
    assert eng.now < 10_000_000 and time.perf_counter() - t0 < 30


@pytest.mark.parametrize("text", [GO_COUNT, SELF_SPAWN], ids=["go-count", "self-spawn"])
def test_live_goroutines_are_bounded(monkeypatch, text):
    monkeypatch.setattr(budget, "MAX_LIVE_GOROUTINES", 3000)
    eng = _run(text)
    assert "goroutines alive at once" in eng.error
    assert eng.n_created - eng.n_exited <= 3000


def test_a_huge_defer_count_is_placed_in_batches():
    eng = Engine(loads_scenario(DEFER_FOREVER), duration_ns=50_000_000)
    biggest = 0
    while not eng.done and eng.now < 30_000_000:
        eng.run_until(eng.now + 1_000_000, max_events=budget.HEADLESS_MAX_EVENTS)
        ev = eng.drain()
        biggest = max(biggest, len(ev))
        d = ev[ev["kind"] == int(EV.GoDefer)]
        if len(d):
            assert np.all(np.diff(d["a0"]) == 1)  # the chain keeps counting one record at a time
    assert 0 < biggest <= budget.HEADLESS_MAX_EVENTS + budget.DEFER_BATCH


def test_the_cli_prints_the_fatal_error(tmp_path, capsys):
    p = tmp_path / "oom.toml"
    p.write_text(ALLOC_1TIB)
    assert main(["run", str(p), "--headless", "--duration", "100ms"]) == 0
    out = capsys.readouterr()
    assert "fatal error: runtime: out of memory" in out.err
