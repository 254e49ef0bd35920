"""Where gmpviz writes: the checks every writer makes before it writes, and the atomic write itself.

Every output (a recording, a Perfetto trace, a PNG, a video, a screenshot, bookmarks) goes through
here, so the rules hold everywhere (docs/recording-format.md, "Outputs"):

* an output may not be one of the command's inputs (`export a.gmprec --perfetto a.gmprec`,
  `run s.toml --record s.toml`), nor its temporary ``OUT.part``;
* an existing destination must be a regular file: a directory, FIFO or device is refused;
* a symlink is written THROUGH: the file it points to is replaced (atomically), the link stays;
* the bytes go to ``OUT.part`` next to the target, are fsynced and renamed over it; a failure or
  an interrupt (Ctrl-C, SIGTERM, SIGHUP) removes the ``.part``. Only a kill -9 or a power cut
  leaves one; for a recording `gmpviz play OUT` opens it up to its last complete chunk.
* an error is one line naming the path: "cannot write the image OUT: No space left on device".
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat

from . import RecordingError

PART_SUFFIX = ".part"


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is, so every interrupt clean-up (the ``.part``
    removals) runs as for Ctrl-C. A KeyboardInterrupt: the CLI exits 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum, frame) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def interrupts_clean_up():
    """While a command runs: SIGTERM and SIGHUP raise Terminated (restored afterwards; a no-op off
    the main thread, where Python cannot set handlers)."""
    saved = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            saved[sig] = signal.signal(sig, _raise_terminated)
        except ValueError:  # not the main thread
            break
    try:
        yield
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)


def _same(a: str, b: str) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)  # hard links
    except OSError:
        return False


def check_output(path: str, inputs=(), what: str = "the output") -> str:
    """The real path to write `path` to (a symlink resolved: it is written through), or a
    RecordingError (one line) if `path` may not be written."""
    path = os.fspath(path)
    real = os.path.realpath(path)
    for src in inputs:
        if src is None:
            continue
        src = os.fspath(src)
        if _same(path, src) or _same(real + PART_SUFFIX, src):
            raise RecordingError(f"{what} {path} is also an input of this command: refusing to overwrite it")
    for p in (real, real + PART_SUFFIX):
        try:
            st = os.stat(p)
        except FileNotFoundError:
            continue
        except OSError as e:
            raise RecordingError(f"cannot write {what} {path}: {e.strerror}") from None
        if stat.S_ISDIR(st.st_mode):
            raise RecordingError(f"cannot write {what} {path}: {p} is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise RecordingError(
                f"cannot write {what} {path}: {p} is not a regular file (a pipe or a device)"
            )
    parent = os.path.dirname(real) or "."
    if not os.path.isdir(parent):
        raise RecordingError(f"cannot write {what} {path}: no directory {parent}")
    return real


def check_outputs(outputs: list[tuple[str, str]], inputs=()) -> None:
    """check_output for each (path, what), and no two outputs the same file."""
    seen: list[str] = []
    for path, what in outputs:
        if path is None:
            continue
        check_output(path, inputs, what)
        for other in seen:
            if _same(path, other):
                raise RecordingError(f"{what} {path} is given twice as an output")
        seen.append(path)


def write_error(path: str, e: OSError, what: str = "the output") -> RecordingError:
    """One line naming the path: "cannot write the recording OUT: No space left on device"."""
    reason = e.strerror or os.strerror(e.errno or errno.EIO)
    return RecordingError(f"cannot write {what} {path}: {reason}")


def remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


@contextlib.contextmanager
def atomic_open(path: str, mode: str = "wb", inputs=(), what: str = "the output", encoding=None):
    """``with atomic_open(OUT) as f: f.write(...)``: checked (check_output), written to OUT.part,
    fsynced and renamed over the (symlink-resolved) OUT; on any error or interrupt the .part goes."""
    real = check_output(path, inputs, what)
    tmp = real + PART_SUFFIX
    try:
        f = open(tmp, mode, encoding=encoding)  # noqa: SIM115 (closed below)
    except OSError as e:
        raise write_error(path, e, what) from None
    try:
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, real)
    except OSError as e:
        remove_quietly(tmp)
        raise write_error(path, e, what) from None
    except BaseException:
        remove_quietly(tmp)
        raise


def write_bytes(path: str, data: bytes, inputs=(), what: str = "the output") -> None:
    with atomic_open(path, "wb", inputs, what) as f:
        f.write(data)
