"""Labelled bookmarks, saved IN the recording: an optional BMRK chunk after the index (see
docs/recording-format.md, "Bookmarks").

    file = MAGIC version 0  chunk*  INDX-chunk  [BMRK-chunk]  FOOTER

The BMRK chunk sits outside the index, between the index chunk and the footer, so a reader that
predates it (format 2) finds the footer, then the index, and never looks at it: the file still
plays there, without its bookmarks. The format version is therefore unchanged. Saving rewrites the
file atomically (its bytes up to the end of the index, the new BMRK chunk, the same footer, to
FILE.part, renamed over FILE): the events, keyframes and index are byte-for-byte the same.

A BMRK payload is hostile input like the rest: JSON of at most MAX_BOOKMARKS_BYTES, exactly
``{"version": 1, "bookmarks": [{"label": str, "t_ns": int, "index": int}, ...]}``, at most
MAX_BOOKMARKS of them, labels of at most MAX_LABEL_CHARS, indices within the recording's events,
times within its range; anything else refuses the recording with one line.

Files written before bookmarks moved here kept them beside the recording, in FILE.bookmarks.json:
`load_bookmarks` still reads that sidecar when the file holds none. Saving writes the chunk (and
leaves an old sidecar alone); a recording cut short (no index, no footer) cannot hold the chunk, so
its bookmarks go to the sidecar as before.
"""

from __future__ import annotations

import json
import mmap
import os
from dataclasses import asdict, dataclass

from . import RecordingError
from . import format as F
from .outpath import atomic_open

BOOKMARKS_VERSION = 1
SUFFIX = ".bookmarks.json"
MAX_BOOKMARKS = 10_000  # a talk marks tens of moments; ten thousand is a script, not a person
MAX_LABEL_CHARS = 200
MAX_BOOKMARKS_BYTES = 4 << 20  # MAX_BOOKMARKS bookmarks of MAX_LABEL_CHARS escaped characters fit
_KEYS = {"label", "t_ns", "index"}
COPY_BYTES = 16 << 20  # a rewrite copies the recording in pieces this size


@dataclass(frozen=True)
class Bookmark:
    label: str
    t_ns: int
    index: int  # events applied at the bookmark (the cursor's event index)


def bookmarks_path(recording: str) -> str:
    """The sidecar of a recording saved before bookmarks moved into the file."""
    return os.fspath(recording) + SUFFIX


def _sorted(marks) -> list[Bookmark]:
    return sorted(marks, key=lambda b: (b.index, b.t_ns, b.label))


# --- the BMRK chunk --------------------------------------------------------------------------------
def encode_bookmarks(marks: list[Bookmark]) -> bytes:
    """The BMRK payload: deterministic JSON (sorted bookmarks, sorted keys, no spaces)."""
    if len(marks) > MAX_BOOKMARKS:
        raise RecordingError(f"{len(marks):,} bookmarks is more than a recording holds ({MAX_BOOKMARKS:,})")
    for b in marks:
        if len(b.label) > MAX_LABEL_CHARS:
            raise RecordingError(f"a bookmark label is at most {MAX_LABEL_CHARS} characters")
    doc = {"version": BOOKMARKS_VERSION, "bookmarks": [asdict(b) for b in _sorted(marks)]}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def decode_bookmarks(payload: bytes, n_events: int, t_max_ns: int) -> list[Bookmark]:
    """The bookmarks of a BMRK payload, schema-checked; RecordingError (one line) otherwise."""

    def bad(what: str) -> RecordingError:
        return RecordingError(f"corrupt recording: bookmarks: {what}")

    if len(payload) > MAX_BOOKMARKS_BYTES:
        raise bad(f"{len(payload):,} bytes (at most {MAX_BOOKMARKS_BYTES:,})")
    try:
        raw = payload.decode("utf-8")
        # flat by schema: two levels of brackets; refuse deeper nesting before json recurses
        if raw.count("{") > MAX_BOOKMARKS + 1:
            raise bad(f"more objects than bookmarks it may hold (at most {MAX_BOOKMARKS:,})")
        if _deeper_than(raw, 3):
            raise bad("nested too deep")
        doc = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        if isinstance(e, RecordingError):
            raise
        raise bad(str(e).splitlines()[0][:200]) from None
    if not isinstance(doc, dict) or set(doc) != {"version", "bookmarks"}:
        raise bad('expected {"version": 1, "bookmarks": [...]}')
    v = doc["version"]
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise bad("version must be a positive integer")
    if v > BOOKMARKS_VERSION:
        raise RecordingError(
            f"the recording's bookmarks are version {v}, newer than this gmpviz reads "
            f"({BOOKMARKS_VERSION}): upgrade gmpviz"
        )
    marks = doc["bookmarks"]
    if not isinstance(marks, list):
        raise bad("bookmarks must be a list")
    if len(marks) > MAX_BOOKMARKS:
        raise bad(f"{len(marks):,} of them (at most {MAX_BOOKMARKS:,})")
    out = []
    for k, b in enumerate(marks):
        if not isinstance(b, dict) or set(b) != _KEYS:
            raise bad(f"bookmark {k} must have exactly label, t_ns and index")
        label, t, i = b["label"], b["t_ns"], b["index"]
        if not isinstance(label, str) or len(label) > MAX_LABEL_CHARS or "\x00" in label:
            raise bad(f"bookmark {k}: label must be a string of at most {MAX_LABEL_CHARS} characters")
        for name, x, hi in (("t_ns", t, t_max_ns), ("index", i, n_events)):
            if not isinstance(x, int) or isinstance(x, bool) or not 0 <= x <= hi:
                raise bad(f"bookmark {k}: {name} must be an integer in 0..{hi:,}")
        out.append(Bookmark(label, t, i))
    return _sorted(out)


def _deeper_than(raw: str, limit: int) -> bool:
    depth, in_str, esc = 0, False, False
    for ch in raw:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


# --- reading and saving ----------------------------------------------------------------------------
def _load_sidecar(recording: str) -> list[Bookmark]:
    path = bookmarks_path(recording)
    try:
        if os.path.getsize(path) > MAX_BOOKMARKS_BYTES:
            raise RecordingError(f"the bookmarks {path} are larger than {MAX_BOOKMARKS_BYTES:,} bytes")
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        return []
    except (OSError, ValueError, RecursionError) as e:
        raise RecordingError(f"cannot read the bookmarks {path}: {e}") from None
    try:
        if int(doc.get("version", 0)) > BOOKMARKS_VERSION:
            raise RecordingError(f"bookmarks {path} are from a newer gmpviz")
        marks = doc["bookmarks"]
        if len(marks) > MAX_BOOKMARKS:
            raise RecordingError(f"bookmarks {path}: more than {MAX_BOOKMARKS:,}")
        out = [Bookmark(str(b["label"])[:MAX_LABEL_CHARS], int(b["t_ns"]), int(b["index"])) for b in marks]
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        if isinstance(e, RecordingError):
            raise
        raise RecordingError(f"bookmarks {path} are malformed: {e}") from None
    return _sorted(out)


def load_bookmarks(recording: str, reader=None) -> list[Bookmark]:
    """Bookmarks of `recording` sorted by event index: those saved in the file (its BMRK chunk,
    read by `reader` or a RecordingReader opened here), else an old FILE.bookmarks.json; []."""
    if reader is None:
        from .reader import RecordingReader

        if not os.path.exists(recording):
            return _load_sidecar(recording)
        reader = RecordingReader.open(recording, marks=False)
        try:
            inside = reader.bookmarks
        finally:
            reader.close()
    else:
        inside = reader.bookmarks
    if inside is not None:
        return list(inside)
    return _load_sidecar(recording)


def save_bookmarks(recording: str, marks: list[Bookmark]) -> str:
    """Save `marks` in the recording (its BMRK chunk, the file rewritten atomically); a recording cut
    short has no index to put them after: they go to its sidecar then. Returns the path written."""
    recording = os.fspath(recording)
    payload = encode_bookmarks(marks)
    if not os.path.isfile(recording):
        return _save(recording, b"", marks, payload)  # no recording there (yet): the sidecar
    try:
        with open(recording, "rb") as src:
            size = os.fstat(src.fileno()).st_size
            data = mmap.mmap(src.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except OSError as e:
        raise RecordingError(f"cannot read the recording {recording}: {e.strerror}") from None
    try:
        return _save(recording, data, marks, payload)
    finally:
        if isinstance(data, mmap.mmap):
            data.close()


def _save(recording: str, data, marks: list[Bookmark], payload: bytes) -> str:
    end = index_end(data)
    if end is None:  # cut short: the sidecar, as before
        path = bookmarks_path(recording)
        doc = {"version": BOOKMARKS_VERSION, "bookmarks": [asdict(b) for b in _sorted(marks)]}
        with atomic_open(path, "w", (recording,), "the bookmarks", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
            f.write("\n")
        return path
    footer = bytes(data[len(data) - F.FOOTER.size :])
    with atomic_open(recording, "wb", (), "the recording") as f:
        for off in range(0, end, COPY_BYTES):  # the events, keyframes and index, unchanged
            f.write(data[off : min(end, off + COPY_BYTES)])
        # even an empty list: the file then holds no bookmarks, and an old sidecar is not read again
        f.write(F.pack_chunk(F.TAG_BMRK, payload))
        f.write(footer)
    return recording


def index_end(data) -> int | None:
    """The byte after a finalised recording's index chunk (where a BMRK chunk goes), or None for a
    file without a footer that points at an index."""
    n = len(data)
    if n < F.PREAMBLE.size + F.FOOTER.size:
        return None
    magic, index_off, _ = F.FOOTER.unpack_from(data, n - F.FOOTER.size)
    if magic != F.FOOTER_MAGIC or not F.PREAMBLE.size <= index_off <= n - F.FOOTER.size - F.CHUNK_HEAD.size:
        return None
    tag, length, _crc = F.CHUNK_HEAD.unpack_from(data, index_off)
    end = index_off + F.CHUNK_HEAD.size + length
    if tag != F.TAG_INDX or end > n - F.FOOTER.size:
        return None
    return end
