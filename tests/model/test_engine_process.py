"""EngineProcess (core/process.py): the engine in a child process, EngineThread's API, same events."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from _synthetic import broken_factory, deadlock_factory, refusing_factory, synthetic_factory

from gmpviz.core.constants import MS
from gmpviz.core.process import EngineProcess, make_engine
from gmpviz.core.workload.loader import load_scenario
from gmpviz.model import Model
from gmpviz.session import LiveSource, Session


def pump_until(session, cond, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.pump()
        if cond():
            return True
        time.sleep(0.005)
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not reaped yet) is gone for our purpose
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return True


def test_same_events_as_headless_and_the_process_ends():
    from gmpviz.core.engine import Engine

    sc = load_scenario("work-stealing")
    src = LiveSource.open(make_engine, sc, _settings(duration_ns=40 * MS), process=True)
    assert isinstance(src.thread, EngineProcess) and src.notice is None
    assert src.engine.gomaxprocs == sc.gomaxprocs and src.engine.assumptions()
    s = Session(src, Model(sc.groups))
    got = []
    orig = s.model.apply
    s.model.apply = lambda ev: (got.append(ev.copy()), orig(ev))
    src.start()
    assert pump_until(s, lambda: s.done)
    pid = src.thread._proc.pid
    src.stop()
    assert not src.thread.is_alive() and not _alive(pid)
    eng = Engine(sc, duration_ns=40 * MS)
    eng.run_until(eng.duration_ns)
    np.testing.assert_array_equal(np.concatenate(got), eng.drain())


def _settings(**kw):
    from gmpviz.core.settings import RunSettings

    return RunSettings(**kw)


def test_pause_step_apply_notice_and_settings_come_back():
    th = EngineProcess(synthetic_factory, None, {"duration_ns": 100 * MS}, paused=True)
    src = LiveSource(runner=th)
    s = Session(src, Model(("main", "worker", "io")))
    th.start()
    time.sleep(0.2)
    s.pump()
    assert s.model.events_total == 0 and th.paused
    th.step("event")
    assert pump_until(s, lambda: s.model.events_total >= 1)
    assert s.model.events_total == 1  # exactly one event per single step
    th.step("sched")
    assert pump_until(s, lambda: s.model.events_total > 1)
    th.apply(("gomaxprocs", 2))
    assert pump_until(s, lambda: th.engine.gomaxprocs == 2)
    th.apply(("bogus", 1))
    notices = []
    deadline = time.monotonic() + 10
    while not notices and time.monotonic() < deadline:
        notices += s.pump().notices
        time.sleep(0.005)
    assert "unknown command" in notices[0]
    th.set_speed(None)
    th.resume()
    assert pump_until(s, lambda: s.done)
    th.stop()
    with pytest.raises(ValueError):
        th.step("jump")


def test_refused_settings_raise_in_the_caller():
    with pytest.raises(ValueError, match="GOMAXPROCS must be at least 1"):
        EngineProcess(refusing_factory, None, {})


def test_engine_exception_and_emulated_errors_reach_the_session():
    src = LiveSource(runner=EngineProcess(broken_factory, None, {}))
    s = Session(src, Model())
    src.start()
    assert pump_until(s, lambda: s.crash is not None)
    assert "KeyError: 'runq corrupted'" in s.crash and "Traceback" in s.crash
    src.stop()
    src = LiveSource(runner=EngineProcess(deadlock_factory, None, {}))
    s = Session(src, Model())
    src.start()
    assert pump_until(s, lambda: s.done)
    assert "deadlock" in s.error and src.engine.error == s.error
    src.stop()


def test_a_killed_engine_process_becomes_a_crash():
    th = EngineProcess(synthetic_factory, None, {"duration_ns": 1000 * MS}, speed_ns_per_s=MS)
    s = Session(LiveSource(runner=th), Model(("main", "worker", "io")))
    th.start()
    os.kill(th._proc.pid, signal.SIGKILL)
    assert pump_until(s, lambda: s.crash is not None)
    assert "exited unexpectedly" in s.crash
    th.stop()


ORPHAN = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {tests!r})
    from _synthetic import synthetic_factory
    from gmpviz.core.process import EngineProcess
    th = EngineProcess(synthetic_factory, None, {{"duration_ns": 200_000_000}})
    th.start()
    print(th._proc.pid, flush=True)
    time.sleep(600)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_the_engine_process_dies_with_the_window(sig):
    """No orphan however the window's process ends (a crash, kill -9, SIGTERM, Ctrl-C)."""
    code = ORPHAN.format(tests=str(Path(__file__).resolve().parents[1]))
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        assert _alive(child)
        parent.send_signal(sig)
        try:
            parent.wait(60)
        except subprocess.TimeoutExpired:  # seen once under heavy load after SIGINT: the property
            parent.kill()  # asserted here is the child's, which must go however the parent ends
            parent.wait()
        deadline = time.monotonic() + 30
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child), f"engine process {child} outlived its window ({sig.name})"
    finally:
        parent.kill()
        parent.wait()


def test_a_batch_crosses_the_pipe_as_its_bytes_and_comes_back_equal():
    from gmpviz.core.engine import Engine
    from gmpviz.core.process import WIRE_PICKLE, WIRE_RAW, decode_batch, encode_batch
    from gmpviz.core.thread import Batch

    eng = Engine(load_scenario("default"), duration_ns=20 * MS)
    eng.run_until(10 * MS)
    b = Batch(eng.drain(), eng.drain_counters(), eng.now_ns, notice="n", settings={"gomaxprocs": 3})
    msg = encode_batch(b)
    assert msg[:1] == WIRE_RAW and len(b.events) > 100 and len(b.counters) > 1
    back = decode_batch(msg)
    assert back.events.dtype == b.events.dtype and back.events.tobytes() == b.events.tobytes()
    assert back.counters.dtype == b.counters.dtype and back.counters.tobytes() == b.counters.tobytes()
    assert back.events.flags.writeable and back.counters.flags.writeable
    for name in ("now_ns", "done", "error", "crash", "notice", "settings", "posted_s"):
        assert getattr(back, name) == getattr(b, name)
    # a crash batch (no counter rows, a float64 stand-in) and any other dtype still cross
    crash = decode_batch(encode_batch(Batch(b.events[:0], np.zeros(0), 5, done=True, crash="tb")))
    assert crash.done and crash.crash == "tb" and len(crash.events) == 0 and len(crash.counters) == 0
    odd = Batch(b.events, np.zeros(2), 7)
    assert encode_batch(odd)[:1] == WIRE_PICKLE
    assert decode_batch(encode_batch(odd)).counters.tolist() == [0.0, 0.0]
    with pytest.raises(ValueError):
        decode_batch(b"X123")


@pytest.mark.skipif(os.name != "posix", reason="the outbox writes a POSIX pipe's descriptor")
def test_the_child_outbox_never_waits_for_a_reader_and_keeps_every_message_in_order(monkeypatch):
    """While the window does not read (its receiving thread waits for the GIL), the child's batches
    wait in its outbox instead of the engine waiting on a full pipe; past OUTBOX_MAX_BYTES it waits.
    Whatever the pipe's timing, the window reads every message whole and in order."""
    import multiprocessing as mp
    import threading

    from gmpviz.core import process

    monkeypatch.setattr(process, "OUTBOX_MAX_BYTES", 8 << 20)
    r, w = mp.Pipe(duplex=False)
    box = process._Outbox(w)
    assert box.fd is not None
    sizes = [1, 4096, 70_000, 300_000, 5, 1 << 20]
    msgs = [bytes([k % 251]) * sizes[k % len(sizes)] for k in range(24)]  # ~6.9 MiB, past the pipe
    t0 = time.perf_counter()
    for m in msgs:
        box.put(m)  # nobody reads yet: none of these may block
    assert time.perf_counter() - t0 < 5 and box.size > 0
    got = []
    reader = threading.Thread(target=lambda: got.extend(r.recv_bytes() for _ in range(len(msgs) + 1)))
    reader.start()
    box.put(b"x" * (9 << 20))  # past the bound: waits until the reader took enough
    box.flush(block=True)
    reader.join(30)
    assert got == [*msgs, b"x" * (9 << 20)]
    w.close()
    r.close()
