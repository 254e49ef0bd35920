"""Recordings (.gmprec): a deterministic writer, a reader that seeks through keyframes, exporters.

Qt-free. `RecordingWriter.create(path, engine)` / `.append(events, counters)` / `.close()`;
`RecordingReader.open(path)` / `.seek_index(i)` / `.events(i0, i1)`; `export_main(args)` for the CLI.
Format: docs/recording-format.md.
"""

from __future__ import annotations


class RecordingError(ValueError):
    """A recording that cannot be read or written (one line: truncated, corrupt, newer version...)."""


ASSUMPTIONS = (
    "Recordings made in the window sample counters at the engine thread's slice boundaries, which "
    "follow wall-clock pacing: events and keyframes are identical for the same scenario and seed, "
    "counter samples may differ. Headless recordings (10 ms virtual slices) are byte-identical.",
    "Keyframes hold the model's view state (G/P/M, run queues, span table, last counters row); the "
    "whole-run histories (timelines, GC cycles) are rebuilt from all events when a recording opens.",
)
