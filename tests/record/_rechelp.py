"""Record a scenario headless, like `gmpviz run --headless --record`."""

from __future__ import annotations

from gmpviz.core.engine import Engine
from gmpviz.core.workload.loader import load_scenario
from gmpviz.record.writer import record_run


def record(path, scenario="default", duration_ns=400_000_000, seed=1, close=True):
    """Run `scenario` headless into `path` like `gmpviz run --record`; return (writer, events)."""
    eng = Engine(load_scenario(scenario), seed=seed, duration_ns=duration_ns)
    return record_run(eng, str(path), keep_events=True, close=close)
