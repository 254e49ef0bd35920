"""The recording header (JSON in the HEAD chunk), checked against a schema before anything reads it.

A header that passed its checksum can still be hostile: nested 100,000 deep (json's recursion), a
string where an object belongs, a 5 MB notice the window would lay out. `check_header` bounds the
depth while parsing, the length of every string and list, and the type of every field the reader,
the player and the exporters use; unknown keys are kept (a newer writer may add some) but bounded
the same way.
"""

from __future__ import annotations

import json

from ..core.workload.loader import (
    MAX_DESCRIPTION_CHARS,
    MAX_DURATION_NS,
    MAX_FILE_BYTES,
    MAX_GOMAXPROCS,
    MAX_NCPU,
    MAX_PROGRAMS,
    MAX_SEED,
)
from . import RecordingError
from .format import MAX_HEADER_BYTES

MAX_DEPTH = 8  # the writer's deepest value is event_dtype: [[name, type], ...] inside the header = 3
MAX_STRING_CHARS = 4096  # names, versions, paths, policies, one assumption
MAX_LIST_ITEMS = 4096  # assumptions, groups, dtype fields
MAX_TEXT_CHARS = MAX_FILE_BYTES  # the scenario's TOML text: the loader's file limit
MAX_NOTICE_CHARS = MAX_DESCRIPTION_CHARS  # the scenario's description, shown in the window
MAX_GROUPS = MAX_PROGRAMS + 1  # a group per program and main; goroutine groups are int16 in the fold

# field -> (type, (lo, hi) for ints or max chars for strings)
_SETTINGS = {
    "procs": (int, (1, MAX_GOMAXPROCS)),
    "policy": (str, 64),
    "duration_ns": (int, (0, MAX_DURATION_NS)),
    "gogc": (int, (-1, 2**31 - 1)),
    "memlimit_bytes": (int, (-1, 2**63 - 1)),
}
_SCENARIO = {"name": (str, MAX_STRING_CHARS), "text": (str, MAX_TEXT_CHARS), "path": (str, MAX_STRING_CHARS)}


def _fail(what: str) -> RecordingError:
    return RecordingError(f"corrupt recording header: {what}")


def _depth_ok(raw: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before json recurses into it (brackets in strings skipped)."""
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
            if depth > MAX_DEPTH:
                raise _fail(f"nested more than {MAX_DEPTH} deep")
        elif ch in "]}":
            depth -= 1


def _bounded(v, where: str, max_chars: int = MAX_STRING_CHARS) -> None:
    """Every string, list and object inside `v` within the generic bounds."""
    if isinstance(v, str):
        if len(v) > max_chars:
            raise _fail(f"{where} is {len(v):,} characters long (at most {max_chars:,})")
    elif isinstance(v, list):
        if len(v) > MAX_LIST_ITEMS:
            raise _fail(f"{where} has {len(v):,} items (at most {MAX_LIST_ITEMS:,})")
        for i, x in enumerate(v):
            _bounded(x, f"{where}[{i}]")
    elif isinstance(v, dict):
        if len(v) > MAX_LIST_ITEMS:
            raise _fail(f"{where} has {len(v):,} keys (at most {MAX_LIST_ITEMS:,})")
        for k, x in v.items():
            _bounded(k, f"{where} key")
            _bounded(x, f"{where}.{k}")


def _field(d: dict, key: str, typ, bound, where: str, required: bool = False):
    if key not in d:
        if required:
            raise _fail(f"{where}{key} is missing")
        return
    v = d[key]
    if typ is int:
        if not isinstance(v, int) or isinstance(v, bool):
            raise _fail(f"{where}{key} must be an integer, not {type(v).__name__}")
        lo, hi = bound
        if not lo <= v <= hi:
            raise _fail(f"{where}{key} = {v} is outside {lo}..{hi}")
    elif typ is str:
        if not isinstance(v, str):
            raise _fail(f"{where}{key} must be a string, not {type(v).__name__}")
        if len(v) > bound:
            raise _fail(f"{where}{key} is {len(v):,} characters long (at most {bound:,})")
    elif typ is dict and not isinstance(v, dict):
        raise _fail(f"{where}{key} must be an object, not {type(v).__name__}")


def _str_list(h: dict, key: str, max_items: int) -> None:
    v = h.get(key)
    if v is None:
        return
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise _fail(f"{key} must be a list of strings")
    if len(v) > max_items:
        raise _fail(f"{key} has {len(v):,} items (at most {max_items:,})")


def check_header(payload: bytes) -> dict:
    """The header object of a HEAD payload, or RecordingError (one line) naming what is wrong."""
    if len(payload) > MAX_HEADER_BYTES:
        raise _fail(f"{len(payload):,} bytes (at most {MAX_HEADER_BYTES:,})")
    try:
        raw = payload.decode()
    except UnicodeDecodeError as e:
        raise _fail(str(e)) from None
    _depth_ok(raw)
    try:
        h = json.loads(raw)
    except (json.JSONDecodeError, RecursionError, ValueError) as e:  # ValueError: int of >4300 digits
        raise _fail(str(e).splitlines()[0][:200]) from None
    if not isinstance(h, dict):
        raise _fail("not an object")
    _field(h, "format_version", int, (1, 2**31 - 1), "", required=True)
    _field(h, "seed", int, (0, MAX_SEED), "")
    for k in ("gmpviz_version", "go_version"):
        _field(h, k, str, 64, "")
    for k in ("chunk_events", "keyframe_span_ns"):
        _field(h, k, int, (0, 2**63 - 1), "")
    if h.get("notice") is not None:
        _field(h, "notice", str, MAX_NOTICE_CHARS, "")
    sc = h.get("scenario")
    if sc is not None:
        _field(h, "scenario", dict, None, "")
        for k, (typ, bound) in _SCENARIO.items():
            if sc.get(k) is not None:
                _field(sc, k, typ, bound, "scenario.")
    st = h.get("settings")
    if st is not None:
        _field(h, "settings", dict, None, "")
        for k, (typ, bound) in _SETTINGS.items():
            _field(st, k, typ, bound, "settings.")
        if "ncpu" in st:  # recordings before ncpu was modelled have none
            _field(st, "ncpu", int, (1, MAX_NCPU), "settings.")
    _str_list(h, "groups", MAX_GROUPS)
    _str_list(h, "assumptions", MAX_LIST_ITEMS)
    # everything else (and everything above, once more): bounded strings, lists and objects
    rest = {k: v for k, v in h.items() if k not in ("scenario", "notice")}
    _bounded(rest, "header")
    return h
