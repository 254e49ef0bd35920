"""EngineProcess: the engine in its own process, so that the window's engine runs as fast as headless.

An EngineThread beside the UI shares the GIL with it: at max speed it must sleep as long as each slice
took (MAX_SPEED_YIELD) or the UI stops painting, and the engine then runs at ~0.3 of headless. Here the
child process runs the very same EngineThread loop (``run()`` on its main thread, no yield): slices,
commands between slices, single steps that hold back the events not shown yet. Batches (numpy arrays)
go to the UI through a pipe; commands (Pause, Step, Apply ...) come back through another one, in
order. The engine stays deterministic: the child decides only how far to run it between looks at the
command pipe, so the same scenario and seed give the same events as headless.

The child dies with the window: it reads its command pipe on a thread, and the end of that pipe (the
window closed it, exited or was killed, even by SIGKILL) stops it; Ctrl-C in the terminal is the
window's to handle (the child ignores SIGINT). An exception inside the engine is a crash batch, as in
the thread; a child that dies without one (killed, out of memory) becomes a crash batch too.

Start method: forkserver where there is one (a fork of a clean server that has imported the engine:
~10 ms a run), spawn elsewhere; never a plain fork of a process that runs Qt's threads.
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing as mp
import os
import pickle
import queue
import select
import signal
import struct
import sys
import threading
import time
import traceback
import types

import numpy as np

from .thread import IDLE_WAIT_S, Apply, Batch, EngineThread, Pause, Resume, SetSpeed, Step, Stop, engine_now
from .trace.events import EVENT_DTYPE
from .trace.stats import COUNTERS_DTYPE

START_TIMEOUT_S = 120.0  # the child builds the engine (a big heap takes a while on a loaded machine)
STOP_TIMEOUT_S = 2.0  # then terminate, then kill
ORPHAN_GRACE_S = 2.0  # the window is gone: the child finishes its slice and exits, or is made to
PIPE_BYTES = 1 << 20
#: the child's batches not yet taken by the pipe, at most (~2.5 s of max speed): then the engine waits
OUTBOX_MAX_BYTES = 32 << 20
#: what the window reads of an engine; the child reports them at start and whenever one changes
SETTINGS = ("seed", "gomaxprocs", "ncpu", "policy", "gogc", "memlimit", "duration_ns")
#: a batch on the pipe: the tag, the header's length, the header (a pickled tuple of the scalars), then
#: the events' and the counter rows' bytes as they lie in memory
WIRE_RAW = b"R"
WIRE_PICKLE = b"P"  # anything else (another dtype, a stand-in engine's rows): the whole Batch pickled
_WIRE_LEN = 4


def encode_batch(b: Batch) -> bytes:
    """A batch as one message. Pickling the Batch itself cost ~150 µs a batch to write and ~100 µs to
    read (0.15 and 0.1 µs an event at the ~1,400 events of a max-speed slice: the dataclass and two
    structured dtypes, one of 31 fields, pickled every time), against ~5 µs for its arrays' bytes: the
    dtypes are the same every time (EVENT_DTYPE, COUNTERS_DTYPE), so only the bytes travel."""
    ev, rows = b.events, b.counters
    raw = ev.dtype == EVENT_DTYPE and ev.ndim == 1 and rows.ndim == 1
    raw = raw and (rows.dtype == COUNTERS_DTYPE or len(rows) == 0)
    if not raw:
        return WIRE_PICKLE + pickle.dumps(b, protocol=pickle.HIGHEST_PROTOCOL)
    head = pickle.dumps(
        (len(ev), len(rows), b.now_ns, b.done, b.error, b.crash, b.notice, b.settings, b.posted_s),
        protocol=pickle.HIGHEST_PROTOCOL,
    )
    return b"".join((WIRE_RAW, len(head).to_bytes(_WIRE_LEN, "little"), head, ev.tobytes(), rows.tobytes()))


def decode_batch(data: bytes) -> Batch:
    """encode_batch's message as a Batch (its arrays are copies: writable, owning their memory)."""
    if data[:1] == WIRE_PICKLE:
        return pickle.loads(data[1:])
    if data[:1] != WIRE_RAW:
        raise ValueError(f"not a batch message (tag {data[:1]!r})")
    hlen = int.from_bytes(data[1 : 1 + _WIRE_LEN], "little")
    at = 1 + _WIRE_LEN
    n_ev, n_rows, now_ns, done, error, crash, notice, settings, posted_s = pickle.loads(data[at : at + hlen])
    at += hlen
    ev = np.frombuffer(data, dtype=EVENT_DTYPE, count=n_ev, offset=at).copy()
    at += n_ev * EVENT_DTYPE.itemsize
    rows = np.frombuffer(data, dtype=COUNTERS_DTYPE, count=n_rows, offset=at).copy()
    return Batch(
        events=ev,
        counters=rows,
        now_ns=now_ns,
        done=done,
        error=error,
        crash=crash,
        notice=notice,
        settings=settings,
        posted_s=posted_s,
    )


class ProcessStartError(RuntimeError):
    """The engine process could not be started (not the engine refusing its settings)."""


def make_engine(scenario, **kw):
    """The app's engine factory: Engine(scenario, **RunSettings.engine_kw()) (None: the default).
    A module-level function of core, so that a child process can unpickle it without importing Qt."""
    from .engine import Engine

    return Engine(scenario, **{k: v for k, v in kw.items() if v is not None})


def _settings_of(engine) -> dict:
    out = {}
    for name in SETTINGS:
        v = getattr(engine, name, None)
        if v is not None:
            out[name] = v
    return out


_CTX = None


def _context():
    """The start method's context (created once): forkserver, preloading the engine, or spawn."""
    global _CTX
    if _CTX is None:
        # a frozen bundle (PyInstaller) starts children through its own executable: spawn, which its
        # freeze_support() hook handles (packaging/entry.py)
        if "forkserver" in mp.get_all_start_methods() and not getattr(sys, "frozen", False):
            _CTX = mp.get_context("forkserver")
            _CTX.set_forkserver_preload([__name__, "gmpviz.core.engine", "gmpviz.core.workload.loader"])
        else:
            _CTX = mp.get_context("spawn")
    return _CTX


@contextlib.contextmanager
def _no_main_module():
    """While a child starts: multiprocessing would have it import this process's __main__ (a script
    without an ``if __name__ == "__main__"`` guard would run again there, or refuse to start). The
    engine needs nothing of it (the factory is a module-level function of a package), so the child is
    shown a bare __main__."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _widen_pipe(conn) -> None:
    """Linux: a 1 MiB pipe buffer (F_SETPIPE_SZ; the default is 64 KiB), so that the child's send of a
    batch (up to SLICE_MAX_EVENTS events of 43 bytes) rarely waits for the window to read."""
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (ImportError, OSError, ValueError):
        pass  # another OS, or a lower /proc/sys/fs/pipe-max-size: the default buffer works, slower


def warm_up() -> None:
    """Start the fork server in the background (it imports the engine: seconds on a loaded machine),
    so that the window's first run does not wait for it."""
    ctx = _context()
    if ctx.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        threading.Thread(target=forkserver.ensure_running, name="gmpviz-forkserver", daemon=True).start()


class RemoteEngine:
    """The window's view of an engine that runs in an EngineProcess: its scenario, the settings it last
    reported (SETTINGS), its virtual time and end, and its assumptions. It runs nothing itself."""

    def __init__(self, scenario, hello: dict) -> None:
        self.scenario = scenario
        self._assumptions = list(hello["assumptions"])
        self.now_ns = int(hello["now_ns"])
        self.done = False
        self.error: str | None = None
        self.seed = 0
        self.gomaxprocs = 0
        self.ncpu = 0  # the machine's CPUs (core/os.py)
        self.policy = "go"
        self.duration_ns = 0
        self.update(hello["settings"])

    def update(self, settings: dict) -> None:
        for name, v in settings.items():
            if name in SETTINGS:
                setattr(self, name, v)

    def assumptions(self) -> list[str]:
        return list(self._assumptions)


# --- the child -----------------------------------------------------------------------------------
class _Outbox:
    """The child's messages on their way to the window, written without waiting for it.

    A blocking send stalled the engine whenever the pipe was full: the window's receiving thread
    waits for the GIL its frame holds (up to the 5 ms switch interval per read), and at max speed
    that was up to 6 % of the run's wall time. Here the pipe's end is non-blocking: what does not
    fit stays here, in order, and goes at the next message or when the loop is idle; only past
    OUTBOX_MAX_BYTES does the engine wait (memory stays bounded however far the window falls behind).
    The frames are multiprocessing's (a 4-byte big-endian length, then the bytes), so the window
    reads them with Connection.recv_bytes. Where the pipe is not a POSIX file descriptor (Windows),
    a plain blocking send_bytes."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.fd: int | None = None
        self.parts: collections.deque = collections.deque()
        self.size = 0  # bytes not yet written
        self._off = 0  # of parts[0]
        if os.name == "posix":
            try:
                fd = conn.fileno()
                os.set_blocking(fd, False)
                self.fd = fd
            except (AttributeError, OSError, ValueError):
                self.fd = None

    def put(self, data: bytes) -> None:
        if self.fd is None or len(data) > 0x7FFFFFFF:
            self.flush(block=True)
            self.conn.send_bytes(data)
            return
        self.parts.append(struct.pack("!i", len(data)))
        self.parts.append(data)
        self.size += 4 + len(data)
        self.flush(block=self.size > OUTBOX_MAX_BYTES)

    def flush(self, block: bool) -> None:
        """Write what the pipe takes; with `block`, everything (OSError: the window is gone)."""
        while self.parts:
            buf = self.parts[0]
            try:
                n = os.write(self.fd, memoryview(buf)[self._off :])
            except BlockingIOError:
                if not block:
                    return
                select.select([], [self.fd], [], IDLE_WAIT_S)
                continue
            self._off += n
            self.size -= n
            if self._off == len(buf):
                self.parts.popleft()
                self._off = 0


class _ChildLoop(EngineThread):
    """EngineThread's loop run on the child's main thread; batches go down the pipe."""

    def __init__(self, engine, conn, speed_ns_per_s, paused) -> None:
        super().__init__(engine, speed_ns_per_s, paused, max_speed_yield=0.0)
        self.conn = conn
        self.outbox = _Outbox(conn)
        self._settings = _settings_of(engine)

    def _emit(self, batch: Batch) -> None:
        now = _settings_of(self.engine)
        if now != self._settings:
            self._settings = now
            batch.settings = now
        try:
            self.outbox.put(encode_batch(batch))
        except (OSError, ValueError):  # the window is gone
            self._stopping = True

    def _commands(self, block: bool) -> bool:
        if block and self.outbox.size:  # idle (paused, done): nothing to run, so the rest goes now
            self.flush()
        return super()._commands(block)

    def flush(self) -> None:
        try:
            self.outbox.flush(block=True)
        except (OSError, ValueError):
            self._stopping = True


def _read_commands(conn, loop: _ChildLoop) -> None:
    """The child's command reader: every command into the loop's queue, in order; the end of the pipe
    (the window closed it or died) stops the child."""
    try:
        while True:
            loop._cmds.put(conn.recv())
    except (EOFError, OSError):
        pass
    loop._stopping = True
    loop._cmds.put(Stop())
    time.sleep(ORPHAN_GRACE_S)  # a slice that never ends (an engine bug) must not leave an orphan
    os._exit(0)


def _child_main(factory, scenario, engine_kw: dict, speed, paused: bool, cmd_r, out_w) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the window's: it stops us
    try:
        engine = factory(scenario, **engine_kw)
    except (ValueError, RuntimeError) as e:  # EngineError & co: the window shows them as before
        try:
            out_w.send(("refused", e))
        except Exception:  # an exception that does not pickle: its kind and text
            out_w.send(("refused", (ValueError if isinstance(e, ValueError) else RuntimeError)(str(e))))
        return
    except Exception:
        out_w.send(("crashed", traceback.format_exc()))
        return
    out_w.send(
        (
            "ok",
            {
                "settings": _settings_of(engine),
                "now_ns": engine_now(engine),
                "assumptions": [str(a) for a in engine.assumptions()],
            },
        )
    )
    loop = _ChildLoop(engine, out_w, speed, paused)
    try:
        go = cmd_r.recv()  # start(): the window's session is ready
    except (EOFError, OSError):
        return
    if isinstance(go, Stop):
        return
    threading.Thread(target=_read_commands, args=(cmd_r, loop), name="gmpviz-commands", daemon=True).start()
    loop.run()  # ends at the window's Stop or when the window is gone: it wants nothing more
    out_w.close()


# --- the window's side ---------------------------------------------------------------------------
class EngineProcess:
    """EngineThread's API (pause, resume, step, set_speed, apply, poll, stop, paused, speed) for an
    engine built and run in a child process by ``factory(scenario, **engine_kw)`` (a picklable,
    module-level callable such as make_engine). ``engine`` is its RemoteEngine.

    The constructor waits for the engine to be built: settings the engine refuses raise its
    ValueError/RuntimeError here, as the factory would in this process; a process that cannot be
    started raises ProcessStartError."""

    def __init__(
        self, factory, scenario, engine_kw: dict, speed_ns_per_s: float | None = None, paused: bool = False
    ) -> None:
        ctx = _context()
        self._speed = speed_ns_per_s
        self._paused = paused
        self._stopping = False
        self._started = False
        self.out: queue.SimpleQueue[Batch] = queue.SimpleQueue()
        try:
            cmd_r, self._cmd_w = ctx.Pipe(duplex=False)
            self._out_r, out_w = ctx.Pipe(duplex=False)
            self._proc = ctx.Process(
                target=_child_main,
                args=(factory, scenario, dict(engine_kw), speed_ns_per_s, paused, cmd_r, out_w),
                name="gmpviz-engine",
                daemon=True,  # and multiprocessing ends it when this interpreter exits
            )
            with _no_main_module():
                self._proc.start()
        except Exception as e:  # no start method here, an unpicklable factory or scenario ...
            raise ProcessStartError(f"cannot start the engine process: {e}") from None
        cmd_r.close()
        out_w.close()
        _widen_pipe(self._out_r)
        hello = self._hello()
        self.engine = RemoteEngine(scenario, hello)
        self._now_ns = self.engine.now_ns
        self._rx = threading.Thread(target=self._receive, name="gmpviz-engine", daemon=True)

    def _hello(self) -> dict:
        try:
            ready = self._out_r.poll(START_TIMEOUT_S)
            msg = self._out_r.recv() if ready else None
        except (EOFError, OSError):
            msg = None
        if msg is not None and msg[0] == "ok":
            return msg[1]
        self._kill()
        if msg is None:
            code = self._proc.exitcode
            raise ProcessStartError(
                "the engine process did not start"
                + (f" (exit code {code})" if code is not None else f" in {START_TIMEOUT_S:.0f} s")
            )
        if msg[0] == "refused":
            raise msg[1]
        raise RuntimeError(f"the engine could not be built: {msg[1].strip().splitlines()[-1]}")

    # --- EngineThread's API --------------------------------------------------------------------
    def start(self) -> None:
        self._started = True
        self._rx.start()
        self._send("go")

    def is_alive(self) -> bool:
        return self._proc.is_alive()

    def pause(self) -> None:
        self._paused = True
        self._send(Pause())

    def resume(self) -> None:
        self._paused = False
        self._send(Resume())

    def step(self, what: str = "event") -> None:
        if what not in ("event", "sched"):
            raise ValueError(f"step must be 'event' or 'sched', not {what!r}")
        self._paused = True
        self._send(Step(what))

    def set_speed(self, speed_ns_per_s: float | None) -> None:
        self._speed = speed_ns_per_s
        self._send(SetSpeed(speed_ns_per_s))

    def apply(self, cmd) -> None:
        self._send(Apply(cmd))

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def speed(self) -> float | None:
        return self._speed

    def poll(self) -> list[Batch]:
        out = []
        try:
            while True:
                out.append(self.out.get_nowait())
        except queue.Empty:
            pass
        eng = self.engine
        for b in out:
            if b.settings:
                eng.update(b.settings)
            eng.now_ns, eng.done = b.now_ns, b.done
            if b.error:
                eng.error = b.error
        return out

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop the child (Stop, then terminate, then kill) and the receiving thread."""
        self._stopping = True
        self._send(Stop())
        self._kill(timeout)
        if self._rx.is_alive():
            self._rx.join(timeout)
        for conn in (self._cmd_w, self._out_r):
            conn.close()

    # --- internals -----------------------------------------------------------------------------
    def _send(self, cmd) -> None:
        with contextlib.suppress(OSError, ValueError):  # the child is gone: the receiver reports it
            self._cmd_w.send(cmd)

    def _kill(self, timeout: float = STOP_TIMEOUT_S) -> None:
        p = self._proc
        p.join(timeout)
        if p.is_alive():
            p.terminate()
            p.join(1.0)
        if p.is_alive():
            p.kill()
            p.join(1.0)

    def _receive(self) -> None:
        """The receiving thread: batches off the pipe onto the queue poll() reads. It waits in the
        kernel (no GIL held) and wakes ~125 times a second at max speed."""
        conn, last = self._out_r, None
        try:
            while True:
                last = decode_batch(conn.recv_bytes())
                self._now_ns = last.now_ns
                self.out.put(last)
        except (EOFError, OSError):
            pass
        if self._stopping or (last is not None and last.done):  # nothing more was to come
            return
        self._proc.join(STOP_TIMEOUT_S)
        code = self._proc.exitcode
        self.out.put(
            Batch(
                events=np.zeros(0, dtype=EVENT_DTYPE),
                counters=np.zeros(0),
                now_ns=self._now_ns,
                done=True,
                crash=f"the engine process exited unexpectedly (exit code {code})\n",
            )
        )
