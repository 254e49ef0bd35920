"""One-shot codemod (issue 11, item 1): raw ``X.ext((t, _Kind, p, m, g, a0, a1, a2))`` emit sites in
gmpviz/core become typed ``X.ev.Kind(t, p, m, g, field=a0, ...)`` calls (trailing literal-0 fields
dropped: they are the emitter's defaults), and module aliases ``_Kind = int(EV.Kind)`` nothing uses
any more are removed. Run from the repository root, then ``ruff check --fix`` / ``ruff format``;
every object that had ``ext`` needs ``ev = Emitters(ext)`` (core/trace/tracer.py). Recordings stay
byte-identical (``tools/preset_hashes.py --check``); tests/core/test_emit_sites.py checks the result.
"""

import ast
import re
import sys
from pathlib import Path

sys.path.insert(0, ".")
from gmpviz.core.trace.events import EV, SPEC  # noqa: E402
from gmpviz.core.trace.tracer import RAW_HOT_KINDS  # noqa: E402

sys.path.insert(0, "tests/core")
from test_emit_sites import _aliases, _ev_name  # noqa: E402


def seg(src_lines, node):
    return ast.get_source_segment(src_lines, node)


def convert(path: Path, positional: bool) -> int:
    src = path.read_text()
    tree = ast.parse(src)
    aliases = _aliases(tree)
    edits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr == "ext":
            recv = seg(src, f.value) + ".ev"
        elif isinstance(f, ast.Name) and f.id == "ext":
            recv = "ev"
        else:
            continue
        tup = node.args[0]
        name = _ev_name(tup.elts[1], aliases)
        if EV[name] in RAW_HOT_KINDS:
            continue  # hot: stays raw (tracer.RAW_HOT_KINDS says why)
        fields = [x.name for x in SPEC[EV[name]].args]
        cols = [seg(src, e) for e in tup.elts]
        head = [cols[0]] + cols[2:]
        if isinstance(tup.elts[2], ast.Starred):
            ident, args = head[:2], head[2:]
        else:
            ident, args = head[:4], head[4:]
        parts = list(ident)
        # trailing literal zeros of fields are the default
        while args and args[-1] == "0":
            args = args[:-1]
        for fname, a in zip(fields, args):
            parts.append(a if positional else f"{fname}={a}")
        assert len(args) <= len(fields), (path, node.lineno, name)
        text = f"{recv}.{name}({', '.join(parts)})"
        edits.append((node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, text))
    if not edits:
        return 0
    lines = src.splitlines(keepends=True)
    offs = [0]
    for ln in lines:
        offs.append(offs[-1] + len(ln))
    for l0, c0, l1, c1, text in sorted(edits, reverse=True):
        a = offs[l0 - 1] + len(lines[l0 - 1].encode()[:c0].decode())
        b = offs[l1 - 1] + len(lines[l1 - 1].encode()[:c1].decode())
        src = src[:a] + text + src[b:]
    # drop module aliases nothing uses any more
    for al in aliases:
        if len(re.findall(rf"\b{al}\b", src)) == 1:
            src = re.sub(rf"^{al} = int\(EV\.\w+\)\n", "", src, flags=re.M)
    path.write_text(src)
    return len(edits)


if __name__ == "__main__":
    positional = "--positional" in sys.argv
    n = 0
    for p in sorted(Path("gmpviz/core").rglob("*.py")):
        if "trace" in p.parts:
            continue
        k = convert(p, positional)
        if k:
            print(p, k)
        n += k
    print("total", n)
