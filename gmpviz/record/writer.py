"""RecordingWriter: append events and counters while the run goes, finalise atomically.

Chunks are cut at fixed points of the event stream (every CHUNK_EVENTS events, or where virtual time
crosses the next multiple of KEYFRAME_SPAN_NS), never at the caller's batch boundaries, so the same
events give the same file whatever the batching. After an event chunk the writer stores a keyframe
of its own shadow fold (RuntimeState + SpanTable + last counters row) while keyframes stay within a
share of the file (KEYFRAME_STATE_SHARE): a seek restores the nearest keyframe and replays at most
KEYFRAME_MAX_EVENTS events.

The file is written to ``<path>.part`` (a fixed name: nothing random ends up anywhere) and renamed
over ``path`` by `close()`; a crash leaves the ``.part`` file, which the reader opens by scanning.
"""

from __future__ import annotations

import contextlib
import json
import os

import numpy as np

from .. import __version__
from ..core.constants import GO_VERSION
from ..core.trace.events import EVENT_DTYPE, MARKS, kinds_where
from ..core.trace.stats import COUNTERS_DTYPE
from ..core.workload.budget import HEADLESS_MAX_EVENTS
from ..model.spans import SpanTable
from ..model.state import RuntimeState
from . import RecordingError
from . import format as F
from .outpath import PART_SUFFIX, check_output, remove_quietly, write_error

CHUNK_EVENTS = 16384  # measured: replaying one chunk into the state fold takes <= ~100 ms worst case
KEYFRAME_SPAN_NS = 100_000_000  # a chunk ends at least every 100 ms of virtual time with events
# Keyframes are full snapshots of the live state, so a program whose live state grows (a cache it never
# frees) would make them a growing share of the file: a keyframe is stored after a chunk only while
# all keyframes stay within KEYFRAME_STATE_SHARE of the event chunks' bytes, and always before a seek
# would have to replay more than KEYFRAME_MAX_EVENTS events, so the file grows linearly with the
# events (until the live state is so large that the bound wins) and a seek stays within its budget.
KEYFRAME_STATE_SHARE = 0.125
KEYFRAME_MAX_EVENTS = 3 * CHUNK_EVENTS  # the seek-time bound: 3 chunks' worth of events to replay

# events the player can jump between (next/previous GC, STW, steal, hand-off, preemption)
# (SPEC's ``mark``; the code of a mark is its index in events.MARKS, part of the recording format)
MARK_KINDS: dict[str, tuple[int, ...]] = {
    name: kinds_where(lambda sp, name=name: sp.mark == name) for name in MARKS
}
_MARK_CODE = np.full(256, -1, dtype=np.int8)
for _i, _kinds in enumerate(MARK_KINDS.values()):
    _MARK_CODE[list(_kinds)] = _i


def header_of(engine) -> dict:
    """The recording header: everything needed to re-run the recording's engine."""
    sc = engine.scenario
    return {
        "format_version": F.FORMAT_VERSION,
        "gmpviz_version": __version__,
        "go_version": GO_VERSION,
        "scenario": {"name": sc.name, "text": sc.text, "path": os.path.basename(sc.path or "")},
        "seed": int(engine.seed),
        "settings": {
            "procs": int(engine.gomaxprocs),
            "policy": str(engine.policy),
            "duration_ns": int(engine.duration_ns),
            "gogc": int(getattr(engine, "gogc", sc.gogc)),
            "memlimit_bytes": int(getattr(engine, "memlimit", sc.memlimit_bytes)),
        },
        "groups": list(sc.groups),
        "notice": sc.notice,
        "assumptions": [str(a) for a in engine.assumptions()] if hasattr(engine, "assumptions") else [],
        "event_dtype": EVENT_DTYPE.descr,
        "counters_dtype": COUNTERS_DTYPE.descr,
        "chunk_events": CHUNK_EVENTS,
        "keyframe_span_ns": KEYFRAME_SPAN_NS,
    }


class RecordingWriter:
    """Append-only .gmprec writer. Use `create(path, engine)`, then `append`, then `close` or `abort`."""

    def __init__(self, path: str, header: dict, inputs=()) -> None:
        self.path = os.fspath(path)
        # a symlink is written through: the .part goes next to the file it points to; never onto
        # an input (the scenario file the run came from)
        self._real = check_output(self.path, inputs, what="the recording")
        self.part_path = self._real + PART_SUFFIX
        try:
            self._f = open(self.part_path, "wb")  # noqa: SIM115 (closed in close/abort)
        except OSError as e:
            raise RecordingError(f"cannot write the recording {self.path}: {e.strerror}") from None
        self.header = header
        self._state = RuntimeState()
        self._spans = SpanTable()
        self._pending: list[np.ndarray] = []
        self._npending = 0
        self._counters: list[np.ndarray] = []
        self._last_counters = np.zeros(1, dtype=COUNTERS_DTYPE)
        self.events_written = 0
        self._chunk_t0: int | None = None
        self._chunks: list[tuple] = []  # (tag, offset, first_index, count, t_first, t_last)
        self._evts_bytes = 0  # compressed event chunk bytes so far
        self._kf_bytes = 0  # keyframe chunk bytes so far
        self._kf_last_bytes = 0  # the last keyframe's bytes: the next one's estimate
        self._kf_at = 0  # events_written at the last keyframe
        self._marks_i: list[np.ndarray] = []
        self._marks_code: list[np.ndarray] = []
        self._marks_t: list[np.ndarray] = []
        self.closed = False
        self._write(F.preamble())
        self._chunk(F.TAG_HEAD, json.dumps(header, sort_keys=True, separators=(",", ":")).encode())

    @classmethod
    def create(cls, path: str, engine) -> RecordingWriter:
        sc_path = engine.scenario.path or None
        return cls(path, header_of(engine), inputs=(sc_path,))

    # --- low level ------------------------------------------------------------------------------
    def _write(self, data: bytes) -> int:
        try:
            off = self._f.tell()
            self._f.write(data)
        except OSError as e:  # a full disk: one line naming the file
            self.discard()
            raise write_error(self.path, e, "the recording") from None
        return off

    def _chunk(
        self, tag: bytes, payload: bytes, first: int = 0, count: int = 0, t0: int = 0, t1: int = 0
    ) -> int:
        """Write one chunk; its size in bytes."""
        data = F.pack_chunk(tag, payload)
        off = self._write(data)
        self._chunks.append((tag, off, first, count, t0, t1))
        return len(data)

    # --- appending ------------------------------------------------------------------------------
    def append(self, events: np.ndarray, counters: np.ndarray | None = None) -> None:
        """Buffer `events` (oldest first) and counters rows; write every chunk that is complete."""
        if self.closed:
            raise RecordingError("the recording is already closed")
        if counters is not None:
            # SIMPLIFICATION: counters are stored as sampled by the caller (the engine slice ends);
            # a window recording's samples follow its wall-clock pacing (events do not).
            rows = np.atleast_1d(np.asarray(counters, dtype=COUNTERS_DTYPE))
            if len(rows):
                self._counters.append(rows.copy())
        if events is None or len(events) == 0:
            return
        if events.dtype != EVENT_DTYPE:
            raise RecordingError("events must have EVENT_DTYPE")
        while len(events):
            cut = self._cut(events)
            self._pending.append(events[:cut])
            self._npending += cut
            events = events[cut:]
            if len(events) or self._npending >= CHUNK_EVENTS:
                self._flush_events()

    def _cut(self, events: np.ndarray) -> int:
        """How many of `events` belong to the open chunk (the rest start the next one)."""
        if self._chunk_t0 is None:
            self._chunk_t0 = int(events["t_ns"][0])
        room = CHUNK_EVENTS - self._npending
        boundary = (self._chunk_t0 // KEYFRAME_SPAN_NS + 1) * KEYFRAME_SPAN_NS
        by_time = int(np.searchsorted(events["t_ns"], boundary, side="left"))
        return min(room, by_time, len(events))

    def _flush_events(self) -> None:
        if not self._npending:
            self._chunk_t0 = None
            return
        ev = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
        self._pending, self._npending, self._chunk_t0 = [], 0, None
        first = self.events_written
        t0, t1 = int(ev["t_ns"][0]), int(ev["t_ns"][-1])
        self._evts_bytes += self._chunk(F.TAG_EVTS, F.evts_payload(first, ev), first, len(ev), t0, t1)
        self.events_written += len(ev)
        self._marks(ev, first)
        self._flush_counters(t1)
        self._state.apply(ev)
        self._spans.apply(ev)
        over_budget = self._kf_bytes + self._kf_last_bytes > KEYFRAME_STATE_SHARE * self._evts_bytes
        # the next chunk (up to CHUNK_EVENTS) must not take a seek past KEYFRAME_MAX_EVENTS
        too_far = self.events_written - self._kf_at + CHUNK_EVENTS > KEYFRAME_MAX_EVENTS
        if self._kf_last_bytes == 0 or not over_budget or too_far:
            self._keyframe(t1)

    def _marks(self, ev: np.ndarray, first: int) -> None:
        code = _MARK_CODE[ev["kind"]]
        hit = np.flatnonzero(code >= 0)
        if len(hit):
            self._marks_i.append(hit.astype(np.int64) + first)
            self._marks_code.append(code[hit])
            self._marks_t.append(ev["t_ns"][hit])

    def _flush_counters(self, upto_ns: int | None) -> None:
        """Write counters rows sampled up to `upto_ns` (all if None) as one CNTR chunk."""
        if not self._counters:
            return
        rows = np.concatenate(self._counters)
        if upto_ns is not None:
            k = int(np.searchsorted(rows["t_ns"], upto_ns, side="right"))
            rows, rest = rows[:k], rows[k:]
            self._counters = [rest] if len(rest) else []
        else:
            self._counters = []
        if len(rows):
            self._last_counters = rows[-1:].copy()
            t0, t1 = int(rows["t_ns"][0]), int(rows["t_ns"][-1])
            self._chunk(F.TAG_CNTR, F.encode_counters(rows), 0, len(rows), t0, t1)

    def _keyframe(self, t_ns: int) -> None:
        # SIMPLIFICATION: every keyframe is a full snapshot (no deltas): simple and robust to a
        # missing neighbour, at ~7 bytes/event for a 10k-goroutine program.
        snap = self._state.snapshot()
        snap.update(self._spans.snapshot())
        snap["counters_last"] = self._last_counters.view(np.uint8).reshape(-1)
        payload = F.KEYF_HEAD.pack(self.events_written, t_ns) + F.encode_arrays(snap)
        self._kf_last_bytes = self._chunk(F.TAG_KEYF, payload, self.events_written, 0, t_ns, t_ns)
        self._kf_bytes += self._kf_last_bytes
        self._kf_at = self.events_written

    # --- the end --------------------------------------------------------------------------------
    def _index(self) -> dict[str, np.ndarray]:
        tags = {F.TAG_HEAD: 0, F.TAG_EVTS: 1, F.TAG_CNTR: 2, F.TAG_KEYF: 3}
        cols = list(zip(*self._chunks)) if self._chunks else [()] * 6
        cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)  # noqa: E731
        return {
            "tag": np.array([tags[t] for t in cols[0]], dtype=np.int8),
            "offset": np.array(cols[1], dtype=np.int64),
            "first": np.array(cols[2], dtype=np.int64),
            "count": np.array(cols[3], dtype=np.int64),
            "t_first": np.array(cols[4], dtype=np.int64),
            "t_last": np.array(cols[5], dtype=np.int64),
            "mark_index": cat(self._marks_i, np.int64),
            "mark_code": cat(self._marks_code, np.int8),
            "mark_t": cat(self._marks_t, np.int64),
        }

    def close(self) -> str:
        """Write the rest, the index and the footer; rename the .part file over `path`."""
        if self.closed:
            return self.path
        try:
            self._flush_events()
            self._flush_counters(None)
            index_off = self._write(F.pack_chunk(F.TAG_INDX, F.encode_arrays(self._index())))
            self._write(F.FOOTER.pack(F.FOOTER_MAGIC, index_off, self.events_written))
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()
            os.replace(self.part_path, self._real)
        except OSError as e:
            self.discard()
            raise write_error(self.path, e, "the recording") from None
        self.closed = True
        return self.path

    def abort(self) -> None:
        """Flush what is complete and leave the .part file (it opens up to its last chunk)."""
        if self.closed:
            return
        self.closed = True
        try:
            self._f.flush()
            self._f.close()
        except OSError:
            pass

    def discard(self) -> None:
        """Close and remove the .part file (a failed or interrupted run leaves nothing behind)."""
        if not self.closed:
            self.closed = True
            with contextlib.suppress(OSError):
                self._f.close()
        remove_quietly(self.part_path)


HEADLESS_STEP_NS = 10_000_000  # `gmpviz run --headless`: virtual time per slice


def record_run(
    engine,
    path: str,
    *,
    step_ns: int = HEADLESS_STEP_NS,
    keep_events: bool = False,
    close: bool = True,
    progress=None,
):
    """Run ``engine`` to its end into a recording at ``path`` (`gmpviz run --headless --record`).

    Returns (writer, events): the events only with ``keep_events`` (tests compare them). The file is
    finalised unless ``close`` is False; on any error or interrupt (Ctrl-C, SIGTERM, SIGHUP) the
    .part file is removed: only a hard kill leaves it. ``progress()`` (no arguments) is
    called after every step."""
    w = RecordingWriter.create(path, engine)
    parts = []
    t = engine.now
    try:
        while not engine.done:
            t += step_ns
            while True:  # drained every HEADLESS_MAX_EVENTS: a burst is never held whole (same bytes)
                n = engine.run_until(t, max_events=HEADLESS_MAX_EVENTS)
                ev = engine.drain()
                if keep_events:
                    parts.append(ev)
                w.append(ev, engine.drain_counters())
                if n < HEADLESS_MAX_EVENTS or engine.done:
                    break
            if progress is not None:
                progress()
    except BaseException:
        w.discard()
        raise
    if close:
        w.close()
    return w, (np.concatenate(parts) if parts else None)
