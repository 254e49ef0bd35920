"""The engine's shape: a composition of clock, scheduler, allocator hooks and GC; the scheduler's parts
(one per Go file) never override each other, so no behaviour hides in a method resolution order."""

import inspect
from pathlib import Path

from gmpviz.core.clock import Clock
from gmpviz.core.engine import Engine, Memory
from gmpviz.core.gc.mgc import GC
from gmpviz.core.sched.scheduler import Scheduler
from gmpviz.core.workload.loader import load_scenario

CORE = Path(__file__).resolve().parents[2] / "gmpviz" / "core"


def test_engine_is_a_composition():
    assert Engine.__mro__ == (Engine, object)
    eng = Engine(load_scenario("gc-steady"), duration_ns=1_000_000)
    assert isinstance(eng.clock, Clock)
    assert isinstance(eng.scheduler, Scheduler)
    assert isinstance(eng.mem, Memory) and eng.mem.allocator is eng.allocator
    assert isinstance(eng.gc, GC)
    # one clock and one event sink for every part
    assert eng.scheduler.clock is eng.clock is eng.gc.clock is eng.mem.clock
    assert eng.scheduler.ext == eng.tracer.ext == eng.gc.ext


def test_scheduler_parts_define_disjoint_functions():
    owner: dict[str, str] = {}
    for part in Scheduler.__mro__[1:-1]:
        for name, value in vars(part).items():
            if not inspect.isfunction(value) and not isinstance(value, staticmethod):
                continue
            assert name not in owner, f"{name} is defined in {owner[name]} and in {part.__name__}"
            owner[name] = part.__name__
    for name, value in vars(Scheduler).items():
        if inspect.isfunction(value):
            assert name not in owner, f"Scheduler.{name} overrides {owner[name]}.{name}"


def test_no_super_chains_in_the_scheduler_or_the_gc():
    for path in [*sorted((CORE / "sched").glob("*.py")), CORE / "gc" / "mgc.py", CORE / "engine.py"]:
        assert "super()." not in path.read_text(encoding="utf-8"), path.name


def test_statuses_are_named_and_nothing_is_probed():
    import re

    magic = re.compile(r"status\s*(==|!=|in)\s*\(?\d")
    for path in sorted(CORE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not magic.search(text), f"{path.name}: compare statuses with the named constants"
        assert "hasattr(" not in text, f"{path.name}: a hasattr probe"
