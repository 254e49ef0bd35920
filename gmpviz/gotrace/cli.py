"""`gmpviz open FILE.trace --dump | --headless [--json]`: the command-line side of the reader.

A trace that is not a Go trace, or whose first generation is already broken, is one line on
stderr and exit 2. A trace broken or cut short later prints everything up to the last complete
generation (and, when the break is in the order of a generation read in windows, that
generation's events before the break, as Go's reader returns them), then one warning line on
stderr (exit 0; `--strict` makes it exit 2).
"""

from __future__ import annotations

import json
import sys

from .dump import dump_lines
from .reader import GoTraceReader
from .summary import TraceSummary, format_trace_summary
from .wire import TraceError, open_regular


class OpenError(Exception):
    """A one-line user error (the CLI prints `gmpviz: <message>`, exit 2)."""


def is_go_trace(path: str) -> bool:
    try:
        with open_regular(path) as f:
            return f.read(5) == b"go 1."
    except (OSError, TraceError):
        return False


def _unless_refused(reader: GoTraceReader):
    """The chunks to print, without the closing Sync of a trace refused whole (nothing read)."""
    for g, arr in reader.chunks():
        if g is None and reader.error and reader.generations == 0 and not reader.partial_events:
            continue
        yield g, arr


def open_main(path: str, dump: bool, headless: bool, as_json: bool, strict: bool, out=None) -> int:
    out = out or sys.stdout
    try:
        reader = GoTraceReader(path)
    except TraceError as e:
        raise OpenError(f"{path}: {e}") from None
    with reader:
        if dump:
            write = out.write
            buf: list[str] = []
            for line in dump_lines(_unless_refused(reader)):
                buf.append(line)
                if len(buf) >= 4096:
                    write("\n".join(buf) + "\n")
                    buf.clear()
            if buf:
                write("\n".join(buf) + "\n")
            summary = None
        else:
            summ = TraceSummary()
            for g, arr in reader.chunks():
                summ.add(g, arr)
            summary = summ.result(reader)
        if reader.error and (reader.generations == 0 or strict):
            raise OpenError(f"{path}: {reader.error}")  # (a --dump has streamed the good part)
        if summary is not None:
            print(json.dumps(summary, indent=2) if as_json else format_trace_summary(summary), file=out)
        if reader.error:
            kept = reader.generations
            msg = f"{path}: {reader.error}"
            if strict:
                raise OpenError(msg)
            part = reader.partial_events
            print(
                f"gmpviz: warning: {msg}; kept the {kept} complete generation{'' if kept == 1 else 's'} "
                f"before it{f' and the {part:,} events of the broken one before the break' if part else ''}",
                file=sys.stderr,
            )
    return 0
