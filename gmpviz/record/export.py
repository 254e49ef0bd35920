"""`gmpviz export FILE --perfetto OUT.json | --gotrace OUT.trace | --png OUT.png --at T | --video OUT.mp4
--from A --to B`.

Perfetto JSON and Go execution traces (`gotrace.writer`: what `go tool trace` opens) are written
here (Qt-free). PNG and video frames are drawn by the player window
rendered offscreen (`gmpviz.ui.player.render_png` / `render_video`): this floor never imports Qt, so
it looks that module up by name only when a frame export is asked for. Every output is written to a
temporary name and renamed: an export that fails or is interrupted leaves nothing half-written.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

from ..console import Progress, wrote
from . import RecordingError
from .outpath import PART_SUFFIX, atomic_open, check_outputs
from .replay import Replay

UI_RENDERER = "gmpviz.ui.player"  # the offscreen frame renderer (a Qt module, looked up by name)
MAX_VIDEO_SIDE = 7680
DEFAULT_SIZE = "1920x1080"  # --size
DEFAULT_FPS = 30  # --fps
VIDEO_ENCODER = "av"  # PyAV: its wheels bundle ffmpeg (libx264)


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in str(text).lower().split("x"))
    except ValueError:
        raise RecordingError(f"--size must look like 1920x1080, not {text!r}") from None
    if not (16 <= w <= MAX_VIDEO_SIDE and 16 <= h <= MAX_VIDEO_SIDE):
        raise RecordingError(f"--size {w}x{h} is out of range (16..{MAX_VIDEO_SIDE} per side)")
    return w - w % 2, h - h % 2  # yuv420p needs even sides


def video_encoder_available() -> bool:
    return importlib.util.find_spec(VIDEO_ENCODER) is not None


def _renderer():
    try:
        return importlib.import_module(UI_RENDERER)
    except ImportError as e:
        raise RecordingError(f"frame export needs the window toolkit (PySide6, pyqtgraph): {e}") from None


def _check_args(args) -> None:
    if not (args.perfetto or getattr(args, "gotrace", None) or args.png or args.video):
        raise RecordingError(
            "nothing to export: give --perfetto OUT.json, --gotrace OUT.trace, --png OUT.png or "
            "--video OUT.mp4"
        )
    if args.at is not None and not args.png:
        raise RecordingError("--at goes with --png")
    if (args.t_from is not None or args.t_to is not None) and not args.video:
        raise RecordingError("--from/--to go with --video")
    if getattr(args, "fps", None) is not None and not args.video:
        raise RecordingError("--fps goes with --video")
    if getattr(args, "size", None) is not None and not (args.png or args.video):
        raise RecordingError("--size goes with --png or --video")
    if args.video and not video_encoder_available():
        raise RecordingError(
            "--video needs the PyAV encoder (its wheel bundles ffmpeg): pip install 'gmpviz[video]'"
        )


def report_cut(reader, strict: bool = False, stream=None) -> None:
    """A recording cut short (a crash, a copy stopped half-way) is still worth using: say so in one
    warning line on stderr and go on; with `strict` it is an error (RecordingError, exit status 2)."""
    cut = reader.cut_short()
    if cut is None:
        return
    if strict:
        raise RecordingError(f"{cut}: --strict refuses a recording that is not complete")
    print(
        f"gmpviz: warning: {cut}: using the {reader.n_events:,} events before the cut",
        file=stream if stream is not None else sys.stderr,
    )


def export_gotrace(replay: Replay, out_path: str) -> tuple[int, int]:
    """The recording as a Go execution trace (gotrace.writer), written atomically: (Go events
    written, gmpviz events left out)."""
    from ..gotrace.writer import write_gotrace

    reader = replay.reader
    with atomic_open(out_path, "wb", (reader.path,), "the Go execution trace") as f:
        w = write_gotrace(reader.iter_blocks(), f)
    return sum(w.written.values()), sum(w.skipped.values())


def export_main(args) -> int:
    """The `gmpviz export` command; returns the exit status (errors raise RecordingError)."""
    _check_args(args)
    size = parse_size(getattr(args, "size", None) or DEFAULT_SIZE)
    fps = int(getattr(args, "fps", None) or DEFAULT_FPS)
    gotrace = getattr(args, "gotrace", None)
    outputs = [
        (args.perfetto, "the Perfetto trace"),
        (gotrace, "the Go execution trace"),
        (args.png, "the image"),
        (args.video, "the video"),
    ]
    check_outputs(outputs, inputs=(args.file, args.file + PART_SUFFIX))
    replay = Replay.open(args.file)
    check_outputs(outputs, inputs=(replay.reader.path,))
    report_cut(replay.reader, strict=getattr(args, "strict", False))  # before any output is written
    end = replay.t_end_ns
    if args.perfetto:
        from .perfetto import export_perfetto

        with Progress("perfetto") as progress:
            n = export_perfetto(replay, args.perfetto, progress)
        print(wrote(args.perfetto, f"Perfetto trace JSON, {n:,} trace events"))
    if gotrace:
        n, skipped = export_gotrace(replay, gotrace)
        print(
            wrote(
                gotrace,
                f"Go execution trace (go 1.26), {n:,} events; {skipped:,} gmpviz events without a Go "
                "counterpart left out",
            )
        )
    if args.png:
        at = end if args.at is None else args.at
        if not 0 <= at <= end:
            raise RecordingError(f"--at {at / 1e9:g}s is outside the recording (0..{end / 1e9:g}s)")
        _renderer().render_png(replay, args.png, at, size)
        print(wrote(args.png, f"PNG image {size[0]}x{size[1]} at {at / 1e9:g} s"))
    if args.video:
        t0 = 0 if args.t_from is None else args.t_from
        t1 = end if args.t_to is None else args.t_to
        if not 0 <= t0 < t1 <= end:
            raise RecordingError(
                f"--from/--to must satisfy 0 <= from < to <= {end / 1e9:g}s (the recording's length)"
            )
        with Progress("video") as progress:
            frames = _renderer().render_video(replay, args.video, t0, t1, fps, size, progress)
        print(
            wrote(
                args.video,
                f"H.264 video {size[0]}x{size[1]}, {frames:,} frames at {fps} fps = {frames / fps:.1f} s "
                f"of {(t1 - t0) / 1e9:g} s virtual",
            )
        )
    return 0
