"""UI frame benchmark: the real main window with 1M timeline segments, a 512x512 span heatmap and
counters updating while an engine thread streams events at EVENTS_PER_S.

`bench_ui() -> dict` with ui_frame_ms_median, ui_frame_ms_p95 (time of one frame: pump the session,
fold the events, refresh the views, paint) and ui_event_to_pixel_ms (median time from the engine
thread posting a batch to the end of the frame that painted it). Goals: median <= 16 ms,
event-to-pixel <= 100 ms. The engine is tests/_synthetic.py's SyntheticEngine paced to a realistic
rate (the real engine emits ~100-300k events/s), so the numbers measure the UI, not the emulator.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

TESTS = Path(__file__).resolve().parents[1] / "tests"
SEGMENTS = 1_000_000
HEATMAP_SIDE = 512
# the live stream's rate: above what the real engine reaches at "max" speed beside the window
# (measured ~35k events/s on the `default` preset; ~4k events/s at the default 100 ms/s speed)
EVENTS_PER_S = 50_000
FRAMES = 240
FRAME_S = 0.016
# "the window keeps up" (issue 13): the real window and engine (its own process) at max speed on this
# preset, against the same run headless in the same benchmark
KEEPS_UP_PRESET = "default"
# 20 s of `default` is ~720k events, a few seconds of window at max speed: long enough for a steady
# state (2 s was ~70k events, a run of 7 to 40 frames that the first paint of every dock dominated)
KEEPS_UP_VIRTUAL_NS = 20_000_000_000
GOAL_RATIO = 0.8  # issue 13: the window's engine at >= 0.8 of headless ...
GOAL_FPS = 50  # ... while the UI holds >= 50 frames/s
REPLAY_VIRTUAL_NS = 20_000_000_000  # the window fed recorded batches at the goal's rate: this much of the run
FRAME_TIMER_MS = 16  # gmpviz/ui/main_window.py FRAME_MS


def _prefill(model, eng, segments: int) -> None:
    """Fold the engine's events until the P timeline holds about `segments` segments.

    Only the first chunk goes through the whole model (goroutine groups, queues); the rest feeds
    the timeline and counters directly, which is all the frame benchmark needs from history."""
    step = 5 * 1_000_000
    eng.run_until(step)
    model.apply(eng.drain())
    while model.ptl.segment_count() < segments and not eng.done:
        eng.run_until(eng.now_ns + step)
        ev = eng.drain()
        model.ptl.apply(ev, model.state.group_of)
        model.log.append(ev)
        model.add_counters(eng.counters())
    model.state.now_ns = model.now_ns


def _spans(model, n: int) -> None:
    """n spans over all size classes, in every state, with random occupancy (for the heatmap)."""
    from gmpviz.core.trace.events import EV, EVENT_DTYPE, PATH_SMALL, alloc_code

    rng = np.random.default_rng(7)
    sc = rng.integers(1, 68, size=n)
    ids = np.arange(1, n + 1)
    ev = np.zeros(3 * n, dtype=EVENT_DTYPE)
    ev["kind"][0::3], ev["a0"][0::3], ev["a1"][0::3], ev["a2"][0::3] = EV.SpanAlloc, ids, sc << 1 | 1, 1
    ev["kind"][1::3], ev["a0"][1::3], ev["a1"][1::3], ev["p"][1::3] = EV.SpanCache, ids, sc << 1 | 1, ids % 8
    ev["kind"][2::3], ev["a0"][2::3] = EV.Alloc, alloc_code(PATH_SMALL, 1, 1, 0) + (ids << 24)
    ev["a1"][2::3] = rng.integers(0, 1000, size=n)
    ev["p"][0::3], ev["m"] = -1, -1
    model.spans.apply(ev)


def bench_ui(frames: int = FRAMES, segments: int = SEGMENTS) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtCore, QtWidgets

    from gmpviz.core.workload.loader import list_presets, load_scenario
    from gmpviz.model import Model

    sys.path.insert(0, str(TESTS))  # the synthetic engine is test support: tests/_synthetic.py
    from _synthetic import SyntheticEngine

    from gmpviz.ui.app import ensure_app
    from gmpviz.ui.main_window import MainWindow
    from gmpviz.ui.theme import get_theme

    app = ensure_app("dark")
    groups = ("main", "worker", "io")
    # 8 Ps, ~2 segments per 20 us each: 1M segments take about 1.3 s of virtual time
    eng = SyntheticEngine(duration_ns=4_000 * 1_000_000, procs=8, groups=groups)
    model = Model(groups)
    t0 = time.perf_counter()
    _prefill(model, eng, segments)
    _spans(model, HEATMAP_SIDE * HEATMAP_SIDE)
    prefill_s = time.perf_counter() - t0
    density = max(model.log.total / max(eng.now_ns, 1), 1e-9)  # events per virtual ns, as emitted

    win = MainWindow(get_theme("dark"), lambda sc, **kw: eng, load_scenario, list_presets(), None, False)
    win.timer.stop()  # frames are driven below, one at a time, and timed
    win.spans.cols = HEATMAP_SIDE
    win.resize(1600, 1000)
    win.show()
    win.speed = EVENTS_PER_S / density
    win.start(load_scenario("default"), "bench")
    win.session.model = model  # before the first pump: the stream continues where the prefill stopped
    app.processEvents()

    frame_ms, latency_ms, parts, events = [], [], [], []
    for _ in range(frames):
        f0 = time.perf_counter()
        res = win.session.pump()
        fa = time.perf_counter()
        win.frames += 1
        win.refresh_views(frame_t0=f0)
        fb = time.perf_counter()
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents)
        f1 = time.perf_counter()
        frame_ms.append((f1 - f0) * 1e3)
        parts.append(((fa - f0) * 1e3, (fb - fa) * 1e3, (f1 - fb) * 1e3))
        events.append(res.events)
        if res.oldest_posted_s is not None:
            latency_ms.append((f1 - res.oldest_posted_s) * 1e3)
        rest = FRAME_S - (f1 - f0)
        if rest > 0:
            time.sleep(rest)
    out = {
        "ui_frame_ms_median": round(statistics.median(frame_ms), 2),
        "ui_frame_ms_p95": round(float(np.percentile(frame_ms, 95)), 2),
        "ui_event_to_pixel_ms": round(statistics.median(latency_ms), 2) if latency_ms else None,
        "pump_ms_median": round(statistics.median(p[0] for p in parts), 2),
        "refresh_ms_median": round(statistics.median(p[1] for p in parts), 2),
        "paint_ms_median": round(statistics.median(p[2] for p in parts), 2),
        "events_per_frame_median": int(statistics.median(events)),
        "timeline_segments": int(model.ptl.segment_count()),
        "heatmap_cells": int(win.spans.img.size),
        "events_streamed": int(model.events_total),
        "events_per_s": EVENTS_PER_S,
        "prefill_s": round(prefill_s, 2),
        "frames": frames,
    }
    win.close()
    QtWidgets.QApplication.processEvents()
    return out


def _process_cpu_s(pid: int) -> float | None:
    """utime + stime of a live process (Linux /proc), None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _headless(preset: str, virtual_ns: int) -> tuple[int, float, float]:
    """(events, wall s, CPU s) of `gmpviz run PRESET --headless` (its loop, output discarded)."""
    from gmpviz.core.engine import Engine
    from gmpviz.core.workload.budget import HEADLESS_MAX_EVENTS
    from gmpviz.core.workload.loader import load_scenario

    eng = Engine(load_scenario(preset), duration_ns=virtual_ns)
    w0, c0 = time.perf_counter(), time.process_time()
    t = 0
    while not eng.done:
        t += 10_000_000
        while eng.run_until(t, max_events=HEADLESS_MAX_EVENTS) >= HEADLESS_MAX_EVENTS and not eng.done:
            eng.discard_output()
        eng.discard_output()
    return eng.tracer.total, time.perf_counter() - w0, time.process_time() - c0


def bench_window_keeps_up(preset: str = KEEPS_UP_PRESET, virtual_ns: int = KEEPS_UP_VIRTUAL_NS) -> dict:
    """The window at max speed against headless, in one run: engine events per wall second in the
    window over headless (``window_to_headless_ratio``, goal >= 0.8) and the window's frames per
    second meanwhile (``ui_fps_at_max_speed``, goal >= 50). The window is the app's (its engine in its
    own process), driven by its own 16 ms timer. On a loaded machine both runs share the cores with
    whatever else runs: ``load_average`` says how loaded it was, and the CPU-second figures (events
    per CPU second of the engine's process against headless) do not depend on it."""
    from PySide6 import QtCore

    from gmpviz.core.workload.loader import load_scenario
    from gmpviz.ui.app import ensure_app, make_window

    app = ensure_app("dark")
    load0 = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    h1 = _headless(preset, virtual_ns)
    win = make_window("dark", interactive=False, remember_layout=False)
    win.resize(1600, 1000)
    win.show()
    win.speed = None
    win.start(load_scenario(preset), preset, duration_ns=virtual_ns)
    th = win.source.thread
    pid = getattr(getattr(th, "_proc", None), "pid", None)
    frames0, w0, ui0 = win.frames, time.perf_counter(), time.process_time()
    cpu0 = _process_cpu_s(pid) if pid else None
    cpu1 = None
    while not (win.session.done or win.session.crash) and time.perf_counter() - w0 < 600:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 5)
        if pid and win.engine.done and cpu1 is None:
            cpu1 = _process_cpu_s(pid)
    wall = time.perf_counter() - w0
    ui_cpu = time.process_time() - ui0
    frames = win.frames - frames0
    events = win.session.model.events_total
    crash = win.session.crash
    cpu1 = cpu1 if cpu1 is not None else (_process_cpu_s(pid) if pid else None)
    in_process = type(th).__name__ == "EngineProcess"
    win.close()
    app.processEvents()
    h2 = _headless(preset, virtual_ns)
    if crash:
        raise RuntimeError(f"the window's engine crashed: {crash.strip().splitlines()[-1]}")
    head_ev, head_wall, head_cpu = h1[0], statistics.mean((h1[1], h2[1])), statistics.mean((h1[2], h2[2]))
    out = {
        "window_to_headless_ratio": round((events / wall) / (head_ev / head_wall), 3),
        "ui_fps_at_max_speed": round(frames / wall, 1),
        # the UI process's CPU time per frame (fold, views, paint, the receiving thread): what its frame
        # rate is with a core of its own, whatever else runs (the 16 ms timer caps it at 62.5)
        "ui_cpu_ms_per_frame": round(ui_cpu * 1e3 / max(frames, 1), 2),
        "ui_fps_cpu_bound": round(min(1e3 / FRAME_TIMER_MS, frames / max(ui_cpu, 1e-9)), 1),
        "events_per_frame": round(events / max(frames, 1)),
        "window_events_per_s": round(events / wall),
        "headless_events_per_s": round(head_ev / head_wall),
        "window_engine": "process" if in_process else "thread",
        "keeps_up_preset": f"{preset}, {virtual_ns / 1e9:g} s virtual, {events:,} events",
    }
    if cpu0 is not None and cpu1 is not None and cpu1 > cpu0:
        out["window_to_headless_cpu_ratio"] = round((events / (cpu1 - cpu0)) / (head_ev / head_cpu), 3)
    if load0 is not None:
        out["load_average"] = f"{load0:.1f} before, {os.getloadavg()[0]:.1f} after, {os.cpu_count()} cores"
    out.update(bench_ui_at_goal_rate(preset, min(virtual_ns, REPLAY_VIRTUAL_NS), head_ev / head_cpu))
    return out


def bench_ui_at_goal_rate(preset: str, virtual_ns: int, headless_events_per_cpu_s: float) -> dict:
    """The window's CPU per frame when each frame brings what the goal implies: the engine at
    GOAL_RATIO of headless (events per CPU second, so the load does not enter) shown at GOAL_FPS.
    The preset's batches are recorded first (the engine run as the engine process slices it), then
    fed to the app's window frame by frame (pump, fold, views, paint), and its CPU time is measured:
    ``ui_fps_cpu_bound_at_goal`` >= GOAL_FPS says the window keeps up given a core of its own (the
    engine process has the other one), whatever else the machine runs meanwhile."""
    from PySide6 import QtCore

    from gmpviz.core.engine import Engine
    from gmpviz.core.thread import SLICE_MAX_EVENTS, Batch
    from gmpviz.core.workload.loader import load_scenario
    from gmpviz.ui.app import ensure_app, make_window

    per_frame = max(int(GOAL_RATIO * headless_events_per_cpu_s / GOAL_FPS), 1)
    eng = Engine(load_scenario(preset), duration_ns=virtual_ns)
    batches = []
    while not eng.done:  # two slices a frame, as the engine process posts ~125 a second
        eng.run_until(eng.duration_ns, max_events=min(max(per_frame // 2, 200), SLICE_MAX_EVENTS))
        batches.append(Batch(eng.drain(), eng.drain_counters(), int(eng.now_ns), bool(eng.done)))

    class Recorded:
        def __init__(self) -> None:
            self.i = 0

        def poll(self) -> list:
            out, n = [], 0
            while self.i < len(batches) and n < per_frame:
                out.append(batches[self.i])
                n += len(batches[self.i].events)
                self.i += 1
            return out

    app = ensure_app("dark")
    win = make_window("dark", interactive=False, remember_layout=False)
    win.resize(1600, 1000)
    win.show()
    win.timer.stop()  # frames are driven below, one at a time
    win.speed = None
    win.start(load_scenario(preset), preset, duration_ns=virtual_ns)
    win.source.stop()  # the window shows the recorded batches instead of its own engine's
    win.session.source = Recorded()
    for _ in range(3):
        app.processEvents()
    cpu_ms, events = [], []
    while not win.session.done:
        n0, c0 = win.session.model.events_total, time.process_time()
        win.tick()
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents)
        cpu_ms.append((time.process_time() - c0) * 1e3)
        events.append(win.session.model.events_total - n0)
    win.close()
    app.processEvents()
    mean_ms = sum(cpu_ms) / max(len(cpu_ms), 1)
    return {
        "goal_events_per_frame": per_frame,
        "ui_cpu_ms_per_frame_at_goal": round(mean_ms, 2),
        "ui_cpu_ms_per_frame_at_goal_p95": round(float(np.percentile(cpu_ms, 95)), 2),
        "ui_fps_cpu_bound_at_goal": round(1e3 / max(mean_ms, 1e-9), 1),
        "goal_replay": f"{preset}, {virtual_ns / 1e9:g} s, {sum(events):,} events, {len(cpu_ms)} frames",
    }


if __name__ == "__main__":
    import json

    print(json.dumps(bench_ui(), indent=2))
