"""Timeline lanes and their raster, from hand-written event sequences."""

import numpy as np

from gmpviz.core.trace.events import EV, EVENT_DTYPE, STW_GC_SWEEP_TERM, WAIT_CHAN_RECV
from gmpviz.model.timeline import (
    MK_STEAL,
    ST_GC,
    ST_IDLE,
    ST_NONE,
    ST_STW,
    ST_SYSCALL,
    ST_USER0,
    Timeline,
)


def evs(*rows):
    out = np.zeros(len(rows), dtype=EVENT_DTYPE)
    for i, r in enumerate(rows):
        t, kind, p, g = r[:4]
        a = list(r[4:]) + [0, 0, 0]
        out[i] = (t, kind, p, p, g, a[0], a[1], a[2])
    return out


GROUPS = np.array([0, 0, 1, 2], dtype=np.int16)  # goid -> group


def test_segments_and_states():
    tl = Timeline("p")
    tl.apply(
        evs(
            (0, EV.ProcStart, 0, 0),
            (100, EV.GoStart, 0, 2),
            (300, EV.GoBlock, 0, 2, WAIT_CHAN_RECV),
            (400, EV.GoStart, 0, 3),
            (500, EV.GoSyscallBegin, 0, 3),
            (700, EV.GoSyscallEnd, 0, 3),
            (800, EV.GoEnd, 0, 3),
            (900, EV.GCWorkerBegin, 0, 0),
        ),
        GROUPS,
    )
    seg = tl.lanes[0].seg
    assert seg.col("start_ns").tolist() == [0, 100, 300, 400, 500, 700, 800]
    assert seg.col("end_ns").tolist() == [100, 300, 400, 500, 700, 800, 900]
    assert seg.col("state").tolist() == [
        ST_IDLE,
        ST_USER0 + 1,
        ST_IDLE,
        ST_USER0 + 2,
        ST_SYSCALL,
        ST_USER0 + 2,
        ST_IDLE,
    ]
    # the block reason is kept on the segment it closed
    hit = tl.segment_at(0, 250)
    assert hit["goid"] == 2 and hit["end_kind"] == EV.GoBlock and hit["end_arg"] == WAIT_CHAN_RECV
    assert tl.lanes[0].o_state == ST_GC
    tl.advance(1000)
    assert tl.segment_at(0, 950)["open"]


def test_raster_picks_dominant_state_and_integrates_subpixel_spans():
    tl = Timeline("p")
    rows = [(0, EV.ProcStart, 0, 0)]
    # 1000 alternating spans of 70 ns user G (group 1) and 30 ns idle: sub-pixel at 10 px over 100 us
    for i in range(1000):
        rows.append((i * 100, EV.GoStart, 0, 2))
        rows.append((i * 100 + 70, EV.GoBlock, 0, 2))
    tl.apply(evs(*rows), GROUPS)
    img = tl.raster(0, 100_000, 10, now_ns=100_000)
    assert img.shape == (1, 10)
    assert (img == ST_USER0 + 1).all()
    # shifting the window by a fraction of a pixel does not change the picture (no flicker)
    for shift in (13, 37, 51):
        assert (tl.raster(shift, 100_000 + shift, 10, now_ns=100_000)[0, :-1] == ST_USER0 + 1).all()
    # zoomed to single events, idle gaps show
    fine = tl.raster(0, 200, 20, now_ns=100_000)[0]
    assert fine[:7].tolist() == [ST_USER0 + 1] * 7 and fine[7:10].tolist() == [ST_IDLE] * 3


def test_raster_matches_brute_force_on_random_lane():
    rng = np.random.default_rng(3)
    tl = Timeline("p")
    t = np.cumsum(rng.integers(1, 500, size=3000))
    kinds = rng.choice([EV.GoStart, EV.GoBlock, EV.GoSyscallBegin], size=len(t))
    rows = [(int(a), int(k), 0, 1 + i % 3) for i, (a, k) in enumerate(zip(t, kinds))]
    for i in range(0, len(rows), 700):  # several batches
        tl.apply(evs(*rows[i : i + 700]), GROUPS)
    t_end = int(t[-1])
    w = 37
    img = tl.raster(0, t_end, w, now_ns=t_end)[0]
    # brute force occupancy
    lane = tl.lanes[0]
    s, e, st = lane.seg.col("start_ns"), lane.seg.col("end_ns"), lane.seg.col("state")
    edges = (np.arange(w + 1) * t_end / w).astype(np.int64)
    for px in range(w):
        lo, hi = edges[px], edges[px + 1]
        ov = np.clip(np.minimum(e, hi) - np.maximum(s, lo), 0, None)
        occ = np.bincount(st, weights=ov, minlength=16)
        occ[ST_NONE] = 0
        if occ.max() > 0:
            assert occ[img[px]] == occ.max(), px


def test_stw_covers_all_lanes_and_restores():
    tl = Timeline("p")
    tl.apply(
        evs(
            (0, EV.ProcResize, -1, 0, 0, 2),
            (10, EV.GoStart, 0, 1),
            (20, EV.GoStart, 1, 2),
            (100, EV.STWBegin, -1, 0, STW_GC_SWEEP_TERM),
            (150, EV.GoStop, 1, 2),  # inside STW: changes what resumes, not what shows
            (200, EV.STWEnd, -1, 0, STW_GC_SWEEP_TERM, 100),
        ),
        GROUPS,
    )
    assert tl.segment_at(0, 150)["state"] == ST_STW
    assert tl.segment_at(1, 150)["state"] == ST_STW
    assert tl.lanes[0].o_state == ST_USER0 and tl.lanes[1].o_state == ST_IDLE
    s, e = tl.stw_bands()
    assert s.tolist() == [100] and e.tolist() == [200]


def test_procresize_shrinks_lanes():
    tl = Timeline("p")
    tl.apply(evs((0, EV.ProcResize, -1, 0, 0, 4), (5, EV.GoStart, 3, 1)), GROUPS)
    assert tl.active_lanes() == 4
    tl.apply(evs((100, EV.ProcResize, -1, 0, 4, 2)), GROUPS)
    assert tl.active_lanes() == 2
    assert tl.lanes[3].o_state == ST_NONE
    assert tl.raster(100, 200, 4, now_ns=200)[3].tolist() == [ST_NONE] * 4


def test_markers():
    tl = Timeline("p")
    tl.apply(evs((10, EV.ProcSteal, 1, 0, 0, 3), (20, EV.Preempt, 0, 1), (30, EV.ProcHandoff, 2, 0)), GROUPS)
    m = tl.markers_in(0, 25)
    assert m["t_ns"].tolist() == [10, 20] and m["kind"][0] == MK_STEAL and m["lane"][0] == 1


def test_incremental_raster_equals_full_raster():
    rng = np.random.default_rng(5)
    tl = Timeline("p")
    t = np.cumsum(rng.integers(1, 300, size=6000))
    kinds = rng.choice([EV.GoStart, EV.GoBlock, EV.GoSyscallBegin, EV.MSpinBegin], size=len(t))
    rows = [(int(a), int(k), i % 3, 1 + i % 3) for i, (a, k) in enumerate(zip(t, kinds))]
    rows.insert(3000, (int(t[2999]) + 1, EV.STWBegin, -1, 0))
    rows.insert(3200, (int(t[3198]) + 1, EV.STWEnd, -1, 0))
    t_end = int(t[-1]) * 2  # a window with headroom, as the follow mode uses
    w = 301
    tl.apply(evs(*rows[:2000]), GROUPS)
    img = tl.raster(0, t_end, w)
    marks, marks_now = tl.raster_marks(), tl.now_ns
    for lo, hi in ((2000, 3100), (3100, 4500), (4500, len(rows))):
        tl.apply(evs(*rows[lo:hi]), GROUPS)
        px = tl.dirty_from_px(marks, marks_now, 0, t_end, w)
        new = tl.raster(0, t_end, w, from_px=px)
        for li, p in enumerate(px):
            new[li, :p] = img[li, :p]
        assert (new == tl.raster(0, t_end, w)).all()
        assert max(px) > 0  # something was actually skipped
        img, marks, marks_now = new, tl.raster_marks(), tl.now_ns
