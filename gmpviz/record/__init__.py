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
    "Perfetto export: a slice per G run as the timeline lanes show it (zero-length runs are not "
    "shown; a run cut by a stop-the-world is two slices); steal arrows bind to the enclosing slices.",
    "Every keyframe is a full snapshot of the view state (no delta keyframes).",
    "The player folds the whole-run histories (timelines, GC cycles) from all events after opening: "
    "the state at the cursor shows at once, the timeline of a long recording fills in over seconds.",
    "Keyframes hold the model's view state (G/P/M, run queues, span table, last counters row).",
)
