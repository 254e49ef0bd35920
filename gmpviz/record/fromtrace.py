"""A real Go program's execution trace as a .gmprec recording, so the player shows it.

`trace_to_recording(trace, out)` streams the trace generation by generation through
`gotrace.convert.TraceConverter` into a `RecordingWriter` (keyframes, marks and the index as for an
emulated run). The header says where it came from: no scenario text (a real program has none), the
trace's GOMAXPROCS, its goroutine groups (start functions) and the Assumptions panel's lines about
what a trace cannot tell. `cached_recording(trace)` keeps one conversion per trace file version in
the user cache folder (`gmpviz open FILE.trace` converts once, then opens at once).

A trace broken part-way keeps its complete generations (one warning, as `open --dump` does); a
trace that is not one, or broken in its first generation, is a RecordingError (one line).
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from .. import __version__
from ..core.constants import GO_VERSION
from ..core.trace.events import EVENT_DTYPE
from ..core.trace.stats import COUNTERS_DTYPE
from ..core.workload.loader import MAX_DURATION_NS
from ..gotrace.convert import TraceConverter
from ..gotrace.reader import GoTraceReader
from ..gotrace.wire import TraceError
from . import RecordingError
from . import format as F
from .writer import CHUNK_EVENTS, KEYFRAME_SPAN_NS, RecordingWriter

CACHE_ENV = "GMPVIZ_CACHE"  # the same override as the decks' cache (tests, CI, a read-only home)
REAL_POLICY = "real Go program"


def cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env) / "traces"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gmpviz" / "traces"


def _header(trace: str, version: int, conv: TraceConverter, duration_ns: int) -> dict:
    name = os.path.basename(trace)
    return {
        "format_version": F.FORMAT_VERSION,
        "gmpviz_version": __version__,
        "go_version": GO_VERSION,
        "scenario": {"name": name, "text": "", "path": name},
        "source": {"kind": "go-trace", "format": f"go 1.{version}", "path": name},
        "seed": 0,
        "settings": {
            "procs": max(1, int(conv.gomaxprocs)),
            "policy": REAL_POLICY,
            "duration_ns": int(min(duration_ns, MAX_DURATION_NS)),
            "gogc": -1,
            "memlimit_bytes": -1,
        },
        "groups": list(conv.groups),
        "notice": f"A real Go program's execution trace ({name}, go 1.{version} format), read by gmpviz.",
        "assumptions": conv.assumptions(),
        "event_dtype": EVENT_DTYPE.descr,
        "counters_dtype": COUNTERS_DTYPE.descr,
        "chunk_events": CHUNK_EVENTS,
        "keyframe_span_ns": KEYFRAME_SPAN_NS,
    }


def trace_to_recording(trace: str, out: str, strict: bool = False) -> tuple[str, str | None]:
    """Write the recording of `trace` to `out`; (out, warning or None). RecordingError on failure."""
    try:
        reader = GoTraceReader(trace)
    except TraceError as e:
        raise RecordingError(f"{trace}: {e}") from None
    except OSError as e:
        raise RecordingError(f"{trace}: {e.strerror or e}") from None
    conv = TraceConverter()
    events, counters = [], []
    warning = None
    with reader:
        try:
            for g, arr in reader.chunks():
                ev, rows = conv.add(g, arr)
                if len(ev) and int(ev["t_ns"][-1]) > MAX_DURATION_NS:
                    keep = ev["t_ns"] <= MAX_DURATION_NS
                    events.append(ev[keep])
                    counters.append(rows[rows["t_ns"] <= MAX_DURATION_NS])
                    warning = f"{trace}: longer than gmpviz shows ({MAX_DURATION_NS // 10**9} s): cut there"
                    break
                events.append(ev)
                counters.append(rows)
        except TraceError as e:  # (the reader reports errors in .error; this is a bug's guard)
            raise RecordingError(f"{trace}: {e}") from None
        except ValueError as e:
            raise RecordingError(f"{trace}: {e}") from None
        if reader.error:
            if reader.generations == 0 or strict:
                raise RecordingError(f"{trace}: {reader.error}")
            kept = reader.generations
            warning = (
                f"{trace}: {reader.error}; kept the {kept} complete generation{'' if kept == 1 else 's'} "
                "before it"
            )
        version = reader.version
    if not any(len(e) for e in events):
        raise RecordingError(f"{trace}: the trace has no events gmpviz can show")
    # SIMPLIFICATION: the converted events are held until the end (the header needs the groups and
    # GOMAXPROCS the whole trace names): EVENT_DTYPE is 47 bytes an event
    w = RecordingWriter(out, _header(trace, version, conv, conv.t_last))
    try:
        for ev, rows in zip(events, counters, strict=True):
            w.append(ev, rows)
        w.close()
    except BaseException:
        w.discard()
        raise
    return out, warning


def _stat(path: str) -> os.stat_result:
    try:
        return os.stat(path)
    except OSError as e:
        raise RecordingError(f"{path}: {e.strerror or e}") from None


@functools.cache
def converter_digest() -> str:
    """A hash of the converters' source: a cached recording made by another converter is remade."""
    h = hashlib.sha256()
    for mod in ("convert.py", "godebuglog.py"):
        h.update((Path(__file__).resolve().parents[1] / "gotrace" / mod).read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:16]


def _cache_path(path: str, st: os.stat_result, salt: str) -> Path:
    key = hashlib.sha256(
        f"{os.path.realpath(path)}\0{st.st_size}\0{st.st_mtime_ns}\0{__version__}\0{converter_digest()}\0"
        f"{salt}".encode()
    ).hexdigest()[:16]
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RecordingError(f"cannot create the cache folder {folder}: {e.strerror or e}") from None
    return folder / f"{Path(path).stem}-{key}.gmprec"


def cached_recording(trace: str, strict: bool = False) -> tuple[str, str | None]:
    """The recording of `trace` in the cache folder, converted if this version of the file has none."""
    out = _cache_path(trace, _stat(trace), f"strict={strict}")
    if out.is_file():
        return str(out), None
    return trace_to_recording(trace, str(out), strict=strict)


def read_log(path: str) -> str:
    """A GODEBUG log's text (bounded; undecodable bytes replaced), or RecordingError."""
    from ..gotrace.godebuglog import MAX_LOG_BYTES
    from ..gotrace.wire import TraceError, open_regular

    try:
        with open_regular(path) as f:
            data = f.read(MAX_LOG_BYTES + 1)
    except OSError as e:
        raise RecordingError(f"{path}: {e.strerror or e}") from None
    except TraceError as e:
        raise RecordingError(str(e)) from None
    if len(data) > MAX_LOG_BYTES:
        raise RecordingError(f"{path}: larger than {MAX_LOG_BYTES >> 20} MiB, not a log gmpviz reads")
    return data.decode("utf-8", errors="replace")


def log_to_recording(path: str, out: str) -> str:
    """A GODEBUG=gctrace=1,schedtrace=N log as a recording: GC cycles, heap and run-queue lengths."""
    from ..gotrace.godebuglog import LOG_ASSUMPTIONS, log_events, parse_godebug_log

    log = parse_godebug_log(read_log(path))
    if not (log.gc or log.sched):
        raise RecordingError(f"{path}: no gctrace or schedtrace lines (GODEBUG=gctrace=1,schedtrace=N)")
    ev, rows = log_events(log)
    if len(ev) and int(ev["t_ns"][-1]) > MAX_DURATION_NS:
        raise RecordingError(f"{path}: longer than gmpviz shows ({MAX_DURATION_NS // 10**9} s)")
    name = os.path.basename(path)
    procs = max([s["gomaxprocs"] for s in log.sched] + [c["procs"] for c in log.gc] + [1])
    header = {
        "format_version": F.FORMAT_VERSION,
        "gmpviz_version": __version__,
        "go_version": GO_VERSION,
        "scenario": {"name": name, "text": "", "path": name},
        "source": {"kind": "godebug-log", "path": name},
        "seed": 0,
        "settings": {
            "procs": min(procs, 1024),
            "policy": REAL_POLICY,
            "gogc": -1,
            "memlimit_bytes": -1,
            "duration_ns": int(ev["t_ns"][-1]) if len(ev) else 0,
        },  # fmt: skip
        "groups": ["main"],
        "notice": f"A real Go program's GODEBUG log ({name}): {len(log.gc)} GC cycles, "
        f"{len(log.sched)} schedtrace lines.",
        "assumptions": list(LOG_ASSUMPTIONS),
        "event_dtype": EVENT_DTYPE.descr,
        "counters_dtype": COUNTERS_DTYPE.descr,
        "chunk_events": CHUNK_EVENTS,
        "keyframe_span_ns": KEYFRAME_SPAN_NS,
    }
    w = RecordingWriter(out, header)
    try:
        w.append(ev, rows)
        w.close()
    except BaseException:
        w.discard()
        raise
    return out


def cached_log_recording(path: str) -> str:
    st = _stat(path)
    out = _cache_path(path, st, "log")
    return str(out) if out.is_file() else log_to_recording(path, str(out))
