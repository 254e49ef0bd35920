"""`lifetime = "scope"`: live until the pass of the enclosing repeat body ends (issue 14)."""

from __future__ import annotations

from _scen import scen

from gmpviz.core.engine import Engine
from gmpviz.core.workload import ops as O


def _live(eng) -> int:
    return eng.mem.allocator.memstats()["HeapAlloc"]


def test_a_scoped_buffer_lives_until_its_pass_ends():
    sc = scen(
        """
[programs.main]
ops = [ { repeat = 3, body = [
  { alloc = "64KiB", count = 4, lifetime = "scope" }, { sleep = "1ms" }, "gc", { sleep = "1ms" } ] },
  "gc", "block" ]
""",
        gomaxprocs=1,
        duration="20ms",
    )
    body = sc.programs[sc.main].ops
    assert (O.OP_SCOPE_END,) in body  # compiled at the end of the body
    eng = Engine(sc)
    seen = []
    # in each pass the 256 KiB survive the GC inside the pass (runtime.GC marks them live)
    orig = eng.gc.runtime_GC

    def gc(m, gp):
        seen.append(eng.gc.gcController.heapMarked)  # what the previous cycle marked
        return orig(m, gp)

    eng.gc.runtime_GC = gc
    eng.run()
    assert len(seen) == 4
    # each runtime.GC inside a pass marked that pass's 256 KiB live
    assert all(h >= 256 * 1024 for h in seen[1:])
    # the one after the loop finds them dead
    assert eng.gc.gcController.heapMarked < 256 * 1024
    assert _live(eng) < 256 * 1024


def test_scope_outside_a_repeat_is_the_goroutines_lifetime():
    sc = scen(
        """
[programs.main]
ops = [ { alloc = "1KiB", lifetime = "scope" }, "block" ]
""",
        gomaxprocs=1,
        duration="1ms",
    )
    op = next(op for op in sc.programs[sc.main].ops if op[0] == O.OP_ALLOC)
    assert op[4] == O.LIFE_GOROUTINE
