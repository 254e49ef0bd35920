"""Tracer: the engine's hot-path event sink.

Events go into one flat list of ints, eight per event, through a bound ``list.extend`` (measured here:
~0.34 µs per event, against ~0.45 µs for a tuple per event and ~0.6 µs for a method call). `drain`
turns everything emitted since the last drain into one EVENT_DTYPE array: ``struct.pack_into`` packs
the ints into an int64 buffer a chunk at a time (about 720 instructions per event under callgrind,
against 1,640 for ``np.fromiter`` and 2,200 for ``np.array``, which convert each int through numpy's
generic scalar path); a value struct refuses (a float, an int out of range) takes np.fromiter.

Two ways in, both checked against :data:`~.events.SPEC` by ``tests/core/test_emit_sites.py``:

* typed emitters, one per kind, generated from SPEC: ``tracer.GoCreate(t_ns, p, m, g, parent=...,
  group=..., stack_bytes=...)``. Each is a plain function compiled once from a template whose body is
  the same ``extend`` of an 8-tuple with the kind code folded in as a constant, so it costs one call
  more than the raw form, nothing else (no dict, no validation on the hot path);
* the raw form ``ext((t_ns, kind, p, m, g, a0, a1, a2))`` (cold paths, and code not yet converted).
"""

from __future__ import annotations

from struct import Struct, pack_into
from struct import error as StructError

import numpy as np

from .events import EV, EVENT_DTYPE, SPEC

NCOLS = 8
#: ints per struct.pack_into call in drain: its arguments are one tuple, so a chunk bounds the copy
_PACK_INTS = NCOLS << 16

#: Kinds whose emit sites keep the raw ``ext((...))`` form. Each is at least 3 % of the events of
#: ``gmpviz bench``'s standard workload (RunqPut 25 %, GoStart, RunqGet, GoBlock, GoUnblock 13 % each,
#: TimerFire 10 %, ChanSend and ChanRecv 3 %), and a typed call costs one Python frame more per event:
#: converting every site measured +4.9 % instructions per event under callgrind (+3.2 % with positional
#: arguments). Their raw sites are still checked against SPEC by tests/core/test_emit_sites.py, which
#: also refuses the raw form for any other kind.
#: Alloc too: one per run of objects into a span, the allocator's hottest kind (a fifth to a third of
#: the events of the allocating presets); its typed call was one more Python frame per mallocgc.
#: And the span kinds of a span fetch and its sweep (MCacheRefill, SpanCache, SpanUncache, SpanAlloc,
#: SpanSweep, SpanFree): 4-24 % each of the events of alloc-paths, mcache-refill and gc-greentea, and
#: four typed calls per span fetched were a tenth of `bench --alloc`'s cost of a span (issue 13).
RAW_HOT_KINDS = frozenset(
    {
        EV.RunqPut,
        EV.GoStart,
        EV.RunqGet,
        EV.GoBlock,
        EV.GoUnblock,
        EV.TimerFire,
        EV.ChanSend,
        EV.ChanRecv,
        EV.Alloc,
        EV.MCacheRefill,
        EV.SpanCache,
        EV.SpanUncache,
        EV.SpanAlloc,
        EV.SpanSweep,
        EV.SpanFree,
    }
)
_COLS = EVENT_DTYPE.names


def _int64s(flat: list, count: int) -> np.ndarray:
    """The first ``count`` ints of ``flat`` as an int64 array (what np.fromiter makes, faster)."""
    raw = np.empty(count, dtype=np.int64)
    try:
        for i in range(0, count, _PACK_INTS):
            part = flat[i : min(i + _PACK_INTS, count)]
            pack_into(f"{len(part)}q", raw, i * 8, *part)
    except StructError:  # not an int, or out of range: numpy's own conversion (and its error)
        return np.fromiter(flat, dtype=np.int64, count=count)
    return raw


#: EVENT_DTYPE's columns as struct codes: it is packed (no padding) and little-endian
_EVENT_CODES = "".join(
    {"<i8": "q", "|u1": "B", "<i2": "h", "<i4": "i"}[EVENT_DTYPE[i].str] for i in range(NCOLS)
)
#: events per struct.pack_into call in _packed_events (a Struct for each count up to it is cached)
_PACK_EVENTS = 256
_event_structs: dict[int, Struct] = {}


def _event_struct(count: int) -> Struct:
    st = _event_structs.get(count)
    if st is None:
        st = _event_structs[count] = Struct("<" + _EVENT_CODES * count)
    return st


def _packed_events(flat: list, n: int) -> np.ndarray | None:
    """The first ``n`` events of ``flat`` as an EVENT_DTYPE array, packed straight into its layout
    by struct (no int64 staging array, no column-by-column copies: a slice of ten events costs a
    fifth of what it did, a big one about two thirds); None if struct refuses a value (a float, an
    int out of its column's range), for the int64 path, which casts as numpy does."""
    size = EVENT_DTYPE.itemsize
    buf = bytearray(size * n)
    try:
        step = _PACK_EVENTS
        whole = _event_struct(step)
        for i in range(0, n - step + 1, step):
            whole.pack_into(buf, i * size, *flat[i * NCOLS : (i + step) * NCOLS])
        i = n - n % step
        if i < n:
            _event_struct(n - i).pack_into(buf, i * size, *flat[i * NCOLS : n * NCOLS])
    except StructError:
        return None
    return np.frombuffer(buf, dtype=EVENT_DTYPE)


_KIND_NAMES = tuple(k.name for k in SPEC)


def _emitters_source() -> str:
    """One factory whose body defines every kind's emitter over a given ``ext`` (a list's extend)."""
    lines = ["def _bind(ext):"]
    for kind, spec in SPEC.items():
        names = [f.name for f in spec.args]
        params = "".join(f", {n}=0" for n in names)
        cols = ", ".join([*names, *("0" for _ in range(3 - len(names)))])
        lines.append(f"    def {kind.name}(t_ns, p=-1, m=-1, g=0{params}):")
        lines.append(f"        ext((t_ns, {int(kind)}, p, m, g, {cols}))")
    lines.append(f"    return ({', '.join(_KIND_NAMES)})")
    return "\n".join(lines) + "\n"


_ns: dict = {}
exec(compile(_emitters_source(), "<gmpviz.core.trace.emitters>", "exec"), _ns)  # noqa: S102 - our template
_bind = _ns["_bind"]


class Emitters:
    """The typed emitters over any ``ext`` (a list's ``extend`` taking one 8-tuple): what a
    component that was handed an ``ext`` (the allocator, its benchmarks) emits through."""

    __slots__ = _KIND_NAMES

    def __init__(self, ext) -> None:
        for name, fn in zip(_KIND_NAMES, _bind(ext)):
            setattr(self, name, fn)


class Tracer:
    """Collects events emitted by the engine (cf. `runtime/trace.go: traceEvent`)."""

    __slots__ = ("_flat", "ext", "total", *_KIND_NAMES)

    def __init__(self) -> None:
        self._flat: list[int] = []
        #: hot path: ``ext((t_ns, kind, p, m, g, a0, a1, a2))``; stays valid across drains
        self.ext = self._flat.extend
        self.total = 0
        for name, fn in zip(_KIND_NAMES, _bind(self.ext)):
            setattr(self, name, fn)

    def emit(
        self,
        t_ns: int,
        kind: int,
        p: int = -1,
        m: int = -1,
        g: int = 0,
        a0: int = 0,
        a1: int = 0,
        a2: int = 0,
    ) -> None:
        """Convenience form of ``ext`` for cold paths."""
        self._flat.extend((t_ns, kind, p, m, g, a0, a1, a2))

    @property
    def pending(self) -> int:
        return len(self._flat) // NCOLS

    def drain(self) -> np.ndarray:
        """Everything emitted since the last drain, as one EVENT_DTYPE array (oldest first)."""
        flat = self._flat
        n = len(flat) // NCOLS
        if not n:
            return np.zeros(0, dtype=EVENT_DTYPE)
        out = _packed_events(flat, n)
        if out is None:
            out = np.zeros(n, dtype=EVENT_DTYPE)
            raw = _int64s(flat, n * NCOLS).reshape(n, NCOLS)
            for i, name in enumerate(_COLS):
                out[name] = raw[:, i]
        flat.clear()
        self.total += n
        return out

    def discard(self) -> None:
        """Count the pending events as emitted and drop them."""
        self.total += len(self._flat) // NCOLS
        self._flat.clear()


assert all(n in vars(Tracer) for n in _KIND_NAMES) and len(_KIND_NAMES) == len(EV)
