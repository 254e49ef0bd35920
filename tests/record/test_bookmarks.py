"""Bookmarks saved in the recording (a BMRK chunk between the index and the footer): they round-trip,
leave the rest of the file byte-for-byte as it was (a format-2 reader still plays it), an old file's
sidecar is still read, and a hostile BMRK chunk refuses the recording with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gmpviz.record import RecordingError
from gmpviz.record import format as F
from gmpviz.record.bookmarks import (
    MAX_BOOKMARKS,
    MAX_LABEL_CHARS,
    Bookmark,
    bookmarks_path,
    index_end,
    load_bookmarks,
    save_bookmarks,
)
from gmpviz.record.reader import RecordingReader


@pytest.fixture(scope="module")
def rec(tmp_path_factory):
    from gmpviz.core.engine import Engine
    from gmpviz.core.workload.loader import load_scenario
    from gmpviz.record.writer import record_run

    path = tmp_path_factory.mktemp("bm") / "r.gmprec"
    record_run(Engine(load_scenario("default"), duration_ns=20_000_000), str(path))
    return path.read_bytes()


def _file(tmp_path, data: bytes) -> str:
    p = tmp_path / "r.gmprec"
    p.write_bytes(data)
    return str(p)


def test_bookmarks_are_saved_in_the_recording(tmp_path, rec):
    path = _file(tmp_path, rec)
    marks = [Bookmark("second GC", 2_000_000, 300), Bookmark("start", 0, 0)]
    assert save_bookmarks(path, marks) == path
    assert not (tmp_path / "r.gmprec.bookmarks.json").exists()
    data = Path(path).read_bytes()
    end = index_end(rec)
    # the events, keyframes and index unchanged; the BMRK chunk after them; the same footer
    assert data[:end] == rec[:end] and data[-F.FOOTER.size :] == rec[-F.FOOTER.size :]
    assert data[end : end + 4] == F.TAG_BMRK
    r = RecordingReader.open(path)
    try:
        assert r.bookmarks == sorted(marks, key=lambda b: b.index)
        assert load_bookmarks(path, r) == r.bookmarks
        assert r.n_events == RecordingReader.from_bytes(rec).n_events
    finally:
        r.close()
    assert load_bookmarks(path) == sorted(marks, key=lambda b: b.index)
    save_bookmarks(path, [Bookmark("only", 5, 1)])  # a second save replaces the chunk
    assert [b.label for b in load_bookmarks(path)] == ["only"]
    assert len(Path(path).read_bytes()) < len(data)


def test_a_format_2_reader_skips_the_chunk(tmp_path, rec):
    """What a reader without BMRK support does: footer -> index -> blocks; the chunk is never read."""
    path = _file(tmp_path, rec)
    save_bookmarks(path, [Bookmark("x", 10, 2)])
    data = Path(path).read_bytes()
    magic, index_off, total = F.FOOTER.unpack_from(data, len(data) - F.FOOTER.size)
    assert magic == F.FOOTER_MAGIC and data[index_off : index_off + 4] == F.TAG_INDX
    assert (index_off, total) == F.FOOTER.unpack_from(rec, len(rec) - F.FOOTER.size)[1:]
    assert F.check_preamble(data) == F.FORMAT_VERSION == 2  # the format version did not move


def test_old_files_keep_their_sidecar(tmp_path, rec):
    path = _file(tmp_path, rec)
    with open(bookmarks_path(path), "w") as f:
        json.dump({"version": 1, "bookmarks": [{"label": "old", "t_ns": 7, "index": 3}]}, f)
    assert load_bookmarks(path) == [Bookmark("old", 7, 3)]
    save_bookmarks(path, [])  # saved in the file now, even an empty list: the sidecar is not read again
    assert load_bookmarks(path) == []


def test_a_recording_cut_short_keeps_them_beside_it(tmp_path, rec):
    path = _file(tmp_path, rec[: len(rec) - F.FOOTER.size - 3])
    assert save_bookmarks(path, [Bookmark("cut", 1, 1)]) == bookmarks_path(path)
    assert load_bookmarks(path) == [Bookmark("cut", 1, 1)]


def _with_chunk(rec: bytes, payload: bytes, tag: bytes = F.TAG_BMRK) -> bytes:
    end = index_end(rec)
    return rec[:end] + F.pack_chunk(tag, payload) + rec[-F.FOOTER.size :]


def _doc(marks, version=1) -> bytes:
    return json.dumps({"version": version, "bookmarks": marks}).encode()


BAD = [
    (b"{not json", "bookmarks"),
    (b"\xff\xfe", "bookmarks"),
    (b"[]", "bookmarks"),
    (json.dumps({"version": 1}).encode(), "bookmarks"),
    (json.dumps({"version": 1, "bookmarks": [], "x": 1}).encode(), "bookmarks"),
    (_doc([{"label": "a", "t_ns": 0}]), "exactly label"),
    (_doc([{"label": "a", "t_ns": 0, "index": 0, "more": 1}]), "exactly label"),
    (_doc([{"label": 5, "t_ns": 0, "index": 0}]), "label"),
    (_doc([{"label": "x" * (MAX_LABEL_CHARS + 1), "t_ns": 0, "index": 0}]), "label"),
    (_doc([{"label": "a", "t_ns": -1, "index": 0}]), "t_ns"),
    (_doc([{"label": "a", "t_ns": "1", "index": 0}]), "t_ns"),
    (_doc([{"label": "a", "t_ns": True, "index": 0}]), "t_ns"),
    (_doc([{"label": "a", "t_ns": 0, "index": 10**9}]), "index"),
    (_doc([{"label": "a", "t_ns": 0, "index": 0}] * (MAX_BOOKMARKS + 1)), "at most"),
    (_doc([], version=99), "newer"),
    (_doc([], version="1"), "version"),
    (b'{"version": 1, "bookmarks": [[[[[[1]]]]]]}', "deep"),
    (b"[" * 100_000 + b"]" * 100_000, "bookmarks"),
]


@pytest.mark.parametrize("payload, message", BAD)
def test_a_hostile_bookmarks_chunk_refuses_the_recording(tmp_path, rec, payload, message):
    path = _file(tmp_path, _with_chunk(rec, payload))
    with pytest.raises(RecordingError, match=message) as e:
        RecordingReader.open(path)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda rec: _with_chunk(rec, _doc([]), tag=b"JUNK"),  # another chunk there
        lambda rec: rec[: index_end(rec)] + b"\x00" * 7 + rec[-F.FOOTER.size :],  # loose bytes
        lambda rec: _with_chunk(rec, _doc([]))[: -F.FOOTER.size - 1] + rec[-F.FOOTER.size :],  # cut chunk
        lambda rec: (
            _with_chunk(rec, _doc([]))[: index_end(rec) + 8]
            + b"\xff"
            + _with_chunk(rec, _doc([]))[index_end(rec) + 9 :]
        ),  # bad crc
    ],
)
def test_bytes_between_the_index_and_the_footer_must_be_one_bookmarks_chunk(tmp_path, rec, mangle):
    path = _file(tmp_path, mangle(rec))
    with pytest.raises(RecordingError, match="between the index and the end record"):
        RecordingReader.open(path)


def test_save_refuses_what_the_reader_would(tmp_path, rec):
    path = _file(tmp_path, rec)
    with pytest.raises(RecordingError, match="characters"):
        save_bookmarks(path, [Bookmark("x" * (MAX_LABEL_CHARS + 1), 0, 0)])
    assert Path(path).read_bytes() == rec  # untouched
