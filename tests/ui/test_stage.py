"""The stage: clicker keys drive a deck (scene, pause point, view set), and every tour scene renders
at 1920x1080 in the stage theme with text at least STAGE_BODY_PX high and no label clipped."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from gmpviz.deck import loads_deck
from gmpviz.deck.build import build_deck

DECK = """
title = "test deck"
[[scene]]
title = "one"
scenario = "work-stealing"
seed = 1
duration = "3ms"
speed = "200us/s"
views = ["timeline", "runq"]
caption = "first **scene**"
pause = [ { event = "RunqSpill" }, { event = "RunqSpill", nth = 2 } ]

[[scene]]
title = "two"
scenario = "gc-steady"
seed = 1
duration = "20ms"
views = ["heap"]
caption = "second"
pause = [ { event = "gcStart" } ]
"""
K = QtCore.Qt.Key


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("deckcache")


@pytest.fixture
def stage(qtbot, cache, monkeypatch):
    monkeypatch.setenv("GMPVIZ_CACHE", str(cache))
    from gmpviz.ui.app import ensure_app
    from gmpviz.ui.stage import StageWindow

    ensure_app("dark")
    deck = loads_deck(DECK, "test.toml")
    st = StageWindow(deck, build_deck(deck), size=(1280, 720), presenter=True, interactive=False)
    qtbot.addWidget(st)
    st.show()
    st.show_scene(0)
    yield st
    st.close()


def _press(qtbot, st, key, text=""):
    qtbot.keyClick(st.focusWidget() or st, key, QtCore.Qt.KeyboardModifier.NoModifier, delay=-1)


def _visible_views(st):
    win = st.sv.win
    names = ("timeline", "runq", "goroutines", "heap", "spans", "events")
    return {n for n in names if getattr(win, n).isVisibleTo(st)}


def test_clicker_keys_walk_pause_points_and_scenes(qtbot, stage):
    st = stage
    sv = st.sv
    assert st.title.text() == "one" and sv.stop_k == -1
    assert _visible_views(st) == {"timeline", "runq"}
    assert len(sv.stops) == 3  # two pause points and the scene's end
    t_spill = sv.stops[0].t_ns
    _press(qtbot, st, K.Key_PageDown)  # plays toward the spill ...
    assert sv.target is sv.stops[0]
    seen = []
    for _ in range(50):  # frames, each as if 0.1 s of wall time had passed
        st._last -= 0.1
        st._frame()
        seen.append(sv.t_ns)
        if sv.target is None:
            break
    assert seen == sorted(seen) and len(set(seen)) > 1  # it played, forward
    assert sv.stop_k == 0 and sv.target is None and sv.t_ns == t_spill
    assert "RunqSpill" in st.presenter.pause.text()  # the presenter view: the predicate reached,
    pv = st.presenter
    pv.update_from(st)
    assert "next stop" in pv.pause.text() and "RunqSpill" in pv.pause.text().split("next stop")[1]
    assert pv.next.text() == "next scene: two"  # the next scene, the notes, the elapsed time
    assert pv.notes.text() == "first **scene**" and len(pv.clock.text()) == 5 and pv.clock.text()[2] == ":"
    _press(qtbot, st, K.Key_Right)
    _press(qtbot, st, K.Key_Space)  # a second press while playing: there at once
    assert sv.stop_k == 1
    _press(qtbot, st, K.Key_Left)
    assert sv.stop_k == 0 and sv.t_ns == t_spill
    _press(qtbot, st, K.Key_Right)
    _press(qtbot, st, K.Key_Right)
    _press(qtbot, st, K.Key_Right)
    _press(qtbot, st, K.Key_Right)  # at the scene's end: the next scene
    assert sv.stop_k == 2
    _press(qtbot, st, K.Key_PageDown)
    assert st.title.text() == "two" and st.sv is not sv
    assert _visible_views(st) == {"heap"}
    assert st.caption.text() == "second"
    _press(qtbot, st, K.Key_PageUp)  # at a scene's start: the previous scene
    assert st.title.text() == "one"


def test_blank_jump_zoom_and_leave(qtbot, stage):
    st = stage
    _press(qtbot, st, K.Key_B)
    assert st.blank.isVisible()
    _press(qtbot, st, K.Key_Period)
    assert not st.blank.isVisible()
    qtbot.keyClicks(st, "2")
    _press(qtbot, st, K.Key_G)
    assert st.title.text() == "two"
    qtbot.keyClicks(st, "1")
    _press(qtbot, st, K.Key_G)
    assert st.title.text() == "one"
    vb = st.sv.win.timeline.vb
    before = vb.viewRange()[0]
    _press(qtbot, st, K.Key_Z)
    assert vb.state["mouseMode"] == vb.RectMode
    vb.setXRange(before[0], before[0] + (before[1] - before[0]) / 10, padding=0)  # what a drag does
    _press(qtbot, st, K.Key_Z)
    assert vb.state["mouseMode"] == vb.PanMode
    assert vb.viewRange()[0] == pytest.approx(before)
    _press(qtbot, st, K.Key_Escape)
    assert not st.isVisible()


def test_reveal_hides_the_future(stage):
    st = stage
    sv = st.sv
    sv.go_to_stop(0)
    mask = sv.masks[0]
    assert mask.item.isVisible()
    x0, x1 = mask.vb.viewRange()[0]
    margin = 12 * (x1 - x0) / mask.vb.width()
    assert mask.item.rect().left() == pytest.approx(sv.t_ns / 1e6 + margin)


# --- every tour scene on a 1080p stage ---------------------------------------------------------
def _labels_ok(st, min_px: int) -> list[str]:
    bad = []
    frame = st.rect()
    for lab in st.findChildren(QtWidgets.QLabel):
        if not lab.isVisibleTo(st) or not lab.text().strip():
            continue
        name = f"{lab.objectName() or type(lab.parent()).__name__}: {lab.text()[:40]!r}"
        px = lab.font().pixelSize()
        if px < min_px:
            bad.append(f"{name} is {px} px")
        r = QtCore.QRect(lab.mapTo(st, QtCore.QPoint(0, 0)), lab.size())
        if not frame.contains(r):
            bad.append(f"{name} is outside the stage {r}")
        view = _view_of(lab, st)
        rv = QtCore.QRect(lab.mapTo(view, QtCore.QPoint(0, 0)), lab.size())
        if not view.rect().contains(rv):
            bad.append(f"{name} is outside its view {type(view).__name__} {rv} of {view.rect()}")
        need = lab.heightForWidth(lab.width()) if lab.wordWrap() else lab.sizeHint().height()
        if need > lab.height() + 1:
            bad.append(f"{name} needs {need} px of height, has {lab.height()}")
        if not lab.wordWrap() and lab.sizeHint().width() > lab.width() + 1:
            bad.append(f"{name} needs {lab.sizeHint().width()} px of width, has {lab.width()}")
    return bad


def _view_of(w, st):
    """The view a widget belongs to on the stage: the ancestor laid out by a splitter (or the stage)."""
    while w.parentWidget() is not None and w.parentWidget() is not st:
        if isinstance(w.parentWidget(), QtWidgets.QSplitter):
            return w
        w = w.parentWidget()
    return w


def _highlights_drawn(st) -> list[str]:
    """What the scene's highlight asks for is on the screen: the G's outline, the P's lane mark,
    the size class's outlined rows, the STW bands in full colour (on every side of a compare)."""
    h = st.sv.scene.highlight
    bad = []
    for win in st.sv.windows:
        tl = win.timeline
        if h.g >= 0 or h.g_group:
            g = st.sv.highlight_g
            xs, _ = tl.hl_curve.getData()
            if g < 0 or xs is None or not np.isfinite(xs).any():
                bad.append(f"G{g} ({h.g_group or h.g}) is not outlined")
        if h.p >= 0 and (
            tl.highlight_p != h.p or f"» P{h.p}" not in str(tl.plot.getAxis("left")._tickLevels)
        ):
            bad.append(f"P{h.p}'s lane is not marked")
        if h.p >= 0 and win.runq.isVisibleTo(st):  # and its run queue: the wider curve, the marked row
            curves = win.runq.local_curves
            other = 1 if h.p == 0 else 0
            width = [c.opts["pen"].widthF() for c in curves]
            if len(curves) <= max(h.p, other) or width[h.p] <= width[other]:
                bad.append(f"P{h.p}'s run queue curve is not wider")
            if win.runq.diag.scene() is not None and f"» P{h.p}" not in win.runq._row_names:
                bad.append(f"P{h.p}'s ring row is not marked")
        if h.stw and not (tl.stw_strong and tl.stw_columns > 0 and tl.isVisibleTo(st)):
            bad.append("no STW band drawn strong")
        if h.size_class >= 0:
            lo, hi = win.spans.hl_rows
            if not (win.spans.hl_rect.isVisible() and hi > lo and win.spans.isVisibleTo(st)):
                bad.append(f"size class {h.size_class} is not outlined")
    return bad


def _axes_ok(st, min_px: int) -> list[str]:
    import pyqtgraph as pg

    bad = []
    for gv in st.findChildren(pg.GraphicsView):
        if not gv.isVisibleTo(st):
            continue
        for item in gv.scene().items():
            if isinstance(item, pg.AxisItem) and item.isVisible():
                f = item.style.get("tickFont")
                if f is None or f.pixelSize() < min_px:
                    bad.append(f"axis {item.orientation} {item.labelText!r}: tick font {f and f.pixelSize()}")
                if item.orientation in ("left", "right") and item.fixedWidth is not None:
                    # a fixed-width axis cuts what is wider: its widest tick text, the gap, its label
                    need = item.textWidth + item.style["tickTextOffset"][0] + max(0, item.style["tickLength"])
                    if item.label.isVisible():
                        need += item.label.boundingRect().height() * 0.8
                    if need > item.fixedWidth + 1:
                        bad.append(f"axis {item.labelText!r} needs {need:.0f} px, has {item.fixedWidth}")
    return bad


def _tick_labels_apart(st, min_px: int) -> list[str]:
    """Category axes (the heatmap's size classes, the ring diagram's P rows): neighbouring labels at
    least a line apart, so none is drawn over another."""
    import pyqtgraph as pg

    bad = []
    for gv in st.findChildren(pg.GraphicsView):
        if not gv.isVisibleTo(st):
            continue
        for item in gv.scene().items():
            if not (isinstance(item, pg.AxisItem) and item.isVisible() and item._tickLevels):
                continue
            vb = item.linkedView()
            if vb is None or item.orientation not in ("left", "right"):
                continue
            (y0, y1) = sorted(vb.viewRange()[1])
            inside = [v for v, _ in item._tickLevels[0] if y0 <= v <= y1]
            ys = sorted(vb.mapViewToScene(QtCore.QPointF(0, v)).y() for v in inside)
            gaps = np.diff(ys)
            if len(gaps) and gaps.min() < min_px:
                names = [t for _, t in item._tickLevels[0]][:6]
                bad.append(f"axis {item.labelText!r}: labels {gaps.min():.0f} px apart ({names}...)")
    return bad


def _kinds_in(reader, t0_ns: float, t1_ns: float) -> set[int]:
    """The event kinds of a recording in [t0, t1], straight from its blocks."""
    kinds: set[int] = set()
    for ev in reader.iter_blocks():
        sel = (ev["t_ns"] >= t0_ns) & (ev["t_ns"] <= t1_ns)
        kinds.update(int(k) for k in np.unique(ev["kind"][sel]))
    return kinds


def _legends_name_what_is_drawn(st) -> list[str]:
    """No legend entry for something the scene never draws, told from the recording's own events
    over the range the scene shows: scan kinds only with GCMarkScan events, a tick kind only with
    its marker's events, assist ticks only with assists; no CPU-lanes control on the stage; the STW
    bars' axis carries its unit."""
    from gmpviz.core.trace.events import EV, MARKERS, SPEC
    from gmpviz.model.timeline import MARKER_NAMES

    sv, bad = st.sv, []
    z0, z1 = sv.scene.zoom_ns or (sv.t0_ns, sv.t1_ns)
    kinds = set()
    for win in sv.windows:
        kinds |= _kinds_in(win.replay.reader, z0, min(z1, sv.t1_ns))
    for win in sv.windows:
        tl = win.timeline
        if not tl.isVisibleTo(st):
            continue
        if tl.cpu_box.isVisibleTo(st):
            bad.append("the CPU lanes check box shows")
        ticks = tl.ticks_legend.text() if tl.ticks_legend.isVisibleTo(st) else ""
        if "scans:" in ticks and int(EV.GCMarkScan) not in kinds:
            bad.append("a scans legend without a GC scan in range")
        for k, name in enumerate(MARKER_NAMES):
            has = {int(e) for e, sp in SPEC.items() if sp.marker == MARKERS[k]} & kinds
            if f"&nbsp;{name}" in ticks and not has:
                bad.append(f"a {name!r} tick in the legend, none in range")
    gs = sv.win.goroutines
    syscalls = {int(EV.GoSyscallBegin), int(EV.GoSyscallEnd), int(EV.GoSyscallEndBlocked)} & kinds
    if gs.isVisibleTo(st) and "syscall" in gs.legend.text() and not syscalls:
        bad.append("syscall in the goroutine legend, no syscall in range")
    for table in sv.tables:  # no row cut in half at the bottom
        if not table.isVisibleTo(st) or table.verticalScrollBar().value():
            continue
        rows = [r for r in range(table.model().rowCount()) if not table.isRowHidden(r)]
        bottom = table.rowViewportPosition(rows[-1]) + table.rowHeight(rows[-1]) if rows else 0
        if bottom > table.viewport().height():
            bad.append(f"a table's row {rows[-1]} is cut at the bottom")
    spans = sv.win.spans
    if spans.isVisibleTo(st) and "spans" not in spans.plot.getAxis("bottom").labelText:
        bad.append("the span heatmap's x axis does not say it counts spans")
    heap = sv.win.heap
    if heap.isVisibleTo(st):
        assists = {int(EV.GCMarkAssistBegin), int(EV.GCMarkAssistEnd)} & kinds
        if "assist start" in heap.legend.text() and not assists:
            bad.append("assist ticks in the heap legend, none in range")
        if heap.stw.scene() is not None and heap.stw.isVisible():  # (the stage removes it unless told)
            axis = heap.stw.getAxis("left")
            if not all(u in " ".join(axis.tickStrings([0.0, 50.0, 2000.0], 1.0, 1.0)) for u in ("µs", "ms")):
                bad.append("the STW axis has no unit")
    return bad


@pytest.fixture(scope="module")
def tour_recordings(tmp_path_factory):
    import os

    from gmpviz.deck import load_deck

    old = os.environ.get("GMPVIZ_CACHE")
    os.environ["GMPVIZ_CACHE"] = str(tmp_path_factory.mktemp("tourcache"))
    try:
        deck = load_deck("tour")
        yield deck, build_deck(deck)
    finally:
        if old is None:
            os.environ.pop("GMPVIZ_CACHE", None)
        else:
            os.environ["GMPVIZ_CACHE"] = old


def test_every_tour_scene_is_readable_at_1080p(qtbot, tour_recordings, tmp_path):
    from gmpviz.ui.app import ensure_app
    from gmpviz.ui.stage import STAGE_BODY_PX, StageWindow

    deck, recordings = tour_recordings
    ensure_app("dark")
    st = StageWindow(deck, recordings, size=(1920, 1080), presenter=False, interactive=False)
    qtbot.addWidget(st)
    st.show()
    problems = []
    try:
        for k, scene in enumerate(deck.scenes):
            st.show_scene(k, at_stop=0)
            img = st.image()
            assert (img.width(), img.height()) == (1920, 1080)
            assert st.sv.stops[0].pause is not None, f"{scene.title}: its first pause point is never reached"
            assert not st.sv.missing, (scene.title, [p.text for p in st.sv.missing])
            problems += [
                f"{scene.title}: {p}"
                for p in _labels_ok(st, STAGE_BODY_PX)
                + _axes_ok(st, STAGE_BODY_PX)
                + _tick_labels_apart(st, STAGE_BODY_PX)
            ]
            # the lesson, not a timestamp: the pause points come in the order the caption tells them
            # (an engine change that moves a spill after a steal breaks the scene, and this says so)
            order = [s.pause for s in st.sv.stops if s.pause is not None]
            if order != list(scene.pauses):
                problems.append(f"{scene.title}: pause points reached as {[p.text for p in order]}")
            problems += [f"{scene.title}: {p}" for p in _highlights_drawn(st)]
            problems += [f"{scene.title}: {p}" for p in _legends_name_what_is_drawn(st)]
            if scene.compare is not None:  # side by side: both runs shown, one time axis
                a, b = st.sv.win.timeline, st.sv.win_b.timeline
                assert a.isVisibleTo(st) and b.isVisibleTo(st), scene.title
                assert a.vb.viewRange()[0] == pytest.approx(b.vb.viewRange()[0]), scene.title
    finally:
        st.close()
    assert not problems, "\n".join(problems)


def test_stage_legends_follow_the_scene(qtbot, tour_recordings):
    """A scheduler scene without a GC names no GC states, scan kinds or hand-off ticks; the pacer
    scene names its scans, and its STW axis says µs."""
    from gmpviz.ui.app import ensure_app
    from gmpviz.ui.stage import StageWindow

    deck, recordings = tour_recordings
    ensure_app("dark")
    st = StageWindow(deck, recordings, size=(1920, 1080), presenter=False, interactive=False)
    qtbot.addWidget(st)
    st.show()
    try:
        titles = [s.title for s in deck.scenes]
        st.show_scene(titles.index("G creation and runnext"), at_stop=0)
        tl = st.sv.win.timeline
        text = (tl.legend.text() + tl.ticks_legend.text()).replace("&nbsp;", " ")
        for absent in ("GC worker", "GC assist", "syscall", "scans:", "hand-off", "preempt"):
            assert absent not in text, absent
        for present in ("idle", "spawner", "steal"):
            assert present in text, present
        st.show_scene(titles.index("The pacer and the two stop-the-world pauses"), at_stop=0)
        tl, heap = st.sv.win.timeline, st.sv.win.heap
        text = (tl.legend.text() + tl.ticks_legend.text()).replace("&nbsp;", " ")
        assert "scans:" in text and "GC worker" in text
        assert "span queue" not in text  # gc-steady marks without Green Tea
        assert heap.stw.getAxis("left").tickStrings([0.0, 50.0], 1.0, 1.0) == ["0", "50 µs"]
    finally:
        st.close()


# --- what the audience must see -------------------------------------------------------------------
def test_short_goroutines_stay_visible_and_wide_ones_carry_their_id(qtbot):
    """A G that ran for less than a pixel, between two long ones, still colours its pixel; a wide
    segment is labelled with its G id."""
    import numpy as np

    from gmpviz.core.trace.events import EV, EVENT_DTYPE
    from gmpviz.model import Model
    from gmpviz.model.timeline import ST_USER0
    from gmpviz.ui.theme import get_theme
    from gmpviz.ui.views.timeline import TimelineView

    rows = [  # t, kind, p, m, g, a0, a1, a2 : G1 (group 0) long, G2 (group 1) for 10 ns, G1 again
        (0, EV.GoCreate, 0, 0, 1, 0, 0, 2048),
        (0, EV.GoCreate, 0, 0, 2, 1, 1, 2048),
        (0, EV.ProcStart, 0, 0, -1, 0, 0, 0),
        (0, EV.GoStart, 0, 0, 1, 0, 1, 0),
        (500_000, EV.GoStop, 0, 0, 1, 0, 0, 0),
        (500_000, EV.GoStart, 0, 0, 2, 0, 2, 0),
        (500_010, EV.GoStop, 0, 0, 2, 0, 0, 0),
        (500_010, EV.GoStart, 0, 0, 1, 0, 3, 0),
        (1_000_000, EV.GoStop, 0, 0, 1, 0, 0, 0),
    ]
    ev = np.array([tuple(int(x) for x in r) for r in rows], dtype=EVENT_DTYPE)
    m = Model(("a", "b"))
    m.apply(ev)
    m.advance(1_000_000)
    tl = TimelineView(get_theme("dark"))
    qtbot.addWidget(tl)
    tl.resize(1000, 300)
    tl.show()
    tl.refresh(m, force=True)
    tl.vb.setXRange(0, 1.0, padding=0)
    tl.refresh(m, force=True)
    img = tl.image.image
    assert (img == ST_USER0 + 1).any(), "the 10 ns goroutine vanished"
    texts = [it.textItem.toPlainText() for it in tl._id_items if it.isVisible()]
    assert "G1" in texts and "G2" not in texts  # G2's 10 ns are far too narrow for a label


def test_the_highlighted_g_and_its_waker_arrows(qtbot, stage):
    import numpy as np

    st = stage
    tl = st.sv.win.timeline
    # main (G1): the runtime's start-up goroutines wake it (gcenable), then it runs the scenario
    tl.set_highlight(1, np.array([[int(st.sv.stops[0].t_ns), 1]]))
    st.sv.go_to_stop(1)
    xs, ys = tl.hl_curve.getData()
    assert xs is not None and np.isfinite(xs).sum() >= 4  # G1 outlined on its lane
    assert tl._arrows


def test_limits_and_verdicts_are_drawn(qtbot, tmp_path):
    """oom: the container limit line and the OOM kill mark; gc-death-spiral: the GOMEMLIMIT line."""
    from gmpviz.core.engine import Engine
    from gmpviz.core.workload.loader import load_scenario
    from gmpviz.record.replay import Replay
    from gmpviz.record.writer import record_run
    from gmpviz.ui.player import _offscreen_window

    path = tmp_path / "oom.gmprec"
    record_run(Engine(load_scenario("oom")), str(path))
    win = _offscreen_window(Replay.open(str(path)), (1200, 800))
    try:
        win.seek_time(win.replay.t_end_ns)
        win.render_now()
        h = win.heap
        assert h.container_line.isVisible() and h.container_line.value() == 64
        assert [t for _, t in h.verdicts] == ["OOM kill"]
        assert [t for _, t in win.timeline._verdicts_drawn] == ["OOM kill"]
    finally:
        win.close()
    path = tmp_path / "ml.gmprec"
    record_run(Engine(load_scenario("gc-death-spiral"), duration_ns=50_000_000), str(path))
    win = _offscreen_window(Replay.open(str(path)), (1200, 800))
    try:
        win.render_now()
        xs, ys = win.heap.memlimit_curve.getData()
        assert xs is not None and len(xs) and ys[0] > 0
    finally:
        win.close()


def test_the_deadlock_marker_is_drawn(qtbot, tmp_path):
    """checkdead's "all goroutines are asleep" is a labelled line on the lanes, where it happened."""
    from gmpviz.core.engine import Engine
    from gmpviz.core.workload.loader import loads_scenario
    from gmpviz.record.replay import Replay
    from gmpviz.record.writer import record_run
    from gmpviz.ui.player import _offscreen_window

    sc = loads_scenario(
        'name = "dead"\nsummary = "d"\ngomaxprocs = 2\nduration = "1s"\n[channels]\nc = 0\n'
        '[programs.main]\nops = [ { recv = "c" } ]\n',
        filename="dead.toml",
    )
    path = tmp_path / "dead.gmprec"
    record_run(Engine(sc), str(path))
    win = _offscreen_window(Replay.open(str(path)), (1200, 800))
    try:
        win.seek_time(win.replay.t_end_ns)
        win.render_now()
        drawn = win.timeline._verdicts_drawn
        assert [text for _, text in drawn] == ["deadlock: all goroutines are asleep"]
        assert 0 < drawn[0][0] <= win.replay.t_end_ns
        assert win.timeline._verdict_lines[0].isVisible()
    finally:
        win.close()


def test_tick_colours_repeat_no_state_colour():
    import numpy as np

    from gmpviz.model.timeline import ST_USER0
    from gmpviz.ui.theme import DARK, LIGHT, rgb
    from gmpviz.ui.views.timeline import marker_colours

    for theme in (DARK, LIGHT):
        lut = theme.lane_lut()[1 : ST_USER0 + 13, :3].astype(float)
        for c in marker_colours(theme):
            d = np.sqrt(((lut - np.array(rgb(c), float)) ** 2).sum(axis=1)).min()
            assert d >= 60, (theme.name, c, d)


# --- player fixes the stage needs -----------------------------------------------------------------
@pytest.fixture(scope="module")
def gc_recording(tmp_path_factory):
    from gmpviz.core.engine import Engine
    from gmpviz.core.workload.loader import load_scenario
    from gmpviz.record.writer import record_run

    path = tmp_path_factory.mktemp("gcrec") / "gc.gmprec"
    record_run(Engine(load_scenario("gc-steady"), duration_ns=300_000_000), str(path))
    return str(path)


def test_the_heatmap_at_an_instant_is_the_same_however_it_was_reached(qtbot, gc_recording):
    """`export --png --at T` seeks straight to T (a keyframe); a video walks there frame by frame."""
    import numpy as np

    from gmpviz.record.replay import Replay
    from gmpviz.ui.player import _offscreen_window

    at = 250_000_000
    win = _offscreen_window(Replay.open(gc_recording), (1200, 800))
    try:
        win.seek_time(at)
        win.render_now()
        straight = win.spans.img.copy()
        win.seek_time(0)
        win.render_now()
        for k in range(1, 51):  # a 200 fps walk: small forward moves apply events in between
            win.seek_time(at * k // 50)
            win.render_now()
        walked = win.spans.img.copy()
    finally:
        win.close()
    assert straight.shape == walked.shape and np.array_equal(straight, walked)


def test_player_fit_reveal_and_icons(qtbot, gc_recording):
    import pyqtgraph as pg  # noqa: F401

    from gmpviz.record.replay import Replay
    from gmpviz.ui.player import SHORTCUTS, _offscreen_window

    win = _offscreen_window(Replay.open(gc_recording), (1200, 800))
    try:
        ctl = win.controller
        assert not ctl.play_btn.icon().isNull() and "⏸" not in ctl.play_btn.text()
        ctl.set_playing(True)
        assert not ctl.play_btn.icon().isNull() and ctl.play_btn.text() == "Pause"
        ctl.set_playing(False)
        win.timeline.vb.setXRange(10, 20, padding=0)
        win.timeline.follow = False
        assert SHORTCUTS["fit"] == "F"
        ctl.fit()
        win.render_now()
        x0, x1 = win.timeline.vb.viewRange()[0]
        assert x0 == pytest.approx(0, abs=1e-6) and x1 >= win.replay.t_end_ns / 1e6
        win.seek_time(100_000_000)
        ctl.reveal_box.setChecked(True)
        win.render_now()
        assert ctl.masks and all(m.item.isVisible() for m in ctl.masks[:1])
        vb = ctl.masks[0].vb
        x0, x1 = vb.viewRange()[0]
        margin = 12 * (x1 - x0) / vb.width()  # the event at the cursor stays in view
        assert ctl.masks[0].item.rect().left() == pytest.approx(100.0 + margin)
        assert win.timeline.reveal_ns == 100_000_000
        ctl.reveal_box.setChecked(False)
        win.render_now()
        assert win.timeline.reveal_ns == float("inf")
    finally:
        win.close()


def test_time_axes_name_their_unit(qtbot, gc_recording):
    from gmpviz.ui.items.timeaxis import unit_for

    assert unit_for(0.001)[0] == "ns" and unit_for(0.3)[0] == "µs" and unit_for(40)[0] == "ms"
    assert unit_for(5000)[0] == "s"
    from gmpviz.record.replay import Replay
    from gmpviz.ui.player import _offscreen_window

    win = _offscreen_window(Replay.open(gc_recording), (1200, 800))
    try:
        win.timeline.follow = False
        win.timeline.vb.setXRange(0, 0.3, padding=0)
        win.render_now()
        axis = win.timeline.plot.getAxis("bottom")
        axis.tickStrings([0.0, 0.1, 0.2], 1.0, 0.1)
        assert axis.labelText == "virtual time (µs)" and "x0.001" not in axis.labelText
        assert axis.tickStrings([0.0, 0.1, 0.2], 1.0, 0.1) == ["0", "100", "200"]
        win.seek_time(0)  # at t = 0 no axis scales its title ("size class (x0.001)")
        win.render_now()
        import pyqtgraph as pg

        for gv in win.findChildren(pg.GraphicsView):
            for item in gv.scene().items():
                if isinstance(item, pg.AxisItem) and item.label.isVisible():
                    title = item.labelString()
                    assert "x0.0" not in title and "x1e" not in title, item.labelText
    finally:
        win.close()


def test_deck_export_writes_a_playable_mp4(tmp_path, cache, monkeypatch, capsys):
    av = pytest.importorskip("av")
    from gmpviz.cli import main

    monkeypatch.setenv("GMPVIZ_CACHE", str(cache))
    deck = tmp_path / "d.toml"
    deck.write_text(DECK)
    out = tmp_path / "deck.mp4"
    args = ["deck", "export", str(deck), "--video", str(out), "--size", "480x270", "--fps", "10"]
    assert main([*args, "--scene", "1", "--max-seconds", "0.3"]) == 0
    assert out.is_file() and not (tmp_path / "deck.mp4.part").exists()
    with av.open(str(out)) as f:
        frames = sum(1 for _ in f.decode(video=0))
        assert (f.streams.video[0].width, f.streams.video[0].height) == (480, 270)
    # a 2 s title card, at most 0.3 s (3 frames) of playback, a 1.5 s hold at each stop reached
    assert 20 + 15 <= frames <= 20 + 3 + 3 * 15
    assert "wrote" in capsys.readouterr().out
    assert main([*args, "--scene", "9"]) == 2


def test_deck_export_of_the_tour_writes_a_playable_mp4(tour_recordings, tmp_path, capsys):
    """The built-in tour itself, a short range: two scenes, 0.2 s of playback each."""
    av = pytest.importorskip("av")
    from gmpviz.cli import main

    out = tmp_path / "tour.mp4"
    argv = ["deck", "export", "tour", "--video", str(out), "--size", "320x180", "--fps", "10"]
    assert main([*argv, "--scene", "1", "--scene", "16", "--max-seconds", "0.2"]) == 0
    with av.open(str(out)) as f:
        s = f.streams.video[0]
        frames = sum(1 for _ in f.decode(video=0))
        assert (s.width, s.height) == (320, 180)
    # two 2 s title cards, at most 0.2 s (2 frames) of playback and a 1.5 s hold each
    assert 2 * (20 + 15) <= frames <= 2 * (20 + 2 + 15 * 4)
    assert "2 scenes" in capsys.readouterr().out


def test_f5_in_the_window_presents_the_tour_and_esc_comes_back(qtbot, make_win, monkeypatch, tmp_path):
    monkeypatch.setenv("GMPVIZ_CACHE", str(tmp_path))
    win = make_win()
    assert win.present_shortcut.key().toString() == "F5"
    win.present_shortcut.activated.emit()  # (offscreen windows are never active: no key reaches them)
    st = win.stage
    assert st is not None and st.isVisible() and st.title.text() == "G creation and runnext"
    qtbot.keyClick(st, QtCore.Qt.Key.Key_Escape)
    assert not st.isVisible() and win.isVisible()


# --- every "what to notice" names only things that are drawn -------------------------------------
# each thing a scene may name (gmpviz.deck.format.DRAWN), and the window item that draws it
DRAWN_BY = {
    "P lanes": "timeline.image",
    "M lanes": "timeline.m_box",
    "goroutine lanes": "stage:glanes",
    "G ids": "timeline._draw_ids",
    "steal ticks": "timeline._draw_markers",
    "steal arrows": "timeline._draw_steals",
    "mark worker lane": "timeline.image",
    "hand-off ticks": "timeline._draw_markers",
    "preempt ticks": "timeline._draw_markers",
    "STW bands": "timeline.image",
    "spinning": "timeline.image",
    "syscall": "timeline.image",
    "GC workers": "timeline.image",
    "GC assists": "timeline.image",
    "selected G": "timeline.hl_curve",
    "wake arrows": "timeline._draw_highlight",
    "deadlock marker": "timeline._draw_verdicts",
    "local run queues": "runq.local_curves",
    "global run queue": "runq.global_curve",
    "runnext": "runq.cells",
    "goroutine counts": "goroutines.plot",
    "heap line": "heap.curves",
    "live heap line": "heap.curves",
    "goal line": "heap.curves",
    "trigger line": "heap.curves",
    "GOMEMLIMIT line": "heap.memlimit_curve",
    "container limit line": "heap.container_line",
    "OOM kill marker": "heap.set_verdicts",
    "GC phases": "heap.phase",
    "STW pauses": "heap.bars",
    "STW bars": "heap.bars",
    "GC CPU": "heap.cpu_window_curve",
    "span queues": "heap.ring_curves",
    "span heatmap": "spans.image",
    "highlighted size class": "spans.hl_rect",
    "size class rows": "spans._axis",
    "event log": "events",
}
VISUAL_NOUNS = ("line", "arrow", "bar", "marker", "band", "tick", "lane")


def test_every_drawable_thing_has_its_item(make_win):
    from gmpviz.deck.format import DRAWN

    assert set(DRAWN) == set(DRAWN_BY)
    win = make_win()
    for name, path in DRAWN_BY.items():
        if path.startswith("stage:"):
            from gmpviz.ui.views.glanes import GoroutineLanesView  # noqa: F401

            continue
        obj = win
        for part in path.split("."):
            assert hasattr(obj, part), (name, path)
            obj = getattr(obj, part)
    for field in ("heap_alloc", "heap_goal", "heap_trigger", "heap_marked"):
        assert field in win.heap.curves


def _promises(text: str) -> list[str]:
    """The drawn things a "Notice ..." sentence names: '<words> line(s)/arrow(s)/...'."""
    import re

    out = []
    for sentence in re.findall(r"(?:Notice|Watch)[^.]*", " ".join(text.split())):
        for m in re.finditer(r"((?:[\w-]+ ){0,3})(" + "|".join(VISUAL_NOUNS) + r")s?\b", sentence):
            out.append((m.group(1) + m.group(2)).strip())
    return out


def _drawn(phrase: str) -> bool:
    from gmpviz.deck.format import DRAWN

    words = phrase.lower().split()
    noun = words[-1]
    before = [w for w in words[:-1] if w not in ("notice", "watch", "the", "a", "an", "its", "their", "each")]
    for key in DRAWN:
        k = key.lower().split()
        if k[-1].rstrip("s") != noun:
            continue
        if not before or all(any(kw in w or w in kw for w in before[-2:]) for kw in k[:-1]):
            return True
    return False


def test_every_preset_notice_names_only_drawn_things():
    from gmpviz.core.workload.loader import list_presets, load_scenario

    broken = []
    for name, _ in list_presets():
        sc = load_scenario(name)
        for phrase in _promises(sc.description):
            if not _drawn(phrase):
                broken.append(f"{name}: {phrase!r}")
    assert not broken, broken
    assert _promises("Notice the goal line crossing the container limit.") == ["Notice the goal line"]
    assert _drawn("the goal line") and _drawn("ProcSteal arrow") and not _drawn("the moon line")


def test_present_screenshot_from_the_command_line(tmp_path, cache, monkeypatch, capsys):
    from PySide6 import QtGui

    from gmpviz.cli import main

    monkeypatch.setenv("GMPVIZ_CACHE", str(cache))
    deck = tmp_path / "d.toml"
    deck.write_text(DECK)
    out = tmp_path / "s2.png"
    assert main(["present", str(deck), "--scene", "2", "--screenshot", str(out)]) == 0
    img = QtGui.QImage(str(out))
    assert (img.width(), img.height()) == (1920, 1080)
    assert main(["present", str(deck), "--scene", "3", "--screenshot", str(out)]) == 2
    assert "has 2 scenes" in capsys.readouterr().err


def test_a_screenshot_whose_pause_point_is_never_reached_says_so(tmp_path, cache, monkeypatch, capsys):
    """The picture is at the scene's end, and a warning names the pause point (exit 0: the PNG is
    written, as documented for warnings)."""
    from gmpviz.cli import main

    monkeypatch.setenv("GMPVIZ_CACHE", str(cache))
    deck = tmp_path / "d.toml"
    deck.write_text(
        'title = "t"\n[[scene]]\ntitle = "a"\nscenario = "default"\nduration = "1ms"\n'
        'pause = [ { event = "GCBegin" } ]\n'
    )
    out = tmp_path / "s.png"
    assert main(["present", str(deck), "--screenshot", str(out)]) == 0
    cap = capsys.readouterr()
    assert out.exists() and "scene 1 at its end" in cap.out
    warning = cap.err.strip()
    assert warning.startswith("gmpviz: warning: scene 1:") and "GCBegin" in warning and "\n" not in warning


COMPARE_DECK = """
title = "compare"
[[scene]]
title = "side by side"
scenario = "work-stealing"
seed = 1
duration = "3ms"
speed = "1ms/s"
views = ["timeline", "runq"]
compare = { policy = "global-queue", a = "stealing", b = "one queue" }
pause = [ { at = "1ms" }, { event = "ProcSteal" } ]
highlight = { stw = false, p = 0 }
"""


def test_a_compare_scene_plays_two_runs_on_one_time_axis(qtbot, cache, monkeypatch):
    monkeypatch.setenv("GMPVIZ_CACHE", str(cache))
    from gmpviz.ui.app import ensure_app
    from gmpviz.ui.stage import StageWindow

    ensure_app("dark")
    deck = loads_deck(COMPARE_DECK, "cmp.toml")
    st = StageWindow(deck, build_deck(deck), size=(1280, 720), presenter=False, interactive=False)
    qtbot.addWidget(st)
    st.show()
    try:
        st.show_scene(0)
        sv = st.sv
        a, b = sv.win, sv.win_b
        assert b is not None and sv.replay_b.reader.header["settings"]["policy"] == "global-queue"
        for win in (a, b):
            assert win.timeline.isVisibleTo(st) and win.runq.isVisibleTo(st)
        assert [h.text() for h in sv.side_heads] == ["<b>A</b> · stealing", "<b>B</b> · one queue"]
        _press(qtbot, st, K.Key_PageDown)
        for _ in range(50):
            st._last -= 0.1
            st._frame()
            if sv.target is None:
                break
        assert sv.stop_k == 0 and sv.replay.t_ns == sv.replay_b.t_ns == sv.stops[0].t_ns > 0
        _press(qtbot, st, K.Key_Right)
        _press(qtbot, st, K.Key_Right)  # there at once
        assert sv.replay_b.t_ns == sv.replay.t_ns == sv.stops[1].t_ns == 1_000_000
        # one time axis: a zoom of A's lanes moves B's lanes and both queue plots
        a.timeline.vb.setXRange(0.2, 0.7, padding=0)
        for v in (b.timeline.vb, b.runq.follow.vb, a.runq.follow.vb):
            assert v.viewRange()[0] == pytest.approx([0.2, 0.7])
        # the two runs differ where the policy does: only A's Ps steal
        st.image()
        assert a.timeline.last_image.shape == b.timeline.last_image.shape
        assert len(sv.replay.reader.marks("steal")[0]) > 0 == len(sv.replay_b.reader.marks("steal")[0])
    finally:
        st.close()


def test_selecting_a_g_in_the_player_draws_it_with_its_wakers(qtbot, tmp_path):
    """A click on a goroutine in the player outlines it on every lane and draws an arrow from the
    G that woke it (its GoUnblock's a0) at each wake-up in view."""
    from gmpviz.core.engine import Engine
    from gmpviz.core.trace.events import EV
    from gmpviz.core.workload.loader import load_scenario
    from gmpviz.record.replay import Replay
    from gmpviz.record.writer import record_run
    from gmpviz.ui.player import _offscreen_window

    path = tmp_path / "pp.gmprec"
    record_run(Engine(load_scenario("chan-pingpong"), duration_ns=2_000_000), str(path))
    replay = Replay.open(str(path))
    ev = replay.reader.events()
    unblock = ev[ev["kind"] == EV.GoUnblock]
    goid = int(np.bincount(unblock["g"]).argmax())  # the G woken most often
    wakes = replay.reader.wakes_of(goid)
    mine = unblock[unblock["g"] == goid]
    assert len(wakes) == len(mine) and (wakes[:, 1] == mine["a0"]).all() and (wakes[:, 1] > 0).all()
    win = _offscreen_window(replay, (1200, 800))
    try:
        t = int(wakes[min(3, len(wakes) - 1), 0])
        win.seek_time(t + 50_000)
        win.timeline.follow = False
        win.timeline.vb.setXRange((t - 50_000) / 1e6, (t + 50_000) / 1e6, padding=0)
        win.select("g", goid)
        win.render_now()
        tl = win.timeline
        assert tl.highlight_g == goid
        xs, _ = tl.hl_curve.getData()
        assert xs is not None and np.isfinite(xs).sum() >= 4
        assert tl._arrows, "no who-woke-whom arrow"
    finally:
        win.close()


def test_deck_export_at_60_fps_shows_a_progress_bar(tmp_path, cache, monkeypatch, capsys):
    av = pytest.importorskip("av")
    from gmpviz import console
    from gmpviz.cli import main

    monkeypatch.setenv("GMPVIZ_CACHE", str(cache))
    monkeypatch.setattr(console, "_isatty", lambda stream: True)  # stderr as a terminal: the bar shows
    deck = tmp_path / "d.toml"
    deck.write_text(DECK)
    out = tmp_path / "d60.mp4"
    argv = ["deck", "export", str(deck), "--video", str(out), "--size", "320x180", "--fps", "60"]
    assert main([*argv, "--scene", "2", "--max-seconds", "0.1"]) == 0
    with av.open(str(out)) as f:
        s = f.streams.video[0]
        frames = sum(1 for _ in f.decode(video=0))
        assert (s.width, s.height, int(s.average_rate)) == (320, 180, 60)
    # a 2 s title card, at most 0.1 s (6 frames) of playback, a 1.5 s hold at each stop reached
    assert 120 + 90 <= frames <= 120 + 6 + 2 * 90
    err = capsys.readouterr().err
    assert "video" in err and "100%" in err


def test_the_stage_scales_to_a_4k_screen(tmp_path, cache, monkeypatch):
    """3840x2160: every size doubles (text stays readable from the back at any resolution)."""
    from PySide6 import QtGui

    from gmpviz.ui.app import ensure_app
    from gmpviz.ui.stage import STAGE_BODY_PX, STAGE_TITLE_PX, StageWindow

    monkeypatch.setenv("GMPVIZ_CACHE", str(cache))
    ensure_app("dark")
    deck = loads_deck(DECK, "test.toml")
    st = StageWindow(deck, build_deck(deck), size=(3840, 2160), presenter=False, interactive=False)
    try:
        st.show()
        st.show_scene(0, at_stop=0)
        img = st.image()
        assert (img.width(), img.height()) == (3840, 2160)
        assert st.scale == 2.0
        assert st.title.font().pixelSize() == 2 * STAGE_TITLE_PX
        assert not _labels_ok(st, 2 * STAGE_BODY_PX) and not _axes_ok(st, 2 * STAGE_BODY_PX)
        assert img.format() != QtGui.QImage.Format.Format_Invalid
    finally:
        st.close()


def test_no_stale_tab_bar_is_painted_over_a_dock(make_win, qtbot):
    """Building the tab groups left a "Span heatmap | MMU and latency" bar over the heap dock: every
    visible tab bar sits right under the dock of its current tab."""
    win = make_win()
    win.resize(1920, 1080)
    qtbot.wait(50)
    titles = {d.windowTitle(): d for d in win.docks.values()}
    bars = [b for b in win.findChildren(QtWidgets.QTabBar) if b.parentWidget() is win and b.isVisible()]
    assert bars
    import pyqtgraph as pg

    for gv in win.findChildren(pg.GraphicsView):  # and before any run: no axis title scaled
        for item in gv.scene().items():
            if isinstance(item, pg.AxisItem) and item.label.isVisible():
                assert "(x0." not in item.labelString() and "x1e" not in item.labelString(), item.labelText
    for bar in bars:
        dock = titles[bar.tabText(bar.currentIndex())]
        g, b = dock.geometry(), bar.geometry()
        assert abs(b.top() - (g.bottom() + 1)) <= 8 and abs(b.left() - g.left()) <= 8, (bar.tabText(0), b, g)


def test_a_group_names_the_highlighted_goroutine(qtbot, cache, monkeypatch):
    """highlight = { g = "spawner" }: the first G of that group, whatever goids the runtime's
    start-up took before it."""
    from gmpviz.core.trace.events import EV
    from gmpviz.ui.app import ensure_app
    from gmpviz.ui.stage import StageWindow

    monkeypatch.setenv("GMPVIZ_CACHE", str(cache))
    ensure_app("dark")
    deck = loads_deck(DECK.replace('caption = "first **scene**"', 'highlight = { g = "spawner" }'), "t.toml")
    st = StageWindow(deck, build_deck(deck), size=(1280, 720), presenter=False, interactive=False)
    qtbot.addWidget(st)
    st.show()
    try:
        st.show_scene(0, at_stop=0)
        reader = st.sv.replay.reader
        ev = np.concatenate(list(reader.iter_blocks()))
        made = ev[(ev["kind"] == EV.GoCreate) & (ev["a1"] == reader.groups.index("spawner"))]
        assert st.sv.highlight_g == int(made["g"][0]) > 1
        assert st.sv.win.timeline.highlight_g == st.sv.highlight_g
        assert not _highlights_drawn(st)
    finally:
        st.close()
