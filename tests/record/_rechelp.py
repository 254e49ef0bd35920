"""Record a scenario headless, like `gmpviz run --headless --record`."""

from __future__ import annotations

import numpy as np

from gmpviz.core.engine import Engine
from gmpviz.core.workload.loader import load_scenario
from gmpviz.record.writer import RecordingWriter

STEP_NS = 10_000_000  # the CLI's headless slice


def record(path, scenario="default", duration_ns=400_000_000, seed=1, close=True):
    """Run `scenario` headless into `path` like `gmpviz run --record`; return (writer, events)."""
    eng = Engine(load_scenario(scenario), seed=seed, duration_ns=duration_ns)
    w = RecordingWriter.create(str(path), eng)
    parts, t = [], 0
    while not eng.done:
        t += STEP_NS
        eng.run_until(t)
        ev = eng.drain()
        parts.append(ev)
        w.append(ev, eng.counters())
    if close:
        w.close()
    return w, np.concatenate(parts)
