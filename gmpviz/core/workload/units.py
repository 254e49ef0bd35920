"""Durations and sizes as written in scenario files, parsed to integer ns and bytes.

Durations follow Go's ``time.ParseDuration`` units (``ns``, ``us``/``µs``, ``ms``, ``s``, ``m``,
``h``, also compound like ``"1m30s"``); sizes follow ``GOMEMLIMIT`` (``B``, ``KiB``, ``MiB``,
``GiB``, ``TiB``; runtime/debug ``parseByteCount``). Decimal ``KB``/``MB`` are refused on purpose:
a teacher writing ``32KB`` almost always means 32768, and the runtime does not accept it either.
"""

from __future__ import annotations

import re
from fractions import Fraction

DURATION_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 micro sign, as Go accepts
    "μs": 1_000,  # U+03BC Greek mu, as Go accepts
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
SIZE_UNITS_BYTES = {"b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}
_DECIMAL_SIZE_UNITS = ("kb", "mb", "gb", "tb")

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_DURATION_PART = re.compile(rf"({_NUMBER})(ns|us|µs|μs|ms|s|m|h)")
_SIZE = re.compile(rf"^({_NUMBER})\s*([A-Za-z]*)$")


class UnitError(ValueError):
    """A duration or size string that does not parse; the message says what was expected."""


def parse_duration(value: object) -> int:
    """Parse ``"1.5ms"`` (time.ParseDuration syntax, no sign) to integer nanoseconds.

    Bare numbers are refused (``12`` could be ns, ms or s); the string ``"0"`` is accepted as in Go.
    """
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        if text == "0":
            return 0
        pos, total = 0, Fraction(0)
        for m in _DURATION_PART.finditer(text):
            if m.start() != pos:
                break
            total += Fraction(m.group(1)) * DURATION_UNITS_NS[m.group(2)]
            pos = m.end()
        if pos == len(text) and pos > 0:
            return round(total)
    raise UnitError('expected a duration like "10ms"')


def parse_size(value: object) -> int:
    """Parse ``"32KiB"`` / ``64`` (bytes) to integer bytes (``parseByteCount`` units)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value >= 0:
            return value
        raise UnitError("expected a size of at least 0 bytes")
    if isinstance(value, str):
        m = _SIZE.match(value.strip())
        if m:
            unit = m.group(2).lower() or "b"
            if unit in SIZE_UNITS_BYTES:
                return round(Fraction(m.group(1)) * SIZE_UNITS_BYTES[unit])
            if unit in _DECIMAL_SIZE_UNITS:
                raise UnitError(
                    f'expected a size like "32KiB" (KiB = 1024 bytes; {unit.upper()} is ambiguous)'
                )
    raise UnitError('expected a size like "64B", "32KiB", "1MiB" or a number of bytes')


def format_duration(t_ns: int) -> str:
    """The shortest exact spelling of ``t_ns``, e.g. 1_500_000 -> ``"1500us"``, 2e9 -> ``"2s"``."""
    if t_ns == 0:
        return "0"
    for unit in ("h", "m", "s", "ms", "us"):
        scale = DURATION_UNITS_NS[unit]
        if t_ns % scale == 0:
            return f"{t_ns // scale}{unit}"
    return f"{t_ns}ns"


def format_size(size_bytes: int) -> str:
    """The shortest exact spelling of ``size_bytes``, e.g. 32768 -> ``"32KiB"``."""
    for unit in ("TiB", "GiB", "MiB", "KiB"):
        scale = SIZE_UNITS_BYTES[unit.lower()]
        if size_bytes and size_bytes % scale == 0:
            return f"{size_bytes // scale}{unit}"
    return f"{size_bytes}B"
