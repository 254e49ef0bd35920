"""RecordingReader: open a .gmprec at once, decode events on demand, seek through keyframes.

Opening reads the footer's index (or, for a file cut short, scans the chunks up to the last complete
one), checks every chunk's CRC, decodes the counters series and keeps the event blocks compressed:
memory is the file's size plus a few decoded blocks.
"""

from __future__ import annotations

import mmap
import os
import stat
import zlib
from collections import OrderedDict

import numpy as np

from ..core.constants import MAX_M_COUNT
from ..core.trace.events import EV, EVENT_DTYPE, span_pages_decode
from ..core.trace.stats import COUNTERS_DTYPE
from ..core.workload.loader import MAX_DURATION_NS, MAX_GOMAXPROCS
from ..model.spans import SpanTable
from ..model.state import RuntimeState
from . import RecordingError
from . import format as F
from .header import MAX_GROUPS, check_header
from .writer import MARK_KINDS, PART_SUFFIX

DECODED_CACHE_BLOCKS = 8  # decoded event blocks kept (~16k events, 700 KB each)
_TAGS = (F.TAG_HEAD, F.TAG_EVTS, F.TAG_CNTR, F.TAG_KEYF)

# Ids are checked before any fold sizes an array by them (a g of 2^31-1 would allocate gigabytes).
# Goids and span ids are dense (the engine hands them out in order, each with its own event), so a
# file of N events names fewer than N + ID_SLACK of each; Ps and Ms have the runtime's own limits.
ID_SLACK = 1 << 16
MAX_T_NS = 2 * MAX_DURATION_NS  # virtual time of any event (a run ends shortly after its duration)
_KNOWN_KIND = np.zeros(256, dtype=bool)
_KNOWN_KIND[[int(k) for k in EV]] = True
_SPAN_KINDS = np.zeros(256, dtype=bool)
_SPAN_KINDS[
    [int(EV.SpanAlloc), int(EV.SpanCache), int(EV.SpanUncache), int(EV.SpanSweep), int(EV.SpanFree)]
] = True
_INT31 = 2**31 - 1


def check_events(ev: np.ndarray, id_cap: int, where: str) -> None:  # noqa: C901 (one check per field)
    """RecordingError unless every field the folds index or size arrays by is in range."""
    if len(ev) == 0:
        return
    kind, t = ev["kind"], ev["t_ns"]

    def bad(what: str) -> RecordingError:
        return RecordingError(f"corrupt recording: {what} in the event block at byte {where}")

    if not _KNOWN_KIND[kind].all():
        raise bad(f"unknown event kind {int(kind[~_KNOWN_KIND[kind]][0])}")
    if int(t.min()) < 0 or int(t.max()) > MAX_T_NS or (len(t) > 1 and bool((np.diff(t) < 0).any())):
        raise bad("event times out of order or out of range")
    for col, lo, hi in (("p", -1, MAX_GOMAXPROCS - 1), ("m", -1, MAX_M_COUNT - 1), ("g", -1, id_cap)):
        c = ev[col]
        if int(c.min()) < lo or int(c.max()) > hi:
            raise bad(f"{col} id out of range ({lo}..{hi})")

    def arg(k: EV, col: str, lo: int, hi: int) -> None:
        v = ev[col][kind == int(k)]
        if len(v) and (int(v.min()) < lo or int(v.max()) > hi):
            raise bad(f"{k.name} {col} out of range ({lo}..{hi})")

    checks = (
        (EV.ProcResize, "a0", 0, MAX_GOMAXPROCS),
        (EV.ProcResize, "a1", 0, MAX_GOMAXPROCS),
        (EV.ProcSteal, "a0", 0, MAX_GOMAXPROCS - 1),
        (EV.GoCreate, "a1", -1, MAX_GROUPS),
        (EV.SpanAlloc, "a1", -1, 255),
        (EV.SpanAlloc, "a2", 0, 2**63 - 1),
        (EV.SpanCache, "a1", 0, 255),
        (EV.SpanSweep, "a2", 0, _INT31),
        (EV.Alloc, "a0", 0, (id_cap << 24) | 0xFFFFFF),
        (EV.Alloc, "a1", 0, _INT31),
    )
    for k, col, lo, hi in checks:
        arg(k, col, lo, hi)
    span = ev["a0"][_SPAN_KINDS[kind]]
    if len(span) and (int(span.min()) < -1 or int(span.max()) > id_cap):
        raise bad(f"span id out of range (-1..{id_cap})")
    a2 = span_pages_decode(ev["a2"][kind == int(EV.SpanAlloc)])[0]
    if len(a2) and int(a2.max()) > _INT31:
        raise bad("SpanAlloc npages out of range")


class Block:
    """One chunk in the table: where it is and what it covers."""

    __slots__ = ("tag", "offset", "length", "first", "count", "t_first", "t_last")

    def __init__(self, tag, offset, length, first=0, count=0, t_first=0, t_last=0) -> None:
        self.tag, self.offset, self.length = tag, offset, length
        self.first, self.count, self.t_first, self.t_last = first, count, t_first, t_last


def _no_marks() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(0, np.int64)


class RecordingReader:
    """A read-only view of one recording. `open(path)`; `events(i0, i1)`; `state_at(i)`."""

    def __init__(self, data, path: str = "", marks: bool = True) -> None:
        self.path = path
        self._data = data
        self.version = F.check_preamble(bytes(data[: F.PREAMBLE.size]))
        # A file without a valid footer (a crash, a copy cut short) is read up to its last complete
        # chunk: `truncated` is then true and `cut_reason` says where it stopped and why.
        self.truncated = False
        self.cut_reason = ""
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._bmrk: bytes | None = None
        blocks, index_marks = self._read_index()
        if blocks is None:
            self.truncated = True
            blocks = self._scan()
        self._set_blocks(blocks)
        if index_marks is not None:
            self.mark_index, self.mark_code, self.mark_t = index_marks
        elif marks:
            self.mark_index, self.mark_code, self.mark_t = self._marks_by_decoding()
        else:  # a quick look (is it cut short?): rebuilding the marks decodes every event block
            self.mark_index, self.mark_code, self.mark_t = _no_marks()
        self.counters = self._read_counters()
        # the bookmarks saved in the file (its BMRK chunk), None when it holds none
        self.bookmarks = None
        if self._bmrk is not None:
            from .bookmarks import decode_bookmarks

            self.bookmarks = decode_bookmarks(self._bmrk, self.n_events, MAX_T_NS)

    @classmethod
    def open(cls, path: str, marks: bool = True) -> RecordingReader:
        """Open `path`; if it does not exist but `path.part` does (a crashed recording), open that.

        `marks=False` skips rebuilding the player's marks of a file without an index (they are then
        empty): enough to check a recording and read its events, and faster on a cut-short file."""
        path = os.fspath(path)
        if not os.path.exists(path) and os.path.exists(path + PART_SUFFIX):
            path += PART_SUFFIX
        try:
            # O_NONBLOCK: opening a FIFO for reading would wait for a writer forever
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except IsADirectoryError:
            raise RecordingError(f"{path} is a directory, not a recording") from None
        except OSError as e:
            raise RecordingError(f"cannot open the recording {path}: {e.strerror}") from None
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise RecordingError(f"{path} is a directory, not a recording")
            if not stat.S_ISREG(st.st_mode):
                raise RecordingError(f"{path} is not a regular file (a pipe or a device), not a recording")
            data = mmap.mmap(fd, 0, access=mmap.ACCESS_READ) if st.st_size else b""
        except OSError as e:
            raise RecordingError(f"cannot open the recording {path}: {e.strerror}") from None
        finally:
            os.close(fd)
        return cls(data, path, marks)

    @classmethod
    def from_bytes(cls, data: bytes) -> RecordingReader:
        return cls(data, "<bytes>")

    def close(self) -> None:
        if isinstance(self._data, mmap.mmap):
            self._data.close()

    # --- chunks ---------------------------------------------------------------------------------
    def _chunk_at(self, off: int) -> tuple[bytes, int, bytes] | None:
        """(tag, payload length, payload) of a valid chunk at `off`, or None."""
        end = len(self._data)
        if off + F.CHUNK_HEAD.size > end:
            return None
        tag, length, crc = F.CHUNK_HEAD.unpack_from(self._data, off)
        if length > F.MAX_CHUNK_BYTES or off + F.CHUNK_HEAD.size + length > end:
            return None
        payload = bytes(self._data[off + F.CHUNK_HEAD.size : off + F.CHUNK_HEAD.size + length])
        if zlib.crc32(tag + payload) != crc:
            return None
        return tag, length, payload

    def _payload(self, b: Block) -> bytes:
        got = self._chunk_at(b.offset)
        if got is None or got[0] != b.tag:
            raise RecordingError(f"corrupt recording: bad chunk at byte {b.offset}")
        return got[2]

    def _read_index(self):
        """(blocks, marks) from the footer's index, None if there is no valid footer."""
        n = len(self._data)
        if n < F.PREAMBLE.size + F.FOOTER.size:
            return None, None
        magic, index_off, _total = F.FOOTER.unpack_from(self._data, n - F.FOOTER.size)
        if magic != F.FOOTER_MAGIC:
            return None, None
        got = self._chunk_at(index_off) if index_off < n else None
        if got is None or got[0] != F.TAG_INDX:
            raise RecordingError("corrupt recording: the index at the end does not check out")
        self._bmrk = self._trailer(index_off + F.CHUNK_HEAD.size + got[1], n - F.FOOTER.size)
        ix = F.decode_arrays(got[2])
        need = ("tag", "offset", "first", "count", "t_first", "t_last", "mark_index", "mark_code", "mark_t")
        if any(k not in ix for k in need):
            raise RecordingError("corrupt recording: incomplete index")
        if len({len(ix[k]) for k in need[:6]}) != 1 or len({len(ix[k]) for k in need[6:]}) != 1:
            raise RecordingError("corrupt recording: inconsistent index")
        blocks = []
        for t, off, first, count, t0, t1 in zip(*(ix[k].tolist() for k in need[:6])):
            if not 0 <= t < len(_TAGS) or not F.PREAMBLE.size <= off < index_off:
                raise RecordingError("corrupt recording: bad index entry")
            got = self._chunk_at(off)
            if got is None or got[0] != _TAGS[t]:
                raise RecordingError(f"corrupt recording: bad chunk at byte {off}")
            blocks.append(Block(_TAGS[t], off, got[1], first, count, t0, t1))
        return blocks, (ix["mark_index"], ix["mark_code"], ix["mark_t"])

    def _trailer(self, off: int, footer_off: int) -> bytes | None:
        """The BMRK payload between the index chunk (ending at `off`) and the footer: nothing there,
        or exactly one valid BMRK chunk; anything else is corruption."""
        if off == footer_off:
            return None
        got = self._chunk_at(off) if off < footer_off else None
        if got is None or got[0] != F.TAG_BMRK or off + F.CHUNK_HEAD.size + got[1] != footer_off:
            raise RecordingError("corrupt recording: unexpected bytes between the index and the end record")
        return got[2]

    def _scan(self) -> list[Block]:
        """Walk the chunks from the start; stop at the first incomplete or damaged one (and say which
        in `cut_reason`)."""
        blocks = []
        off = F.PREAMBLE.size
        while True:
            got = self._chunk_at(off)
            if got is None:
                self.cut_reason = self._why_not_a_chunk(off)
                break
            tag, length, payload = got
            if tag == F.TAG_INDX:  # the writer got as far as the index but not the footer after it
                self.cut_reason = "no end record"
                break
            if tag not in _TAGS:
                self.cut_reason = f"no end record; an unknown chunk at byte {off:,}"
                break
            b = Block(tag, off, length)
            if tag == F.TAG_EVTS:
                if len(payload) < F.EVTS_HEAD.size:
                    break
                b.first, b.count, b.t_first, b.t_last = F.EVTS_HEAD.unpack_from(payload)
            elif tag == F.TAG_KEYF:
                if len(payload) < F.KEYF_HEAD.size:
                    break
                b.first, b.t_first = F.KEYF_HEAD.unpack_from(payload)
                b.t_last = b.t_first
            blocks.append(b)
            off += F.CHUNK_HEAD.size + length
        return blocks

    def _why_not_a_chunk(self, off: int) -> str:
        """Why `_chunk_at(off)` found no chunk: the file ends there, ends inside it, or it is damaged."""
        end = len(self._data)
        if off >= end:
            return "no end record"
        if off + F.CHUNK_HEAD.size > end:
            return f"no end record; a partial chunk at byte {off:,}"
        _tag, length, _crc = F.CHUNK_HEAD.unpack_from(self._data, off)
        if length <= F.MAX_CHUNK_BYTES and off + F.CHUNK_HEAD.size + length > end:
            return f"no end record; a partial chunk at byte {off:,}"
        return f"no end record; a damaged chunk at byte {off:,}"

    def _set_blocks(self, blocks: list[Block]) -> None:
        if not blocks or blocks[0].tag != F.TAG_HEAD:
            raise RecordingError("corrupt recording: no header (the file was cut short at its start)")
        header = check_header(self._payload(blocks[0]))
        hv = header.get("format_version")
        if hv > F.FORMAT_VERSION:
            raise RecordingError(f"recording format version {hv!r} is not one this gmpviz reads")
        self.header = header
        ev = [b for b in blocks if b.tag == F.TAG_EVTS]
        expect, t_prev = 0, 0
        for b in ev:
            if b.first != expect or not 0 < b.count <= F.MAX_CHUNK_EVENTS:
                raise RecordingError("corrupt recording: event blocks out of order")
            if not t_prev <= b.t_first <= b.t_last <= MAX_T_NS:
                raise RecordingError(f"corrupt recording: event block at byte {b.offset} has wrong times")
            expect += b.count
            t_prev = b.t_last
        self.n_events = expect
        self.id_cap = expect + ID_SLACK
        self._ev_blocks = ev
        self._ev_first = np.array([b.first for b in ev] + [expect], dtype=np.int64)
        self._ev_tfirst = np.array([b.t_first for b in ev], dtype=np.int64)
        self._ev_tlast = np.array([b.t_last for b in ev], dtype=np.int64)
        kf = [b for b in blocks if b.tag == F.TAG_KEYF and b.first <= expect]
        boundaries = set(self._ev_first.tolist())
        if any(b.first not in boundaries for b in kf):
            raise RecordingError("corrupt recording: keyframe not on a block boundary")
        self._kf_blocks = kf
        self._kf_index = np.array([b.first for b in kf], dtype=np.int64)
        self._cntr_blocks = [b for b in blocks if b.tag == F.TAG_CNTR]

    def _marks_by_decoding(self):
        from .writer import _MARK_CODE

        idx, code, t = [], [], []
        for bi in range(len(self._ev_blocks)):
            ev = self._block(bi)
            c = _MARK_CODE[ev["kind"]]
            hit = np.flatnonzero(c >= 0)
            idx.append(hit + self._ev_first[bi])
            code.append(c[hit])
            t.append(ev["t_ns"][hit])
        if not idx:
            return _no_marks()
        return np.concatenate(idx).astype(np.int64), np.concatenate(code), np.concatenate(t)

    def _read_counters(self) -> np.ndarray:
        parts = [F.decode_counters(self._payload(b)) for b in self._cntr_blocks]
        if not parts:
            return np.zeros(0, dtype=COUNTERS_DTYPE)
        return np.concatenate(parts)

    # --- events ---------------------------------------------------------------------------------
    @property
    def t_end_ns(self) -> int:
        last_ev = int(self._ev_tlast[-1]) if len(self._ev_tlast) else 0
        last_c = int(self.counters["t_ns"][-1]) if len(self.counters) else 0
        return max(last_ev, last_c)

    def _block(self, bi: int) -> np.ndarray:
        hit = self._cache.get(bi)
        if hit is not None:
            self._cache.move_to_end(bi)
            return hit
        b = self._ev_blocks[bi]
        payload = self._payload(b)
        first, count, t_first, t_last = F.EVTS_HEAD.unpack_from(payload)
        if (first, count, t_first) != (b.first, b.count, b.t_first):
            raise RecordingError(f"corrupt recording: block at byte {b.offset} disagrees with its index")
        ev = F.decode_events(payload[F.EVTS_HEAD.size :], count, t_first)
        if count and int(ev["t_ns"][-1]) != t_last:
            raise RecordingError(f"corrupt recording: event block at byte {b.offset} has wrong times")
        check_events(ev, self.id_cap, f"{b.offset:,}")
        ev.flags.writeable = False
        self._cache[bi] = ev
        if len(self._cache) > DECODED_CACHE_BLOCKS:
            self._cache.popitem(last=False)
        return ev

    def events(self, i0: int = 0, i1: int | None = None) -> np.ndarray:
        """Events [i0, i1) as one EVENT_DTYPE array."""
        i1 = self.n_events if i1 is None else min(i1, self.n_events)
        i0 = max(0, i0)
        if i1 <= i0:
            return np.zeros(0, dtype=EVENT_DTYPE)
        b0 = int(np.searchsorted(self._ev_first, i0, side="right")) - 1
        b1 = int(np.searchsorted(self._ev_first, i1, side="left"))
        parts = []
        for bi in range(b0, b1):
            lo = max(i0, int(self._ev_first[bi])) - int(self._ev_first[bi])
            hi = min(i1, int(self._ev_first[bi + 1])) - int(self._ev_first[bi])
            parts.append(self._block(bi)[lo:hi])
        return parts[0].copy() if len(parts) == 1 else np.concatenate(parts)

    def iter_blocks(self):
        """Every event block in order (decoded one at a time, not cached)."""
        for bi in range(len(self._ev_blocks)):
            b = self._ev_blocks[bi]
            payload = self._payload(b)
            first, count, t_first, t_last = F.EVTS_HEAD.unpack_from(payload)
            if (first, count, t_first) != (b.first, b.count, b.t_first):
                raise RecordingError(f"corrupt recording: event block at byte {b.offset}")
            ev = F.decode_events(payload[F.EVTS_HEAD.size :], count, t_first)
            if count and int(ev["t_ns"][-1]) != t_last:
                raise RecordingError(f"corrupt recording: event block at byte {b.offset} has wrong times")
            check_events(ev, self.id_cap, f"{b.offset:,}")
            yield ev

    def index_at(self, t_ns: int) -> int:
        """How many events happened at or before `t_ns`."""
        bi = int(np.searchsorted(self._ev_tfirst, t_ns, side="right")) - 1
        if bi < 0:
            return 0
        ev = self._block(bi)
        return int(self._ev_first[bi]) + int(np.searchsorted(ev["t_ns"], t_ns, side="right"))

    def t_of(self, i: int) -> int:
        """Virtual time of event i (clamped to the recording)."""
        if self.n_events == 0:
            return 0
        i = min(max(i, 0), self.n_events - 1)
        bi = int(np.searchsorted(self._ev_first, i, side="right")) - 1
        return int(self._block(bi)["t_ns"][i - int(self._ev_first[bi])])

    # --- keyframes and seeking ------------------------------------------------------------------
    def keyframe_before(self, i: int) -> tuple[int, dict[str, np.ndarray] | None]:
        """(event index, arrays) of the last keyframe taken after <= i events; (0, None) = start."""
        k = int(np.searchsorted(self._kf_index, i, side="right")) - 1
        if k < 0:
            return 0, None
        b = self._kf_blocks[k]
        payload = self._payload(b)
        return int(b.first), F.decode_arrays(payload[F.KEYF_HEAD.size :])

    def state_at(self, i: int) -> tuple[RuntimeState, SpanTable, np.ndarray]:
        """The view state after the first `i` events: (RuntimeState, SpanTable, last counters row)."""
        i = min(max(int(i), 0), self.n_events)
        k, snap = self.keyframe_before(i)
        st, sp = RuntimeState(), SpanTable()
        if snap is not None:
            try:
                st.restore(snap, max_goid=self.id_cap)
                sp.restore(snap)
            except (KeyError, ValueError, IndexError, TypeError) as e:
                raise RecordingError(f"corrupt recording: bad keyframe ({e})") from None
        ev = self.events(k, i)
        if len(ev):
            st.apply(ev)
            sp.apply(ev)
        return st, sp, self.counters_at(st.now_ns if i else 0)

    def counters_at(self, t_ns: int) -> np.ndarray:
        """The last counters row sampled at or before `t_ns` (zeros before the first sample)."""
        k = int(np.searchsorted(self.counters["t_ns"], t_ns, side="right"))
        if k == 0:
            return np.zeros(1, dtype=COUNTERS_DTYPE)
        return self.counters[k - 1 : k].copy()

    def wakes_of(self, goid: int) -> np.ndarray:
        """(t_ns, waker goid) rows of every GoUnblock of `goid` (ready()'s caller: who woke whom),
        block by block with numpy masks."""
        out = []
        for ev in self.iter_blocks():
            sel = (ev["kind"] == int(EV.GoUnblock)) & (ev["g"] == goid)
            if sel.any():
                out.append(np.stack([ev["t_ns"][sel], ev["a0"][sel]], axis=1).astype(np.int64))
        return np.concatenate(out) if out else np.zeros((0, 2), dtype=np.int64)

    def marks(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(event indices, times) of one mark kind ("gc", "stw", "steal", "handoff", "preempt")."""
        code = list(MARK_KINDS).index(name)
        sel = self.mark_code == code
        return self.mark_index[sel], self.mark_t[sel]

    # --- the run --------------------------------------------------------------------------------
    def scenario(self):
        """The recorded Scenario, rebuilt from the header's TOML text."""
        from ..core.workload.loader import loads_scenario

        sc = self.header.get("scenario") or {}
        try:
            return loads_scenario(str(sc.get("text", "")), filename=str(sc.get("path") or sc.get("name", "")))
        except ValueError as e:
            raise RecordingError(f"the recorded scenario does not load: {e}") from None

    @property
    def groups(self) -> tuple[str, ...]:
        g = self.header.get("groups")
        return tuple(str(x) for x in g) if isinstance(g, list) and g else ("main",)

    def cut_short(self) -> str | None:
        """None for a complete recording; else where and why it stops, as the start of one line:
        "x.gmprec is cut short at 399.968 ms (no end record)"."""
        if not self.truncated:
            return None
        return f"{self.path} is cut short at {self.t_end_ns / 1e6:.3f} ms ({self.cut_reason})"

    def summary(self) -> str:
        h = self.header
        sc = h.get("scenario") or {}
        cut = " (cut short)" if self.truncated else ""
        return (
            f"{sc.get('name', '?')} seed {h.get('seed')} · {self.n_events:,} events · "
            f"{self.t_end_ns / 1e6:.1f} ms · Go {h.get('go_version')} · gmpviz {h.get('gmpviz_version')}{cut}"
        )
