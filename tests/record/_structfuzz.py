"""A structure-aware fuzzer for .gmprec files.

Byte flips never get past the CRCs. This fuzzer takes a valid recording apart into its chunks,
decodes a chunk (events, keyframe arrays, counters, header JSON, index), changes fields, lengths
and ids to hostile values, encodes it again and RE-SEALS every checksum (and, unless the index is
the target, rebuilds the index and footer so the offsets agree): the reader has to judge the
content, not the container. `drive(path)` then runs a case through the command line the way a user
would (`gmpviz export --perfetto`, `--gotrace`, `--png`, `--video`) and through the replay model's seeks.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import select
import signal
import time
import traceback
import tracemalloc
import zlib

import numpy as np

from gmpviz.record import RecordingError
from gmpviz.record import format as F

# values that have broken folds and exporters before (issue 12) and their neighbours
HOSTILE_INTS = (
    0, 1, -1, 2, 255, 256, 32767, -32768, 65535, 2**31 - 1, -(2**31), 2**32, 2**39, 2**62, -(2**62),
    10**12, 2**63 - 1, -(2**63),
)  # fmt: skip
_FIELDS = ("t_ns", "kind", "p", "m", "g", "a0", "a1", "a2")
_TAGS = {F.TAG_HEAD: 0, F.TAG_EVTS: 1, F.TAG_CNTR: 2, F.TAG_KEYF: 3}
# a case's peak memory may not exceed this (the bound: 4x the file + 300 MB). The replay
# model and the Perfetto export run in a forked child and are held to its peak RSS (ru_maxrss from
# wait4) above the parent's RSS at the fork; the Qt exports (PNG, video) run in-process, held to
# their peak traced allocations (tracemalloc sees Python's and numpy's), since Qt does not survive a
# fork.
RSS_SLOPE, RSS_FLOOR = 4, 300 << 20
CASE_SECONDS = 60.0  # no case may take longer (a shared 2-core machine; typical cases take < 1 s)


# --- taking a file apart and sealing it again -------------------------------------------------------
def split(raw: bytes) -> list[list]:
    """[[tag, payload], ...] of a complete recording (the index and footer are dropped)."""
    out, off = [], F.PREAMBLE.size
    while off + F.CHUNK_HEAD.size <= len(raw):
        tag, length, _crc = F.CHUNK_HEAD.unpack_from(raw, off)
        if tag == F.TAG_INDX:
            break
        out.append([tag, raw[off + F.CHUNK_HEAD.size : off + F.CHUNK_HEAD.size + length]])
        off += F.CHUNK_HEAD.size + length
    return out


def _index_arrays(chunks: list[list]) -> tuple[dict, list[int]]:
    rows, offs, off = [], [], F.PREAMBLE.size
    for tag, payload in chunks:
        first = count = t0 = t1 = 0
        if tag == F.TAG_EVTS and len(payload) >= F.EVTS_HEAD.size:
            first, count, t0, t1 = F.EVTS_HEAD.unpack_from(payload)
        elif tag == F.TAG_KEYF and len(payload) >= F.KEYF_HEAD.size:
            first, t0 = F.KEYF_HEAD.unpack_from(payload)
            t1 = t0
        rows.append((_TAGS.get(tag, 0), off, first, count, t0, t1))
        offs.append(off)
        off += F.CHUNK_HEAD.size + len(payload)
    cols = list(zip(*rows)) if rows else [()] * 6
    ix = {
        k: np.array([v - 2**64 if v >= 2**63 else v for v in c], dtype=np.int64)
        for k, c in zip(("tag", "offset", "first", "count", "t_first", "t_last"), cols)
    }
    ix["tag"] = ix["tag"].astype(np.int8)
    ix.update(mark_index=np.zeros(0, np.int64), mark_code=np.zeros(0, np.int8), mark_t=np.zeros(0, np.int64))
    return ix, offs


def seal(chunks: list[list], index: dict | None = None, footer: bool = True) -> bytes:
    """Chunks with fresh CRCs, then (if `footer`) an index of their real offsets and the footer."""
    body = b"".join(F.pack_chunk(t, p) for t, p in chunks)
    out = F.preamble() + body
    if not footer:
        return out
    ix, _ = _index_arrays(chunks)
    if index is not None:
        ix.update(index)
    index_off = len(out)
    n = sum(
        F.EVTS_HEAD.unpack_from(p)[1] for t, p in chunks if t == F.TAG_EVTS and len(p) >= F.EVTS_HEAD.size
    )
    return out + F.pack_chunk(F.TAG_INDX, F.encode_arrays(ix)) + F.FOOTER.pack(F.FOOTER_MAGIC, index_off, n)


# --- mutations ---------------------------------------------------------------------------------------
def _pick(rng, chunks, tag):
    idx = [i for i, (t, _) in enumerate(chunks) if t == tag]
    return int(rng.choice(idx)) if idx else None


def _value(rng) -> int:
    if rng.random() < 0.8:
        return int(rng.choice(HOSTILE_INTS))
    return int(rng.integers(-(2**40), 2**40))


def mut_event_fields(rng, chunks):
    """Set a field of a few events (of one kind, or any) to a hostile value; keep the block valid."""
    i = _pick(rng, chunks, F.TAG_EVTS)
    if i is None:
        return "no event block"
    first, count, t0, _t1 = F.EVTS_HEAD.unpack_from(chunks[i][1])
    ev = F.decode_events(chunks[i][1][F.EVTS_HEAD.size :], count, t0)
    field = str(rng.choice(_FIELDS))
    kinds = np.unique(ev["kind"])
    sel = np.flatnonzero(ev["kind"] == rng.choice(kinds)) if rng.random() < 0.7 else np.arange(len(ev))
    hit = rng.choice(sel, size=min(len(sel), int(rng.integers(1, 4))), replace=False)
    info = np.iinfo(ev.dtype[field])
    v = min(max(_value(rng), info.min), info.max)
    ev[field][hit] = v
    chunks[i][1] = F.evts_payload(first, ev)
    return f"events[{hit.tolist()}].{field} = {v}"


def mut_event_head(rng, chunks):
    """Change an event block's declared first index, count or times (the body stays)."""
    i = _pick(rng, chunks, F.TAG_EVTS)
    if i is None:
        return "no event block"
    head = list(F.EVTS_HEAD.unpack_from(chunks[i][1]))
    k = int(rng.integers(0, 4))
    lim = (2**64 - 1, 2**32 - 1, 2**63 - 1, 2**63 - 1)[k]
    v = _value(rng) % (lim + 1) if k < 2 else _value(rng)
    head[k] = v
    chunks[i][1] = F.EVTS_HEAD.pack(*head) + chunks[i][1][F.EVTS_HEAD.size :]
    return f"EVTS head[{k}] = {v}"


def mut_event_body(rng, chunks):
    """Re-compress an event body with its length or column codes changed."""
    i = _pick(rng, chunks, F.TAG_EVTS)
    if i is None:
        return "no event block"
    p = chunks[i][1]
    body = bytearray(zlib.decompress(p[F.EVTS_HEAD.size :]))
    what = int(rng.integers(0, 3))
    if what == 0:
        body[int(rng.integers(0, 8))] = int(rng.integers(0, 6))  # a column code
    elif what == 1:
        body = body[: int(rng.integers(0, len(body) + 1))]
    else:
        body += bytes(int(rng.integers(1, 5000)))
    chunks[i][1] = p[: F.EVTS_HEAD.size] + zlib.compress(bytes(body))
    return f"EVTS body op {what}, {len(body)} bytes"


def mut_bomb(rng, chunks):
    """A chunk whose small compressed payload inflates far beyond what it may hold."""
    tag = [F.TAG_EVTS, F.TAG_KEYF, F.TAG_CNTR][int(rng.integers(0, 3))]
    i = _pick(rng, chunks, tag)
    if i is None:
        return "no such chunk"
    inflated = int(rng.choice([F.MAX_COUNTERS_BYTES + 1, F.MAX_ARRAYS_BYTES + 1, 300 << 20]))
    d = zlib.compressobj(9)
    zero = bytes(1 << 20)
    blob = b"".join(d.compress(zero) for _ in range(inflated >> 20)) + d.flush()
    head = chunks[i][1][: {F.TAG_EVTS: F.EVTS_HEAD.size, F.TAG_KEYF: F.KEYF_HEAD.size, F.TAG_CNTR: 0}[tag]]
    chunks[i][1] = head + blob
    return f"bomb in {tag.decode()}: {len(blob):,} -> {inflated:,} bytes"


def mut_keyframe(rng, chunks):
    """Change one keyframe array: values (ids, lengths, scalars) or its length."""
    i = _pick(rng, chunks, F.TAG_KEYF)
    if i is None:
        return "no keyframe"
    p = chunks[i][1]
    arrays = F.decode_arrays(p[F.KEYF_HEAD.size :])
    name = str(rng.choice(sorted(arrays)))
    a = arrays[name]
    what = int(rng.integers(0, 3))
    if what == 0 and len(a):
        a = a.copy()
        info = np.iinfo(a.dtype) if a.dtype.kind in "iu" else None
        v = _value(rng)
        if info is not None:
            v = min(max(v, info.min), info.max)
        a[int(rng.integers(0, len(a)))] = v
    elif what == 1:
        a = a[: int(rng.integers(0, len(a) + 1))]
    else:
        a = np.concatenate([a, np.full(int(rng.integers(1, 3000)), a[-1] if len(a) else 0, a.dtype)])
    arrays[name] = a
    chunks[i][1] = p[: F.KEYF_HEAD.size] + F.encode_arrays(arrays)
    return f"keyframe {name} op {what}"


def mut_keyframe_head(rng, chunks):
    i = _pick(rng, chunks, F.TAG_KEYF)
    if i is None:
        return "no keyframe"
    head = list(F.KEYF_HEAD.unpack_from(chunks[i][1]))
    k = int(rng.integers(0, 2))
    head[k] = _value(rng) % 2**64 if k == 0 else _value(rng)
    chunks[i][1] = F.KEYF_HEAD.pack(*head) + chunks[i][1][F.KEYF_HEAD.size :]
    return f"KEYF head[{k}] = {head[k]}"


def mut_counters(rng, chunks):
    i = _pick(rng, chunks, F.TAG_CNTR)
    if i is None:
        return "no counters"
    rows = F.decode_counters(chunks[i][1])
    if len(rows) == 0:
        return "empty counters"
    name = str(rng.choice(rows.dtype.names))
    info = np.iinfo(rows.dtype[name]) if rows.dtype[name].kind in "iu" else None
    v = _value(rng)
    rows[name][int(rng.integers(0, len(rows)))] = min(max(v, info.min), info.max) if info else float(v)
    chunks[i][1] = F.encode_counters(rows)
    return f"counters.{name} = {v}"


def _deep(n: int):
    return json.loads("[" * n + "]" * n) if n < 500 else None


_HEADER_VALUES = (
    None, 0, -1, 2**62, "__BIGINT__", "x", "y" * (5 << 20), [], {}, [1, "a"], {"a": {"b": 1}}, True, 1.5,
)  # fmt: skip


def mut_header(rng, chunks):
    """A header field of the wrong type, a huge string, deep nesting, bad UTF-8 or JSON."""
    h = json.loads(chunks[0][1])
    what = int(rng.integers(0, 6))
    if what == 5:
        raw = [b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe", b"{", b"[]", b'"text"', b"1" * 5000][
            int(rng.integers(0, 6))
        ]
        chunks[0][1] = raw
        return f"header raw {raw[:20]!r}"
    paths = [(k,) for k in h] + [("scenario", k) for k in (h.get("scenario") or {})]
    paths += [("settings", k) for k in (h.get("settings") or {})]
    path = paths[int(rng.integers(0, len(paths)))]
    if what == 4:
        v = _deep(int(rng.integers(5, 400)))
    else:
        j = int(rng.integers(0, len(_HEADER_VALUES)))
        v = _HEADER_VALUES[j]
    node = h
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = v
    # a 5,000-digit integer (json cannot write one: put its digits in by hand)
    chunks[0][1] = json.dumps(h).encode().replace(b'"__BIGINT__"', b"7" * 5000)
    return f"header {'.'.join(path)} = {str(v)[:40]}"


def mut_chunks(rng, chunks):
    """Drop, duplicate or swap whole chunks."""
    what = int(rng.integers(0, 3))
    i, j = int(rng.integers(0, len(chunks))), int(rng.integers(0, len(chunks)))
    if what == 0 and len(chunks) > 1:
        del chunks[i]
    elif what == 1:
        chunks.insert(j, list(chunks[i]))
    else:
        chunks[i], chunks[j] = chunks[j], chunks[i]
    return f"chunks op {what} at {i}, {j}"


MUTATORS = (
    mut_event_fields, mut_event_fields, mut_event_fields, mut_event_head, mut_event_body, mut_keyframe,
    mut_keyframe, mut_keyframe_head, mut_counters, mut_header, mut_header, mut_chunks,
)  # fmt: skip


def mutate(raw: bytes, rng) -> tuple[bytes, str]:
    """One case: 1-3 mutations of `raw`, re-sealed; sometimes a bomb, a bad index or no footer."""
    chunks = split(raw)
    notes = []
    if rng.random() < 0.04:
        notes.append(mut_bomb(rng, chunks))
    for _ in range(int(rng.integers(1, 4))):
        m = MUTATORS[int(rng.integers(0, len(MUTATORS)))]
        try:
            notes.append(m(rng, chunks))
        except (
            RecordingError,
            zlib.error,
            ValueError,
            KeyError,
            IndexError,
            TypeError,
            AttributeError,
            RecursionError,
        ):
            notes.append(f"{m.__name__} skipped (an earlier mutation broke what it reads)")
    index = None
    r = rng.random()
    if r < 0.08:
        ix, _ = _index_arrays(chunks)
        k = str(rng.choice(sorted(ix)))
        if len(ix[k]):
            a = ix[k].copy()
            info = np.iinfo(a.dtype)
            a[int(rng.integers(0, len(a)))] = min(max(_value(rng), info.min), info.max)
            index = {k: a}
            notes.append(f"index {k}")
    footer = r >= 0.15 or index is not None
    if not footer:
        notes.append("no footer")
    return seal(chunks, index=index, footer=footer), "; ".join(notes)


# --- driving a case ------------------------------------------------------------------------------------
class Outcome:
    def __init__(self, status: int, stderr: str, seconds: float, peak_bytes: int) -> None:
        self.status, self.stderr, self.seconds, self.peak_bytes = status, stderr, seconds, peak_bytes


def _cli(argv: list[str]) -> tuple[int, str]:
    from gmpviz.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(argv)
    return status, err.getvalue()


def _seeks(path: str) -> None:
    """The replay model: open, fold the histories, seek about, step, jump, fill the log."""
    from gmpviz.record.replay import Replay

    try:
        r = Replay.open(path)
    except RecordingError:
        return
    try:
        r.load_all()
        n = r.n_events
        for i in (n, n // 2, 1, n - 1, 0, n // 3):
            r.seek_index(i)
            r.sync_log()
        r.step(5)
        r.step(-3)
        r.seek_time(r.t_end_ns // 2)
        for mark in ("gc", "stw", "steal", "handoff", "preempt"):
            r.jump(mark, 1)
            r.jump(mark, -1)
        r.current_event()
        r.reader.scenario()
    except RecordingError:
        pass
    finally:
        r.reader.close()


def _rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _forked(fn) -> Outcome:
    """Run ``fn() -> (status, stderr)`` in a forked child: its exit, its output and its peak RSS
    growth over its own RSS when it starts (a forked child maps fewer pages than its parent has),
    killed after CASE_SECONDS (then status -9)."""
    rfd, wfd = os.pipe()
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(rfd)
        base = _rss_now()
        try:
            status, err = fn()
        except BaseException:  # noqa: BLE001 - reported to the parent as a traceback
            status, err = 99, traceback.format_exc()
        with os.fdopen(wfd, "w") as w:
            w.write(json.dumps([status, err, base]))
        os._exit(0)
    os.close(wfd)
    chunks = []
    with os.fdopen(rfd, "rb") as r:
        while True:
            left = CASE_SECONDS + 5 - (time.perf_counter() - t0)
            ready, _, _ = select.select([r], [], [], max(left, 0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                break
            b = os.read(r.fileno(), 1 << 16)
            if not b:
                break
            chunks.append(b)
    _, wstatus, ru = os.wait4(pid, 0)
    seconds = time.perf_counter() - t0
    try:
        status, err, base = json.loads(b"".join(chunks) or b"null") or (None, None, 0)
    except ValueError:
        status, err, base = None, None, 0
    peak = max(ru.ru_maxrss * 1024 - base, 0)
    if status is None:
        sig = os.WTERMSIG(wstatus) if os.WIFSIGNALED(wstatus) else 0
        status, err = -9, f"the child died (signal {sig}, exit {os.waitstatus_to_exitcode(wstatus)})"
    return Outcome(status, err, seconds, peak)


def _seeks_outcome(path: str) -> tuple[int, str]:
    _seeks(path)
    return 0, ""


def drive(path: str, out_dir: str, frames: bool = False, video: bool = False) -> list[Outcome]:
    """Run one case file through the replay model and every exporter; one Outcome per command."""
    runs = [
        ("seeks", None),
        ("perfetto", ["export", path, "--perfetto", os.path.join(out_dir, "o.json")]),
        ("gotrace", ["export", path, "--gotrace", os.path.join(out_dir, "o.trace")]),
    ]
    if frames:
        runs.append(("png", ["export", path, "--png", os.path.join(out_dir, "o.png"), "--size", "320x200"]))
    if video:
        runs.append(
            (
                "video",
                ["export", path, "--video", os.path.join(out_dir, "o.mp4"), "--size", "160x96", "--fps", "2"],
            )
        )
    size = os.path.getsize(path)
    out = []
    for name, argv in runs:
        if name in ("seeks", "perfetto", "gotrace"):  # Qt-free: a forked child, held to its RSS
            o = _forked((lambda: _seeks_outcome(path)) if argv is None else (lambda argv=argv: _cli(argv)))
            o.name, o.bound = name, RSS_SLOPE * size + RSS_FLOOR
            out.append(o)
            continue
        tracemalloc.start()
        t0 = time.perf_counter()
        try:
            if argv is None:
                _seeks(path)
                status, err = 0, ""
            else:
                status, err = _cli(argv)
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        o = Outcome(status, err, time.perf_counter() - t0, peak)
        o.name, o.bound = name, RSS_SLOPE * size + RSS_FLOOR
        out.append(o)
    return out


def check(outcomes: list[Outcome], note: str) -> None:
    """Every command: exit 0 or 2; stderr at most one warning line plus one error line, never a
    traceback; within the memory and time bounds."""
    for o in outcomes:
        lines = [ln for ln in o.stderr.splitlines() if ln.strip()]
        where = f"[{o.name}] {note}: status {o.status}, stderr {o.stderr[:500]!r}"
        assert o.status in (0, 2), where
        assert "Traceback" not in o.stderr, where
        errors = [ln for ln in lines if not ln.startswith("gmpviz: warning:")]
        assert len(errors) <= 1 and len(lines) <= 2, where
        assert all(ln.startswith("gmpviz: ") for ln in lines), where
        if o.status == 2:
            assert len(errors) == 1, where
        assert o.peak_bytes <= o.bound, f"{where}: peak {o.peak_bytes:,} bytes > {o.bound:,}"
        assert o.seconds <= CASE_SECONDS, f"{where}: {o.seconds:.1f} s"
