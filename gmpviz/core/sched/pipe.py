"""Pipes — an `os.Pipe` end read and written through `internal/poll` (fd_unix.go: FD.Read, FD.Write;
fd_poll_runtime.go: pollDesc.waitRead/waitWrite; runtime/netpoll.go: poll_runtime_pollWait).

os.Pipe's descriptors are non-blocking and registered with the netpoller. A read or write is one
`syscall.Read`/`syscall.Write` (entersyscall … exitsyscall, so sysmon can retake the P as for any
syscall). When the pipe is empty (read) or has no room (write), the syscall returns EAGAIN and the G
parks in the netpoller (IO wait); the peer's write (read) makes the descriptor ready, and the next
netpoll (findRunnable, sysmon, the M blocked in netpoll) readies the G, which retries the syscall.
A part of :class:`gmpviz.core.sched.scheduler.Scheduler`.
"""

from __future__ import annotations

from ..constants import PIPE_CAPACITY_BYTES
from ..trace.events import WAIT_IO

# The CPU cost of one pipe syscall, from tests/fidelity/progs/pipecost (Go 1.27.3, linux/amd64, the
# 2-core dev machine, getrusage CPU time per write+read pair from one goroutine, medians of 7 rounds:
# 1,314 ns for 4 KiB, 3,859 ns for 16 KiB, 13,227 ns for 64 KiB): about 300 ns per syscall (of
# which COST_SYSCALL_ENTRY_NS is entersyscall/exitsyscall's) and 100 ns per KiB copied on each side.
COST_PIPE_SYSCALL_NS = 200
COST_PIPE_COPY_NS_PER_KIB = 100
# G.op_rem while a pipe op's syscall returned EAGAIN (pollDesc.wait next)
PIPE_EAGAIN = 1

PIPE_ASSUMPTIONS = (
    f"Pipes: a read or write is one syscall of {COST_PIPE_SYSCALL_NS} ns (plus entersyscall's 100 ns) + "
    f"{COST_PIPE_COPY_NS_PER_KIB} ns per KiB (measured, tests/fidelity/progs/pipecost); "
    f"capacity {PIPE_CAPACITY_BYTES >> 10} KiB; a write is all or nothing (atomic, as Linux makes writes "
    "up to PIPE_BUF); a read takes what is there.",
)


class Pipe:
    """One os.Pipe: the kernel's buffer and the Gs parked in the netpoller on either end."""

    __slots__ = ("id", "name", "buffered", "rwait", "wwait")

    def __init__(self, pid: int, name: str) -> None:
        self.id = pid
        self.name = name
        self.buffered = 0  # bytes written and not yet read
        self.rwait: list = []  # readers parked in pollDesc.waitRead
        self.wwait: list = []  # writers parked in pollDesc.waitWrite


class PipeMixin:
    def pipe_read(self, m, gp, pipe: Pipe, nbytes: int) -> None:
        """fd_unix.go: FD.Read — syscall.Read; on EAGAIN, pd.waitRead (park in IO wait) and retry."""
        if gp.op_rem == PIPE_EAGAIN:
            gp.op_rem = 0
            if pipe.buffered == 0:
                self._pipe_wait(m, gp, pipe.rwait)
                return
            # ready again before the G parked (pdReady): retry the read at once
        n = min(nbytes, pipe.buffered)
        if n == 0:
            gp.op_rem = PIPE_EAGAIN
            self.entersyscall(m, gp, COST_PIPE_SYSCALL_NS, False)
            return
        pipe.buffered -= n
        gp.pc += 1
        self._pipe_ready(pipe.wwait)  # room again: the writers' descriptor is writable
        self.entersyscall(m, gp, COST_PIPE_SYSCALL_NS + n * COST_PIPE_COPY_NS_PER_KIB // 1024, False)

    def pipe_write(self, m, gp, pipe: Pipe, nbytes: int) -> None:
        """fd_unix.go: FD.Write — syscall.Write; on EAGAIN, pd.waitWrite (park in IO wait) and retry."""
        room = PIPE_CAPACITY_BYTES - pipe.buffered
        if gp.op_rem == PIPE_EAGAIN:
            gp.op_rem = 0
            if room < nbytes:
                self._pipe_wait(m, gp, pipe.wwait)
                return
        if room < nbytes:
            gp.op_rem = PIPE_EAGAIN
            self.entersyscall(m, gp, COST_PIPE_SYSCALL_NS, False)
            return
        pipe.buffered += nbytes
        gp.pc += 1
        self._pipe_ready(pipe.rwait)  # data: the readers' descriptor is readable
        self.entersyscall(m, gp, COST_PIPE_SYSCALL_NS + nbytes * COST_PIPE_COPY_NS_PER_KIB // 1024, False)

    def _pipe_wait(self, m, gp, waiters: list) -> None:
        """netpoll.go: poll_runtime_pollWait -> netpollblock: park in IO wait until the fd is ready."""
        waiters.append(gp)
        self.netpoll_waiters += 1
        self.gopark(m, gp, WAIT_IO, 0)

    def _pipe_ready(self, waiters: list) -> None:
        """The kernel wakes the epoll waiters of the descriptor: the next netpoll returns them
        (netpollready)."""
        if waiters:
            for gp in waiters:
                self.netready(gp)
            waiters.clear()
