"""SpanTable's vectorised span lifecycle fold (_apply_lifecycle_vec) builds the very table the
event-by-event replay (_apply_lifecycle, ``replay_lifecycle``) builds: on whole runs of presets cut
into frame-sized batches, and on random event sequences that revisit the same few spans."""

import numpy as np
import pytest

from gmpviz.core.engine import Engine
from gmpviz.core.trace.events import EV, EVENT_DTYPE, PATH_SMALL, PATH_TINY, alloc_code, span_pages_code
from gmpviz.core.workload.loader import load_scenario
from gmpviz.model.spans import SpanTable

COLUMNS = ("state", "spanclass", "npages", "alloc_count", "nelems", "owner", "dirty", "realloc")
COLUMNS += ("mark_state", "mark_p", "mark_objs")


def _tables():
    ref, vec = SpanTable(), SpanTable()
    ref.replay_lifecycle = True
    return ref, vec


def _same(ref: SpanTable, vec: SpanTable) -> None:
    assert ref.max_id == vec.max_id and ref.version == vec.version
    n = ref.max_id + 1
    for c in COLUMNS:
        assert np.array_equal(getattr(ref, c)[:n], getattr(vec, c)[:n]), c


@pytest.mark.parametrize("preset", ["default", "gc-steady", "alloc-mix"])
def test_whole_runs_fold_to_the_same_table(preset):
    eng = Engine(load_scenario(preset), duration_ns=600_000_000)
    ref, vec = _tables()
    batch = 0
    while not eng.done:
        eng.run_until(eng.now_ns + 1_500_000 + 700_000 * (batch % 5))  # uneven cuts
        ev = eng.drain()
        ref.apply(ev)
        vec.apply(ev)
        batch += 1
        if batch % 25 == 0:
            _same(ref, vec)
            ref.dirty[:] = vec.dirty[:] = False  # as the heatmap does
            ref.realloc[:] = vec.realloc[:] = False
    _same(ref, vec)


def _random_batch(rng, n: int, spans: int) -> np.ndarray:
    ev = np.zeros(n, dtype=EVENT_DTYPE)
    kinds = np.array([EV.SpanAlloc, EV.SpanCache, EV.SpanUncache, EV.SpanSweep, EV.SpanFree, EV.Alloc])
    ev["kind"] = rng.choice(kinds, size=n, p=[0.15, 0.2, 0.15, 0.25, 0.1, 0.15])
    ev["t_ns"] = np.arange(n)
    ev["p"] = rng.integers(-1, 4, size=n)
    ev["m"] = -1
    span = rng.integers(-1, spans, size=n)  # -1: no span (ignored)
    ev["a0"] = span
    sc = rng.integers(0, 12, size=n)  # class 0: large; odd: noscan
    alloc = ev["kind"] == EV.SpanAlloc
    ev["a1"] = np.where(alloc & (rng.random(n) < 0.1), -1, sc)  # SpanAlloc -1: a manual (stack) span
    npages = rng.integers(0, 4, size=n)
    ev["a2"] = np.where(alloc, [span_pages_code(int(x), 7) for x in npages], rng.integers(0, 3, size=n) * 40)
    objs = ev["kind"] == EV.Alloc
    path = np.where(rng.random(n) < 0.2, PATH_TINY, PATH_SMALL)
    codes = [alloc_code(int(pa), 1, 1, max(int(s), 0)) for pa, s in zip(path[objs], span[objs])]
    ev["a0"][objs] = codes
    ev["a1"][objs] = rng.integers(1, 30, size=int(objs.sum()))
    return ev


@pytest.mark.parametrize("seed", range(40))
def test_random_sequences_fold_to_the_same_table(seed):
    rng = np.random.default_rng(seed)
    ref, vec = _tables()
    for _ in range(6):
        ev = _random_batch(rng, int(rng.integers(1, 120)), spans=int(rng.integers(1, 9)))
        ref.apply(ev)
        vec.apply(ev)
        _same(ref, vec)
