"""Every event the engine emits matches SPEC: an AST walk over gmpviz/core.

Two emit forms are checked:
* raw ``<x>.ext((t_ns, kind, p, m, g, a0, a1, a2))``: the kind (``EV.X``, ``int(EV.X)`` or a module
  alias ``_X = int(EV.X)``) exists, the tuple has 8 columns (``*self.who(m)`` counts as p, m, g),
  and every argument column past the kind's declared fields is the literal 0 (an unnamed value is a
  field missing from SPEC); the raw form is kept only for the hot kinds of ``tracer.RAW_HOT_KINDS``;
* typed ``<x>.<Kind>(t_ns, p, m, g, *fields, **fields)``: at most 4 + len(fields) positional
  arguments and only declared field names as keywords.
"""

from __future__ import annotations

import ast
from pathlib import Path

import gmpviz.core
from gmpviz.core.trace.events import EV, SPEC
from gmpviz.core.trace.tracer import RAW_HOT_KINDS, _bind

CORE = Path(gmpviz.core.__file__).parent
_IDENTITY = ("t_ns", "p", "m", "g")


def _ev_name(node: ast.AST, aliases: dict[str, str]) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "int":
        node = node.args[0] if len(node.args) == 1 else node
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "EV":
        return node.attr
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    return None


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Module-level ``_X = int(EV.X)`` (also tuple-unpacked: ``_A, _B = int(EV.A), int(EV.B)``)."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        tgt, val = node.targets[0], node.value
        pairs = (
            zip(tgt.elts, val.elts)
            if isinstance(tgt, ast.Tuple) and isinstance(val, ast.Tuple) and len(tgt.elts) == len(val.elts)
            else [(tgt, val)]
        )
        for t, v in pairs:
            name = _ev_name(v, {})
            if isinstance(t, ast.Name) and name:
                out[t.id] = name
    return out


def _sites():
    """(where, form, kind name or None, call node) for every emit in gmpviz/core."""
    for path in sorted(CORE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = _aliases(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            # x.ext(...) / x.GoCreate(...), or a local alias of either: ext(...) / GoCreate(...)
            if isinstance(node.func, ast.Attribute):
                attr = node.func.attr
            elif isinstance(node.func, ast.Name):
                attr = node.func.id
            else:
                continue
            where = f"{path.relative_to(CORE)}:{node.lineno}"
            if attr == "ext":
                tup = node.args[0] if len(node.args) == 1 else None
                if not isinstance(tup, ast.Tuple) or len(tup.elts) < 2:
                    yield where, "raw", "<not a tuple literal: uncheckable>", node
                else:
                    yield where, "raw", _ev_name(tup.elts[1], aliases), node
            elif attr in EV.__members__:
                yield where, "typed", attr, node


def test_every_emit_site_matches_the_spec():
    bad, n = [], 0
    for where, form, name, call in _sites():
        n += 1
        if name not in EV.__members__:
            bad.append(f"{where}: unknown kind {name!r}")
            continue
        fields = [f.name for f in SPEC[EV[name]].args]
        if form == "raw":
            cols = list(call.args[0].elts)
            if len(cols) > 2 and isinstance(cols[2], ast.Starred):  # *self.who(m): (p, m, g)
                cols[2:3] = [cols[2]] * 3
            if len(cols) != 8:
                bad.append(f"{where}: {name} has {len(cols)} columns, not 8")
                continue
            for i, col in enumerate(cols[5 + len(fields) :], start=len(fields)):
                if not (isinstance(col, ast.Constant) and col.value == 0):
                    bad.append(f"{where}: {name} sets a{i}, which SPEC does not declare")
        else:
            if len(call.args) > 4 + len(fields):
                bad.append(f"{where}: {name} takes {4 + len(fields)} positional arguments")
            for kw in call.keywords:
                if kw.arg not in (*_IDENTITY, *fields):
                    bad.append(f"{where}: {name} has no field {kw.arg!r} (SPEC: {fields})")
    assert n > 50, "the walk found no emit sites: has the emit form changed?"
    assert not bad, "\n".join(bad)


def test_only_hot_kinds_keep_the_raw_form():
    """Every other kind is emitted through its typed emitter (tracer.RAW_HOT_KINDS says why)."""
    raw = sorted(
        f"{where}: {name}"
        for where, form, name, _ in _sites()
        if form == "raw" and (name not in EV.__members__ or EV[name] not in RAW_HOT_KINDS)
    )
    assert not raw, "raw ext((...)) for a kind that is not in RAW_HOT_KINDS:\n" + "\n".join(raw)


def test_typed_emitters_write_the_spec_columns():
    out: list[int] = []
    emitters = dict(zip((k.name for k in SPEC), _bind(out.extend)))
    for kind, spec in SPEC.items():
        out.clear()
        vals = {f.name: 11 + i for i, f in enumerate(spec.args)}
        emitters[kind.name](7, 1, 2, 3, **vals)
        a = [11 + i if i < len(spec.args) else 0 for i in range(3)]
        assert out == [7, int(kind), 1, 2, 3, *a], kind.name
