"""Write small Go execution traces by hand (format "go 1.26"), for tests that need no Go toolchain."""

from __future__ import annotations

from gmpviz.gotrace import spec as S

FREQ_HZ = 15_625_000  # 64 ns per tick, as linux/amd64 writes


def uv(x: int) -> bytes:
    if x < 0:
        raise ValueError(f"a uvarint cannot hold {x}")
    out = bytearray()
    while True:
        b = x & 0x7F
        x >>= 7
        if x:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def ev(typ: int, dt: int, *args: int) -> bytes:
    return bytes([typ]) + uv(dt) + b"".join(uv(a) for a in args)


def batch(gen: int, m: int, ts: int, data: bytes, exp: int | None = None) -> bytes:
    head = bytes([S.EvEventBatch]) if exp is None else bytes([S.EvExperimentalBatch, exp])
    return head + uv(gen) + uv(m) + uv(ts) + uv(len(data)) + data


def sync_batch(gen: int, ts: int) -> bytes:
    data = bytes([S.EvSync, S.EvFrequency]) + uv(FREQ_HZ)
    data += bytes([S.EvClockSnapshot]) + uv(1) + uv(123_456_789) + uv(1_700_000_000) + uv(5_000)
    return batch(gen, 0, ts, data)


def strings_batch(gen: int, strings: dict[int, str], ts: int = 100) -> bytes:
    data = bytes([S.EvStrings])
    for sid, s in strings.items():
        b = s.encode()
        data += bytes([S.EvString]) + uv(sid) + uv(len(b)) + b
    return batch(gen, 0, ts, data)


def trace(gens: list[list[bytes]], version: int = 26) -> bytes:
    out = f"go 1.{version} trace\x00\x00\x00".encode()
    for batches in gens:
        out += b"".join(batches)
        if version >= 26:
            out += bytes([S.EvEndOfGeneration])
    return out


def simple_trace() -> bytes:
    """One generation, one M (id 7): P 0 and G 1 running, G 1 creates G 2, blocks, G 2 runs and exits."""
    strings = {1: "chan receive"}
    evs = (
        ev(S.EvProcStatus, 1, 0, S.ProcRunningW)
        + ev(S.EvGoStatus, 1, 1, 7, S.GoRunningW)
        + ev(S.EvGoCreate, 2, 2, 0, 0)
        + ev(S.EvHeapAlloc, 1, 4096)
        + ev(S.EvGoBlock, 3, 1, 0)
        + ev(S.EvGoStart, 1, 2, 1)
        + ev(S.EvGoDestroy, 5)
        + ev(S.EvProcStop, 1)
    )
    gen = [sync_batch(1, 100), strings_batch(1, strings), batch(1, 7, 100, evs)]
    return trace([gen])
