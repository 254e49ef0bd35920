"""`validateTableIDs` (reader.go): every stack and string ID an event names is in its generation's table.

Checked with numpy: per generation a lookup table of the IDs (np.isin when they are too sparse for
one), per argument slot only for the event types present.
"""

from __future__ import annotations

import numpy as np

from . import spec as S
from .wire import Generation

# (type, argument slot) pairs that name a stack / a string (event spec StackIDs/StringIDs, minus dt).
_STACK_SLOTS = [(t, i - 1) for t, sp in S.TIMED.items() for i in sp[2]]
_STRING_SLOTS = [(t, i - 1) for t, sp in S.TIMED.items() for i in sp[3]]
_HAS_TABLE_ARG = np.zeros(256, bool)
for _t, _i in _STACK_SLOTS + _STRING_SLOTS:
    _HAS_TABLE_ARG[_t] = True
# Per table and argument slot: which event types name an ID of that table there.
_SLOT_TYPES = {
    what: [np.isin(np.arange(256), [t for t, i in slots if i == k]) for k in range(4)]
    for what, slots in (("stack", _STACK_SLOTS), ("string", _STRING_SLOTS))
}
_LUT_MAX = 1 << 22  # IDs up to this are checked through a lookup table (else np.isin)


def _known_ids(table: dict, cache: dict, what: str):
    """(a lookup table of the IDs in the table and 0, or None: too sparse; the IDs as an array)."""
    got = cache.get(what)
    if got is None:
        keys = np.fromiter(table.keys(), np.uint64, len(table)) if table else np.zeros(0, np.uint64)
        keys = np.append(keys, np.uint64(0))
        top = int(keys.max())
        lut = None
        if top < _LUT_MAX:
            lut = np.zeros(top + 2, bool)  # (the last entry: every ID above the table's largest)
            lut[keys.astype(np.int64)] = True
        got = cache[what] = (lut, keys)
    return got


def first_bad_table_id(typ: np.ndarray, args: np.ndarray, g: Generation) -> tuple[int, str] | None:
    """(index, Go's message) of the first event naming a stack or string not in g's tables, or None.

    typ: the events' types (uint8, contiguous); args: their (n, 4) argument slots."""
    if not len(typ):
        return None
    present = np.bincount(typ, minlength=256).astype(bool)  # the event types in the chunk
    if not _HAS_TABLE_ARG[present].any():
        return None
    cache = g.__dict__.setdefault("_id_luts", {})  # (the tables are complete once read)
    worst = None
    for table, what in ((g.stacks, "stack"), (g.strings, "string")):
        lut, keys = _known_ids(table, cache, what)
        for slot, types in enumerate(_SLOT_TYPES[what]):
            if not (types & present).any():
                continue
            sel = np.flatnonzero(types[typ])
            if not sel.size:
                continue
            ids = args[:, slot][sel]
            if lut is not None:
                ok = lut[np.minimum(ids, len(lut) - 1).astype(np.int64)]
            else:
                ok = np.isin(ids, keys)
            if not ok.all():
                j = int(sel[np.argmin(ok)])
                if worst is None or j < worst[0]:
                    bad_id, t = int(args[j, slot]), int(typ[j])
                    worst = (j, f"found invalid {what} ID {bad_id} for event {S.NAMES[t]}")
    return worst
