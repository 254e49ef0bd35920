"""Generate docs/runtime-map.md: every gmpviz function or class whose first docstring line cites a
Go source file (``proc.go: runqput — …``), beside the Go name it follows.

    python -m gmpviz.core.runtime_map > docs/runtime-map.md
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

_GO_FILE = re.compile(r"`?((?:[\w-]+/)*[\w-]+\.go)`?")

HEADER = """# Runtime map: gmpviz ↔ src/runtime

Every function and class in `gmpviz/core` whose first docstring line cites a Go source file, with
that line. Hold it beside `src/runtime` (Go 1.26). Regenerate with
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


def render() -> str:
    lines = [HEADER.rstrip("\n")]
    for name, mod, first in rows():
        lines.append(f"| `{name}` | `{mod}` | {first.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
