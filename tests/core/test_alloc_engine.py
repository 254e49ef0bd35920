"""The allocator plugged into the scheduler engine through AllocMixin (presets run end to end)."""

import numpy as np
import pytest
from _scen import START_UP_OBJECTS, scen

from gmpviz.core.alloc.hooks import AllocMixin
from gmpviz.core.engine import Engine
from gmpviz.core.trace.events import EV, alloc_decode
from gmpviz.core.workload.loader import load_scenario

if issubclass(Engine, AllocMixin):  # the engine composes the allocator hooks (and the GC) itself
    AllocEngine = Engine
else:

    class AllocEngine(AllocMixin, Engine):
        pass


def test_handlers_allocate_through_mallocgc_and_stacks_through_stackalloc():
    sc = scen(
        """
[programs.main]
ops = [ { go = "worker", count = 8 }, { sleep = "2ms" } ]
[programs.worker]
ops = [
  { alloc = "4B", count = 50, lifetime = "goroutine" },
  { alloc = "64B", count = 300, pointers = true, lifetime = "temp" },
  { alloc = "100KiB", lifetime = "goroutine" },
  { stack = 8, frame = "1KiB" },
  { defer = 3, heap = true },
  "exit",
]
""",
        gomaxprocs=2,
        duration="5ms",
    )
    eng = AllocEngine(sc)
    eng.run()
    ev = eng.drain()
    a = eng.allocator
    assert len(a.mcaches) == 2
    allocs = ev[ev["kind"] == int(EV.Alloc)]
    # and the 9 gs (main, 8 workers) and runtime.main's start-up objects
    assert int(allocs["a1"].sum()) == 8 * (50 + 300 + 1 + 3) + 9 + START_UP_OBJECTS
    paths = {int(alloc_decode(int(x))[0]) for x in allocs["a0"]}
    assert paths == {0, 1, 2}
    st = a.memstats()
    # and the 9 gs (main and 8 workers) newproc's malg takes from the heap
    assert st["Mallocs"] == 8 * (50 + 300 + 1 + 3) + 9 + START_UP_OBJECTS
    assert a.tiny_allocs > 0  # 4-byte objects share 16-byte blocks
    # every worker's stack grew from 2 KiB to 8 KiB (8 x 1 KiB frames), then was freed at exit
    grows = ev[ev["kind"] == int(EV.GoStackGrow)]
    assert len(grows) == 8 * 2
    assert a.stacks_in_use == sum(1 for gp in eng.allgs if gp.stack_id >= 0)
    assert all(gp.stack_bytes == 2048 for gp in eng.allgs if gp.status == 6)
    row = eng.counters()[0]
    assert row["heap_alloc"] == st["HeapAlloc"] and row["stack_inuse"] == st["StackInuse"] > 0
    assert any("Green Tea" in s for s in eng.assumptions())
    a.check_invariants()


@pytest.mark.parametrize("name", ["alloc-mix", "alloc-paths", "mcache-refill", "stack-growth", "gomaxprocs"])
def test_presets_run_with_the_allocator(name):
    sc = load_scenario(name)
    eng = AllocEngine(sc, duration_ns=min(sc.duration_ns, 50_000_000))
    eng.run()
    ev = eng.drain()
    a = eng.allocator
    a.check_invariants()
    assert len(a.mcaches) == eng.gomaxprocs
    assert a.memstats()["HeapSys"] > 0 or not (ev["kind"] == int(EV.Alloc)).any()
    assert np.all(np.diff(ev["t_ns"]) >= 0)


def test_memory_counters_read_the_same_totals_as_memstats():
    eng = AllocEngine(load_scenario("gc-steady"), duration_ns=30_000_000)
    eng.run()
    a = eng.allocator
    st = a.memstats()
    r: dict = {}
    AllocMixin.memory_counters(eng, r)
    assert r["heap_alloc"] == st["HeapAlloc"] and r["heap_inuse"] == st["HeapInuse"]
    assert r["heap_idle"] == st["HeapIdle"] and r["heap_released"] == st["HeapReleased"]
    assert r["heap_sys"] == st["HeapSys"] and r["stack_inuse"] == st["StackInuse"]
    assert r["heap_live"] == st["HeapLive"] and r["mallocs"] == st["Mallocs"] and r["frees"] == st["Frees"]
    assert r["rss"] == a.mapped_ready_bytes() == st["MappedBytes"] - st["HeapReleased"]
    assert a.heap_free_bytes() == st["HeapIdle"] - st["HeapReleased"]
