"""Video export: window frames drawn offscreen, encoded H.264 on a second thread.

Why it is fast enough for 1080p30 in real time on two cores (`gmpviz bench --video`):
- a frame is one `refresh_views(force=True)` and one `QWidget.grab()`; no `processEvents()` (which
  repainted the whole window once more for every frame: it was half of the old frame time). Only the
  posted layout requests are delivered, so labels that changed width are laid out before the grab.
- the grabbed QImage (Format_RGB32: B, G, R, 0xff bytes on little-endian machines) is wrapped without a
  copy (`VideoFrame.from_numpy_buffer`, format "bgra") and converted to yuv420p and encoded by FFmpeg on
  an encoder thread: PyAV releases the GIL in swscale and in libx264, so the next frame is drawn
  while this one is encoded.
- libx264's "ultrafast" preset: ~4x faster than the default "medium" at 1080p, files ~2.5x bigger.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

X264_PRESET = "ultrafast"
WARMUP_GRABS = 2  # the first grabs of a new window differ from the next ones at the same cursor
FULL_FRAME_EVERY = 3  # every view redrawn on 1 frame in 3 (10 Hz at 30 fps); the cursors on every frame
QUEUE_FRAMES = 3  # frames drawn ahead of the encoder: bounds memory (8 MiB a 1080p frame)
PUT_POLL_S = 0.1


def grab_frame(win, size: tuple[int, int]) -> QtGui.QImage:
    """The window as it shows its cursor now, `size` pixels, Format_RGB32."""
    if hasattr(win, "_player_status"):
        win._player_status(False)  # the status line is set by the frame timer, which is stopped here
    win.refresh_views(slow=True, force=True)
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.LayoutRequest)
    img = win.grab().toImage()
    w, h = size
    if (img.width(), img.height()) != (w, h):  # a HiDPI screen grabs at its device pixel ratio
        img = img.scaled(
            w,
            h,
            QtCore.Qt.AspectRatioMode.IgnoreAspectRatio,
            QtCore.Qt.TransformationMode.SmoothTransformation,
        )
    if img.format() != QtGui.QImage.Format.Format_RGB32:
        img = img.convertToFormat(QtGui.QImage.Format.Format_RGB32)
    return img


class FrameRenderer:
    """Video frames of a player window, much cheaper than a full redraw each.

    Between two cursor positions 1/30 s apart what moves is the cursor: the timeline's and the heap
    plot's cursor lines, the scrubber and the status line. So every FULL_FRAME_EVERY-th frame refreshes
    every view and grabs the window with its cursor lines hidden (the base); every frame is a copy of
    the base with the small bars (playback, status) rendered again and the cursor lines drawn by
    QPainter where pyqtgraph would put them. The docks that show the state at the cursor (run queues,
    goroutines, spans, event log, inspector, the heap summary) thus change 10 times a second at 30 fps,
    as the live window refreshes its docks in turn; the cursors move on every frame."""

    def __init__(self, win, size: tuple[int, int]) -> None:
        self.win, self.size = win, size
        self.base: QtGui.QImage | None = None
        self.n = 0
        self.cursors = self._cursors()
        self.bars = self._bars()

    def _cursors(self) -> list:
        """(InfiniteLine, its pen) of the player's cursors; [] when the window has none."""
        out = []
        for line in (getattr(self.win, n, None) for n in ("tl_cursor", "heap_cursor")):
            if line is not None:
                pen = QtGui.QPen(line.pen)
                pen.setWidth(max(1, int(pen.widthF())))  # pyqtgraph's cosmetic 1.5 px line lands on 1 px
                out.append((line, pen))
        return out

    def _bars(self) -> list:
        win = self.win
        scrubber = getattr(win, "scrubber", None)
        return [w for w in (scrubber.parentWidget() if scrubber else None, win.statusBar()) if w is not None]

    def _fast_ok(self) -> bool:
        win = self.win
        return (
            bool(self.cursors)
            and (win.width(), win.height()) == tuple(self.size)
            and win.devicePixelRatioF() == 1.0
        )

    def _grab_base(self) -> QtGui.QImage:
        for line, _ in self.cursors:
            line.setVisible(False)
        try:
            if self.base is None:
                for _ in range(WARMUP_GRABS):  # plots settle their ranges and rasters on the first paints
                    grab_frame(self.win, self.size)
            return grab_frame(self.win, self.size)
        finally:
            for line, _ in self.cursors:
                line.setVisible(True)

    def _cursor_segment(self, line) -> tuple[QtCore.QPointF, QtCore.QPointF] | None:
        """Where `line` is drawn, in window pixels: its x in the view box, the view box's height."""
        vb = line.getViewBox()
        if vb is None or not vb.scene() or not vb.scene().views():
            return None
        view = vb.scene().views()[0]
        box = view.mapFromScene(vb.sceneBoundingRect()).boundingRect()
        x = view.mapFromScene(vb.mapViewToScene(QtCore.QPointF(float(line.value()), 0.0))).x()
        if not box.left() <= x <= box.right():
            return None
        top, bottom = (
            view.mapTo(self.win, QtCore.QPoint(x, box.top())),
            view.mapTo(self.win, box.bottomLeft()),
        )
        return QtCore.QPointF(top.x(), top.y()), QtCore.QPointF(top.x(), bottom.y())

    def frame(self) -> QtGui.QImage:
        if not self._fast_ok():
            return grab_frame(self.win, self.size)
        if self.base is None or self.n % FULL_FRAME_EVERY == 0:
            self.base = self._grab_base()
        self.n += 1
        win = self.win
        if hasattr(win, "_player_status"):
            win._player_status(False)
        QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.LayoutRequest)
        img = self.base.copy()  # a new buffer: the encoder thread may still be reading the last frame
        painter = QtGui.QPainter(img)
        try:
            flags = (
                QtWidgets.QWidget.RenderFlag.DrawChildren | QtWidgets.QWidget.RenderFlag.DrawWindowBackground
            )
            for w in self.bars:
                if w.isVisible():
                    w.render(painter, w.mapTo(win, QtCore.QPoint(0, 0)), QtGui.QRegion(), flags)
            for line, pen in self.cursors:
                seg = self._cursor_segment(line)
                if seg is not None:
                    painter.setPen(pen)
                    painter.drawLine(*seg)
        finally:
            painter.end()
        return img


class Repeat:
    """One picture held for `count` frames (a title card, a pause): converted to YUV once and handed
    to the encoder thread as one item, so the drawing thread goes on to the next frames (the next
    scene's set-up) while the encoder encodes the held ones."""

    __slots__ = ("image", "count")

    def __init__(self, image: QtGui.QImage, count: int) -> None:
        self.image, self.count = image, max(0, int(count))


class _Encoder(threading.Thread):
    """Takes QImages from a bounded queue, converts and encodes them; None ends the stream."""

    def __init__(self, container, stream, size: tuple[int, int]) -> None:
        super().__init__(name="gmpviz-video-encoder", daemon=True)
        self.container, self.stream, self.size = container, stream, size
        self.q: queue.Queue = queue.Queue(maxsize=QUEUE_FRAMES)
        self.error: BaseException | None = None
        self.abort = threading.Event()

    def run(self) -> None:
        import av

        w, h = self.size
        try:
            while True:
                img = self.q.get()
                if img is None or self.abort.is_set():
                    break
                count = 1
                if isinstance(img, Repeat):
                    img, count = img.image, img.count
                rgb = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes())
                rgb = rgb.reshape(h, img.bytesPerLine() // 4, 4)
                frame = av.VideoFrame.from_numpy_buffer(rgb, format="bgra", width=w)
                # no scaling, only the colour conversion: the cheapest filter (-17% of swscale's time)
                frame = frame.reformat(format="yuv420p", interpolation="FAST_BILINEAR")
                del img, rgb  # the yuv frame owns its pixels now
                for _ in range(count):
                    if self.abort.is_set():
                        break
                    frame.pts = None  # each copy its own time stamp (the encoder numbers them)
                    for pkt in self.stream.encode(frame):
                        self.container.mux(pkt)
            if not self.abort.is_set():
                for pkt in self.stream.encode():
                    self.container.mux(pkt)
        except BaseException as e:  # noqa: BLE001 (handed to the drawing thread, which raises it)
            self.error = e

    def put(self, img: QtGui.QImage | Repeat | None) -> None:
        while True:
            if self.error is not None:
                raise self.error
            if not self.is_alive() and img is not None:
                raise RuntimeError("the video encoder stopped")
            try:
                self.q.put(img, timeout=PUT_POLL_S)
                return
            except queue.Full:
                continue


def encode_video(
    out_tmp: str,
    frames: Iterable[QtGui.QImage],
    nframes: int,
    fps: int,
    size: tuple[int, int],
    progress: Callable[[float], None] | None = None,
) -> int:
    """Encode `frames` (Format_RGB32 QImages of `size`, or Repeat(image, count) for a held picture) as
    an MP4 at `out_tmp`; returns the frame count.
    The caller renames the file into place (and removes it on error)."""
    import av

    w, h = size
    container = av.open(out_tmp, mode="w", format="mp4")
    enc = None
    try:
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        if codec == "libx264":
            stream.options = {"preset": X264_PRESET}
        enc = _Encoder(container, stream, size)
        enc.start()
        n = 0
        for img in frames:  # QImages, or Repeat(QImage, count) for a picture held `count` frames
            enc.put(img)
            n += img.count if isinstance(img, Repeat) else 1
            if progress is not None:
                progress(n / max(nframes, 1))
        enc.put(None)
        enc.join()
        if enc.error is not None:
            raise enc.error
        return n
    except BaseException:
        if enc is not None and enc.is_alive():
            enc.abort.set()
            with contextlib.suppress(queue.Full):
                enc.q.put_nowait(None)
            enc.join(timeout=5.0)
        raise
    finally:
        container.close()
