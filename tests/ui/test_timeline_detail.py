"""The timeline's incremental detail (short marks, G ids: ui/views/timeline_detail.py) draws what the
full pass over every segment in view draws (TimelineView._keep_short and _draw_ids), frame after
frame of a growing run, through a compaction and a change of view."""

import numpy as np
import pytest

from gmpviz.core.engine import Engine
from gmpviz.core.workload.loader import load_scenario
from gmpviz.model import Model
from gmpviz.model import compact as compact_mod
from gmpviz.ui.views.timeline import ID_LABELS_SHOWN, TimelineView
from gmpviz.ui.views.timeline_detail import TimelineDetail


def _full_pass(view, model, img, t0, t1, width, t_hi):
    """What the view drew before the detail was incremental: every segment in view, every frame."""
    segs = [(lane, model.ptl.segments_in(lane, t0, t_hi)) for lane in range(model.ptl.nlanes)]
    kept = view._keep_short(segs, img, t0, t1, width)
    shown = []
    view._show_ids = lambda s: shown.extend(s)  # what _draw_ids would put on the plot
    view._draw_ids(segs, t0, t1, width)
    del view._show_ids
    return kept, shown


@pytest.mark.parametrize("preset", ["default", "chan-pingpong"])
def test_incremental_detail_matches_the_full_pass(qtbot, monkeypatch, preset):
    from gmpviz.ui.app import ensure_app
    from gmpviz.ui.theme import get_theme

    ensure_app("dark")
    view = TimelineView(get_theme("dark"))
    qtbot.addWidget(view)
    eng = Engine(load_scenario(preset), duration_ns=400_000_000)
    model = Model(tuple(getattr(eng.scenario, "groups", ("main",))))
    det = TimelineDetail()
    width = 900
    views = [(0.0, 400e6), (50e6, 120e6)]  # a following view's range, then a zoom into part of it
    steps = 0
    compacted = False
    while not eng.done:
        eng.run_until(eng.now_ns + 3_000_000)
        model.apply(eng.drain())
        model.advance(eng.now_ns)
        steps += 1
        if steps == 40:  # old segments merged: the lanes' columns are replaced, the cache starts over
            with monkeypatch.context() as mp:
                mp.setattr(compact_mod, "LANE_KEEP", 50)
                mp.setattr(compact_mod, "LANE_COARSE", 10)
                n0 = model.ptl.segment_count()
                compact_mod.compact_timeline(model.ptl)
                compacted = model.ptl.segment_count() < n0
        t0, t1 = views[0] if steps < 80 else views[1]
        t_hi = min(t1, 300e6)  # a reveal cursor short of the view's end
        img = model.ptl.raster(t0, t1, width)
        kept, labels = det.update(model.ptl, img, t0, t1, width, t_hi, view._id_char_px(), ID_LABELS_SHOWN)
        want_kept, want_labels = _full_pass(view, model, img, t0, t1, width, t_hi)
        assert np.array_equal(kept, want_kept), steps
        got = [(round(x, 9), lane, text, st) for x, lane, text, st in labels]
        want = [(round(x, 9), lane, text, st) for x, lane, text, st in want_labels]
        assert got == want, steps
    assert compacted and steps > 80
