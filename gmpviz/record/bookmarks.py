"""Labelled bookmarks saved beside a recording: ``FILE.bookmarks.json`` (written atomically)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from . import RecordingError
from .outpath import atomic_open

BOOKMARKS_VERSION = 1
SUFFIX = ".bookmarks.json"


@dataclass(frozen=True)
class Bookmark:
    label: str
    t_ns: int
    index: int  # events applied at the bookmark (the cursor's event index)


def bookmarks_path(recording: str) -> str:
    return os.fspath(recording) + SUFFIX


def load_bookmarks(recording: str) -> list[Bookmark]:
    """Bookmarks of `recording` sorted by time; [] when there is no file."""
    path = bookmarks_path(recording)
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as e:
        raise RecordingError(f"cannot read the bookmarks {path}: {e}") from None
    try:
        if int(doc.get("version", 0)) > BOOKMARKS_VERSION:
            raise RecordingError(f"bookmarks {path} are from a newer gmpviz")
        out = [Bookmark(str(b["label"]), int(b["t_ns"]), int(b["index"])) for b in doc["bookmarks"]]
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        if isinstance(e, RecordingError):
            raise
        raise RecordingError(f"bookmarks {path} are malformed: {e}") from None
    return sorted(out, key=lambda b: (b.index, b.t_ns, b.label))


def save_bookmarks(recording: str, marks: list[Bookmark]) -> str:
    """Write atomically (temp file, then rename); return the path."""
    path = bookmarks_path(recording)
    doc = {
        "version": BOOKMARKS_VERSION,
        "bookmarks": [asdict(b) for b in sorted(marks, key=lambda b: (b.index, b.t_ns, b.label))],
    }
    with atomic_open(path, "w", (recording,), "the bookmarks", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
    return path
