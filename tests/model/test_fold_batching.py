"""The model fold gives the same result however the stream is cut into batches.

The per-frame fold is vectorised across lanes, Ps and Gs; one event per batch is the plain sequential
case, so agreement between small and large batches checks the vectorised paths against it."""

import numpy as np
import pytest
from _synthetic import synth_events

from gmpviz.core.engine import Engine
from gmpviz.core.workload.loader import load_scenario
from gmpviz.model import Model
from gmpviz.model.timeline import BLOCK

GROUPS = ("main", "worker", "io", "g3", "g4", "g5", "g6", "g7")


def _engine_events(name: str, duration_ns: int) -> np.ndarray:
    sc = load_scenario(name)
    eng = Engine(sc, duration_ns=min(sc.duration_ns, duration_ns))
    parts, t = [], 0
    while not eng.done:
        t += 5_000_000
        eng.run_until(t)
        parts.append(eng.drain())
    return np.concatenate(parts)


def _fold(ev: np.ndarray, cuts) -> Model:
    m = Model(GROUPS, log_capacity=1 << 12)
    bounds = [0, *cuts, len(ev)]
    for a, b in zip(bounds[:-1], bounds[1:]):
        m.apply(ev[a:b])
    return m


def _outputs(m: Model) -> dict:
    out = {f"state.{k}": v for k, v in m.state.snapshot().items()}
    out["runq"] = [list(q) for q in m.state.runq]
    out["globrunq"] = list(m.state.globrunq)
    for name, tl in (("ptl", m.ptl), ("mtl", m.mtl)):
        out[f"{name}.stw"] = (tl.stw.to_dict(), tl.stw_active, tl._stw_open)
        out[f"{name}.markers"] = tl.markers.to_dict()
        for i, ln in enumerate(tl.lanes):
            out[f"{name}.{i}.seg"] = ln.seg.to_dict()
            out[f"{name}.{i}.prefix"] = (ln.k, ln.prefix[: ln.seg.n // BLOCK + 1].copy(), ln.part.copy())
            out[f"{name}.{i}.open"] = (ln.o_start, ln.o_state, ln.o_goid, ln.o_other)
    out["gc"] = (m.gc.cycles.to_dict(), m.gc.pauses.to_dict(), m.gc.heap_goal.to_dict(), m.gc._open)
    out["runq_hist"] = (m.runq_hist.cols.to_dict(), m.runq_hist.nprocs)
    out["runq_hist.per_p"] = {p: c.to_dict() for p, c in m.runq_hist._per_p.items()}
    out["log"] = m.log.ordered().copy()
    return out


def _assert_same(a, b, path=""):
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, path
        np.testing.assert_array_equal(a, b, err_msg=path)
    else:
        assert a == b and type(a) is type(b), f"{path}: {a!r} != {b!r}"


def _check_prefix(m: Model) -> None:
    """Lanes keep no empty segment; block prefix sums and open-block sums equal direct sums."""
    for tl in (m.ptl, m.mtl):
        for ln in tl.lanes:
            n = ln.seg.n
            dur = ln.seg.col("end_ns") - ln.seg.col("start_ns")
            st = ln.seg.col("state").astype(np.int64)
            assert (dur > 0).all()
            for b in range(n // BLOCK + 1):
                want = np.bincount(st[: b * BLOCK], weights=dur[: b * BLOCK], minlength=ln.k)
                np.testing.assert_array_equal(ln.prefix[b], want.astype(np.int64))
            lo = n // BLOCK * BLOCK
            want = np.bincount(st[lo:], weights=dur[lo:], minlength=ln.k).astype(np.int64)
            np.testing.assert_array_equal(ln.part, want)


@pytest.mark.parametrize(
    "name, duration_ns",
    [("default", 120_000_000), ("gomaxprocs", 400_000_000), ("work-stealing", 150_000_000), ("synth", 0)],
)
def test_fold_is_independent_of_batching(name, duration_ns):
    if name == "synth":
        ev = synth_events(30_000_000, nprocs=8, groups=3)
    else:
        ev = _engine_events(name, duration_ns)
    whole = _fold(ev, [])
    rng = np.random.default_rng(3)
    small = np.cumsum(rng.integers(1, 40, size=len(ev)))
    small = small[small < len(ev)].tolist()
    frames = list(range(900, len(ev), 900))
    ref = _outputs(whole)
    for cuts in (small, frames):
        m = _fold(ev, cuts)
        _assert_same(ref, _outputs(m))
        _check_prefix(m)


def test_history_folds_build_the_same_histories_and_leave_the_cursor_state_alone():
    """A replay's model folds the timelines, GC cycles and run queue lengths exactly as the live one,
    and nothing of the view state a cursor owns (state, spans, log)."""
    from gmpviz.model.folds import histories

    ev = _engine_events("gc-steady", 60_000_000)
    live, hist = Model(GROUPS), Model(GROUPS, folds=histories)
    for part in np.array_split(ev, 7):
        live.apply(part)
        hist.apply(part)
    for tl in ("ptl", "mtl"):
        a, b = getattr(live, tl), getattr(hist, tl)
        assert a.segment_count() == b.segment_count() > 0
        np.testing.assert_array_equal(a.raster(0, live.now_ns, 300), b.raster(0, hist.now_ns, 300))
    assert live.gc.pauses.n == hist.gc.pauses.n > 0
    assert hist.events_total == live.events_total == len(ev)
    assert hist.state.events == 0 and hist.log.total == 0 and hist.spans.version == 0
