"""What the commands tell the terminal about long work and written files (a leaf module: no gmpviz imports).

- `Progress(label)`: a progress bar (rich) on stderr when it is a terminal; nothing at all otherwise, so
  pipes, logs and tests see only the command's own output.
- `wrote(path, what)`: the one closing line of every command that writes a file:
  ``wrote PATH: WHAT (SIZE)``.
"""

from __future__ import annotations

import os
import sys


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # closed or not a file
        return False


class Progress:
    """`progress(fraction)` with fraction in 0..1; a rich bar on a terminal, silent elsewhere.

    The bar is started on the first call and finished (one line left on screen) at 1.0 or `close()`;
    it is also a context manager so an interrupted job does not leave the terminal mid-line."""

    def __init__(self, label: str, stream=None, unit: str = "") -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.tty = _isatty(self.stream)
        self._bar = None
        self._task = None
        self._done = False

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=self.stream, stderr=self.stream is sys.stderr),
            transient=False,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=1.0)

    def __call__(self, fraction: float) -> None:
        if not self.tty or self._done:
            return
        if self._bar is None:
            self._start()
        f = max(0.0, min(1.0, float(fraction)))
        self._bar.update(self._task, completed=f)
        if f >= 1.0:
            self.close()

    def close(self) -> None:
        if self._bar is not None and not self._done:
            self._bar.stop()
        self._done = True

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def format_size(n_bytes: int) -> str:
    for scale, unit in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}"
    return f"{n_bytes} B"


def wrote(path: str | os.PathLike, what: str) -> str:
    """``wrote PATH: WHAT (SIZE)``: the closing line of a command that wrote the file `path`."""
    try:
        size = format_size(os.stat(path).st_size)
    except OSError:
        size = "size unknown"
    return f"wrote {os.fspath(path)}: {what} ({size})"
