"""`gmpviz bench --video`: how long `gmpviz export --video` takes per second of video at 1080p30.

The recording is the `default` preset (seed 1) run for `virtual_s` seconds; the video plays it at the
player's 1x (DEFAULT_SPEED), so 1 s of virtual time is 10 s of video. ``video_s_per_video_s`` is the
wall time of the export divided by the video's length: at most 1.0 means the export keeps up with real
time. The window's start-up (Qt, the offscreen window, loading the recording) is included.
``cpu_s_per_video_s`` is the process's CPU time (all threads) per second of video: the cost of the export
itself, which a machine busy with other work does not change (``cpu_share`` says how much of the
machine's cores the export got).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import time

from . import BenchError

BENCH_SIZE = (1920, 1080)
BENCH_FPS = 30
BENCH_SCENARIO = "default"


def run(args) -> dict:
    from ..console import Progress
    from ..qtcheck import missing_xcb_packages

    if missing_xcb_packages():  # the CLI said so already; a direct call gets one line too
        raise BenchError(f"Qt cannot start: install {' '.join(missing_xcb_packages())}")
    with Progress("video") as progress:
        return bench_video(virtual_s=1.0 if args.seconds is None else args.seconds, progress=progress)


def bench_video(virtual_s: float = 1.0, progress=None) -> dict:
    from ..core.engine import Engine
    from ..core.workload.loader import load_scenario
    from ..record.replay import Replay
    from ..record.writer import record_run

    try:
        from ..ui.controls import DEFAULT_SPEED
        from ..ui.player import render_video
    except ImportError as e:
        raise BenchError(f"the video bench needs the window toolkit (PySide6, pyqtgraph): {e}") from None
    if importlib.util.find_spec("av") is None:
        raise BenchError("the video bench needs the PyAV encoder: pip install 'gmpviz[video]'")

    with tempfile.TemporaryDirectory(prefix="gmpviz-bench-video-") as d:
        rec = os.path.join(d, "bench.gmprec")
        out = os.path.join(d, "bench.mp4")
        eng = Engine(load_scenario(BENCH_SCENARIO), seed=1, duration_ns=int(virtual_s * 1e9))
        record_run(eng, rec)
        t0, cpu0 = time.perf_counter(), time.process_time()
        replay = Replay.open(rec)
        t_end = replay.t_end_ns
        frames = render_video(replay, out, 0, t_end, BENCH_FPS, BENCH_SIZE, progress)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        video_s = frames / BENCH_FPS
        size = os.path.getsize(out)
    return {
        "video_s_per_video_s": round(wall / video_s, 3),
        # CPU seconds of every thread of this process (drawing, swscale, libx264) per second of video:
        # what the export costs whatever else the machine runs; <= 1 keeps up on one free core.
        "cpu_s_per_video_s": round(cpu / video_s, 3),
        "cpu_share": round(cpu / wall / max(os.cpu_count() or 1, 1), 3),  # of all cores: < 1 = contended
        "video_s": round(video_s, 3),
        "wall_s": round(wall, 3),
        "frames": frames,
        "frames_per_wall_s": round(frames / wall, 1),
        "size": f"{BENCH_SIZE[0]}x{BENCH_SIZE[1]}",
        "fps": BENCH_FPS,
        "virtual_s": round(t_end / 1e9, 3),
        "speed_virtual_ns_per_s": int(DEFAULT_SPEED),
        "mp4_bytes": size,
        "cpus": os.cpu_count(),
    }
